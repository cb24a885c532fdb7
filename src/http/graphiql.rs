//! GraphiQL, served from the binary: `assets/graphiql/` holds GraphiQL 3.9 and React 18 as
//! published on npm (provenance and licenses in its `LICENSES.md`), so the page loads no
//! script from a CDN, works offline, and runs under a CSP that allows only this origin.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;

const PAGE: &str = include_str!("../../assets/graphiql/index.html");

/// `data:` fonts are GraphiQL's own, embedded in its stylesheet.
const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    font-src 'self' data:; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
    frame-ancestors 'none'; form-action 'none'";

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// The files `index.html` references, at `/graphiql/{name}`.
const ASSETS: [(&str, &str, &[u8]); 6] = [
    (
        "react.production.min.js",
        JAVASCRIPT,
        include_bytes!("../../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        JAVASCRIPT,
        include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    ),
    (
        "graphiql.min.js",
        JAVASCRIPT,
        include_bytes!("../../assets/graphiql/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        CSS,
        include_bytes!("../../assets/graphiql/graphiql.min.css"),
    ),
    (
        "graphiql.js",
        JAVASCRIPT,
        include_bytes!("../../assets/graphiql/graphiql.js"),
    ),
    (
        "graphiql-page.css",
        CSS,
        include_bytes!("../../assets/graphiql/graphiql-page.css"),
    ),
];

pub fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, PAGE_CSP),
        ],
        PAGE,
    )
        .into_response()
}

pub async fn asset(State(state): State<Arc<AppState>>, Path(name): Path<String>) -> Response {
    let found = ASSETS.iter().find(|(file, _, _)| *file == name);
    match found {
        Some((_, content_type, body)) if state.graphiql => (
            [
                (header::CONTENT_TYPE, *content_type),
                // Versioned with the binary; a day keeps reloads cheap and upgrades visible.
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            *body,
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}
