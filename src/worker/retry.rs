//! Provider calls with retries: transient failures (timeouts, HTTP 408/429/5xx, and the
//! 401/402/403 refusals of a throttled or unpaid account) are retried with exponential
//! backoff and jitter, waiting at least as long as the provider's `Retry-After` (up to
//! `WORKER_RETRY_MAX_MS`); each failed attempt is recorded on the registration request.
//! While the provider's circuit breaker is open (`breaker`), nothing is sent and the
//! request waits for the provider instead of using up its attempts.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use tokio_util::sync::CancellationToken;

use super::WorkerError;
use super::ingest::Ingestor;
use crate::backoff::Backoff;
use crate::db::registrations::RegistrationRecord;
use crate::domain::Symbol;
use crate::ingestion::providers::ProviderError;
use crate::registration::lifecycle::{self, Ending};
use crate::shutdown;

/// How asking the provider ended.
pub(super) enum Fetch {
    Ended(Ending),
    /// The worker is stopping (waiting to retry, or past the grace of a fetch in flight).
    Stopping,
    /// The request must wait for the provider: it is down for everyone (the breaker is
    /// open), or this company ran out of attempts and is spared once (`breaker::spare`).
    Wait,
}

impl Ingestor {
    /// Asks the provider up to `max_attempts` times; returns how that ended and the attempts
    /// made.
    pub(super) async fn fetch_with_retries(
        &self,
        symbol: &Symbol,
        request: Option<&RegistrationRecord>,
        shutdown: &CancellationToken,
    ) -> Result<(Fetch, u32), WorkerError> {
        let settings = self.settings();
        let max_delay = Duration::from_millis(settings.retry_max_ms);
        let mut delays = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(settings.retry_base_ms))
            .with_max_delay(max_delay)
            .with_jitter()
            .with_max_times(settings.max_attempts.saturating_sub(1) as usize)
            .build();
        let breaker = self.breaker();
        let mut attempts = 0;
        loop {
            if breaker.open_for().is_some() {
                return Ok((Fetch::Wait, attempts));
            }
            attempts += 1;
            // A fetch in flight when the worker is asked to stop may finish within the
            // grace; a slower one is given back, so the process still stops in time.
            let fetched = tokio::select! {
                fetched = self.provider().fetch(symbol) => fetched,
                () = shutdown::grace_expired(shutdown) => return Ok((Fetch::Stopping, attempts)),
            };
            let answer = match fetched {
                Ok(company) => Ending::Fetched(Box::new(company)),
                Err(ProviderError::NotFound(reason)) => Ending::NotFound(reason),
                Err(ProviderError::Invalid(reason)) => Ending::Invalid(reason),
                Err(ProviderError::Transient {
                    reason,
                    retry_after,
                }) => {
                    if let Some(down) = self
                        .failed_attempt(symbol, request, attempts, &reason, retry_after)
                        .await?
                    {
                        return Ok((down, attempts));
                    }
                    let Some(delay) = delays.next() else {
                        if breaker.spare(symbol) {
                            tracing::warn!(%symbol, "out of attempts while the provider fails; waiting for it");
                            return Ok((Fetch::Wait, attempts));
                        }
                        return Ok((Fetch::Ended(Ending::GaveUp(reason)), attempts));
                    };
                    let delay = retry_after.map_or(delay, |asked| asked.max(delay).min(max_delay));
                    if !Backoff::sleep(delay, shutdown).await {
                        return Ok((Fetch::Stopping, attempts));
                    }
                    continue;
                }
            };
            breaker.answered(symbol);
            return Ok((Fetch::Ended(answer), attempts));
        }
    }

    /// Records a failed attempt; `Some(Wait)` when it opened the breaker.
    async fn failed_attempt(
        &self,
        symbol: &Symbol,
        request: Option<&RegistrationRecord>,
        attempts: u32,
        reason: &str,
        retry_after: Option<Duration>,
    ) -> Result<Option<Fetch>, WorkerError> {
        tracing::warn!(%symbol, attempts, %reason, "provider attempt failed");
        if let Some(request) = request {
            let mut conn = self.db().conn().await?;
            lifecycle::record_attempt(&mut conn, request, attempts, reason).await?;
        }
        Ok(self
            .breaker()
            .failed(symbol, retry_after)
            .then_some(Fetch::Wait))
    }
}
