//! Relay's conventions: global IDs on companies and statements, `node(id:)`, and the
//! stored companies as a cursor connection with filters.

use std::collections::HashSet;

use finstage::domain::FiscalPeriod;
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_code, spawn_app, synthetic};

const IDS: &str = r#"{ company(symbol: "AAPL") { id
    annual: incomeStatements(last: 3) { id }
    quarterly: incomeStatements(period: QUARTERLY, last: 8) { id }
    ttm: incomeStatements(period: TTM, last: 4) { id }
    balanceSheets(last: 3) { id }
    cashFlowStatements(last: 3) { id } } }"#;

fn ids(company: &Value) -> Vec<String> {
    [
        "annual",
        "quarterly",
        "ttm",
        "balanceSheets",
        "cashFlowStatements",
    ]
    .iter()
    .flat_map(|field| company[field].as_array().unwrap().clone())
    .map(|statement| statement["id"].as_str().unwrap().to_owned())
    .collect()
}

#[tokio::test]
async fn companies_and_statements_have_stable_unique_ids_and_companies_refetch_by_node() {
    let app = spawn_app().await;
    app.import_fixtures(&["AAPL"]).await;

    let first = app.graphql(IDS, json!({})).await;
    let company = &first["data"]["company"];
    let statement_ids = ids(company);
    assert_eq!(statement_ids.len(), 3 + 8 + 4 + 3 + 3, "{first}");
    let unique: HashSet<&String> = statement_ids.iter().collect();
    assert_eq!(unique.len(), statement_ids.len(), "{statement_ids:?}");
    // The cache must not be what makes them equal.
    let again = TestApp::builder()
        .without_database()
        .with_settings({
            let url = app.database_url.clone();
            move |s| s.database.url = secrecy::SecretString::from(url)
        })
        .spawn()
        .await
        .graphql(IDS, json!({}))
        .await;
    assert_eq!(again, first);

    let id = company["id"].as_str().unwrap();
    let node = app
        .graphql(
            "query ($id: ID!) { node(id: $id) { id ... on Company { symbol status } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(node["data"]["node"]["id"], id, "{node}");
    assert_eq!(node["data"]["node"]["symbol"], "AAPL");
    assert_eq!(node["data"]["node"]["status"], "READY");
}

#[tokio::test]
async fn node_finds_nothing_for_unknown_ids_and_never_registers() {
    let app = spawn_app().await;
    app.import_fixtures(&[]).await;
    let company_id = app
        .graphql(r#"{ company(symbol: "IBM") { id } }"#, json!({}))
        .await["data"]["company"]["id"]
        .clone();
    let msft_id = company_id.as_str().unwrap().replace("IBM", "MSFT");
    for id in [msft_id.as_str(), "Company:not a symbol!", "Nothing:1", ""] {
        let body = app
            .graphql(
                "query ($id: ID!) { node(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        assert!(body["errors"].is_null(), "{id}: {body}");
        assert!(body["data"]["node"].is_null(), "{id}: {body}");
    }
    assert!(
        app.requests_for("MSFT").await.is_empty(),
        "node registers nothing"
    );
    // IBM is stored (PENDING) since it was asked for: its ID finds it.
    let ibm = app
        .graphql(
            "query ($id: ID!) { node(id: $id) { ... on Company { symbol status } } }",
            json!({ "id": company_id }),
        )
        .await;
    assert_eq!(ibm["data"]["node"]["status"], "PENDING", "{ibm}");
}

const PAGE: &str = r#"query ($first: Int, $after: String, $status: CompanyStatus, $exchange: String) {
  allCompanies(first: $first, after: $after, status: $status, exchange: $exchange) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { symbol status } }
  } }"#;

