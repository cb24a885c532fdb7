//! Kafka plumbing shared by the relay, the worker and the gateway's result listener: client
//! configuration, topic creation, the request and result messages, whose JSON shapes other
//! services rely on, and the trace context their headers carry.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{ConsumerContext, DefaultConsumerContext, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde::{Deserialize, Serialize};

use tokio_util::sync::CancellationToken;
use tracing::Span;

use crate::backoff::Backoff;
use crate::config::KafkaSettings;
use crate::domain::CompanyStatus;
use crate::telemetry::traces;

/// How long the producer keeps trying to deliver one message before reporting failure.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(5);

/// `{"symbol":"AAPL","requestId":"…","requestedAt":"…"}`. The earlier system sent only
/// `symbol`, so consumers must accept the other fields missing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationMessage {
    pub symbol: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_at: Option<DateTime<Utc>>,
}

/// `{"symbol":"AAPL","success":true,"status":"READY","reason":null,…}`: the outcome of one
/// ingestion, published by the worker (key = symbol) and consumed by every gateway.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultMessage {
    pub symbol: String,
    /// The company's id in the database the gateways share, so each can drop the company's
    /// cached statements without looking it up. Absent in events from older workers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_id: Option<i64>,
    /// True when this ingestion stored the company (a failed refresh is `READY` but false).
    pub success: bool,
    pub status: CompanyStatus,
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Provider attempts this request took.
    #[serde(default)]
    pub attempts: u32,
    pub completed_at: DateTime<Utc>,
}

fn client_config(settings: &KafkaSettings) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", &settings.brokers)
        // Reconnect quickly once a broker is back, instead of backing off to 10 s.
        .set("reconnect.backoff.max.ms", "1000");
    config
}

/// An idempotent producer: acks from all in-sync replicas, no duplicates from its retries.
pub fn producer(settings: &KafkaSettings) -> Result<FutureProducer, KafkaError> {
    client_config(settings)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set(
            "message.timeout.ms",
            DELIVERY_TIMEOUT.as_millis().to_string(),
        )
        .create()
}

/// Longest a consumer may hold one message before the group takes its partitions away.
pub const MAX_POLL_INTERVAL: std::time::Duration = std::time::Duration::from_secs(900);

/// A consumer in `group_id` that commits only what the caller marks done: offsets are stored
/// explicitly after processing and committed in the background and on close.
pub fn consumer(
    settings: &KafkaSettings,
    group_id: &str,
    session_timeout_ms: u32,
    offset_reset: &str,
) -> Result<StreamConsumer, KafkaError> {
    consumer_with_context(
        settings,
        group_id,
        session_timeout_ms,
        offset_reset,
        DefaultConsumerContext,
    )
}

/// `consumer`, with `context` told of every rebalance.
pub fn consumer_with_context<C: ConsumerContext + 'static>(
    settings: &KafkaSettings,
    group_id: &str,
    session_timeout_ms: u32,
    offset_reset: &str,
    context: C,
) -> Result<StreamConsumer<C>, KafkaError> {
    client_config(settings)
        .set("group.id", group_id)
        .set("enable.auto.commit", "true")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", offset_reset)
        .set("session.timeout.ms", session_timeout_ms.to_string())
        // A message may spend several provider timeouts and backoffs in hand; the worker
        // refuses settings whose worst case would not fit (`Worker::build`).
        .set(
            "max.poll.interval.ms",
            MAX_POLL_INTERVAL.as_millis().to_string(),
        )
        .create_with_context(context)
}

/// Creates the service's topics where missing; many production clusters disable
/// auto-creation, and topics that already exist are fine.
pub async fn ensure_topics(settings: &KafkaSettings) -> Result<(), KafkaError> {
    let admin: AdminClient<DefaultClientContext> = client_config(settings).create()?;
    let topics: Vec<NewTopic<'_>> = [
        &settings.request_topic,
        &settings.result_topic,
        &settings.dlq_topic,
    ]
    .into_iter()
    .map(|name| {
        NewTopic::new(
            name,
            settings.topic_partitions,
            TopicReplication::Fixed(settings.replication_factor),
        )
    })
    .collect();
    let options = AdminOptions::new().operation_timeout(Some(DELIVERY_TIMEOUT));
    for result in admin.create_topics(&topics, &options).await? {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => {
                tracing::warn!(%topic, %code, "cannot create topic");
                return Err(KafkaError::AdminOp(code));
            }
        }
    }
    Ok(())
}

/// [`ensure_topics`], retried with backoff until the cluster answers; false when `shutdown`
/// came first.
pub async fn ensure_topics_retrying(
    settings: &KafkaSettings,
    shutdown: &CancellationToken,
) -> bool {
    let mut backoff = Backoff::starting_at(Duration::from_millis(500));
    loop {
        let error = tokio::select! {
            () = shutdown.cancelled() => return false,
            created = ensure_topics(settings) => match created {
                Ok(()) => return true,
                Err(error) => error,
            },
        };
        let delay = backoff.next_delay();
        tracing::warn!(%error, retry_in_ms = delay.as_millis(), "kafka topics not ready");
        if !Backoff::sleep(delay, shutdown).await {
            return false;
        }
    }
}

/// The current span's trace context as message headers (none while traces are off).
pub fn trace_headers() -> OwnedHeaders {
    traces::current_headers()
        .iter()
        .fold(OwnedHeaders::new(), |headers, (key, value)| {
            headers.insert(Header {
                key,
                value: Some(value),
            })
        })
}

/// Makes `span` continue the trace in `message`'s headers (`trace_headers` of its sender).
pub fn continue_trace<'a>(span: &Span, message: &'a BorrowedMessage<'a>) {
    let headers = message.headers();
    traces::continue_trace(span, |name| {
        headers?
            .iter()
            .find(|header| header.key == name)?
            .value
            .and_then(|value| std::str::from_utf8(value).ok())
    });
}

/// Sends one message and waits for the broker's acknowledgement.
pub async fn publish(
    producer: &FutureProducer,
    topic: &str,
    key: &str,
    payload: &[u8],
) -> Result<(), KafkaError> {
    publish_with_headers(producer, topic, key, payload, OwnedHeaders::new()).await
}

pub async fn publish_with_headers(
    producer: &FutureProducer,
    topic: &str,
    key: &str,
    payload: &[u8],
    headers: OwnedHeaders,
) -> Result<(), KafkaError> {
    producer
        .send(
            FutureRecord::to(topic)
                .key(key)
                .payload(payload)
                .headers(headers),
            DELIVERY_TIMEOUT,
        )
        .await
        .map(|_| ())
        .map_err(|(error, _)| error)
}
