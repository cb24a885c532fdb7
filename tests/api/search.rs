use serde_json::{Value, json};

use crate::helpers::spawn_app;

fn symbols(body: &Value) -> Vec<&str> {
    body["data"]["searchCompanies"]
        .as_array()
        .unwrap_or_else(|| panic!("no results in {body}"))
        .iter()
        .map(|l| l["symbol"].as_str().expect("symbol"))
        .collect()
}

async fn search(app: &crate::helpers::TestApp, args: &str) -> Value {
    app.graphql(
        &format!("{{ searchCompanies({args}) {{ symbol cik name exchange }} }}"),
        json!({}),
    )
    .await
}

#[tokio::test]
async fn search_ranks_exact_symbol_then_prefix_then_name() {
    let app = spawn_app().await;
    app.seed_listings(&[
        ("AAPL", "Apple Inc."),
        ("AAP", "Advance Auto Parts Inc"),
        ("APLE", "Apple Hospitality REIT, Inc."),
        ("PEGY", "Pineapple Energy Inc."),
        ("MSFT", "Microsoft Corp"),
    ])
    .await;

    assert_eq!(
        symbols(&search(&app, "query: \"aap\"").await),
        ["AAP", "AAPL"]
    );
    assert_eq!(
        symbols(&search(&app, "query: \"apple\"").await),
        ["AAPL", "APLE", "PEGY"]
    );
    assert_eq!(
        symbols(&search(&app, "query: \"APPLE\", first: 2").await),
        ["AAPL", "APLE"]
    );
    assert_eq!(symbols(&search(&app, "query: \"  msft \"").await), ["MSFT"]);
    let body = search(&app, "query: \"msft\"").await;
    assert_eq!(
        body["data"]["searchCompanies"][0],
        json!({ "symbol": "MSFT", "cik": "0000000005", "name": "Microsoft Corp", "exchange": null })
    );
}

#[tokio::test]
async fn search_treats_like_wildcards_literally() {
    let app = spawn_app().await;
    app.seed_listings(&[("AAPL", "Apple Inc."), ("A_B", "Under_score Corp")])
        .await;

    assert!(symbols(&search(&app, "query: \"%\"").await).is_empty());
    assert_eq!(symbols(&search(&app, "query: \"_\"").await), ["A_B"]);
}

#[tokio::test]
async fn search_rejects_empty_text_and_bad_page_sizes() {
    let app = spawn_app().await;
    let long = "x".repeat(101);
    for args in [
        "query: \"\"".to_owned(),
        "query: \"   \"".to_owned(),
        format!("query: \"{long}\""),
        "query: \"a\", first: 0".to_owned(),
        "query: \"a\", first: 101".to_owned(),
    ] {
        let body = search(&app, &args).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{args}: {body}"
        );
    }
}
