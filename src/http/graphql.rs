//! `/graphql`: POST executes any operation, and only with a JSON body; GET executes queries
//! only (a mutation over GET is 405); a browser's plain GET gets GraphiQL. Answers follow the
//! GraphQL-over-HTTP spec: `application/graphql-response+json` to clients that accept it
//! (and then a refused document is a 400 without `data`), `application/json` to the others;
//! a request without a `query` is a 400.
//!
//! Why JSON only: browsers send `text/plain`, form and multipart POSTs cross-site without a
//! CORS preflight, so accepting them would let any web page run mutations in a visitor's
//! browser. A JSON POST from another origin needs a preflight, which CORS refuses. Reads
//! (GET and POST) may still register a company they ask for, as designed, within the
//! per-client limit.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql_axum::GraphQLRequest;
use async_graphql_axum::rejection::GraphQLRejection;
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use super::{AppState, caching};
use crate::cache::{RequestKey, ResponseDependencies, Turn};
use crate::graphql::{Caller, PersistedQueries, with_loaders};

pub async fn post(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_json(&headers) {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "POST /graphql takes an application/json body",
            "UNSUPPORTED_MEDIA_TYPE",
        );
    }
    // A conditional POST is no cache lookup (RFC 9110 §13.1.2): it is answered in full.
    let reply = Reply {
        if_none_match: None,
        ..Reply::to(&headers)
    };
    // Dashboards send the same bodies again and again: look those up before parsing.
    let key = Some(RequestKey::Post(body.clone()));
    if let Some(cached) = key.as_ref().and_then(|key| state.cache.response(key)) {
        return reply.cacheable(&state, cached);
    }
    let caller = caller(&state, peer, &headers);
    let mut request = Request::new(Body::from(body));
    *request.method_mut() = Method::POST;
    *request.headers_mut() = headers;
    let mut request = match GraphQLRequest::<GraphQLRejection>::from_request(request, &state).await
    {
        Ok(request) => request,
        Err(rejection) => return rejection.into_response(),
    };
    state.persisted.resolve(&mut request.0);
    if lacks_query(&request.0) {
        return missing_query();
    }
    // A mutation is never cached, and identical ones must not wait for each other.
    let key = if may_run(&mut request.0, OperationType::Mutation) {
        None
    } else {
        key
    };
    execute(&state, caller, key, request, &reply).await
}

pub async fn get(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    if state.graphiql && request.uri().query().is_none() && accepts_html(request.headers()) {
        return super::graphiql::page();
    }
    let reply = Reply::to(request.headers());
    // A persisted query's GET names its document by hash: cached like any other.
    let key = request
        .uri()
        .query()
        .map(|query| RequestKey::Get(Bytes::copy_from_slice(query.as_bytes())));
    if let Some(cached) = key.as_ref().and_then(|key| state.cache.response(key)) {
        return reply.cacheable(&state, cached);
    }
    let caller = caller(&state, peer, request.headers());
    let mut request = match GraphQLRequest::<GraphQLRejection>::from_request(request, &state).await
    {
        Ok(request) => request,
        Err(rejection) => return rejection.into_response(),
    };
    state.persisted.resolve(&mut request.0);
    if lacks_query(&request.0) {
        return missing_query();
    }
    if may_run(&mut request.0, OperationType::Mutation) {
        let mut response = error(
            StatusCode::METHOD_NOT_ALLOWED,
            "mutations must be sent with POST",
            "METHOD_NOT_ALLOWED",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    execute(&state, caller, key, request, &reply).await
}

/// True when the operation to run is of type `ty` (or any operation is, if the document has
/// several and none is named). The parsed document stays in the request, so execution does
/// not parse it again; a document that does not parse is left for execution to report.
pub(super) fn may_run(request: &mut async_graphql::Request, ty: OperationType) -> bool {
    let operation_name = request.operation_name.clone();
    let Ok(document) = request.parsed_query() else {
        return false;
    };
    match &document.operations {
        DocumentOperations::Single(operation) => operation.node.ty == ty,
        DocumentOperations::Multiple(operations) => match operation_name.as_deref() {
            Some(name) => operations
                .get(name)
                .is_some_and(|operation| operation.node.ty == ty),
            None => operations.values().any(|operation| operation.node.ty == ty),
        },
    }
}

/// Answers the request within `REQUEST_TIMEOUT_SECS`, counting any wait for an identical
/// request's answer as well as execution; past it, `TIMEOUT`.
async fn execute(
    state: &AppState,
    caller: Caller,
    key: Option<RequestKey>,
    request: GraphQLRequest,
    reply: &Reply,
) -> Response {
    let answering = answer(state, caller, key, request, reply);
    match tokio::time::timeout(state.request_timeout, answering).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(timeout = ?state.request_timeout, "GraphQL request timed out");
            timed_out()
        }
    }
}

