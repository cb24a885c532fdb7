//! `Subscription.companyStatus`: a company's status, live, over graphql-ws (`/graphql/ws`).
//! The stream starts with the stored status (so an event that happened just before the
//! subscription is not missed), then follows the ingestion results this gateway receives.

use async_graphql::{Context, ResultExt, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt, stream};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use super::ApiError;
use crate::db::Db;
use crate::db::companies;
use crate::domain::{CompanyStatus, Symbol};
use crate::registration::results::{StatusEvent, StatusFeed};

/// A company's status at a moment. The stream's first event is the stored status (possibly
/// `PENDING` or `IN_PROGRESS`); the worker then announces each ingestion's outcome: `READY`,
/// `FAILED` or `NOT_FOUND`, and again on every re-ingestion.
#[derive(Debug, Clone, SimpleObject)]
pub struct CompanyStatusEvent {
    pub symbol: String,
    pub status: CompanyStatus,
    /// Why the company is `FAILED` or `NOT_FOUND`.
    pub status_reason: Option<String>,
    /// When the status was reached.
    pub at: DateTime<Utc>,
}

impl From<StatusEvent> for CompanyStatusEvent {
    fn from(event: StatusEvent) -> Self {
        Self {
            symbol: event.symbol.to_string(),
            status: event.status,
            status_reason: event.reason,
            at: event.at,
        }
    }
}

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
    ) -> async_graphql::Result<impl Stream<Item = CompanyStatusEvent> + use<>> {
        let symbol = Symbol::parse(&symbol).map_err(ApiError::from).extend()?;
        let db = ctx.data::<Db>()?.clone();
        // Subscribe before reading, so nothing falls between the read and the first event.
        let events = BroadcastStream::new(ctx.data::<StatusFeed>()?.subscribe());
        let current = stored_status(&db, &symbol).await.extend()?;
        let changes = events.filter_map(move |event| {
            let (db, symbol) = (db.clone(), symbol.clone());
            async move {
                match event {
                    Ok(event) => (event.symbol == symbol).then(|| event.into()),
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
async fn stored_status(db: &Db, symbol: &Symbol) -> Result<Option<CompanyStatusEvent>, ApiError> {
    let mut conn = db.conn().await?;
    let stored = companies::by_symbols(&mut conn, std::slice::from_ref(symbol)).await?;
    Ok(stored.into_iter().next().map(|record| CompanyStatusEvent {
        symbol: symbol.to_string(),
        status: record.status,
        status_reason: record.status_reason,
        at: record.updated_at.and_utc(),
    }))
}
