use clap::Parser;
use finstage::{cli::Cli, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init(&cli.telemetry);
    cli.command.run().await
}
