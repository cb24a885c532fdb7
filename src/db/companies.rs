//! The `companies` table: one row per company the service knows of.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::{AsyncMysqlConnection, RunQueryDsl};

use crate::domain::{CompanyInfo, CompanyStatus, Symbol};
use crate::schema::companies;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = companies)]
pub struct CompanyRecord {
    pub id: i64,
    pub symbol: String,
    pub cik: Option<String>,
    pub name: Option<String>,
    pub exchange: Option<String>,
    pub currency: Option<String>,
    pub fiscal_year_end: Option<String>,
    pub status: CompanyStatus,
    pub status_reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub last_ingested_at: Option<NaiveDateTime>,
    pub sic_code: Option<String>,
    pub sic_description: Option<String>,
}

/// What the provider tells us about a company, written on ingestion.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = companies, treat_none_as_null = true)]
pub struct CompanyProfile<'a> {
    pub symbol: &'a str,
    pub cik: Option<&'a str>,
    pub name: Option<&'a str>,
    pub exchange: Option<&'a str>,
    pub currency: Option<&'a str>,
    pub fiscal_year_end: Option<&'a str>,
    pub sic_code: Option<&'a str>,
    pub sic_description: Option<&'a str>,
}

/// The widest names and SIC descriptions the columns hold (characters).
pub(super) const MAX_NAME_CHARS: usize = 255;
/// The widest exchange the columns hold; a longer one is no exchange name and is dropped
/// rather than cut into a wrong one.
pub(super) const MAX_EXCHANGE_CHARS: usize = 32;

impl<'a> CompanyProfile<'a> {
    /// `info` as its columns can hold it: a provider's over-long text would otherwise fail
    /// the whole transaction that stores the company. A SIC code is four digits or nothing.
    pub fn fitted(symbol: &'a Symbol, info: &'a CompanyInfo) -> Self {
        Self {
            symbol: symbol.as_str(),
            cik: Some(&info.cik),
            name: Some(super::fit(&info.name, MAX_NAME_CHARS)),
            exchange: info.exchange.as_deref().and_then(exchange_column),
            currency: Some(&info.currency),
            fiscal_year_end: Some(&info.fiscal_year_end),
            sic_code: info
                .sic_code
                .as_deref()
                .filter(|code| code.len() == 4 && code.bytes().all(|b| b.is_ascii_digit())),
            sic_description: info
                .sic_description
                .as_deref()
                .map(|text| super::fit(text, MAX_NAME_CHARS)),
        }
    }
}

/// `exchange` when an `exchange` column can hold it.
pub(super) fn exchange_column(exchange: &str) -> Option<&str> {
    (exchange.chars().count() <= MAX_EXCHANGE_CHARS).then_some(exchange)
}

pub async fn by_symbol(
    conn: &mut AsyncMysqlConnection,
    symbol: &Symbol,
) -> QueryResult<Option<CompanyRecord>> {
    companies::table
        .filter(companies::symbol.eq(symbol.as_str()))
        .select(CompanyRecord::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn by_symbols(
    conn: &mut AsyncMysqlConnection,
    symbols: &[Symbol],
) -> QueryResult<Vec<CompanyRecord>> {
    companies::table
        .filter(companies::symbol.eq_any(symbols.iter().map(Symbol::as_str)))
        .select(CompanyRecord::as_select())
        .load(conn)
        .await
}

/// Which stored companies a page of the browse shows: those after `after` in symbol order,
/// with `status` and on `exchange` when given.
#[derive(Debug, Clone, Default)]
pub struct CompanyFilter<'a> {
    pub status: Option<CompanyStatus>,
    pub exchange: Option<&'a str>,
}

impl CompanyFilter<'_> {
    fn query(&self) -> companies::BoxedQuery<'_, diesel::mysql::Mysql> {
        let mut query = companies::table.into_boxed();
        if let Some(status) = self.status {
            query = query.filter(companies::status.eq(status));
        }
        if let Some(exchange) = self.exchange {
            query = query.filter(companies::exchange.eq(exchange));
        }
        query
    }
}

/// At most `limit` companies matching `filter` after the symbol `after`, in symbol order,
/// and how many match in all.
pub async fn page(
    conn: &mut AsyncMysqlConnection,
    filter: &CompanyFilter<'_>,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<(Vec<CompanyRecord>, i64)> {
    let total = filter.query().count().get_result(conn).await?;
    let mut query = filter.query();
    if let Some(after) = after {
        query = query.filter(companies::symbol.gt(after));
    }
    let rows = query
        .order(companies::symbol.asc())
        .limit(limit)
        .select(CompanyRecord::as_select())
        .load(conn)
        .await?;
    Ok((rows, total))
}

/// Inserts a `PENDING` row for each symbol that has none; existing rows are left as they are.
pub async fn insert_pending(
    conn: &mut AsyncMysqlConnection,
    symbols: &[Symbol],
) -> QueryResult<usize> {
    let rows: Vec<_> = symbols
        .iter()
        .map(|symbol| {
            (
                companies::symbol.eq(symbol.as_str()),
                companies::status.eq(CompanyStatus::Pending),
            )
        })
        .collect();
    diesel::insert_into(companies::table)
        .values(rows)
        .on_conflict(diesel::dsl::DuplicatedKeys)
        .do_update()
        .set(companies::id.eq(companies::id))
        .execute(conn)
        .await
}

/// `status_reason` is VARCHAR(1000).
const MAX_REASON_CHARS: usize = 1000;

/// Sets the status and its reason, the reason cut to what the column holds.
pub async fn set_status(
    conn: &mut AsyncMysqlConnection,
    symbol: &Symbol,
    status: CompanyStatus,
    reason: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(companies::table.filter(companies::symbol.eq(symbol.as_str())))
        .set((
            companies::status.eq(status),
            companies::status_reason.eq(reason.map(|reason| super::fit(reason, MAX_REASON_CHARS))),
        ))
        .execute(conn)
        .await
}

/// Inserts or updates the company's profile and marks it `READY`; returns its id.
/// Meant to run inside the transaction that stores the company's statements.
pub async fn upsert_ready(
    conn: &mut AsyncMysqlConnection,
    profile: &CompanyProfile<'_>,
) -> QueryResult<i64> {
    let now = chrono::Utc::now().naive_utc();
    let ready = || {
        (
            companies::status.eq(CompanyStatus::Ready),
            companies::status_reason.eq(None::<String>),
            companies::last_ingested_at.eq(Some(now)),
        )
    };
    diesel::insert_into(companies::table)
        .values((profile, ready()))
        .on_conflict(diesel::dsl::DuplicatedKeys)
        .do_update()
        .set((profile, ready()))
        .execute(conn)
        .await?;
    companies::table
        .filter(companies::symbol.eq(profile.symbol))
        .select(companies::id)
        .first(conn)
        .await
}
