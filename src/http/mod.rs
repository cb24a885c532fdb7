//! HTTP transport (axum): the route table, GraphQL endpoint, GraphiQL, subscriptions over
//! graphql-ws (`/graphql/ws`), the dashboard, the earlier system's REST API and the CSV export
//! (both answered through GraphQL), health probes, metrics, with request tracing, CORS and a
//! body size limit around them.

mod caching;
mod csv;
mod dashboard;
mod graphiql;
mod graphql;
mod health;
mod rest;
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

use axum::response::Response;
use tokio::sync::Semaphore;
use tower::limit::GlobalConcurrencyLimitLayer;

use crate::cache::ReadCache;
use crate::config::HttpSettings;
use crate::db::{Db, ReadinessProbe};
use crate::graphql::{AppSchema, PersistedQueries, RegistrationLimiter};
use crate::registration::Registrations;
use crate::telemetry::traces;

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
    let state = Arc::new(state);
    // One set of slots for every route that executes GraphQL (`/graphql`, REST, CSV), so
    // `HTTP_MAX_CONCURRENT_REQUESTS` bounds them together.
    let slots = Arc::new(Semaphore::new(
        usize::try_from(settings.max_concurrent_requests)
            .unwrap_or(usize::MAX)
            .min(Semaphore::MAX_PERMITS),
    ));
    let graphql = Router::new().route("/graphql", get(graphql::get).post(graphql::post));
    let routes = shed_load(graphql, &slots, graphql::overloaded)
        .merge(rest_routes(&state, &slots))
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
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .with_state(state)
}

/// Each request's span: exported (at INFO) when traces are, continuing the caller's trace
/// from its `traceparent` header; otherwise a DEBUG span for the logs, as tower-http's own.
fn request_span(request: &axum::extract::Request) -> tracing::Span {
    let method = request.method();
    let path = request.uri().path();
    if !traces::exporting() {
        return tracing::debug_span!("http_request", %method, path);
    }
    let span = tracing::info_span!("http_request", %method, path);
    let headers = request.headers();
    traces::continue_trace(&span, |name| {
        headers.get(name).and_then(|value| value.to_str().ok())
    });
    span
}

/// The earlier system's REST API, its OpenAPI document and the CSV export; refusals beyond
/// the concurrency limit are answered in each route's own error shape, and answers are
/// cached by HTTP as `/graphql`'s are.
fn rest_routes(state: &Arc<AppState>, slots: &Arc<Semaphore>) -> Router<Arc<AppState>> {
    let plain = Router::new()
        .route("/financials", get(rest::financials))
        .route("/symbols", get(rest::symbols))
        .route("/companies/{symbol}/income.csv", get(csv::income))
        .route("/companies/{symbol}/balance.csv", get(csv::balance))
        .route("/companies/{symbol}/cash-flow.csv", get(csv::cash_flow));
    let wrapped = Router::new()
        .route(
            "/api/financials/financials/{symbol}",
            get(rest::wrapped_financials),
        )
        .route("/api/symbols/symbols", get(rest::wrapped_symbols));
    shed_load(plain, slots, rest::overloaded)
        .merge(shed_load(wrapped, slots, rest::wrapped_overloaded))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            caching::reusable_answers,
        ))
        .route("/openapi.json", get(rest::openapi))
}

/// Sheds load at the door: a request finding every one of `slots` taken is answered
/// `refusal` at once rather than queued for the database pool, where it would only time out.
fn shed_load(
    routes: Router<Arc<AppState>>,
    slots: &Arc<Semaphore>,
    refusal: fn() -> Response,
) -> Router<Arc<AppState>> {
    routes.layer(
        tower::ServiceBuilder::new()
            .layer(HandleErrorLayer::new(
                move |_: tower::BoxError| async move { refusal() },
            ))
            .load_shed()
            .layer(GlobalConcurrencyLimitLayer::with_semaphore(slots.clone())),
    )
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
