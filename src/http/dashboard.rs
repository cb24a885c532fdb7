//! The dashboard: the single-page app built from `web/` (see `web/README.md`), embedded in
//! the binary from `web/dist/`, so `cargo build` never needs node. Its pages' paths all answer
//! the app's HTML, so a deep link works on reload; its hashed assets are cached for a year.

use axum::body::Body;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::{Embed, EmbeddedFile};

#[derive(Embed)]
#[folder = "web/dist/"]
struct Dist;

/// The app loads nothing but its own files and talks only to this origin (`'self'` covers
/// the same-origin websocket in CSP 3); no inline script or style is allowed.
const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; font-src 'self'; connect-src 'self'; manifest-src 'self'; \
    base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The app's HTML, for `/`, `/companies/{symbol}` and `/compare`: revalidated on every load
/// (its ETag answers `304`), so a new build reaches browsers at once.
pub async fn page(headers: HeaderMap) -> Response {
    match Dist::get("index.html") {
        Some(file) => serve(&file, &headers, "no-cache"),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `/assets/{file}`: the build names each file by its content's hash, so it never changes.
pub async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    match Dist::get(&format!("assets/{file}")) {
        Some(found) => serve(&found, &headers, "public, max-age=31536000, immutable"),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `/favicon.svg`, not content-hashed: a day.
pub async fn favicon(headers: HeaderMap) -> Response {
    match Dist::get("favicon.svg") {
        Some(file) => serve(&file, &headers, "public, max-age=86400"),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn serve(file: &EmbeddedFile, headers: &HeaderMap, cache_control: &'static str) -> Response {
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..16]));
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag));
    let etag = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\""));
    let common = [
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static(cache_control),
        ),
        (header::ETAG, etag),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_CSP),
        ),
    ];
    if fresh {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    let content_type = HeaderValue::from_str(file.metadata.mimetype())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    (
        common,
        [(header::CONTENT_TYPE, content_type)],
        Body::from(file.data.clone()),
    )
        .into_response()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
