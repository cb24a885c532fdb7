use finstage::domain::{
    BalanceSheetItems, CashFlowItems, FiscalPeriod, IncomeStatementItems, ShareCount, Statement,
    StatementPeriod,
};
use serde_json::json;

use crate::helpers::{SeedStatements, money, period, spawn_app, synthetic};

const ALL_STATEMENTS: &str = r#"
query ($symbol: String!) {
  company(symbol: $symbol) {
    symbol name cik exchange currency fiscalYearEnd status statusReason lastIngestedAt
    incomeStatements {
      fiscalYear fiscalPeriod periodStart periodEnd form filedAt accessionNumber currency derived
      revenue costOfRevenue grossProfit researchAndDevelopment sellingGeneralAndAdministrative
      operatingExpenses operatingIncome interestExpense incomeBeforeTax incomeTaxExpense
      netIncome epsBasic epsDiluted weightedAverageSharesBasic weightedAverageSharesDiluted
    }
    balanceSheets {
      fiscalYear fiscalPeriod periodStart periodEnd
      cashAndEquivalents shortTermInvestments accountsReceivable inventory totalCurrentAssets
      propertyPlantAndEquipmentNet goodwill intangibleAssets totalAssets accountsPayable
      shortTermDebt totalCurrentLiabilities longTermDebt totalLiabilities totalEquity
      retainedEarnings totalLiabilitiesAndEquity
    }
    cashFlowStatements {
      fiscalYear fiscalPeriod
      netIncome depreciationAndAmortization stockBasedCompensation operatingCashFlow
      capitalExpenditure investingCashFlow financingCashFlow dividendsPaid shareRepurchases
      netChangeInCash freeCashFlow
    }
  }
}"#;

/// Apple's fiscal 2023 as printed in its 10-K.
fn apple_fy2023() -> SeedStatements {
    let fy = period(2023, FiscalPeriod::Fy);
    SeedStatements {
        income: vec![Statement {
            period: fy.clone(),
            items: IncomeStatementItems {
                revenue: money("383285000000"),
                cost_of_revenue: money("214137000000"),
                gross_profit: money("169148000000"),
                net_income: money("96995000000"),
                eps_basic: money("6.16"),
                eps_diluted: money("6.13"),
                weighted_average_shares_basic: Some(ShareCount(15_744_231_000)),
                weighted_average_shares_diluted: Some(ShareCount(15_812_547_000)),
                ..Default::default()
            },
        }],
        balance: vec![Statement {
            period: StatementPeriod {
                period_start: None,
                ..fy.clone()
            },
            items: BalanceSheetItems {
                total_assets: money("352583000000"),
                total_liabilities: money("290437000000"),
                total_equity: money("62146000000"),
                ..Default::default()
            },
        }],
        cash_flow: vec![Statement {
            period: fy,
            items: CashFlowItems {
                operating_cash_flow: money("110543000000"),
                capital_expenditure: money("10959000000"),
                free_cash_flow: money("99584000000"),
                ..Default::default()
            },
        }],
    }
}

#[tokio::test]
async fn ready_company_returns_exact_decimal_strings_and_provenance() {
    let app = spawn_app().await;
    app.seed_company("AAPL", &apple_fy2023()).await;

    let body = app
        .graphql(ALL_STATEMENTS, json!({ "symbol": "AAPL" }))
        .await;

    assert!(body.get("errors").is_none(), "{body}");
    let company = &body["data"]["company"];
    assert_eq!(company["symbol"], "AAPL");
    assert_eq!(company["status"], "READY");
    assert_eq!(company["name"], "AAPL Inc.");
    assert_eq!(company["fiscalYearEnd"], "0930");
    assert!(company["lastIngestedAt"].is_string());
    let income = &company["incomeStatements"][0];
    assert_eq!(income["fiscalYear"], 2023);
    assert_eq!(income["fiscalPeriod"], "FY");
    assert_eq!(income["periodEnd"], "2023-09-30");
    assert_eq!(income["form"], "10-K");
    assert_eq!(income["accessionNumber"], "0000320193-23-000106");
    assert_eq!(income["derived"], false);
    assert_eq!(income["revenue"], "383285000000");
    assert_eq!(income["grossProfit"], "169148000000");
    assert_eq!(income["netIncome"], "96995000000");
    assert_eq!(income["epsDiluted"], "6.13");
    // Beyond GraphQL's 32-bit Int: a string of digits (the BigInt scalar).
    assert_eq!(income["weightedAverageSharesDiluted"], "15812547000");
    assert_eq!(income["weightedAverageSharesBasic"], "15744231000");
    // Not reported means null, never zero.
    assert!(income["researchAndDevelopment"].is_null());
    let balance = &company["balanceSheets"][0];
    assert_eq!(balance["totalAssets"], "352583000000");
    assert!(balance["periodStart"].is_null());
    assert!(balance["goodwill"].is_null());
    let cash_flow = &company["cashFlowStatements"][0];
    assert_eq!(cash_flow["operatingCashFlow"], "110543000000");
    assert_eq!(cash_flow["freeCashFlow"], "99584000000");
}

