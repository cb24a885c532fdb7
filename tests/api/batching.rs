use finstage::domain::FiscalPeriod;
use serde_json::json;

use crate::helpers::{TestApp, spawn_app, synthetic};

const COMPANIES_WITH_ALL_STATEMENTS: &str = r#"
query ($symbols: [String!]!) {
  companies(symbols: $symbols) {
    symbol status
    incomeStatements { fiscalYear revenue netIncome epsDiluted }
    balanceSheets { fiscalYear totalAssets }
    cashFlowStatements { fiscalYear operatingCashFlow }
  }
}"#;

/// Every metric that combines statement kinds, and TTM, on each kind.
const COMPANIES_WITH_METRICS: &str = r#"
query ($symbols: [String!]!) {
  companies(symbols: $symbols) {
    symbol
    incomeStatements { fiscalYear metrics { grossMargin ebitda revenueGrowth } }
    balanceSheets { metrics { returnOnEquity returnOnAssets } }
    cashFlowStatements { metrics { freeCashFlowMargin } }
    ttm: incomeStatements(period: TTM) { revenue metrics { ebitda } }
  }
}"#;

/// SQL statements the app sent to MariaDB while answering one request.
async fn queries_for(app: &TestApp, symbols: &[String]) -> (u64, serde_json::Value) {
    queries_of(app, COMPANIES_WITH_ALL_STATEMENTS, symbols).await
}

async fn queries_of(app: &TestApp, query: &str, symbols: &[String]) -> (u64, serde_json::Value) {
    let before = app.db.queries_executed();
    let body = app.graphql(query, json!({ "symbols": symbols })).await;
    (app.db.queries_executed() - before, body)
}

#[tokio::test]
async fn sql_queries_per_request_do_not_grow_with_the_number_of_companies() {
    let app = spawn_app().await;
    let symbols: Vec<String> = (0..100).map(|i| format!("C{i:03}")).collect();
    for symbol in &symbols {
        app.seed_company(symbol, &synthetic(2019..=2023, &[FiscalPeriod::Fy]))
            .await;
    }
    // Warm the pool so every measured request reuses connections the same way. These two
    // companies are now in the read cache; every measured request also asks for uncached
    // ones, so each goes to MySQL.
    queries_for(&app, &symbols[98..]).await;

    let (two, body) = queries_for(&app, &symbols[..2]).await;
    assert_eq!(body["data"]["companies"].as_array().map(Vec::len), Some(2));
    let (hundred, body) = queries_for(&app, &symbols).await;

    assert!(body.get("errors").is_none(), "{body}");
    let companies = body["data"]["companies"].as_array().expect("companies");
    assert_eq!(companies.len(), 100);
    for (company, symbol) in companies.iter().zip(&symbols) {
        assert_eq!(company["symbol"], symbol.as_str());
        for field in ["incomeStatements", "balanceSheets", "cashFlowStatements"] {
            assert_eq!(
                company[field].as_array().map(Vec::len),
                Some(5),
                "{symbol} {field}"
            );
        }
        assert_eq!(company["incomeStatements"][0]["revenue"], "2023000000.25");
        assert_eq!(company["balanceSheets"][4]["totalAssets"], "2019000000.25");
    }
    println!("SQL statements per request: 2 companies = {two}, 100 companies = {hundred}");
    assert_eq!(
        two, hundred,
        "query count must not depend on the number of companies"
    );
    // One company lookup and one query per statement kind, plus at most one connection
    // health check per pool checkout.
    assert!(hundred <= 8, "{hundred} SQL statements for one request");

    let (cached, body) = queries_for(&app, &symbols).await;
    assert_eq!(
        body["data"]["companies"][99]["incomeStatements"][0]["revenue"],
        "2023000000.25"
    );
    assert_eq!(
        cached, 0,
        "a repeated request is answered from the read cache"
    );
}

#[tokio::test]
async fn different_filters_in_one_request_are_answered_correctly() {
    let app = spawn_app().await;
    let mut periods = vec![FiscalPeriod::Fy];
    periods.extend(FiscalPeriod::QUARTERS);
    app.seed_company("AAPL", &synthetic(2020..=2023, &periods))
        .await;

    let body = app
        .graphql(
            r#"{ company(symbol: "AAPL") {
                annual: incomeStatements(last: 2) { fiscalYear fiscalPeriod }
                quarterly: incomeStatements(period: QUARTERLY, last: 2) { fiscalYear fiscalPeriod }
                old: incomeStatements(fiscalYearTo: 2020) { fiscalYear fiscalPeriod }
            } }"#,
            json!({}),
        )
        .await;

    assert_eq!(
        body["data"]["company"],
        json!({
            "annual": [{ "fiscalYear": 2023, "fiscalPeriod": "FY" }, { "fiscalYear": 2022, "fiscalPeriod": "FY" }],
            "quarterly": [{ "fiscalYear": 2023, "fiscalPeriod": "Q4" }, { "fiscalYear": 2023, "fiscalPeriod": "Q3" }],
            "old": [{ "fiscalYear": 2020, "fiscalPeriod": "FY" }],
        })
    );
}

#[tokio::test]
async fn metrics_and_ttm_cost_no_sql_queries_per_company() {
    let app = spawn_app().await;
    let symbols: Vec<String> = (0..100).map(|i| format!("M{i:03}")).collect();
    let mut periods = vec![FiscalPeriod::Fy];
    periods.extend(FiscalPeriod::QUARTERS);
    for symbol in &symbols {
        app.seed_company(symbol, &synthetic(2021..=2023, &periods))
            .await;
    }
    queries_of(&app, COMPANIES_WITH_METRICS, &symbols[98..]).await;

    let (two, _) = queries_of(&app, COMPANIES_WITH_METRICS, &symbols[..2]).await;
    let (hundred, body) = queries_of(&app, COMPANIES_WITH_METRICS, &symbols).await;

    assert!(body.get("errors").is_none(), "{body}");
    let companies = body["data"]["companies"].as_array().expect("companies");
    assert_eq!(companies.len(), 100);
    // Synthetic revenue encodes the year: (2023000000.25 − 2022000000.25) / 2022000000.25.
    assert_eq!(
        companies[99]["incomeStatements"][0]["metrics"]["revenueGrowth"],
        "0.0005"
    );
    println!("SQL statements with metrics: 2 companies = {two}, 100 companies = {hundred}");
    assert_eq!(two, hundred, "metrics must not add queries per company");
    assert!(hundred <= 8, "{hundred} SQL statements for one request");
}
