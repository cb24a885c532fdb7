//! Per-share figures on one basis, TTM windows and metrics over GraphQL, for the real SEC
//! fixtures imported into MariaDB; expectations computed by hand from the 10-K figures.

use finstage::ingestion::import::{Companies, import_dir};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::normalization::FIXTURES;

async fn app_with_fixtures() -> TestApp {
    let app = spawn_app().await;
    import_dir(&app.db, FIXTURES.as_ref(), Companies::All)
        .await
        .expect("import");
    app
}

async fn data(app: &TestApp, query: &str) -> Value {
    let body = app.graphql(query, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"].clone()
}

fn decimal(value: &Value) -> Decimal {
    value
        .as_str()
        .unwrap_or_else(|| panic!("a decimal string, got {value}"))
        .parse()
        .expect("decimal")
}

#[tokio::test]
async fn apple_fiscal_2023_metrics_match_its_10k() {
    let app = app_with_fixtures().await;
    let data = data(
        &app,
        r#"{ company(symbol: "AAPL") {
            incomeStatements(fiscalYearFrom: 2023, fiscalYearTo: 2023) { metrics {
                grossMargin operatingMargin netMargin ebitda ebitdaMargin effectiveTaxRate
                interestCoverage revenueGrowth operatingIncomeGrowth netIncomeGrowth
                epsDilutedGrowth revenueGrowthQoq } }
            cashFlowStatements(fiscalYearFrom: 2023, fiscalYearTo: 2023) { metrics {
                freeCashFlowMargin operatingCashFlowMargin operatingCashFlowGrowth
                freeCashFlowGrowth } }
            balanceSheets(fiscalYearFrom: 2023, fiscalYearTo: 2023) { metrics {
                currentRatio debtToEquity returnOnEquity returnOnAssets } }
        } }"#,
    )
    .await;
    let company = &data["company"];
    // FY2023 10-K ($M): revenue 383,285, gross margin 169,148, operating income 114,301,
    // net income 96,995, D&A 11,519, tax 16,741 on 113,736, interest expense 3,933; FY2022
    // revenue 394,328, operating income 119,437, net income 99,803, diluted EPS 6.11 (6.13).
    assert_eq!(
        company["incomeStatements"][0]["metrics"],
        json!({
            "grossMargin": "0.4413", "operatingMargin": "0.2982", "netMargin": "0.2531",
            "ebitda": "125820000000", "ebitdaMargin": "0.3283", "effectiveTaxRate": "0.1472",
            "interestCoverage": "29.062", "revenueGrowth": "-0.028",
            "operatingIncomeGrowth": "-0.043", "netIncomeGrowth": "-0.0281",
            "epsDilutedGrowth": "0.0033", "revenueGrowthQoq": null,
        })
    );
    // Operating cash flow 110,543 (FY2022 122,151), capex 10,959 (10,708).
    assert_eq!(
        company["cashFlowStatements"][0]["metrics"],
        json!({
            "freeCashFlowMargin": "0.2598", "operatingCashFlowMargin": "0.2884",
            "operatingCashFlowGrowth": "-0.095", "freeCashFlowGrowth": "-0.1064",
        })
    );
    // Current assets 143,566 and liabilities 145,308; term debt 9,822 current + 95,281
    // non-current; equity 62,146; total assets 352,583.
    assert_eq!(
        company["balanceSheets"][0]["metrics"],
        json!({
            "currentRatio": "0.988", "debtToEquity": "1.6912", "returnOnEquity": "1.5608",
            "returnOnAssets": "0.2751",
        })
    );
}

