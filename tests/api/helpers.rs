//! `spawn_app()`: a fresh, migrated database per test and the gateway on a random port.

use std::ops::RangeInclusive;
use std::str::FromStr;

use diesel_async::{AsyncConnection, AsyncMysqlConnection, RunQueryDsl};
use std::num::NonZeroU32;

use finstage::config::{
    ApiSettings, CacheSettings, DatabaseSettings, HttpSettings, IngestionSettings, KafkaSettings,
    ProviderKind, ProviderSettings, RequestTransport, ServeSettings, WorkerSettings,
};
use finstage::db::companies::{self, CompanyProfile};
use finstage::db::listings::{self, Listing};
use finstage::db::statements::StatementKind;
use finstage::db::{self, Db};
use finstage::domain::{
    BalanceSheetItems, CashFlowItems, FiscalPeriod, IncomeStatementItems, Money, Statement,
    StatementPeriod,
};
use finstage::startup::Application;
use finstage::worker::Worker;
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

pub const ADMIN_TOKEN: &str = "test-admin-token";
/// Generous enough for every test but the one that exhausts it.
pub const REGISTRATIONS_PER_MINUTE: u32 = 150;

/// The MariaDB server tests create their databases on (no database name).
pub fn test_server_url() -> String {
    std::env::var("TEST_DATABASE_SERVER").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into())
}

/// A uniquely named, migrated database, dropped when the test ends.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub async fn create() -> Self {
        let name = format!("finstage_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = AsyncMysqlConnection::establish(&format!("{}/test", test_server_url()))
            .await
            .expect("connect to the test MariaDB server (is it running?)");
        diesel::sql_query(format!("CREATE DATABASE `{name}`"))
            .execute(&mut admin)
            .await
            .expect("create test database");
        let url = format!("{}/{name}", test_server_url());
        db::run_migrations(&SecretString::from(url.clone()))
            .await
            .expect("migrate test database");
        Self { name, url }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside async context; a short-lived runtime on its own thread does the I/O.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut admin =
                    AsyncMysqlConnection::establish(&format!("{}/test", test_server_url())).await?;
                // The app's tasks stop with the test's runtime, possibly mid-transaction: end
                // their sessions so DROP DATABASE does not wait on their locks.
                let sessions: Vec<SessionId> =
                    diesel::sql_query("SELECT id FROM information_schema.processlist WHERE db = ?")
                        .bind::<diesel::sql_types::Text, _>(&name)
                        .load(&mut admin)
                        .await?;
                for session in sessions {
                    let _ = diesel::sql_query(format!("KILL {}", session.id))
                        .execute(&mut admin)
                        .await;
                }
                diesel::sql_query(format!("DROP DATABASE IF EXISTS `{name}`"))
                    .execute(&mut admin)
                    .await?;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            })?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}

