//! The ingestion worker end to end: gateway, outbox relay, a real broker, the worker, a local
//! HTTP server serving SEC's real recorded files, and the real MariaDB.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncMysqlConnection, RunQueryDsl};
use finstage::config::{KafkaSettings, WorkerSettings};
use finstage::db::registrations;
use finstage::domain::RegistrationState;
use finstage::kafka;
use finstage::schema::companies;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::broker::{Record, TestBroker, consume_records, started_broker, unique_kafka_settings};
use crate::helpers::{
    ADMIN_TOKEN, ChildProcess, TestApp, TestWorker, child_log_filter, eventually, sessions_running,
    spawn_worker, test_worker_settings,
};
use crate::subscriptions::{StatusSubscription, wait_for_result_listener};
use crate::upstream::{APPLE_FACTS_PATH, Fault, Gate, SNOWFLAKE_FACTS_PATH, UpstreamServer};

const COMPANY: &str = r#"query ($s: String!) {
  company(symbol: $s) {
    status statusReason
    registration { state attempts lastError }
    incomeStatements(last: 1, fiscalYearTo: 2023) {
      fiscalYear fiscalPeriod revenue netIncome epsDiluted
    }
    balanceSheets(last: 1, fiscalYearTo: 2023) { fiscalYear totalAssets totalLiabilitiesAndEquity }
    cashFlowStatements(last: 1, fiscalYearTo: 2023) { fiscalYear operatingCashFlow freeCashFlow }
  }
}"#;

pub const TIMEOUT: Duration = Duration::from_secs(60);

/// How the gateway's registration requests reach ingestion in a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Outbox relay → a real broker → a `Worker` → the result topic.
    Kafka,
    /// The gateway ingests its requests itself; no broker runs at all.
    InProcess,
}

/// For each scenario `name(transport)`, the tests `name::through_kafka` and
/// `name::in_process`.
macro_rules! on_both_transports {
    ($($scenario:ident),+ $(,)?) => {$(
        mod $scenario {
            #[tokio::test]
            async fn through_kafka() {
                super::$scenario(super::Transport::Kafka).await;
            }

            #[tokio::test]
            async fn in_process() {
                super::$scenario(super::Transport::InProcess).await;
            }
        }
    )+};
}

on_both_transports!(
    a_missing_company_goes_pending_then_ready_with_apple_s_figures_live,
    transient_provider_errors_are_retried_honouring_retry_after,
    a_provider_404_makes_the_company_not_found,
    a_garbage_answer_fails_the_company_with_a_reason_and_the_worker_goes_on,
);

pub struct Pipeline {
    pub broker: TestBroker,
    pub upstream: UpstreamServer,
    pub kafka: KafkaSettings,
    pub app: TestApp,
    transport: Transport,
}

impl Pipeline {
    /// Broker, upstream server and gateway; the worker is started by each test.
    pub async fn start() -> Self {
        Self::on(Transport::Kafka).await
    }

    /// Upstream server and gateway with `transport`; for `Kafka`, a broker too.
    pub async fn on(transport: Transport) -> Self {
        let upstream = UpstreamServer::start().await;
        let (broker, kafka, app) = match transport {
            Transport::Kafka => {
                let (broker, kafka) = started_broker().await;
                let app = TestApp::builder().kafka(kafka.clone()).spawn().await;
                (broker, kafka, app)
            }
            Transport::InProcess => {
                // Nothing listens on this broker's port: no test on this transport needs one.
                let broker = TestBroker::reserve();
                let kafka = unique_kafka_settings(&broker);
                let app = TestApp::builder()
                    .in_process(upstream.sec_provider())
                    .spawn()
                    .await;
                (broker, kafka, app)
            }
        };
        Self {
            broker,
            upstream,
            kafka,
            app,
            transport,
        }
    }

    /// Starts what ingests requests on this transport: a Kafka worker (stopped when the
    /// returned value is dropped), or nothing, since the in-process gateway ingests already.
    /// With Kafka, also waits until the gateway's result listener receives events.
    pub async fn ingesting(&self) -> Option<TestWorker> {
        match self.transport {
            Transport::Kafka => {
                let worker = self.worker();
                wait_for_result_listener(&self.app, &self.kafka).await;
                Some(worker)
            }
            Transport::InProcess => None,
        }
    }

    /// The test worker settings for this pipeline.
    pub fn worker_settings(&self) -> WorkerSettings {
        test_worker_settings(
            &self.app.database_url,
            &self.kafka,
            self.upstream.sec_provider(),
        )
    }

    pub fn worker(&self) -> TestWorker {
        spawn_worker(self.worker_settings())
    }

    pub async fn company(&self, symbol: &str) -> Value {
        let body = self.app.graphql(COMPANY, json!({ "s": symbol })).await;
        assert!(body["errors"].is_null(), "{body}");
        body["data"]["company"].clone()
    }

    /// Polls the company until `done` says so; returns it.
    pub async fn wait_until(
        &self,
        symbol: &str,
        what: &str,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        eventually(TIMEOUT, format!("{symbol}: {what}"), || async {
            let company = self.company(symbol).await;
            done(&company).then_some(company)
        })
        .await
    }

    /// Polls the company until it has `status`; returns it.
    pub async fn wait_for(&self, symbol: &str, status: &str) -> Value {
        self.wait_until(symbol, &format!("status {status}"), |c| {
            c["status"] == status
        })
        .await
    }

    /// (income statements, balance sheets, cash-flow statements) stored for `symbol`.
    pub async fn row_counts(&self, symbol: &str) -> (i64, i64, i64) {
        row_counts(&self.app, symbol).await
    }

    /// Publishes a raw message to the request topic, as another service would.
    pub async fn send_request(&self, key: &str, payload: &[u8]) {
        kafka::ensure_topics(&self.kafka).await.expect("topics");
        let producer = kafka::producer(&self.kafka).expect("producer");
        kafka::publish(&producer, &self.kafka.request_topic, key, payload)
            .await
            .expect("publish request");
    }

    /// Publishes the relay's message for `request` once more, as Kafka may after a rebalance.
    pub async fn redeliver(&self, request: &registrations::RegistrationRecord) {
        let message = json!({ "symbol": request.symbol, "requestId": request.id.to_string() });
        self.send_request(&request.symbol, message.to_string().as_bytes())
            .await;
    }

    /// The first `count` messages of the dead-letter topic; fails if they do not come.
    pub async fn dead_letters(&self, count: usize) -> Vec<Record> {
        self.topic(&self.kafka.dlq_topic, count).await
    }

    /// The first `count` messages of the result topic; fails if they do not come.
    pub async fn results(&self, count: usize) -> Vec<Record> {
        self.topic(&self.kafka.result_topic, count).await
    }

