//! Faults against the real parts: a Kafka-protocol broker killed and restarted under running
//! gateways, and MariaDB cut off or stalled behind a TCP proxy of the harness's own.

use std::time::Duration;

use diesel_async::RunQueryDsl;
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::broker::{started_broker, unique_kafka_settings};
use crate::helpers::{TestApp, eventually};
use crate::subscriptions::{StatusSubscription, publish_ready_result, wait_for_result_listener};
use crate::support::broker::TestBroker;
use crate::support::proxy::TcpProxy;

const REVENUE_2023: &str = r#"{ company(symbol: "AAPL") {
    incomeStatements(fiscalYearFrom: 2023, fiscalYearTo: 2023) { revenue } } }"#;

async fn revenue_2023(app: &TestApp) -> Value {
    let body = app.graphql(REVENUE_2023, json!({})).await;
    body["data"]["company"]["incomeStatements"][0]["revenue"].clone()
}

#[tokio::test]
async fn after_a_broker_restart_two_gateways_serve_re_ingested_data_within_ten_seconds() {
    let (mut broker, kafka) = started_broker().await;
    let first = TestApp::builder()
        .kafka(kafka.clone())
        .cache_ttl(3_600)
        .spawn()
        .await;
    let database_url = first.database_url.clone();
    let second = TestApp::builder()
        .without_database()
        .kafka(kafka.clone())
        .cache_ttl(3_600)
        .with_settings(move |s| s.database.url = SecretString::from(database_url))
        .spawn()
        .await;
    first.import_fixtures(&["AAPL"]).await;
    wait_for_result_listener(&first, &kafka).await;
    wait_for_result_listener(&second, &kafka).await;
    for app in [&first, &second] {
        assert_eq!(revenue_2023(app).await, "383285000000");
    }
    let mut watching = StatusSubscription::open(&second, "AAPL").await;
    assert_eq!(
        watching.next(Duration::from_secs(5)).await.unwrap()["status"],
        "READY"
    );

    broker.stop();
    // Re-ingested while the broker is down: both gateways still serve what they cached.
    re_ingest(&first).await;
    for app in [&first, &second] {
        assert_eq!(revenue_2023(app).await, "383285000000", "cached");
    }
    broker.start().await;
    // The worker's outcome goes out as soon as the broker is back.
    publish_ready_result(&kafka, "AAPL").await;

    for (name, app) in [("first", &first), ("second", &second)] {
        eventually(
            Duration::from_secs(10),
            format!("the {name} gateway to serve the re-ingested revenue"),
            || async { revenue_2023(app).await == "383285000001" },
        )
        .await;
    }
    let events = watching.until("READY", Duration::from_secs(10)).await;
    assert!(!events.is_empty());
}

#[tokio::test]
async fn a_gateway_whose_listener_gets_its_partitions_drops_what_it_cached_before() {
    // The broker is down while the gateway starts and caches Apple.
    let mut broker = TestBroker::reserve();
    let kafka = unique_kafka_settings(&broker);
    let app = TestApp::builder()
        .kafka(kafka.clone())
        .cache_ttl(3_600)
        .spawn()
        .await;
    app.import_fixtures(&["AAPL"]).await;
    assert_eq!(revenue_2023(&app).await, "383285000000");
    let mut watching = StatusSubscription::open(&app, "AAPL").await;
    assert_eq!(
        watching.next(Duration::from_secs(5)).await.unwrap()["status"],
        "READY"
    );
    // Long enough for the listener to be backing off between tries.
    tokio::time::sleep(Duration::from_secs(3)).await;

    // Re-ingested while this gateway's listener had no partitions: reading from `latest`,
    // it would never see that outcome, so here none is published at all.
    re_ingest(&app).await;
    broker.start().await;

    eventually(
        Duration::from_secs(40),
        "the gateway to serve the re-ingested revenue",
        || async { revenue_2023(&app).await == "383285000001" },
    )
    .await;
    let events = watching.until("READY", Duration::from_secs(10)).await;
    assert!(!events.is_empty());
}

/// What a re-ingestion changes: a figure, and the company's timestamps.
async fn re_ingest(app: &TestApp) {
    let mut conn = app.conn().await;
    for statement in [
        "UPDATE income_statements SET revenue = revenue + 1 WHERE fiscal_year = 2023 \
         AND fiscal_period = 'FY'",
        "UPDATE companies SET last_ingested_at = NOW(), updated_at = NOW() + INTERVAL 1 SECOND \
         WHERE symbol = 'AAPL'",
    ] {
        diesel::sql_query(statement)
            .execute(&mut conn)
            .await
            .expect("re-ingest");
    }
}

const READ_APPLE: &str =
    r#"{ company(symbol: "AAPL") { status incomeStatements(last: 2) { fiscalYear revenue } } }"#;

/// One request's outcome: its GraphQL error code (`"ok"` when it answered `expected`) and how
/// long it took.
async fn read_apple(app: &TestApp, expected: &Value) -> (String, Duration) {
    let started = std::time::Instant::now();
    let (_, body) = app.post_graphql(READ_APPLE, json!({})).await;
    let code = match body["errors"][0]["extensions"]["code"].as_str() {
        Some(code) => code.to_owned(),
        None if body["data"] == *expected => String::from("ok"),
        None => format!("unexpected answer {body}"),
    };
    (code, started.elapsed())
}

