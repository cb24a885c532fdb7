//! MySQL access: the connection pool, embedded migrations, and the queries each table needs.
//! Nothing here knows about HTTP or GraphQL; callers get typed rows or a `DbError`.

pub mod companies;
pub mod listings;
pub mod locks;
pub mod registrations;
mod sql_types;
pub mod statements;

use std::sync::{
    Arc, OnceLock,
    atomic::{AtomicU64, Ordering},
};
use std::time::{Duration, Instant};

use deadpool::managed::{HookFuture, Metrics};
use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::Text;
use diesel::{Connection, ConnectionError, QueryResult, QueryableByName};
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::pooled_connection::deadpool::{Hook, HookError, Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, PoolError, RecyclingMethod,
};
use diesel_async::{AsyncConnection, AsyncMysqlConnection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use futures_util::FutureExt;
use secrecy::{ExposeSecret, SecretString};

use crate::config::DatabaseSettings;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

pub type DbConnection = Object<AsyncMysqlConnection>;

/// A pooled connection idle this long is checked with a round trip before it is handed out;
/// one used more recently is handed out at once, unless a connection failure was seen since
/// (see `LAST_CONNECTION_FAILURE`). Checking every checkout would double the statements of a
/// cold read for connections that were in use a moment ago.
const VERIFY_IDLE_AFTER: Duration = Duration::from_secs(10);

/// Database failures, split by what the caller can do about them.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database cannot be reached (pool timeout, refused or dropped connection).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A statement ran past the statement timeout and the server cancelled it.
    #[error("database statement timed out: {0}")]
    Timeout(String),
    #[error("database query failed: {0}")]
    Query(DieselError),
    #[error("migration failed: {0}")]
    Migration(String),
}

/// True for errors that retrying the whole transaction can fix: InnoDB deadlocks and lock
/// wait timeouts, which concurrent upserts of one key can cause.
pub fn is_retryable(error: &DieselError) -> bool {
    match error {
        DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        DieselError::DatabaseError(_, info) => {
            let message = info.message();
            message.contains("Deadlock found") || message.contains("Lock wait timeout")
        }
        _ => false,
    }
}

/// True for errors about the data itself (a value out of range or too long, a violated
/// constraint): the same rows would fail again, unlike a dropped connection or a deadlock.
pub fn is_data_error(error: &DieselError) -> bool {
    /// How MySQL and MariaDB begin their messages for values a column cannot hold.
    const DATA_ERRORS: [&str; 5] = [
        "Out of range value",
        "Data too long",
        "Data truncated",
        "Incorrect ",
        "Division by 0",
    ];
    match error {
        DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation
            | DatabaseErrorKind::ForeignKeyViolation
            | DatabaseErrorKind::NotNullViolation
            | DatabaseErrorKind::CheckViolation,
            _,
        ) => true,
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, info) => DATA_ERRORS
            .iter()
            .any(|prefix| info.message().starts_with(prefix)),
        _ => false,
    }
}

