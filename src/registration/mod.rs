//! Registration: a company the database lacks becomes a `PENDING` row plus one open request
//! in the transactional outbox (`registration_requests`), both written in one transaction, so
//! a request is never lost or duplicated and never waits on Kafka. `relay` hands open
//! requests to Kafka.

pub mod relay;
pub mod results;

use std::collections::{HashMap, HashSet};

use diesel_async::{AsyncConnection, AsyncMysqlConnection};

use crate::db::companies::{self, CompanyRecord};
use crate::db::{Db, DbError, is_retryable, listings, registrations};
use crate::domain::{CompanyStatus, Symbol};

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
    let (listed, unknown, opened) = loop {
        let result = conn
            .transaction(async |conn| register_in_transaction(conn, symbols).await)
            .await;
        match result {
            Err(error) if attempt < MAX_ATTEMPTS && is_retryable(&error) => {
                tracing::debug!(%error, attempt, "registration transaction retried");
                attempt += 1;
            }
            result => break result?,
        }
    };
    metrics::counter!("finstage_registrations_requested_total").increment(opened as u64);
    // Read after commit: inside the transaction, a row another request committed meanwhile
    // is invisible to the snapshot even though the upsert found it.
    let mut registered = Registered {
        unknown: unknown.into_iter().collect(),
        ..Registered::default()
    };
    if !listed.is_empty() {
        for record in companies::by_symbols(&mut conn, &listed).await? {
            if let Ok(symbol) = Symbol::parse(&record.symbol) {
                registered.companies.insert(symbol, record);
            }
        }
    }
    Ok(registered)
}

/// Splits `symbols` into listed and unknown ones and, for the listed, writes the `PENDING`
/// companies and open requests; returns both lists and how many requests it opened.
async fn register_in_transaction(
    conn: &mut AsyncMysqlConnection,
    symbols: &[Symbol],
) -> diesel::QueryResult<(Vec<Symbol>, Vec<Symbol>, usize)> {
    let texts: Vec<&str> = symbols.iter().map(Symbol::as_str).collect();
    let (listed, unknown): (Vec<Symbol>, Vec<Symbol>) = match listings::known(conn, &texts).await? {
        None => (symbols.to_vec(), Vec::new()),
        Some(known) => symbols
            .iter()
            .cloned()
            .partition(|symbol| known.contains(symbol.as_str())),
    };
    let mut opened = 0;
    if !listed.is_empty() {
        companies::insert_pending(conn, &listed).await?;
        opened = registrations::open_for(conn, &listed).await?;
    }
    Ok((listed, unknown, opened))
}

/// Makes sure a company is being ingested: registers it when absent, re-queues it when it
/// `FAILED` or was `NOT_FOUND`, and leaves it alone while `PENDING`, `IN_PROGRESS` or
/// `READY` (use [`refresh`] to re-ingest a ready company). `None` when the symbol is unknown.
pub async fn request(db: &Db, symbol: &Symbol) -> Result<Option<CompanyRecord>, DbError> {
    let existing = {
        let mut conn = db.conn().await?;
        companies::by_symbols(&mut conn, std::slice::from_ref(symbol)).await?
    };
    match existing.into_iter().next() {
        None => Ok(register(db, std::slice::from_ref(symbol))
            .await?
            .companies
            .remove(symbol)),
        Some(company)
            if matches!(
                company.status,
                CompanyStatus::Failed | CompanyStatus::NotFound
            ) =>
        {
            requeue(db, symbol).await.map(Some)
        }
        Some(company) => Ok(Some(company)),
    }
}

/// Opens a request to re-ingest a stored company, keeping its status and data meanwhile.
/// `None` when the company is not stored.
pub async fn refresh(db: &Db, symbol: &Symbol) -> Result<Option<CompanyRecord>, DbError> {
    let mut conn = db.conn().await?;
    if companies::by_symbols(&mut conn, std::slice::from_ref(symbol))
        .await?
        .is_empty()
    {
        return Ok(None);
    }
    let opened = registrations::open_for(&mut conn, std::slice::from_ref(symbol)).await?;
    metrics::counter!("finstage_registrations_requested_total").increment(opened as u64);
    Ok(
        companies::by_symbols(&mut conn, std::slice::from_ref(symbol))
            .await?
            .into_iter()
            .next(),
    )
}

/// Puts a `FAILED` or `NOT_FOUND` company back to `PENDING` with a new open request.
async fn requeue(db: &Db, symbol: &Symbol) -> Result<CompanyRecord, DbError> {
    let mut conn = db.conn().await?;
    let record = conn
        .transaction(async |conn| {
            companies::set_status(conn, symbol, CompanyStatus::Pending, None).await?;
            let opened = registrations::open_for(conn, std::slice::from_ref(symbol)).await?;
            metrics::counter!("finstage_registrations_requested_total").increment(opened as u64);
            companies::by_symbols(conn, std::slice::from_ref(symbol))
                .await?
                .into_iter()
                .next()
                .ok_or(diesel::result::Error::NotFound)
        })
        .await?;
    Ok(record)
}
