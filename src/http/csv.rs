//! CSV export of one statement kind: `GET /companies/{symbol}/{income|balance|cash-flow}.csv`.
//! Read through GraphQL's `company(symbol)` like the REST routes (so TTM is GraphQL's), one
//! period per row, newest first: the period columns, then every line item by its snake_case
//! name, printed exactly as the decimal is (no float, no thousands separator), empty when not
//! reported. Errors are the REST edge's `{"detail"}`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;

use super::AppState;
use super::caching::Reusable;
use super::graphql::caller;
use super::rest::statements::{
    BalanceItems, CashFlowItems, CompanyHead, IncomeItems, LineItems, PeriodColumns, StatementRow,
    company_document, statements,
};
use super::rest::{
    Answered, ErrorDetail, Flavor, ParamIn, Period, RestError, ValidationErrorDetail,
    error_response, int_param, run, symbol_param,
};
use crate::graphql::{ApiError, Caller, MAX_LAST};

/// Statements per file when `last` is not given.
const DEFAULT_LAST: i32 = 20;

/// Which statements to export.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CsvQuery {
    /// `annual` (the default), `quarterly` or `ttm` (trailing twelve months, one window per
    /// fiscal quarter).
    #[param(value_type = Option<String>, pattern = "^(annual|quarterly|ttm)$")]
    period: Option<String>,
    /// Most periods, newest first: 1 to 200, default 20.
    #[param(value_type = Option<i32>, minimum = 1, maximum = 200)]
    last: Option<String>,
}

/// Income statements as CSV.
#[utoipa::path(
    get,
    path = "/companies/{symbol}/income.csv",
    tag = "csv",
    params(("symbol" = String, Path, description = "Ticker symbol, case-insensitive", example = "AAPL"), CsvQuery),
    responses(
        (status = 200, description = "One period per row, newest first", content_type = "text/csv", body = String),
        (status = 404, description = "Not stored yet (now being fetched), not a listed company, or its ingestion failed", body = ErrorDetail),
        (status = 422, description = "A parameter is invalid", body = ValidationErrorDetail),
    )
)]
pub async fn income(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    symbol: Result<Path<String>, PathRejection>,
    query: Result<Query<CsvQuery>, QueryRejection>,
) -> Response {
    let caller = caller(&state, peer, &headers);
    export::<IncomeItems>(&state, caller, "income", symbol, query).await
}

/// Balance sheets as CSV.
#[utoipa::path(
    get,
    path = "/companies/{symbol}/balance.csv",
    tag = "csv",
    params(("symbol" = String, Path, description = "Ticker symbol, case-insensitive", example = "AAPL"), CsvQuery),
    responses(
        (status = 200, description = "One period per row, newest first", content_type = "text/csv", body = String),
        (status = 404, description = "Not stored yet (now being fetched), not a listed company, or its ingestion failed", body = ErrorDetail),
        (status = 422, description = "A parameter is invalid", body = ValidationErrorDetail),
    )
)]
pub async fn balance(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    symbol: Result<Path<String>, PathRejection>,
    query: Result<Query<CsvQuery>, QueryRejection>,
) -> Response {
    let caller = caller(&state, peer, &headers);
    export::<BalanceItems>(&state, caller, "balance", symbol, query).await
}

/// Cash-flow statements as CSV.
#[utoipa::path(
    get,
    path = "/companies/{symbol}/cash-flow.csv",
    tag = "csv",
    params(("symbol" = String, Path, description = "Ticker symbol, case-insensitive", example = "AAPL"), CsvQuery),
    responses(
        (status = 200, description = "One period per row, newest first", content_type = "text/csv", body = String),
        (status = 404, description = "Not stored yet (now being fetched), not a listed company, or its ingestion failed", body = ErrorDetail),
        (status = 422, description = "A parameter is invalid", body = ValidationErrorDetail),
    )
)]
pub async fn cash_flow(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    symbol: Result<Path<String>, PathRejection>,
    query: Result<Query<CsvQuery>, QueryRejection>,
) -> Response {
    let caller = caller(&state, peer, &headers);
    export::<CashFlowItems>(&state, caller, "cash-flow", symbol, query).await
}

