//! `finstage dlq replay`: a new attempt for the requests on the dead-letter topic. It reads
//! the topic from its beginning to its end (no consumer group, nothing committed) and
//! re-queues, through the outbox like `requestRegistration`, each company that is still
//! `FAILED`. A company that is on its way again, `READY` or unknown is left alone, so running
//! it twice queues nothing twice.

use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

use super::lifecycle;
use crate::config::KafkaSettings;
use crate::db::{Db, DbError, companies};
use crate::domain::{CompanyStatus, Symbol};
use crate::telemetry::metrics;

/// How long to wait for the broker's answers while reading the topic.
const BROKER_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("kafka: {0}")]
    Kafka(#[from] KafkaError),
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("the dead-letter reader stopped: {0}")]
    Reader(String),
}

impl From<diesel::result::Error> for ReplayError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Database(error.into())
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct ReplaySummary {
    /// Dead letters read (of every symbol).
    pub letters: usize,
    /// Companies queued again.
    pub requeued: Vec<Symbol>,
    /// Companies with dead letters left alone: not `FAILED` any more, or not stored.
    pub skipped: Vec<Symbol>,
}

impl fmt::Display for ReplaySummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |symbols: &[Symbol]| {
            symbols
                .iter()
                .map(Symbol::as_str)
                .collect::<Vec<_>>()
                .join(",")
        };
        write!(
            f,
            "dead letters: {}; requeued: {} [{}]; left alone: {} [{}]",
            self.letters,
            self.requeued.len(),
            list(&self.requeued),
            self.skipped.len(),
            list(&self.skipped)
        )
    }
}

/// Re-queues the `FAILED` companies of the dead letters (only `only`'s, when given).
pub async fn replay(
    db: &Db,
    kafka: &KafkaSettings,
    only: Option<&Symbol>,
) -> Result<ReplaySummary, ReplayError> {
    let (letters, symbols) = {
        let settings = kafka.clone();
        // librdkafka's polling blocks; it gets a thread of its own.
        tokio::task::spawn_blocking(move || dead_letter_symbols(&settings))
            .await
            .map_err(|e| ReplayError::Reader(e.to_string()))??
    };
    let mut summary = ReplaySummary {
        letters,
        ..ReplaySummary::default()
    };
    let mut conn = db.conn().await?;
    for symbol in symbols.into_iter().filter(|s| only.is_none_or(|o| o == s)) {
        let failed = companies::by_symbol(&mut conn, &symbol)
            .await?
            .is_some_and(|company| company.status == CompanyStatus::Failed);
        if failed {
            let (_, opened) = lifecycle::requeue(&mut conn, &symbol).await?;
            metrics::registrations_requested(opened);
            summary.requeued.push(symbol);
        } else {
            summary.skipped.push(symbol);
        }
    }
    Ok(summary)
}

/// Every message on the dead-letter topic, read to its end: how many, and their symbols.
fn dead_letter_symbols(kafka: &KafkaSettings) -> Result<(usize, BTreeSet<Symbol>), KafkaError> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &kafka.brokers)
        .set("group.id", "finstage-dlq-replay")
        .set("enable.auto.commit", "false")
        .create()?;
    let metadata = consumer.fetch_metadata(Some(&kafka.dlq_topic), BROKER_TIMEOUT)?;
    let mut assignment = TopicPartitionList::new();
    let mut remaining = 0usize;
    for topic in metadata.topics() {
        for partition in topic.partitions() {
            let (low, high) =
                consumer.fetch_watermarks(&kafka.dlq_topic, partition.id(), BROKER_TIMEOUT)?;
            if high > low {
                assignment.add_partition_offset(
                    &kafka.dlq_topic,
                    partition.id(),
                    Offset::Offset(low),
                )?;
                remaining += usize::try_from(high - low).unwrap_or(0);
            }
        }
    }
    let mut symbols = BTreeSet::new();
    let mut letters = 0;
    if remaining == 0 {
        return Ok((letters, symbols));
    }
    consumer.assign(&assignment)?;
    while letters < remaining {
        let Some(message) = consumer.poll(BROKER_TIMEOUT) else {
            // The watermarks counted messages the broker no longer serves (compaction).
            break;
        };
        let message = message?;
        letters += 1;
        let symbol = message
            .key()
            .and_then(|key| std::str::from_utf8(key).ok())
            .and_then(|key| Symbol::parse(key).ok());
        if let Some(symbol) = symbol {
            symbols.insert(symbol);
        }
    }
    Ok((letters, symbols))
}
