//! Registration: the service API that makes sure a company is being ingested. A company the
//! database lacks becomes a `PENDING` row plus one open request in the transactional outbox
//! (`registration_requests`), both written in one transaction, so a request is never lost
//! or duplicated and never waits on Kafka. Registrations that arrive together are written
//! in one transaction (`batches`). `lifecycle` owns every state change; `relay` hands open
//! requests to Kafka; `dlq` re-queues what was dead-lettered.

mod batches;
pub mod dlq;
pub mod lifecycle;
pub mod relay;

use std::collections::{HashMap, HashSet};

use crate::db::companies::{self, CompanyRecord};
use crate::db::{Db, DbError};
use crate::domain::{CompanyStatus, Symbol};
use crate::telemetry::metrics;

pub use batches::Registrations;

/// The result of registering symbols the database did not have.
#[derive(Debug, Default)]
pub struct Registered {
    /// Company rows now stored (new `PENDING` ones, or rows another request created).
    pub companies: HashMap<Symbol, CompanyRecord>,
    /// Symbols a loaded securities master does not list: nothing was queued for them.
    pub unknown: HashSet<Symbol>,
}

/// Makes sure a company is being ingested: registers it when absent, re-queues it when it
/// `FAILED` or was `NOT_FOUND`, and leaves it alone while `PENDING`, `IN_PROGRESS` or
/// `READY` (use [`refresh`] to re-ingest a ready company). `None` when the symbol is unknown.
pub async fn ensure_ingested(
    registrations: &Registrations,
    symbol: &Symbol,
) -> Result<Option<CompanyRecord>, DbError> {
    let mut conn = registrations.db().conn().await?;
    match companies::by_symbol(&mut conn, symbol).await? {
        None => {
            drop(conn);
            Ok(registrations
                .register(std::slice::from_ref(symbol))
                .await?
                .companies
                .remove(symbol))
        }
        Some(company)
            if matches!(
                company.status,
                CompanyStatus::Failed | CompanyStatus::NotFound
            ) =>
        {
            let (company, opened) = lifecycle::requeue(&mut conn, symbol).await?;
            metrics::registrations_requested(opened);
            Ok(Some(company))
        }
        Some(company) => Ok(Some(company)),
    }
}

/// Opens a request to re-ingest a stored company, keeping its status and data meanwhile.
/// `None` when the company is not stored.
pub async fn refresh(db: &Db, symbol: &Symbol) -> Result<Option<CompanyRecord>, DbError> {
    let mut conn = db.conn().await?;
    if companies::by_symbol(&mut conn, symbol).await?.is_none() {
        return Ok(None);
    }
    metrics::registrations_requested(lifecycle::refresh(&mut conn, symbol).await?);
    Ok(companies::by_symbol(&mut conn, symbol).await?)
}
