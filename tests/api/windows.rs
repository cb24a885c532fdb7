//! Reading only what a request shows: with the statement cache off, a request whose
//! selections of a kind share their arguments reads just those rows from MariaDB, and answers
//! exactly what reading every period would.

use finstage::domain::FiscalPeriod;
use serde_json::{Value, json};

use crate::helpers::{TestApp, synthetic};

const ALL_PERIODS: [FiscalPeriod; 5] = [
    FiscalPeriod::Fy,
    FiscalPeriod::Q1,
    FiscalPeriod::Q2,
    FiscalPeriod::Q3,
    FiscalPeriod::Q4,
];

async fn app_without_statement_cache() -> TestApp {
    let app = TestApp::builder()
        .with_settings(|s| {
            s.cache.max_statements = 0;
            s.cache.max_response_bytes = 0;
        })
        .spawn()
        .await;
    app.seed_company("AAPL", &synthetic(2014..=2023, &ALL_PERIODS))
        .await;
    app.seed_company("MSFT", &synthetic(2014..=2023, &ALL_PERIODS))
        .await;
    // Fewer years than the window asks for.
    app.seed_company("SNOW", &synthetic(2021..=2022, &ALL_PERIODS))
        .await;
    app
}

/// The answer, and how many statement rows answering it read.
async fn rows_read(app: &TestApp, query: &str) -> (u64, Value) {
    let before = app.db.statement_rows_read();
    let body = app.graphql(query, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    (app.db.statement_rows_read() - before, body)
}

fn periods(statements: &Value) -> Vec<String> {
    statements
        .as_array()
        .expect("a list")
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                s["fiscalYear"],
                s["fiscalPeriod"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

#[tokio::test]
async fn one_company_reads_only_the_periods_it_shows() {
    let app = app_without_statement_cache().await;
    let (rows, body) = rows_read(
        &app,
        r#"{ company(symbol: "AAPL") {
              incomeStatements { fiscalYear fiscalPeriod revenue }
              balanceSheets(period: ANNUAL, last: 5) { fiscalYear fiscalPeriod }
              cashFlowStatements(period: QUARTERLY, last: 3, fiscalYearTo: 2022) { fiscalYear fiscalPeriod } } }"#,
    )
    .await;

    let company = &body["data"]["company"];
    assert_eq!(
        periods(&company["incomeStatements"]),
        ["2023 FY", "2022 FY", "2021 FY", "2020 FY", "2019 FY"]
    );
    assert_eq!(periods(&company["balanceSheets"]).len(), 5);
    assert_eq!(
        periods(&company["cashFlowStatements"]),
        ["2022 Q4", "2022 Q3", "2022 Q2"]
    );
    assert_eq!(rows, 5 + 5 + 3, "of 50 stored per kind");
}

#[tokio::test]
async fn a_batch_of_companies_reads_each_ones_window_and_answers_as_a_full_read_would() {
    let app = app_without_statement_cache().await;
    let windowed = r#"{ companies(symbols: ["AAPL", "SNOW", "MSFT"]) {
          incomeStatements(period: QUARTERLY, last: 6) { fiscalYear fiscalPeriod revenue } } }"#;
    // The same fields beside an alias asking for something else: every period is read.
    let full = r#"{ companies(symbols: ["AAPL", "SNOW", "MSFT"]) {
          incomeStatements(period: QUARTERLY, last: 6) { fiscalYear fiscalPeriod revenue }
          other: incomeStatements(last: 1) { fiscalYear } } }"#;

    let (windowed_rows, windowed_body) = rows_read(&app, windowed).await;
    let (full_rows, full_body) = rows_read(&app, full).await;

    assert_eq!(
        windowed_rows,
        6 + 6 + 6,
        "SNOW has 8 quarters, the others 40"
    );
    assert_eq!(full_rows, 50 + 50 + 10);
    for (windowed, full) in windowed_body["data"]["companies"]
        .as_array()
        .expect("companies")
        .iter()
        .zip(
            full_body["data"]["companies"]
                .as_array()
                .expect("companies"),
        )
    {
        assert_eq!(windowed["incomeStatements"], full["incomeStatements"]);
    }
    assert_eq!(
        periods(&windowed_body["data"]["companies"][1]["incomeStatements"]),
        [
            "2022 Q4", "2022 Q3", "2022 Q2", "2022 Q1", "2021 Q4", "2021 Q3"
        ]
    );
}

#[tokio::test]
async fn metrics_and_ttm_read_every_period_they_need() {
    let app = app_without_statement_cache().await;
    let (rows, body) = rows_read(
        &app,
        r#"{ company(symbol: "AAPL") {
              incomeStatements(last: 2) { fiscalYear metrics { revenueGrowth } } } }"#,
    )
    .await;
    let growth = &body["data"]["company"]["incomeStatements"][1]["metrics"]["revenueGrowth"];
    assert!(
        !growth.is_null(),
        "the year before the window is read: {body}"
    );
    assert_eq!(rows, 3 * 50, "metrics read every kind");

    // TTM windows are built from the quarters and fiscal years, whichever are consecutive.
    let (rows, _) = rows_read(
        &app,
        r#"{ company(symbol: "AAPL") { incomeStatements(period: TTM, last: 1) { revenue } } }"#,
    )
    .await;
    assert_eq!(rows, 50);
}
