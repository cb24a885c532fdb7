//! The gateway's side of ingestion results: a Kafka consumer on the result topic (its own
//! consumer group per gateway, since every gateway needs every event) that drops the
//! company from the read cache, then feeds `StatusFeed`, the in-process broadcast behind
//! `Subscription.companyStatus` (so a subscriber that re-queries sees the new data).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use tokio::sync::broadcast;

use crate::cache::ReadCache;
use crate::config::KafkaSettings;
use crate::db::{Db, companies};
use crate::domain::{CompanyStatus, Symbol};
use crate::kafka::{self, ResultMessage};

/// Events kept for subscribers that fall behind; a slower one skips ahead and re-reads its
/// company's stored status instead (see `graphql::subscription`).
const FEED_CAPACITY: usize = 1024;

/// A company's status changed.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusEvent {
    pub symbol: Symbol,
    pub status: CompanyStatus,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

/// Fans status events out to every subscriber in this process. Cheap to clone.
#[derive(Clone)]
pub struct StatusFeed {
    sender: broadcast::Sender<StatusEvent>,
}

impl Default for StatusFeed {
    fn default() -> Self {
        Self {
            sender: broadcast::Sender::new(FEED_CAPACITY),
        }
    }
}

impl StatusFeed {
    pub fn subscribe(&self) -> broadcast::Receiver<StatusEvent> {
        self.sender.subscribe()
    }

    pub fn publish(&self, event: StatusEvent) {
        // No subscriber is not an error: nobody is watching this company right now.
        let _ = self.sender.send(event);
    }
}

pub struct ResultListener {
    consumer: StreamConsumer,
    settings: KafkaSettings,
    db: Db,
    cache: Arc<ReadCache>,
    feed: StatusFeed,
}

impl ResultListener {
    pub fn new(
        settings: &KafkaSettings,
        db: Db,
        cache: Arc<ReadCache>,
        feed: StatusFeed,
    ) -> Result<Self, KafkaError> {
        let group = format!("finstage-gateway-{}", uuid::Uuid::new_v4().simple());
        Ok(Self {
            // Only events from now on matter: a subscriber reads the current status from
            // the database first.
            consumer: kafka::consumer(settings, &group, 45_000, "latest")?,
            settings: settings.clone(),
            db,
            cache,
            feed,
        })
    }

    /// Listens forever, once Kafka answers.
    pub async fn run(self) {
        kafka::ensure_topics_retrying(&self.settings).await;
        if let Err(error) = self.consumer.subscribe(&[&self.settings.result_topic]) {
            tracing::error!(%error, "cannot subscribe to the result topic; live status is off");
            return;
        }
        loop {
            match self.consumer.recv().await {
                Ok(message) => match message
                    .payload()
                    .map(serde_json::from_slice::<ResultMessage>)
                {
                    Some(Ok(result)) => self.deliver(result).await,
                    Some(Err(error)) => tracing::warn!(%error, "unreadable result message ignored"),
                    None => tracing::warn!("empty result message ignored"),
                },
                Err(error) => tracing::warn!(%error, "result listener error"),
            }
        }
    }

    async fn deliver(&self, result: ResultMessage) {
        let Ok(symbol) = Symbol::parse(&result.symbol) else {
            tracing::warn!(symbol = %result.symbol, "result for an invalid symbol ignored");
            return;
        };
        self.cache
            .invalidate(&symbol, self.company_id(&symbol).await);
        tracing::debug!(%symbol, status = <&str>::from(result.status), "ingestion result");
        self.feed.publish(StatusEvent {
            symbol,
            status: result.status,
            reason: result.reason,
            at: result.completed_at,
        });
    }

    /// The company's id, to drop its cached statements; `None` if it cannot be looked up.
    async fn company_id(&self, symbol: &Symbol) -> Option<i64> {
        let mut conn = self.db.conn().await.ok()?;
        let records = companies::by_symbols(&mut conn, std::slice::from_ref(symbol))
            .await
            .ok()?;
        records.first().map(|record| record.id)
    }
}
