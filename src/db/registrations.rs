//! The `registration_requests` table: the transactional outbox of ingestion requests.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::{AsyncMysqlConnection, RunQueryDsl};

use crate::db::schema::registration_requests as requests;
use crate::domain::{RegistrationState, Symbol};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = requests)]
pub struct RegistrationRecord {
    pub id: i64,
    pub symbol: String,
    pub state: RegistrationState,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub requested_at: NaiveDateTime,
    pub published_at: Option<NaiveDateTime>,
    pub completed_at: Option<NaiveDateTime>,
}

/// Opens a `QUEUED` request for each symbol without an open one. The unique key on the
/// generated `open_symbol` column makes this safe under concurrency: a second insert for a
/// symbol with an open request is a no-op.
pub async fn open_for(conn: &mut AsyncMysqlConnection, symbols: &[Symbol]) -> QueryResult<usize> {
    let rows: Vec<_> = symbols
        .iter()
        .map(|symbol| {
            (
                requests::symbol.eq(symbol.as_str()),
                requests::state.eq(RegistrationState::Queued),
            )
        })
        .collect();
    diesel::insert_into(requests::table)
        .values(rows)
        .on_conflict(diesel::dsl::DuplicatedKeys)
        .do_update()
        .set(requests::id.eq(requests::id))
        .execute(conn)
        .await
}

/// Every request of these symbols, newest first.
pub async fn by_symbols(
    conn: &mut AsyncMysqlConnection,
    symbols: &[Symbol],
) -> QueryResult<Vec<RegistrationRecord>> {
    requests::table
        .filter(requests::symbol.eq_any(symbols.iter().map(Symbol::as_str)))
        .order(requests::id.desc())
        .select(RegistrationRecord::as_select())
        .load(conn)
        .await
}

/// Locks up to `limit` requests not yet handed to Kafka, skipping rows another relay holds.
/// Call inside a transaction; the locks last until it ends.
pub async fn lock_unpublished(
    conn: &mut AsyncMysqlConnection,
    limit: i64,
) -> QueryResult<Vec<RegistrationRecord>> {
    requests::table
        .filter(requests::published_at.is_null())
        .filter(requests::completed_at.is_null())
        .order(requests::id)
        .limit(limit)
        .select(RegistrationRecord::as_select())
        .for_update()
        .skip_locked()
        .load(conn)
        .await
}

pub async fn mark_published(conn: &mut AsyncMysqlConnection, ids: &[i64]) -> QueryResult<usize> {
    diesel::update(requests::table.filter(requests::id.eq_any(ids)))
        .set((
            requests::published_at.eq(Some(chrono::Utc::now().naive_utc())),
            requests::state.eq(RegistrationState::Published),
        ))
        .execute(conn)
        .await
}

/// Requests waiting for the relay (the outbox backlog).
pub async fn count_unpublished(conn: &mut AsyncMysqlConnection) -> QueryResult<i64> {
    requests::table
        .filter(requests::published_at.is_null())
        .filter(requests::completed_at.is_null())
        .count()
        .get_result(conn)
        .await
}
