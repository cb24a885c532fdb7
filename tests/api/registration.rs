//! Missing companies become PENDING with one durable registration request (the outbox).

use finstage::db::registrations::{self, NewRequest};
use finstage::domain::{FiscalPeriod, Symbol};
use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, TestApp, error_code, spawn_app, synthetic};

const COMPANY: &str = "query ($s: String!) { company(symbol: $s) { symbol status registration { id state requestedAt publishedAt } } }";

#[tokio::test]
async fn a_missing_company_is_pending_with_one_queued_request() {
    let app = spawn_app().await;

    let body = app.graphql(COMPANY, json!({ "s": "nvda" })).await;

    assert!(body.get("errors").is_none(), "{body}");
    let company = &body["data"]["company"];
    assert_eq!(company["status"], "PENDING");
    assert_eq!(company["registration"]["state"], "QUEUED");
    assert!(company["registration"]["requestedAt"].is_string());
    assert!(company["registration"]["publishedAt"].is_null());
    let stored = app.requests_for("NVDA").await;
    assert_eq!(stored.len(), 1);
    assert_eq!(company["registration"]["id"], stored[0].id.to_string());

    // Asking again finds the same company and the same open request.
    let again = app.graphql(COMPANY, json!({ "s": "NVDA" })).await;
    assert_eq!(
        again["data"]["company"]["registration"]["id"],
        company["registration"]["id"]
    );
    assert_eq!(app.requests_for("NVDA").await.len(), 1);
}

#[tokio::test]
async fn fifty_concurrent_queries_create_exactly_one_open_request() {
    let app = spawn_app().await;

    let answers = futures_util::future::join_all(
        (0..50).map(|_| app.graphql(COMPANY, json!({ "s": "TSLA" }))),
    )
    .await;

    for body in &answers {
        assert!(body.get("errors").is_none(), "{body}");
        assert_eq!(body["data"]["company"]["status"], "PENDING");
    }
    let ids: std::collections::HashSet<&Value> = answers
        .iter()
        .map(|b| &b["data"]["company"]["registration"]["id"])
        .collect();
    assert_eq!(
        ids.len(),
        1,
        "{ids:?} {:?}",
        answers
            .iter()
            .filter(|b| b["data"]["company"]["registration"].is_null())
            .collect::<Vec<_>>()
    );
    let stored = app.requests_for("TSLA").await;
    assert_eq!(stored.len(), 1, "{stored:?}");
}

#[tokio::test]
async fn a_symbol_missing_from_loaded_listings_is_not_found_and_queues_nothing() {
    let app = spawn_app().await;
    app.seed_listings(&[("AAPL", "Apple Inc.")]).await;

    let body = app
        .graphql(
            "{ companies(symbols: [\"AAPL\", \"NOPE\"]) { symbol status registration { state } } }",
            json!({}),
        )
        .await;

    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(
        body["data"]["companies"],
        json!([
            { "symbol": "AAPL", "status": "PENDING", "registration": { "state": "QUEUED" } },
            { "symbol": "NOPE", "status": "NOT_FOUND", "registration": null },
        ])
    );
    assert!(app.requests_for("NOPE").await.is_empty());

    let body = app
        .graphql(
            "mutation { requestRegistration(symbol: \"NOPE\") { status } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body}");
}

