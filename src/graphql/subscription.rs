//! `Subscription.companyStatus`: a company's status, live, over graphql-ws (`/graphql/ws`).
//! The stream starts with the stored status (so an event that happened just before the
//! subscription is not missed), then follows the ingestion results this gateway receives.
//! Where those may have been missed, the stored status stands in: after the subscriber fell
//! behind the feed, after the result listener was reassigned (`FeedEvent::Resync`), and every
//! `WS_STATUS_RECHECK_SECS` while the company is still on its way; a re-read is sent only
//! when it differs from what the subscriber last got. Stored statuses are read through one
//! process-wide `StoredStatuses` loader, so many subscriptions arriving together (on one
//! socket or many) cost one query.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, ResultExt, Subscription};
use futures_util::{Stream, StreamExt, stream};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::time::{Instant, Interval, MissedTickBehavior};

use super::ApiError;
use crate::db::{Db, companies};
use crate::domain::{CompanyStatus, StatusEvent, Symbol};
use crate::results::{FeedEvent, StatusFeed};

#[derive(Default)]
pub struct Subscription;

#[Subscription]
impl Subscription {
    /// The company's status now (when it is stored), then each change. Subscribing does not
    /// register a company: query it (or `requestRegistration`) for that.
    async fn company_status(
        &self,
        ctx: &Context<'_>,
        symbol: String,
    ) -> async_graphql::Result<impl Stream<Item = StatusEvent> + use<>> {
        let symbol = Symbol::parse(&symbol).map_err(ApiError::from).extend()?;
        let watch = ctx.data::<StatusWatch>()?.clone();
        // Subscribe before reading, so nothing falls between the read and the first event.
        let events = ctx.data::<StatusFeed>()?.subscribe();
        let current = watch.stored.load_one(symbol.clone()).await.extend()?;
        let watching = Watching {
            recheck: watch.interval(),
            watch,
            symbol,
            events,
            last: current.clone(),
            last_from_store: true,
        };
        Ok(stream::iter(current).chain(stream::unfold(watching, Watching::next)))
    }
}

/// How subscriptions read stored statuses; schema data, shared by every subscription.
#[derive(Clone)]
pub struct StatusWatch {
    /// Caches nothing, it only batches.
    stored: Arc<DataLoader<StoredStatuses>>,
    recheck: Duration,
}

impl StatusWatch {
    pub fn new(db: Db, recheck: Duration) -> Self {
        Self {
            stored: Arc::new(DataLoader::new(StoredStatuses(db), tokio::spawn)),
            recheck,
        }
    }

    fn interval(&self) -> Interval {
        let mut interval = tokio::time::interval_at(Instant::now() + self.recheck, self.recheck);
        interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
        interval
    }
}

/// One subscription's state between events.
struct Watching {
    watch: StatusWatch,
    symbol: Symbol,
    events: broadcast::Receiver<FeedEvent>,
    recheck: Interval,
    /// What the subscriber last got.
    last: Option<StatusEvent>,
    /// Whether `last` was read from the database: only then does a different `at` in a
    /// re-read mean a re-ingestion (a worker's event carries its own clock's time).
    last_from_store: bool,
}

impl Watching {
    async fn next(mut self) -> Option<(StatusEvent, Self)> {
        loop {
            let waiting = self.last.as_ref().is_none_or(|event| {
                matches!(
                    event.status,
                    CompanyStatus::Pending | CompanyStatus::InProgress
                )
            });
            let reread = tokio::select! {
                received = self.events.recv() => match received {
                    Ok(FeedEvent::Status(event)) if event.symbol == self.symbol.as_str() => {
                        self.last = Some(event.clone());
                        self.last_from_store = false;
                        return Some((event, self));
                    }
                    Ok(FeedEvent::Status(_)) => false,
                    Ok(FeedEvent::Resync) => true,
                    // This subscriber fell behind and missed events, perhaps its company's.
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, symbol = %self.symbol, "status subscriber lagged; re-reading");
                        true
                    }
                    Err(RecvError::Closed) => return None,
                },
                _ = self.recheck.tick(), if waiting => true,
            };
            if !reread {
                continue;
            }
            let Ok(Some(stored)) = self.watch.stored.load_one(self.symbol.clone()).await else {
                continue;
            };
            // A new `at` with the same stored status is a re-ingestion the subscriber did not
            // hear of.
            let from_store = self.last_from_store;
            if self.last.as_ref().is_none_or(|last| {
                last.status != stored.status
                    || last.status_reason != stored.status_reason
                    || (from_store && last.at != stored.at)
            }) {
                self.last = Some(stored.clone());
                self.last_from_store = true;
                return Some((stored, self));
            }
        }
    }
}

/// Companies' statuses as stored.
pub struct StoredStatuses(Db);

impl Loader<Symbol> for StoredStatuses {
    type Value = StatusEvent;
    type Error = ApiError;

    async fn load(&self, symbols: &[Symbol]) -> Result<HashMap<Symbol, StatusEvent>, ApiError> {
        let mut conn = self.0.conn().await?;
        let stored = companies::by_symbols(&mut conn, symbols).await?;
        Ok(stored
            .into_iter()
            .filter_map(|record| {
                let symbol = Symbol::parse(&record.symbol).ok()?;
                let event = StatusEvent {
                    symbol: record.symbol,
                    status: record.status,
                    status_reason: record.status_reason,
                    at: record.updated_at.and_utc().into(),
                };
                Some((symbol, event))
            })
            .collect())
    }
}
