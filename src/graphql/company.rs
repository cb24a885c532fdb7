//! `company`, `companies` and the `Company` type with its batch-loaded statements.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache};
use async_graphql::{ContainerType, Context, ID, Object, OutputType, ResultExt, SimpleObject};

use super::ApiError;
use super::loaders::{CompanyLoader, Registered, Registrar, StatementLoader};
use super::metrics::Metrics;
use super::node;
use super::plan::{RequestPlan, StatementField};
use super::registration::{Registration, load_registration};
use super::request::record_company;
use crate::analytics::series::{Periodic, QuarterRef, SeriesRow, series};
use crate::db::companies::CompanyRecord;
use crate::domain::{
    BalanceSheetItems, CashFlowItems, CompanyStatus, FiscalPeriod, IncomeStatementItems,
    PeriodKind, Statement, StatementFilter, StatementPeriod, Symbol, Timestamp,
};

const RATE_LIMITED_REASON: &str =
    "too many new registrations from this client; ask again in a minute";

/// What looking one company up costs towards `MAX_COMPLEXITY` beyond its fields: lookups are
/// batched, but each may register a company.
pub const LOOKUP_COST: usize = 10;

/// Most symbols one `companies` query may ask for.
pub const MAX_SYMBOLS: usize = 100;
/// Most statements one statement field may return (50 years of quarters).
pub const MAX_LAST: i32 = 200;
/// How many statements a statement field returns when `last` is not given.
pub const DEFAULT_LAST: i32 = 5;

#[derive(Default)]
pub struct CompanyQuery;

#[Object]
impl CompanyQuery {
    /// A company by ticker symbol (case-insensitive). A company not in the database yet
    /// answers at once with status `PENDING` (or `RATE_LIMITED`, past the client's limit of
    /// new registrations).
    #[graphql(complexity = "LOOKUP_COST + child_complexity")]
    async fn company(&self, ctx: &Context<'_>, symbol: String) -> async_graphql::Result<Company> {
        let symbol = Symbol::parse(&symbol).map_err(ApiError::from).extend()?;
        let record = ctx
            .data::<DataLoader<CompanyLoader>>()?
            .load_one(symbol.clone())
            .await
            .extend()?;
        let company = match record {
            Some(record) => Company::stored(symbol, record),
            None => register_missing(ctx, vec![symbol.clone()])
                .await?
                .remove(&symbol)
                .unwrap_or(Company::Pending(symbol)),
        };
        company.record_dependency(ctx);
        Ok(company)
    }

