//! Browsing page by page, as Relay cursor connections (`first`/`after`, `pageInfo`,
//! `totalCount`): the stored companies (by status and exchange), the securities master (by
//! exchange) and searches of it. Cursors are opaque to clients: the symbol of the last
//! company seen, or the position of the last listing seen (the securities master changes
//! once a day at most, and REST's numbered pages map onto positions).

use async_graphql::connection::{Connection, CursorType, Edge, OpaqueCursor};
use async_graphql::{Context, Object, ResultExt, SimpleObject};

use super::ApiError;
use super::company::Company;
use super::listing::{Listing, SEARCH_COST, search_text};
use crate::db::companies::{self, CompanyFilter};
use crate::db::{Db, listings};
use crate::domain::{CompanyStatus, Symbol};

/// Most items one page holds.
pub const MAX_PAGE: i32 = 100;
/// Items in a page when `first` is not given.
pub const DEFAULT_PAGE: i32 = 20;

/// A company's cursor: the symbol of the last one seen.
pub type SymbolCursor = OpaqueCursor<String>;
/// A listing's cursor: the position (from 0) of the last one seen.
pub type PositionCursor = OpaqueCursor<i64>;

/// What every connection tells beside its page.
#[derive(SimpleObject)]
pub struct Counted {
    /// How many items match, on every page.
    pub total_count: i32,
}

pub type CompanyConnection = Connection<SymbolCursor, Company, Counted>;
pub type ListingConnection = Connection<PositionCursor, Listing, Counted>;

/// The cursor after which a page starts at `position` (from 0): for clients that number
/// their pages, such as the earlier system's REST API.
pub fn listing_cursor_before(position: i64) -> Option<String> {
    (position > 0).then(|| OpaqueCursor(position - 1).encode_cursor())
}

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
        let (limit, after) = page_request::<SymbolCursor>(first, after).extend()?;
        let after = after.map(|OpaqueCursor(symbol)| symbol);
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

    /// The securities master (SEC's company tickers), in symbol order, optionally only the
    /// listings on `exchange`. Costs as much as a search.
    #[graphql(
        complexity = "SEARCH_COST + (first.unwrap_or(DEFAULT_PAGE).clamp(0, MAX_PAGE) as usize) * child_complexity"
    )]
    async fn listings(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        exchange: Option<String>,
    ) -> async_graphql::Result<ListingConnection> {
        let (limit, after) = page_request::<PositionCursor>(first, after).extend()?;
        let offset = offset_after(after).extend()?;
        let db = ctx.data::<Db>()?;
        let mut conn = db.conn().await.map_err(ApiError::from).extend()?;
        let (rows, total) = listings::page(&mut conn, exchange.as_deref(), offset, limit)
            .await
            .map_err(ApiError::from)
            .extend()?;
        Ok(listing_page(rows, offset, total))
    }

    /// Listed companies whose symbol starts with, or whose name contains, `query`
    /// (case-insensitive): exact symbol match first, then symbol prefixes, then names.
    #[graphql(
        complexity = "SEARCH_COST + (first.unwrap_or(DEFAULT_PAGE).clamp(0, MAX_PAGE) as usize) * child_complexity"
    )]
    async fn search_listings(
        &self,
        ctx: &Context<'_>,
        query: String,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<ListingConnection> {
        let text = search_text(&query).extend()?;
        let (limit, after) = page_request::<PositionCursor>(first, after).extend()?;
        let offset = offset_after(after).extend()?;
        let db = ctx.data::<Db>()?;
        let mut conn = db.conn().await.map_err(ApiError::from).extend()?;
        let total = listings::search_count(&mut conn, text)
            .await
            .map_err(ApiError::from)
            .extend()?;
        let rows = listings::search(&mut conn, text, offset, limit)
            .await
            .map_err(ApiError::from)
            .extend()?;
        Ok(listing_page(rows, offset, total))
    }
}

/// A page of listings that starts at `offset` of `total`.
fn listing_page(rows: Vec<listings::Listing>, offset: i64, total: i64) -> ListingConnection {
    let shown = i64::try_from(rows.len()).unwrap_or(i64::MAX);
    let mut connection = Connection::with_additional_fields(
        offset > 0,
        offset.saturating_add(shown) < total,
        Counted {
            total_count: i32::try_from(total).unwrap_or(i32::MAX),
        },
    );
    connection.edges.extend(
        (offset..)
            .zip(rows)
            .map(|(position, row)| Edge::new(OpaqueCursor(position), Listing::from(row))),
    );
    connection
}

/// Where the page after a listing's cursor starts.
fn offset_after(after: Option<PositionCursor>) -> Result<i64, ApiError> {
    match after {
        None => Ok(0),
        Some(OpaqueCursor(position)) if position >= 0 => Ok(position.saturating_add(1)),
        Some(_) => Err(ApiError::BadUserInput(
            "`after` is not a cursor of this list".into(),
        )),
    }
}

/// `first` and `after` checked: the page size, and the cursor to continue after.
fn page_request<Cursor: CursorType>(
    first: Option<i32>,
    after: Option<String>,
) -> Result<(i64, Option<Cursor>), ApiError> {
    let first = first.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&first) {
        return Err(ApiError::BadUserInput(format!(
            "`first` must be between 1 and {MAX_PAGE}, got {first}"
        )));
    }
    let after = after
        .map(|cursor| {
            Cursor::decode_cursor(&cursor)
                .map_err(|_| ApiError::BadUserInput("`after` is not a cursor of this list".into()))
        })
        .transpose()?;
    Ok((i64::from(first), after))
}