#[tokio::test]
async fn per_share_figures_are_split_adjusted_by_default_and_as_reported_on_request() {
    let app = app_with_fixtures().await;
    let data = data(
        &app,
        r#"{ company(symbol: "AAPL") {
            incomeStatements(fiscalYearFrom: 2017, fiscalYearTo: 2018) {
                fiscalYear epsDiluted weightedAverageSharesDiluted shareSplitFactor splitAdjusted
                asReported { epsDiluted weightedAverageSharesDiluted }
            }
        } }"#,
    )
    .await;
    assert_eq!(
        data["company"]["incomeStatements"],
        json!([
            { "fiscalYear": 2018, "epsDiluted": "2.98", "weightedAverageSharesDiluted": "20000435000",
              "shareSplitFactor": "1", "splitAdjusted": false,
              "asReported": { "epsDiluted": "2.98", "weightedAverageSharesDiluted": "20000435000" } },
            { "fiscalYear": 2017, "epsDiluted": "2.3025", "weightedAverageSharesDiluted": "21006768000",
              "shareSplitFactor": "4", "splitAdjusted": true,
              "asReported": { "epsDiluted": "9.21", "weightedAverageSharesDiluted": "5251692000" } },
        ])
    );
}

#[tokio::test]
async fn a_companys_first_year_has_no_growth() {
    let app = app_with_fixtures().await;
    let data = data(
        &app,
        r#"{ company(symbol: "SNOW") {
            incomeStatements(last: 200) { fiscalYear revenue metrics { revenueGrowth } }
        } }"#,
    )
    .await;
    let years = data["company"]["incomeStatements"]
        .as_array()
        .expect("statements");
    let first = years.last().expect("a first year");
    assert_eq!(first["metrics"]["revenueGrowth"], Value::Null, "{first}");
    let second = &years[years.len() - 2];
    let expected =
        (decimal(&second["revenue"]) - decimal(&first["revenue"])) / decimal(&first["revenue"]);
    assert_eq!(
        decimal(&second["metrics"]["revenueGrowth"]),
        expected.round_dp(4)
    );
}

const TTM_AND_QUARTERS: &str = r#"query ($symbol: String!) { company(symbol: $symbol) {
    ttm: incomeStatements(period: TTM, last: 8) {
        fiscalYear fiscalPeriod periodStart periodEnd derived revenue netIncome epsDiluted
        weightedAverageSharesDiluted
        ttmQuarters { fiscalYear fiscalPeriod periodStart periodEnd }
    }
    quarters: incomeStatements(period: QUARTERLY, last: 40) {
        fiscalYear fiscalPeriod periodStart periodEnd revenue
    }
    annual: incomeStatements(last: 40) { fiscalYear periodStart periodEnd revenue }
    balanceTtm: balanceSheets(period: TTM, last: 1) { periodEnd totalAssets ttmQuarters { fiscalPeriod } }
    balanceQuarter: balanceSheets(period: QUARTERLY, last: 1) { periodEnd totalAssets }
} }"#;