    /// Several companies in one request, in the order asked (at most 100 symbols). Companies
    /// not stored are registered together; those beyond the client's limit of new
    /// registrations answer `RATE_LIMITED`, and the rest of the answer stands.
    #[graphql(complexity = "symbols.len() * (LOOKUP_COST + child_complexity)")]
    async fn companies(
        &self,
        ctx: &Context<'_>,
        symbols: Vec<String>,
    ) -> async_graphql::Result<Vec<Company>> {
        if symbols.len() > MAX_SYMBOLS {
            return Err(ApiError::BadUserInput(format!(
                "at most {MAX_SYMBOLS} symbols per request, got {}",
                symbols.len()
            )))
            .extend();
        }
        let symbols = symbols
            .iter()
            .map(|s| Symbol::parse(s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(ApiError::from)
            .extend()?;
        let records = ctx
            .data::<DataLoader<CompanyLoader>>()?
            .load_many(symbols.iter().cloned())
            .await
            .extend()?;
        let mut missing: Vec<Symbol> = symbols
            .iter()
            .filter(|symbol| !records.contains_key(symbol))
            .cloned()
            .collect();
        missing.sort();
        missing.dedup();
        let registered = register_missing(ctx, missing).await?;
        let company_ids: Vec<i64> = records.values().map(|record| record.id).collect();
        futures_util::try_join!(
            prefetch::<IncomeStatementItems>(ctx, "incomeStatements", &company_ids),
            prefetch::<BalanceSheetItems>(ctx, "balanceSheets", &company_ids),
            prefetch::<CashFlowItems>(ctx, "cashFlowStatements", &company_ids),
        )?;
        let companies: Vec<Company> = symbols
            .into_iter()
            .map(|symbol| match records.get(&symbol) {
                Some(record) => Company::stored(symbol, record.clone()),
                None => registered
                    .get(&symbol)
                    .cloned()
                    .unwrap_or(Company::Pending(symbol)),
            })
            .collect();
        for company in &companies {
            company.record_dependency(ctx);
        }
        Ok(companies)
    }
}

/// Loads, in one batch, the statements of kind `S` for every company when the query selects
/// `field`, so each company's field is then answered from the request's loader cache.
async fn prefetch<S: StatementField>(
    ctx: &Context<'_>,
    field: &str,
    company_ids: &[i64],
) -> async_graphql::Result<()> {
    if company_ids.is_empty() || !ctx.look_ahead().field(field).exists() {
        return Ok(());
    }
    prefetch_kind::<S>(ctx, company_ids).await
}

async fn prefetch_kind<S: StatementField>(
    ctx: &Context<'_>,
    company_ids: &[i64],
) -> async_graphql::Result<()> {
    ctx.data::<DataLoader<StatementLoader<S>, HashMapCache>>()?
        .load_many(company_ids.iter().copied())
        .await
        .extend()?;
    Ok(())
}

/// Registers the symbols the database lacks through the request's `Registrar` (one
/// transaction for the whole request) and returns them as companies.
async fn register_missing(
    ctx: &Context<'_>,
    symbols: Vec<Symbol>,
) -> async_graphql::Result<HashMap<Symbol, Company>> {
    if symbols.is_empty() {
        return Ok(HashMap::new());
    }
    let outcomes = ctx
        .data::<DataLoader<Registrar>>()?
        .load_many(symbols)
        .await
        .extend()?;
    Ok(outcomes
        .into_iter()
        .map(|(symbol, outcome)| {
            let company = match outcome {
                Registered::Stored(record) => Company::Stored {
                    symbol: symbol.clone(),
                    record,
                },
                Registered::Unlisted => Company::Unlisted(symbol.clone()),
                Registered::RateLimited => Company::RateLimited(symbol.clone()),
            };
            (symbol, company)
        })
        .collect())
}

/// A listed company and its financial statements, in one of the states a query finds it.
#[derive(Clone)]
pub enum Company {
    /// Stored, in any status.
    Stored {
        symbol: Symbol,
        record: Box<CompanyRecord>,
    },
    /// Not stored yet; its registration is queued (or was just now).
    Pending(Symbol),
    /// A loaded securities master does not list the symbol: nothing was queued.
    Unlisted(Symbol),
    /// Not stored, and the caller may register no more companies this minute.
    RateLimited(Symbol),
}

impl Company {
    pub fn stored(symbol: Symbol, record: CompanyRecord) -> Self {
        Self::Stored {
            symbol,
            record: Box::new(record),
        }
    }

    fn symbol_ref(&self) -> &Symbol {
        match self {
            Self::Stored { symbol, .. }
            | Self::Pending(symbol)
            | Self::Unlisted(symbol)
            | Self::RateLimited(symbol) => symbol,
        }
    }

    fn record(&self) -> Option<&CompanyRecord> {
        match self {
            Self::Stored { record, .. } => Some(record.as_ref()),
            Self::Pending(_) | Self::Unlisted(_) | Self::RateLimited(_) => None,
        }
    }

    /// Tells the response cache that the answer shows this company.
    pub(super) fn record_dependency(&self, ctx: &Context<'_>) {
        record_company(ctx, self.symbol_ref(), self.record().map(|r| r.status));
    }
}

#[Object]
impl Company {
    /// Global object ID (Relay): refetch with `node(id:)`; the same for the company in every
    /// status.
    pub async fn id(&self) -> ID {
        node::company_id(self.symbol_ref())
    }

    /// Ticker symbol, upper-case.
    async fn symbol(&self) -> &str {
        self.symbol_ref().as_str()
    }

    /// SEC Central Index Key, zero-padded to 10 digits.
    async fn cik(&self) -> Option<&str> {
        self.record()?.cik.as_deref()
    }

    async fn name(&self) -> Option<&str> {
        self.record()?.name.as_deref()
    }

    /// Where the symbol trades (`Nasdaq`, `NYSE`, …), as the provider says.
    async fn exchange(&self) -> Option<&str> {
        self.record()?.exchange.as_deref()
    }

    /// SEC's Standard Industrial Classification code, e.g. `3571`.
    async fn sic_code(&self) -> Option<&str> {
        self.record()?.sic_code.as_deref()
    }

    /// What the SIC code stands for, e.g. `Electronic Computers`.
    async fn sic_description(&self) -> Option<&str> {
        self.record()?.sic_description.as_deref()
    }

    /// ISO 4217 code of the company's reporting currency.
    async fn currency(&self) -> Option<&str> {
        self.record()?.currency.as_deref()
    }

    /// Month and day the fiscal year ends, as `MMDD` (Apple: `0930`, ending late September).
    async fn fiscal_year_end(&self) -> Option<&str> {
        self.record()?.fiscal_year_end.as_deref()
    }

    async fn status(&self) -> CompanyStatus {
        match self {
            Self::Stored { record, .. } => record.status,
            Self::Pending(_) => CompanyStatus::Pending,
            Self::Unlisted(_) => CompanyStatus::NotFound,
            Self::RateLimited(_) => CompanyStatus::RateLimited,
        }
    }

    /// Why the company is `FAILED`, `NOT_FOUND` or `RATE_LIMITED`.
    async fn status_reason(&self) -> Option<&str> {
        match self {
            Self::RateLimited(_) => Some(RATE_LIMITED_REASON),
            _ => self.record()?.status_reason.as_deref(),
        }
    }

    /// The newest request to ingest this company, if any was made through the API.
    async fn registration(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Registration>> {
        match self {
            Self::Stored { symbol, .. } => load_registration(ctx, symbol).await,
            Self::Pending(_) | Self::Unlisted(_) | Self::RateLimited(_) => Ok(None),
        }
    }

    /// When the statements were last stored from the provider.
    async fn last_ingested_at(&self) -> Option<Timestamp> {
        Some(self.record()?.last_ingested_at?.and_utc().into())
    }

    /// Income statements, newest first.
    #[graphql(complexity = "(last.clamp(0, MAX_LAST) as usize) * child_complexity")]
    async fn income_statements(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "PeriodKind::Annual")] period: PeriodKind,
        #[graphql(default_with = "DEFAULT_LAST")] last: i32,
        fiscal_year_from: Option<i32>,
        fiscal_year_to: Option<i32>,
    ) -> async_graphql::Result<Vec<StatementView<IncomeStatementItems>>> {
        self.statements(ctx, period, last, fiscal_year_from, fiscal_year_to)
            .await
    }

    /// Balance sheets (as of each period's end), newest first.
    #[graphql(complexity = "(last.clamp(0, MAX_LAST) as usize) * child_complexity")]
    async fn balance_sheets(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "PeriodKind::Annual")] period: PeriodKind,
        #[graphql(default_with = "DEFAULT_LAST")] last: i32,
        fiscal_year_from: Option<i32>,
        fiscal_year_to: Option<i32>,
    ) -> async_graphql::Result<Vec<StatementView<BalanceSheetItems>>> {
        self.statements(ctx, period, last, fiscal_year_from, fiscal_year_to)
            .await
    }

    /// Cash-flow statements, newest first.
    #[graphql(complexity = "(last.clamp(0, MAX_LAST) as usize) * child_complexity")]
    async fn cash_flow_statements(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "PeriodKind::Annual")] period: PeriodKind,
        #[graphql(default_with = "DEFAULT_LAST")] last: i32,
        fiscal_year_from: Option<i32>,
        fiscal_year_to: Option<i32>,
    ) -> async_graphql::Result<Vec<StatementView<CashFlowItems>>> {
        self.statements(ctx, period, last, fiscal_year_from, fiscal_year_to)
            .await
    }
}

