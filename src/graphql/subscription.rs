//! `Subscription.companyStatus`: a company's status, live, over graphql-ws (`/graphql/ws`).
//! The stream starts with the stored status (so an event that happened just before the
//! subscription is not missed), then follows the ingestion results this gateway receives.

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
        let db = ctx.data::<Db>()?.clone();
        // Subscribe before reading, so nothing falls between the read and the first event.
        let events = BroadcastStream::new(ctx.data::<StatusFeed>()?.subscribe());
        let current = stored_status(&db, &symbol).await.extend()?;
        let changes = events.filter_map(move |event| {
            let (db, symbol) = (db.clone(), symbol.clone());
            async move {
                match event {
                    Ok(event) => (event.symbol == symbol.as_str()).then_some(event),
                    // This subscriber fell behind and missed events, perhaps its company's:
                    // the stored status stands in for them.
                    Err(BroadcastStreamRecvError::Lagged(missed)) => {
                        tracing::warn!(missed, %symbol, "status subscriber lagged; re-reading");
                        stored_status(&db, &symbol).await.ok().flatten()
                    }
                }
            }
        });
        Ok(stream::iter(current).chain(changes))
    }
}

/// The company's status as stored, if it is stored.
async fn stored_status(db: &Db, symbol: &Symbol) -> Result<Option<StatusEvent>, ApiError> {
    let mut conn = db.conn().await?;
    let stored = companies::by_symbol(&mut conn, symbol).await?;
    Ok(stored.map(|record| StatusEvent {
        symbol: symbol.to_string(),
        status: record.status,
        status_reason: record.status_reason,
        at: record.updated_at.and_utc(),
    }))
}
