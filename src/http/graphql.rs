//! `/graphql`: POST and GET execute queries; a browser's plain GET gets GraphiQL.

use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};

use super::AppState;
use crate::graphql::with_loaders;

pub async fn post(State(state): State<AppState>, request: GraphQLRequest) -> GraphQLResponse {
    execute(&state, request).await
}

pub async fn get(State(state): State<AppState>, request: Request) -> Response {
    if request.uri().query().is_none() && accepts_html(request.headers()) {
        return Html(
            GraphiQLSource::build()
                .endpoint("/graphql")
                .title("Finstage Market Data")
                .finish(),
        )
        .into_response();
    }
    match GraphQLRequest::<_>::from_request(request, &state).await {
        Ok(request) => execute(&state, request).await.into_response(),
        Err(rejection) => rejection.into_response(),
    }
}

async fn execute(state: &AppState, request: GraphQLRequest) -> GraphQLResponse {
    let request = with_loaders(request.into_inner(), &state.db);
    state.schema.execute(request).await.into()
}

fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}
