//! The company and registration-request lifecycle: the only code that moves a company or a
//! request from one state to another. Each transition is one function, run in one
//! transaction where it touches both rows.
//!
//! ```text
//! company:  (absent) ─register─▶ PENDING ─begin─▶ IN_PROGRESS ─finish─▶ READY | FAILED | NOT_FOUND
//!           FAILED | NOT_FOUND ─requeue─▶ PENDING          IN_PROGRESS ─give_back─▶ PENDING
//!           READY stays READY through a refresh: begin, finish and give_back leave it alone,
//!           and a failed refresh is recorded on the request and the result event only.
//! request:  QUEUED ─published─▶ PUBLISHED ─begin─▶ IN_PROGRESS ─finish─▶ COMPLETED | FAILED
//!           IN_PROGRESS ─give_back─▶ PUBLISHED (the next delivery takes it up again)
//! ```
//!
//! Invariants: a symbol has at most one open (not completed) request; a company becomes
//! `READY` only in the transaction that stores its statements (which also completes the
//! ingestion's request; `finstage import` stores without one); a worker completes a request
//! in the transaction that gives the company its final status, so nobody sees a company
//! finished by a worker with its request still open.

use std::collections::HashMap;

use diesel::QueryResult;
use diesel_async::{AsyncConnection, AsyncMysqlConnection};

use crate::db::companies::{self, CompanyProfile, CompanyRecord};
use crate::db::registrations::{self, NewRequest, RegistrationRecord};
use crate::db::statements::StatementKind;
use crate::db::{DbError, is_data_error, listings};
use crate::domain::NormalizedCompany;
use crate::domain::{
    BalanceSheetItems, CashFlowItems, CompanyStatus, IncomeStatementItems, RegistrationState,
    Symbol,
};
use crate::telemetry::traces;

/// Symbols split by the securities master, and how many new requests were opened.
pub struct Registered {
    pub listed: Vec<Symbol>,
    pub unknown: Vec<Symbol>,
    pub opened: usize,
}

/// (absent) → `PENDING` with a `QUEUED` request, for each symbol a loaded securities master
/// lists (all of them when none is loaded); each request carries the trace in
/// `traceparents` of whoever asked for its symbol. Rows that exist already are left as they
/// are, so concurrent registrations of one symbol collapse into one open request. Run it in
/// a transaction.
pub async fn register(
    conn: &mut AsyncMysqlConnection,
    symbols: &[Symbol],
    traceparents: &HashMap<Symbol, String>,
) -> QueryResult<Registered> {
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
        let requests: Vec<NewRequest<'_>> = listed
            .iter()
            .map(|symbol| NewRequest {
                symbol,
                traceparent: traceparents.get(symbol).map(String::as_str),
            })
            .collect();
        opened = registrations::open_for(conn, &requests).await?;
    }
    Ok(Registered {
        listed,
        unknown,
        opened,
    })
}

/// `FAILED` | `NOT_FOUND` → `PENDING` with a new `QUEUED` request, which carries the
/// current span's trace; returns the company and how many requests were opened (0 when one
/// was open already).
pub async fn requeue(
    conn: &mut AsyncMysqlConnection,
    symbol: &Symbol,
) -> QueryResult<(CompanyRecord, usize)> {
    conn.transaction(async |conn| {
        companies::set_status(conn, symbol, CompanyStatus::Pending, None).await?;
        let opened = open_traced(conn, symbol).await?;
        let company = companies::by_symbol(conn, symbol)
            .await?
            .ok_or(diesel::result::Error::NotFound)?;
        Ok((company, opened))
    })
    .await
}

/// A `QUEUED` request, carrying the current span's trace, to re-ingest a stored company,
/// whose status stays as it is; returns
/// how many requests were opened. When one is open already and was handed to Kafka, it is
/// published again at once (it may be lost), so a refresh always leads to an attempt.
pub async fn refresh(conn: &mut AsyncMysqlConnection, symbol: &Symbol) -> QueryResult<usize> {
    let opened = open_traced(conn, symbol).await?;
    if opened == 0 && registrations::redrive_now(conn, symbol).await? {
        tracing::info!(%symbol, "refresh publishes the open request again");
    }
    Ok(opened)
}

