//! Ingesting one requested company, whichever transport delivered the request. The steps,
//! each safe to repeat after a crash:
//! 1. Take the company's ingestion lock, so two workers never ingest one company at once.
//! 2. A request already completed (a redelivery) only has its outcome published again.
//! 3. `lifecycle::begin`, fetch with retries (`retry`), then `lifecycle::finish` (or
//!    `give_back` when stopping); transient failures that never cleared are dead-lettered
//!    first, so a crash before the final commit dead-letters again rather than never.
//! 4. Publish the outcome.
//!
//! An infrastructure failure (MySQL or the transport down) in any step retries the whole
//! request after a backoff; the steps above make that safe. Nothing waits without bound: a
//! company locked longer than `WORKER_LOCK_WAIT_SECS`, retries that would run past
//! `HANDLING_DEADLINE`, and requests that must wait for the provider (its circuit breaker,
//! `breaker`) end as `Handled::Deferred`, and the transport puts the request back.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use super::WorkerError;
use super::breaker::ProviderBreaker;
use super::retry::Fetch;
use crate::backoff::Backoff;
use crate::config::IngestionSettings;
use crate::db::registrations::{self, RegistrationRecord};
use crate::db::{Db, DbConnection, companies, locks};
use crate::domain::Symbol;
use crate::ingestion::providers::{self, Provider};
use crate::kafka::ResultMessage;
use crate::registration::lifecycle::{self, Ending, Outcome};

/// How long one `GET_LOCK` call waits before the worker checks for shutdown and its
/// `WORKER_LOCK_WAIT_SECS`, and asks again.
const LOCK_POLL_SECS: u32 = 5;
/// Longest one request may be in hand: Kafka's poll interval (after which the group would
/// hand the message to another worker) less a minute for storing.
pub const HANDLING_DEADLINE: Duration =
    crate::kafka::MAX_POLL_INTERVAL.saturating_sub(Duration::from_secs(60));
/// Longest pause between deferred requests.
const MAX_DEFERRAL_PAUSE: Duration = Duration::from_secs(300);
/// First pause before retrying a request whose handling hit an infrastructure error.
const INFRA_RETRY_MIN: Duration = Duration::from_millis(500);

/// A request to ingest `symbol`: ours name their outbox row; the earlier system's do not.
#[derive(Debug, Clone)]
pub struct IngestRequest {
    pub symbol: Symbol,
    pub request_id: Option<i64>,
}

/// Where a transport sends what ingestion produces.
pub trait Outcomes {
    /// Keeps a request that failed on every attempt for an operator to replay.
    fn dead_letter(
        &self,
        reason: &str,
        attempts: u32,
    ) -> impl Future<Output = Result<(), WorkerError>> + Send;

    /// Announces an ingestion's outcome to the gateways.
    fn publish(
        &self,
        result: &ResultMessage,
    ) -> impl Future<Output = Result<(), WorkerError>> + Send;
}

/// How the handling of one request ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Handled {
    /// Stored, failed for good or already done: the transport may forget the request.
    Done,
    /// Given back unfinished because the worker is stopping: another delivery will redo it.
    Released,
    /// Not handled within its bounds (the company stayed locked by another worker, the
    /// database stayed down, or the provider is down for everyone): the transport puts the
    /// request back, pauses `deferral_pause`, and goes on to the next.
    Deferred,
}

/// Fetches, normalizes and stores requested companies through the configured provider.
pub struct Ingestor {
    db: Db,
    provider: Arc<dyn Provider>,
    breaker: ProviderBreaker,
    settings: IngestionSettings,
}

impl Ingestor {
    /// Refuses a provider missing its settings, and a pool too small to hold a company's
    /// lock on one connection while writing on another.
    pub fn new(db: Db, pool_size: u16, settings: IngestionSettings) -> Result<Self, WorkerError> {
        if pool_size < 2 {
            return Err(WorkerError::PoolTooSmall);
        }
        Ok(Self {
            provider: providers::from_settings(&settings.provider)?,
            breaker: ProviderBreaker::new(&settings),
            db,
            settings,
        })
    }

