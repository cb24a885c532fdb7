//! Provider calls with retries: transient failures (timeouts, HTTP 408/429/5xx, and the
//! 401/402/403 refusals of a throttled or unpaid account) are retried with exponential
//! backoff and jitter, waiting at least as long as the provider's `Retry-After`; each failed
//! attempt is recorded on the registration request.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use tokio_util::sync::CancellationToken;

use super::{Worker, WorkerError};
use crate::db::registrations::{self, RegistrationRecord};
use crate::domain::{RegistrationState, Symbol};
use crate::ingestion::NormalizedCompany;
use crate::ingestion::providers::ProviderError;

/// What asking the provider came to.
pub(super) enum Fetched {
    Company(Box<NormalizedCompany>),
    NotFound(String),
    /// The provider's answer is unusable; retrying would not help.
    Invalid(String),
    /// Transient failures on every allowed attempt; the last one's reason.
    GaveUp(String),
    /// The worker is stopping while waiting to retry.
    Interrupted,
}

impl Worker {
    /// Asks the provider up to `max_attempts` times; returns the outcome and the attempts made.
    pub(super) async fn fetch_with_retries(
        &self,
        symbol: &Symbol,
        request: Option<&RegistrationRecord>,
        shutdown: &CancellationToken,
    ) -> Result<(Fetched, u32), WorkerError> {
        let max_delay = Duration::from_millis(self.settings.retry_max_ms);
        let mut delays = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(self.settings.retry_base_ms))
            .with_max_delay(max_delay)
            .with_jitter()
            .with_max_times(self.settings.max_attempts.saturating_sub(1) as usize)
            .build();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let (reason, retry_after) = match self.provider.fetch(symbol).await {
                Ok(company) => return Ok((Fetched::Company(Box::new(company)), attempts)),
                Err(ProviderError::NotFound(reason)) => {
                    return Ok((Fetched::NotFound(reason), attempts));
                }
                Err(ProviderError::Invalid(reason)) => {
                    return Ok((Fetched::Invalid(reason), attempts));
                }
                Err(ProviderError::Transient {
                    reason,
                    retry_after,
                }) => (reason, retry_after),
            };
            tracing::warn!(%symbol, attempts, %reason, "provider attempt failed");
            if let Some(request) = request {
                let mut conn = self.db.conn().await?;
                registrations::set_progress(
                    &mut conn,
                    request.id,
                    RegistrationState::InProgress,
                    attempts,
                    Some(&reason),
                )
                .await?;
            }
            let Some(delay) = delays.next() else {
                return Ok((Fetched::GaveUp(reason), attempts));
            };
            let delay = retry_after.map_or(delay, |asked| asked.max(delay).min(max_delay));
            tokio::select! {
                () = shutdown.cancelled() => return Ok((Fetched::Interrupted, attempts)),
                () = tokio::time::sleep(delay) => {}
            }
        }
    }
}
