//! The gateway's Kafka consumer on the result topic: its own consumer group per gateway,
//! since every gateway needs every event; each event is handed to `results::deliver`.

use std::sync::Arc;

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use tokio_util::sync::CancellationToken;

use super::{StatusFeed, deliver};
use crate::cache::ReadCache;
use crate::config::KafkaSettings;
use crate::kafka::{self, ResultMessage};

pub struct ResultListener {
    consumer: StreamConsumer,
    settings: KafkaSettings,
    cache: Arc<ReadCache>,
    feed: StatusFeed,
}

impl ResultListener {
    pub fn new(
        settings: &KafkaSettings,
        cache: Arc<ReadCache>,
        feed: StatusFeed,
    ) -> Result<Self, KafkaError> {
        let group = format!("finstage-gateway-{}", uuid::Uuid::new_v4().simple());
        Ok(Self {
            // Only events from now on matter: a subscriber reads the current status from
            // the database first.
            consumer: kafka::consumer(settings, &group, 45_000, "latest")?,
            settings: settings.clone(),
            cache,
            feed,
        })
    }

    /// Listens until `shutdown`, once Kafka answers.
    pub async fn run(self, shutdown: CancellationToken) {
        if !kafka::ensure_topics_retrying(&self.settings, &shutdown).await {
            return;
        }
        if let Err(error) = self.consumer.subscribe(&[&self.settings.result_topic]) {
            tracing::error!(%error, "cannot subscribe to the result topic; live status is off");
            return;
        }
        loop {
            let received = tokio::select! {
                () = shutdown.cancelled() => return,
                received = self.consumer.recv() => received,
            };
            match received {
                Ok(message) => match message
                    .payload()
                    .map(serde_json::from_slice::<ResultMessage>)
                {
                    Some(Ok(result)) => deliver(&self.cache, &self.feed, result),
                    Some(Err(error)) => tracing::warn!(%error, "unreadable result message ignored"),
                    None => tracing::warn!("empty result message ignored"),
                },
                Err(error) => tracing::warn!(%error, "result listener error"),
            }
        }
    }
}