#[tokio::test]
async fn stored_companies_page_by_cursor_with_a_total_and_filters() {
    let app = spawn_app().await;
    for symbol in ["AAA", "BBB", "CCC", "DDD", "EEE"] {
        app.seed_company(symbol, &synthetic(2023..=2023, &[FiscalPeriod::Fy]))
            .await;
    }
    app.graphql(r#"{ company(symbol: "PEND") { status } }"#, json!({}))
        .await;

    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let body = app
            .graphql(PAGE, json!({ "first": 2, "after": after }))
            .await;
        let page = &body["data"]["allCompanies"];
        assert_eq!(page["totalCount"], 6, "{body}");
        assert_eq!(page["pageInfo"]["hasPreviousPage"], !after.is_null());
        for edge in page["edges"].as_array().unwrap() {
            seen.push(edge["node"]["symbol"].as_str().unwrap().to_owned());
        }
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, ["AAA", "BBB", "CCC", "DDD", "EEE", "PEND"]);

    let pending = app.graphql(PAGE, json!({ "status": "PENDING" })).await;
    assert_eq!(
        pending["data"]["allCompanies"]["totalCount"], 1,
        "{pending}"
    );
    assert_eq!(
        pending["data"]["allCompanies"]["edges"][0]["node"]["symbol"],
        "PEND"
    );
    let nasdaq = app
        .graphql(PAGE, json!({ "status": "READY", "exchange": "Nasdaq" }))
        .await;
    assert_eq!(nasdaq["data"]["allCompanies"]["totalCount"], 5, "{nasdaq}");
    let elsewhere = app.graphql(PAGE, json!({ "exchange": "NYSE" })).await;
    assert_eq!(elsewhere["data"]["allCompanies"]["totalCount"], 0);
    assert_eq!(elsewhere["data"]["allCompanies"]["edges"], json!([]));

    for (variables, what) in [
        (json!({ "first": 0 }), "first"),
        (json!({ "first": 101 }), "first"),
        (json!({ "after": "not-a-cursor" }), "after"),
    ] {
        let body = app.graphql(PAGE, variables).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{what}: {body}");
    }
}

const LISTINGS: &str = r#"query ($first: Int, $after: String, $exchange: String) {
  listings(first: $first, after: $after, exchange: $exchange) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor } nodes { symbol exchange } } }"#;

#[tokio::test]
async fn the_securities_master_and_its_searches_page_by_cursor() {
    let app = spawn_app().await;
    app.seed_listings(&[
        ("AAPL", "Apple Inc."),
        ("AAPU", "Direxion Daily AAPL Bull"),
        ("MSFT", "Microsoft"),
        ("SNOW", "Snowflake"),
        ("ZAPP", "Zapp Electric"),
    ])
    .await;

    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let body = app
            .graphql(LISTINGS, json!({ "first": 2, "after": after }))
            .await;
        let page = &body["data"]["listings"];
        assert_eq!(page["totalCount"], 5, "{body}");
        for node in page["nodes"].as_array().unwrap() {
            seen.push(node["symbol"].as_str().unwrap().to_owned());
        }
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, ["AAPL", "AAPU", "MSFT", "SNOW", "ZAPP"]);
    let on_nowhere = app.graphql(LISTINGS, json!({ "exchange": "NYSE" })).await;
    assert_eq!(
        on_nowhere["data"]["listings"]["totalCount"], 0,
        "{on_nowhere}"
    );

    // "app": the exact symbol, the other symbol prefix, then the name match (ZAPP).
    let search = r#"query ($after: String) { searchListings(query: "aap", first: 1, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { symbol } } } }"#;
    let mut found = Vec::new();
    let mut after = Value::Null;
    loop {
        let body = app.graphql(search, json!({ "after": after })).await;
        let page = &body["data"]["searchListings"];
        assert_eq!(page["totalCount"], 2, "{body}");
        found.push(
            page["edges"][0]["node"]["symbol"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(found, ["AAPL", "AAPU"]);
    let zapp = app
        .graphql(
            r#"{ searchListings(query: "zapp") { nodes { symbol } } searchCompanies(query: "zapp") { symbol } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        zapp["data"]["searchListings"]["nodes"][0]["symbol"], "ZAPP",
        "{zapp}"
    );
    assert_eq!(
        zapp["data"]["searchCompanies"][0]["symbol"], "ZAPP",
        "the deprecated list still answers"
    );

    let forged = async_graphql::connection::CursorType::encode_cursor(
        &async_graphql::connection::OpaqueCursor(-3_i64),
    );
    let body = app.graphql(LISTINGS, json!({ "after": forged })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
}
