use std::time::Duration;

use clap::Parser;
use finstage::{cli::Cli, telemetry};

// jemalloc, because glibc's malloc was slower under the gateway's many short-lived response
// trees: `scripts/bench` scenario (a) went from 28–30k to 39–42k requests/s (two runs each,
// on the 2-core dev machine).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Dropped after the runtime, so the last spans are flushed on the way out.
    let _traces = telemetry::init(&cli.telemetry, cli.command.service_name())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(cli.command.run());
    // A blocking thread stuck on a dead broker must not hold the exit up.
    runtime.shutdown_timeout(Duration::from_millis(500));
    result
}
