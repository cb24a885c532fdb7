//! `spawn_app()` / `TestApp::builder()`: the gateway on a random port over a fresh, migrated
//! database of its own; `spawn_worker`: an ingestion worker; seeding and lookup helpers.

use std::ops::RangeInclusive;
use std::str::FromStr;

use std::num::NonZeroU32;

use diesel_async::{AsyncMysqlConnection, RunQueryDsl};
use finstage::config::{
    ApiSettings, CacheSettings, DatabaseSettings, HttpSettings, IngestionSettings, KafkaSettings,
    ProviderKind, ProviderSettings, RequestTransport, ServeSettings, WebSocketSettings,
    WorkerSettings,
};
use finstage::db::companies::{self, CompanyProfile};
use finstage::db::listings::{self, Listing};
use finstage::db::registrations;
use finstage::db::statements::StatementKind;
use finstage::db::{self, Db};
use finstage::domain::{
    BalanceSheetItems, CashFlowItems, FiscalPeriod, IncomeStatementItems, Money, ShareCount,
    Statement, StatementPeriod, Symbol,
};
use finstage::ingestion::import::{Companies, import_dir};
use finstage::registration::Registrations;
use finstage::startup::Application;
use finstage::worker::Worker;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

pub use crate::support::database::TestDb;
pub use crate::support::wait::eventually;

pub const ADMIN_TOKEN: &str = "test-admin-token";
/// Generous enough for every test; the rate-limit test sets its own.
pub const REGISTRATIONS_PER_MINUTE: u32 = 150;

/// Installs a log subscriber once per test process when TEST_LOG is set (its value is the
/// filter, e.g. `TEST_LOG=finstage=debug`; `1` means `info`). Without it tests are silent.
pub fn init_logging() {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        let Ok(filter) = std::env::var("TEST_LOG") else {
            return;
        };
        let filter = if filter.is_empty() || filter == "1" {
            "info".to_owned()
        } else {
            filter
        };
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    });
}

/// What a finstage child process should log: TEST_LOG's filter, or nothing.
pub fn child_log_filter() -> String {
    match std::env::var("TEST_LOG") {
        Ok(filter) if !filter.is_empty() && filter != "1" => filter,
        Ok(_) => "info".into(),
        Err(_) => "off".into(),
    }
}

/// Kafka settings whose topics no other test uses (`topic_suffix` makes them unique).
pub fn test_kafka_settings(brokers: &str, topic_suffix: &str) -> KafkaSettings {
    KafkaSettings {
        brokers: brokers.to_owned(),
        request_topic: format!("test.request.{topic_suffix}"),
        result_topic: format!("test.result.{topic_suffix}"),
        dlq_topic: format!("test.dlq.{topic_suffix}"),
        topic_partitions: 1,
        replication_factor: 1,
        redrive_after_secs: 1_800,
    }
}

/// The gateway settings every test starts from; `TestAppBuilder` changes only what a test
/// names. A new settings field needs an edit here only.
pub fn test_serve_settings(database_url: &str) -> ServeSettings {
    ServeSettings {
        database: DatabaseSettings {
            url: SecretString::from(database_url.to_owned()),
            pool_size: 8,
            timeout_secs: 2,
            statement_timeout_ms: 10_000,
        },
        http: HttpSettings {
            listen_addr: "127.0.0.1:0".parse().expect("valid address"),
            cors_allowed_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            request_timeout_secs: 15,
            header_read_timeout_secs: 10,
            max_concurrent_requests: 256,
            websocket: WebSocketSettings {
                max_connections: 1_000,
                max_connections_per_client: 10,
                max_subscriptions_per_connection: 20,
                connection_init_timeout_secs: 10,
                idle_timeout_secs: 60,
                status_recheck_secs: 30,
            },
        },
        kafka: test_kafka_settings("127.0.0.1:9", "unused"),
        transport: RequestTransport::Off,
        ingestion: test_ingestion_settings(sec_dir_provider()),
        cache: CacheSettings {
            max_statements: 100_000,
            max_response_bytes: 32 * 1024 * 1024,
            ttl_secs: 600,
            http_max_age_secs: 60,
        },
        api: ApiSettings {
            admin_token: Some(SecretString::from(ADMIN_TOKEN)),
            registrations_per_minute: NonZeroU32::new(REGISTRATIONS_PER_MINUTE).expect("non-zero"),
            introspection: true,
            graphiql: true,
        },
    }
}

