//! `GET /financials?symbol=` and `GET /api/financials/financials/{symbol}`: a company's three
//! statements, newest first, read through GraphQL's `company(symbol)` (which registers a
//! company not stored yet, as the earlier system meant to).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::statements::{
    BalanceItems, CashFlowItems, CompanyHead, FiscalPeriod, IncomeItems, StatementRow,
    company_document, statements,
};
use super::{
    Answered, Envelope, ErrorDetail, ErrorEnvelope, Flavor, ParamIn, Period, RestError,
    ValidationErrorDetail, int_param, respond, symbol_param,
};
use crate::domain::Symbol;
use crate::graphql::{Caller, MAX_LAST};
use crate::http::AppState;
use crate::http::graphql::caller;

const SUCCESS: &str = "financial statements retrieved";

/// `/financials`'s company.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SymbolQuery {
    /// Ticker symbol, case-insensitive: 1 to 10 of `A-Z`, `0-9`, `.` and `-`.
    #[param(required = true, value_type = String, example = "AAPL")]
    symbol: Option<String>,
}

/// Which statements to serve.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FinancialsQuery {
    /// `annual` (the default) or `quarterly`.
    #[param(value_type = Option<String>, pattern = "^(annual|quarterly)$")]
    period: Option<String>,
    /// Most statements of each kind, newest first: 1 to 200, default 200 (all a company has,
    /// for annual ones).
    #[param(value_type = Option<i32>, minimum = 1, maximum = 200)]
    limit: Option<String>,
}

/// A company's statements, each list newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct Financials {
    pub income_statement: Vec<FinancialRow<IncomeItems>>,
    pub balance_sheet: Vec<FinancialRow<BalanceItems>>,
    pub cash_flow: Vec<FinancialRow<CashFlowItems>>,
}

/// One statement: which company and period, the filing its figures come from, then its line
/// items by their snake_case names (exact decimals in strings; null when not reported).
#[derive(Debug, Serialize, ToSchema)]
pub struct FinancialRow<I> {
    #[serde(flatten)]
    pub head: RowHead,
    #[serde(flatten)]
    pub items: I,
}

/// The fields every statement row starts with.
#[derive(Debug, Serialize, ToSchema)]
pub struct RowHead {
    #[schema(example = "AAPL")]
    pub symbol: String,
    /// The period's last day (a balance sheet's date).
    pub date: NaiveDate,
    pub fiscal_year: i32,
    /// `FY`, or `Q1` to `Q4`.
    pub period: FiscalPeriod,
    pub filed_at: NaiveDate,
    /// The SEC form the figures were taken from (10-K, 10-Q, 10-K/A, …).
    pub form: String,
    /// Accession number of the source filing on SEC EDGAR.
    pub accession_number: String,
}

impl RowHead {
    fn new<I>(symbol: &str, row: &StatementRow<I>) -> Self {
        let period = &row.period;
        Self {
            symbol: symbol.to_owned(),
            date: period.period_end,
            fiscal_year: period.fiscal_year,
            period: period.fiscal_period,
            filed_at: period.filed_at,
            form: period.form.clone(),
            accession_number: period.accession_number.clone(),
        }
    }
}

/// GraphQL's answer to `document()`.
#[derive(Deserialize)]
struct Answer {
    company: AnsweredCompany,
}

#[derive(Deserialize)]
struct AnsweredCompany {
    #[serde(flatten)]
    head: CompanyHead,
    income_statement: Vec<StatementRow<IncomeItems>>,
    balance_sheet: Vec<StatementRow<BalanceItems>>,
    cash_flow: Vec<StatementRow<CashFlowItems>>,
}

fn document() -> String {
    company_document(
        "RestFinancials",
        &[
            statements::<IncomeItems>("income_statement"),
            statements::<BalanceItems>("balance_sheet"),
            statements::<CashFlowItems>("cash_flow"),
        ],
    )
}