impl Company {
    /// The newest `last` statements of kind `S` within the fiscal-year range, batch-loaded.
    async fn statements<S: StatementField + Periodic + OutputType + ContainerType>(
        &self,
        ctx: &Context<'_>,
        period: PeriodKind,
        last: i32,
        fiscal_year_from: Option<i32>,
        fiscal_year_to: Option<i32>,
    ) -> async_graphql::Result<Vec<StatementView<S>>>
    where
        Metrics<S>: OutputType,
        StatementView<S>: OutputType,
    {
        if !(1..=MAX_LAST).contains(&last) {
            return Err(ApiError::BadUserInput(format!(
                "`last` must be between 1 and {MAX_LAST}, got {last}"
            )))
            .extend();
        }
        if let (Some(from), Some(to)) = (fiscal_year_from, fiscal_year_to)
            && from > to
        {
            return Err(ApiError::BadUserInput(format!(
                "`fiscalYearFrom` ({from}) is after `fiscalYearTo` ({to})"
            )))
            .extend();
        }
        let Some(record) = self.record() else {
            return Ok(Vec::new());
        };
        let filter = StatementFilter {
            fiscal_year_from,
            fiscal_year_to,
            last: last.unsigned_abs() as usize,
        };
        if ctx.look_ahead().field("metrics").exists() {
            // Metrics read the same period of the other kinds: load all three in this
            // batch, beside the request's own fields, rather than in a second round.
            let id = [record.id];
            futures_util::try_join!(
                prefetch_kind::<IncomeStatementItems>(ctx, &id),
                prefetch_kind::<BalanceSheetItems>(ctx, &id),
                prefetch_kind::<CashFlowItems>(ctx, &id),
            )?;
        }
        if let Some(plan) = ctx.data_opt::<Arc<RequestPlan>>()
            && !plan.window::<S>().covers(period, &filter)
        {
            // The plan saw every selection of this field; reaching here is a planner bug.
            tracing::error!(
                field = S::FIELD,
                ?period,
                ?filter,
                "statement window misses a selection"
            );
            return Err(ApiError::Internal).extend();
        }
        let statements = ctx
            .data::<DataLoader<StatementLoader<S>, HashMapCache>>()?
            .load_one(record.id)
            .await
            .extend()?
            .unwrap_or_default();
        let rows = series(&statements, period);
        let items_at = |key| {
            rows.iter()
                .find(|row| row.key == key)
                .map(|row| row.statement.items.clone())
        };
        Ok(filter
            .apply(&rows, |row| &row.statement.period)
            .map(|row| {
                let metrics = Metrics {
                    company_id: record.id,
                    kind: period,
                    key: row.key,
                    current: row.statement.items.clone(),
                    year_ago: items_at(row.key.year_ago()),
                    quarter_ago: (period == PeriodKind::Quarterly)
                        .then(|| row.key.quarter_ago().and_then(items_at))
                        .flatten(),
                };
                StatementView::new(self.symbol_ref(), row, metrics)
            })
            .collect())
    }
}