/// A database URL nothing listens on.
pub const UNREACHABLE_DATABASE_URL: &str = "mysql://root@127.0.0.1:1/finstage";

/// The gateway on a random port, with a fresh database of its own; stopped when dropped.
pub struct TestApp {
    pub address: String,
    pub database_url: String,
    pub db: Db,
    pub registrations: Registrations,
    pub client: reqwest::Client,
    shutdown: CancellationToken,
    _database: Option<TestDb>,
}

/// The gateway with its defaults: a fresh database, Kafka off.
pub async fn spawn_app() -> TestApp {
    TestApp::builder().spawn().await
}

type SettingsEdit = Box<dyn FnOnce(&mut ServeSettings)>;

/// `TestApp::builder().kafka(k).cache_ttl(4).cors(&[..]).without_database().spawn().await`
pub struct TestAppBuilder {
    database: bool,
    edits: Vec<SettingsEdit>,
}

impl TestAppBuilder {
    /// The outbox relay and the result listener on, against `kafka`.
    pub fn kafka(self, kafka: KafkaSettings) -> Self {
        self.with_settings(move |s| {
            s.kafka = kafka;
            s.transport = RequestTransport::Kafka;
        })
    }

    /// The gateway ingests requests itself (the in-process transport) from `provider`.
    pub fn in_process(self, provider: ProviderSettings) -> Self {
        self.with_settings(move |s| {
            s.transport = RequestTransport::InProcess;
            s.ingestion = test_ingestion_settings(provider);
        })
    }

    /// Cached entries live `ttl_secs`.
    pub fn cache_ttl(self, ttl_secs: u64) -> Self {
        self.with_settings(move |s| s.cache.ttl_secs = ttl_secs)
    }

    pub fn cors(self, origins: &[&str]) -> Self {
        let origins: Vec<String> = origins.iter().map(|o| o.to_string()).collect();
        self.with_settings(move |s| s.http.cors_allowed_origins = origins)
    }

    pub fn registrations_per_minute(self, limit: u32) -> Self {
        self.with_settings(move |s| {
            s.api.registrations_per_minute = NonZeroU32::new(limit).expect("non-zero limit");
        })
    }

    /// Points the gateway at a database URL nothing listens on.
    pub fn without_database(mut self) -> Self {
        self.database = false;
        self
    }

    /// Any other change to the default settings.
    pub fn with_settings(mut self, edit: impl FnOnce(&mut ServeSettings) + 'static) -> Self {
        self.edits.push(Box::new(edit));
        self
    }

    pub async fn spawn(self) -> TestApp {
        init_logging();
        let database = if self.database {
            Some(TestDb::create().await)
        } else {
            None
        };
        let url = database
            .as_ref()
            .map_or_else(|| UNREACHABLE_DATABASE_URL.to_owned(), |d| d.url.clone());
        let mut settings = test_serve_settings(&url);
        for edit in self.edits {
            edit(&mut settings);
        }
        let app = Application::build(&settings).await.expect("build app");
        let address = format!("http://{}", app.local_addr().expect("bound address"));
        let db = app.db().clone();
        let registrations = app.registrations().clone();
        let shutdown = CancellationToken::new();
        tokio::spawn(app.run_until_stopped(shutdown.clone()));
        TestApp {
            address,
            database_url: settings.database.url.expose_secret().to_owned(),
            db,
            registrations,
            client: reqwest::Client::new(),
            shutdown,
            _database: database,
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// The GraphQL error code of the first error, or `<no error code>`.
pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<no error code>")
}

impl TestApp {
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            database: true,
            edits: Vec::new(),
        }
    }

