//! `/graphql`: POST and GET execute queries; a browser's plain GET gets GraphiQL.

use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequest, Request, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use super::AppState;
use crate::graphql::{Caller, with_loaders};

pub async fn post(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> GraphQLResponse {
    let caller = caller(&state, peer, &headers);
    execute(&state, caller, request).await
}

pub async fn get(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    if request.uri().query().is_none() && accepts_html(request.headers()) {
        return Html(
            GraphiQLSource::build()
                .endpoint("/graphql")
                .title("Finstage Market Data")
                .finish(),
        )
        .into_response();
    }
    let caller = caller(&state, peer, request.headers());
    match GraphQLRequest::<_>::from_request(request, &state).await {
        Ok(request) => execute(&state, caller, request).await.into_response(),
        Err(rejection) => rejection.into_response(),
    }
}

async fn execute(state: &AppState, caller: Caller, request: GraphQLRequest) -> GraphQLResponse {
    let request = with_loaders(request.into_inner(), &state.db).data(caller);
    state.schema.execute(request).await.into()
}

/// Identifies the caller: its IP address, and whether it presented the admin token
/// (compared in constant time, so response timing reveals nothing about the token).
fn caller(state: &AppState, peer: SocketAddr, headers: &HeaderMap) -> Caller {
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
        client: peer.ip().to_string(),
        admin,
    }
}

fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}
