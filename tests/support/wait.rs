//! `eventually`: the one way tests wait for something that happens in the background.

use std::fmt::Display;
use std::future::Future;
use std::time::{Duration, Instant};

/// How often `eventually` asks again.
const POLL: Duration = Duration::from_millis(50);

/// What a probe answers: `true` or `Some(value)` when the awaited thing has happened.
pub trait Probe {
    type Value;
    fn ready(self) -> Option<Self::Value>;
}

impl Probe for bool {
    type Value = ();
    fn ready(self) -> Option<()> {
        self.then_some(())
    }
}

impl<T> Probe for Option<T> {
    type Value = T;
    fn ready(self) -> Option<T> {
        self
    }
}

/// Asks `probe` every 50 ms until it answers `true` or `Some(value)`, and returns the value.
/// Panics naming `what` when `timeout` passes first. The timeout only bounds a hung test:
/// nothing may depend on how fast the awaited thing happens.
pub async fn eventually<F, Fut>(
    timeout: Duration,
    what: impl Display,
    mut probe: F,
) -> <Fut::Output as Probe>::Value
where
    F: FnMut() -> Fut,
    Fut: Future,
    Fut::Output: Probe,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = probe().await.ready() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(POLL).await;
    }
}