    async fn topic(&self, topic: &str, count: usize) -> Vec<Record> {
        let records = consume_records(&self.broker.brokers(), topic, count, TIMEOUT).await;
        assert_eq!(records.len(), count, "{topic}: {records:?}");
        records
    }
}

/// (income statements, balance sheets, cash-flow statements) stored for `symbol`.
pub async fn row_counts(app: &TestApp, symbol: &str) -> (i64, i64, i64) {
    #[derive(QueryableByName)]
    struct Counts {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        income: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        balance: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        cash_flow: i64,
    }
    let counts: Counts = diesel::sql_query(
        "SELECT \
           (SELECT COUNT(*) FROM income_statements s WHERE s.company_id = c.id) AS income, \
           (SELECT COUNT(*) FROM balance_sheets s WHERE s.company_id = c.id) AS balance, \
           (SELECT COUNT(*) FROM cash_flow_statements s WHERE s.company_id = c.id) AS cash_flow \
         FROM companies c WHERE c.symbol = ?",
    )
    .bind::<diesel::sql_types::Text, _>(symbol)
    .get_result(&mut app.conn().await)
    .await
    .expect("company row");
    (counts.income, counts.balance, counts.cash_flow)
}

/// The rows one ingestion of Apple's fixture (tests/fixtures/sec/CIK0000320193.json) must
/// store: (income statements, balance sheets, cash-flow statements). Pinned, not computed by
/// normalize(), so that a normalization regression that loses or invents periods fails
/// (a deliberate change to normalization updates these numbers with it).
pub const APPLE_ROWS: (i64, i64, i64) = (90, 91, 89);

async fn a_missing_company_goes_pending_then_ready_with_apple_s_figures_live(transport: Transport) {
    let pipeline = Pipeline::on(transport).await;
    let _worker = pipeline.ingesting().await;
    let mut subscription = StatusSubscription::open(&pipeline.app, "AAPL").await;

    let requested = Instant::now();
    let company = pipeline.company("aapl").await;
    assert_eq!(company["status"], "PENDING", "{company}");
    assert_eq!(company["incomeStatements"], json!([]));

    let events = subscription.until("READY", TIMEOUT).await;
    let elapsed = requested.elapsed();
    eprintln!("request to READY (pushed over graphql-ws): {elapsed:?}");
    let ready = events.last().unwrap();
    assert_eq!(ready["symbol"], "AAPL");
    assert!(ready["statusReason"].is_null(), "{ready}");

    let company = pipeline.company("AAPL").await;
    assert_eq!(company["status"], "READY", "{company}");
    assert_eq!(company["registration"]["state"], "COMPLETED");
    assert_eq!(company["registration"]["attempts"], 1);
    let income = &company["incomeStatements"][0];
    assert_eq!(income["fiscalYear"], 2023);
    assert_eq!(income["fiscalPeriod"], "FY");
    assert_eq!(income["revenue"], "383285000000");
    assert_eq!(income["netIncome"], "96995000000");
    assert_eq!(income["epsDiluted"], "6.13");
    let balance = &company["balanceSheets"][0];
    assert_eq!(balance["totalAssets"], "352583000000");
    assert_eq!(balance["totalLiabilitiesAndEquity"], "352583000000");
    let cash_flow = &company["cashFlowStatements"][0];
    assert_eq!(cash_flow["operatingCashFlow"], "110543000000");
    assert_eq!(cash_flow["freeCashFlow"], "99584000000");
    assert_eq!(pipeline.row_counts("AAPL").await, APPLE_ROWS);
}

async fn transient_provider_errors_are_retried_honouring_retry_after(transport: Transport) {
    let pipeline = Pipeline::on(transport).await;
    pipeline.upstream.fail(
        APPLE_FACTS_PATH,
        [Fault::Status(500), Fault::RetryAfter(503, 1)],
    );
    let _worker = pipeline.ingesting().await;

    pipeline.company("AAPL").await;
    let company = pipeline.wait_for("AAPL", "READY").await;
    assert_eq!(company["registration"]["attempts"], 3, "{company}");
    assert_eq!(company["incomeStatements"][0]["revenue"], "383285000000");

    let hits = pipeline.upstream.hits(APPLE_FACTS_PATH);
    assert_eq!(hits.len(), 3);
    // The retry base delay is 50 ms; the provider asked for a second.
    assert!(
        hits[2] - hits[1] >= Duration::from_secs(1),
        "Retry-After not honoured: {:?}",
        hits[2] - hits[1]
    );
}

async fn a_provider_404_makes_the_company_not_found(transport: Transport) {
    let pipeline = Pipeline::on(transport).await;
    pipeline
        .upstream
        .fail(APPLE_FACTS_PATH, [Fault::Status(404)]);
    let _worker = pipeline.ingesting().await;

    pipeline.company("AAPL").await;
    let company = pipeline.wait_for("AAPL", "NOT_FOUND").await;
    assert!(
        company["statusReason"]
            .as_str()
            .is_some_and(|reason| reason.contains("404")),
        "{company}"
    );
    assert_eq!(company["registration"]["state"], "COMPLETED");
    assert_eq!(pipeline.upstream.hits(APPLE_FACTS_PATH).len(), 1);

    // A symbol SEC does not list at all is NOT_FOUND too, without fetching any facts.
    pipeline.company("ZZZZ").await;
    let company = pipeline.wait_for("ZZZZ", "NOT_FOUND").await;
    assert!(
        company["statusReason"]
            .as_str()
            .is_some_and(|reason| reason.contains("company tickers")),
        "{company}"
    );
}

async fn a_garbage_answer_fails_the_company_with_a_reason_and_the_worker_goes_on(
    transport: Transport,
) {
    let pipeline = Pipeline::on(transport).await;
    pipeline.upstream.fail(
        APPLE_FACTS_PATH,
        [Fault::Body("<html>Service temporarily moved</html>")],
    );
    let _worker = pipeline.ingesting().await;

    pipeline.company("AAPL").await;
    let company = pipeline.wait_for("AAPL", "FAILED").await;
    let reason = company["statusReason"].as_str().expect("reason");
    assert!(
        reason.contains("unusable companyfacts document"),
        "{reason}"
    );
    assert_eq!(company["registration"]["state"], "FAILED");
    assert_eq!(company["registration"]["attempts"], 1, "not retried");

    // The same worker carries on, and a new request for the company succeeds.
    pipeline
        .app
        .graphql(
            "mutation { requestRegistration(symbol: \"AAPL\") { status } }",
            json!({}),
        )
        .await;
    pipeline.wait_for("AAPL", "READY").await;
}

