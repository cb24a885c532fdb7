//! The read cache: it serves repeated reads without MySQL, and never serves a company's
//! statements past that company's result event (or, without events, past the TTL).

use std::time::{Duration, Instant};

use diesel_async::RunQueryDsl;
use finstage::domain::FiscalPeriod;
use serde_json::json;

use crate::broker::TestBroker;
use crate::helpers::{
    TestApp, spawn_app_with_cache_ttl, spawn_app_with_kafka, synthetic, test_kafka_settings,
};
use crate::subscriptions::{publish_ready_result, wait_for_result_listener};

const REVENUE: &str = r#"{ company(symbol: "AAPL") { incomeStatements(last: 1) { revenue } } }"#;

async fn revenue(app: &TestApp) -> String {
    let body = app.graphql(REVENUE, json!({})).await;
    body["data"]["company"]["incomeStatements"][0]["revenue"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned()
}

/// Changes the stored figure behind the cache's back, as a re-ingestion would.
async fn change_revenue_in_mysql(app: &TestApp) {
    diesel::sql_query("UPDATE income_statements SET revenue = 1.00")
        .execute(&mut app.conn().await)
        .await
        .unwrap();
}

async fn seeded(app: &TestApp) {
    app.seed_company("AAPL", &synthetic(2023..=2023, &[FiscalPeriod::Fy]))
        .await;
    assert_eq!(revenue(app).await, "2023000000.25");
}

#[tokio::test]
async fn a_result_event_drops_the_company_from_the_cache() {
    let broker = TestBroker::started().await;
    let kafka = test_kafka_settings(
        &broker.brokers(),
        &uuid::Uuid::new_v4().simple().to_string(),
    );
    let app = spawn_app_with_kafka(kafka.clone()).await;
    wait_for_result_listener(&app, &kafka).await;
    seeded(&app).await;

    change_revenue_in_mysql(&app).await;
    assert_eq!(
        revenue(&app).await,
        "2023000000.25",
        "served from the cache"
    );

    publish_ready_result(&kafka, "AAPL").await;

    let deadline = Instant::now() + Duration::from_secs(30);
    while revenue(&app).await != "1" {
        assert!(Instant::now() < deadline, "the cache kept stale statements");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn without_events_cached_statements_expire_after_the_ttl() {
    let app = spawn_app_with_cache_ttl(4).await;
    seeded(&app).await;

    change_revenue_in_mysql(&app).await;
    assert_eq!(
        revenue(&app).await,
        "2023000000.25",
        "served from the cache"
    );
    tokio::time::sleep(Duration::from_millis(4_500)).await;
    assert_eq!(revenue(&app).await, "1");
}

#[tokio::test]
async fn answers_showing_a_registration_are_not_cached() {
    let app = spawn_app_with_cache_ttl(600).await;
    seeded(&app).await;
    let query = r#"{ company(symbol: "AAPL") { status registration { state } } }"#;
    let body = app.graphql(query, json!({})).await;
    assert!(body["data"]["company"]["registration"].is_null(), "{body}");

    // A refresh opens a request without any result event.
    let refreshed = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(crate::helpers::ADMIN_TOKEN)
        .json(&json!({ "query": "mutation { refreshCompany(symbol: \"AAPL\") { status } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), 200);

    let body = app.graphql(query, json!({})).await;
    assert_eq!(
        body["data"]["company"]["registration"]["state"], "QUEUED",
        "{body}"
    );
}

#[tokio::test]
async fn identical_requests_that_miss_together_are_computed_once() {
    let app = spawn_app_with_cache_ttl(600).await;
    let symbols: Vec<String> = (0..30).map(|i| format!("C{i:03}")).collect();
    for symbol in &symbols {
        app.seed_company(symbol, &synthetic(2019..=2023, &[FiscalPeriod::Fy]))
            .await;
    }
    const QUERY: &str = "query ($s: [String!]!) { companies(symbols: $s) { symbol \
        incomeStatements { revenue } balanceSheets { totalAssets } cashFlowStatements { freeCashFlow } } }";
    let sql_for = async |symbols: &[String], concurrent: usize| {
        let before = app.db.queries_executed();
        let answers = futures_util::future::join_all(
            (0..concurrent).map(|_| app.graphql(QUERY, json!({ "s": symbols }))),
        )
        .await;
        for answer in &answers {
            assert_eq!(answer, &answers[0]);
            assert!(answer.get("errors").is_none(), "{answer}");
        }
        app.db.queries_executed() - before
    };
    // Warm the pool, then measure one cold request, then many identical cold ones.
    sql_for(&symbols[20..], 1).await;
    let alone = sql_for(&symbols[10..20], 1).await;
    let together = sql_for(&symbols[..10], 16).await;

    assert!(alone > 0);
    assert_eq!(
        together, alone,
        "16 identical requests cost one request's SQL"
    );
}