/// A company's income statements, balance sheets and cash-flow statements, newest first. A
/// company not stored yet is registered and answers 404 while it is fetched.
#[utoipa::path(
    get,
    path = "/financials",
    tag = "financials",
    params(SymbolQuery, FinancialsQuery),
    responses(
        (status = 200, description = "The statements", body = Financials),
        (status = 404, description = "Not stored yet (now being fetched), not a listed company, or its ingestion failed", body = ErrorDetail),
        (status = 422, description = "A parameter is missing or invalid", body = ValidationErrorDetail),
        (status = 429, description = "Too many new registrations from this client", body = ErrorDetail),
        (status = 503, description = "At capacity, or the database is unavailable", body = ErrorDetail),
        (status = 504, description = "The request took too long", body = ErrorDetail),
    )
)]
pub async fn financials(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    symbol: Result<Query<SymbolQuery>, QueryRejection>,
    options: Result<Query<FinancialsQuery>, QueryRejection>,
) -> Response {
    let payload = async {
        let Query(symbol) = symbol?;
        let symbol = symbol_param(ParamIn::Query, symbol.symbol.as_deref())?;
        let Query(options) = options?;
        load(&state, caller(&state, peer, &headers), &symbol, &options).await
    };
    respond(Flavor::Plain, SUCCESS, payload.await)
}

/// `/financials` in the later system's envelope, with the symbol in the path.
#[utoipa::path(
    get,
    path = "/api/financials/financials/{symbol}",
    tag = "financials",
    params(
        ("symbol" = String, Path, description = "Ticker symbol, case-insensitive", example = "AAPL"),
        FinancialsQuery,
    ),
    responses(
        (status = 200, description = "The statements", body = Envelope<Financials>),
        (status = 404, description = "Not stored yet (now being fetched), not a listed company, or its ingestion failed", body = ErrorEnvelope),
        (status = 422, description = "A parameter is invalid", body = ErrorEnvelope),
        (status = 429, description = "Too many new registrations from this client", body = ErrorEnvelope),
        (status = 503, description = "At capacity, or the database is unavailable", body = ErrorEnvelope),
        (status = 504, description = "The request took too long", body = ErrorEnvelope),
    )
)]
pub async fn wrapped_financials(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    symbol: Result<Path<String>, PathRejection>,
    options: Result<Query<FinancialsQuery>, QueryRejection>,
) -> Response {
    let payload = async {
        let Path(symbol) = symbol?;
        let symbol = symbol_param(ParamIn::Path, Some(&symbol))?;
        let Query(options) = options?;
        load(&state, caller(&state, peer, &headers), &symbol, &options).await
    };
    respond(Flavor::Wrapped, SUCCESS, payload.await)
}

async fn load(
    state: &AppState,
    caller: Caller,
    symbol: &Symbol,
    options: &FinancialsQuery,
) -> Result<Answered<Financials>, RestError> {
    let period = Period::param(
        options.period.as_deref(),
        &[Period::Annual, Period::Quarterly],
    )?;
    let last = int_param("limit", options.limit.as_deref(), MAX_LAST, 1..=MAX_LAST)?;
    let variables = json!({ "symbol": symbol.as_str(), "period": period.graphql(), "last": last });
    let Answered {
        data: Answer { company },
        reusable,
    } = super::run(state, caller, &document(), variables).await?;
    company.head.ensure_ready()?;
    let symbol = &company.head.symbol;
    let data = Financials {
        income_statement: rows(symbol, company.income_statement),
        balance_sheet: rows(symbol, company.balance_sheet),
        cash_flow: rows(symbol, company.cash_flow),
    };
    Ok(Answered { data, reusable })
}

fn rows<I>(symbol: &str, answered: Vec<StatementRow<I>>) -> Vec<FinancialRow<I>> {
    answered
        .into_iter()
        .map(|row| FinancialRow {
            head: RowHead::new(symbol, &row),
            items: row.items,
        })
        .collect()
}
