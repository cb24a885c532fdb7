//! The `registration_requests` table: the transactional outbox of ingestion requests.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncMysqlConnection, RunQueryDsl};

use crate::domain::{RegistrationState, Symbol};
use crate::schema::registration_requests as requests;

/// The `traceparent` column's length (version 00 of the header has 55 characters).
const TRACEPARENT_MAX_LEN: usize = 128;

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
    /// The trace of the caller who asked, continued by the relay and the worker.
    pub traceparent: Option<String>,
}

/// A request to open: its symbol, and the `traceparent` of whoever asked, which goes with
/// the request to the process that takes it up (`telemetry::traces`).
#[derive(Debug, Clone, Copy)]
pub struct NewRequest<'a> {
    pub symbol: &'a Symbol,
    pub traceparent: Option<&'a str>,
}

/// Opens a `QUEUED` request for each symbol without an open one; returns how many it opened.
/// The unique key on the generated `open_symbol` column makes this safe under concurrency: a
/// second insert for a symbol with an open request is skipped. `INSERT IGNORE` rather than
/// `ON DUPLICATE KEY UPDATE`, because the connection reports found rather than changed rows,
/// which would count skipped duplicates as opened; the rows hold a validated symbol, a
/// constant state and a `traceparent` within the column's length, so IGNORE has no other
/// error to hide.
pub async fn open_for(
    conn: &mut AsyncMysqlConnection,
    new_requests: &[NewRequest<'_>],
) -> QueryResult<usize> {
    let rows: Vec<_> = new_requests
        .iter()
        .map(|request| {
            (
                requests::symbol.eq(request.symbol.as_str()),
                requests::state.eq(RegistrationState::Queued),
                requests::traceparent.eq(request
                    .traceparent
                    .filter(|traceparent| traceparent.len() <= TRACEPARENT_MAX_LEN)),
            )
        })
        .collect();
    diesel::insert_or_ignore_into(requests::table)
        .values(rows)
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

/// The newest request of each of these symbols, read without the rest of their history.
pub async fn newest_by_symbols(
    conn: &mut AsyncMysqlConnection,
    symbols: &[Symbol],
) -> QueryResult<Vec<RegistrationRecord>> {
    let latest = diesel::alias!(requests as latest);
    let newest = latest
        .filter(
            latest
                .field(requests::symbol)
                .eq_any(symbols.iter().map(Symbol::as_str)),
        )
        .group_by(latest.field(requests::symbol))
        .select(diesel::dsl::max(latest.field(requests::id)));
    requests::table
        .filter(requests::id.nullable().eq_any(newest))
        .select(RegistrationRecord::as_select())
        .load(conn)
        .await
}

/// Claims up to `limit` open requests for `lease`: those not yet handed to Kafka and, when
/// `overdue_before` is given, those published before it that still have no outcome (to be
/// published again). Rows another relay is claiming right now are skipped, and so are rows
/// under an unexpired lease. The claim is one short READ COMMITTED transaction (record locks
/// only, no gap locks), so it never holds up the inserts of new requests; publishing happens
/// after it commits.
pub async fn claim_due(
    conn: &mut AsyncMysqlConnection,
    limit: i64,
    lease: chrono::Duration,
    overdue_before: Option<NaiveDateTime>,
) -> QueryResult<Vec<RegistrationRecord>> {
    diesel::sql_query("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        .execute(conn)
        .await?;
    conn.transaction(async |conn| {
        let now = chrono::Utc::now().naive_utc();
        // Nothing was published before 1970: without a cutoff, only unpublished rows are due.
        let cutoff = overdue_before.unwrap_or(chrono::DateTime::UNIX_EPOCH.naive_utc());
        let claimed: Vec<RegistrationRecord> = requests::table
            .filter(
                requests::published_at
                    .is_null()
                    .or(requests::published_at.lt(cutoff)),
            )
            .filter(requests::completed_at.is_null())
            .filter(
                requests::lease_expires_at
                    .is_null()
                    .or(requests::lease_expires_at.lt(now)),
            )
            .order(requests::id)
            .limit(limit)
            .select(RegistrationRecord::as_select())
            .for_update()
            .skip_locked()
            .load(conn)
            .await?;
        if !claimed.is_empty() {
            let ids: Vec<i64> = claimed.iter().map(|r| r.id).collect();
            diesel::update(requests::table.filter(requests::id.eq_any(&ids)))
                .set(requests::lease_expires_at.eq(Some(now + lease)))
                .execute(conn)
                .await?;
        }
        Ok(claimed)
    })
    .await
}

/// Records that the broker acknowledged these requests. A worker may already have taken one
/// (`IN_PROGRESS`) or finished it before the acknowledgement arrived here: only requests
/// still `QUEUED` move to `PUBLISHED`, so a later state is never overwritten.
pub async fn mark_published(conn: &mut AsyncMysqlConnection, ids: &[i64]) -> QueryResult<usize> {
    conn.transaction(async |conn| {
        let published = diesel::update(requests::table.filter(requests::id.eq_any(ids)))
            .set((
                requests::published_at.eq(Some(chrono::Utc::now().naive_utc())),
                requests::lease_expires_at.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)
            .await?;
        diesel::update(
            requests::table
                .filter(requests::id.eq_any(ids))
                .filter(requests::state.eq(RegistrationState::Queued)),
        )
        .set(requests::state.eq(RegistrationState::Published))
        .execute(conn)
        .await?;
        Ok(published)
    })
    .await
}

/// Ends the lease of requests that could not be published, so the next round retries them.
pub async fn release(conn: &mut AsyncMysqlConnection, ids: &[i64]) -> QueryResult<usize> {
    diesel::update(requests::table.filter(requests::id.eq_any(ids)))
        .set(requests::lease_expires_at.eq(None::<NaiveDateTime>))
        .execute(conn)
        .await
}

/// Reserves an open request until `until`: a claim (or a re-drive) passes it over till then.
/// For a request a worker put back or deferred, so others are taken first.
pub async fn postpone(
    conn: &mut AsyncMysqlConnection,
    id: i64,
    until: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(requests::table.filter(requests::id.eq(id)))
        .set(requests::lease_expires_at.eq(Some(until)))
        .execute(conn)
        .await
}

/// Records that a worker published the request again itself (put it back on its topic), so
/// the relay does not re-drive it as well.
pub async fn republished(conn: &mut AsyncMysqlConnection, id: i64) -> QueryResult<usize> {
    diesel::update(
        requests::table
            .filter(requests::id.eq(id))
            .filter(requests::published_at.is_not_null()),
    )
    .set(requests::published_at.eq(Some(chrono::Utc::now().naive_utc())))
    .execute(conn)
    .await
}

/// Makes a published request without an outcome due for publishing again at once; returns
/// whether there was one.
pub async fn redrive_now(conn: &mut AsyncMysqlConnection, symbol: &Symbol) -> QueryResult<bool> {
    diesel::update(
        requests::table
            .filter(requests::symbol.eq(symbol.as_str()))
            .filter(requests::state.eq(RegistrationState::Published))
            .filter(requests::completed_at.is_null()),
    )
    .set((
        requests::published_at.eq(None::<NaiveDateTime>),
        requests::lease_expires_at.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)
    .await
    .map(|updated| updated > 0)
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

pub async fn by_id(
    conn: &mut AsyncMysqlConnection,
    id: i64,
) -> QueryResult<Option<RegistrationRecord>> {
    requests::table
        .find(id)
        .select(RegistrationRecord::as_select())
        .first(conn)
        .await
        .optional()
}

/// The symbol's open (not completed) request, if any.
pub async fn open_request(
    conn: &mut AsyncMysqlConnection,
    symbol: &Symbol,
) -> QueryResult<Option<RegistrationRecord>> {
    requests::table
        .filter(requests::symbol.eq(symbol.as_str()))
        .filter(requests::completed_at.is_null())
        .select(RegistrationRecord::as_select())
        .first(conn)
        .await
        .optional()
}

/// Moves a request to `state` (a worker took it, or gave it back) and records its attempts.
pub async fn set_progress(
    conn: &mut AsyncMysqlConnection,
    id: i64,
    state: RegistrationState,
    attempts: u32,
    last_error: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(requests::table.find(id))
        .set((
            requests::state.eq(state),
            requests::attempts.eq(attempts as i32),
            requests::last_error.eq(last_error.map(|error| super::fit(error, MAX_ERROR_CHARS))),
        ))
        .execute(conn)
        .await
}

/// Gives a request back unfinished (the worker is stopping), keeping its attempts and the
/// last error recorded so far.
pub async fn set_state(
    conn: &mut AsyncMysqlConnection,
    id: i64,
    state: RegistrationState,
) -> QueryResult<usize> {
    diesel::update(requests::table.find(id))
        .set(requests::state.eq(state))
        .execute(conn)
        .await
}

/// Closes a request (`COMPLETED` or `FAILED`), which lets a new one open for the symbol.
pub async fn complete(
    conn: &mut AsyncMysqlConnection,
    id: i64,
    state: RegistrationState,
    attempts: u32,
    last_error: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(requests::table.find(id))
        .set((
            requests::state.eq(state),
            requests::attempts.eq(attempts as i32),
            requests::last_error.eq(last_error.map(|error| super::fit(error, MAX_ERROR_CHARS))),
            requests::completed_at.eq(Some(chrono::Utc::now().naive_utc())),
            requests::lease_expires_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
        .await
}

/// `last_error` is VARCHAR(1000).
const MAX_ERROR_CHARS: usize = 1000;
