//! Waiting out an infrastructure outage (MySQL or Kafka down): exponential backoff on
//! `backon`, from a short first pause up to 30 s, plus up to as much again of jitter, for as
//! long as it takes. One
//! policy for the relay, the workers and topic creation; every wait ends early on shutdown.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
use tokio_util::sync::CancellationToken;

/// The longest pause between two tries.
const MAX_DELAY: Duration = Duration::from_secs(30);

pub struct Backoff {
    builder: ExponentialBuilder,
    delays: ExponentialBackoff,
}

impl Backoff {
    pub fn starting_at(first: Duration) -> Self {
        let builder = ExponentialBuilder::default()
            .with_min_delay(first)
            .with_max_delay(MAX_DELAY)
            .with_jitter()
            .without_max_times();
        Self {
            delays: builder.build(),
            builder,
        }
    }

    /// The pause before the next try.
    pub fn next_delay(&mut self) -> Duration {
        self.delays.next().unwrap_or(MAX_DELAY)
    }

    /// Starts again from the first pause, after a success.
    pub fn reset(&mut self) {
        self.delays = self.builder.build();
    }

    /// Runs `attempt` until it succeeds, pausing between tries from `first` up; `None` when
    /// `shutdown` came first. `what` names the work in the log.
    pub async fn retry<T, E, Attempt>(
        what: &str,
        first: Duration,
        shutdown: &CancellationToken,
        mut attempt: impl FnMut() -> Attempt,
    ) -> Option<T>
    where
        Attempt: Future<Output = Result<T, E>>,
        E: std::fmt::Display,
    {
        let mut backoff = Self::starting_at(first);
        loop {
            match attempt().await {
                Ok(done) => return Some(done),
                Err(error) => {
                    let delay = backoff.next_delay();
                    tracing::warn!(%error, retry_in_ms = delay.as_millis(), "cannot {what}; retrying");
                    if !Self::sleep(delay, shutdown).await {
                        return None;
                    }
                }
            }
        }
    }

    /// Sleeps `delay`; false when `shutdown` came first.
    pub async fn sleep(delay: Duration, shutdown: &CancellationToken) -> bool {
        tokio::select! {
            () = shutdown.cancelled() => false,
            () = tokio::time::sleep(delay) => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_to_the_cap_and_starts_over_after_a_reset() {
        let mut backoff = Backoff::starting_at(Duration::from_millis(100));
        let first = backoff.next_delay();
        assert!(first >= Duration::from_millis(100) && first <= Duration::from_millis(200));
        let later: Vec<Duration> = (0..20).map(|_| backoff.next_delay()).collect();
        assert!(later.iter().all(|delay| *delay <= MAX_DELAY * 2));
        assert!(later.last().is_some_and(|delay| *delay >= MAX_DELAY));
        backoff.reset();
        assert!(backoff.next_delay() <= Duration::from_millis(200));
    }
}
