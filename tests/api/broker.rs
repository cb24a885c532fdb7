//! Kafka from the tests' side: a tansu broker per test (tests/support/broker.rs) with topics
//! of its own, and a consumer that reads a topic from the start.

use std::time::Duration;

use finstage::config::KafkaSettings;
use finstage::kafka::RegistrationMessage;
use rdkafka::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{Headers, Message};
use serde_json::Value;

pub use crate::support::broker::TestBroker;

use crate::helpers::test_kafka_settings;

/// Settings for `broker` with topics no other test uses.
pub fn unique_kafka_settings(broker: &TestBroker) -> KafkaSettings {
    test_kafka_settings(
        &broker.brokers(),
        &uuid::Uuid::new_v4().simple().to_string(),
    )
}

/// A started broker and settings with topics of their own.
pub async fn started_broker() -> (TestBroker, KafkaSettings) {
    let broker = TestBroker::started().await;
    let kafka = unique_kafka_settings(&broker);
    (broker, kafka)
}

/// One consumed message.
#[derive(Debug)]
pub struct Record {
    pub key: String,
    pub payload: Vec<u8>,
    pub headers: Vec<(String, String)>,
}

impl Record {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.payload).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.payload)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// The value of header `key`; fails the test when it is missing.
    pub fn header(&self, key: &str) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {key} header in {:?}", self.headers))
    }
}

/// Reads `topic` from the beginning until `count` messages arrived or `timeout` passed.
pub async fn consume_records(
    brokers: &str,
    topic: &str,
    count: usize,
    timeout: Duration,
) -> Vec<Record> {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("test-{}", uuid::Uuid::new_v4()))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    consumer.subscribe(&[topic]).expect("subscribe");
    let mut received = Vec::new();
    let reading = async {
        while received.len() < count {
            match consumer.recv().await {
                Ok(message) => received.push(Record {
                    key: String::from_utf8_lossy(message.key().unwrap_or_default()).into_owned(),
                    payload: message.payload().unwrap_or_default().to_vec(),
                    headers: message
                        .headers()
                        .map(|headers| {
                            headers
                                .iter()
                                .map(|h| {
                                    let value =
                                        h.value.map(String::from_utf8_lossy).unwrap_or_default();
                                    (h.key.to_owned(), value.into_owned())
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                }),
                Err(error) => eprintln!("consumer: {error}"),
            }
        }
    };
    // Fewer than `count` when the time runs out: some tests show that no more come.
    let _ = tokio::time::timeout(timeout, reading).await;
    received
}

/// Registration requests on `topic`, as (key, message) pairs; see `consume_records`.
pub async fn consume(
    brokers: &str,
    topic: &str,
    count: usize,
    timeout: Duration,
) -> Vec<(String, RegistrationMessage)> {
    consume_records(brokers, topic, count, timeout)
        .await
        .into_iter()
        .map(|record| {
            let message = serde_json::from_slice(&record.payload).expect("JSON message");
            (record.key, message)
        })
        .collect()
}
