//! HTTP caching and Apollo's automatic persisted queries: an answer showing only READY
//! companies carries an ETag and `Cache-Control` and is a `304` when the client holds it; an
//! answer about a company on its way, a mutation or an error never is; a persisted query
//! registered by POST runs by its hash alone over GET, from the response cache.

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CACHE_CONTROL, ETAG, IF_NONE_MATCH, VARY};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, error_code, spawn_app};

const APPLE: &str =
    r#"{ company(symbol: "AAPL") { status incomeStatements(last: 1) { revenue } } }"#;

async fn apple_app() -> TestApp {
    let app = spawn_app().await;
    app.import_fixtures(&["AAPL"]).await;
    app
}

fn get_url(app: &TestApp, params: &[(&str, &str)]) -> String {
    let query: Vec<String> = params
        .iter()
        .map(|(name, value)| format!("{name}={}", urlencode(value)))
        .collect();
    format!("{}/graphql?{}", app.address, query.join("&"))
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn a_ready_answer_carries_an_etag_and_is_a_304_when_the_client_holds_it() {
    let app = apple_app().await;
    let url = get_url(&app, &[("query", APPLE)]);
    for round in ["computed", "from the response cache"] {
        let response = app.client.get(&url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{round}");
        assert_eq!(
            response.headers()[CACHE_CONTROL],
            "public, max-age=60",
            "{round}"
        );
        assert_eq!(response.headers()[VARY], "accept", "{round}");
        let etag = response.headers()[ETAG].clone();
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["data"]["company"]["status"], "READY");

        let again = app
            .client
            .get(&url)
            .header(IF_NONE_MATCH, etag.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{round}");
        assert_eq!(again.headers()[ETAG], etag);
        assert!(again.bytes().await.unwrap().is_empty());
    }
    // Another answer has another tag.
    let other = app
        .client
        .get(get_url(
            &app,
            &[("query", r#"{ company(symbol: "AAPL") { status } }"#)],
        ))
        .header(IF_NONE_MATCH, "\"0000\"")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::OK);
}

#[tokio::test]
async fn answers_about_companies_on_their_way_mutations_and_errors_are_never_reused() {
    let app = apple_app().await;
    let posts = [
        // IBM is listed but not stored: it is registered and answers PENDING.
        json!({ "query": r#"{ company(symbol: "IBM") { status } }"# }),
        json!({ "query": r#"{ a: company(symbol: "AAPL") { status } b: company(symbol: "IBM") { status } }"# }),
        json!({ "query": r#"mutation { requestRegistration(symbol: "MSFT") { status } }"# }),
        json!({ "query": r#"{ company(symbol: "not a symbol!") { status } }"# }),
    ];
    for body in posts {
        for _ in 0..2 {
            let response = app
                .client
                .post(format!("{}/graphql", app.address))
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{body}");
            assert_eq!(response.headers()[CACHE_CONTROL], "no-store", "{body}");
            assert!(response.headers().get(ETAG).is_none(), "{body}");
        }
    }
}

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

fn sha256(document: &str) -> String {
    format!("{:x}", Sha256::digest(document.as_bytes()))
}

#[tokio::test]
async fn a_persisted_query_registered_once_runs_by_its_hash_over_get_from_the_response_cache() {
    let app = apple_app().await;
    let hash = sha256(APPLE);
    let post = |body: Value| {
        let app = &app;
        async move {
            let response = app
                .client
                .post(format!("{}/graphql", app.address))
                .json(&body)
                .send()
                .await
                .unwrap();
            response.json::<Value>().await.unwrap()
        }
    };

    // Apollo's protocol: the hash alone first; unknown, so the client sends both.
    let unknown = post(json!({ "extensions": persisted(&hash) })).await;
    assert_eq!(
        error_code(&unknown),
        "PERSISTED_QUERY_NOT_FOUND",
        "{unknown}"
    );
    assert_eq!(unknown["errors"][0]["message"], "PersistedQueryNotFound");
    let registered = post(json!({ "query": APPLE, "extensions": persisted(&hash) })).await;
    assert_eq!(
        registered["data"]["company"]["status"], "READY",
        "{registered}"
    );
    let wrong = post(json!({ "query": APPLE, "extensions": persisted(&sha256("{ x }")) })).await;
    assert_eq!(error_code(&wrong), "BAD_REQUEST", "{wrong}");

    let extensions = persisted(&hash).to_string();
    let url = get_url(&app, &[("extensions", &extensions)]);
    let first: Value = app
        .client
        .get(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(first["data"], registered["data"]);
    let before = app.db.queries_executed();
    let response = app.client.get(&url).send().await.unwrap();
    assert!(response.headers().get(ETAG).is_some());
    let second: Value = response.json().await.unwrap();
    assert_eq!(second, first);
    assert_eq!(
        app.db.queries_executed(),
        before,
        "served from the response cache"
    );
}

#[tokio::test]
async fn a_persisted_mutation_cannot_run_over_get() {
    let app = apple_app().await;
    let mutation = r#"mutation { requestRegistration(symbol: "MSFT") { status } }"#;
    let hash = sha256(mutation);
    let registered: Value = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": mutation, "extensions": persisted(&hash) }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        registered["data"]["requestRegistration"]["status"], "PENDING",
        "{registered}"
    );

    let extensions = persisted(&hash).to_string();
    let response = app
        .client
        .get(get_url(&app, &[("extensions", &extensions)]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn a_persisted_document_that_is_refused_is_a_request_error() {
    let app = apple_app().await;
    let broken = "{ company(";
    let cases = [
        (
            json!({ "query": broken, "extensions": persisted(&sha256(broken)) }),
            "GRAPHQL_PARSE_FAILED",
        ),
        (
            json!({ "query": APPLE, "extensions": persisted(&sha256("{ x }")) }),
            "BAD_REQUEST",
        ),
    ];
    for (body, code) in cases {
        let response = app
            .client
            .post(format!("{}/graphql", app.address))
            .header(ACCEPT, "application/graphql-response+json")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        let answer: Value = response.json().await.unwrap();
        assert_eq!(error_code(&answer), code, "{answer}");
        assert!(answer.get("data").is_none(), "{answer}");
    }
}

#[tokio::test]
async fn a_post_is_answered_in_full_whatever_tag_the_client_holds() {
    let app = apple_app().await;
    let post = || {
        app.client
            .post(format!("{}/graphql", app.address))
            .json(&json!({ "query": APPLE }))
    };
    let first = post().send().await.unwrap();
    let etag = first.headers()[ETAG].clone();
    // A conditional POST is not a cache lookup (RFC 9110 §13.1.2): never a 304.
    let again = post().header(IF_NONE_MATCH, etag).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["data"]["company"]["status"], "READY");
}
