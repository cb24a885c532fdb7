//! The outbox relay against a real Kafka-protocol broker: delivery, broker outages and
//! crashes between publishing and marking.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use finstage::db::registrations::{self, NewRequest};
use finstage::domain::{RegistrationState, Symbol};
use finstage::registration::relay::Relay;
use serde_json::json;

use crate::broker::{TestBroker, consume, started_broker, unique_kafka_settings};
use crate::helpers::{ADMIN_TOKEN, TestApp, eventually, spawn_app, synthetic};
use finstage::domain::FiscalPeriod;

const PENDING: &str = "query ($s: String!) { company(symbol: $s) { status registration { id } } }";

async fn wait_until_published(app: &TestApp, symbols: &[&str], timeout: Duration) {
    let symbols: Vec<Symbol> = symbols
        .iter()
        .map(|s| Symbol::parse(s).expect("symbol"))
        .collect();
    eventually(
        timeout,
        format!("{symbols:?} to be marked published"),
        || async {
            let mut conn = app.conn().await;
            let records = registrations::by_symbols(&mut conn, &symbols)
                .await
                .expect("requests");
            records.len() == symbols.len() && records.iter().all(|r| r.published_at.is_some())
        },
    )
    .await;
}

/// Asks for `symbol`, which must come back PENDING; the id of its request.
async fn pending_request_id(app: &TestApp, symbol: &str) -> String {
    let body = app.graphql(PENDING, json!({ "s": symbol })).await;
    assert_eq!(body["data"]["company"]["status"], "PENDING", "{body}");
    body["data"]["company"]["registration"]["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

#[tokio::test]
async fn a_pending_company_is_published_with_its_symbol_as_key() {
    let (broker, kafka) = started_broker().await;
    let app = TestApp::builder().kafka(kafka.clone()).spawn().await;

    let request_id = pending_request_id(&app, "nvda").await;

    let messages = consume(
        &broker.brokers(),
        &kafka.request_topic,
        1,
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    let (key, message) = &messages[0];
    assert_eq!(key, "NVDA");
    assert_eq!(message.symbol, "NVDA");
    assert_eq!(message.request_id.as_deref(), Some(request_id.as_str()));
    assert!(message.requested_at.is_some());
    wait_until_published(&app, &["NVDA"], Duration::from_secs(10)).await;

    let metrics = app.get("/metrics").await.text().await.expect("metrics");
    assert!(
        metrics.contains("finstage_registrations_requested_total"),
        "{metrics}"
    );
    assert!(
        metrics.contains("finstage_registrations_published_total"),
        "{metrics}"
    );
    assert!(metrics.contains("finstage_outbox_backlog 0"), "{metrics}");
    // The pool has served this test, and nobody waits for it now.
    assert!(metrics.contains("finstage_db_pool_waiting 0"), "{metrics}");
    let open = metrics
        .lines()
        .find_map(|line| line.strip_prefix("finstage_db_pool_connections "))
        .and_then(|value| value.parse::<f64>().ok());
    assert!(open.is_some_and(|open| open >= 1.0), "{metrics}");
}

#[tokio::test]
async fn requests_made_while_kafka_is_down_are_published_when_it_returns() {
    let mut broker = TestBroker::reserve();
    let kafka = unique_kafka_settings(&broker);
    let app = TestApp::builder().kafka(kafka.clone()).spawn().await;

    for symbol in ["AAA", "BBB", "CCC"] {
        let started = Instant::now();
        let body = app.graphql(PENDING, json!({ "s": symbol })).await;
        println!(
            "PENDING with the broker down answered in {:?}",
            started.elapsed()
        );
        assert!(body.get("errors").is_none(), "{body}");
        assert_eq!(body["data"]["company"]["status"], "PENDING");
    }
    let mut conn = app.conn().await;
    assert_eq!(
        registrations::count_unpublished(&mut conn)
            .await
            .expect("backlog"),
        3
    );

    broker.start().await;

    let messages = consume(
        &broker.brokers(),
        &kafka.request_topic,
        3,
        Duration::from_secs(60),
    )
    .await;
    let keys: BTreeSet<&str> = messages.iter().map(|(key, _)| key.as_str()).collect();
    assert_eq!(keys, BTreeSet::from(["AAA", "BBB", "CCC"]), "{messages:?}");
    wait_until_published(&app, &["AAA", "BBB", "CCC"], Duration::from_secs(30)).await;
}

#[tokio::test]
async fn a_crash_between_publishing_and_marking_duplicates_but_never_loses() {
    let (broker, kafka) = started_broker().await;
    // The app's own relay stays off: this test drives relay rounds itself.
    let app = spawn_app().await;
    app.graphql(PENDING, json!({ "s": "CRSH" })).await;
    finstage::kafka::ensure_topics(&kafka)
        .await
        .expect("topics");
    let relay = Relay::new(app.db.clone(), kafka.clone()).expect("relay");
    let request = app.latest_request("CRSH").await;

    // A relay that claimed the row, published it and died before marking it; its lease has
    // run out.
    {
        let mut conn = app.conn().await;
        let claimed = registrations::claim_due(&mut conn, 10, chrono::Duration::zero(), None)
            .await
            .expect("claim");
        assert_eq!(claimed, std::slice::from_ref(&request));
    }
    relay.publish(&request).await.expect("publish");
    // The next relay round finds the row unmarked, its lease expired, and publishes it again.
    let round = relay.relay_round().await.expect("relay round");

    assert_eq!(round.published, 1);
    wait_until_published(&app, &["CRSH"], Duration::from_secs(5)).await;
    let messages = consume(
        &broker.brokers(),
        &kafka.request_topic,
        2,
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(messages.len(), 2, "{messages:?}");
    let expected_id = request.id.to_string();
    assert!(
        messages
            .iter()
            .all(|(key, m)| key == "CRSH" && m.request_id.as_deref() == Some(expected_id.as_str()))
    );
    // Nothing left to publish: a third round sends nothing.
    assert_eq!(relay.relay_round().await.expect("round").published, 0);
}

#[tokio::test]
async fn two_relays_never_publish_the_same_request() {
    let (broker, kafka) = started_broker().await;
    let app = spawn_app().await;
    let symbols: Vec<String> = (0..40).map(|i| format!("R{i:03}")).collect();
    app.graphql(
        "query ($s: [String!]!) { companies(symbols: $s) { status } }",
        json!({ "s": symbols }),
    )
    .await;
    finstage::kafka::ensure_topics(&kafka)
        .await
        .expect("topics");
    let first = Relay::new(app.db.clone(), kafka.clone()).expect("relay");
    let second = Relay::new(app.db.clone(), kafka.clone()).expect("relay");

    let mut published = 0;
    while published < symbols.len() {
        let (a, b) = tokio::join!(first.relay_round(), second.relay_round());
        let (a, b) = (a.expect("first relay"), b.expect("second relay"));
        assert_eq!(a.failed + b.failed, 0);
        assert!(a.published + b.published > 0, "no progress");
        published += a.published + b.published;
    }

    assert_eq!(published, symbols.len());
    let messages = consume(
        &broker.brokers(),
        &kafka.request_topic,
        41,
        Duration::from_secs(10),
    )
    .await;
    let keys: BTreeSet<&str> = messages.iter().map(|(key, _)| key.as_str()).collect();
    assert_eq!(messages.len(), 40, "each request exactly once");
    assert_eq!(keys.len(), 40);
}

#[tokio::test]
async fn an_acknowledgement_arriving_after_the_worker_never_rewinds_the_request() {
    let app = spawn_app().await;
    let symbols = [
        Symbol::parse("AAPL").unwrap(),
        Symbol::parse("MSFT").unwrap(),
    ];
    let mut conn = app.conn().await;
    let requests: Vec<_> = symbols
        .iter()
        .map(|symbol| NewRequest {
            symbol,
            traceparent: None,
        })
        .collect();
    registrations::open_for(&mut conn, &requests).await.unwrap();
    let claimed = registrations::claim_due(&mut conn, 10, chrono::Duration::seconds(30), None)
        .await
        .unwrap();
    let id_of = |symbol: &str| claimed.iter().find(|r| r.symbol == symbol).unwrap().id;
    // A worker consumed AAPL's message and finished it before the relay heard the broker's
    // acknowledgement; MSFT's is still waiting for a worker.
    registrations::complete(
        &mut conn,
        id_of("AAPL"),
        RegistrationState::Completed,
        1,
        None,
    )
    .await
    .unwrap();

    let ids: Vec<i64> = claimed.iter().map(|r| r.id).collect();
    registrations::mark_published(&mut conn, &ids)
        .await
        .unwrap();

    let records = registrations::by_symbols(&mut conn, &symbols)
        .await
        .unwrap();
    let state_of = |symbol: &str| {
        let record = records.iter().find(|r| r.symbol == symbol).unwrap();
        assert!(record.published_at.is_some(), "{record:?}");
        record.state
    };
    assert_eq!(state_of("AAPL"), RegistrationState::Completed);
    assert_eq!(state_of("MSFT"), RegistrationState::Published);
}

#[tokio::test]
async fn a_published_request_without_an_outcome_is_published_again() {
    let (broker, mut kafka) = started_broker().await;
    kafka.redrive_after_secs = 2;
    // No worker consumes the request topic: the first message is as good as lost.
    let app = TestApp::builder().kafka(kafka.clone()).spawn().await;

    let request_id = pending_request_id(&app, "NVDA").await;

    let messages = consume(
        &broker.brokers(),
        &kafka.request_topic,
        2,
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(messages.len(), 2, "{messages:?}");
    for (key, message) in &messages {
        assert_eq!(key, "NVDA");
        assert_eq!(message.request_id.as_deref(), Some(request_id.as_str()));
    }
    assert_eq!(app.requests_for("NVDA").await.len(), 1, "still one request");
    let metrics = app.get("/metrics").await.text().await.expect("metrics");
    assert!(
        metrics.contains("finstage_registrations_redriven_total"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_refresh_publishes_an_open_request_again_at_once() {
    let (broker, kafka) = started_broker().await;
    let app = TestApp::builder().kafka(kafka.clone()).spawn().await;
    app.seed_company("AAPL", &synthetic(2020..=2023, &[FiscalPeriod::Fy]))
        .await;

    let first = app.refresh_company("AAPL", Some(ADMIN_TOKEN)).await;
    assert!(first["errors"].is_null(), "{first}");
    wait_until_published(&app, &["AAPL"], Duration::from_secs(10)).await;
    // The request is out, and no outcome comes; a second refresh must not be a no-op.
    let second = app.refresh_company("AAPL", Some(ADMIN_TOKEN)).await;
    assert!(second["errors"].is_null(), "{second}");

    let messages = consume(
        &broker.brokers(),
        &kafka.request_topic,
        2,
        Duration::from_secs(20),
    )
    .await;
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert_eq!(messages[0].1.request_id, messages[1].1.request_id);
    assert_eq!(app.requests_for("AAPL").await.len(), 1, "still one request");
}
