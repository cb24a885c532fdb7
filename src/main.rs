use clap::Parser;
use finstage::{cli::Cli, telemetry};

// jemalloc, because under the gateway's many short-lived response trees glibc's malloc held
// more memory and ran slower: `scripts/bench` measured (a) 30k → 42k requests/s and the
// 100-company scenario's peak RSS 109 → 100 MB (one run each, on the 2-core dev machine).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init(&cli.telemetry);
    cli.command.run().await
}
