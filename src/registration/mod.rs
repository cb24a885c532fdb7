//! Registration: the service API that makes sure a company is being ingested. A company the
//! database lacks becomes a `PENDING` row plus one open request in the transactional outbox
//! (`registration_requests`), both written in one transaction, so a request is never lost
//! or duplicated and never waits on Kafka. `lifecycle` owns every state change; `relay`
//! hands open requests to Kafka.

pub mod lifecycle;
pub mod relay;

use std::collections::{HashMap, HashSet};

use diesel_async::AsyncConnection;

use crate::db::companies::{self, CompanyRecord};
use crate::db::{Db, DbError, is_retryable};
use crate::domain::{CompanyStatus, Symbol};
use crate::telemetry::metrics;

/// Attempts for a registration transaction that hits an InnoDB deadlock.
const MAX_ATTEMPTS: u32 = 5;

/// The result of registering symbols the database did not have.
#[derive(Debug, Default)]
pub struct Registered {
    /// Company rows now stored (new `PENDING` ones, or rows another request created).
    pub companies: HashMap<Symbol, CompanyRecord>,
    /// Symbols a loaded securities master does not list: nothing was queued for them.
    pub unknown: HashSet<Symbol>,
}

/// Registers `symbols` (assumed absent from `companies`): each gets a `PENDING` company and an
/// open request, unless a loaded securities master does not list it.
#[tracing::instrument(skip_all, fields(count = symbols.len()))]
pub async fn register(db: &Db, symbols: &[Symbol]) -> Result<Registered, DbError> {
    let mut conn = db.conn().await?;
    let mut attempt = 1;
    let registered = loop {
        let result = conn
            .transaction(async |conn| lifecycle::register(conn, symbols).await)
            .await;
        match result {
            Err(error) if attempt < MAX_ATTEMPTS && is_retryable(&error) => {
                tracing::debug!(%error, attempt, "registration transaction retried");
                attempt += 1;
            }
            result => break result?,
        }
    };
    metrics::registrations_requested(registered.opened);
    // Read after commit: inside the transaction, a row another request committed meanwhile
    // is invisible to the snapshot even though the upsert found it.
    let mut companies_now = HashMap::new();
    if !registered.listed.is_empty() {
        for record in companies::by_symbols(&mut conn, &registered.listed).await? {
            if let Ok(symbol) = Symbol::parse(&record.symbol) {
                companies_now.insert(symbol, record);
            }
        }
    }
    Ok(Registered {
        companies: companies_now,
        unknown: registered.unknown.into_iter().collect(),
    })
}

/// Makes sure a company is being ingested: registers it when absent, re-queues it when it
/// `FAILED` or was `NOT_FOUND`, and leaves it alone while `PENDING`, `IN_PROGRESS` or
/// `READY` (use [`refresh`] to re-ingest a ready company). `None` when the symbol is unknown.
pub async fn ensure_ingested(db: &Db, symbol: &Symbol) -> Result<Option<CompanyRecord>, DbError> {
    let mut conn = db.conn().await?;
    match companies::by_symbol(&mut conn, symbol).await? {
        None => {
            drop(conn);
            Ok(register(db, std::slice::from_ref(symbol))
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
