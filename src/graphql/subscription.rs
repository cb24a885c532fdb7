//! `Subscription.companyStatus`: a company's status, live, over graphql-ws (`/graphql/ws`).
//! The stream starts with the stored status (so an event that happened just before the
//! subscription is not missed), then follows the ingestion results this gateway receives.
//! Stored statuses are read through one process-wide `StoredStatuses` loader, so many
//! subscriptions arriving together (on one socket or many) cost one query.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, ResultExt, Subscription};
use futures_util::{Stream, StreamExt, stream};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use super::ApiError;
use crate::db::{Db, companies};
use crate::domain::{StatusEvent, Symbol};
use crate::results::StatusFeed;

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
        let stored = ctx.data::<StoredStatusLoader>()?.clone();
        // Subscribe before reading, so nothing falls between the read and the first event.
        let events = BroadcastStream::new(ctx.data::<StatusFeed>()?.subscribe());
        let current = stored.load_one(symbol.clone()).await.extend()?;
        let changes = events.filter_map(move |event| {
            let (stored, symbol) = (stored.clone(), symbol.clone());
            async move {
                match event {
                    Ok(event) => (event.symbol == symbol.as_str()).then_some(event),
                    // This subscriber fell behind and missed events, perhaps its company's:
                    // the stored status stands in for them.
                    Err(BroadcastStreamRecvError::Lagged(missed)) => {
                        tracing::warn!(missed, %symbol, "status subscriber lagged; re-reading");
                        stored.load_one(symbol).await.ok().flatten()
                    }
                }
            }
        });
        Ok(stream::iter(current).chain(changes))
    }
}

/// Shared by every subscription of the process; it caches nothing, it only batches.
pub type StoredStatusLoader = std::sync::Arc<DataLoader<StoredStatuses>>;

pub fn stored_status_loader(db: Db) -> StoredStatusLoader {
    std::sync::Arc::new(DataLoader::new(StoredStatuses(db), tokio::spawn))
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
                    at: record.updated_at.and_utc(),
                };
                Some((symbol, event))
            })
            .collect())
    }
}
