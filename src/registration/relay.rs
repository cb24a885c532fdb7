//! The outbox relay, run inside `serve`: hands open registration requests to Kafka
//! (`KAFKA_REQUEST_TOPIC`, key = symbol) and marks them published only after the broker
//! acknowledged. Rows are claimed for a lease with `SELECT … FOR UPDATE SKIP LOCKED` in a
//! short transaction, so several gateways never publish the same row at once, and no database
//! lock is held while Kafka is slow or down (queries writing new requests never wait on it).
//! A crash between publish and mark republishes the row once its lease expires, and a
//! request published `OUTBOX_REDRIVE_AFTER_SECS` ago without an outcome (lost in Kafka, or
//! dropped with a dead worker) is published again: delivery is at least once, and consumers
//! deduplicate by `requestId`.

use std::time::Duration;

use rdkafka::error::KafkaError;
use rdkafka::producer::{FutureProducer, Producer};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::lifecycle;
use crate::backoff::Backoff;

use crate::config::KafkaSettings;
use crate::db::registrations::{self, RegistrationRecord};
use crate::db::{Db, DbError};
use crate::kafka::{self, RegistrationMessage};
use crate::telemetry::{metrics, traces};

/// Requests claimed per round trip.
const BATCH_SIZE: i64 = 100;
/// How long a claimed request is reserved for its relay: longer than a delivery can take.
const LEASE_SECS: i64 = 30;
/// Pause when the outbox is empty.
const IDLE_POLL: Duration = Duration::from_millis(200);

/// Why one request could not be published (it is retried on a later round).
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("kafka: {0}")]
    Kafka(#[from] KafkaError),
    #[error("cannot encode message: {0}")]
    Encode(#[from] serde_json::Error),
    /// The idempotent producer can no longer guarantee order or no duplicates; only a new
    /// producer can go on (the supervisor builds one).
    #[error("fatal producer error: {0}")]
    FatalProducer(String),
}

pub struct Relay {
    db: Db,
    producer: FutureProducer,
    settings: KafkaSettings,
}

/// What one relay round did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RelayRound {
    pub published: usize,
    pub failed: usize,
}

impl Relay {
    pub fn new(db: Db, settings: KafkaSettings) -> Result<Self, KafkaError> {
        Ok(Self {
            producer: kafka::producer(&settings)?,
            db,
            settings,
        })
    }

    /// Relays until `shutdown`, backing off (`Backoff`) while Kafka or MySQL is down; ends
    /// early only when its producer hit a fatal error.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), RelayError> {
        let mut backoff = Backoff::starting_at(IDLE_POLL);
        while kafka::ensure_topics_retrying(&self.settings, &shutdown).await {
            loop {
                let pause = match self.relay_round().await {
                    Ok(RelayRound {
                        published: 0,
                        failed: 0,
                    }) => {
                        backoff.reset();
                        IDLE_POLL
                    }
                    Ok(RelayRound { failed: 0, .. }) => {
                        backoff.reset();
                        Duration::ZERO
                    }
                    Ok(RelayRound { failed, .. }) => {
                        if let Some((_, reason)) = self.producer.client().fatal_error() {
                            return Err(RelayError::FatalProducer(reason));
                        }
                        let delay = backoff.next_delay();
                        tracing::warn!(
                            failed,
                            retry_in_ms = delay.as_millis(),
                            "some requests not published"
                        );
                        if !Backoff::sleep(delay, &shutdown).await {
                            return Ok(());
                        }
                        // The topics may be gone with the cluster: make sure of them again.
                        break;
                    }
                    Err(error) => {
                        let delay = backoff.next_delay();
                        tracing::warn!(%error, retry_in_ms = delay.as_millis(), "relay round failed");
                        delay
                    }
                };
                if !Backoff::sleep(pause, &shutdown).await {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// Claims a batch of unpublished requests, publishes them and marks the acknowledged ones.
    /// Requests that failed to publish are claimed again when their lease expires.
    #[tracing::instrument(name = "relay_round", level = "debug", skip_all)]
    pub async fn relay_round(&self) -> Result<RelayRound, DbError> {
        let mut conn = self.db.conn().await?;
        let lease = chrono::Duration::seconds(LEASE_SECS);
        let overdue_before = chrono::Utc::now().naive_utc()
            - chrono::Duration::seconds(
                i64::try_from(self.settings.redrive_after_secs).unwrap_or(i64::MAX),
            );
        let claimed =
            registrations::claim_due(&mut conn, BATCH_SIZE, lease, Some(overdue_before)).await?;
        let redriven = claimed.iter().filter(|r| r.published_at.is_some()).count();
        if redriven > 0 {
            tracing::warn!(
                redriven,
                "publishing again requests that have had no outcome"
            );
            metrics::registrations_redriven(redriven);
        }
        let mut round = RelayRound::default();
        let mut acknowledged = Vec::with_capacity(claimed.len());
        let mut unpublished = Vec::new();
        let sends = claimed.iter().map(|request| self.publish(request));
        for (request, sent) in claimed
            .iter()
            .zip(futures_util::future::join_all(sends).await)
        {
            match sent {
                Ok(()) => acknowledged.push(request.id),
                Err(error) => {
                    tracing::debug!(%error, symbol = %request.symbol, "publish failed");
                    unpublished.push(request.id);
                }
            }
        }
        if !acknowledged.is_empty() {
            lifecycle::published(&mut conn, &acknowledged).await?;
        }
        if !unpublished.is_empty() {
            registrations::release(&mut conn, &unpublished).await?;
        }
        round.published = acknowledged.len();
        round.failed = unpublished.len();
        metrics::registrations_published(round.published);
        metrics::outbox_backlog(registrations::count_unpublished(&mut conn).await?);
        Ok(round)
    }

    /// Publishes one request without marking it (the first half of a round), in a span that
    /// continues the trace of whoever asked for it.
    pub async fn publish(&self, request: &RegistrationRecord) -> Result<(), RelayError> {
        let span = tracing::info_span!(
            "publish_registration",
            symbol = %request.symbol,
            request_id = request.id
        );
        traces::continue_stored(&span, request.traceparent.as_deref());
        self.send(request).instrument(span).await
    }

    async fn send(&self, request: &RegistrationRecord) -> Result<(), RelayError> {
        let message = RegistrationMessage {
            symbol: request.symbol.clone(),
            request_id: Some(request.id.to_string()),
            requested_at: Some(request.requested_at.and_utc()),
        };
        let payload = serde_json::to_vec(&message)?;
        kafka::publish_with_headers(
            &self.producer,
            &self.settings.request_topic,
            &request.symbol,
            &payload,
            kafka::trace_headers(),
        )
        .await?;
        Ok(())
    }
}
