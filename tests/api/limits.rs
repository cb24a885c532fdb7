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

/// A document of `count` copies of `field(i)`, as large as a 64 KiB body allows.
fn aliases(field: impl Fn(usize) -> String, limit_bytes: usize) -> String {
    let mut document = String::from("{");
    for i in 0.. {
        let next = field(i);
        if document.len() + next.len() + 1 > limit_bytes {
            break;
        }
        document.push_str(&next);
    }
    document.push('}');
    document
}

/// About 60 KiB of document: the body limit is 64 KiB, JSON included.
const BOMB_BYTES: usize = 60 * 1024;

#[tokio::test]
async fn search_alias_bombs_cost_no_sql_and_eight_searches_are_allowed() {
    let app = spawn_app().await;
    app.seed_listings(&[("AAPL", "Apple Inc."), ("AMZN", "Amazon.com, Inc.")])
        .await;
    let bomb = aliases(
        |i| format!(" a{i}: searchCompanies(query: \"a\") {{ symbol }}"),
        BOMB_BYTES,
    );
    let fragments = "query { ...S ...S } fragment S on Query { \
        a: searchCompanies(query: \"a\") { symbol } b: searchCompanies(query: \"b\") { symbol } \
        c: searchCompanies(query: \"c\") { symbol } d: searchCompanies(query: \"d\") { symbol } \
        e: searchCompanies(query: \"e\") { symbol } }";
    let before = app.db.queries_executed();

    for document in [bomb.as_str(), fragments] {
        let body = app.graphql(document, json!({})).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
            "{body}"
        );
    }
    assert_eq!(app.db.queries_executed(), before, "refused before any SQL");

    let eight = aliases(
        |i| format!(" a{i}: searchCompanies(query: \"a\") {{ symbol }}"),
        8 * 45,
    );
    let body = app.graphql(&eight, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["a7"][0]["symbol"], "AAPL");
}

#[tokio::test]
async fn company_alias_bombs_with_unknown_symbols_register_in_one_transaction() {
    let app = crate::helpers::TestApp::builder()
        .registrations_per_minute(60)
        .spawn()
        .await;
    let bomb = aliases(
        |i| format!(" a{i}: company(symbol: \"X{i}\") {{ status }}"),
        BOMB_BYTES,
    );
    let fields = bomb.matches("company(").count();
    assert!(fields > 1_000, "{fields} aliases");
    let before = app.db.queries_executed();

    let body = app.graphql(&bomb, json!({})).await;

    let statements = app.db.queries_executed() - before;
    assert!(body.get("errors").is_none(), "{body}");
    let data = body["data"].as_object().expect("data");
    let pending = data.values().filter(|c| c["status"] == "PENDING").count();
    let limited = data
        .values()
        .filter(|c| c["status"] == "RATE_LIMITED")
        .count();
    assert_eq!((pending, limited), (60, fields - 60));
    println!("{fields} company aliases, 60 registered: {statements} SQL statements");
    assert!(
        statements <= 20,
        "{statements} SQL statements for one request"
    );
}

#[tokio::test]
async fn more_than_five_directives_on_a_field_are_refused() {
    let app = spawn_app().await;
    let six = "query ($t: Boolean = true) { __typename @include(if: $t) @include(if: $t) @include(if: $t) @include(if: $t) @include(if: $t) @include(if: $t) }";

    let body = app.graphql(six, json!({})).await;

    assert_eq!(
        body["errors"][0]["extensions"]["code"], "GRAPHQL_PARSE_FAILED",
        "{body}"
    );
    let messages = body["errors"].to_string();
    assert!(messages.contains("directives"), "{messages}");
}

#[tokio::test]
async fn batched_requests_are_refused_before_executing() {
    let app = spawn_app().await;
    let before = app.db.queries_executed();
    let batch = json!([
        { "query": "{ company(symbol: \"IBM\") { status } }" },
        { "query": "{ company(symbol: \"MSFT\") { status } }" },
    ]);

    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&batch)
        .send()
        .await
        .expect("POST");

    assert_eq!(response.status(), 400);
    assert_eq!(app.db.queries_executed(), before, "nothing ran");
    assert!(app.requests_for("IBM").await.is_empty());
}
