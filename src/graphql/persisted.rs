//! Apollo's automatic persisted queries (async-graphql's `ApolloPersistedQueries` extension
//! speaks the protocol): the store of registered documents by SHA-256 hash, bounded by an
//! estimate of their size in memory rather than by their number, since one 64 KiB document
//! can parse into megabytes (every node, arguments included, is counted). The HTTP layer
//! also reads it, to tell a query from a mutation when a request sends only a hash.

use std::fmt::Write as _;

use async_graphql::extensions::apollo_persisted_queries::CacheStorage;
use async_graphql::parser::types::ExecutableDocument;
use moka::sync::Cache;

/// About how many bytes of parsed documents the store keeps; the least recently used go first.
pub const MAX_PERSISTED_BYTES: u64 = 32 * 1024 * 1024;

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

/// About what `document` holds in memory: its debug rendering, which spells out every node
/// (selections, arguments, values, directives, names and positions), counted without being
/// built, and doubled for the allocations and pointers behind those nodes.
fn estimated_bytes(document: &ExecutableDocument) -> u64 {
    struct Counter(u64);
    impl std::fmt::Write for Counter {
        fn write_str(&mut self, text: &str) -> std::fmt::Result {
            self.0 += text.len() as u64;
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // Writing to a counter cannot fail, and a failing `Debug` would only undercount.
    let _ = write!(counter, "{document:?}");
    counter.0.saturating_mul(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_weighs_by_every_node_it_holds() {
        let small = async_graphql::parser::parse_query("{ a }").unwrap();
        let nested = async_graphql::parser::parse_query(
            "query { a { b c ...F ... on T { d } } } fragment F on T { e }",
        )
        .unwrap();
        assert!(estimated_bytes(&small) < estimated_bytes(&nested));
        // Arguments weigh as much as selections: thousands of them on one field cannot hide
        // megabytes behind a small weight.
        let arguments = vec!["b: 1"; 10_000].join(" ");
        let many = async_graphql::parser::parse_query(format!("{{ a({arguments}) }}")).unwrap();
        assert!(
            estimated_bytes(&many) > 1_000_000,
            "{}",
            estimated_bytes(&many)
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
