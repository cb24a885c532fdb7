//! Ingestion workers. `ingest` handles one requested company (fetch → normalize → store, with
//! retries, through `registration::lifecycle`), whatever transport delivered the request:
//! - `finstage worker` (here): a Kafka consumer group on the request topic. Offsets are
//!   stored only after a message is fully handled (stored, dead-lettered or recognised as
//!   already done) or put back at the end of its partition (its company stayed locked, the
//!   database stayed down for longer than one message may be held, or the provider is down
//!   for everyone, see `breaker`): delivery is at
//!   least once, and handling is idempotent. Scale out by running more workers in the same
//!   group.
//! - `in_process`: `serve` claims requests from the outbox itself (one machine, no broker).

mod breaker;
mod in_process;
pub mod ingest;
mod messages;
mod retry;

use std::time::Duration;

use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::producer::FutureProducer;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

pub use in_process::InProcessWorker;

use crate::backoff::Backoff;
use crate::config::{IngestionSettings, WorkerSettings};
use crate::db::{Db, DbError, registrations};
use crate::ingestion::providers::ProviderConfigError;
use crate::kafka;
use ingest::{Handled, Ingestor, Outcomes};
use messages::{KafkaOutcomes, parse_request};

/// First pause before publishing a message again that Kafka refused.
const RETRY_FIRST: Duration = Duration::from_millis(500);

/// How long a stopping worker tries to commit and leave its group; a healthy broker takes
/// milliseconds, a dead one would hold the process for minutes.
const LEAVE_GROUP_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error(transparent)]
    Provider(#[from] ProviderConfigError),
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("kafka: {0}")]
    Kafka(#[from] KafkaError),
    #[error("cannot encode message: {0}")]
    Encode(#[from] serde_json::Error),
    #[error(
        "DATABASE_POOL_SIZE must be at least 2 for the worker: one connection holds the company's ingestion lock while another writes"
    )]
    PoolTooSmall,
    #[error(
        "WORKER_MAX_ATTEMPTS × PROVIDER_TIMEOUT_SECS plus the retry pauses (WORKER_RETRY_MAX_MS) and WORKER_LOCK_WAIT_SECS can hold one request for {worst_case_secs} s, beyond the {limit_secs} s Kafka allows a consumer per message (less a minute for storing); lower one of them"
    )]
    HandlingTooLong {
        worst_case_secs: u64,
        limit_secs: u64,
    },
}

impl From<diesel::result::Error> for WorkerError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Database(error.into())
    }
}

/// Refuses retry settings under which one request could outlast `max.poll.interval.ms`:
/// the group would then take the partition away mid-request and hand the message to another
/// worker while this one still holds it.
fn fits_poll_interval(settings: &IngestionSettings) -> Result<(), WorkerError> {
    let worst_case = settings.worst_case_try();
    if worst_case > ingest::HANDLING_DEADLINE {
        return Err(WorkerError::HandlingTooLong {
            worst_case_secs: worst_case.as_secs(),
            limit_secs: kafka::MAX_POLL_INTERVAL.as_secs(),
        });
    }
    Ok(())
}

pub struct Worker {
    ingestor: Ingestor,
    consumer: StreamConsumer,
    producer: FutureProducer,
    settings: WorkerSettings,
}

impl Worker {
    /// Checks the configuration (a provider missing its settings refuses to start) and
    /// connects lazily: nothing is contacted until `run`.
    pub fn build(settings: WorkerSettings) -> Result<Self, WorkerError> {
        fits_poll_interval(&settings.ingestion)?;
        let db = Db::new(&settings.database)?;
        Ok(Self {
            ingestor: Ingestor::new(db, settings.database.pool_size, settings.ingestion.clone())?,
            consumer: kafka::consumer(
                &settings.kafka,
                &settings.group_id,
                settings.session_timeout_ms,
                "earliest",
            )?,
            producer: kafka::producer(&settings.kafka)?,
            settings,
        })
    }