/// Executes the request, and caches the answer under `key` (the request's exact bytes) when
/// every resolver allowed that. An identical request already being executed is waited for
/// instead, and its answer served if it could be cached.
async fn answer(
    state: &AppState,
    caller: Caller,
    key: Option<RequestKey>,
    request: GraphQLRequest,
    reply: &Reply,
) -> Response {
    let _computing = match &key {
        Some(key) => match state.cache.turn(key) {
            Turn::Compute(computing) => Some(computing),
            Turn::Wait(waiting) => {
                waiting.wait().await;
                None
            }
        },
        None => None,
    };
    // Another request may have cached the answer since this one first looked.
    if let Some(cached) = key.as_ref().and_then(|key| state.cache.response(key)) {
        return reply.cacheable(state, cached);
    }
    let request = request.into_inner();
    let computed_in = state.cache.generation();
    let dependencies = Arc::new(ResponseDependencies::default());
    let request = with_loaders(
        request,
        &state.db,
        &state.cache,
        &state.registrations,
        &state.limiter,
        caller,
    )
    .data(dependencies.clone());
    let response = state.schema.execute(request).await;
    if reply.media == MediaType::GraphqlResponse && crate::graphql::is_request_error(&response) {
        let refused = serde_json::json!({ "errors": response.errors });
        return (StatusCode::BAD_REQUEST, reply.uncacheable(Json(refused))).into_response();
    }
    let body = match serde_json::to_vec(&response) {
        Ok(body) => Bytes::from(body),
        Err(error) => {
            tracing::error!(%error, "cannot serialize a GraphQL response");
            let internal = crate::graphql::ApiError::Internal;
            return self::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                &internal.to_string(),
                internal.code(),
            );
        }
    };
    // Only a query's answer showing READY companies alone may be reused (`CachePolicy`).
    let cacheable = response.is_ok() && dependencies.cacheable_companies().is_some();
    match key {
        Some(key) if cacheable => {
            state
                .cache
                .fill_response(computed_in, key, body.clone(), &dependencies);
            reply.cacheable(state, body)
        }
        _ => reply.uncacheable(body),
    }
}

/// The answer to a request that ran past its time limit.
pub(super) fn timed_out() -> Response {
    let timeout = crate::graphql::ApiError::Timeout;
    error(
        StatusCode::GATEWAY_TIMEOUT,
        &timeout.to_string(),
        timeout.code(),
    )
}

/// The answer to a request beyond `HTTP_MAX_CONCURRENT_REQUESTS`.
pub(super) fn overloaded() -> Response {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "the server is at capacity; try again shortly",
        "SERVICE_UNAVAILABLE",
    )
}

/// Answers a query document this server wrote itself (the REST and CSV routes) exactly as a
/// JSON `POST /graphql` with `body` is answered: from the response cache when these bytes were
/// answered before, otherwise executed for `caller` (its registration limit) within the
/// request timeout, and cached when every resolver allowed that.
pub(super) async fn answer_query(state: &AppState, caller: Caller, body: Bytes) -> Response {
    let reply = Reply {
        media: MediaType::Json,
        if_none_match: None,
    };
    let key = RequestKey::Post(body.clone());
    if let Some(cached) = state.cache.response(&key) {
        return reply.cacheable(state, cached);
    }
    let mut request = Request::new(Body::from(body));
    *request.method_mut() = Method::POST;
    match GraphQLRequest::<GraphQLRejection>::from_request(request, state).await {
        Ok(request) => execute(state, caller, Some(key), request, &reply).await,
        Err(rejection) => rejection.into_response(),
    }
}

/// A GraphQL-shaped error answer for requests that never reach execution.
fn error(status: StatusCode, message: &str, code: &str) -> Response {
    (
        status,
        Json(serde_json::json!({ "errors": [{
            "message": message,
            "extensions": { "code": code },
        }] })),
    )
        .into_response()
}

/// Whether the request has no document to run: no `query`, and no persisted query's hash.
fn lacks_query(request: &async_graphql::Request) -> bool {
    request.query.trim().is_empty() && !PersistedQueries::named_in(request)
}

/// A request with no document to run (GraphQL over HTTP allows 400 here).
fn missing_query() -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "the request has no `query`",
        "BAD_REQUEST",
    )
}

/// How the client takes its answer: in which media type, and which answers it holds.
struct Reply {
    media: MediaType,
    if_none_match: Option<HeaderValue>,
}

