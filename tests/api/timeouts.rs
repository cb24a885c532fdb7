//! Time limits: a request, a SQL statement and a client sending its headers each have one,
//! so nothing a client or a stalled database does holds the service.

use std::time::{Duration, Instant};

use diesel_async::AsyncMysqlConnection;
use finstage::domain::FiscalPeriod;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{TestApp, error_code, synthetic, write_lock};

/// Holds a write lock on `companies` from a connection of its own, so the app's reads of
/// that table wait: a stalled database, as far as the app can tell.
async fn lock_companies(app: &TestApp) -> AsyncMysqlConnection {
    write_lock(&app.database_url, "companies").await
}

const COMPANY: &str = r#"{ company(symbol: "AAPL") { status } }"#;

#[tokio::test]
async fn a_request_past_its_time_limit_is_answered_timeout() {
    let app = TestApp::builder()
        .with_settings(|s| {
            s.http.request_timeout_secs = 1;
            s.database.statement_timeout_ms = 60_000;
        })
        .spawn()
        .await;
    app.seed_company("AAPL", &synthetic(2023..=2023, &[FiscalPeriod::Fy]))
        .await;
    let _lock = lock_companies(&app).await;

    let started = Instant::now();
    let (status, body) = app.post_graphql(COMPANY, json!({})).await;

    assert_eq!(status, 504, "{body}");
    assert_eq!(error_code(&body), "TIMEOUT", "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_statement_past_the_statement_timeout_is_cancelled_by_the_server() {
    let app = TestApp::builder()
        .with_settings(|s| {
            s.http.request_timeout_secs = 30;
            s.database.statement_timeout_ms = 500;
        })
        .spawn()
        .await;
    app.seed_company("AAPL", &synthetic(2023..=2023, &[FiscalPeriod::Fy]))
        .await;
    let lock = lock_companies(&app).await;

    let started = Instant::now();
    let (status, body) = app.post_graphql(COMPANY, json!({})).await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(error_code(&body), "TIMEOUT", "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    drop(lock);
    let body = app.graphql(COMPANY, json!({})).await;
    assert_eq!(
        body["data"]["company"]["status"], "READY",
        "the pool recovers: {body}"
    );
}

/// Reads until the server closes the connection; returns how long that took.
async fn time_until_closed(stream: &mut TcpStream) -> Duration {
    let started = Instant::now();
    let mut buffer = [0_u8; 1024];
    loop {
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) => return started.elapsed(),
            Ok(Ok(_)) => {}
            Err(_) => panic!("the connection stayed open for 10 s"),
        }
    }
}

#[tokio::test]
async fn slow_headers_and_idle_keep_alive_connections_are_closed() {
    let app = TestApp::builder()
        .with_settings(|s| s.http.header_read_timeout_secs = 1)
        .spawn()
        .await;
    let address = app.address.trim_start_matches("http://").to_owned();

    // Slowloris: a request line and one header, then nothing.
    let mut slow = TcpStream::connect(&address).await.expect("connect");
    slow.write_all(b"POST /graphql HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    let closed_after = time_until_closed(&mut slow).await;
    assert!(closed_after < Duration::from_secs(3), "{closed_after:?}");

    // A keep-alive connection that answered a request, then sits idle.
    let mut idle = TcpStream::connect(&address).await.expect("connect");
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let closed_after = time_until_closed(&mut idle).await;
    assert!(closed_after < Duration::from_secs(3), "{closed_after:?}");

    // Honest clients are unaffected.
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn requests_beyond_the_concurrency_limit_are_refused_at_once() {
    let app = TestApp::builder()
        .with_settings(|s| {
            s.http.max_concurrent_requests = 1;
            s.database.statement_timeout_ms = 60_000;
        })
        .spawn()
        .await;
    app.seed_company("AAPL", &synthetic(2023..=2023, &[FiscalPeriod::Fy]))
        .await;
    let lock = lock_companies(&app).await;

    let stalled = app.post_graphql(COMPANY, json!({}));
    let refused = async {
        // The first request must hold the only slot before the second arrives.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let answer = app.post_graphql(COMPANY, json!({})).await;
        drop(lock);
        answer
    };
    let ((stalled_status, stalled_body), (refused_status, refused_body)) =
        tokio::join!(stalled, refused);

    assert_eq!(refused_status, 503, "{refused_body}");
    assert_eq!(
        error_code(&refused_body),
        "SERVICE_UNAVAILABLE",
        "{refused_body}"
    );
    assert_eq!(stalled_status, 200, "{stalled_body}");
    assert_eq!(
        stalled_body["data"]["company"]["status"], "READY",
        "{stalled_body}"
    );
}
