//! Runs a GraphQL document for this edge through `/graphql`'s own path (response cache keyed
//! by the request's bytes, the caller's registration limit, the request timeout) and reads the
//! answer: its `data` as a typed value, or its first error as a `RestError` by
//! `extensions.code`.

use axum::body::Bytes;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::RestError;
use crate::graphql::{ApiError, Caller};
use crate::http::AppState;
use crate::http::graphql::answer_query;

/// A GraphQL answer, as `/graphql` sends it.
#[derive(Deserialize)]
struct Answer<T> {
    data: Option<T>,
    #[serde(default)]
    errors: Vec<AnswerError>,
}

#[derive(Deserialize)]
struct AnswerError {
    message: String,
    #[serde(default)]
    extensions: Option<Extensions>,
}

#[derive(Deserialize)]
struct Extensions {
    code: Option<String>,
}

/// GraphQL's `data`, and whether any client may reuse it (only READY companies' data).
pub struct Answered<T> {
    pub data: T,
    pub reusable: bool,
}

/// Answers `document` with `variables` for `caller` as `POST /graphql` would, and returns its
/// `data`.
pub async fn run<T: DeserializeOwned>(
    state: &AppState,
    caller: Caller,
    document: &str,
    variables: Value,
) -> Result<Answered<T>, RestError> {
    let body = serde_json::to_vec(&json!({ "query": document, "variables": variables }))
        .map_err(|error| internal("encoding the GraphQL request", &error))?;
    let response = answer_query(state, caller, Bytes::from(body)).await;
    // `/graphql` tags exactly the answers it lets clients reuse.
    let reusable = response.headers().contains_key(axum::http::header::ETAG);
    // The body is the answer already in memory (the cache's bytes, or just serialized).
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .map_err(|error| internal("reading the GraphQL answer", &error))?;
    let answer: Answer<T> = serde_json::from_slice(&body)
        .map_err(|error| internal("decoding the GraphQL answer", &error))?;
    if let Some(error) = answer.errors.into_iter().next() {
        return Err(from_graphql(error));
    }
    let data = answer
        .data
        .ok_or_else(|| internal("reading the GraphQL answer", &"no data and no error"))?;
    Ok(Answered { data, reusable })
}

/// The error GraphQL reported, by its stable code. `INTERNAL_SERVER_ERROR` was logged where it
/// arose; any code of the document itself (it failed to parse or validate) is a bug of this
/// edge, logged here.
fn from_graphql(error: AnswerError) -> RestError {
    let code = error
        .extensions
        .and_then(|extensions| extensions.code)
        .unwrap_or_default();
    match ApiError::from_code(&code, &error.message) {
        Some(api) => RestError::Graphql(api),
        None => {
            tracing::error!(
                code,
                message = error.message,
                "GraphQL refused a REST document"
            );
            RestError::Graphql(ApiError::Internal)
        }
    }
}

fn internal(doing: &str, error: &dyn std::fmt::Display) -> RestError {
    tracing::error!(%error, "{doing}");
    RestError::Graphql(ApiError::Internal)
}
