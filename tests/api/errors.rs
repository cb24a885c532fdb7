use serde_json::json;

use crate::helpers::{TestApp, error_code, spawn_app};

#[tokio::test]
async fn invalid_symbols_are_bad_user_input() {
    let app = spawn_app().await;
    for symbol in ["", "AAPL;DROP", "ABCDEFGHIJK", "A B", "ÄPPL"] {
        let body = app
            .graphql(
                "query ($s: String!) { company(symbol: $s) { status } }",
                json!({ "s": symbol }),
            )
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{symbol:?}: {body}");
        assert!(body["data"].is_null(), "{body}");
    }

    let body = app
        .graphql(
            "{ companies(symbols: [\"AAPL\", \"BAD SYMBOL\"]) { status } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
}

#[tokio::test]
async fn more_than_100_symbols_is_bad_user_input() {
    let app = spawn_app().await;
    let symbols: Vec<String> = (0..101).map(|i| format!("S{i}")).collect();

    let body = app
        .graphql(
            "query ($s: [String!]!) { companies(symbols: $s) { symbol } }",
            json!({ "s": symbols }),
        )
        .await;

    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("at most 100")),
        "{body}"
    );
}

#[tokio::test]
async fn out_of_range_statement_arguments_are_bad_user_input() {
    let app = spawn_app().await;
    app.seed_company(
        "AAPL",
        &crate::helpers::synthetic(2023..=2023, &[finstage::domain::FiscalPeriod::Fy]),
    )
    .await;
    for args in [
        "last: 0",
        "last: -1",
        "last: 201",
        "fiscalYearFrom: 2024, fiscalYearTo: 2020",
    ] {
        let body = app
            .graphql(
                &format!(
                    "{{ company(symbol: \"AAPL\") {{ balanceSheets({args}) {{ fiscalYear }} }} }}"
                ),
                json!({}),
            )
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{args}: {body}");
    }
}

#[tokio::test]
async fn malformed_documents_have_parse_and_validation_codes() {
    let app = spawn_app().await;

    let body = app.graphql("{ company(symbol: ", json!({})).await;
    assert_eq!(error_code(&body), "GRAPHQL_PARSE_FAILED", "{body}");

    let body = app
        .graphql("{ company(symbol: \"AAPL\") { noSuchField } }", json!({}))
        .await;
    assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");

    let body = app
        .graphql(
            "{ company(symbol: \"AAPL\") { incomeStatements(last: \"x\") { revenue } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
}

#[tokio::test]
async fn database_down_gives_service_unavailable_without_leaking_details() {
    let app = TestApp::builder().without_database().spawn().await;

    let body = app
        .graphql("{ company(symbol: \"AAPL\") { status } }", json!({}))
        .await;

    assert_eq!(error_code(&body), "SERVICE_UNAVAILABLE", "{body}");
    let message = body["errors"][0]["message"].as_str().expect("message");
    assert_eq!(message, "the database is unavailable; try again shortly");

    let body = app
        .graphql(
            "{ searchCompanies(query: \"apple\") { symbol } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), "SERVICE_UNAVAILABLE", "{body}");

    assert_eq!(app.get("/readyz").await.status(), 503);
    assert_eq!(app.get("/healthz").await.status(), 200);
}