/// A statement as GraphQL shows it: period and provenance fields beside the line items, and
/// the metrics computed from them.
#[derive(SimpleObject)]
#[graphql(
    concrete(name = "IncomeStatement", params(IncomeStatementItems)),
    concrete(name = "BalanceSheet", params(BalanceSheetItems)),
    concrete(name = "CashFlowStatement", params(CashFlowItems))
)]
pub struct StatementView<Items: OutputType + ContainerType>
where
    Metrics<Items>: OutputType,
{
    /// Global ID, unique across types, for normalized client caches (Relay, Apollo, urql):
    /// the company, the kind of statement, its fiscal period and the day it ends. Not a
    /// `Node`: statements are refetched through their company.
    id: ID,
    #[graphql(flatten)]
    period: StatementPeriod,
    /// GraphQL names of the line items computed from their reported parts (`grossProfit` =
    /// revenue − cost of revenue, `sellingGeneralAndAdministrative` = selling and marketing +
    /// general and administrative, `operatingExpenses` = gross profit − operating income),
    /// because the filing reports the parts but not the total.
    derived_line_items: Vec<String>,
    /// The quarters a TTM statement sums, oldest first (one for a balance sheet); null for
    /// annual and quarterly statements.
    ttm_quarters: Option<Vec<QuarterRef>>,
    #[graphql(flatten)]
    items: Items,
    /// Margins, growth and ratios of this period.
    metrics: Metrics<Items>,
}

impl<Items: OutputType + ContainerType> StatementView<Items>
where
    Metrics<Items>: OutputType,
{
    fn new(symbol: &Symbol, row: &SeriesRow<'_, Items>, metrics: Metrics<Items>) -> Self
    where
        Items: Clone,
        Self: OutputType,
    {
        let Statement { period, items } = row.statement.as_ref().clone();
        Self {
            id: node::statement_id(&Self::type_name(), symbol, &period),
            derived_line_items: period.derived_line_items().map(str::to_owned).collect(),
            ttm_quarters: (period.fiscal_period == FiscalPeriod::Ttm).then(|| row.quarters.clone()),
            period,
            items,
            metrics,
        }
    }
}
