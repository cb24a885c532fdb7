//! Per-company ingestion locks: MySQL named locks (`GET_LOCK`), so two workers never ingest
//! one company at once. A named lock belongs to its connection: if the worker dies, the
//! server releases it with the connection, so a crash can never leave a company locked.
//! Names are per database, since several databases may share one server, and hashed, since
//! MySQL allows at most 64 characters.

use diesel::sql_types::{Integer, Nullable, Text};
use diesel_async::{AsyncMysqlConnection, RunQueryDsl};

use crate::domain::Symbol;

#[derive(diesel::QueryableByName)]
struct LockResult {
    #[diesel(sql_type = Nullable<Integer>)]
    acquired: Option<i32>,
}

/// Waits up to `wait_secs` for the company's lock; true once this connection holds it.
pub async fn lock_company(
    conn: &mut AsyncMysqlConnection,
    symbol: &Symbol,
    wait_secs: u32,
) -> diesel::QueryResult<bool> {
    let result: LockResult =
        diesel::sql_query("SELECT GET_LOCK(SHA1(CONCAT(DATABASE(), ':', ?)), ?) AS acquired")
            .bind::<Text, _>(symbol.as_str())
            .bind::<Integer, _>(wait_secs as i32)
            .get_result(conn)
            .await?;
    Ok(result.acquired == Some(1))
}

/// Releases the company's lock held by this connection.
pub async fn unlock_company(
    conn: &mut AsyncMysqlConnection,
    symbol: &Symbol,
) -> diesel::QueryResult<()> {
    diesel::sql_query("SELECT RELEASE_LOCK(SHA1(CONCAT(DATABASE(), ':', ?))) AS acquired")
        .bind::<Text, _>(symbol.as_str())
        .get_result::<LockResult>(conn)
        .await?;
    Ok(())
}
