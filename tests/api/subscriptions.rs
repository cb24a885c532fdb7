//! A graphql-ws client for `Subscription.companyStatus` (the graphql-transport-ws protocol),
//! and a probe that waits until a gateway's result listener is live.

use std::time::Duration;

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
