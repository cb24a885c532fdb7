//! A graphql-ws client for `Subscription.companyStatus` (the graphql-transport-ws protocol),
//! and a probe that waits until a gateway's result listener is live.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use finstage::config::KafkaSettings;
use finstage::domain::CompanyStatus;
use finstage::kafka::{self, ResultMessage};

use crate::helpers::TestApp;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub struct StatusSubscription {
    socket: Socket,
}

const STATUS_SUBSCRIPTION: &str =
    "subscription ($s: String!) { companyStatus(symbol: $s) { symbol status statusReason at } }";

impl StatusSubscription {
    pub async fn open(app: &TestApp, symbol: &str) -> Self {
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
                "query": STATUS_SUBSCRIPTION, "variables": { "s": symbol } } }),
        )
        .await;
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
        let deadline = Instant::now() + timeout;
        let mut events = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let event = self
                .next(left)
                .await
                .unwrap_or_else(|| panic!("no {status} event; got {events:?}"));
            let done = event["status"] == status;
            events.push(event);
            if done {
                return events;
            }
        }
    }
}

async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::text(message.to_string()))
        .await
        .expect("ws send");
}

/// The next JSON text message (pings skipped), or None on timeout.
async fn receive(socket: &mut Socket, timeout: Duration) -> Option<Value> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                let message: Value = serde_json::from_str(&text).expect("JSON message");
                if message["type"] == "ping" || message["type"] == "pong" {
                    continue;
                }
                return Some(message);
            }
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(error))) => panic!("ws error: {error}"),
            Ok(None) => panic!("ws closed"),
            Err(_) => return None,
        }
    }
}

/// Publishes a `READY` result for `symbol`, as a worker does after ingesting it.
pub async fn publish_ready_result(kafka: &KafkaSettings, symbol: &str) {
    let payload = serde_json::to_vec(&ResultMessage {
        symbol: symbol.into(),
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
    let mut probe = StatusSubscription::open(app, "PROBE").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        publish_ready_result(kafka, "PROBE").await;
        if probe.next(Duration::from_millis(500)).await.is_some() {
            return;
        }
        assert!(Instant::now() < deadline, "result listener never started");
    }
}
