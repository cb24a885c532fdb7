//! Browsing page by page, as Relay cursor connections (`first`/`after`, `pageInfo`,
//! `totalCount`): the stored companies, by status and exchange.

use async_graphql::connection::{Connection, CursorType, Edge, OpaqueCursor};
use async_graphql::{Context, Object, ResultExt, SimpleObject};

use super::ApiError;
use super::company::Company;
use crate::db::Db;
use crate::db::companies::{self, CompanyFilter};
use crate::domain::{CompanyStatus, Symbol};

/// Most items one page holds.
pub const MAX_PAGE: i32 = 100;
/// Items in a page when `first` is not given.
pub const DEFAULT_PAGE: i32 = 20;

/// A cursor: the symbol of the last item seen, encoded so that clients treat it as opaque.
pub type SymbolCursor = OpaqueCursor<String>;

/// What every connection tells beside its page.
#[derive(SimpleObject)]
pub struct Counted {
    /// How many items match, on every page.
    pub total_count: i32,
}

pub type CompanyConnection = Connection<SymbolCursor, Company, Counted>;

#[derive(Default)]
pub struct BrowseQuery;

#[Object]
impl BrowseQuery {
    /// Stored companies (any that was ever asked for), in symbol order, optionally only those
    /// with `status` or on `exchange`. Never registers anything.
    #[graphql(
        complexity = "(first.unwrap_or(DEFAULT_PAGE).clamp(0, MAX_PAGE) as usize) * child_complexity"
    )]
    async fn all_companies(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        status: Option<CompanyStatus>,
        exchange: Option<String>,
    ) -> async_graphql::Result<CompanyConnection> {
        let (limit, after) = page_request(first, after).extend()?;
        let filter = CompanyFilter {
            status,
            exchange: exchange.as_deref(),
        };
        let db = ctx.data::<Db>()?;
        let mut conn = db.conn().await.map_err(ApiError::from).extend()?;
        let (records, total) = companies::page(&mut conn, &filter, after.as_deref(), limit + 1)
            .await
            .map_err(ApiError::from)
            .extend()?;
        let has_next = records.len() as i64 > limit;
        let mut connection = Connection::with_additional_fields(
            after.is_some(),
            has_next,
            Counted {
                total_count: i32::try_from(total).unwrap_or(i32::MAX),
            },
        );
        connection.edges.extend(
            records
                .into_iter()
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
                .filter_map(|record| {
                    let symbol = Symbol::parse(&record.symbol).ok()?;
                    let cursor = OpaqueCursor(record.symbol.clone());
                    Some(Edge::new(cursor, Company::stored(symbol, record)))
                }),
        );
        Ok(connection)
    }
}

/// `first` and `after` checked: the page size, and the symbol to continue after.
pub fn page_request(
    first: Option<i32>,
    after: Option<String>,
) -> Result<(i64, Option<String>), ApiError> {
    let first = first.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&first) {
        return Err(ApiError::BadUserInput(format!(
            "`first` must be between 1 and {MAX_PAGE}, got {first}"
        )));
    }
    let after = after
        .map(|cursor| {
            SymbolCursor::decode_cursor(&cursor)
                .map(|OpaqueCursor(symbol)| symbol)
                .map_err(|_| ApiError::BadUserInput("`after` is not a cursor of this list".into()))
        })
        .transpose()?;
    Ok((i64::from(first), after))
}
