//! HTTP transport (axum): the route table, GraphQL endpoint, GraphiQL, subscriptions over
//! graphql-ws (`/graphql/ws`), the dashboard, health probes, metrics, with request tracing,
//! CORS and a body size limit around them.

mod dashboard;
mod graphiql;
mod graphql;
mod health;
mod serve;
mod websocket;

pub use serve::serve;
pub use websocket::SocketSlots;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::http::{HeaderValue, header};
use axum::routing::get;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use metrics_exporter_prometheus::PrometheusHandle;
use secrecy::SecretString;

use crate::cache::ReadCache;
use crate::config::HttpSettings;
use crate::db::{Db, ReadinessProbe};
use crate::graphql::{AppSchema, PersistedQueries, RegistrationLimiter};
use crate::registration::Registrations;

/// Largest request body accepted; a 100-symbol query is about 3 KiB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Shared by every handler, behind one `Arc`: axum hands each request its own copy of the
/// router state, and copying this struct field by field cost a tenth of a warm request.
pub struct AppState {
    pub db: Db,
    pub readiness: ReadinessProbe,
    /// The relay's and result listener's health, reported by `/readyz`.
    pub transport: Arc<crate::startup::TransportHealth>,
    /// How long one GraphQL request may run before it is answered `TIMEOUT`.
    pub request_timeout: Duration,
    /// Origins allowed to call from a browser, also checked on websocket upgrades.
    pub cors_allowed_origins: Vec<String>,
    pub sockets: Arc<SocketSlots>,
    pub registrations: Registrations,
    pub limiter: Arc<RegistrationLimiter>,
    /// Whether `GET /graphql` serves GraphiQL to browsers.
    pub graphiql: bool,
    /// Proxies whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`).
    pub trusted_proxies: Arc<[ipnet::IpNet]>,
    pub cache: Arc<ReadCache>,
    pub schema: AppSchema,
    /// `Cache-Control` of answers any client may reuse (`HTTP_CACHE_MAX_AGE_SECS`).
    pub cacheable_control: HeaderValue,
    /// Documents registered by Apollo clients' automatic persisted queries.
    pub persisted: PersistedQueries,
    pub admin_token: Option<SecretString>,
    pub metrics: Option<PrometheusHandle>,
}

pub fn router(state: AppState, settings: &HttpSettings) -> Router {
    let max_concurrent = usize::try_from(settings.max_concurrent_requests).unwrap_or(usize::MAX);
    let routes = Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        // Shed load at the door: beyond the limit a request is refused at once rather than
        // queued for the database pool, where it would only time out.
        .layer(
            tower::ServiceBuilder::new()
                .layer(HandleErrorLayer::new(|_: tower::BoxError| async {
                    graphql::overloaded()
                }))
                .load_shed()
                .concurrency_limit(max_concurrent),
        )
        .route("/graphql/ws", get(websocket::upgrade))
        .route("/graphiql/{file}", get(graphiql::asset))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .merge(dashboard_routes());
    with_security_headers(routes)
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        // A backstop for every route, answering the same `TIMEOUT` GraphQL answers itself a
        // second earlier.
        .layer(
            tower::ServiceBuilder::new()
                .layer(HandleErrorLayer::new(|_: tower::BoxError| async {
                    graphql::timed_out()
                }))
                .timeout(state.request_timeout + Duration::from_secs(1)),
        )
        .layer(cors(&settings.cors_allowed_origins))
        .layer(TraceLayer::new_for_http())
        .with_state(Arc::new(state))
}

/// The dashboard's pages (each answers the app, which routes in the browser) and its files,
/// compressed: its bundle shrinks to about a third.
fn dashboard_routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(dashboard::page))
        .route("/companies/{symbol}", get(dashboard::page))
        .route("/compare", get(dashboard::page))
        .route("/assets/{file}", get(dashboard::asset))
        .route("/favicon.svg", get(dashboard::favicon))
        .layer(CompressionLayer::new())
}

/// On every response that does not set its own: no MIME sniffing, no framing, no referrer,
/// and a CSP that allows nothing (API answers are data, never a page).
const SECURITY_HEADERS: [(header::HeaderName, &str); 4] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "no-referrer"),
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; frame-ancestors 'none'",
    ),
];

fn with_security_headers<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    SECURITY_HEADERS
        .into_iter()
        .fold(router, |router, (name, value)| {
            router.layer(SetResponseHeaderLayer::if_not_present(
                name,
                HeaderValue::from_static(value),
            ))
        })
}

fn cors(allowed_origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = allowed_origins
        .iter()
        .map(|origin| origin.trim())
        .filter(|origin| !origin.is_empty())
        .filter_map(|origin| HeaderValue::from_str(origin).ok())
        .collect();
    let allow_origin = if origins.iter().any(|origin| origin == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins)
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods(Any)
        .allow_headers(Any)
}
