use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn too_deep_queries_are_rejected() {
    let app = spawn_app().await;
    let deep = "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } } } }";

    let body = app.graphql(deep, json!({})).await;

    assert_eq!(
        body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{body}"
    );
    assert_eq!(body["errors"][0]["message"], "Query is nested too deep.");
    assert!(body["data"].is_null());
}

#[tokio::test]
async fn too_complex_queries_are_rejected_before_touching_the_database() {
    let app = spawn_app().await;
    let symbols: Vec<String> = (0..100).map(|i| format!("S{i}")).collect();
    let before = app.db.queries_executed();

    let body = app
        .graphql(
            "query ($s: [String!]!) { companies(symbols: $s) { incomeStatements(period: QUARTERLY, last: 200) { revenue netIncome grossProfit } } }",
            json!({ "s": symbols }),
        )
        .await;

    assert_eq!(
        body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{body}"
    );
    assert_eq!(body["errors"][0]["message"], "Query is too complex.");
    assert_eq!(app.db.queries_executed(), before);
}

#[tokio::test]
async fn a_full_100_company_query_fits_the_complexity_limit() {
    let app = spawn_app().await;
    let symbols: Vec<String> = (0..100).map(|i| format!("S{i}")).collect();
    let all = |kind: &str, fields: &str| {
        format!(
            "{kind} {{ fiscalYear fiscalPeriod periodStart periodEnd form filedAt accessionNumber currency derived {fields} }}"
        )
    };
    let query = format!(
        "query ($s: [String!]!) {{ companies(symbols: $s) {{ symbol status {} {} {} }} }}",
        all(
            "incomeStatements",
            "revenue costOfRevenue grossProfit researchAndDevelopment sellingGeneralAndAdministrative operatingExpenses operatingIncome interestExpense incomeBeforeTax incomeTaxExpense netIncome epsBasic epsDiluted weightedAverageSharesBasic weightedAverageSharesDiluted"
        ),
        all(
            "balanceSheets",
            "cashAndEquivalents shortTermInvestments accountsReceivable inventory totalCurrentAssets propertyPlantAndEquipmentNet goodwill intangibleAssets totalAssets accountsPayable shortTermDebt totalCurrentLiabilities longTermDebt totalLiabilities totalEquity retainedEarnings totalLiabilitiesAndEquity"
        ),
        all(
            "cashFlowStatements",
            "netIncome depreciationAndAmortization stockBasedCompensation operatingCashFlow capitalExpenditure investingCashFlow financingCashFlow dividendsPaid shareRepurchases netChangeInCash freeCashFlow"
        ),
    );

    let body = app.graphql(&query, json!({ "s": symbols })).await;

    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(
        body["data"]["companies"].as_array().map(Vec::len),
        Some(100)
    );
}

#[tokio::test]
async fn oversized_bodies_are_rejected_with_413() {
    let app = spawn_app().await;
    let padding = " ".repeat(100 * 1024);

    let (status, _) = {
        let response = app
            .client
            .post(format!("{}/graphql", app.address))
            .json(&json!({ "query": format!("{{ company(symbol: \"AAPL\") {{ status }} }}{padding}") }))
            .send()
            .await
            .expect("POST");
        (response.status().as_u16(), response.text().await)
    };

    assert_eq!(status, 413);
}
