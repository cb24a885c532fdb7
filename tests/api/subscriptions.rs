//! A graphql-ws client for `Subscription.companyStatus` (the graphql-transport-ws protocol),
//! and a probe that waits until a gateway's result listener is live.

use std::time::Duration;

use diesel_async::RunQueryDsl;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use finstage::config::KafkaSettings;
use finstage::domain::CompanyStatus;
use finstage::kafka::{self, ResultMessage};

use crate::helpers::{TestApp, eventually, spawn_app};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub struct StatusSubscription {
    socket: Socket,
}

const STATUS_SUBSCRIPTION: &str =
    "subscription ($s: String!) { companyStatus(symbol: $s) { symbol status statusReason at } }";

impl StatusSubscription {
    pub async fn open(app: &TestApp, symbol: &str) -> Self {
        let socket = subscribe(app, STATUS_SUBSCRIPTION, json!({ "s": symbol })).await;
        Self { socket }
    }

    /// The next `companyStatus` event, or None when none comes within `timeout`. A GraphQL
    /// error fails the test.
    pub async fn next(&mut self, timeout: Duration) -> Option<Value> {
        let message = receive(&mut self.socket, timeout).await?;
        assert_eq!(message["type"], "next", "{message}");
        assert!(message["payload"]["errors"].is_null(), "{message}");
        Some(message["payload"]["data"]["companyStatus"].clone())
    }

    /// Events until one has `status`; fails if it does not come within `timeout`.
    pub async fn until(&mut self, status: &str, timeout: Duration) -> Vec<Value> {
        let mut events = Vec::new();
        let reading = async {
            loop {
                let Some(event) = self.next(timeout).await else {
                    return false;
                };
                let done = event["status"] == status;
                events.push(event);
                if done {
                    return true;
                }
            }
        };
        let arrived = matches!(tokio::time::timeout(timeout, reading).await, Ok(true));
        assert!(
            arrived,
            "no {status} event within {timeout:?}; got {events:?}"
        );
        events
    }
}

/// A graphql-transport-ws connection to the app that has sent one `subscribe` message.
async fn subscribe(app: &TestApp, query: &str, variables: Value) -> Socket {
    let url = format!("{}/graphql/ws", app.address.replacen("http", "ws", 1));
    let mut request = url.into_client_request().expect("ws request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("connect /graphql/ws");
    send(&mut socket, json!({ "type": "connection_init" })).await;
    let ack = receive(&mut socket, Duration::from_secs(10))
        .await
        .expect("connection_ack");
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": {
            "query": query, "variables": variables } }),
    )
    .await;
    socket
}

async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::text(message.to_string()))
        .await
        .expect("ws send");
}

/// The next JSON text message (pings skipped), or None on timeout.
async fn receive(socket: &mut Socket, timeout: Duration) -> Option<Value> {
    let reading = async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Text(text))) => {
                    let message: Value = serde_json::from_str(&text).expect("JSON message");
                    if message["type"] != "ping" && message["type"] != "pong" {
                        return message;
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(error)) => panic!("ws error: {error}"),
                None => panic!("ws closed"),
            }
        }
    };
    tokio::time::timeout(timeout, reading).await.ok()
}

/// Publishes a `READY` result for `symbol`, as a worker does after ingesting it.
pub async fn publish_ready_result(kafka: &KafkaSettings, symbol: &str) {
    let payload = serde_json::to_vec(&ResultMessage {
        symbol: symbol.into(),
        company_id: None,
        success: true,
        status: CompanyStatus::Ready,
        reason: None,
        request_id: None,
        attempts: 1,
        completed_at: chrono::Utc::now(),
    })
    .expect("encode");
    kafka::ensure_topics(kafka).await.expect("topics");
    let producer = kafka::producer(kafka).expect("producer");
    kafka::publish(&producer, &kafka.result_topic, symbol, &payload)
        .await
        .expect("publish result");
}

