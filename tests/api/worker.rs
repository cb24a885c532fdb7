//! The ingestion worker end to end: gateway, outbox relay, a real broker, the worker, a local
//! HTTP server serving SEC's real recorded files, and the real MariaDB.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use finstage::config::KafkaSettings;
use finstage::db::registrations;
use finstage::domain::{RegistrationState, Symbol};
use finstage::ingestion::normalize::normalize;
use finstage::kafka;
use finstage::schema::{balance_sheets, cash_flow_statements, companies, income_statements};
use rdkafka::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{Headers, Message};
use serde_json::{Value, json};

use crate::broker::TestBroker;
use crate::helpers::{
    ADMIN_TOKEN, TestApp, TestWorker, spawn_app_with_kafka, spawn_worker, test_kafka_settings,
    test_worker_settings,
};
use crate::subscriptions::{StatusSubscription, wait_for_result_listener};
use crate::upstream::{APPLE_FACTS_PATH, Fault, UpstreamServer, fixtures_dir};

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

const TIMEOUT: Duration = Duration::from_secs(60);

struct Pipeline {
    broker: TestBroker,
    upstream: UpstreamServer,
    kafka: KafkaSettings,
    app: TestApp,
}

impl Pipeline {
    /// Broker, upstream server and gateway; the worker is started by each test.
    async fn start() -> Self {
        let broker = TestBroker::started().await;
        let upstream = UpstreamServer::start().await;
        let kafka = test_kafka_settings(
            &broker.brokers(),
            &uuid::Uuid::new_v4().simple().to_string(),
        );
        let app = spawn_app_with_kafka(kafka.clone()).await;
        Self {
            broker,
            upstream,
            kafka,
            app,
        }
    }

    fn worker(&self) -> TestWorker {
        spawn_worker(test_worker_settings(
            &self.app.database_url,
            &self.kafka,
            self.upstream.sec_provider(),
        ))
    }

    async fn company(&self, symbol: &str) -> Value {
        let body = self.app.graphql(COMPANY, json!({ "s": symbol })).await;
        assert!(body["errors"].is_null(), "{body}");
        body["data"]["company"].clone()
    }

    /// Polls the company until it has `status`; returns it.
    async fn wait_for(&self, symbol: &str, status: &str) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let company = self.company(symbol).await;
            if company["status"] == status {
                return company;
            }
            assert!(
                Instant::now() < deadline,
                "{symbol} never became {status}: {company}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// (income statements, balance sheets, cash-flow statements) stored for `symbol`.
    async fn row_counts(&self, symbol: &str) -> (i64, i64, i64) {
        let mut conn = self.app.conn().await;
        let id: i64 = companies::table
            .filter(companies::symbol.eq(symbol))
            .select(companies::id)
            .first(&mut conn)
            .await
            .expect("company row");
        let income = income_statements::table
            .filter(income_statements::company_id.eq(id))
            .count()
            .get_result(&mut conn)
            .await
            .expect("count");
        let balance = balance_sheets::table
            .filter(balance_sheets::company_id.eq(id))
            .count()
            .get_result(&mut conn)
            .await
            .expect("count");
        let cash_flow = cash_flow_statements::table
            .filter(cash_flow_statements::company_id.eq(id))
            .count()
            .get_result(&mut conn)
            .await
            .expect("count");
        (income, balance, cash_flow)
    }

    /// The symbol's newest registration request.
    async fn latest_request(&self, symbol: &str) -> registrations::RegistrationRecord {
        let mut conn = self.app.conn().await;
        registrations::by_symbols(&mut conn, &[Symbol::parse(symbol).unwrap()])
            .await
            .unwrap()
            .remove(0)
    }

    /// Publishes a raw message to the request topic, as another service would.
    async fn send_request(&self, key: &str, payload: &[u8]) {
        kafka::ensure_topics(&self.kafka).await.expect("topics");
        let producer = kafka::producer(&self.kafka).expect("producer");
        kafka::publish(&producer, &self.kafka.request_topic, key, payload)
            .await
            .expect("publish request");
    }

    /// Publishes the relay's message for `request` once more, as Kafka may after a rebalance.
    async fn redeliver(&self, request: &registrations::RegistrationRecord) {
        let message = json!({ "symbol": request.symbol, "requestId": request.id.to_string() });
        self.send_request(&request.symbol, message.to_string().as_bytes())
            .await;
    }

    /// Reads the dead-letter topic from the start: (payload, headers) of `count` messages.
    async fn dead_letters(&self, count: usize) -> Vec<(String, Vec<(String, String)>)> {
        let consumer: StreamConsumer = ClientConfig::new()
            .set("bootstrap.servers", self.broker.brokers())
            .set("group.id", format!("test-{}", uuid::Uuid::new_v4()))
            .set("auto.offset.reset", "earliest")
            .create()
            .expect("consumer");
        consumer
            .subscribe(&[&self.kafka.dlq_topic])
            .expect("subscribe");
        let mut received = Vec::new();
        while received.len() < count {
            let message = tokio::time::timeout(TIMEOUT, consumer.recv())
                .await
                .expect("dead letter within the timeout")
                .expect("message");
            let headers = message
                .headers()
                .map(|headers| {
                    headers
                        .iter()
                        .map(|h| {
                            let value = h.value.map(String::from_utf8_lossy).unwrap_or_default();
                            (h.key.to_owned(), value.into_owned())
                        })
                        .collect()
                })
                .unwrap_or_default();
            let payload = String::from_utf8_lossy(message.payload().unwrap_or_default());
            received.push((payload.into_owned(), headers));
        }
        received
    }
}

/// What normalizing Apple's fixture gives: the rows one ingestion must store.
fn apple_row_counts() -> (i64, i64, i64) {
    let json = std::fs::read_to_string(fixtures_dir().join("CIK0000320193.json")).unwrap();
    let company = normalize(&json).unwrap();
    (
        company.income.len() as i64,
        company.balance.len() as i64,
        company.cash_flow.len() as i64,
    )
}

fn header<'a>(headers: &'a [(String, String)], key: &str) -> &'a str {
    headers
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {key} header in {headers:?}"))
}

