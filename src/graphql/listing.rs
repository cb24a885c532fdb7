//! `searchCompanies` (deprecated for `browse`'s `searchListings`): symbol and name search
//! over the securities master; the `Listing` type every search and browse returns.

use async_graphql::dataloader::DataLoader;
use async_graphql::{ComplexObject, Context, Object, ResultExt, SimpleObject};

use super::ApiError;
use super::company::Company;
use super::loaders::CompanyLoader;
use crate::db::{Db, listings};
use crate::domain::Symbol;

/// Most results one search returns.
pub const MAX_SEARCH_RESULTS: i32 = 100;
/// Longest search text accepted.
pub const MAX_SEARCH_LEN: usize = 100;
/// Most searches one request may hold, aliases and fragments included: each is a scan of
/// the securities master.
pub const MAX_SEARCHES: usize = 8;
/// What one search costs towards `MAX_COMPLEXITY` beyond its results, so that
/// `MAX_SEARCHES + 1` of them exceed it.
pub const SEARCH_COST: usize = crate::graphql::MAX_COMPLEXITY / (MAX_SEARCHES + 1) + 1;
#[derive(Default)]
pub struct ListingQuery;

#[Object]
impl ListingQuery {
    /// Listed companies whose symbol starts with, or whose name contains, `query`
    /// (case-insensitive): exact symbol match first, then symbol prefixes, then names.
    #[graphql(
        complexity = "SEARCH_COST + (first.clamp(0, MAX_SEARCH_RESULTS) as usize) * child_complexity",
        deprecation = "Use `searchListings`, the same search as a cursor connection."
    )]
    async fn search_companies(
        &self,
        ctx: &Context<'_>,
        query: String,
        #[graphql(default = 20)] first: i32,
    ) -> async_graphql::Result<Vec<Listing>> {
        let text = search_text(&query).extend()?;
        if !(1..=MAX_SEARCH_RESULTS).contains(&first) {
            return Err(ApiError::BadUserInput(format!(
                "`first` must be between 1 and {MAX_SEARCH_RESULTS}, got {first}"
            )))
            .extend();
        }
        let db = ctx.data::<Db>()?;
        let mut conn = db.conn().await.map_err(ApiError::from).extend()?;
        let rows = listings::search(&mut conn, text, 0, i64::from(first))
            .await
            .map_err(ApiError::from)
            .extend()?;
        Ok(rows.into_iter().map(Listing::from).collect())
    }
}

/// The search text, trimmed, if it has 1 to `MAX_SEARCH_LEN` characters.
pub fn search_text(query: &str) -> Result<&str, ApiError> {
    let text = query.trim();
    if text.is_empty() || text.chars().count() > MAX_SEARCH_LEN {
        return Err(ApiError::BadUserInput(format!(
            "`query` must have 1 to {MAX_SEARCH_LEN} characters"
        )));
    }
    Ok(text)
}

/// A listed security from SEC's company tickers list.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Listing {
    pub symbol: String,
    /// SEC Central Index Key, zero-padded to 10 digits.
    pub cik: String,
    pub name: String,
    pub exchange: Option<String>,
}

impl From<listings::Listing> for Listing {
    fn from(row: listings::Listing) -> Self {
        Self {
            symbol: row.symbol,
            cik: row.cik,
            name: row.name,
            exchange: row.exchange,
        }
    }
}

#[ComplexObject]
impl Listing {
    /// The company as stored, in whatever status; null when it is not stored. Unlike
    /// `Query.company`, reading this never registers the company, so a search can show which
    /// results are stored and offer `requestRegistration` for the rest.
    async fn company(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Company>> {
        let symbol = Symbol::parse(&self.symbol)
            .map_err(ApiError::from)
            .extend()?;
        let record = ctx
            .data::<DataLoader<CompanyLoader>>()?
            .load_one(symbol.clone())
            .await
            .extend()?;
        Ok(record.map(|record| Company::stored(symbol, record)))
    }
}