    /// POSTs a GraphQL document; returns the HTTP status and the JSON body.
    pub async fn post_graphql(&self, query: &str, variables: Value) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("POST /graphql");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON body"))
    }

    /// POSTs a GraphQL document that must succeed at the HTTP level; returns the JSON body.
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        let (status, body) = self.post_graphql(query, variables).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Sends `refreshCompany(symbol)`, with `token` as the bearer token if given.
    pub async fn refresh_company(&self, symbol: &str, token: Option<&str>) -> Value {
        let mut request = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": format!("mutation {{ refreshCompany(symbol: \"{symbol}\") {{ status registration {{ state }} }} }}") }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request
            .send()
            .await
            .expect("POST")
            .json()
            .await
            .expect("JSON")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("GET")
    }

    pub async fn conn(&self) -> db::DbConnection {
        self.db.conn().await.expect("test database connection")
    }

    /// Every registration request stored for `symbol`, newest first.
    pub async fn requests_for(&self, symbol: &str) -> Vec<registrations::RegistrationRecord> {
        let symbol = Symbol::parse(symbol).expect("symbol");
        let mut conn = self.conn().await;
        registrations::by_symbols(&mut conn, &[symbol])
            .await
            .expect("registration requests")
    }

    /// The symbol's newest registration request.
    pub async fn latest_request(&self, symbol: &str) -> registrations::RegistrationRecord {
        self.requests_for(symbol)
            .await
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no registration request for {symbol}"))
    }

    /// Stores a READY company with the given statements.
    pub async fn seed_company(&self, symbol: &str, statements: &SeedStatements) -> i64 {
        let mut conn = self.conn().await;
        let cik = format!("{:010}", symbol.bytes().map(u64::from).sum::<u64>());
        let name = format!("{symbol} Inc.");
        let profile = CompanyProfile {
            symbol,
            cik: Some(&cik),
            name: Some(&name),
            exchange: Some("Nasdaq"),
            currency: Some("USD"),
            fiscal_year_end: Some("0930"),
            sic_code: Some("3571"),
            sic_description: Some("Electronic Computers"),
        };
        let id = companies::upsert_ready(&mut conn, &profile)
            .await
            .expect("seed company");
        IncomeStatementItems::upsert(&mut conn, id, &statements.income)
            .await
            .expect("seed income statements");
        BalanceSheetItems::upsert(&mut conn, id, &statements.balance)
            .await
            .expect("seed balance sheets");
        CashFlowItems::upsert(&mut conn, id, &statements.cash_flow)
            .await
            .expect("seed cash-flow statements");
        id
    }

    /// Imports the real SEC fixtures: the securities master, and these companies (none:
    /// only the securities master).
    pub async fn import_fixtures(&self, symbols: &[&str]) {
        let symbols: Vec<Symbol> = symbols
            .iter()
            .map(|s| Symbol::parse(s).expect("symbol"))
            .collect();
        let companies = if symbols.is_empty() {
            Companies::None
        } else {
            Companies::Only(&symbols)
        };
        import_dir(&self.db, crate::normalization::FIXTURES.as_ref(), companies)
            .await
            .expect("import");
    }

    pub async fn seed_listings(&self, rows: &[(&str, &str)]) {
        let rows: Vec<Listing> = rows
            .iter()
            .enumerate()
            .map(|(i, (symbol, name))| Listing {
                symbol: symbol.to_string(),
                cik: format!("{:010}", i + 1),
                name: name.to_string(),
                exchange: None,
            })
            .collect();
        let mut conn = self.conn().await;
        listings::sync(&mut conn, &rows)
            .await
            .expect("seed listings");
    }
}

pub fn money(text: &str) -> Option<Money> {
    Some(Money::from_str(text).expect("decimal literal"))
}

#[derive(Default)]
pub struct SeedStatements {
    pub income: Vec<Statement<IncomeStatementItems>>,
    pub balance: Vec<Statement<BalanceSheetItems>>,
    pub cash_flow: Vec<Statement<CashFlowItems>>,
}

pub fn period(fiscal_year: i32, fiscal_period: FiscalPeriod) -> StatementPeriod {
    let end = chrono::NaiveDate::from_ymd_opt(fiscal_year, 9, 30).expect("valid date");
    StatementPeriod {
        fiscal_year,
        fiscal_period,
        period_start: Some(end - chrono::Duration::days(364)),
        period_end: end,
        form: if fiscal_period == FiscalPeriod::Fy {
            "10-K"
        } else {
            "10-Q"
        }
        .into(),
        filed_at: end + chrono::Duration::days(35),
        accession_number: format!("0000320193-{:02}-000106", fiscal_year % 100),
        currency: "USD".into(),
        derived: fiscal_period == FiscalPeriod::Q4,
        derived_items: String::new(),
    }
}

/// Synthetic statements for every fiscal year in `years` and each of `periods`, with figures
/// that encode the year so tests can tell rows apart.
pub fn synthetic(years: RangeInclusive<i32>, periods: &[FiscalPeriod]) -> SeedStatements {
    let mut seed = SeedStatements::default();
    for year in years {
        for &fiscal_period in periods {
            let p = period(year, fiscal_period);
            let base = format!("{year}000000.25");
            seed.income.push(Statement {
                period: p.clone(),
                items: IncomeStatementItems {
                    revenue: money(&base),
                    net_income: money("1000.10"),
                    eps_diluted: money("1.2345"),
                    weighted_average_shares_diluted: Some(ShareCount(15_000_000_000)),
                    ..Default::default()
                },
            });
            seed.balance.push(Statement {
                period: StatementPeriod {
                    period_start: None,
                    ..p.clone()
                },
                items: BalanceSheetItems {
                    total_assets: money(&base),
                    ..Default::default()
                },
            });
            seed.cash_flow.push(Statement {
                period: p,
                items: CashFlowItems {
                    operating_cash_flow: money(&base),
                    ..Default::default()
                },
            });
        }
    }
    seed
}