    pub(super) fn breaker(&self) -> &ProviderBreaker {
        &self.breaker
    }

    /// How long a transport waits after a `Deferred` request before taking the next: until
    /// the provider's breaker closes (at most `MAX_DEFERRAL_PAUSE`, so a Kafka consumer
    /// still polls in time), or a second.
    pub fn deferral_pause(&self) -> Duration {
        self.breaker
            .open_for()
            .unwrap_or(Duration::from_secs(1))
            .min(MAX_DEFERRAL_PAUSE)
    }

    pub(super) fn db(&self) -> &Db {
        &self.db
    }

    pub(super) fn settings(&self) -> &IngestionSettings {
        &self.settings
    }

    pub(super) fn provider(&self) -> &dyn Provider {
        self.provider.as_ref()
    }

    /// Handles `request` until it is done, the worker stops, or its bounds run out;
    /// infrastructure failures are retried with backoff while another full try still fits
    /// before `HANDLING_DEADLINE`, never skipped.
    #[tracing::instrument(name = "ingest", skip_all, fields(symbol = %request.symbol, request_id = request.request_id))]
    pub async fn handle(
        &self,
        request: &IngestRequest,
        outcomes: &impl Outcomes,
        shutdown: &CancellationToken,
    ) -> Handled {
        if let Some(open) = self.breaker.open_for() {
            tracing::debug!(
                open_secs = open.as_secs(),
                "provider circuit open; deferring"
            );
            return Handled::Deferred;
        }
        let deadline = Instant::now() + HANDLING_DEADLINE;
        let full_try = self.settings.worst_case_try();
        let mut backoff = Backoff::starting_at(INFRA_RETRY_MIN);
        loop {
            match self.locked(request, outcomes, shutdown).await {
                Ok(handled) => return handled,
                Err(error) => {
                    let delay = backoff.next_delay();
                    if Instant::now() + delay + full_try > deadline {
                        tracing::warn!(%error, "ingestion failed and no retry fits in time; deferring");
                        return Handled::Deferred;
                    }
                    tracing::warn!(%error, retry_in_ms = delay.as_millis(), "ingestion failed; retrying");
                    if !Backoff::sleep(delay, shutdown).await {
                        return Handled::Released;
                    }
                }
            }
        }
    }

    /// Ingests under the company's lock, waiting up to `WORKER_LOCK_WAIT_SECS` for another
    /// worker that holds it.
    async fn locked(
        &self,
        request: &IngestRequest,
        outcomes: &impl Outcomes,
        shutdown: &CancellationToken,
    ) -> Result<Handled, WorkerError> {
        let symbol = &request.symbol;
        let mut lock = self.db.conn().await?;
        let give_up_at = Instant::now() + self.settings.lock_wait();
        loop {
            let left = give_up_at.saturating_duration_since(Instant::now());
            let wait_secs = u32::try_from(left.as_secs().max(1))
                .unwrap_or(LOCK_POLL_SECS)
                .min(LOCK_POLL_SECS);
            match locks::lock_company(&mut lock, symbol, wait_secs).await {
                Ok(true) => break,
                Ok(false) if shutdown.is_cancelled() => return Ok(Handled::Released),
                Ok(false) if Instant::now() >= give_up_at => {
                    tracing::info!(%symbol, "another worker is still ingesting this company; deferring");
                    return Ok(Handled::Deferred);
                }
                Ok(false) => {
                    tracing::debug!(%symbol, "another worker is ingesting this company; waiting");
                }
                Err(error) => {
                    // The server may have granted the lock before the error: never return
                    // this connection to the pool.
                    drop(DbConnection::take(lock));
                    return Err(error.into());
                }
            }
        }
        let handled = self.ingest(request, outcomes, shutdown).await;
        if let Err(error) = locks::unlock_company(&mut lock, symbol).await {
            // Closing the connection releases its locks; never return it to the pool locked.
            tracing::warn!(%error, "cannot release the ingestion lock; closing its connection");
            drop(DbConnection::take(lock));
        }
        handled
    }