/// `text` cut to at most `chars` characters, on a character boundary: provider messages
/// can be longer than the VARCHAR columns that record them, and a value too long for its
/// column would fail the whole transaction that records an outcome.
fn fit(text: &str, chars: usize) -> &str {
    match text.char_indices().nth(chars) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// Whether a message says the connection itself failed: the server went away, restarted
/// or killed the connection, or the socket broke. diesel-async reports mysql_async's I/O
/// and driver errors, and server errors without their code, as `DatabaseErrorKind::Unknown`
/// with only a message, so the message is all there is to tell them by.
fn is_connection_failure(message: &str) -> bool {
    const CONNECTION_FAILURES: [&str; 8] = [
        "Connection to the server is closed",
        "server has gone away",
        "Lost connection to",
        "Server shutdown in progress",
        "Connection was killed",
        "Broken pipe",
        "Connection reset",
        "Connection refused",
    ];
    message.starts_with("Input/output error")
        || CONNECTION_FAILURES
            .iter()
            .any(|failure| message.contains(failure))
}

/// When a statement last failed because its connection did (milliseconds since
/// `clock_origin()`, plus one; 0 = never). Every pooled connection last handed out before
/// then is checked with a round trip before its next use, so the pool sheds the dead
/// connections a database restart leaves behind at once, instead of handing each out until
/// it fails. Process-wide, because a diesel error does not say which pool it came from.
static LAST_CONNECTION_FAILURE: AtomicU64 = AtomicU64::new(0);

fn clock_origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

fn millis_since_origin(instant: Instant) -> u64 {
    u64::try_from(
        instant
            .saturating_duration_since(clock_origin())
            .as_millis(),
    )
    .unwrap_or(u64::MAX)
}

fn note_connection_failure() {
    let now = millis_since_origin(Instant::now()).saturating_add(1);
    LAST_CONNECTION_FAILURE.fetch_max(now, Ordering::AcqRel);
}

/// Whether a connection failure was seen at or after `instant`.
fn connection_failed_since(instant: Instant) -> bool {
    AtomicU64::load(&LAST_CONNECTION_FAILURE, Ordering::Acquire) > millis_since_origin(instant)
}

/// How MariaDB (1969, `max_statement_time`) and MySQL (3024, `max_execution_time`) report a
/// statement they cancelled for running too long.
fn is_statement_timeout(message: &str) -> bool {
    message.starts_with("Query execution was interrupted")
}

/// Caps how long the server lets one statement of this connection run, so a slow query
/// cannot hold its pooled connection (and the request waiting on it) indefinitely. The two
/// servers name the setting differently; neither understands the other's.
async fn limit_statement_time(conn: &mut AsyncMysqlConnection, millis: u64) -> QueryResult<()> {
    #[derive(QueryableByName)]
    struct Version {
        #[diesel(sql_type = Text)]
        version: String,
    }
    let server: Version = diesel::sql_query("SELECT VERSION() AS version")
        .get_result(conn)
        .await?;
    let setting = if server.version.contains("MariaDB") {
        format!(
            "SET SESSION max_statement_time = {}.{:03}",
            millis / 1000,
            millis % 1000
        )
    } else {
        format!("SET SESSION max_execution_time = {millis}")
    };
    diesel::sql_query(setting).execute(conn).await?;
    Ok(())
}

impl From<DieselError> for DbError {
    fn from(error: DieselError) -> Self {
        match error {
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => {
                note_connection_failure();
                Self::Unavailable(info.message().to_owned())
            }
            DieselError::DatabaseError(DatabaseErrorKind::Unknown, info)
                if is_connection_failure(info.message()) =>
            {
                note_connection_failure();
                Self::Unavailable(info.message().to_owned())
            }
            DieselError::DatabaseError(_, info) if is_statement_timeout(info.message()) => {
                Self::Timeout(info.message().to_owned())
            }
            other => Self::Query(other),
        }
    }
}

/// The connection pool plus counts of the SQL statements sent through it and of the
/// statement rows read, which tests and benchmarks read to prove that batching keeps the
/// number of queries per request constant and that a request reads only what it shows.
#[derive(Clone)]
pub struct Db {
    pool: Pool<AsyncMysqlConnection>,
    queries_executed: Arc<AtomicU64>,
    statement_rows: Arc<AtomicU64>,
}

impl Db {
    /// Builds the pool without connecting: the service starts (and reports not-ready) while
    /// the database is down, and connects as soon as it is back.
    pub fn new(settings: &DatabaseSettings) -> Result<Self, DbError> {
        let queries_executed = Arc::new(AtomicU64::new(0));
        let mut manager_config = ManagerConfig::default();
        manager_config.recycling_method = RecyclingMethod::Fast;
        let counter = Arc::clone(&queries_executed);
        let statement_timeout_ms = settings.statement_timeout_ms;
        manager_config.custom_setup = Box::new(move |url| {
            let counter = Arc::clone(&counter);
            async move {
                let mut conn = AsyncMysqlConnection::establish(url).await?;
                limit_statement_time(&mut conn, statement_timeout_ms)
                    .await
                    .map_err(ConnectionError::CouldntSetupConfiguration)?;
                // Counted from here: the setup above is per connection, not per request.
                conn.set_instrumentation(QueryCounter(counter));
                Ok(conn)
            }
            .boxed()
        });
        let manager = AsyncDieselConnectionManager::new_with_config(
            settings.url.expose_secret(),
            manager_config,
        );
        let timeout = Some(Duration::from_secs(settings.timeout_secs));
        let pool = Pool::builder(manager)
            .max_size(usize::from(settings.pool_size))
            .runtime(deadpool::Runtime::Tokio1)
            .wait_timeout(timeout)
            .create_timeout(timeout)
            .recycle_timeout(timeout)
            .pre_recycle(Hook::async_fn(verify_if_doubtful))
            .build()
            .map_err(|e| DbError::Unavailable(e.to_string()))?;
        Ok(Self {
            pool,
            queries_executed,
            statement_rows: Arc::new(AtomicU64::new(0)),
        })
    }

    pub async fn conn(&self) -> Result<DbConnection, DbError> {
        self.pool
            .get()
            .await
            .map_err(|e| DbError::Unavailable(e.to_string()))
    }

    /// How many connections are open, idle and waited for.
    pub fn pool_status(&self) -> deadpool::Status {
        self.pool.status()
    }

    /// SQL statements sent through this pool so far (including connection health checks).
    pub fn queries_executed(&self) -> u64 {
        AtomicU64::load(&self.queries_executed, Ordering::Relaxed)
    }

    /// Counts statement rows (income, balance sheet, cash flow) read from the database.
    pub fn count_statement_rows(&self, rows: usize) {
        self.statement_rows
            .fetch_add(u64::try_from(rows).unwrap_or(u64::MAX), Ordering::Relaxed);
        crate::telemetry::metrics::statement_rows(rows);
    }

    /// Statement rows read through this pool so far.
    pub fn statement_rows_read(&self) -> u64 {
        AtomicU64::load(&self.statement_rows, Ordering::Relaxed)
    }
}

/// The pool's check before reusing a connection: a trivial query, only after an idle spell
/// (see [`VERIFY_IDLE_AFTER`]) or when a connection failed somewhere since this one was last
/// handed out. A failure makes the pool drop the connection and try another.
fn verify_if_doubtful<'a>(
    conn: &'a mut AsyncMysqlConnection,
    metrics: &'a Metrics,
) -> HookFuture<'a, PoolError> {
    async move {
        let handed_out = metrics.recycled.unwrap_or(metrics.created);
        if metrics.last_used() >= VERIFY_IDLE_AFTER || connection_failed_since(handed_out) {
            diesel::sql_query("SELECT 1")
                .execute(conn)
                .await
                .map_err(|e| HookError::Backend(PoolError::QueryError(e)))?;
        }
        Ok(())
    }
    .boxed()
}