#[tokio::test]
async fn symbol_is_case_insensitive_and_returned_upper_case() {
    let app = spawn_app().await;
    app.seed_company("BRK.B", &synthetic(2023..=2023, &[FiscalPeriod::Fy]))
        .await;

    let body = app
        .graphql(
            "{ company(symbol: \"brk.b\") { symbol status incomeStatements { fiscalYear } } }",
            json!({}),
        )
        .await;

    assert_eq!(body["data"]["company"]["symbol"], "BRK.B");
    assert_eq!(body["data"]["company"]["status"], "READY");
    assert_eq!(
        body["data"]["company"]["incomeStatements"],
        json!([{ "fiscalYear": 2023 }])
    );
}

#[tokio::test]
async fn company_not_in_database_is_pending_with_no_statements() {
    let app = spawn_app().await;

    let body = app
        .graphql(
            "{ company(symbol: \"msft\") { symbol status name incomeStatements { fiscalYear } balanceSheets { fiscalYear } cashFlowStatements { fiscalYear } } }",
            json!({}),
        )
        .await;

    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(
        body["data"]["company"],
        json!({
            "symbol": "MSFT", "status": "PENDING", "name": null,
            "incomeStatements": [], "balanceSheets": [], "cashFlowStatements": []
        })
    );
}

