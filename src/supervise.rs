//! Background tasks that must not quietly die (the outbox relay, the result listener): each
//! runs under `supervise`, which starts it again, after a backoff, whenever it ends before
//! shutdown, by a panic or by giving up with an error (the relay does when its idempotent
//! producer hits a fatal error: starting again builds a new producer). `TaskHealth` says
//! how each is doing, for `/readyz`.

use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::backoff::Backoff;

/// What `/readyz` reports of one supervised task.
#[derive(Default)]
pub struct TaskHealth {
    running: AtomicBool,
    restarts: AtomicU64,
    last_failure: Mutex<Option<String>>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct TaskReport {
    pub running: bool,
    pub restarts: u64,
    #[serde(rename = "lastFailure")]
    pub last_failure: Option<String>,
}

impl TaskHealth {
    pub fn report(&self) -> TaskReport {
        TaskReport {
            running: self.running.load(Ordering::Acquire),
            restarts: self.restarts.load(Ordering::Acquire),
            last_failure: self
                .last_failure
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone(),
        }
    }

    fn failed(&self, failure: String) {
        self.running.store(false, Ordering::Release);
        *self
            .last_failure
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(failure);
    }
}

/// Runs the task `start` builds until `shutdown`, building and starting it again whenever it
/// ends early. A task that cannot even be built is retried the same way.
pub async fn supervise<Start, Task, E>(
    name: &'static str,
    health: &TaskHealth,
    shutdown: CancellationToken,
    mut start: Start,
) where
    Start: FnMut(CancellationToken) -> Result<Task, E>,
    Task: Future<Output = Result<(), E>> + Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    let mut backoff = Backoff::starting_at(Duration::from_millis(500));
    loop {
        let failure = match start(shutdown.clone()) {
            Ok(task) => {
                health.running.store(true, Ordering::Release);
                match tokio::spawn(task).await {
                    Ok(Ok(())) if shutdown.is_cancelled() => return,
                    Ok(Ok(())) => String::from("stopped by itself"),
                    Ok(Err(error)) => error.to_string(),
                    Err(joined) if joined.is_panic() => String::from("panicked"),
                    Err(joined) => joined.to_string(),
                }
            }
            Err(error) => format!("cannot start: {error}"),
        };
        if shutdown.is_cancelled() {
            return;
        }
        let delay = backoff.next_delay();
        tracing::error!(task = name, %failure, retry_in_ms = delay.as_millis(), "background task ended; starting it again");
        health.failed(failure);
        health.restarts.fetch_add(1, Ordering::AcqRel);
        if !Backoff::sleep(delay, &shutdown).await {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicU32;

    use super::*;

    #[tokio::test]
    async fn a_task_that_fails_or_panics_is_started_again_until_shutdown() {
        let health = Arc::new(TaskHealth::default());
        let shutdown = CancellationToken::new();
        let starts = Arc::new(AtomicU32::new(0));
        let supervisor = {
            let (health, shutdown, starts) = (health.clone(), shutdown.clone(), starts.clone());
            tokio::spawn(async move {
                supervise("test", &health, shutdown, |stop: CancellationToken| {
                    let attempt = starts.fetch_add(1, Ordering::AcqRel);
                    Ok::<_, String>(async move {
                        match attempt {
                            0 => Err(String::from("fatal producer error")),
                            1 => panic!("a bug"),
                            _ => {
                                stop.cancelled().await;
                                Ok(())
                            }
                        }
                    })
                })
                .await;
            })
        };
        for _ in 0..100 {
            if health.report().running && health.report().restarts == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let report = health.report();
        assert_eq!(starts.load(Ordering::Acquire), 3);
        assert_eq!(report.restarts, 2);
        assert!(report.running);
        assert_eq!(report.last_failure.as_deref(), Some("panicked"));
        shutdown.cancel();
        supervisor.await.unwrap();
    }
}