/// The readiness check's own connection, outside the pool: a pool busy with slow queries
/// says nothing about whether MySQL is reachable, and the check must not queue behind
/// requests for a connection. Reconnects when the connection has broken.
pub struct ReadinessProbe {
    url: SecretString,
    timeout: Duration,
    conn: tokio::sync::Mutex<Option<AsyncMysqlConnection>>,
}

impl ReadinessProbe {
    pub fn new(settings: &DatabaseSettings) -> Self {
        Self {
            url: settings.url.clone(),
            timeout: Duration::from_secs(settings.timeout_secs),
            conn: tokio::sync::Mutex::new(None),
        }
    }

    /// True when MySQL answers a trivial query within the database timeout.
    pub async fn check(&self) -> Result<(), DbError> {
        tokio::time::timeout(self.timeout, self.round_trip())
            .await
            .map_err(|_| DbError::Unavailable(String::from("readiness check timed out")))?
    }

    async fn round_trip(&self) -> Result<(), DbError> {
        let mut held = self.conn.lock().await;
        let conn = match held.as_mut() {
            Some(conn) => conn,
            None => held.insert(
                AsyncMysqlConnection::establish(self.url.expose_secret())
                    .await
                    .map_err(|e| DbError::Unavailable(e.to_string()))?,
            ),
        };
        let answered = diesel::sql_query("SELECT 1").execute(conn).await;
        if answered.is_err() {
            // Broken or not, the next check starts from a fresh connection.
            *held = None;
        }
        answered.map(drop).map_err(DbError::from)
    }
}

struct QueryCounter(Arc<AtomicU64>);