async fn open_traced(conn: &mut AsyncMysqlConnection, symbol: &Symbol) -> QueryResult<usize> {
    let traceparent = traces::current_traceparent();
    let request = NewRequest {
        symbol,
        traceparent: traceparent.as_deref(),
    };
    registrations::open_for(conn, &[request]).await
}

/// `QUEUED` → `PUBLISHED`: the transport acknowledged these requests. A request a worker
/// took (or finished) meanwhile keeps its later state.
pub async fn published(conn: &mut AsyncMysqlConnection, ids: &[i64]) -> QueryResult<usize> {
    registrations::mark_published(conn, ids).await
}

/// An open request that cannot be ingested at all (a symbol that is not valid, written to
/// the outbox by hand) is closed `FAILED` with `reason`; the company is left as it is.
pub async fn reject(
    conn: &mut AsyncMysqlConnection,
    request: &RegistrationRecord,
    reason: &str,
) -> QueryResult<()> {
    registrations::complete(conn, request.id, RegistrationState::Failed, 0, Some(reason))
        .await
        .map(drop)
}

/// A worker takes up the company: `IN_PROGRESS` (created if absent, e.g. a request from the
/// earlier system), unless it is `READY`, which a refresh leaves serving its statements;
/// the request goes `IN_PROGRESS` with no attempts yet. Returns whether this is a refresh.
pub async fn begin(
    conn: &mut AsyncMysqlConnection,
    symbol: &Symbol,
    request: Option<&RegistrationRecord>,
) -> QueryResult<bool> {
    conn.transaction(async |conn| {
        let stored = companies::by_symbol(conn, symbol).await?;
        let refreshing = stored.map(|c| c.status) == Some(CompanyStatus::Ready);
        if !refreshing {
            companies::insert_pending(conn, std::slice::from_ref(symbol)).await?;
            companies::set_status(conn, symbol, CompanyStatus::InProgress, None).await?;
        }
        if let Some(request) = request {
            registrations::set_progress(conn, request.id, RegistrationState::InProgress, 0, None)
                .await?;
        }
        Ok(refreshing)
    })
    .await
}

/// A provider attempt failed and will be retried: the request stays `IN_PROGRESS` and
/// records the attempts so far and why the last one failed.
pub async fn record_attempt(
    conn: &mut AsyncMysqlConnection,
    request: &RegistrationRecord,
    attempts: u32,
    reason: &str,
) -> QueryResult<()> {
    registrations::set_progress(
        conn,
        request.id,
        RegistrationState::InProgress,
        attempts,
        Some(reason),
    )
    .await
    .map(drop)
}

/// The worker stops before finishing: the company goes back to `PENDING` (a refresh stays
/// `READY`) and the request to `PUBLISHED`, keeping its attempts and last error, so the next
/// delivery picks it up.
pub async fn give_back(
    conn: &mut AsyncMysqlConnection,
    symbol: &Symbol,
    request: Option<&RegistrationRecord>,
    refreshing: bool,
) -> QueryResult<()> {
    conn.transaction(async |conn| {
        if !refreshing {
            companies::set_status(conn, symbol, CompanyStatus::Pending, None).await?;
        }
        if let Some(request) = request {
            registrations::set_state(conn, request.id, RegistrationState::Published).await?;
        }
        Ok(())
    })
    .await
}

/// How an ingestion ended, before it is recorded.
pub enum Ending {
    Fetched(Box<NormalizedCompany>),
    NotFound(String),
    /// The provider's answer is unusable; retrying would not help.
    Invalid(String),
    /// Transient failures on every allowed attempt.
    GaveUp(String),
}

/// A recorded final outcome of one ingestion.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub company_id: Option<i64>,
    pub status: CompanyStatus,
    /// Why it is not `READY`, or (with `READY`) why a refresh failed.
    pub reason: Option<String>,
    pub request_state: RegistrationState,
}

impl Outcome {
    /// True when this ingestion stored the company.
    pub fn succeeded(&self) -> bool {
        self.status == CompanyStatus::Ready && self.reason.is_none()
    }
}

