//! Apollo's automatic persisted queries (async-graphql's `ApolloPersistedQueries` extension
//! speaks the protocol): the store of registered documents by SHA-256 hash, bounded by an
//! estimate of their size in memory rather than by their number, since one 64 KiB document
//! can parse into megabytes. The HTTP layer also reads it, to tell a query from a mutation
//! when a request sends only a hash.

use async_graphql::Positioned;
use async_graphql::extensions::apollo_persisted_queries::CacheStorage;
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Selection, SelectionSet,
};
use moka::sync::Cache;

/// About how many bytes of parsed documents the store keeps; the least recently used go first.
pub const MAX_PERSISTED_BYTES: u64 = 32 * 1024 * 1024;

/// What a parsed document costs beyond its selections (its operation, map entry and hash).
const DOCUMENT_BYTES: u64 = 1024;
/// What one selection (a field with its name, arguments and position) costs, about.
const SELECTION_BYTES: u64 = 256;

#[derive(Clone)]
pub struct PersistedQueries(Cache<String, ExecutableDocument>);

impl Default for PersistedQueries {
    fn default() -> Self {
        Self(
            Cache::builder()
                .max_capacity(MAX_PERSISTED_BYTES)
                .weigher(|_, document| u32::try_from(estimated_bytes(document)).unwrap_or(u32::MAX))
                .build(),
        )
    }
}

impl PersistedQueries {
    /// Gives a request that sends only a hash the document registered under it, if any (an
    /// unknown hash is left for the extension to answer `PersistedQueryNotFound`).
    pub fn resolve(&self, request: &mut async_graphql::Request) {
        if !request.query.is_empty() {
            return;
        }
        let Some(async_graphql::Value::Object(persisted)) =
            request.extensions.get("persistedQuery")
        else {
            return;
        };
        let Some(async_graphql::Value::String(hash)) = persisted.get("sha256Hash") else {
            return;
        };
        if let Some(document) = self.0.get(hash) {
            request.set_parsed_query(document);
        }
    }

    /// Whether the request names a persisted query (it may then come without its text).
    pub fn named_in(request: &async_graphql::Request) -> bool {
        request.extensions.contains_key("persistedQuery")
    }
}

#[async_trait::async_trait]
impl CacheStorage for PersistedQueries {
    async fn get(&self, key: String) -> Option<ExecutableDocument> {
        self.0.get(&key)
    }

    async fn set(&self, key: String, query: ExecutableDocument) {
        self.0.insert(key, query);
    }
}

fn estimated_bytes(document: &ExecutableDocument) -> u64 {
    let operations: Vec<&Positioned<SelectionSet>> = match &document.operations {
        DocumentOperations::Single(operation) => vec![&operation.node.selection_set],
        DocumentOperations::Multiple(operations) => operations
            .values()
            .map(|operation| &operation.node.selection_set)
            .collect(),
    };
    let fragments = document
        .fragments
        .values()
        .map(|fragment| &fragment.node.selection_set);
    let selections: u64 = operations
        .into_iter()
        .chain(fragments)
        .map(selections_in)
        .sum();
    DOCUMENT_BYTES + selections.saturating_mul(SELECTION_BYTES)
}

fn selections_in(set: &Positioned<SelectionSet>) -> u64 {
    set.node
        .items
        .iter()
        .map(|selection| {
            1 + match &selection.node {
                Selection::Field(field) => selections_in(&field.node.selection_set),
                Selection::FragmentSpread(_) => 0,
                Selection::InlineFragment(fragment) => selections_in(&fragment.node.selection_set),
            }
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_weighs_by_its_selections() {
        let small = async_graphql::parser::parse_query("{ a }").unwrap();
        let nested = async_graphql::parser::parse_query(
            "query { a { b c ...F ... on T { d } } } fragment F on T { e }",
        )
        .unwrap();
        assert_eq!(estimated_bytes(&small), DOCUMENT_BYTES + SELECTION_BYTES);
        // a, b, c, ...F, the inline fragment, d; and the fragment's e.
        assert_eq!(
            estimated_bytes(&nested),
            DOCUMENT_BYTES + 7 * SELECTION_BYTES
        );
    }

    #[test]
    fn a_hash_only_request_gets_its_registered_document() {
        let store = PersistedQueries::default();
        let document = async_graphql::parser::parse_query("{ a }").unwrap();
        store.0.insert("abc".into(), document);
        let mut request = async_graphql::Request::new("");
        request.extensions.insert(
            "persistedQuery".into(),
            async_graphql::Value::from_json(
                serde_json::json!({ "version": 1, "sha256Hash": "abc" }),
            )
            .unwrap(),
        );
        store.resolve(&mut request);
        assert!(request.parsed_query().is_ok());

        let mut unknown = async_graphql::Request::new("");
        unknown.extensions.insert(
            "persistedQuery".into(),
            async_graphql::Value::from_json(
                serde_json::json!({ "version": 1, "sha256Hash": "def" }),
            )
            .unwrap(),
        );
        store.resolve(&mut unknown);
        assert!(unknown.parsed_query().is_err());
        assert!(PersistedQueries::named_in(&unknown));
    }
}