impl Instrumentation for QueryCounter {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartQuery { query, .. } => {
                self.0.fetch_add(1, Ordering::Relaxed);
                crate::telemetry::metrics::sql_query();
                tracing::trace!(target: "finstage::sql", query = %query, "sql query");
            }
            InstrumentationEvent::FinishQuery {
                error: Some(error), ..
            } => {
                tracing::debug!(target: "finstage::sql", %error, "sql query failed");
            }
            _ => {}
        }
    }
}

/// How long a process waits for another one's migrations before giving up.
const MIGRATION_LOCK_WAIT_SECS: i32 = 300;

/// Applies every embedded migration not yet applied; returns the versions it applied.
/// Processes started together (`serve --migrate` beside `worker --migrate`) take turns
/// under a named lock of the database, so DDL never races; whoever comes second finds
/// nothing left to apply. Runs on a blocking thread because diesel's migration harness is
/// synchronous.
pub async fn run_migrations(url: &SecretString) -> Result<Vec<String>, DbError> {
    #[derive(QueryableByName)]
    struct Acquired {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Integer>)]
        acquired: Option<i32>,
    }
    let url = url.expose_secret().to_owned();
    tokio::task::spawn_blocking(move || {
        let mut conn =
            <AsyncConnectionWrapper<AsyncMysqlConnection> as Connection>::establish(&url)
                .map_err(|e| DbError::Unavailable(e.to_string()))?;
        let take_lock = diesel::sql_query(
            "SELECT GET_LOCK(SHA1(CONCAT(DATABASE(), ':migrations')), ?) AS acquired",
        )
        .bind::<diesel::sql_types::Integer, _>(MIGRATION_LOCK_WAIT_SECS);
        let lock: Acquired = diesel::RunQueryDsl::get_result(take_lock, &mut conn)?;
        if lock.acquired != Some(1) {
            return Err(DbError::Migration(format!(
                "another process held the migration lock for {MIGRATION_LOCK_WAIT_SECS} s"
            )));
        }
        // Closing the connection releases the lock, whatever happens here.
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| DbError::Migration(e.to_string()))?;
        Ok(applied.iter().map(ToString::to_string).collect())
    })
    .await
    .map_err(|e| DbError::Migration(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unknown(message: &str) -> DieselError {
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, Box::new(message.to_owned()))
    }

    #[test]
    fn long_texts_are_cut_on_a_character_boundary() {
        assert_eq!(fit("short", 1000), "short");
        let long = "é".repeat(1500);
        assert_eq!(fit(&long, 1000).chars().count(), 1000);
    }

    #[test]
    fn connection_failures_are_unavailable_whatever_their_kind() {
        for message in [
            "Input/output error: Input/output error: Driver error: `Connection to the server is closed.'",
            "Input/output error: broken pipe (os error 32)",
            "Server shutdown in progress",
            "Lost connection to server during query",
        ] {
            assert!(
                matches!(DbError::from(unknown(message)), DbError::Unavailable(_)),
                "{message}"
            );
        }
        assert!(matches!(
            DbError::from(unknown(
                "Query execution was interrupted (max_statement_time exceeded)"
            )),
            DbError::Timeout(_)
        ));
        assert!(matches!(
            DbError::from(unknown("Table 'test.nope' doesn't exist")),
            DbError::Query(_)
        ));
    }

    #[test]
    fn a_connection_failure_marks_connections_handed_out_before_it() {
        let before = Instant::now();
        note_connection_failure();
        assert!(connection_failed_since(before));
        // Not one handed out later (other tests may note failures meanwhile, never in the
        // future).
        assert!(!connection_failed_since(
            Instant::now() + Duration::from_secs(3_600)
        ));
    }

    #[test]
    fn data_errors_are_told_from_connection_errors() {
        assert!(is_data_error(&unknown(
            "Out of range value for column 'revenue' at row 1"
        )));
        assert!(is_data_error(&DieselError::DatabaseError(
            DatabaseErrorKind::CheckViolation,
            Box::new(String::from("check failed")),
        )));
        assert!(!is_data_error(&unknown(
            "Input/output error: broken pipe (os error 32)"
        )));
        assert!(!is_data_error(&unknown(
            "Deadlock found when trying to get lock"
        )));
    }
}
