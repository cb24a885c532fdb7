use crate::helpers::{TestApp, spawn_app};

#[tokio::test]
async fn browsers_get_graphiql_and_get_requests_run_queries() {
    let app = spawn_app().await;

    let page = app
        .client
        .get(format!("{}/graphql", app.address))
        .header("accept", "text/html")
        .send()
        .await
        .expect("GET");
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .expect("CSP")
        .to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let html = page.text().await.expect("body");
    assert!(html.contains("/graphiql/graphiql.min.js"), "{html}");
    assert!(
        !html.contains("http"),
        "nothing loads from another origin: {html}"
    );
    assert!(!html.contains("<script>"), "no inline script: {html}");
    for (asset, content_type) in [
        ("/graphiql/graphiql.min.js", "text/javascript"),
        ("/graphiql/react.production.min.js", "text/javascript"),
        ("/graphiql/graphiql.min.css", "text/css"),
    ] {
        let response = app.get(asset).await;
        assert_eq!(response.status(), 200, "{asset}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .is_ok_and(|t| t.starts_with(content_type)),
            "{asset}"
        );
    }
    assert_eq!(app.get("/graphiql/secrets.txt").await.status(), 404);

    let response = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("query", "{ company(symbol: \"ibm\") { symbol status } }")])
        .send()
        .await
        .expect("GET query");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(body["data"]["company"]["symbol"], "IBM");
}

#[tokio::test]
async fn health_and_readiness_probes_answer() {
    let app = spawn_app().await;

    let health = app.get("/healthz").await;
    assert_eq!(health.status(), 200);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.expect("JSON");
    assert_eq!(body["status"], "ready");
    assert_eq!(body["transport"]["kind"], "off");
}

#[tokio::test]
async fn readiness_reports_the_relay_and_the_result_listener() {
    let (_broker, kafka) = crate::broker::started_broker().await;
    let app = TestApp::builder().kafka(kafka).spawn().await;

    let body: serde_json::Value = crate::helpers::eventually(
        std::time::Duration::from_secs(10),
        "both transport tasks running",
        || async {
            let body: serde_json::Value = app.get("/readyz").await.json().await.ok()?;
            (body["transport"]["relay"]["running"] == true
                && body["transport"]["resultListener"]["running"] == true)
                .then_some(body)
        },
    )
    .await;
    assert_eq!(body["status"], "ready", "{body}");
    assert_eq!(body["transport"]["kind"], "kafka", "{body}");
    assert_eq!(body["transport"]["relay"]["restarts"], 0, "{body}");
}

/// Every pooled connection is busy (held here), yet readiness answers: it checks MySQL over
/// a connection of its own instead of queueing for the pool until its timeout.
#[tokio::test]
async fn readiness_does_not_queue_behind_a_busy_pool() {
    let app = TestApp::builder()
        .with_settings(|settings| settings.database.pool_size = 2)
        .spawn()
        .await;
    let _held = (app.db.conn().await.unwrap(), app.db.conn().await.unwrap());

    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    assert_eq!(
        app.get("/readyz").await.status(),
        200,
        "and again, reusing its connection"
    );
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let app = TestApp::builder()
        .cors(&["https://dashboard.example"])
        .spawn()
        .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
    };

    let allowed = preflight("https://dashboard.example")
        .await
        .expect("OPTIONS");
    assert_eq!(
        allowed
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.as_bytes()),
        Some(&b"https://dashboard.example"[..])
    );
    let other = preflight("https://evil.example").await.expect("OPTIONS");
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn mutations_over_get_are_refused() {
    let app = spawn_app().await;

    let response = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[(
            "query",
            "mutation { requestRegistration(symbol: \"ibm\") { status } }",
        )])
        .send()
        .await
        .expect("GET");

    assert_eq!(response.status(), 405);
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "METHOD_NOT_ALLOWED"
    );
    let requests = app.requests_for("IBM").await;
    assert!(
        requests.is_empty(),
        "the refused GET registered IBM: {requests:?}"
    );
}

/// Bodies a browser sends cross-site without a CORS preflight: none may run anything.
#[tokio::test]
async fn posts_without_a_json_body_are_refused_with_415() {
    let app = spawn_app().await;
    let mutation = r#"{"query":"mutation { requestRegistration(symbol: \"IBM\") { status } }"}"#;

    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let response = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("content-type", content_type)
            .body(mutation)
            .send()
            .await
            .expect("POST");
        assert_eq!(response.status(), 415, "{content_type}");
        let body: serde_json::Value = response.json().await.expect("JSON");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "UNSUPPORTED_MEDIA_TYPE",
            "{content_type}"
        );
    }
    assert!(
        app.requests_for("IBM").await.is_empty(),
        "nothing was registered"
    );

    let json = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "application/json; charset=utf-8")
        .body(mutation)
        .send()
        .await
        .expect("POST");
    assert_eq!(json.status(), 200);
}

#[tokio::test]
async fn every_response_carries_security_headers() {
    let app = spawn_app().await;
    let (status, _) = app
        .post_graphql("{ __typename }", serde_json::json!({}))
        .await;
    assert_eq!(status, 200);
    for path in [
        "/healthz",
        "/graphql?query=%7B__typename%7D",
        "/no-such-page",
    ] {
        let response = app.get(path).await;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        assert_eq!(
            header("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(header("x-frame-options").as_deref(), Some("DENY"), "{path}");
        assert_eq!(
            header("referrer-policy").as_deref(),
            Some("no-referrer"),
            "{path}"
        );
        assert!(
            header("content-security-policy")
                .is_some_and(|csp| csp.contains("frame-ancestors 'none'")),
            "{path}"
        );
    }
}

#[tokio::test]
async fn introspection_and_graphiql_can_be_turned_off() {
    let app = TestApp::builder()
        .with_settings(|s| {
            s.api.introspection = false;
            s.api.graphiql = false;
        })
        .spawn()
        .await;

    let body = app
        .graphql("{ __schema { types { name } } }", serde_json::json!({}))
        .await;
    assert!(
        body["data"]["__schema"].is_null(),
        "the schema is not shown: {body}"
    );

    let page = app
        .client
        .get(format!("{}/graphql", app.address))
        .header("accept", "text/html")
        .send()
        .await
        .expect("GET");
    let content_type = page
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        !content_type.contains("text/html"),
        "no GraphiQL page: {content_type}"
    );
    assert!(!page.text().await.expect("body").contains("graphiql"));

    let body = app
        .graphql(
            "{ company(symbol: \"ibm\") { symbol } }",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["company"]["symbol"], "IBM",
        "queries still run"
    );
}