#[derive(diesel::QueryableByName)]
struct SessionId {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

pub struct TestApp {
    pub address: String,
    pub database_url: String,
    pub db: Db,
    pub client: reqwest::Client,
    /// Stops the gateway when the test ends.
    _shutdown: tokio_util::sync::DropGuard,
    _database: Option<TestDb>,
}

pub async fn spawn_app() -> TestApp {
    let database = TestDb::create().await;
    let url = database.url.clone();
    spawn_app_on(url, Some(database), Vec::new(), None, None).await
}

/// The gateway pointed at a database URL nothing listens on.
pub async fn spawn_app_without_database() -> TestApp {
    spawn_app_on(
        "mysql://root@127.0.0.1:1/finstage".into(),
        None,
        Vec::new(),
        None,
        None,
    )
    .await
}

pub async fn spawn_app_with_cors(origins: &[&str]) -> TestApp {
    let database = TestDb::create().await;
    let url = database.url.clone();
    let origins = origins.iter().map(|o| o.to_string()).collect();
    spawn_app_on(url, Some(database), origins, None, None).await
}

pub fn test_kafka_settings(brokers: &str, topic_suffix: &str) -> KafkaSettings {
    KafkaSettings {
        brokers: brokers.to_owned(),
        request_topic: format!("test.request.{topic_suffix}"),
        result_topic: format!("test.result.{topic_suffix}"),
        dlq_topic: format!("test.dlq.{topic_suffix}"),
        topic_partitions: 1,
        replication_factor: 1,
    }
}

/// The gateway with a read cache whose entries live `ttl_secs`, Kafka off.
pub async fn spawn_app_with_cache_ttl(ttl_secs: u64) -> TestApp {
    let database = TestDb::create().await;
    let url = database.url.clone();
    let cache = CacheSettings {
        max_statements: 100_000,
        max_response_bytes: 32 * 1024 * 1024,
        ttl_secs,
    };
    spawn_app_on(url, Some(database), Vec::new(), None, Some(cache)).await
}

/// The gateway with its outbox relay publishing to `kafka`.
pub async fn spawn_app_with_kafka(kafka: KafkaSettings) -> TestApp {
    let database = TestDb::create().await;
    let url = database.url.clone();
    spawn_app_on(url, Some(database), Vec::new(), Some(kafka), None).await
}

/// The gateway ingesting requests itself (the in-process transport) from `provider`.
pub async fn spawn_app_in_process(provider: ProviderSettings) -> TestApp {
    let database = TestDb::create().await;
    let url = database.url.clone();
    let mut settings = serve_settings(url.clone(), Vec::new(), None, None);
    settings.transport = RequestTransport::InProcess;
    settings.ingestion = test_ingestion_settings(provider);
    start(settings, url, Some(database)).await
}

async fn spawn_app_on(
    url: String,
    database: Option<TestDb>,
    cors: Vec<String>,
    kafka: Option<KafkaSettings>,
    cache: Option<CacheSettings>,
) -> TestApp {
    let settings = serve_settings(url.clone(), cors, kafka, cache);
    start(settings, url, database).await
}

fn serve_settings(
    url: String,
    cors: Vec<String>,
    kafka: Option<KafkaSettings>,
    cache: Option<CacheSettings>,
) -> ServeSettings {
    ServeSettings {
        database: DatabaseSettings {
            url: SecretString::from(url.clone()),
            pool_size: 8,
            timeout_secs: 2,
        },
        http: HttpSettings {
            listen_addr: "127.0.0.1:0".parse().expect("valid address"),
            cors_allowed_origins: cors,
        },
        kafka: kafka
            .clone()
            .unwrap_or_else(|| test_kafka_settings("127.0.0.1:9", "unused")),
        transport: if kafka.is_some() {
            RequestTransport::Kafka
        } else {
            RequestTransport::Off
        },
        ingestion: test_ingestion_settings(sec_dir_provider()),
        cache: cache.unwrap_or(CacheSettings {
            max_statements: 100_000,
            max_response_bytes: 32 * 1024 * 1024,
            ttl_secs: 600,
        }),
        api: ApiSettings {
            admin_token: Some(SecretString::from(ADMIN_TOKEN)),
            registrations_per_minute: NonZeroU32::new(REGISTRATIONS_PER_MINUTE).expect("non-zero"),
        },
    }
}

async fn start(settings: ServeSettings, url: String, database: Option<TestDb>) -> TestApp {
    let app = Application::build(&settings).await.expect("build app");
    let address = format!("http://{}", app.local_addr().expect("bound address"));
    let db = app.db().clone();
    let shutdown = CancellationToken::new();
    tokio::spawn(app.run_until_stopped(shutdown.clone()));
    TestApp {
        address,
        database_url: url,
        db,
        client: reqwest::Client::new(),
        _shutdown: shutdown.drop_guard(),
        _database: database,
    }
}

impl TestApp {
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
                    weighted_average_shares_diluted: Some(15_000_000_000),
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
    }
}

/// An ingestion worker running in the test's runtime; stopped when dropped.
pub struct TestWorker {
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), finstage::worker::WorkerError>>,
}

pub fn spawn_worker(settings: WorkerSettings) -> TestWorker {
    let worker = Worker::build(settings).expect("build worker");
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(worker.run(shutdown.clone()));
    TestWorker { shutdown, task }
}

impl TestWorker {
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
