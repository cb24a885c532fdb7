//! The in-process request transport: `serve` itself claims open requests from the outbox,
//! with the lease and `SKIP LOCKED` claim the relay uses, and ingests them with the same
//! `Ingestor` as `finstage worker`; outcomes go straight to this gateway's read cache and
//! subscribers. For one gateway without a broker (the demo, development): every request
//! still survives a crash in the outbox, and a claimed request whose gateway died is
//! claimed again when its lease runs out. Outcomes reach only this gateway, so several
//! gateways sharing a database need the Kafka transport (or another gateway would serve a
//! refreshed company from its cache until `CACHE_TTL_SECS`).

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::WorkerError;
use super::ingest::{Handled, IngestRequest, Ingestor, Outcomes};
use crate::backoff::Backoff;
use crate::cache::ReadCache;
use crate::db::{Db, DbError, registrations};
use crate::domain::Symbol;
use crate::kafka::ResultMessage;
use crate::registration::lifecycle;
use crate::results::{StatusFeed, deliver};
use crate::telemetry::traces;

/// Pause when the outbox is empty.
const IDLE_POLL: Duration = Duration::from_millis(200);

pub struct InProcessWorker {
    ingestor: Ingestor,
    cache: Arc<ReadCache>,
    feed: StatusFeed,
}

impl InProcessWorker {
    pub fn new(ingestor: Ingestor, cache: Arc<ReadCache>, feed: StatusFeed) -> Self {
        Self {
            ingestor,
            cache,
            feed,
        }
    }

    /// Ingests requests as they arrive, until `shutdown`.
    pub async fn run(self, shutdown: CancellationToken) {
        tracing::info!("ingesting registration requests in process");
        let mut backoff = Backoff::starting_at(IDLE_POLL);
        while !shutdown.is_cancelled() {
            let pause = match self.next_request(&shutdown).await {
                Ok(true) => {
                    backoff.reset();
                    Duration::ZERO
                }
                Ok(false) => {
                    backoff.reset();
                    IDLE_POLL
                }
                Err(error) => {
                    let delay = backoff.next_delay();
                    tracing::warn!(%error, retry_in_ms = delay.as_millis(), "cannot claim a request");
                    delay
                }
            };
            if !Backoff::sleep(pause, &shutdown).await {
                break;
            }
        }
    }

    /// Claims the oldest open request and ingests it; false when there was none.
    async fn next_request(&self, shutdown: &CancellationToken) -> Result<bool, DbError> {
        let db = self.ingestor.db();
        let claimed = {
            let mut conn = db.conn().await?;
            // Never published: a request lost with a crashed gateway comes back when its
            // lease runs out.
            registrations::claim_due(&mut conn, 1, self.lease(), None).await?
        };
        let Some(request) = claimed.into_iter().next() else {
            return Ok(false);
        };
        let Ok(symbol) = Symbol::parse(&request.symbol) else {
            // Only validated symbols are written to the outbox; one written by hand is closed
            // rather than claimed again forever.
            tracing::error!(symbol = %request.symbol, "outbox request for an invalid symbol closed");
            let mut conn = db.conn().await?;
            lifecycle::reject(&mut conn, &request, "not a valid symbol").await?;
            return Ok(true);
        };
        // The trace of whoever asked goes on here, as it would through Kafka.
        let span = tracing::info_span!("claimed_request", request_id = request.id);
        traces::continue_stored(&span, request.traceparent.as_deref());
        let request = IngestRequest {
            symbol,
            request_id: Some(request.id),
        };
        let handled = self
            .ingestor
            .handle(&request, self, shutdown)
            .instrument(span)
            .await;
        match handled {
            Handled::Done => {}
            Handled::Released => release(db, request.request_id).await?,
            // The request stays open in the outbox, passed over for a while so the next
            // claim takes the others first.
            Handled::Deferred => {
                let pause = self.ingestor.deferral_pause();
                if let Some(id) = request.request_id {
                    let until = chrono::Utc::now().naive_utc()
                        + chrono::Duration::from_std(pause).unwrap_or(chrono::Duration::seconds(1));
                    let mut conn = db.conn().await?;
                    registrations::postpone(&mut conn, id, until).await?;
                }
                Backoff::sleep(pause, shutdown).await;
            }
        }
        Ok(true)
    }

    /// How long a claimed request is reserved: longer than its provider calls can take with
    /// every attempt timing out and every retry pause at its longest (twice the maximum, with
    /// jitter), plus a minute for the rest. Waiting out a database outage can take longer;
    /// then another claim only finds the request done, or waits for the company's lock.
    fn lease(&self) -> chrono::Duration {
        let settings = self.ingestor.settings();
        let fetching = settings.provider.timeout() * settings.max_attempts;
        let pausing = Duration::from_millis(settings.retry_max_ms)
            * 2
            * settings.max_attempts.saturating_sub(1);
        chrono::Duration::from_std(fetching + pausing + Duration::from_secs(60))
            .unwrap_or(chrono::Duration::hours(1))
    }
}

/// Lets the next claim (this process after a restart) take a request given back unfinished
/// at once, instead of after its lease.
async fn release(db: &Db, request_id: Option<i64>) -> Result<(), DbError> {
    if let Some(id) = request_id {
        let mut conn = db.conn().await?;
        registrations::release(&mut conn, &[id]).await?;
    }
    Ok(())
}

impl Outcomes for InProcessWorker {
    /// There is no dead-letter topic here: the request is closed `FAILED` with the reason
    /// (and the company `FAILED`, which `requestRegistration` re-queues, or still `READY`
    /// after a failed refresh, which `refreshCompany` retries).
    async fn dead_letter(&self, reason: &str, attempts: u32) -> Result<(), WorkerError> {
        tracing::warn!(%reason, attempts, "request failed on every attempt");
        Ok(())
    }

    async fn publish(&self, result: &ResultMessage) -> Result<(), WorkerError> {
        deliver(&self.cache, &self.feed, result.clone());
        Ok(())
    }
}
