//! The `listings` table: the securities master loaded from SEC's company tickers file.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use diesel_async::{AsyncMysqlConnection, RunQueryDsl};

use crate::schema::listings;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = listings, treat_none_as_null = true)]
pub struct Listing {
    pub symbol: String,
    pub cik: String,
    pub name: String,
    pub exchange: Option<String>,
}

impl Listing {
    /// A listing as the table can hold it (see `CompanyProfile::fitted`).
    pub fn fitted(symbol: String, cik: String, name: &str, exchange: Option<&str>) -> Self {
        Self {
            symbol,
            cik,
            name: super::fit(name, super::companies::MAX_NAME_CHARS).to_owned(),
            exchange: exchange
                .and_then(super::companies::exchange_column)
                .map(str::to_owned),
        }
    }
}

/// Listings whose symbol starts with `text` or whose name contains it (case-insensitive):
/// exact symbol first, then symbol prefixes, then name matches, each alphabetical; at most
/// `limit` from `offset` on.
pub async fn search(
    conn: &mut AsyncMysqlConnection,
    text: &str,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<Listing>> {
    let symbol_prefix = format!("{}%", escape_like(text));
    matching(text)
        .order((
            listings::symbol.eq(text).desc(),
            listings::symbol.like(symbol_prefix).desc(),
            listings::symbol.asc(),
        ))
        .offset(offset)
        .limit(limit)
        .select(Listing::as_select())
        .load(conn)
        .await
}

/// How many listings `search` finds for `text` in all.
pub async fn search_count(conn: &mut AsyncMysqlConnection, text: &str) -> QueryResult<i64> {
    matching(text).count().get_result(conn).await
}

fn matching(text: &str) -> listings::BoxedQuery<'static, diesel::mysql::Mysql> {
    let escaped = escape_like(text);
    listings::table
        .filter(
            listings::symbol
                .like(format!("{escaped}%"))
                .or(listings::name.like(format!("%{escaped}%"))),
        )
        .into_boxed()
}

/// The listings (on `exchange`, when given) from `offset` on, at most `limit`, by symbol;
/// and how many there are in all.
pub async fn page(
    conn: &mut AsyncMysqlConnection,
    exchange: Option<&str>,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<Listing>, i64)> {
    let on_exchange = || {
        let mut query = listings::table.into_boxed();
        if let Some(exchange) = exchange {
            query = query.filter(listings::exchange.eq(exchange.to_owned()));
        }
        query
    };
    let total = on_exchange().count().get_result(conn).await?;
    let rows = on_exchange()
        .order(listings::symbol.asc())
        .offset(offset)
        .limit(limit)
        .select(Listing::as_select())
        .load(conn)
        .await?;
    Ok((rows, total))
}

/// Which of `symbols` the securities master knows, or `None` while no listing is loaded (then
/// every syntactically valid symbol is worth a try).
pub async fn known(
    conn: &mut AsyncMysqlConnection,
    symbols: &[&str],
) -> QueryResult<Option<HashSet<String>>> {
    let any_loaded: Option<String> = listings::table
        .select(listings::symbol)
        .first(conn)
        .await
        .optional()?;
    if any_loaded.is_none() {
        return Ok(None);
    }
    let found: Vec<String> = listings::table
        .filter(listings::symbol.eq_any(symbols))
        .select(listings::symbol)
        .load(conn)
        .await?;
    Ok(Some(found.into_iter().collect()))
}

/// How many listings a sync wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncCounts {
    pub inserted: usize,
    pub updated: usize,
}

/// Makes the table hold `rows` (by symbol), writing only what is new or changed, so a sync
/// with unchanged data touches no row. Listings absent from `rows` are kept.
pub async fn sync(conn: &mut AsyncMysqlConnection, rows: &[Listing]) -> QueryResult<SyncCounts> {
    let existing: HashMap<String, Listing> = listings::table
        .select(Listing::as_select())
        .load(conn)
        .await?
        .into_iter()
        .map(|listing| (listing.symbol.clone(), listing))
        .collect();
    let mut new_rows = Vec::new();
    let mut counts = SyncCounts::default();
    for row in rows {
        match existing.get(&row.symbol) {
            None => new_rows.push(row),
            Some(current) if current == row => {}
            Some(_) => {
                diesel::update(listings::table.find(&row.symbol))
                    .set(row)
                    .execute(conn)
                    .await?;
                counts.updated += 1;
            }
        }
    }
    for chunk in new_rows.chunks(1000) {
        counts.inserted += diesel::insert_into(listings::table)
            .values(chunk.to_vec())
            .execute(conn)
            .await?;
    }
    Ok(counts)
}

/// Escapes LIKE wildcards so user text matches literally (backslash is MySQL's escape).
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn escapes_like_wildcards() {
        assert_eq!(escape_like(r"10%_a\b"), r"10\%\_a\\b");
        assert_eq!(escape_like("Apple Inc."), "Apple Inc.");
    }
}