    /// Consumes until `shutdown` is cancelled; the message in hand is finished, or released
    /// when it is only waiting for a retry.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), WorkerError> {
        if kafka::ensure_topics_retrying(&self.settings.kafka, &shutdown).await {
            self.consume(&shutdown).await?;
        }
        self.stop().await;
        Ok(())
    }

    async fn consume(&self, shutdown: &CancellationToken) -> Result<(), WorkerError> {
        self.consumer
            .subscribe(&[&self.settings.kafka.request_topic])?;
        tracing::info!(
            topic = %self.settings.kafka.request_topic,
            group = %self.settings.group_id,
            "worker consuming"
        );
        loop {
            let received = tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                received = self.consumer.recv() => received,
            };
            let received_at = std::time::Instant::now();
            let message = match received {
                Ok(message) => message,
                Err(error) => {
                    tracing::warn!(%error, "kafka consumer error");
                    continue;
                }
            };
            let span = tracing::info_span!(
                "request_message",
                partition = message.partition(),
                offset = message.offset()
            );
            kafka::continue_trace(&span, &message);
            match self.handle(&message, shutdown).instrument(span).await {
                Handled::Done => self.store_offset(&message),
                Handled::Deferred => {
                    if !self.put_back(&message, shutdown).await {
                        return Ok(());
                    }
                    self.store_offset(&message);
                    // The provider or the database may be down for everyone: do not spin
                    // through the backlog, but poll again within the poll interval.
                    let left = ingest::HANDLING_DEADLINE.saturating_sub(received_at.elapsed());
                    let pause = self.ingestor.deferral_pause().min(left);
                    if !Backoff::sleep(pause, shutdown).await {
                        return Ok(());
                    }
                }
                Handled::Released => return Ok(()),
            }
        }
    }

    /// Tells the outbox the request is out again, so the relay does not re-drive a request
    /// that keeps coming round; the database may be what is down, so failing is fine.
    async fn note_republished(&self, message: &BorrowedMessage<'_>) {
        let Some(id) = parse_request(message.payload())
            .ok()
            .and_then(|request| request.request_id)
        else {
            return;
        };
        let noted = match self.ingestor.db().conn().await {
            Ok(mut conn) => registrations::republished(&mut conn, id)
                .await
                .map_err(DbError::from),
            Err(error) => Err(error),
        };
        if let Err(error) = noted {
            tracing::debug!(%error, request_id = id, "cannot note the request put back");
        }
    }

    fn store_offset(&self, message: &BorrowedMessage<'_>) {
        if let Err(error) = self.consumer.store_offset_from_message(message) {
            // The partition moved to another worker meanwhile; it will see the message
            // again and find it done.
            tracing::warn!(%error, "cannot store offset");
        }
    }

    /// Publishes the message again at the end of its partition (same key and headers, so
    /// its trace goes on), so the request comes round later instead of holding up the ones
    /// behind it; false on shutdown.
    async fn put_back(&self, message: &BorrowedMessage<'_>, shutdown: &CancellationToken) -> bool {
        let key = message
            .key()
            .map(String::from_utf8_lossy)
            .unwrap_or_default();
        let payload = message.payload().unwrap_or_default();
        let topic = &self.settings.kafka.request_topic;
        let published = Backoff::retry("put the request back", RETRY_FIRST, shutdown, || {
            let headers = message
                .headers()
                .map(|headers| headers.detach())
                .unwrap_or_default();
            kafka::publish_with_headers(&self.producer, topic, &key, payload, headers)
        })
        .await;
        if published.is_none() {
            return false;
        }
        tracing::info!(%key, "request put back behind the others");
        self.note_republished(message).await;
        true
    }

    async fn handle(&self, message: &BorrowedMessage<'_>, shutdown: &CancellationToken) -> Handled {
        let outcomes = KafkaOutcomes {
            producer: &self.producer,
            settings: &self.settings.kafka,
            message,
        };
        match parse_request(message.payload()) {
            Ok(request) => self.ingestor.handle(&request, &outcomes, shutdown).await,
            Err(reason) => {
                tracing::warn!(%reason, "poison message dead-lettered");
                let dead_lettered = Backoff::retry("dead-letter", RETRY_FIRST, shutdown, || {
                    outcomes.dead_letter(&reason, 0)
                })
                .await;
                match dead_lettered {
                    Some(()) => Handled::Done,
                    None => Handled::Released,
                }
            }
        }
    }

    /// Commits what was handled and leaves the group, so partitions move on at once. With
    /// the broker gone, librdkafka would block on this for minutes: it gets
    /// `LEAVE_GROUP_TIMEOUT`, on a blocking thread the process does not wait for (the
    /// offsets it could not commit are redelivered, and handling is idempotent).
    async fn stop(self) {
        let Self {
            consumer, producer, ..
        } = self;
        let leave = tokio::task::spawn_blocking(move || {
            match consumer.commit_consumer_state(CommitMode::Sync) {
                Ok(())
                | Err(KafkaError::ConsumerCommit(rdkafka::types::RDKafkaErrorCode::NoOffset)) => {}
                Err(error) => tracing::warn!(%error, "final commit failed"),
            }
            consumer.unsubscribe();
            drop(consumer);
            drop(producer);
        });
        match tokio::time::timeout(LEAVE_GROUP_TIMEOUT, leave).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(%error, "final commit aborted"),
            Err(_) => tracing::warn!("broker unreachable; stopping without leaving the group"),
        }
        tracing::info!("worker stopped");
    }
}
