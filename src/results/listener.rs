//! The gateway's Kafka consumer on the result topic: its own consumer group per gateway,
//! since every gateway needs every event; each event is handed to `results::deliver`.
//!
//! The group reads from the latest offset and commits nothing, so whenever the consumer is
//! given its partitions (at start, and again after a rebalance, a lost session or a broker
//! restart) events published while it had none may be gone. It cannot know, so on every
//! assignment it `resync`s: the whole cache is dropped and subscribers re-read stored
//! statuses. If it cannot subscribe, it ends with the error and its supervisor starts it
//! again.

use std::sync::Arc;

use rdkafka::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use tokio_util::sync::CancellationToken;

use super::{StatusFeed, deliver, resync};
use crate::cache::ReadCache;
use crate::config::KafkaSettings;
use crate::kafka::{self, ResultMessage};

pub struct ResultListener {
    consumer: StreamConsumer<ResyncOnAssignment>,
    settings: KafkaSettings,
    cache: Arc<ReadCache>,
    feed: StatusFeed,
}

/// Runs on the consumer's thread at each rebalance.
pub struct ResyncOnAssignment {
    cache: Arc<ReadCache>,
    feed: StatusFeed,
}

impl ClientContext for ResyncOnAssignment {}

impl ConsumerContext for ResyncOnAssignment {
    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(partitions) = rebalance {
            tracing::info!(
                partitions = partitions.count(),
                "result partitions assigned; dropping the read cache and re-reading statuses"
            );
            resync(&self.cache, &self.feed);
        }
    }
}

impl ResultListener {
    pub fn new(
        settings: &KafkaSettings,
        cache: Arc<ReadCache>,
        feed: StatusFeed,
    ) -> Result<Self, KafkaError> {
        let group = format!("finstage-gateway-{}", uuid::Uuid::new_v4().simple());
        let context = ResyncOnAssignment {
            cache: Arc::clone(&cache),
            feed: feed.clone(),
        };
        Ok(Self {
            consumer: kafka::consumer_with_context(settings, &group, 45_000, "latest", context)?,
            settings: settings.clone(),
            cache,
            feed,
        })
    }

    /// Listens until `shutdown`, once Kafka answers; ends early only if it cannot subscribe.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), KafkaError> {
        if !kafka::ensure_topics_retrying(&self.settings, &shutdown).await {
            return Ok(());
        }
        self.consumer.subscribe(&[&self.settings.result_topic])?;
        loop {
            let received = tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                received = self.consumer.recv() => received,
            };
            match received {
                Ok(message) => match message
                    .payload()
                    .map(serde_json::from_slice::<ResultMessage>)
                {
                    Some(Ok(result)) => {
                        let span = tracing::info_span!("deliver_result", symbol = %result.symbol);
                        kafka::continue_trace(&span, &message);
                        span.in_scope(|| deliver(&self.cache, &self.feed, result));
                    }
                    Some(Err(error)) => tracing::warn!(%error, "unreadable result message ignored"),
                    None => tracing::warn!("empty result message ignored"),
                },
                Err(error) => tracing::warn!(%error, "result listener error"),
            }
        }
    }
}