#[tokio::test]
async fn a_missing_company_goes_pending_then_ready_with_apple_s_figures_live() {
    let pipeline = Pipeline::start().await;
    let _worker = pipeline.worker();
    wait_for_result_listener(&pipeline.app, &pipeline.kafka).await;
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
    assert_eq!(pipeline.row_counts("AAPL").await, apple_row_counts());
}

#[tokio::test]
async fn transient_provider_errors_are_retried_honouring_retry_after() {
    let pipeline = Pipeline::start().await;
    pipeline.upstream.fail(
        APPLE_FACTS_PATH,
        [Fault::Status(500), Fault::RetryAfter(503, 1)],
    );
    let _worker = pipeline.worker();

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

#[tokio::test]
async fn a_provider_404_makes_the_company_not_found() {
    let pipeline = Pipeline::start().await;
    pipeline
        .upstream
        .fail(APPLE_FACTS_PATH, [Fault::Status(404)]);
    let _worker = pipeline.worker();

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

#[tokio::test]
async fn a_garbage_answer_fails_the_company_with_a_reason_and_the_worker_goes_on() {
    let pipeline = Pipeline::start().await;
    pipeline.upstream.fail(
        APPLE_FACTS_PATH,
        [Fault::Body("<html>Service temporarily moved</html>")],
    );
    let _worker = pipeline.worker();

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
    pipeline.upstream.fail(
        APPLE_FACTS_PATH,
        [Fault::Status(502), Fault::Status(503), Fault::Status(500)],
    );
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
    let (payload, headers) = &letters[0];
    let message: Value = serde_json::from_str(payload).unwrap();
    assert_eq!(message["symbol"], "AAPL");
    assert_eq!(message["requestId"], request_id.as_str());
    assert_eq!(header(headers, "attempts"), "3");
    assert!(header(headers, "error").contains("HTTP 500"), "{headers:?}");
    assert_eq!(
        header(headers, "source-topic"),
        pipeline.kafka.request_topic
    );
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
    assert_eq!(letters[0].0, "this is not JSON");
    assert!(
        header(&letters[0].1, "error").contains("not a registration request"),
        "{letters:?}"
    );
    assert_eq!(header(&letters[0].1, "attempts"), "0");
    assert_eq!(letters[1].0, r#"{"symbol":"NOT A SYMBOL"}"#);
}

#[tokio::test]
async fn the_same_request_delivered_twice_stores_one_set_of_rows() {
    let pipeline = Pipeline::start().await;
    let _worker = pipeline.worker();

    pipeline.company("AAPL").await;
    pipeline.wait_for("AAPL", "READY").await;
    let stored = pipeline.row_counts("AAPL").await;
    assert_eq!(stored, apple_row_counts());
    let request = pipeline.latest_request("AAPL").await;
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

    let deadline = Instant::now() + TIMEOUT;
    let company = loop {
        let company = pipeline.company("AAPL").await;
        if company["registration"]["state"] == "FAILED" {
            break company;
        }
        assert!(
            Instant::now() < deadline,
            "the refresh never failed: {company}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
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
    let refresh_request = pipeline.latest_request("AAPL").await;
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
    let broker = TestBroker::started().await;
    let upstream = UpstreamServer::start().await;
    let mut kafka = test_kafka_settings(
        &broker.brokers(),
        &uuid::Uuid::new_v4().simple().to_string(),
    );
    kafka.topic_partitions = 2;
    // Slow answers keep the first worker busy while the second gets its copy.
    upstream.fail(APPLE_FACTS_PATH, [Fault::Delay(Duration::from_secs(1))]);
    let app = crate::helpers::spawn_app().await;
    let settings = test_worker_settings(&app.database_url, &kafka, upstream.sec_provider());
    let _first = spawn_worker(settings.clone());
    let _second = spawn_worker(settings);

    // The same request on both partitions, as a producer retrying to another partition might.
    let mut conn = app.conn().await;
    let symbol = Symbol::parse("AAPL").unwrap();
    finstage::db::companies::insert_pending(&mut conn, std::slice::from_ref(&symbol))
        .await
        .unwrap();
    registrations::open_for(&mut conn, std::slice::from_ref(&symbol))
        .await
        .unwrap();
    let request = registrations::open_request(&mut conn, &symbol)
        .await
        .unwrap()
        .unwrap();
    drop(conn);
    kafka::ensure_topics(&kafka).await.unwrap();
    let producer = kafka::producer(&kafka).unwrap();
    let payload = json!({ "symbol": "AAPL", "requestId": request.id.to_string() }).to_string();
    for partition in 0..2 {
        producer
            .send(
                rdkafka::producer::FutureRecord::to(&kafka.request_topic)
                    .key("AAPL")
                    .partition(partition)
                    .payload(&payload),
                Duration::from_secs(5),
            )
            .await
            .map_err(|(error, _)| error)
            .unwrap();
    }

    let deadline = Instant::now() + TIMEOUT;
    loop {
        let mut conn = app.conn().await;
        let request = registrations::by_id(&mut conn, request.id)
            .await
            .unwrap()
            .unwrap();
        if request.completed_at.is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "never completed: {request:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Give the second copy time to be handled too.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(upstream.hits(APPLE_FACTS_PATH).len(), 1);
}

/// `finstage worker` as a real process, configured through its environment.
fn worker_process(pipeline: &Pipeline) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_finstage"))
        .arg("worker")
        .env("DATABASE_URL", &pipeline.app.database_url)
        .env("KAFKA_BROKERS", &pipeline.kafka.brokers)
        .env("KAFKA_REQUEST_TOPIC", &pipeline.kafka.request_topic)
        .env("KAFKA_RESULT_TOPIC", &pipeline.kafka.result_topic)
        .env("KAFKA_DLQ_TOPIC", &pipeline.kafka.dlq_topic)
        .env("KAFKA_TOPIC_PARTITIONS", "1")
        .env(
            "KAFKA_GROUP_ID",
            format!("{}.workers", pipeline.kafka.request_topic),
        )
        .env("KAFKA_SESSION_TIMEOUT_MS", "6000")
        .env("PROVIDER", "sec")
        .env("SEC_BASE_URL", &pipeline.upstream.base_url)
        .env(
            "SEC_TICKERS_URL",
            format!(
                "{}{}",
                pipeline.upstream.base_url,
                crate::upstream::TICKERS_PATH
            ),
        )
        .env("SEC_USER_AGENT", "Finstage tests tests@example.com")
        .env("PROVIDER_TIMEOUT_SECS", "120")
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("start finstage worker")
}

#[tokio::test]
async fn a_worker_killed_mid_ingestion_leaves_nothing_partial_and_the_next_one_finishes() {
    let pipeline = Pipeline::start().await;
    // The first fetch hangs, so the worker is surely mid-ingestion when it is killed.
    pipeline
        .upstream
        .fail(APPLE_FACTS_PATH, [Fault::Delay(Duration::from_secs(120))]);
    let mut first = worker_process(&pipeline);

    pipeline.company("AAPL").await;
    pipeline.wait_for("AAPL", "IN_PROGRESS").await;
    let deadline = Instant::now() + TIMEOUT;
    while pipeline.upstream.hits(APPLE_FACTS_PATH).is_empty() {
        assert!(Instant::now() < deadline, "the worker never fetched");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill().expect("SIGKILL the worker");
    first.wait().expect("reap the worker");

    let company = pipeline.company("AAPL").await;
    assert_eq!(company["status"], "IN_PROGRESS", "{company}");
    assert_eq!(pipeline.row_counts("AAPL").await, (0, 0, 0));

    let mut second = worker_process(&pipeline);
    let company = pipeline.wait_for("AAPL", "READY").await;
    second.kill().expect("stop the second worker");
    second.wait().expect("reap the worker");
    assert_eq!(company["registration"]["state"], "COMPLETED");
    assert_eq!(company["incomeStatements"][0]["revenue"], "383285000000");
    assert_eq!(pipeline.row_counts("AAPL").await, apple_row_counts());
    assert_eq!(pipeline.upstream.hits(APPLE_FACTS_PATH).len(), 2);
}

#[tokio::test]
async fn a_stopping_worker_releases_the_request_it_is_retrying() {
    let pipeline = Pipeline::start().await;
    pipeline.upstream.fail(
        APPLE_FACTS_PATH,
        [Fault::RetryAfter(503, 30), Fault::Status(500)],
    );
    let worker = pipeline.worker();
    pipeline.company("AAPL").await;
    let deadline = Instant::now() + TIMEOUT;
    while pipeline.upstream.hits(APPLE_FACTS_PATH).is_empty() {
        assert!(Instant::now() < deadline, "the worker never fetched");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    worker.stop().await;
    let company = pipeline.company("AAPL").await;
    assert_eq!(company["status"], "PENDING", "{company}");
    assert_eq!(company["registration"]["state"], "PUBLISHED", "{company}");

    // The released message is delivered again to the next worker in the group.
    let _next = pipeline.worker();
    let company = pipeline.wait_for("AAPL", "READY").await;
    assert_eq!(company["registration"]["attempts"], 2, "{company}");
}
