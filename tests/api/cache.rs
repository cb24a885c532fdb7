//! The read cache: it serves repeated reads without MySQL, and never serves a company's
//! statements past that company's result event (or, without events, past the TTL).

use std::time::Duration;

use diesel_async::RunQueryDsl;
use finstage::domain::FiscalPeriod;
use serde_json::json;

use crate::broker::started_broker;
use crate::helpers::{ADMIN_TOKEN, TestApp, eventually, synthetic};
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

/// Changes the stored revenue behind the cache's back, and shows the cache still serves the
/// old one.
async fn change_revenue_in_mysql_while_cached(app: &TestApp) {
    change_revenue_in_mysql(app).await;
    assert_eq!(revenue(app).await, "2023000000.25", "served from the cache");
}

/// Waits until the revenue changed in MySQL is served.
async fn new_revenue_within(app: &TestApp, secs: u64, what: &str) {
    eventually(Duration::from_secs(secs), what, || async {
        revenue(app).await == "1"
    })
    .await;
}

#[tokio::test]
async fn a_result_event_drops_the_company_from_the_cache() {
    let (_broker, kafka) = started_broker().await;
    let app = TestApp::builder().kafka(kafka.clone()).spawn().await;
    wait_for_result_listener(&app, &kafka).await;
    seeded(&app).await;

    change_revenue_in_mysql_while_cached(&app).await;

    publish_ready_result(&kafka, "AAPL").await;

    new_revenue_within(&app, 30, "the result event to drop the stale statements").await;
}

#[tokio::test]
async fn without_events_cached_statements_expire_after_the_ttl() {
    // Each cache layer keeps an entry ttl/2 = 5 s: long enough for the "served from the
    // cache" read to come in time on a loaded machine.
    let app = TestApp::builder().cache_ttl(10).spawn().await;
    seeded(&app).await;

    change_revenue_in_mysql_while_cached(&app).await;
    // No result event comes: only the TTL can make the new figure visible.
    new_revenue_within(&app, 60, "the cached statements to expire").await;
}

#[tokio::test]
async fn answers_showing_a_registration_are_not_cached() {
    let app = TestApp::builder().cache_ttl(600).spawn().await;
    seeded(&app).await;
    let query = r#"{ company(symbol: "AAPL") { status registration { state } } }"#;
    let body = app.graphql(query, json!({})).await;
    assert!(body["data"]["company"]["registration"].is_null(), "{body}");

    // A refresh opens a request without any result event.
    let refreshed = app.refresh_company("AAPL", Some(ADMIN_TOKEN)).await;
    assert!(refreshed.get("errors").is_none(), "{refreshed}");

    let body = app.graphql(query, json!({})).await;
    assert_eq!(
        body["data"]["company"]["registration"]["state"], "QUEUED",
        "{body}"
    );
}

#[tokio::test]
async fn identical_requests_that_miss_together_are_computed_once() {
    let app = TestApp::builder().cache_ttl(600).spawn().await;
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

/// Every field a dashboard reads, computed ones included, lets the whole answer be cached;
/// with the statement cache off, only the response cache can answer without MySQL.
#[tokio::test]
async fn answers_with_every_statement_field_and_metric_are_cached_whole() {
    let app = TestApp::builder()
        .with_settings(|s| s.cache.max_statements = 0)
        .spawn()
        .await;
    let mut periods = vec![FiscalPeriod::Fy];
    periods.extend(FiscalPeriod::QUARTERS);
    app.seed_company("AAPL", &synthetic(2022..=2023, &periods))
        .await;
    let query = r#"{ company(symbol: "AAPL") {
        symbol name status
        incomeStatements { fiscalYear derivedLineItems revenue epsBasic epsDiluted
            weightedAverageSharesBasic weightedAverageSharesDiluted shareSplitFactor splitAdjusted
            asReported { epsDiluted weightedAverageSharesDiluted }
            metrics { grossMargin ebitda revenueGrowth revenueGrowthQoq } }
        ttm: incomeStatements(period: TTM) { revenue ttmQuarters { fiscalYear fiscalPeriod periodEnd } }
        balanceSheets { totalAssets metrics { currentRatio returnOnEquity } }
        cashFlowStatements { freeCashFlow metrics { freeCashFlowMargin freeCashFlowGrowth } }
    } }"#;
    let first = app.graphql(query, json!({})).await;
    assert!(first.get("errors").is_none(), "{first}");

    let before = app.db.queries_executed();
    let second = app.graphql(query, json!({})).await;

    assert_eq!(second, first);
    assert_eq!(
        app.db.queries_executed() - before,
        0,
        "answered from the response cache"
    );
}