/// Each TTM window sums the four quarters it names, which are consecutive; a window ending
/// with a fiscal Q4 spans exactly that fiscal year (fiscal years ending in January or
/// February included); the balance sheet's TTM is its latest quarter.
async fn assert_ttm_windows_align(app: &TestApp, symbol: &str) {
    let body = app
        .graphql(TTM_AND_QUARTERS, json!({ "symbol": symbol }))
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    let company = &body["data"]["company"];
    let quarters = company["quarters"].as_array().expect("quarters");
    let annual = company["annual"].as_array().expect("annual");
    let windows = company["ttm"].as_array().expect("ttm");
    assert_eq!(windows.len(), 8, "{symbol}: eight rolling windows");
    for window in windows {
        assert_eq!(window["fiscalPeriod"], "TTM");
        assert_eq!(window["derived"], true);
        let used = window["ttmQuarters"].as_array().expect("ttmQuarters");
        assert_eq!(used.len(), 4, "{symbol} {window}");
        let shown: Vec<&Value> = used
            .iter()
            .map(|q| {
                quarters
                    .iter()
                    .find(|s| {
                        s["fiscalYear"] == q["fiscalYear"] && s["fiscalPeriod"] == q["fiscalPeriod"]
                    })
                    .unwrap_or_else(|| panic!("{symbol}: {q} is not among the quarters"))
            })
            .collect();
        let sum: Decimal = shown.iter().map(|q| decimal(&q["revenue"])).sum();
        assert_eq!(decimal(&window["revenue"]), sum, "{symbol} {window}");
        assert_eq!(window["periodStart"], used[0]["periodStart"]);
        assert_eq!(window["periodEnd"], used[3]["periodEnd"]);
        assert_eq!(window["fiscalYear"], used[3]["fiscalYear"]);
        for pair in shown.windows(2) {
            let end: chrono::NaiveDate = pair[0]["periodEnd"]
                .as_str()
                .expect("end")
                .parse()
                .expect("date");
            let next: chrono::NaiveDate = pair[1]["periodStart"]
                .as_str()
                .expect("start")
                .parse()
                .expect("date");
            assert_eq!(
                next,
                end.succ_opt().expect("date"),
                "{symbol}: consecutive quarters"
            );
        }
        if used[3]["fiscalPeriod"] == "Q4" {
            let year = annual
                .iter()
                .find(|a| a["fiscalYear"] == window["fiscalYear"])
                .expect("the fiscal year");
            assert_eq!(window["periodStart"], year["periodStart"], "{symbol}");
            assert_eq!(window["periodEnd"], year["periodEnd"], "{symbol}");
        }
        // EPS = TTM net income ÷ the latest quarter's shares, null when it reports none
        // (Snowflake's Q1 FY2026 10-Q gives EPS but no share count).
        match &window["weightedAverageSharesDiluted"] {
            Value::Null => assert_eq!(window["epsDiluted"], Value::Null, "{symbol} {window}"),
            shares => {
                let eps = decimal(&window["netIncome"]) / decimal(shares);
                assert_eq!(
                    decimal(&window["epsDiluted"]),
                    eps.round_dp(4),
                    "{symbol} {window}"
                );
            }
        }
    }
    let consecutive_ends: Vec<&Value> = windows.iter().map(|w| &w["periodEnd"]).collect();
    let quarter_ends: Vec<&Value> = quarters.iter().take(8).map(|q| &q["periodEnd"]).collect();
    assert_eq!(
        consecutive_ends, quarter_ends,
        "{symbol}: one window per quarter end"
    );

    assert_eq!(
        company["balanceTtm"][0]["periodEnd"],
        company["balanceQuarter"][0]["periodEnd"]
    );
    assert_eq!(
        company["balanceTtm"][0]["totalAssets"],
        company["balanceQuarter"][0]["totalAssets"]
    );
    assert_eq!(
        company["balanceTtm"][0]["ttmQuarters"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn ttm_windows_sum_consecutive_quarters_and_align_with_fiscal_years() {
    let app = app_with_fixtures().await;
    for symbol in ["AAPL", "SNOW", "MRVL"] {
        assert_ttm_windows_align(&app, symbol).await;
    }
}

#[tokio::test]
async fn totals_computed_from_parts_are_served_marked() {
    let app = app_with_fixtures().await;
    let data = data(
        &app,
        r#"{ snow: company(symbol: "SNOW") { incomeStatements(fiscalYearFrom: 2024, fiscalYearTo: 2024) {
                sellingAndMarketing generalAndAdministrative sellingGeneralAndAdministrative derivedLineItems } }
             mrvl: company(symbol: "MRVL") { incomeStatements(fiscalYearFrom: 2024, fiscalYearTo: 2024) {
                operatingExpenses derivedLineItems } } }"#,
    )
    .await;
    assert_eq!(
        data["snow"]["incomeStatements"][0],
        json!({ "sellingAndMarketing": "1391747000", "generalAndAdministrative": "323008000",
                "sellingGeneralAndAdministrative": "1714755000",
                "derivedLineItems": ["sellingGeneralAndAdministrative"] })
    );
    assert_eq!(
        data["mrvl"]["incomeStatements"][0],
        json!({ "operatingExpenses": "2861300000", "derivedLineItems": ["operatingExpenses"] })
    );
}
