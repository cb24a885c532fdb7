//! Ingestion outcomes as a gateway receives them, whichever transport brought them (the
//! Kafka result topic, `listener`, or the in-process transport): each one drops the company
//! from the read cache, then reaches `StatusFeed`, the broadcast behind
//! `Subscription.companyStatus`, so a subscriber that re-queries sees the new data. When the
//! gateway may have missed outcomes (the listener was given its partitions anew), `resync`
//! drops the whole cache and has every subscriber re-read its company's stored status.

pub mod listener;

use tokio::sync::broadcast;

use crate::cache::ReadCache;
use crate::domain::{StatusEvent, Symbol};
use crate::kafka::ResultMessage;

/// Events kept for subscribers that fall behind; a slower one skips ahead and re-reads its
/// company's stored status instead (see `graphql::subscription`).
const FEED_CAPACITY: usize = 1024;

/// What the feed carries to subscribers.
#[derive(Clone, Debug)]
pub enum FeedEvent {
    /// A company's ingestion outcome.
    Status(StatusEvent),
    /// Outcomes may have been missed: re-read the stored status.
    Resync,
}

/// Fans status events out to every subscriber in this process. Cheap to clone.
#[derive(Clone)]
pub struct StatusFeed {
    sender: broadcast::Sender<FeedEvent>,
}

impl Default for StatusFeed {
    fn default() -> Self {
        Self {
            sender: broadcast::Sender::new(FEED_CAPACITY),
        }
    }
}

impl StatusFeed {
    pub fn subscribe(&self) -> broadcast::Receiver<FeedEvent> {
        self.sender.subscribe()
    }

    fn publish(&self, event: StatusEvent) {
        // No subscriber is not an error: nobody is watching this company right now.
        let _ = self.sender.send(FeedEvent::Status(event));
    }
}

/// This gateway may have missed outcomes: nothing it has cached can be trusted, and every
/// subscriber re-reads its company's stored status.
pub fn resync(cache: &ReadCache, feed: &StatusFeed) {
    cache.invalidate_all();
    let _ = feed.sender.send(FeedEvent::Resync);
}

/// Applies one ingestion outcome to this gateway: forget what the cache holds of the
/// company, then announce its new status.
pub fn deliver(cache: &ReadCache, feed: &StatusFeed, result: ResultMessage) {
    let Ok(symbol) = Symbol::parse(&result.symbol) else {
        tracing::warn!(symbol = %result.symbol, "result for an invalid symbol ignored");
        return;
    };
    // Events from workers that predate `companyId` drop every company's statements.
    cache.invalidate(&symbol, result.company_id);
    tracing::debug!(%symbol, status = <&str>::from(result.status), "ingestion result");
    feed.publish(StatusEvent {
        symbol: symbol.to_string(),
        status: result.status,
        status_reason: result.reason,
        at: result.completed_at.into(),
    });
}
