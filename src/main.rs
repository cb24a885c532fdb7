use std::time::Duration;

use clap::Parser;
use finstage::{cli::Cli, shutdown, telemetry};

// jemalloc, because glibc's malloc was slower under the gateway's many short-lived response
// trees: `scripts/bench` scenario (a) went from 28–30k to 39–42k requests/s (two runs each,
// on the 2-core dev machine).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init(&cli.telemetry);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(async {
        let shutdown = shutdown::on_signal();
        tokio::select! {
            result = cli.command.run(shutdown.clone()) => result,
            () = async {
                shutdown.cancelled().await;
                // The command's own drain has this long; a little slack lets it report.
                tokio::time::sleep(shutdown::DRAIN_DEADLINE + Duration::from_millis(500)).await;
            } => {
                // Something (librdkafka talking to a dead broker, most likely) ignored the
                // deadline: exit without running its destructors, which would block too.
                tracing::warn!("still busy after the drain deadline; exiting now");
                std::process::exit(0);
            }
        }
    });
    // A blocking thread stuck on a dead broker must not hold the exit up.
    runtime.shutdown_timeout(Duration::from_millis(500));
    result
}