#[tokio::test]
async fn request_registration_is_idempotent() {
    let app = spawn_app().await;
    let mutation = "mutation { requestRegistration(symbol: \"amd\") { symbol status registration { id state } } }";

    let first = app.graphql(mutation, json!({})).await;
    let second = app.graphql(mutation, json!({})).await;

    assert!(first.get("errors").is_none(), "{first}");
    assert_eq!(first["data"]["requestRegistration"]["status"], "PENDING");
    assert_eq!(first["data"], second["data"]);
    assert_eq!(app.requests_for("AMD").await.len(), 1);

    let invalid = app
        .graphql(
            "mutation { requestRegistration(symbol: \"not valid\") { status } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&invalid), "BAD_USER_INPUT");
}

#[tokio::test]
async fn refresh_company_needs_the_admin_token_and_a_stored_company() {
    let app = spawn_app().await;
    app.seed_company("AAPL", &synthetic(2023..=2023, &[FiscalPeriod::Fy]))
        .await;

    assert_eq!(
        error_code(&app.refresh_company("AAPL", None).await),
        "FORBIDDEN"
    );
    assert_eq!(
        error_code(&app.refresh_company("AAPL", Some("wrong-token")).await),
        "FORBIDDEN"
    );
    assert!(app.requests_for("AAPL").await.is_empty());

    let body = app.refresh_company("AAPL", Some(ADMIN_TOKEN)).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(
        body["data"]["refreshCompany"],
        json!({ "status": "READY", "registration": { "state": "QUEUED" } })
    );
    app.refresh_company("AAPL", Some(ADMIN_TOKEN)).await;
    assert_eq!(
        app.requests_for("AAPL").await.len(),
        1,
        "one open request at a time"
    );

    assert_eq!(
        error_code(&app.refresh_company("MSFT", Some(ADMIN_TOKEN)).await),
        "NOT_FOUND"
    );
}

#[tokio::test]
async fn new_registrations_beyond_the_per_client_limit_are_rate_limited() {
    // A budget of 100 a minute: the first batch spends all of it, and the second would need
    // a full minute of refill, so how quickly the requests follow each other cannot matter.
    let app = TestApp::builder()
        .registrations_per_minute(100)
        .spawn()
        .await;
    let batch = |from: u32, count: u32| -> Vec<String> {
        (from..from + count).map(|i| format!("N{i:04}")).collect()
    };
    let query = "query ($s: [String!]!) { companies(symbols: $s) { status } }";

    let first = app.graphql(query, json!({ "s": batch(0, 100) })).await;
    assert!(first.get("errors").is_none(), "{first}");
    let second = app.graphql(query, json!({ "s": batch(100, 100) })).await;

    assert!(second.get("errors").is_none(), "{second}");
    let statuses = second["data"]["companies"].as_array().expect("companies");
    assert!(
        statuses.iter().all(|c| c["status"] == "RATE_LIMITED"),
        "{second}"
    );
    assert!(
        app.requests_for("N0100").await.is_empty(),
        "nothing queued when limited"
    );
    // Known companies cost nothing: asking again for the first batch still works.
    let again = app.graphql(query, json!({ "s": batch(0, 100) })).await;
    assert!(again.get("errors").is_none(), "{again}");

    // The budget is per client address: a caller from 127.0.0.2 has a budget of its own.
    let other_client = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let other: Value = other_client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": query, "variables": { "s": batch(100, 100) } }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(other.get("errors").is_none(), "{other}");
    assert_eq!(app.requests_for("N0199").await.len(), 1);
}

#[tokio::test]
async fn opening_requests_counts_only_new_ones_and_keeps_a_traceparent_that_fits() {
    let app = spawn_app().await;
    let (aaa, bbb) = (
        Symbol::parse("AAA").expect("symbol"),
        Symbol::parse("BBB").expect("symbol"),
    );
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let too_long = "0".repeat(129);
    let requests = [
        NewRequest {
            symbol: &aaa,
            traceparent: Some(traceparent),
        },
        NewRequest {
            symbol: &bbb,
            traceparent: Some(&too_long),
        },
    ];
    let mut conn = app.conn().await;

    let first = registrations::open_for(&mut conn, &requests)
        .await
        .expect("open");
    let again = registrations::open_for(&mut conn, &requests)
        .await
        .expect("open again");

    assert_eq!((first, again), (2, 0));
    let aaa = app.requests_for("AAA").await;
    assert_eq!(aaa[0].traceparent.as_deref(), Some(traceparent));
    // Longer than the column: the request is opened all the same, without it.
    assert_eq!(app.requests_for("BBB").await[0].traceparent, None);
}

#[tokio::test]
async fn request_registration_requeues_a_failed_company() {
    let app = spawn_app().await;
    app.seed_company("AAPL", &synthetic(2023..=2023, &[FiscalPeriod::Fy]))
        .await;
    let symbol = Symbol::parse("AAPL").expect("symbol");
    let mut conn = app.conn().await;
    finstage::db::companies::set_status(
        &mut conn,
        &symbol,
        finstage::domain::CompanyStatus::Failed,
        Some("provider answered 500 five times"),
    )
    .await
    .expect("mark failed");
    let mutation = "mutation { requestRegistration(symbol: \"AAPL\") { status statusReason registration { state } } }";

    let body = app.graphql(mutation, json!({})).await;

    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(
        body["data"]["requestRegistration"],
        json!({ "status": "PENDING", "statusReason": null, "registration": { "state": "QUEUED" } })
    );
    // Asking again while it is PENDING opens nothing new.
    let again = app
        .graphql(
            "mutation { requestRegistration(symbol: \"AAPL\") { status } }",
            json!({}),
        )
        .await;
    assert_eq!(again["data"]["requestRegistration"]["status"], "PENDING");
    assert_eq!(app.requests_for("AAPL").await.len(), 1);

    // A READY company is left as it is (refreshCompany re-ingests it).
    app.seed_company("MSFT", &synthetic(2023..=2023, &[FiscalPeriod::Fy]))
        .await;
    let ready = app
        .graphql(
            "mutation { requestRegistration(symbol: \"MSFT\") { status } }",
            json!({}),
        )
        .await;
    assert_eq!(ready["data"]["requestRegistration"]["status"], "READY");
    assert!(app.requests_for("MSFT").await.is_empty());
}

/// At the default limit (60 a minute), a request with more new symbols than that still
/// answers: READY companies with their data, the first 60 new ones PENDING, the rest
/// RATE_LIMITED. (It used to fail whole, READY companies included.)
#[tokio::test]
async fn more_new_symbols_than_the_limit_never_hide_ready_companies() {
    let app = TestApp::builder()
        .registrations_per_minute(60)
        .spawn()
        .await;
    // 39 + 61: the most symbols one request may name.
    let ready: Vec<String> = (0..39).map(|i| format!("R{i:03}")).collect();
    for symbol in &ready {
        app.seed_company(
            symbol,
            &crate::helpers::synthetic(2023..=2023, &[finstage::domain::FiscalPeriod::Fy]),
        )
        .await;
    }
    let new: Vec<String> = (0..61).map(|i| format!("N{i:03}")).collect();
    let symbols: Vec<&String> = ready.iter().chain(&new).collect();

    let body = app
        .graphql(
            "query ($s: [String!]!) { companies(symbols: $s) { symbol status statusReason incomeStatements { revenue } } }",
            json!({ "s": symbols }),
        )
        .await;

    assert!(body.get("errors").is_none(), "{body}");
    let companies = body["data"]["companies"].as_array().expect("companies");
    assert_eq!(companies.len(), 100);
    for company in &companies[..39] {
        assert_eq!(company["status"], "READY", "{company}");
        assert_eq!(company["incomeStatements"][0]["revenue"], "2023000000.25");
    }
    let count = |status: &str| {
        companies[39..]
            .iter()
            .filter(|c| c["status"] == status)
            .count()
    };
    assert_eq!((count("PENDING"), count("RATE_LIMITED")), (60, 1));
    let limited = companies[39..]
        .iter()
        .find(|c| c["status"] == "RATE_LIMITED")
        .expect("one limited");
    assert_eq!(
        limited["symbol"], "N060",
        "the allowance goes to symbols in order"
    );
    assert!(
        limited["statusReason"]
            .as_str()
            .is_some_and(|r| r.contains("minute"))
    );
    assert!(
        app.requests_for("N060").await.is_empty(),
        "nothing queued beyond the limit"
    );
}

/// POSTs `companies(symbols)` as if forwarded for `client`; returns each company's status.
async fn statuses_forwarded_for(app: &TestApp, client: &str, symbols: &[&str]) -> Vec<String> {
    let body: Value = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("x-forwarded-for", format!("{client}, 127.0.0.1"))
        .json(
            &json!({ "query": "query ($s: [String!]!) { companies(symbols: $s) { status } }",
                       "variables": { "s": symbols } }),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["data"]["companies"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|c| c["status"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit() {
    let proxied = TestApp::builder()
        .registrations_per_minute(2)
        .with_settings(|s| s.http.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()])
        .spawn()
        .await;
    assert_eq!(
        statuses_forwarded_for(&proxied, "203.0.113.7", &["A1", "A2", "A3"]).await,
        ["PENDING", "PENDING", "RATE_LIMITED"]
    );
    assert_eq!(
        statuses_forwarded_for(&proxied, "198.51.100.9", &["B1"]).await,
        ["PENDING"],
        "another client behind the proxy has its own allowance"
    );

    // Without trusted proxies the header is the client's word, and ignored.
    let direct = TestApp::builder().registrations_per_minute(2).spawn().await;
    assert_eq!(
        statuses_forwarded_for(&direct, "203.0.113.7", &["C1", "C2"]).await,
        ["PENDING", "PENDING"]
    );
    assert_eq!(
        statuses_forwarded_for(&direct, "198.51.100.9", &["C3"]).await,
        ["RATE_LIMITED"],
        "a forged X-Forwarded-For buys no new allowance"
    );
}

#[tokio::test]
async fn a_failure_reason_longer_than_its_column_is_stored_cut_to_fit() {
    let app = spawn_app().await;
    app.graphql(COMPANY, json!({ "s": "LONG" })).await;
    let reason = "é".repeat(5_000);
    let symbol = Symbol::parse("LONG").unwrap();
    finstage::db::companies::set_status(
        &mut *app.conn().await,
        &symbol,
        finstage::domain::CompanyStatus::Failed,
        Some(&reason),
    )
    .await
    .expect("a long reason is stored, not refused");

    let body = app
        .graphql(
            "{ company(symbol: \"LONG\") { status statusReason } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["company"]["status"], "FAILED", "{body}");
    let stored = body["data"]["company"]["statusReason"].as_str().unwrap();
    assert_eq!(stored, &reason[..2_000], "the first 1,000 characters");
}
