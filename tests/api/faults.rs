//! Faults against the real parts: a Kafka-protocol broker killed and restarted under running
//! gateways, and MariaDB cut off behind a TCP proxy of the harness's own.

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

/// One request's outcome: its GraphQL error code (`"ok"` without one) and how long it took.
async fn read_apple(app: &TestApp) -> (String, Duration) {
    let started = std::time::Instant::now();
    let (_, body) = app
        .post_graphql(
            r#"{ company(symbol: "AAPL") { status incomeStatements(last: 2) { revenue } } }"#,
            json!({}),
        )
        .await;
    let code = match body["errors"][0]["extensions"]["code"].as_str() {
        Some(code) => code.to_owned(),
        None if body["data"]["company"]["status"] == "READY" => String::from("ok"),
        None => format!("unexpected answer {body}"),
    };
    (code, started.elapsed())
}

/// Outcomes of `clients` concurrent loops of `read_apple` for `duration`.
async fn load(app: &TestApp, clients: usize, duration: Duration) -> Vec<(String, Duration)> {
    let until = tokio::time::Instant::now() + duration;
    let loops = (0..clients).map(|_| async move {
        let mut outcomes = Vec::new();
        while tokio::time::Instant::now() < until {
            outcomes.push(read_apple(app).await);
        }
        outcomes
    });
    futures_util::future::join_all(loops)
        .await
        .into_iter()
        .flatten()
        .collect()
}

#[tokio::test]
async fn while_mariadb_is_cut_off_clients_get_only_service_unavailable_and_it_recovers_at_once() {
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
    // The read cache off, so that every request needs MariaDB.
    let app = TestApp::builder()
        .without_database()
        .with_settings(move |s| {
            s.database.url = SecretString::from(proxied_url);
            s.cache.max_statements = 0;
            s.cache.max_response_bytes = 0;
        })
        .spawn()
        .await;

    let before = load(&app, 8, Duration::from_secs(1)).await;
    assert!(before.iter().all(|(code, _)| code == "ok"), "{before:?}");

    proxy.cut();
    let during = load(&app, 8, Duration::from_secs(2)).await;
    let mut codes: Vec<&str> = during.iter().map(|(code, _)| code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes, ["SERVICE_UNAVAILABLE"], "{during:?}");

    proxy.restore();
    // Full service within 5 s of MariaDB's return: from then on, every request succeeds.
    let recovering = load(&app, 8, Duration::from_secs(5)).await;
    let after = load(&app, 8, Duration::from_secs(2)).await;
    assert!(
        after.iter().all(|(code, _)| code == "ok"),
        "after 5 s: {:?}",
        after
            .iter()
            .filter(|(code, _)| code != "ok")
            .collect::<Vec<_>>()
    );
    let slowest = [&before, &during, &recovering, &after]
        .into_iter()
        .flatten()
        .map(|(_, took)| *took)
        .max()
        .unwrap();
    // The pool's wait for a connection (DATABASE_TIMEOUT_SECS, 2 s here) bounds each request.
    assert!(
        slowest < Duration::from_secs(3),
        "slowest request {slowest:?}"
    );
}