impl Reply {
    fn to(headers: &HeaderMap) -> Self {
        Self {
            media: MediaType::accepted(headers),
            if_none_match: headers.get(header::IF_NONE_MATCH).cloned(),
        }
    }

    /// An answer any client may reuse (only READY companies' data): with its ETag and
    /// `Cache-Control`, and `304 Not Modified` when the client holds it already.
    fn cacheable(&self, state: &AppState, body: Bytes) -> Response {
        let etag = caching::etag(&body, self.media.etag_variant());
        let validators = [
            (header::ETAG, etag.clone()),
            (header::CACHE_CONTROL, state.cacheable_control.clone()),
            (header::VARY, HeaderValue::from_static("accept")),
        ];
        if caching::held(self.if_none_match.as_ref(), &etag) {
            return (StatusCode::NOT_MODIFIED, validators).into_response();
        }
        (validators, self.media.with(body)).into_response()
    }

    /// An answer for this request only: companies on their way, mutations, errors.
    fn uncacheable(&self, body: impl IntoResponse) -> Response {
        (
            [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
            self.media.with(body),
        )
            .into_response()
    }
}

/// What an answer is sent as. GraphQL over HTTP's own media type, to clients that say they
/// accept it; plain JSON to every other client, including those that send no `Accept` or
/// `*/*` (what clients older than the spec expect).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MediaType {
    GraphqlResponse,
    Json,
}

impl MediaType {
    const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

    fn accepted(headers: &HeaderMap) -> Self {
        let accepts_graphql_response = headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .any(|range| {
                let mut parts = range.split(';');
                let media = parts.next().unwrap_or_default().trim();
                let refused = parts
                    .any(|param| matches!(param.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
                media.eq_ignore_ascii_case(Self::GRAPHQL_RESPONSE) && !refused
            });
        if accepts_graphql_response {
            Self::GraphqlResponse
        } else {
            Self::Json
        }
    }

    /// What tells this media type's ETags apart from another's for the same answer.
    fn etag_variant(self) -> &'static str {
        match self {
            Self::GraphqlResponse => "g",
            Self::Json => "j",
        }
    }

    fn with<R: IntoResponse>(self, body: R) -> impl IntoResponse {
        let value = match self {
            Self::GraphqlResponse => Self::GRAPHQL_RESPONSE,
            Self::Json => "application/json",
        };
        (
            [(header::CONTENT_TYPE, HeaderValue::from_static(value))],
            body,
        )
    }
}

/// Identifies the caller: its IP address, and whether it presented the admin token
/// (compared in constant time, so response timing reveals nothing about the token).
pub(super) fn caller(state: &AppState, peer: SocketAddr, headers: &HeaderMap) -> Caller {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    let admin = match (&state.admin_token, presented) {
        (Some(token), Some(presented)) => {
            bool::from(token.expose_secret().as_bytes().ct_eq(presented.as_bytes()))
        }
        _ => false,
    };
    Caller {
        client_ip: client_key(state, peer, headers),
        admin,
    }
}

/// What per-client limits count the caller under (see `limit_key`).
pub(super) fn client_key(state: &AppState, peer: SocketAddr, headers: &HeaderMap) -> String {
    limit_key(client_ip(state, peer, headers))
}

/// The client's address, or for IPv6 its /64 network, which one subscriber usually holds
/// whole, so rotating addresses within it buys nothing.
fn limit_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            let [a, b, c, d, ..] = v6.segments();
            format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
        }
        IpAddr::V6(v6) => v6.to_canonical().to_string(),
        IpAddr::V4(v4) => v4.to_string(),
    }
}

/// The client's IP address, for per-client limits: the TCP peer's, unless the peer is a
/// trusted proxy; then the `X-Forwarded-For` hop nearest to us that is not one (each proxy
/// appends the address it got the request from, so only the trusted tail can be believed).
fn client_ip(state: &AppState, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
    let trusted = |ip: &IpAddr| state.trusted_proxies.iter().any(|net| net.contains(ip));
    if !trusted(&peer.ip()) {
        return peer.ip();
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .rev()
        .map_while(|hop| hop.trim().parse::<IpAddr>().ok())
        .find(|ip| !trusted(ip))
        .unwrap_or(peer.ip())
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"))
}

fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

#[cfg(test)]
mod tests {
    use super::limit_key;

    #[test]
    fn ipv6_clients_are_limited_per_64_network() {
        let key = |ip: &str| limit_key(ip.parse().expect("address"));
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:bbbb::9"), key("2001:db8:1:2:aaaa::1"));
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
        assert_eq!(key("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(key("203.0.113.7"), "203.0.113.7");
    }
}
