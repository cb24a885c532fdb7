//! One shutdown for every process: SIGTERM or Ctrl-C cancels a single token that every task
//! of the process watches (HTTP server, relay, result listener, workers). Work in flight gets
//! `DRAIN_DEADLINE` to finish; then the process exits anyway, whatever state the broker or
//! the database is in, so an orchestrator's stop (or Ctrl-C) never hangs.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// How long work in flight may take to finish after the signal; under the 10 s most
/// orchestrators wait before killing, leaving time to exit.
pub const DRAIN_DEADLINE: Duration = Duration::from_secs(8);

/// How long work in hand (a provider fetch) may go on after the signal before it is given
/// back unfinished, leaving the rest of `DRAIN_DEADLINE` to record that.
pub const WORK_IN_HAND_GRACE: Duration = Duration::from_secs(5);

/// Resolves `WORK_IN_HAND_GRACE` after `shutdown` is cancelled.
pub async fn grace_expired(shutdown: &CancellationToken) {
    shutdown.cancelled().await;
    tokio::time::sleep(WORK_IN_HAND_GRACE).await;
}

/// A token cancelled on the first SIGTERM or Ctrl-C.
pub fn on_signal() -> CancellationToken {
    let shutdown = CancellationToken::new();
    let cancel = shutdown.clone();
    tokio::spawn(async move {
        signal().await;
        tracing::info!("shutting down: finishing the work in flight");
        cancel.cancel();
    });
    shutdown
}

/// Waits at most `DRAIN_DEADLINE` for `work`; false when the deadline cut it off.
pub async fn drain(what: &str, work: impl Future<Output = ()>) -> bool {
    let drained = tokio::time::timeout(DRAIN_DEADLINE, work).await.is_ok();
    if !drained {
        tracing::warn!(what, "drain deadline passed; stopping anyway");
    }
    drained
}

/// Runs `work`, a process's whole life, until it returns or until the drain deadline after
/// `shutdown` has passed. Then something ignored the deadline (librdkafka talking to a dead
/// broker, most likely) and its destructors would block as well: the process exits at once,
/// with status 1, without running them.
pub async fn bounded<T>(shutdown: &CancellationToken, work: impl Future<Output = T>) -> T {
    tokio::select! {
        done = work => done,
        () = async {
            shutdown.cancelled().await;
            // The work's own drains have `DRAIN_DEADLINE`; a little slack lets them report.
            tokio::time::sleep(DRAIN_DEADLINE + Duration::from_millis(500)).await;
        } => {
            tracing::error!("still busy after the drain deadline; exiting now");
            std::process::exit(1);
        }
    }
}

/// Resolves on SIGTERM or Ctrl-C.
async fn signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = ctrl_c => {},
                    _ = terminate.recv() => {},
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; stopping on Ctrl-C only");
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