/// `IN_PROGRESS` → final. Fetched statements are stored with the company `READY` and the
/// request `COMPLETED`, in one transaction; a row the database refuses (a value out of
/// range) fails the company instead. Otherwise the company becomes `NOT_FOUND` or `FAILED`
/// (a refresh stays `READY`, the reason going on the request) and the request closes.
/// Other database errors are returned for the caller to retry: nothing was written.
pub async fn finish(
    conn: &mut AsyncMysqlConnection,
    symbol: &Symbol,
    request: Option<&RegistrationRecord>,
    refreshing: bool,
    ending: Ending,
    attempts: u32,
) -> Result<Outcome, DbError> {
    let unstored = match ending {
        Ending::Fetched(company) => match store(conn, symbol, &company, request, attempts).await {
            Ok(id) => {
                return Ok(Outcome {
                    company_id: Some(id),
                    status: CompanyStatus::Ready,
                    reason: None,
                    request_state: RegistrationState::Completed,
                });
            }
            Err(DbError::Query(error)) if is_data_error(&error) => {
                failed(format!("cannot store the statements: {error}"))
            }
            Err(error) => return Err(error),
        },
        Ending::NotFound(reason) => (
            CompanyStatus::NotFound,
            reason,
            RegistrationState::Completed,
        ),
        Ending::Invalid(reason) => failed(reason),
        Ending::GaveUp(reason) => failed(format!("gave up after {attempts} attempts: {reason}")),
    };
    let (status, reason, request_state) = if refreshing {
        (
            CompanyStatus::Ready,
            format!("refresh failed, earlier statements kept: {}", unstored.1),
            unstored.2,
        )
    } else {
        unstored
    };
    let company_id = conn
        .transaction(async |conn| {
            if !refreshing {
                companies::set_status(conn, symbol, status, Some(&reason)).await?;
            }
            if let Some(request) = request {
                registrations::complete(conn, request.id, request_state, attempts, Some(&reason))
                    .await?;
            }
            Ok::<_, diesel::result::Error>(companies::by_symbol(conn, symbol).await?.map(|c| c.id))
        })
        .await?;
    Ok(Outcome {
        company_id,
        status,
        reason: Some(reason),
        request_state,
    })
}

fn failed(reason: String) -> (CompanyStatus, String, RegistrationState) {
    (CompanyStatus::Failed, reason, RegistrationState::Failed)
}

/// The outcome a completed request recorded, for republishing it after a redelivery; `None`
/// while a newer request has the company in hand again (its own outcome will follow).
pub fn recorded_outcome(company: &CompanyRecord, request: &RegistrationRecord) -> Option<Outcome> {
    company.status.is_final().then(|| Outcome {
        company_id: Some(company.id),
        status: company.status,
        // A failed refresh left the company READY, with the reason on the request only (a
        // successful ingestion clears it).
        reason: company
            .status_reason
            .clone()
            .or_else(|| request.last_error.clone()),
        request_state: request.state,
    })
}

/// (any) → `READY`: stores the company's profile and statements (upserted by fiscal period,
/// so storing the same data twice changes no statement row) and completes `request`, in one
/// transaction: readers never see a half-stored company and a crash leaves no partial rows.
/// Used by the worker and by `finstage import`; returns the company id.
#[tracing::instrument(skip_all, fields(%symbol))]
pub async fn store(
    conn: &mut AsyncMysqlConnection,
    symbol: &Symbol,
    company: &NormalizedCompany,
    request: Option<&RegistrationRecord>,
    attempts: u32,
) -> Result<i64, DbError> {
    let profile = CompanyProfile::fitted(symbol, &company.info);
    let id = conn
        .transaction(async |conn| {
            let id = companies::upsert_ready(conn, &profile).await?;
            IncomeStatementItems::upsert(conn, id, &company.income).await?;
            BalanceSheetItems::upsert(conn, id, &company.balance).await?;
            CashFlowItems::upsert(conn, id, &company.cash_flow).await?;
            if let Some(request) = request {
                registrations::complete(
                    conn,
                    request.id,
                    RegistrationState::Completed,
                    attempts,
                    None,
                )
                .await?;
            }
            Ok::<_, diesel::result::Error>(id)
        })
        .await?;
    Ok(id)
}
