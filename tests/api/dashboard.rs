//! The dashboard: how the gateway serves it (HTTP), and every flow in a real browser: Debian's
//! Chromium driven headless by the scripts in `web/e2e/` (playwright-core), against the real
//! gateway, MariaDB with the imported SEC fixtures and, for registration, a real broker and
//! worker. Screenshots and printed figures land in `target/tmp/browser/`.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use diesel_async::RunQueryDsl;
use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG,
    IF_NONE_MATCH,
};

use crate::broker::started_broker;
use crate::helpers::{TestApp, sec_dir_provider, spawn_worker, test_worker_settings};
use crate::subscriptions::wait_for_result_listener;
use crate::support::wait::eventually;

/// The longest one browser script may take.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(180);

/// A gateway whose database holds the securities master and the given companies.
async fn app_with(symbols: &[&str], builder: crate::helpers::TestAppBuilder) -> TestApp {
    let app = builder.spawn().await;
    app.import_fixtures(symbols).await;
    app
}

fn output_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser")
}

/// Starts `web/e2e/{script}` in node against `app`.
fn start_script(app: &TestApp, script: &str) -> tokio::process::Child {
    let web = concat!(env!("CARGO_MANIFEST_DIR"), "/web");
    tokio::process::Command::new("node")
        .arg(format!("e2e/{script}"))
        .current_dir(web)
        .env("BASE_URL", &app.address)
        .env("OUT_DIR", output_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node (run `npm ci` in web/ first; scripts/test does)")
}

/// Waits for the script; fails the test with its output unless it passed.
async fn finish(child: tokio::process::Child, script: &str) {
    let output = tokio::time::timeout(BROWSER_TIMEOUT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{script} took longer than {BROWSER_TIMEOUT:?}"))
        .expect("node output");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    print!("{stdout}");
    assert!(
        output.status.success(),
        "{script} failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
}

/// Runs `web/e2e/{script}` in node against `app`; fails the test unless it passes.
pub async fn run_script(app: &TestApp, script: &str) {
    finish(start_script(app, script), script).await;
}

#[tokio::test]
async fn the_dashboard_pages_answer_the_app_under_a_strict_policy() {
    let app = TestApp::builder().spawn().await;

    for path in ["/", "/companies/AAPL", "/compare?symbols=AAPL,SNOW"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.headers()[CACHE_CONTROL], "no-cache", "{path}");
        let csp = response.headers()[CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert!(
            response.headers()[CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        let html = response.text().await.unwrap();
        assert!(html.contains(r#"<div id="app">"#), "{path}: {html}");
        assert!(!html.contains("<script>"), "no inline script: {html}");
    }

    // Hashed assets: a year, compressed when asked, 304 on a matching ETag.
    let html = app.get("/").await.text().await.unwrap();
    let script = html
        .split('"')
        .find(|part| part.starts_with("/assets/") && part.ends_with(".js"))
        .expect("the bundle's script");
    let plain = app.get(script).await;
    assert_eq!(plain.status(), StatusCode::OK);
    assert_eq!(
        plain.headers()[CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert!(
        plain.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    let etag = plain.headers()[ETAG].clone();
    let plain_len = plain.bytes().await.unwrap().len();

    let url = format!("{}{script}", app.address);
    let client = reqwest::Client::builder().no_gzip().build().unwrap();
    let compressed = client
        .get(&url)
        .header(ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(compressed.headers()[CONTENT_ENCODING], "gzip");
    let compressed_len = compressed.bytes().await.unwrap().len();
    assert!(
        compressed_len * 2 < plain_len,
        "{compressed_len} of {plain_len} bytes"
    );

    let revalidated = client
        .get(&url)
        .header(IF_NONE_MATCH, etag)
        .send()
        .await
        .unwrap();
    assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);

    assert_eq!(
        app.get("/assets/missing.js").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get("/favicon.svg").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn search_finds_apple_by_keyboard_and_remembers_it() {
    let app = app_with(&["AAPL"], TestApp::builder()).await;
    run_script(&app, "search.mjs").await;
}

#[tokio::test]
async fn apples_page_shows_the_10k_charts_quarters_and_a_csv_equal_to_its_table() {
    let app = app_with(&["AAPL"], TestApp::builder()).await;
    run_script(&app, "company.mjs").await;
}

#[tokio::test]
async fn compare_shows_two_companies_side_by_side_from_a_deep_link() {
    let app = app_with(&["AAPL", "SNOW"], TestApp::builder()).await;
    run_script(&app, "compare.mjs").await;
}

#[tokio::test]
async fn unknown_invalid_failed_and_rate_limited_symbols_show_their_states() {
    let app = app_with(&[], TestApp::builder().registrations_per_minute(2)).await;
    diesel::sql_query(
        "INSERT INTO companies (symbol, name, status, status_reason, created_at, updated_at) \
         VALUES ('TSLA', 'Tesla, Inc.', 'FAILED', 'the provider answered 503 three times', \
         NOW(), NOW())",
    )
    .execute(&mut app.conn().await)
    .await
    .expect("a FAILED company");
    run_script(&app, "states.mjs").await;
}

#[tokio::test]
async fn the_page_shows_service_unavailable_when_the_database_is_down() {
    let app = TestApp::builder().without_database().spawn().await;
    run_script(&app, "unavailable.mjs").await;
}

#[tokio::test]
async fn requesting_marvell_shows_pending_then_fills_in_when_ready_without_a_reload() {
    let (_broker, kafka) = started_broker().await;
    let app = app_with(&[], TestApp::builder().kafka(kafka.clone())).await;
    wait_for_result_listener(&app, &kafka).await;

    let browser = start_script(&app, "registration.mjs");
    // The worker starts only once the browser's request is stored, so the page must show
    // PENDING before anything can make it READY.
    eventually(
        Duration::from_secs(60),
        "the browser to request MRVL",
        || async { !app.requests_for("MRVL").await.is_empty() },
    )
    .await;
    let _worker = spawn_worker(test_worker_settings(
        &app.database_url,
        &kafka,
        sec_dir_provider(),
    ));
    finish(browser, "registration.mjs").await;
}
