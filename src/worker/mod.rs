//! `finstage worker`: the ingestion consumer. A Kafka consumer group on the request topic;
//! each message becomes fetch → normalize → store, with retries, a dead-letter topic and a
//! result event per outcome (see `ingest`). Offsets are committed only after a message is
//! fully handled (stored, dead-lettered or recognised as already done): delivery is at least
//! once, and handling is idempotent. Scale out by running more workers in the same group.

mod ingest;
mod retry;

use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::producer::FutureProducer;
use tokio_util::sync::CancellationToken;

use crate::config::WorkerSettings;
use crate::db::{Db, DbError};
use crate::ingestion::providers::{self, Provider, ProviderConfigError};
use crate::kafka;

/// Pause before retrying a message whose handling hit an infrastructure error.
const INFRA_RETRY_MIN: Duration = Duration::from_millis(500);
const INFRA_RETRY_MAX: Duration = Duration::from_secs(30);

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
}

impl From<diesel::result::Error> for WorkerError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Database(error.into())
    }
}

pub struct Worker {
    db: Db,
    consumer: Arc<StreamConsumer>,
    producer: FutureProducer,
    provider: Arc<dyn Provider>,
    settings: WorkerSettings,
}

/// How the handling of one message ended.
enum Handled {
    /// Stored, dead-lettered or already done: its offset may be committed.
    Done,
    /// Given back unfinished because the worker is stopping: another delivery will redo it.
    Released,
}

impl Worker {
    /// Checks the configuration (a provider missing its settings refuses to start) and
    /// connects lazily: nothing is contacted until `run`.
    pub fn build(settings: WorkerSettings) -> Result<Self, WorkerError> {
        if settings.database.pool_size < 2 {
            return Err(WorkerError::PoolTooSmall);
        }
        let provider = providers::from_settings(&settings.provider)?;
        Ok(Self {
            db: Db::new(&settings.database)?,
            consumer: Arc::new(kafka::consumer(
                &settings.kafka,
                &settings.group_id,
                settings.session_timeout_ms,
                "earliest",
            )?),
            producer: kafka::producer(&settings.kafka)?,
            provider,
            settings,
        })
    }

    /// Consumes until `shutdown` is cancelled; the message in hand is finished, or released
    /// when it is only waiting for a retry.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), WorkerError> {
        tokio::select! {
            () = shutdown.cancelled() => return Ok(()),
            () = kafka::ensure_topics_retrying(&self.settings.kafka) => {}
        }
        self.consumer
            .subscribe(&[&self.settings.kafka.request_topic])?;
        tracing::info!(
            topic = %self.settings.kafka.request_topic,
            group = %self.settings.group_id,
            "worker consuming"
        );
        loop {
            let received = tokio::select! {
                () = shutdown.cancelled() => break,
                received = self.consumer.recv() => received,
            };
            let message = match received {
                Ok(message) => message,
                Err(error) => {
                    tracing::warn!(%error, "kafka consumer error");
                    continue;
                }
            };
            match self.handle(&message, &shutdown).await {
                Handled::Done => {
                    if let Err(error) = self.consumer.store_offset_from_message(&message) {
                        // The partition moved to another worker meanwhile; it will see the
                        // message again and find it done.
                        tracing::warn!(%error, "cannot store offset");
                    }
                }
                Handled::Released => break,
            }
        }
        self.stop().await;
        Ok(())
    }

    /// Commits what was handled and leaves the group, so partitions move on at once.
    async fn stop(self) {
        let consumer = self.consumer.clone();
        let committed = tokio::task::spawn_blocking(move || {
            let committed = consumer.commit_consumer_state(CommitMode::Sync);
            consumer.unsubscribe();
            committed
        })
        .await;
        match committed {
            Ok(Ok(()))
            | Ok(Err(KafkaError::ConsumerCommit(rdkafka::types::RDKafkaErrorCode::NoOffset))) => {}
            Ok(Err(error)) => tracing::warn!(%error, "final commit failed"),
            Err(error) => tracing::warn!(%error, "final commit aborted"),
        }
        tracing::info!("worker stopped");
    }
}
