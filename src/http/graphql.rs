//! `/graphql`: POST executes any operation, and only with a JSON body; GET executes queries
//! only (a mutation over GET is 405); a browser's plain GET gets GraphiQL.
//!
//! Why JSON only: browsers send `text/plain`, form and multipart POSTs cross-site without a
//! CORS preflight, so accepting them would let any web page run mutations in a visitor's
//! browser. A JSON POST from another origin needs a preflight, which CORS refuses. Reads
//! (GET and POST) may still register a company they ask for, as designed, within the
//! per-client limit.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql_axum::rejection::GraphQLRejection;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use super::AppState;
use crate::cache::{RequestKey, ResponseDependencies, Turn};
use crate::graphql::{Caller, with_loaders};

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
    // Dashboards send the same bodies again and again: look those up before parsing.
    let key = Some(RequestKey::Post(body.clone()));
    if let Some(cached) = key.as_ref().and_then(|key| state.cache.response(key)) {
        return json(cached);
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
    // A mutation is never cached, and identical ones must not wait for each other.
    let key = if may_run(&mut request.0, OperationType::Mutation) {
        None
    } else {
        key
    };
    execute(&state, caller, key, request).await
}

pub async fn get(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    if state.graphiql && request.uri().query().is_none() && accepts_html(request.headers()) {
        return super::graphiql::page();
    }
    let key = request
        .uri()
        .query()
        .map(|query| RequestKey::Get(Bytes::copy_from_slice(query.as_bytes())));
    if let Some(cached) = key.as_ref().and_then(|key| state.cache.response(key)) {
        return json(cached);
    }
    let caller = caller(&state, peer, request.headers());
    let mut request = match GraphQLRequest::<GraphQLRejection>::from_request(request, &state).await
    {
        Ok(request) => request,
        Err(rejection) => return rejection.into_response(),
    };
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
    execute(&state, caller, key, request).await
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

/// Executes the request, and caches the answer under `key` (the request's exact bytes) when
/// every resolver allowed that. An identical request already being executed is waited for
/// instead, and its answer served if it could be cached.
async fn execute(
    state: &AppState,
    caller: Caller,
    key: Option<RequestKey>,
    request: GraphQLRequest,
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
        return json(cached);
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
    let Ok(response) =
        tokio::time::timeout(state.request_timeout, state.schema.execute(request)).await
    else {
        tracing::warn!(timeout = ?state.request_timeout, "GraphQL request timed out");
        let timeout = crate::graphql::ApiError::Timeout;
        return error(
            StatusCode::GATEWAY_TIMEOUT,
            &timeout.to_string(),
            timeout.code(),
        );
    };
    if !response.is_ok() {
        return GraphQLResponse::from(response).into_response();
    }
    match serde_json::to_vec(&response) {
        Ok(body) => {
            let body = Bytes::from(body);
            if let Some(key) = key {
                state
                    .cache
                    .fill_response(computed_in, key, body.clone(), &dependencies);
            }
            json(body)
        }
        Err(_) => GraphQLResponse::from(response).into_response(),
    }
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
    let key = RequestKey::Post(body.clone());
    if let Some(cached) = state.cache.response(&key) {
        return json(cached);
    }
    let mut request = Request::new(Body::from(body));
    *request.method_mut() = Method::POST;
    match GraphQLRequest::<GraphQLRejection>::from_request(request, state).await {
        Ok(request) => execute(state, caller, Some(key), request).await,
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

fn json(body: Bytes) -> Response {
    (
        [(header::CONTENT_TYPE, "application/graphql-response+json")],
        body,
    )
        .into_response()
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