/// Worker settings for tests: a group of its own, quick retries, a short session timeout so a
/// killed worker's partitions move on within seconds.
pub fn test_worker_settings(
    database_url: &str,
    kafka: &KafkaSettings,
    provider: ProviderSettings,
) -> WorkerSettings {
    WorkerSettings {
        database: DatabaseSettings {
            url: SecretString::from(database_url.to_owned()),
            pool_size: 4,
            timeout_secs: 2,
            statement_timeout_ms: 10_000,
        },
        kafka: kafka.clone(),
        ingestion: test_ingestion_settings(provider),
        group_id: format!("{}.workers", kafka.request_topic),
        session_timeout_ms: 6_000,
    }
}

/// Quick retries, for tests of the worker and of the in-process transport.
pub fn test_ingestion_settings(provider: ProviderSettings) -> IngestionSettings {
    IngestionSettings {
        provider,
        max_attempts: 3,
        retry_base_ms: 50,
        retry_max_ms: 2_000,
        lock_wait_secs: 60,
        breaker_failures: 5,
        breaker_open_secs: 60,
        breaker_max_open_secs: 3_600,
    }
}

/// The `sec-dir` provider over the real SEC files in `tests/fixtures/sec`.
pub fn sec_dir_provider() -> ProviderSettings {
    ProviderSettings {
        provider: ProviderKind::SecDir,
        sec_base_url: String::new(),
        sec_tickers_url: String::new(),
        sec_user_agent: None,
        sec_requests_per_second: NonZeroU32::MIN,
        sec_dir: Some(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sec").into()),
        fmp_base_url: String::new(),
        fmp_api_key: None,
        timeout_secs: 10,
        max_body_bytes: ProviderSettings::DEFAULT_MAX_BODY_BYTES,
    }
}

/// An ingestion worker running in the test's runtime; stopped when dropped.
pub struct TestWorker {
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), finstage::worker::WorkerError>>,
}

pub fn spawn_worker(settings: WorkerSettings) -> TestWorker {
    init_logging();
    let worker = Worker::build(settings).expect("build worker");
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(worker.run(shutdown.clone()));
    TestWorker { shutdown, task }
}

impl TestWorker {
    /// Asks the worker to stop, as SIGTERM does, without waiting.
    pub fn ask_to_stop(&self) {
        self.shutdown.cancel();
    }

    /// Asks the worker to stop and waits until it has.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        (&mut self.task)
            .await
            .expect("worker task")
            .expect("worker stopped cleanly");
    }
}

impl Drop for TestWorker {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Sessions of the connection's database running a statement that starts with `prefix`,
/// other than the one asking.
pub async fn sessions_running(conn: &mut AsyncMysqlConnection, prefix: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(
        "SELECT COUNT(*) AS n FROM information_schema.processlist \
         WHERE db = DATABASE() AND id <> CONNECTION_ID() AND info LIKE CONCAT(?, '%')",
    )
    .bind::<diesel::sql_types::Text, _>(prefix)
    .get_result::<Count>(conn)
    .await
    .expect("processlist")
    .n
}

/// A child process of the test (`finstage serve` or `worker`), SIGKILLed and reaped when
/// dropped, also when the test fails before stopping it.
pub struct ChildProcess(pub std::process::Child);

impl ChildProcess {
    pub fn kill(&mut self) {
        self.0.kill().expect("SIGKILL");
        self.0.wait().expect("reap");
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A connection of the test's own holding `LOCK TABLES table WRITE` until it is dropped or
/// unlocks: the app's statements on that table wait, as on a stalled database.
pub async fn write_lock(database_url: &str, table: &str) -> AsyncMysqlConnection {
    use diesel_async::AsyncConnection;
    let mut conn = AsyncMysqlConnection::establish(database_url)
        .await
        .expect("a second connection");
    diesel::sql_query(format!("LOCK TABLES {table} WRITE"))
        .execute(&mut conn)
        .await
        .expect("lock");
    conn
}