    async fn ingest(
        &self,
        request: &IngestRequest,
        outcomes: &impl Outcomes,
        shutdown: &CancellationToken,
    ) -> Result<Handled, WorkerError> {
        let symbol = &request.symbol;
        let mut conn = self.db.conn().await?;
        let record = find_request(&mut conn, symbol, request.request_id).await?;
        if let Some(done) = record.as_ref().filter(|r| r.completed_at.is_some()) {
            tracing::info!(%symbol, request_id = done.id, "request already handled; republishing its outcome");
            let company = companies::by_symbol(&mut conn, symbol).await?;
            if let Some(outcome) = company.and_then(|c| lifecycle::recorded_outcome(&c, done)) {
                let attempts = u32::try_from(done.attempts).unwrap_or_default();
                outcomes
                    .publish(&result_message(symbol, Some(done), &outcome, attempts))
                    .await?;
            }
            return Ok(Handled::Done);
        }
        let refreshing = lifecycle::begin(&mut conn, symbol, record.as_ref()).await?;
        drop(conn);

        let started = std::time::Instant::now();
        let (fetched, attempts) = self
            .fetch_with_retries(symbol, record.as_ref(), shutdown)
            .await?;
        let ending = match fetched {
            Fetch::Stopping | Fetch::Wait => {
                let mut conn = self.db.conn().await?;
                lifecycle::give_back(&mut conn, symbol, record.as_ref(), refreshing).await?;
                if matches!(fetched, Fetch::Stopping) {
                    tracing::info!(%symbol, "worker stopping; request released");
                    return Ok(Handled::Released);
                }
                tracing::info!(%symbol, "request waits for the provider; deferred");
                return Ok(Handled::Deferred);
            }
            Fetch::Ended(Ending::GaveUp(reason)) => {
                outcomes.dead_letter(&reason, attempts).await?;
                Ending::GaveUp(reason)
            }
            Fetch::Ended(ending) => ending,
        };
        let mut conn = self.db.conn().await?;
        let outcome = lifecycle::finish(
            &mut conn,
            symbol,
            record.as_ref(),
            refreshing,
            ending,
            attempts,
        )
        .await?;
        drop(conn);
        outcomes
            .publish(&result_message(symbol, record.as_ref(), &outcome, attempts))
            .await?;
        tracing::info!(
            %symbol,
            status = <&str>::from(outcome.status),
            reason = outcome.reason.as_deref(),
            attempts,
            elapsed_ms = started.elapsed().as_millis(),
            "ingestion finished"
        );
        Ok(Handled::Done)
    }
}

/// The result event of `outcome`, in the wire shape other services rely on.
fn result_message(
    symbol: &Symbol,
    request: Option<&RegistrationRecord>,
    outcome: &Outcome,
    attempts: u32,
) -> ResultMessage {
    ResultMessage {
        symbol: symbol.to_string(),
        company_id: outcome.company_id,
        success: outcome.succeeded(),
        status: outcome.status,
        reason: outcome.reason.clone(),
        request_id: request.map(|r| r.id.to_string()),
        attempts,
        completed_at: Utc::now(),
    }
}

/// The request this message stands for: the one it names, or else (a message from the
/// earlier system, or naming a request this database does not have) the symbol's open one.
async fn find_request(
    conn: &mut DbConnection,
    symbol: &Symbol,
    request_id: Option<i64>,
) -> Result<Option<RegistrationRecord>, WorkerError> {
    if let Some(id) = request_id
        && let Some(request) = registrations::by_id(conn, id).await?
        && request.symbol == symbol.as_str()
    {
        return Ok(Some(request));
    }
    Ok(registrations::open_request(conn, symbol).await?)
}
