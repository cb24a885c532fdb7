//! `GET /symbols?page=&size=` and `GET /api/symbols/symbols`: the securities master a page at
//! a time, in fastapi-pagination's shape, read through GraphQL's `listings` connection (a
//! numbered page is the page after the cursor of the listing before it).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::{
    Answered, Envelope, ErrorDetail, ErrorEnvelope, Flavor, RestError, ValidationErrorDetail,
    int_param, respond,
};
use crate::graphql::{Caller, MAX_PAGE, listing_cursor_before};
use crate::http::AppState;
use crate::http::graphql::caller;

const SUCCESS: &str = "symbols retrieved";

/// Listings per page when `size` is not given (fastapi-pagination's default).
const DEFAULT_SIZE: i32 = 50;

const DOCUMENT: &str = "query RestSymbols($size: Int!, $after: String) { \
    listings(first: $size, after: $after) { totalCount nodes { symbol name cik exchange } } }";

/// Which page.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number, from 1 (the default).
    #[param(value_type = Option<i32>, minimum = 1)]
    page: Option<String>,
    /// Listings per page: 1 to 100, default 50.
    #[param(value_type = Option<i32>, minimum = 1, maximum = 100)]
    size: Option<String>,
}

/// One page of the securities master, by symbol (fastapi-pagination's `Page`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SymbolPage {
    pub items: Vec<SymbolItem>,
    /// Listings on all pages.
    pub total: i32,
    pub page: i32,
    pub size: i32,
    /// How many pages there are (0 when the master is empty); a page past the last is empty.
    pub pages: i32,
}

/// A listed security, from SEC's company tickers list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SymbolItem {
    #[schema(example = "AAPL")]
    pub symbol: String,
    #[schema(example = "Apple Inc.")]
    pub name: String,
    /// SEC Central Index Key, zero-padded to 10 digits.
    #[schema(example = "0000320193")]
    pub cik: String,
    /// Null when the securities master does not say.
    pub exchange: Option<String>,
}

#[derive(Deserialize)]
struct Answer {
    listings: Listings,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Listings {
    total_count: i32,
    nodes: Vec<SymbolItem>,
}

/// The securities master by symbol, a page at a time.
#[utoipa::path(
    get,
    path = "/symbols",
    tag = "symbols",
    params(PageQuery),
    responses(
        (status = 200, description = "The page", body = SymbolPage),
        (status = 422, description = "`page` or `size` is invalid", body = ValidationErrorDetail),
        (status = 503, description = "At capacity, or the database is unavailable", body = ErrorDetail),
        (status = 504, description = "The request took too long", body = ErrorDetail),
    )
)]
pub async fn symbols(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Response {
    let payload = load(&state, caller(&state, peer, &headers), query).await;
    respond(Flavor::Plain, SUCCESS, payload)
}

/// `/symbols` in the later system's envelope.
#[utoipa::path(
    get,
    path = "/api/symbols/symbols",
    tag = "symbols",
    params(PageQuery),
    responses(
        (status = 200, description = "The page", body = Envelope<SymbolPage>),
        (status = 422, description = "`page` or `size` is invalid", body = ErrorEnvelope),
        (status = 503, description = "At capacity, or the database is unavailable", body = ErrorEnvelope),
        (status = 504, description = "The request took too long", body = ErrorEnvelope),
    )
)]
pub async fn wrapped_symbols(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Response {
    let payload = load(&state, caller(&state, peer, &headers), query).await;
    respond(Flavor::Wrapped, SUCCESS, payload)
}

async fn load(
    state: &AppState,
    caller: Caller,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Answered<SymbolPage>, RestError> {
    let Query(query) = query?;
    let page = int_param("page", query.page.as_deref(), 1, 1..=i32::MAX)?;
    let size = int_param("size", query.size.as_deref(), DEFAULT_SIZE, 1..=MAX_PAGE)?;
    let first_position = (i64::from(page) - 1) * i64::from(size);
    let variables = json!({ "size": size, "after": listing_cursor_before(first_position) });
    let Answered {
        data: Answer { listings },
        reusable,
    } = super::run(state, caller, DOCUMENT, variables).await?;
    let pages = listings
        .total_count
        .unsigned_abs()
        .div_ceil(size.unsigned_abs());
    let data = SymbolPage {
        items: listings.nodes,
        total: listings.total_count,
        page,
        size,
        pages: i32::try_from(pages).unwrap_or(i32::MAX),
    };
    Ok(Answered { data, reusable })
}
