//! Provider calls with retries: transient failures (timeouts, HTTP 408/429/5xx, and the
//! 401/402/403 refusals of a throttled or unpaid account) are retried with exponential
//! backoff and jitter, waiting at least as long as the provider's `Retry-After` (up to
//! `WORKER_RETRY_MAX_MS`); each failed attempt is recorded on the registration request.

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

impl Ingestor {
    /// Asks the provider up to `max_attempts` times; returns how that ended (`None` when the
    /// worker is stopping: waiting to retry, or past the grace of a fetch in flight) and the
    /// attempts made.
    pub(super) async fn fetch_with_retries(
        &self,
        symbol: &Symbol,
        request: Option<&RegistrationRecord>,
        shutdown: &CancellationToken,
    ) -> Result<(Option<Ending>, u32), WorkerError> {
        let settings = self.settings();
        let max_delay = Duration::from_millis(settings.retry_max_ms);
        let mut delays = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(settings.retry_base_ms))
            .with_max_delay(max_delay)
            .with_jitter()
            .with_max_times(settings.max_attempts.saturating_sub(1) as usize)
            .build();
        let mut attempts = 0;
        loop {
            attempts += 1;
            // A fetch in flight when the worker is asked to stop may finish within the
            // grace; a slower one is given back, so the process still stops in time.
            let fetched = tokio::select! {
                fetched = self.provider().fetch(symbol) => fetched,
                () = shutdown::grace_expired(shutdown) => return Ok((None, attempts)),
            };
            let (reason, retry_after) = match fetched {
                Ok(company) => return Ok((Some(Ending::Fetched(Box::new(company))), attempts)),
                Err(ProviderError::NotFound(reason)) => {
                    return Ok((Some(Ending::NotFound(reason)), attempts));
                }
                Err(ProviderError::Invalid(reason)) => {
                    return Ok((Some(Ending::Invalid(reason)), attempts));
                }
                Err(ProviderError::Transient {
                    reason,
                    retry_after,
                }) => (reason, retry_after),
            };
            tracing::warn!(%symbol, attempts, %reason, "provider attempt failed");
            if let Some(request) = request {
                let mut conn = self.db().conn().await?;
                lifecycle::record_attempt(&mut conn, request, attempts, &reason).await?;
            }
            let Some(delay) = delays.next() else {
                return Ok((Some(Ending::GaveUp(reason)), attempts));
            };
            let delay = retry_after.map_or(delay, |asked| asked.max(delay).min(max_delay));
            if !Backoff::sleep(delay, shutdown).await {
                return Ok((None, attempts));
            }
        }
    }
}