/// Waits until the gateway's result listener delivers events: publishes a result for a
/// probe symbol until a subscription to it sees one. The listener starts reading at the
/// latest offset once it joined its group, so a test must not publish results before.
pub async fn wait_for_result_listener(app: &TestApp, kafka: &KafkaSettings) {
    let probe = tokio::sync::Mutex::new(StatusSubscription::open(app, "PROBE").await);
    eventually(
        Duration::from_secs(30),
        "the gateway's result listener to deliver an event",
        || async {
            publish_ready_result(kafka, "PROBE").await;
            let mut probe = probe.lock().await;
            probe.next(Duration::from_millis(500)).await.is_some()
        },
    )
    .await;
}

#[tokio::test]
async fn the_websocket_refuses_queries_and_mutations() {
    let app = spawn_app().await;
    for operation in [
        r#"mutation { requestRegistration(symbol: "AAPL") { status } }"#,
        r#"{ company(symbol: "AAPL") { status } }"#,
    ] {
        let mut socket = subscribe(&app, operation, json!({})).await;
        let answer = receive(&mut socket, Duration::from_secs(10))
            .await
            .expect("an answer");
        assert_eq!(answer["type"], "next", "{answer}");
        let error = &answer["payload"]["errors"][0];
        assert_eq!(
            error["extensions"]["code"], "OPERATION_NOT_ALLOWED",
            "{answer}"
        );
        assert!(answer["payload"]["data"].is_null(), "{answer}");
    }
}

async fn connect(
    app: &TestApp,
    origin: Option<&str>,
) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    let url = format!("{}/graphql/ws", app.address.replacen("http", "ws", 1));
    let mut request = url.into_client_request().expect("ws request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("origin", HeaderValue::from_str(origin).expect("origin"));
    }
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(socket, _)| socket)
}

fn refused_with(result: Result<Socket, tokio_tungstenite::tungstenite::Error>) -> u16 {
    match result {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("refused without a status: {other}"),
        Ok(_) => panic!("the upgrade was accepted"),
    }
}

/// True when the server closes the socket within `within`.
async fn closed_within(socket: &mut Socket, within: Duration) -> bool {
    let closing = async {
        loop {
            match socket.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            }
        }
    };
    tokio::time::timeout(within, closing).await.is_ok()
}