#[tokio::test]
async fn a_provider_that_never_recovers_dead_letters_the_request() {
    let pipeline = Pipeline::start().await;
    // Two rounds of three attempts: the first time it runs out, a request is put back once,
    // since only another company could tell whether the provider or this one is at fault.
    let round = [Fault::Status(502), Fault::Status(503), Fault::Status(500)];
    pipeline
        .upstream
        .fail(APPLE_FACTS_PATH, round.iter().chain(&round).cloned());
    let _worker = pipeline.worker();

    let request_id = {
        let body = pipeline
            .app
            .graphql(
                "{ company(symbol: \"AAPL\") { registration { id } } }",
                json!({}),
            )
            .await;
        body["data"]["company"]["registration"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let company = pipeline.wait_for("AAPL", "FAILED").await;
    let reason = company["statusReason"].as_str().expect("reason");
    assert!(reason.starts_with("gave up after 3 attempts"), "{reason}");
    assert!(reason.contains("HTTP 500"), "{reason}");

    let letters = pipeline.dead_letters(1).await;
    let letter = &letters[0];
    let message = letter.json();
    assert_eq!(letter.key, "AAPL");
    assert_eq!(message["symbol"], "AAPL");
    assert_eq!(message["requestId"], request_id.as_str());
    assert_eq!(letter.header("attempts"), "3");
    assert!(letter.header("error").contains("HTTP 500"), "{letter:?}");
    assert_eq!(letter.header("source-topic"), pipeline.kafka.request_topic);
    assert_eq!(letter.header("source-partition"), "0");
    assert_eq!(
        letter.header("source-offset"),
        "1",
        "the copy put back after the first round"
    );
    let failed_at = chrono::DateTime::parse_from_rfc3339(letter.header("failed-at"));
    assert!(failed_at.is_ok(), "{letter:?}");
}

#[tokio::test]
async fn a_poison_message_is_dead_lettered_and_the_next_one_processed() {
    let pipeline = Pipeline::start().await;
    let _worker = pipeline.worker();

    pipeline.send_request("junk", b"this is not JSON").await;
    pipeline
        .send_request("BAD", br#"{"symbol":"NOT A SYMBOL"}"#)
        .await;
    // The earlier system's payload: only the symbol.
    pipeline.send_request("AAPL", br#"{"symbol":"AAPL"}"#).await;

    let company = pipeline.wait_for("AAPL", "READY").await;
    assert_eq!(company["incomeStatements"][0]["revenue"], "383285000000");
    let letters = pipeline.dead_letters(2).await;
    assert_eq!(letters[0].text(), "this is not JSON");
    assert_eq!(letters[0].key, "junk");
    assert!(
        letters[0]
            .header("error")
            .contains("not a registration request"),
        "{letters:?}"
    );
    assert_eq!(letters[0].header("attempts"), "0");
    assert_eq!(letters[1].text(), r#"{"symbol":"NOT A SYMBOL"}"#);
}

#[tokio::test]
async fn the_same_request_delivered_twice_stores_one_set_of_rows() {
    let pipeline = Pipeline::start().await;
    let _worker = pipeline.worker();

    pipeline.company("AAPL").await;
    pipeline.wait_for("AAPL", "READY").await;
    let stored = pipeline.row_counts("AAPL").await;
    assert_eq!(stored, APPLE_ROWS);
    let request = pipeline.app.latest_request("AAPL").await;
    assert_eq!(request.state, RegistrationState::Completed);

    // Redeliver the relay's message, as Kafka may after a rebalance.
    pipeline.redeliver(&request).await;
    // A later message proves the worker got past the duplicate.
    pipeline.send_request("SNOW", br#"{"symbol":"SNOW"}"#).await;
    pipeline.wait_for("SNOW", "READY").await;

    assert_eq!(pipeline.row_counts("AAPL").await, stored);
    assert_eq!(
        pipeline.upstream.hits(APPLE_FACTS_PATH).len(),
        1,
        "a handled request is not fetched again"
    );
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_company_ready_with_its_statements() {
    let pipeline = Pipeline::start().await;
    let _worker = pipeline.worker();
    pipeline.company("AAPL").await;
    pipeline.wait_for("AAPL", "READY").await;
    let stored = pipeline.row_counts("AAPL").await;
    wait_for_result_listener(&pipeline.app, &pipeline.kafka).await;
    let mut subscription = StatusSubscription::open(&pipeline.app, "AAPL").await;

    pipeline.upstream.fail(
        APPLE_FACTS_PATH,
        [Fault::Body("<html>Service temporarily moved</html>")],
    );
    let refreshed = pipeline
        .app
        .refresh_company("AAPL", Some(ADMIN_TOKEN))
        .await;
    assert_eq!(
        refreshed["data"]["refreshCompany"]["status"], "READY",
        "{refreshed}"
    );

    let company = pipeline
        .wait_until("AAPL", "the refresh request FAILED", |c| {
            c["registration"]["state"] == "FAILED"
        })
        .await;
    assert_eq!(company["status"], "READY", "{company}");
    assert!(company["statusReason"].is_null(), "{company}");
    let error = company["registration"]["lastError"]
        .as_str()
        .expect("lastError");
    assert!(error.contains("unusable companyfacts document"), "{error}");
    assert_eq!(company["incomeStatements"][0]["revenue"], "383285000000");
    assert_eq!(pipeline.row_counts("AAPL").await, stored);

    // Subscribers hear that the refresh failed, and that the company is still READY.
    let event = loop {
        let event = subscription.next(TIMEOUT).await.expect("a status event");
        if !event["statusReason"].is_null() {
            break event;
        }
    };
    assert_eq!(event["status"], "READY", "{event}");
    let reason = event["statusReason"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with("refresh failed, earlier statements kept"),
        "{reason}"
    );

    // A redelivery of the refresh request announces the same failure again, not a success.
    let refresh_request = pipeline.app.latest_request("AAPL").await;
    assert_eq!(refresh_request.state, RegistrationState::Failed);
    pipeline.redeliver(&refresh_request).await;
    let again = subscription
        .next(TIMEOUT)
        .await
        .expect("the republished result");
    assert_eq!(again["status"], "READY", "{again}");
    assert_eq!(again["statusReason"], event["statusReason"], "{again}");
}

#[tokio::test]
async fn two_workers_never_ingest_one_company_twice() {
    let pipeline = Pipeline::start().await;
    // The fetch is held until the test lets it through, so the worker fetching holds the
    // company's lock for as long as the test needs.
    let gate = Gate::new();
    pipeline
        .upstream
        .fail(APPLE_FACTS_PATH, [Fault::Hold(gate.clone())]);
    // Two workers in two consumer groups are both delivered the request, as two workers of
    // one group are when a rebalance or a producer retry duplicates it, and they handle it
    // at the same time. (In one group, partition assignment would decide whether they do.)
    let first = pipeline.worker_settings();
    let second = WorkerSettings {
        group_id: format!("{}.second", first.group_id),
        ..first.clone()
    };
    let _first = spawn_worker(first);
    let _second = spawn_worker(second);

    pipeline.company("AAPL").await;
    pipeline.upstream.wait_for_hits(APPLE_FACTS_PATH, 1).await;
    // The other worker has its copy and waits for the lock the fetching one holds.
    eventually(TIMEOUT, "the other worker to wait for the lock", || async {
        sessions_running(&mut *pipeline.app.conn().await, "SELECT GET_LOCK").await > 0
    })
    .await;
    gate.open();

    // Both handled the request: the fetching worker published its result, and the other,
    // once it had the lock, found the request done and published that result again.
    let results = pipeline.results(2).await;
    let request = pipeline.app.latest_request("AAPL").await;
    for result in results {
        let result = result.json();
        assert_eq!(result["requestId"], request.id.to_string(), "{result}");
        assert_eq!(result["status"], "READY", "{result}");
    }
    assert_eq!(request.state, RegistrationState::Completed);
    assert_eq!(
        pipeline.upstream.hits(APPLE_FACTS_PATH).len(),
        1,
        "fetched once"
    );
    assert_eq!(pipeline.row_counts("AAPL").await, APPLE_ROWS);
}

/// `finstage worker` as a real process, configured through its environment with `settings`
/// (the same settings the in-process workers get).
fn worker_process(settings: &WorkerSettings) -> ChildProcess {
    let provider = &settings.ingestion.provider;
    assert_eq!(provider.provider, finstage::config::ProviderKind::Sec);
    let kafka = &settings.kafka;
    std::process::Command::new(env!("CARGO_BIN_EXE_finstage"))
        .arg("worker")
        .env("DATABASE_URL", settings.database.url.expose_secret())
        .env(
            "DATABASE_POOL_SIZE",
            settings.database.pool_size.to_string(),
        )
        .env(
            "DATABASE_TIMEOUT_SECS",
            settings.database.timeout_secs.to_string(),
        )
        .env("KAFKA_BROKERS", &kafka.brokers)
        .env("KAFKA_REQUEST_TOPIC", &kafka.request_topic)
        .env("KAFKA_RESULT_TOPIC", &kafka.result_topic)
        .env("KAFKA_DLQ_TOPIC", &kafka.dlq_topic)
        .env("KAFKA_TOPIC_PARTITIONS", kafka.topic_partitions.to_string())
        .env(
            "KAFKA_REPLICATION_FACTOR",
            kafka.replication_factor.to_string(),
        )
        .env("KAFKA_GROUP_ID", &settings.group_id)
        .env(
            "KAFKA_SESSION_TIMEOUT_MS",
            settings.session_timeout_ms.to_string(),
        )
        .env(
            "WORKER_MAX_ATTEMPTS",
            settings.ingestion.max_attempts.to_string(),
        )
        .env(
            "WORKER_RETRY_BASE_MS",
            settings.ingestion.retry_base_ms.to_string(),
        )
        .env(
            "WORKER_RETRY_MAX_MS",
            settings.ingestion.retry_max_ms.to_string(),
        )
        .env("PROVIDER", "sec")
        .env("SEC_BASE_URL", &provider.sec_base_url)
        .env("SEC_TICKERS_URL", &provider.sec_tickers_url)
        .env(
            "SEC_USER_AGENT",
            provider.sec_user_agent.as_deref().unwrap_or_default(),
        )
        .env(
            "SEC_REQUESTS_PER_SECOND",
            provider.sec_requests_per_second.to_string(),
        )
        .env("PROVIDER_TIMEOUT_SECS", provider.timeout_secs.to_string())
        .env("RUST_LOG", child_log_filter())
        .spawn()
        .map(ChildProcess)
        .expect("start finstage worker")
}

#[tokio::test]
async fn a_worker_killed_while_storing_leaves_nothing_partial_and_the_next_one_finishes() {
    let pipeline = Pipeline::start().await;
    let gate = Gate::new();
    pipeline
        .upstream
        .fail(APPLE_FACTS_PATH, [Fault::Hold(gate.clone())]);
    let mut first = worker_process(&pipeline.worker_settings());
    pipeline.company("AAPL").await;
    pipeline.upstream.wait_for_hits(APPLE_FACTS_PATH, 1).await;

    // While the fetch is held, the test's own transaction locks the registration request:
    // closing it is the store transaction's last write, so the worker will wait there with
    // the company and all its statements written but not committed.
    let request = pipeline.app.latest_request("AAPL").await;
    let mut blocker = AsyncMysqlConnection::establish(&pipeline.app.database_url)
        .await
        .unwrap();
    diesel::sql_query("BEGIN")
        .execute(&mut blocker)
        .await
        .unwrap();
    diesel::sql_query("SELECT id FROM registration_requests WHERE id = ? FOR UPDATE")
        .bind::<diesel::sql_types::BigInt, _>(request.id)
        .execute(&mut blocker)
        .await
        .unwrap();
    gate.open();
    // Only the store transaction sets completed_at, after writing every statement.
    eventually(
        TIMEOUT,
        "the store transaction to wait for the request's lock",
        || async {
            sessions_running(
                &mut *pipeline.app.conn().await,
                "UPDATE `registration_requests` SET `state`",
            )
            .await
                > 0
        },
    )
    .await;
    first.kill();
    diesel::sql_query("ROLLBACK")
        .execute(&mut blocker)
        .await
        .unwrap();

    let company = pipeline.company("AAPL").await;
    assert_eq!(company["status"], "IN_PROGRESS", "{company}");
    assert_eq!(company["registration"]["state"], "IN_PROGRESS", "{company}");
    assert_eq!(pipeline.row_counts("AAPL").await, (0, 0, 0));

    let mut second = worker_process(&pipeline.worker_settings());
    let company = pipeline.wait_for("AAPL", "READY").await;
    second.kill();
    assert_eq!(company["registration"]["state"], "COMPLETED");
    assert_eq!(company["incomeStatements"][0]["revenue"], "383285000000");
    assert_eq!(pipeline.row_counts("AAPL").await, APPLE_ROWS);
    assert_eq!(pipeline.upstream.hits(APPLE_FACTS_PATH).len(), 2);
}

#[tokio::test]
async fn a_stopping_worker_releases_the_request_it_is_retrying() {
    let pipeline = Pipeline::start().await;
    // The provider asks for a ten-minute pause and this worker's cap allows it (with two
    // attempts, that still fits the poll interval), so the worker is surely still waiting to
    // retry when it is stopped, however slow the machine.
    pipeline.upstream.fail(
        APPLE_FACTS_PATH,
        [Fault::RetryAfter(503, 600), Fault::Status(500)],
    );
    let mut settings = pipeline.worker_settings();
    settings.ingestion.max_attempts = 2;
    settings.ingestion.retry_max_ms = 600_000;
    let worker = spawn_worker(settings);
    pipeline.company("AAPL").await;
    // The failed attempt is recorded before the worker starts waiting.
    pipeline
        .wait_until("AAPL", "its first attempt recorded", |c| {
            c["registration"]["attempts"] == 1
        })
        .await;
    worker.stop().await;
    let company = pipeline.company("AAPL").await;
    assert_eq!(company["status"], "PENDING", "{company}");
    assert_eq!(company["registration"]["state"], "PUBLISHED", "{company}");
    assert_eq!(pipeline.upstream.hits(APPLE_FACTS_PATH).len(), 1);

    // The released message is delivered again to the next worker in the group.
    let _next = pipeline.worker();
    let company = pipeline.wait_for("AAPL", "READY").await;
    assert_eq!(company["registration"]["attempts"], 2, "{company}");
}

#[tokio::test]
async fn a_worker_stopped_during_a_fetch_finishes_the_message_and_commits_it() {
    let pipeline = Pipeline::start().await;
    let gate = Gate::new();
    pipeline
        .upstream
        .fail(APPLE_FACTS_PATH, [Fault::Hold(gate.clone())]);
    let settings = pipeline.worker_settings();
    let worker = spawn_worker(settings.clone());
    pipeline.company("AAPL").await;
    pipeline.upstream.wait_for_hits(APPLE_FACTS_PATH, 1).await;

    // Stop while the fetch is in flight (what SIGTERM does), then let the fetch finish.
    worker.ask_to_stop();
    gate.open();
    worker.stop().await;

    let company = pipeline.company("AAPL").await;
    assert_eq!(company["status"], "READY", "{company}");
    assert_eq!(company["registration"]["state"], "COMPLETED", "{company}");
    assert_eq!(pipeline.row_counts("AAPL").await, APPLE_ROWS);
    // The message was committed, not released: the group's committed offset is past it.
    assert_eq!(committed_offset(&settings, 0).await, Some(1));
}

#[tokio::test]
async fn a_worker_stopped_during_a_fetch_that_never_ends_gives_the_request_back() {
    let pipeline = Pipeline::start().await;
    // Never opened: the provider hangs for as long as the test runs.
    let gate = Gate::new();
    pipeline
        .upstream
        .fail(APPLE_FACTS_PATH, [Fault::Hold(gate.clone())]);
    let settings = pipeline.worker_settings();
    let worker = spawn_worker(settings.clone());
    pipeline.company("AAPL").await;
    pipeline.upstream.wait_for_hits(APPLE_FACTS_PATH, 1).await;

    // The fetch gets its grace, then the worker puts the request back and stops.
    worker.stop().await;

    let company = pipeline.company("AAPL").await;
    assert_eq!(company["status"], "PENDING", "{company}");
    assert_eq!(company["registration"]["state"], "PUBLISHED", "{company}");
    assert_eq!(pipeline.row_counts("AAPL").await, (0, 0, 0));
    // Released, not committed: the next worker of the group gets the message again.
    assert_eq!(committed_offset(&settings, 0).await, None);
}

/// The offset `settings.group_id` has committed on `partition` of the request topic.
async fn committed_offset(settings: &WorkerSettings, partition: i32) -> Option<i64> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &settings.kafka.brokers)
        .set("group.id", &settings.group_id)
        .create()
        .expect("consumer");
    let mut partitions = rdkafka::TopicPartitionList::new();
    partitions.add_partition(&settings.kafka.request_topic, partition);
    let topic = settings.kafka.request_topic.clone();
    tokio::task::spawn_blocking(move || {
        let committed = consumer
            .committed_offsets(partitions, Duration::from_secs(30))
            .expect("committed offsets");
        match committed.find_partition(&topic, partition)?.offset() {
            rdkafka::Offset::Offset(offset) => Some(offset),
            _ => None,
        }
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn every_outcome_is_announced_on_the_result_topic() {
    const SNOW_FACTS_PATH: &str = "/api/xbrl/companyfacts/CIK0001640147.json";
    const GARBAGE: &str = "<html>Service temporarily moved</html>";
    let pipeline = Pipeline::start().await;
    pipeline
        .upstream
        .fail(SNOW_FACTS_PATH, [Fault::Body(GARBAGE)]);
    let _worker = pipeline.worker();

    // One outcome after the other, so the single-partition topic has them in this order.
    let mut requests = Vec::new();
    for (symbol, status) in [("AAPL", "READY"), ("ZZZZ", "NOT_FOUND"), ("SNOW", "FAILED")] {
        pipeline.company(symbol).await;
        pipeline.wait_for(symbol, status).await;
        requests.push(pipeline.app.latest_request(symbol).await);
    }
    pipeline
        .upstream
        .fail(APPLE_FACTS_PATH, [Fault::Body(GARBAGE)]);
    pipeline
        .app
        .refresh_company("AAPL", Some(ADMIN_TOKEN))
        .await;
    pipeline
        .wait_until("AAPL", "the refresh request FAILED", |c| {
            c["registration"]["state"] == "FAILED"
        })
        .await;
    requests.push(pipeline.app.latest_request("AAPL").await);

    let results = pipeline.results(4).await;
    // (symbol, success, status, the reason starts with)
    let expected = [
        ("AAPL", true, "READY", None),
        ("ZZZZ", false, "NOT_FOUND", Some("")),
        (
            "SNOW",
            false,
            "FAILED",
            Some("unusable companyfacts document"),
        ),
        (
            "AAPL",
            false,
            "READY",
            Some("refresh failed, earlier statements kept"),
        ),
    ];
    for ((record, request), (symbol, success, status, reason)) in
        results.iter().zip(&requests).zip(expected)
    {
        let message = record.json();
        assert_eq!(record.key, symbol, "{message}");
        assert_eq!(message["symbol"], symbol, "{message}");
        assert_eq!(message["success"], success, "{message}");
        assert_eq!(message["status"], status, "{message}");
        assert_eq!(message["requestId"], request.id.to_string(), "{message}");
        assert_eq!(message["attempts"], 1, "{message}");
        match reason {
            None => assert!(message["reason"].is_null(), "{message}"),
            Some(start) => {
                let text = message["reason"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{message}"));
                assert!(text.starts_with(start) && !text.is_empty(), "{message}");
            }
        }
        let completed_at = message["completedAt"].as_str().unwrap_or_default();
        assert!(
            chrono::DateTime::parse_from_rfc3339(completed_at).is_ok(),
            "{message}"
        );
    }
    let not_found = results[1].json();
    assert!(
        not_found["reason"]
            .as_str()
            .is_some_and(|r| r.contains("company tickers")),
        "{not_found}"
    );
}

/// Apple's real companyfacts file with every `"val":from` replaced by `"val":to`, as a body
/// the upstream server can serve.
fn apple_facts_with(from: &str, to: &str) -> &'static str {
    let path = crate::upstream::fixtures_dir().join("CIK0000320193.json");
    let json = std::fs::read_to_string(path).unwrap();
    let (from, to) = (format!("\"val\":{from}"), format!("\"val\":{to}"));
    assert!(json.contains(&from), "no {from} in Apple's facts");
    Box::leak(json.replace(&from, &to).into_boxed_str())
}

#[tokio::test]
async fn statements_the_database_refuses_fail_the_company_and_store_no_row() {
    let pipeline = Pipeline::start().await;
    // FY2023 operating cash flow far beyond DECIMAL(24,2). Cash-flow statements are the last
    // ones the store writes, so the company row, its income statements and its balance sheets
    // are already written in the transaction when the database refuses the value.
    let overflowing = apple_facts_with("110543000000", "123456789012345678901234567");
    pipeline
        .upstream
        .fail(APPLE_FACTS_PATH, [Fault::Body(overflowing)]);
    let _worker = pipeline.worker();

    pipeline.company("AAPL").await;
    let company = pipeline.wait_for("AAPL", "FAILED").await;
    let reason = company["statusReason"].as_str().expect("reason");
    assert!(
        reason.starts_with("cannot store the statements"),
        "{reason}"
    );
    assert_eq!(company["registration"]["state"], "FAILED", "{company}");
    assert_eq!(company["registration"]["attempts"], 1, "not retried");
    assert_eq!(pipeline.row_counts("AAPL").await, (0, 0, 0));
    let name: Option<String> = companies::table
        .filter(companies::symbol.eq("AAPL"))
        .select(companies::name)
        .first(&mut *pipeline.app.conn().await)
        .await
        .unwrap();
    assert_eq!(
        name, None,
        "the profile was rolled back with the statements"
    );
}

#[tokio::test]
async fn a_successful_refresh_serves_the_old_figures_until_its_result_then_the_new() {
    const REVENUE: &str = r#"{ company(symbol: "AAPL") { incomeStatements(last: 1, fiscalYearTo: 2023) { revenue } } }"#;
    let pipeline = Pipeline::start().await;
    let _worker = pipeline.worker();
    pipeline.company("AAPL").await;
    pipeline.wait_for("AAPL", "READY").await;
    let revenue = || async {
        let body = pipeline.app.graphql(REVENUE, json!({})).await;
        body["data"]["company"]["incomeStatements"][0]["revenue"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}"))
            .to_owned()
    };
    // This answer is cached now (for 600 s): only the refresh's result event can drop it.
    assert_eq!(revenue().await, "383285000000");

    // Upstream restated the year; the refresh's fetch is held until the test lets it go.
    let gate = Gate::new();
    let restated = apple_facts_with("383285000000", "383285000001");
    pipeline
        .upstream
        .fail(APPLE_FACTS_PATH, [Fault::HeldBody(gate.clone(), restated)]);
    let refreshed = pipeline
        .app
        .refresh_company("AAPL", Some(ADMIN_TOKEN))
        .await;
    assert_eq!(
        refreshed["data"]["refreshCompany"]["status"], "READY",
        "{refreshed}"
    );
    pipeline.upstream.wait_for_hits(APPLE_FACTS_PATH, 2).await;

    // Meanwhile the company stays READY with its old figures.
    let company = pipeline.company("AAPL").await;
    assert_eq!(company["status"], "READY", "{company}");
    assert_eq!(company["registration"]["state"], "IN_PROGRESS", "{company}");
    assert_eq!(company["incomeStatements"][0]["revenue"], "383285000000");
    assert_eq!(revenue().await, "383285000000");

    gate.open();
    eventually(
        TIMEOUT,
        "the refreshed revenue to replace the cached one",
        || async { revenue().await == "383285000001" },
    )
    .await;
    let company = pipeline.company("AAPL").await;
    assert_eq!(company["status"], "READY", "{company}");
    assert!(company["statusReason"].is_null(), "{company}");
    assert_eq!(company["registration"]["state"], "COMPLETED", "{company}");
    assert_eq!(company["incomeStatements"][0]["revenue"], "383285000001");
    assert_eq!(pipeline.row_counts("AAPL").await, APPLE_ROWS);
}

#[tokio::test]
async fn a_company_locked_too_long_is_put_back_and_the_requests_behind_it_go_on() {
    let pipeline = Pipeline::start().await;
    // Something holds Apple's ingestion lock and does not let go (a stuck worker).
    let apple = finstage::domain::Symbol::parse("AAPL").unwrap();
    let mut holder = pipeline.app.conn().await;
    assert!(
        finstage::db::locks::lock_company(&mut holder, &apple, 1)
            .await
            .unwrap()
    );
    let mut settings = pipeline.worker_settings();
    settings.ingestion.lock_wait_secs = 1;
    let _worker = spawn_worker(settings);

    pipeline.company("AAPL").await;
    pipeline.company("SNOW").await;
    // Snowflake's request is behind Apple's on the topic's one partition.
    pipeline.wait_for("SNOW", "READY").await;
    assert_eq!(pipeline.company("AAPL").await["status"], "PENDING");
    let copies = consume_records(
        &pipeline.broker.brokers(),
        &pipeline.kafka.request_topic,
        3,
        Duration::from_secs(10),
    )
    .await;
    let apple_copies = copies.iter().filter(|r| r.key == "AAPL").count();
    assert!(apple_copies >= 2, "Apple's request put back: {copies:?}");

    finstage::db::locks::unlock_company(&mut holder, &apple)
        .await
        .unwrap();
    pipeline.wait_for("AAPL", "READY").await;
    assert_eq!(pipeline.row_counts("AAPL").await, APPLE_ROWS);
    assert_eq!(pipeline.app.requests_for("AAPL").await.len(), 1);
}

/// Messages on the dead-letter topic within a few seconds.
async fn dead_letters(pipeline: &Pipeline) -> Vec<Record> {
    consume_records(
        &pipeline.broker.brokers(),
        &pipeline.kafka.dlq_topic,
        1,
        Duration::from_secs(3),
    )
    .await
}

#[tokio::test]
async fn a_provider_asking_for_a_long_pause_pauses_the_backlog_instead_of_dead_lettering() {
    let pipeline = Pipeline::start().await;
    // Longer than WORKER_RETRY_MAX_MS (2 s here): the provider itself asks everyone to wait.
    pipeline
        .upstream
        .fail(APPLE_FACTS_PATH, [Fault::RetryAfter(503, 3)]);
    let _worker = pipeline.worker();

    pipeline.company("AAPL").await;
    pipeline.company("SNOW").await;
    pipeline.wait_for("SNOW", "READY").await;
    pipeline.wait_for("AAPL", "READY").await;

    let apple = pipeline.upstream.hits(APPLE_FACTS_PATH);
    assert_eq!(apple.len(), 2, "one refusal, then the fetch");
    let snowflake = pipeline.upstream.hits(SNOWFLAKE_FACTS_PATH);
    assert_eq!(snowflake.len(), 1);
    assert!(
        snowflake[0] - apple[0] >= Duration::from_millis(2_900),
        "nothing was sent to the provider during the pause it asked for"
    );
    assert!(dead_letters(&pipeline).await.is_empty());
}

#[tokio::test]
async fn a_provider_outage_opens_the_breaker_and_nothing_is_dead_lettered() {
    let pipeline = Pipeline::start().await;
    for path in [APPLE_FACTS_PATH, SNOWFLAKE_FACTS_PATH] {
        pipeline.upstream.fail(
            path,
            std::iter::repeat_with(|| Fault::Status(503)).take(1_000),
        );
    }
    let mut settings = pipeline.worker_settings();
    settings.ingestion.breaker_failures = 3;
    settings.ingestion.breaker_open_secs = 1;
    let _worker = spawn_worker(settings);

    pipeline.company("AAPL").await;
    pipeline.company("SNOW").await;
    tokio::time::sleep(Duration::from_secs(8)).await;
    let during = pipeline.upstream.hits(APPLE_FACTS_PATH).len()
        + pipeline.upstream.hits(SNOWFLAKE_FACTS_PATH).len();
    assert!(
        (3..=10).contains(&during),
        "{during} provider requests in 8 s of outage"
    );
    for symbol in ["AAPL", "SNOW"] {
        let status = pipeline.company(symbol).await["status"].clone();
        assert!(
            status == "PENDING" || status == "IN_PROGRESS",
            "{symbol}: {status}"
        );
    }

    // The provider is back: the breaker's next probe finds it, and the backlog drains.
    pipeline.upstream.clear(APPLE_FACTS_PATH);
    pipeline.upstream.clear(SNOWFLAKE_FACTS_PATH);
    pipeline.wait_for("AAPL", "READY").await;
    pipeline.wait_for("SNOW", "READY").await;
    assert!(dead_letters(&pipeline).await.is_empty());
    assert_eq!(pipeline.row_counts("AAPL").await, APPLE_ROWS);
}

#[tokio::test]
async fn dlq_replay_queues_failed_companies_again_once() {
    let pipeline = Pipeline::start().await;
    let round = [Fault::Status(502), Fault::Status(503), Fault::Status(500)];
    pipeline
        .upstream
        .fail(APPLE_FACTS_PATH, round.iter().chain(&round).cloned());
    let worker = pipeline.worker();
    pipeline.company("AAPL").await;
    pipeline.wait_for("AAPL", "FAILED").await;
    assert_eq!(pipeline.dead_letters(1).await.len(), 1);
    let db = &pipeline.app.db;
    let kafka = &pipeline.kafka;

    let snowflake = finstage::domain::Symbol::parse("SNOW").unwrap();
    let other = finstage::registration::dlq::replay(db, kafka, Some(&snowflake))
        .await
        .expect("replay");
    assert!(other.requeued.is_empty(), "{other}");
    assert_eq!(pipeline.company("AAPL").await["status"], "FAILED");

    let replayed = finstage::registration::dlq::replay(db, kafka, None)
        .await
        .expect("replay");
    assert_eq!(replayed.letters, 1, "{replayed}");
    assert_eq!(replayed.requeued.len(), 1, "{replayed}");
    pipeline.wait_for("AAPL", "READY").await;
    assert_eq!(pipeline.app.requests_for("AAPL").await.len(), 2);

    // Again: Apple is READY now, so nothing is queued twice.
    let again = finstage::registration::dlq::replay(db, kafka, None)
        .await
        .expect("replay");
    assert!(again.requeued.is_empty(), "{again}");
    assert_eq!(again.skipped.len(), 1, "{again}");
    assert_eq!(pipeline.app.requests_for("AAPL").await.len(), 2);
    drop(worker);
}

#[tokio::test]
async fn a_provider_throttling_refusing_bombing_and_cutting_off_costs_few_requests_and_no_dead_letter()
 {
    let pipeline = Pipeline::start().await;
    // One fault after another, whichever company asks: a ten-minute Retry-After, a refused
    // key twice, a 10 GiB gzip bomb, a body cut off halfway.
    pipeline.upstream.fail_any_company([
        Fault::RetryAfter(503, 600),
        Fault::Status(401),
        Fault::Status(401),
        Fault::GzipBomb(10 << 30),
        Fault::Truncated,
    ]);
    let mut settings = pipeline.worker_settings();
    settings.ingestion.breaker_failures = 3;
    settings.ingestion.breaker_open_secs = 1;
    // The operator's bound on any one pause, so that the test need not wait ten minutes.
    settings.ingestion.breaker_max_open_secs = 2;
    settings.ingestion.provider.max_body_bytes = 8 << 20;
    let _worker = spawn_worker(settings);

    pipeline.company("AAPL").await;
    pipeline.company("SNOW").await;
    let settled = |c: &Value| c["status"] == "READY" || c["status"] == "FAILED";
    let apple = pipeline.wait_until("AAPL", "an outcome", settled).await;
    let snowflake = pipeline.wait_until("SNOW", "an outcome", settled).await;

    let hits = pipeline.upstream.company_hits();
    assert!(hits <= 10, "{hits} provider requests for the outage");
    let mut times: Vec<Instant> = [APPLE_FACTS_PATH, SNOWFLAKE_FACTS_PATH]
        .iter()
        .flat_map(|path| pipeline.upstream.hits(path))
        .collect();
    times.sort_unstable();
    // After the 503 and after each refusal, the breaker held everything for its pause.
    for pause in times.windows(2).take(3) {
        assert!(
            pause[1] - pause[0] >= Duration::from_millis(1_900),
            "a request {:?} after the one before",
            pause[1] - pause[0]
        );
    }
    assert!(dead_letters(&pipeline).await.is_empty());
    // The bomb is the provider's answer for one company: unusable, so that company is FAILED
    // with the reason (not retried into the bomb again); the other is stored whole.
    let (bombed, fine) = if apple["status"] == "FAILED" {
        ("AAPL", snowflake)
    } else {
        ("SNOW", apple)
    };
    let failed = pipeline.company(bombed).await;
    assert_eq!(failed["status"], "FAILED", "{failed}");
    assert!(
        failed["statusReason"]
            .as_str()
            .is_some_and(|reason| reason.contains("PROVIDER_MAX_BODY_BYTES")),
        "{failed}"
    );
    assert_eq!(fine["status"], "READY", "{fine}");

    // Asked again, the company whose answer was a bomb is ingested.
    let asked = pipeline
        .app
        .graphql(
            "mutation ($s: String!) { requestRegistration(symbol: $s) { status } }",
            json!({ "s": bombed }),
        )
        .await;
    assert!(asked["errors"].is_null(), "{asked}");
    pipeline.wait_for(bombed, "READY").await;
    assert!(dead_letters(&pipeline).await.is_empty());
}

/// Listed symbols from SEC's real company tickers file, `count` of them, skipping the
/// fixtures' own companies.
fn listed_symbols(count: usize) -> Vec<finstage::domain::Symbol> {
    let tickers: Value = serde_json::from_slice(
        &std::fs::read(crate::upstream::fixtures_dir().join("company_tickers.json")).unwrap(),
    )
    .unwrap();
    let mut symbols: Vec<_> = tickers
        .as_object()
        .unwrap()
        .values()
        .filter_map(|entry| finstage::domain::Symbol::parse(entry["ticker"].as_str()?).ok())
        .filter(|symbol| !["AAPL", "SNOW", "MRVL"].contains(&symbol.as_str()))
        .collect();
    symbols.sort_unstable_by(|a, b| a.as_str().cmp(b.as_str()));
    symbols.dedup();
    symbols.truncate(count);
    assert_eq!(symbols.len(), count);
    symbols
}

#[tokio::test]
async fn twenty_kill_9s_during_two_hundred_registrations_lose_nothing_and_duplicate_nothing() {
    const COMPANIES: usize = 200;
    const KILLS: usize = 20;
    let pipeline = Pipeline::start().await;
    // Every listed company answers with Marvell's real facts, so each one has statements.
    pipeline
        .upstream
        .serve_every_company_as("CIK0001835632.json");
    let symbols = listed_symbols(COMPANIES);
    let settings = pipeline.worker_settings();
    let batches: Vec<_> = symbols.chunks(COMPANIES / KILLS).collect();

    for (cycle, batch) in batches.iter().enumerate() {
        pipeline
            .app
            .registrations
            .register(batch)
            .await
            .expect("register");
        let mut worker = worker_process(&settings);
        // Killed in the middle of its work: once it has fetched something, after a pause
        // that differs from cycle to cycle (fetching, normalizing, storing, committing).
        let fetched = pipeline.upstream.company_hits();
        eventually(TIMEOUT, format!("cycle {cycle}: a fetch"), || async {
            pipeline.upstream.company_hits() > fetched
        })
        .await;
        tokio::time::sleep(Duration::from_millis(37 * (cycle as u64 % 13))).await;
        worker.kill();
    }

    let mut last = worker_process(&settings);
    eventually(Duration::from_secs(600), "every company READY", || async {
        let ready: i64 = companies::table
            .filter(companies::status.eq("READY"))
            .count()
            .get_result(&mut pipeline.app.conn().await)
            .await
            .unwrap();
        ready == COMPANIES as i64
    })
    .await;
    last.kill();
    // The kills cost work: companies whose ingestion a kill cut off were fetched again.
    let fetches = pipeline.upstream.company_hits();
    assert!(
        fetches > COMPANIES,
        "{fetches} fetches: no kill interrupted an ingestion"
    );

    // Every company has the same full set of rows, each period once, and each registration
    // request is closed: nothing lost, nothing partial, nothing twice.
    let marvell_rows = pipeline.row_counts(symbols[0].as_str()).await;
    assert!(marvell_rows.0 > 0 && marvell_rows.1 > 0 && marvell_rows.2 > 0);
    for symbol in &symbols {
        assert_eq!(
            pipeline.row_counts(symbol.as_str()).await,
            marvell_rows,
            "{symbol}"
        );
        let requests = pipeline.app.requests_for(symbol.as_str()).await;
        assert_eq!(requests.len(), 1, "{symbol}: {requests:?}");
        assert_eq!(requests[0].state, RegistrationState::Completed, "{symbol}");
    }
    #[derive(QueryableByName)]
    struct Duplicates {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    for table in [
        "income_statements",
        "balance_sheets",
        "cash_flow_statements",
    ] {
        let duplicates: Duplicates = diesel::sql_query(format!(
            "SELECT COUNT(*) AS n FROM (SELECT company_id FROM {table} \
             GROUP BY company_id, fiscal_year, fiscal_period HAVING COUNT(*) > 1) d"
        ))
        .get_result(&mut pipeline.app.conn().await)
        .await
        .unwrap();
        assert_eq!(duplicates.n, 0, "{table}");
    }
}

#[tokio::test]
async fn the_exchange_and_industry_come_from_sec_submissions_when_it_has_them() {
    let pipeline = Pipeline::on(Transport::InProcess).await;
    let profile =
        r#"query ($s: String!) { company(symbol: $s) { status exchange sicCode sicDescription } }"#;
    pipeline.company("AAPL").await;
    pipeline.company("SNOW").await;
    pipeline.wait_for("AAPL", "READY").await;
    pipeline.wait_for("SNOW", "READY").await;

    let apple = pipeline.app.graphql(profile, json!({ "s": "AAPL" })).await;
    assert_eq!(
        apple["data"]["company"],
        json!({ "status": "READY", "exchange": "Nasdaq", "sicCode": "3571",
                "sicDescription": "Electronic Computers" }),
        "{apple}"
    );
    // The recorded files hold no submissions document for Snowflake: stored all the same.
    let snowflake = pipeline.app.graphql(profile, json!({ "s": "SNOW" })).await;
    assert_eq!(
        snowflake["data"]["company"],
        json!({ "status": "READY", "exchange": null, "sicCode": null, "sicDescription": null }),
        "{snowflake}"
    );
}

/// SEC's `company_tickers_exchange.json` shape, served in place of the recorded tickers file.
const TICKERS_WITH_EXCHANGES: &str = r#"{"fields":["cik","name","ticker","exchange"],"data":[
    [320193,"Apple Inc.","AAPL","NYSE"],
    [1640147,"Snowflake Inc.","SNOW","NYSE"]]}"#;

#[tokio::test]
async fn without_a_submissions_document_the_exchange_comes_from_secs_tickers_file() {
    let pipeline = Pipeline::on(Transport::InProcess).await;
    pipeline.upstream.fail(
        crate::upstream::TICKERS_PATH,
        [Fault::Body(TICKERS_WITH_EXCHANGES)],
    );
    let exchange = r#"query ($s: String!) { company(symbol: $s) { status exchange } }"#;
    pipeline.company("AAPL").await;
    pipeline.company("SNOW").await;
    pipeline.wait_for("AAPL", "READY").await;
    pipeline.wait_for("SNOW", "READY").await;

    // Apple's submissions document says Nasdaq, and it is preferred.
    let apple = pipeline.app.graphql(exchange, json!({ "s": "AAPL" })).await;
    assert_eq!(apple["data"]["company"]["exchange"], "Nasdaq", "{apple}");
    let snowflake = pipeline.app.graphql(exchange, json!({ "s": "SNOW" })).await;
    assert_eq!(
        snowflake["data"]["company"]["exchange"], "NYSE",
        "{snowflake}"
    );
}
