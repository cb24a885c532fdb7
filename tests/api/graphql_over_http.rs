//! GraphQL over HTTP to the letter: the spec's reference audit (`auditServer` from the npm
//! package graphql-http, run by `web/e2e/audit.mjs`) passes with no error and no warning, and
//! the answers it checks, spelled out; and a real client (urql with its normalized cache and
//! persisted queries, `web/e2e/urql.mjs`) works against the gateway as front-end teams use it.

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{Value, json};

use crate::dashboard::run_script;
use crate::helpers::{TestApp, spawn_app};

#[tokio::test]
async fn the_graphql_over_http_audit_passes_with_no_error_and_no_warning() {
    let app = spawn_app().await;
    run_script(&app, "audit.mjs").await;
}

/// POSTs `body` with `accept`; returns the status, the content type and the JSON body.
async fn post(app: &TestApp, accept: Option<&str>, body: Value) -> (StatusCode, String, Value) {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&body);
    if let Some(accept) = accept {
        request = request.header(ACCEPT, accept);
    }
    let response = request.send().await.expect("POST /graphql");
    let status = response.status();
    let content_type = response.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    (status, content_type, response.json().await.expect("JSON"))
}

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

#[tokio::test]
async fn answers_come_in_the_media_type_the_client_accepts() {
    let app = spawn_app().await;
    let query = json!({ "query": "{ __typename }" });
    for (accept, expected) in [
        (Some("application/json"), "application/json"),
        (Some("*/*"), "application/json"),
        (None, "application/json"),
        (Some(GRAPHQL_RESPONSE), GRAPHQL_RESPONSE),
        (
            Some("application/graphql-response+json, application/json"),
            GRAPHQL_RESPONSE,
        ),
        (
            Some("application/graphql-response+json;q=0, application/json"),
            "application/json",
        ),
    ] {
        let (status, content_type, body) = post(&app, accept, query.clone()).await;
        assert_eq!(status, StatusCode::OK, "{accept:?}");
        assert_eq!(content_type, expected, "{accept:?}");
        assert_eq!(
            body,
            json!({ "data": { "__typename": "Query" } }),
            "{accept:?}"
        );
    }
}

#[tokio::test]
async fn a_refused_document_is_a_400_without_data_for_clients_of_the_spec_s_media_type() {
    let app = spawn_app().await;
    for (document, code) in [
        ("{", "GRAPHQL_PARSE_FAILED"),
        ("{ noSuchField }", "GRAPHQL_VALIDATION_FAILED"),
    ] {
        let (status, content_type, body) =
            post(&app, Some(GRAPHQL_RESPONSE), json!({ "query": document })).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{document}: {body}");
        assert_eq!(content_type, GRAPHQL_RESPONSE);
        assert_eq!(body["errors"][0]["extensions"]["code"], code, "{body}");
        assert!(body.get("data").is_none(), "{document}: {body}");

        // Clients that know only application/json get what they always got.
        let (status, _, body) =
            post(&app, Some("application/json"), json!({ "query": document })).await;
        assert_eq!(status, StatusCode::OK, "{document}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], code, "{body}");
    }
    // A field's error is not a request error: 200, with `data`.
    let (status, _, body) = post(
        &app,
        Some(GRAPHQL_RESPONSE),
        json!({ "query": r#"{ company(symbol: "not a symbol!") { status } }"# }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert!(body.get("data").is_some(), "{body}");
}

#[tokio::test]
async fn a_request_without_a_query_is_a_400() {
    let app = spawn_app().await;
    for accept in [Some(GRAPHQL_RESPONSE), Some("application/json"), None] {
        let (status, _, body) = post(&app, accept, json!({ "qeury": "{ __typename }" })).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{accept:?}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
    }
    let response = app.get("/graphql?variables=%7B%7D").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_urql_client_normalizes_by_id_and_sends_known_documents_by_hash() {
    let app = spawn_app().await;
    app.import_fixtures(&["AAPL"]).await;
    run_script(&app, "urql.mjs").await;
}
