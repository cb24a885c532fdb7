//! Ingestion outcomes as a gateway receives them, whichever transport brought them (the
//! Kafka result topic, `listener`, or the in-process transport): each one drops the company
//! from the read cache, then reaches `StatusFeed`, the broadcast behind
//! `Subscription.companyStatus`, so a subscriber that re-queries sees the new data.

pub mod listener;

use tokio::sync::broadcast;

use crate::cache::ReadCache;
use crate::domain::{StatusEvent, Symbol};
use crate::kafka::ResultMessage;

/// Events kept for subscribers that fall behind; a slower one skips ahead and re-reads its
/// company's stored status instead (see `graphql::subscription`).
const FEED_CAPACITY: usize = 1024;

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

    fn publish(&self, event: StatusEvent) {
        // No subscriber is not an error: nobody is watching this company right now.
        let _ = self.sender.send(event);
    }
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
        at: result.completed_at,
    });
}
