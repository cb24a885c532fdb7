//! HTTP caching of answers any client may reuse (data of READY companies only, as the response
//! cache decides): a strong ETag over the bytes sent, `Cache-Control` from
//! `HTTP_CACHE_MAX_AGE_SECS`, and `304 Not Modified` to a GET whose `If-None-Match` holds the
//! tag. Every other answer is `no-store`. `/graphql` applies it per request; the REST and CSV
//! routes through `reusable_answers`, to the answers their handlers mark `Reusable`.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;

/// Marks a REST or CSV answer made only of reusable GraphQL data.
#[derive(Debug, Clone, Copy)]
pub struct Reusable;

/// A strong validator of `body` as sent in `variant` (its media type): a fast hash of its
/// bytes, the same on every gateway.
pub fn etag(body: &[u8], variant: &str) -> HeaderValue {
    let tag = format!("\"{:032x}-{variant}\"", xxhash_rust::xxh3::xxh3_128(body));
    HeaderValue::from_str(&tag).unwrap_or(HeaderValue::from_static("\"\""))
}

/// Whether `If-None-Match` names `etag` (or `*`); compared weakly, as RFC 9110 asks.
pub fn held(if_none_match: Option<&HeaderValue>, etag: &HeaderValue) -> bool {
    if_none_match
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .map(|tag| tag.trim().trim_start_matches("W/"))
                .any(|tag| tag == "*" || tag.as_bytes() == etag.as_bytes())
        })
}

/// The REST and CSV routes' caching: a `200` marked `Reusable` gets its ETag and
/// `Cache-Control` (or becomes a `304` the client holds already); every other answer is
/// `no-store`, so a "being fetched" 404 is never kept.
pub async fn reusable_answers(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let response = next.run(request).await;
    if response.status() != StatusCode::OK || response.extensions().get::<Reusable>().is_none() {
        return no_store(response);
    }
    let (mut parts, body) = response.into_parts();
    // The handlers' answers are in memory already.
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return no_store(StatusCode::INTERNAL_SERVER_ERROR.into_response());
    };
    let variant = if is_csv(&parts.headers) { "c" } else { "j" };
    let etag = etag(&bytes, variant);
    let validators = [
        (header::ETAG, etag.clone()),
        (header::CACHE_CONTROL, state.cacheable_control.clone()),
    ];
    if held(if_none_match.as_ref(), &etag) {
        return (StatusCode::NOT_MODIFIED, validators).into_response();
    }
    parts.headers.extend(validators);
    Response::from_parts(parts, Body::from(bytes))
}

fn is_csv(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"text/csv"))
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