/// GraphQL's answer to the document of one kind `I`.
#[derive(Deserialize)]
#[serde(bound = "I: LineItems")]
struct Answer<I> {
    company: AnsweredCompany<I>,
}

#[derive(Deserialize)]
#[serde(bound = "I: LineItems")]
struct AnsweredCompany<I> {
    #[serde(flatten)]
    head: CompanyHead,
    rows: Vec<StatementRow<I>>,
}

/// The CSV of kind `I`, named `{SYMBOL}-{kind}-{period}.csv`, or the error.
async fn export<I: LineItems>(
    state: &AppState,
    caller: Caller,
    kind: &str,
    symbol: Result<Path<String>, PathRejection>,
    query: Result<Query<CsvQuery>, QueryRejection>,
) -> Response {
    let file = match file::<I>(state, caller, kind, symbol, query).await {
        Ok(file) => file,
        Err(error) => return error_response(Flavor::Plain, &error),
    };
    let Ok(disposition) = HeaderValue::try_from(format!("attachment; filename=\"{}\"", file.name))
    else {
        // The name is a validated symbol and fixed words, always a valid header value.
        return error_response(Flavor::Plain, &ApiError::Internal.into());
    };
    let content_type = HeaderValue::from_static("text/csv; charset=utf-8");
    let mut response = (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        file.body,
    )
        .into_response();
    if file.reusable {
        response.extensions_mut().insert(Reusable);
    }
    response
}

struct CsvFile {
    name: String,
    body: Vec<u8>,
    reusable: bool,
}

async fn file<I: LineItems>(
    state: &AppState,
    caller: Caller,
    kind: &str,
    symbol: Result<Path<String>, PathRejection>,
    query: Result<Query<CsvQuery>, QueryRejection>,
) -> Result<CsvFile, RestError> {
    let Path(symbol) = symbol?;
    let symbol = symbol_param(ParamIn::Path, Some(&symbol))?;
    let Query(query) = query?;
    let period = Period::param(
        query.period.as_deref(),
        &[Period::Annual, Period::Quarterly, Period::Ttm],
    )?;
    let last = int_param("last", query.last.as_deref(), DEFAULT_LAST, 1..=MAX_LAST)?;
    let document = company_document("RestCsv", &[statements::<I>("rows")]);
    let variables = json!({ "symbol": symbol.as_str(), "period": period.graphql(), "last": last });
    let Answered {
        data: Answer::<I> { company },
        reusable,
    } = run(state, caller, &document, variables).await?;
    company.head.ensure_ready()?;
    Ok(CsvFile {
        name: format!("{}-{kind}-{}.csv", company.head.symbol, period.as_str()),
        body: write_csv(&company.rows)?,
        reusable,
    })
}

/// RFC 4180 CSV (CRLF line ends, quoted only where needed): the header row, then `rows`.
fn write_csv<I: LineItems>(rows: &[StatementRow<I>]) -> Result<Vec<u8>, RestError> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let header = PeriodColumns::NAMES.iter().chain(I::NAMES);
    writer.write_record(header).map_err(csv_error)?;
    for row in rows {
        let mut cells = row.period.cells().to_vec();
        cells.extend(
            row.items
                .values()
                .into_iter()
                .map(|value| value.map(|decimal| decimal.to_string()).unwrap_or_default()),
        );
        writer.write_record(&cells).map_err(csv_error)?;
    }
    writer
        .into_inner()
        .map_err(|error| csv_error(error.into_error()))
}

/// Writing to memory fails only on a bug (a record of the wrong length, …).
fn csv_error(error: impl std::fmt::Display) -> RestError {
    tracing::error!(%error, "writing CSV");
    ApiError::Internal.into()
}