/// Outcomes of `clients` concurrent loops of `read_apple` for `duration`.
async fn load(
    app: &TestApp,
    expected: &Value,
    clients: usize,
    duration: Duration,
) -> Vec<(String, Duration)> {
    let until = tokio::time::Instant::now() + duration;
    let loops = (0..clients).map(|_| async move {
        let mut outcomes = Vec::new();
        while tokio::time::Instant::now() < until {
            outcomes.push(read_apple(app, expected).await);
        }
        outcomes
    });
    futures_util::future::join_all(loops)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// A gateway (read cache off, so every request needs MariaDB) whose database connections go
/// through a TCP proxy of the test's own; Apple stored; and Apple's expected answer.
async fn behind_a_proxy(
    edit: impl FnOnce(&mut finstage::config::ServeSettings) + 'static,
) -> (TestApp, TestApp, TcpProxy, Value) {
    let direct = TestApp::builder().spawn().await;
    direct.import_fixtures(&["AAPL"]).await;
    let proxy = TcpProxy::start("127.0.0.1:3306".parse().unwrap()).await;
    // mysql_async moves a connection to 127.0.0.1 onto the server's unix socket unless told
    // not to, which would bypass the proxy.
    let proxied_url = format!(
        "{}?prefer_socket=false",
        direct
            .database_url
            .replacen(":3306/", &format!(":{}/", proxy.port()), 1)
    );
    assert_ne!(proxied_url, direct.database_url);
    let app = TestApp::builder()
        .without_database()
        .with_settings(move |s| {
            s.database.url = SecretString::from(proxied_url);
            s.cache.max_statements = 0;
            s.cache.max_response_bytes = 0;
            edit(s);
        })
        .spawn()
        .await;
    let expected = direct.graphql(READ_APPLE, json!({})).await["data"].clone();
    assert_eq!(expected["company"]["status"], "READY", "{expected}");
    (direct, app, proxy, expected)
}

fn codes(outcomes: &[(String, Duration)]) -> Vec<&str> {
    let mut codes: Vec<&str> = outcomes.iter().map(|(code, _)| code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    codes
}

fn slowest(phases: &[&[(String, Duration)]]) -> Duration {
    phases
        .iter()
        .flat_map(|phase| phase.iter())
        .map(|(_, took)| *took)
        .max()
        .unwrap_or_default()
}

/// After 5 s of load following the database's return, every request of 2 s more succeeds.
async fn recovers_within_five_seconds(
    app: &TestApp,
    expected: &Value,
) -> [Vec<(String, Duration)>; 2] {
    let recovering = load(app, expected, 8, Duration::from_secs(5)).await;
    let after = load(app, expected, 8, Duration::from_secs(2)).await;
    assert!(
        after.iter().all(|(code, _)| code == "ok"),
        "after 5 s: {:?}",
        after
            .iter()
            .filter(|(code, _)| code != "ok")
            .collect::<Vec<_>>()
    );
    [recovering, after]
}

#[tokio::test]
async fn while_mariadb_is_cut_off_clients_get_only_service_unavailable_and_it_recovers_at_once() {
    let (_direct, app, proxy, expected) = behind_a_proxy(|_| {}).await;

    let before = load(&app, &expected, 8, Duration::from_secs(1)).await;
    assert_eq!(codes(&before), ["ok"], "{before:?}");

    proxy.cut();
    let during = load(&app, &expected, 8, Duration::from_secs(2)).await;
    assert_eq!(codes(&during), ["SERVICE_UNAVAILABLE"], "{during:?}");

    proxy.restore();
    let [recovering, after] = recovers_within_five_seconds(&app, &expected).await;
    let slowest = slowest(&[&before, &during, &recovering, &after]);
    // The pool's wait for a connection (DATABASE_TIMEOUT_SECS, 2 s here) bounds each request.
    assert!(
        slowest < Duration::from_secs(3),
        "slowest request {slowest:?}"
    );
}

#[tokio::test]
async fn while_mariadb_stalls_requests_end_at_their_time_limits_and_none_gets_a_wrong_answer() {
    let (_direct, app, proxy, expected) = behind_a_proxy(|s| s.http.request_timeout_secs = 2).await;

    let before = load(&app, &expected, 8, Duration::from_secs(1)).await;
    assert_eq!(codes(&before), ["ok"], "{before:?}");

    // Nothing comes back: pooled connections wait on their queries, new ones on the
    // server's greeting. Requests end at the request time limit (TIMEOUT) or at the pool's
    // wait for a connection (SERVICE_UNAVAILABLE), both retryable.
    proxy.stall();
    let during = load(&app, &expected, 8, Duration::from_secs(4)).await;
    for code in codes(&during) {
        assert!(
            code == "TIMEOUT" || code == "SERVICE_UNAVAILABLE",
            "{code}: {during:?}"
        );
    }

    // The held bytes arrive late, answers to requests long given up: no connection may
    // hand one of them to a later request.
    proxy.restore();
    let [recovering, after] = recovers_within_five_seconds(&app, &expected).await;
    let wrong: Vec<_> = recovering
        .iter()
        .filter(|(code, _)| code.starts_with("unexpected"))
        .collect();
    assert!(wrong.is_empty(), "{wrong:?}");
    let slowest = slowest(&[&before, &during, &recovering, &after]);
    // REQUEST_TIMEOUT_SECS (2 s here) bounds each request.
    assert!(
        slowest < Duration::from_secs(3),
        "slowest request {slowest:?}"
    );
}