fn years_of(body: &serde_json::Value, field: &str) -> Vec<(i64, String)> {
    body["data"]["company"][field]
        .as_array()
        .expect("statement list")
        .iter()
        .map(|s| {
            (
                s["fiscalYear"].as_i64().expect("year"),
                s["fiscalPeriod"].as_str().expect("period").to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn statement_arguments_select_period_count_and_year_range() {
    let app = spawn_app().await;
    let mut periods = vec![FiscalPeriod::Fy];
    periods.extend(FiscalPeriod::QUARTERS);
    app.seed_company("AAPL", &synthetic(2014..=2024, &periods))
        .await;
    let query = |args: &str| {
        format!(
            "{{ company(symbol: \"AAPL\") {{ incomeStatements{args} {{ fiscalYear fiscalPeriod }} balanceSheets{args} {{ fiscalYear fiscalPeriod }} cashFlowStatements{args} {{ fiscalYear fiscalPeriod }} }} }}"
        )
    };
    let fy = |years: &[i64]| -> Vec<(i64, String)> {
        years.iter().map(|y| (*y, "FY".to_owned())).collect()
    };

    // Defaults: annual, last 5, newest first.
    let body = app.graphql(&query(""), json!({})).await;
    for field in ["incomeStatements", "balanceSheets", "cashFlowStatements"] {
        assert_eq!(
            years_of(&body, field),
            fy(&[2024, 2023, 2022, 2021, 2020]),
            "{field}"
        );
    }

    let body = app.graphql(&query("(last: 2)"), json!({})).await;
    assert_eq!(years_of(&body, "balanceSheets"), fy(&[2024, 2023]));

    let body = app
        .graphql(
            &query("(fiscalYearFrom: 2015, fiscalYearTo: 2017, last: 10)"),
            json!({}),
        )
        .await;
    assert_eq!(
        years_of(&body, "cashFlowStatements"),
        fy(&[2017, 2016, 2015])
    );

    let body = app.graphql(&query("(fiscalYearTo: 2015)"), json!({})).await;
    assert_eq!(years_of(&body, "incomeStatements"), fy(&[2015, 2014]));

    let body = app
        .graphql(&query("(period: QUARTERLY, last: 6)"), json!({}))
        .await;
    let expected: Vec<(i64, String)> = [
        (2024, "Q4"),
        (2024, "Q3"),
        (2024, "Q2"),
        (2024, "Q1"),
        (2023, "Q4"),
        (2023, "Q3"),
    ]
    .iter()
    .map(|(y, p)| (*y, p.to_string()))
    .collect();
    assert_eq!(years_of(&body, "incomeStatements"), expected);

    let body = app
        .graphql(
            "{ company(symbol: \"AAPL\") { incomeStatements(period: QUARTERLY, last: 1) { fiscalPeriod form derived } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["company"]["incomeStatements"],
        json!([{ "fiscalPeriod": "Q4", "form": "10-Q", "derived": true }])
    );
}

#[tokio::test]
async fn companies_answers_in_the_order_asked_including_pending_and_duplicates() {
    let app = spawn_app().await;
    app.seed_company("AAPL", &synthetic(2023..=2023, &[FiscalPeriod::Fy]))
        .await;
    app.seed_company("SNOW", &synthetic(2022..=2023, &[FiscalPeriod::Fy]))
        .await;

    let body = app
        .graphql(
            "query ($s: [String!]!) { companies(symbols: $s) { symbol status incomeStatements { fiscalYear } } }",
            json!({ "s": ["snow", "NEWCO", "AAPL", "snow"] }),
        )
        .await;

    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(
        body["data"]["companies"],
        json!([
            { "symbol": "SNOW", "status": "READY", "incomeStatements": [{ "fiscalYear": 2023 }, { "fiscalYear": 2022 }] },
            { "symbol": "NEWCO", "status": "PENDING", "incomeStatements": [] },
            { "symbol": "AAPL", "status": "READY", "incomeStatements": [{ "fiscalYear": 2023 }] },
            { "symbol": "SNOW", "status": "READY", "incomeStatements": [{ "fiscalYear": 2023 }, { "fiscalYear": 2022 }] },
        ])
    );
}

#[tokio::test]
async fn upserting_a_statement_overwrites_it_including_values_that_became_null() {
    let app = spawn_app().await;
    let mut seed = apple_fy2023();
    app.seed_company("AAPL", &seed).await;
    seed.income[0].items.revenue = money("383285000001");
    seed.income[0].items.gross_profit = None;
    app.seed_company("AAPL", &seed).await;

    let body = app
        .graphql(
            "{ company(symbol: \"AAPL\") { incomeStatements { revenue grossProfit netIncome } } }",
            json!({}),
        )
        .await;

    assert_eq!(
        body["data"]["company"]["incomeStatements"],
        json!([{ "revenue": "383285000001", "grossProfit": null, "netIncome": "96995000000" }])
    );
}

#[tokio::test]
async fn days_and_instants_use_the_date_scalars_and_name_their_specs() {
    let app = spawn_app().await;
    app.seed_company("AAPL", &apple_fy2023()).await;

    let body = app
        .graphql(
            r#"{ company(symbol: "AAPL") { lastIngestedAt incomeStatements { periodStart periodEnd filedAt } } }"#,
            json!({}),
        )
        .await;
    let company = &body["data"]["company"];
    let income = &company["incomeStatements"][0];
    assert_eq!(income["periodStart"], "2022-10-01", "{body}");
    assert_eq!(income["periodEnd"], "2023-09-30");
    assert_eq!(income["filedAt"], "2023-11-04");
    let instant = company["lastIngestedAt"].as_str().unwrap();
    assert!(
        chrono::NaiveDateTime::parse_from_str(instant, "%Y-%m-%dT%H:%M:%S%.3fZ").is_ok()
            && instant.len() == "2026-12-03T07:47:30.000Z".len(),
        "{instant}"
    );

    let scalars = app
        .graphql(
            r#"{ date: __type(name: "Date") { specifiedByURL }
                 dateTime: __type(name: "DateTime") { specifiedByURL }
                 decimal: __type(name: "Decimal") { specifiedByURL }
                 bigInt: __type(name: "BigInt") { specifiedByURL }
                 naiveDate: __type(name: "NaiveDate") { name } }"#,
            json!({}),
        )
        .await;
    let data = &scalars["data"];
    for (scalar, spec) in [
        (
            "date",
            "https://ibm.github.io/graphql-specs/custom-scalars/date.html",
        ),
        (
            "dateTime",
            "https://ibm.github.io/graphql-specs/custom-scalars/date-time.html",
        ),
        ("decimal", "https://www.w3.org/TR/xmlschema11-2/#decimal"),
        ("bigInt", "https://www.w3.org/TR/xmlschema11-2/#integer"),
    ] {
        assert_eq!(data[scalar]["specifiedByURL"], spec, "{scalars}");
    }
    assert!(
        data["naiveDate"].is_null(),
        "the old scalar is gone: {scalars}"
    );
}