#[tokio::test]
async fn subscriptions_beyond_a_sockets_quota_are_refused_and_cost_one_query_together() {
    let app = TestApp::builder()
        .with_settings(|s| s.http.websocket.max_subscriptions_per_connection = 20)
        .spawn()
        .await;
    app.seed_company(
        "AAPL",
        &crate::helpers::synthetic(2023..=2023, &[finstage::domain::FiscalPeriod::Fy]),
    )
    .await;
    let mut socket = connect(&app, None).await.expect("connect");
    send(&mut socket, json!({ "type": "connection_init" })).await;
    assert_eq!(
        receive(&mut socket, Duration::from_secs(5))
            .await
            .expect("ack")["type"],
        "connection_ack"
    );

    let before = app.db.queries_executed();
    for id in 1..=2_000 {
        send(
            &mut socket,
            json!({ "id": id.to_string(), "type": "subscribe", "payload": {
                "query": STATUS_SUBSCRIPTION, "variables": { "s": "AAPL" } } }),
        )
        .await;
    }
    // Honest clients meanwhile.
    let honest = futures_util::future::join_all(
        (0..20).map(|_| app.post_graphql(r#"{ company(symbol: "AAPL") { status } }"#, json!({}))),
    )
    .await;

    let (mut served, mut refused) = (0, 0);
    while served + refused < 2_000 {
        let message = receive(&mut socket, Duration::from_secs(10))
            .await
            .expect("an answer to every subscribe");
        match message["type"].as_str() {
            Some("next") if message["payload"]["errors"].is_null() => served += 1,
            Some("next") => {
                assert_eq!(
                    message["payload"]["errors"][0]["extensions"]["code"], "TOO_MANY_SUBSCRIPTIONS",
                    "{message}"
                );
                refused += 1;
            }
            _ => {}
        }
    }
    assert_eq!((served, refused), (20, 1_980));
    let reads = app.db.queries_executed() - before;
    assert!(
        reads <= 10,
        "{reads} SQL statements for 20 subscriptions and 20 queries"
    );
    for (status, body) in honest {
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["company"]["status"], "READY", "{body}");
    }
}

#[tokio::test]
async fn sockets_are_limited_per_client_by_origin_and_in_time() {
    let app = TestApp::builder()
        .cors(&["https://dash.example"])
        .with_settings(|s| {
            s.http.websocket.max_connections_per_client = 2;
            s.http.websocket.connection_init_timeout_secs = 1;
            s.http.websocket.idle_timeout_secs = 2;
        })
        .spawn()
        .await;

    assert_eq!(
        refused_with(connect(&app, Some("https://evil.example")).await),
        403
    );

    let mut silent = connect(&app, Some("https://dash.example"))
        .await
        .expect("allowed origin");
    let mut idle = connect(&app, None).await.expect("no origin: not a browser");
    let opened = std::time::Instant::now();
    send(&mut idle, json!({ "type": "connection_init" })).await;
    let ack = receive(&mut idle, Duration::from_secs(5))
        .await
        .expect("ack");
    assert_eq!(ack["type"], "connection_ack");
    assert_eq!(
        refused_with(connect(&app, None).await),
        429,
        "a third socket from one client"
    );

    assert!(
        closed_within(&mut silent, Duration::from_secs(3)).await,
        "no connection_init within the timeout"
    );
    assert!(
        closed_within(&mut idle, Duration::from_secs(5)).await,
        "idle without a subscription"
    );
    let idle_for = opened.elapsed();
    assert!(
        idle_for >= Duration::from_millis(1_900),
        "closed after {idle_for:?}, before the idle timeout"
    );
    // Closed sockets give their places back.
    let mut again = connect(&app, None).await.expect("a place is free again");
    send(
        &mut again,
        json!({ "type": "connection_init", "payload": "x".repeat(100 * 1024) }),
    )
    .await;
    assert!(
        closed_within(&mut again, Duration::from_secs(3)).await,
        "a message over 64 KiB closes the socket"
    );
}

#[tokio::test]
async fn a_subscriber_whose_outcome_never_reaches_the_gateway_reads_it_from_the_database() {
    // No transport: nothing will ever announce this company's outcome to the gateway.
    let app = TestApp::builder()
        .with_settings(|s| s.http.websocket.status_recheck_secs = 1)
        .spawn()
        .await;
    let body = app
        .graphql(r#"{ company(symbol: "AMZN") { status } }"#, json!({}))
        .await;
    assert_eq!(body["data"]["company"]["status"], "PENDING", "{body}");
    let mut subscription = StatusSubscription::open(&app, "AMZN").await;
    let first = subscription.next(Duration::from_secs(5)).await;
    assert_eq!(first.expect("the stored status")["status"], "PENDING");
    // A re-read that finds nothing new sends nothing.
    assert_eq!(subscription.next(Duration::from_millis(2_500)).await, None);

    // Another process stores the outcome; its event is lost.
    diesel::sql_query(
        "UPDATE companies SET status = 'READY', status_reason = NULL WHERE symbol = 'AMZN'",
    )
    .execute(&mut app.conn().await)
    .await
    .expect("update");

    let events = subscription.until("READY", Duration::from_secs(5)).await;
    assert_eq!(events.len(), 1, "{events:?}");
    // READY is where a subscriber stops waiting: no more re-reads, no more events.
    assert_eq!(subscription.next(Duration::from_millis(2_500)).await, None);
}
