//! Kafka plumbing shared by the relay (and later the worker): client configuration, topic
//! creation, and the registration request message, whose JSON shape other services rely on.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde::{Deserialize, Serialize};

use crate::config::KafkaSettings;

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

/// Sends one message and waits for the broker's acknowledgement.
pub async fn publish(
    producer: &FutureProducer,
    topic: &str,
    key: &str,
    payload: &[u8],
) -> Result<(), KafkaError> {
    producer
        .send(
            FutureRecord::to(topic).key(key).payload(payload),
            DELIVERY_TIMEOUT,
        )
        .await
        .map(|_| ())
        .map_err(|(error, _)| error)
}
