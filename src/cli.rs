//! The command line: one binary, one subcommand per role. Each subcommand reads only the
//! settings it needs.

use clap::{Parser, Subcommand};

use crate::config::{
    DatabaseSettings, KafkaSettings, ServeSettings, TelemetrySettings, WorkerSettings,
};
use std::path::PathBuf;

use crate::db::{self, Db};
use crate::domain::Symbol;
use crate::ingestion::import::{Companies, import_dir};
use crate::registration::dlq;
use crate::shutdown;
use crate::startup::Application;
use crate::worker::Worker;

#[derive(Debug, Parser)]
#[command(
    name = "finstage",
    version,
    about = "GraphQL API over companies' financial statements"
)]
pub struct Cli {
    #[command(flatten)]
    pub telemetry: TelemetrySettings,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the GraphQL API (GraphiQL at /graphql, probes at /healthz and /readyz).
    Serve {
        /// Apply pending database migrations before serving.
        #[arg(long)]
        migrate: bool,
        #[command(flatten)]
        settings: ServeSettings,
    },
    /// Consume registration requests from Kafka: fetch each company from the provider,
    /// normalize and store it, and publish the outcome. Run several to scale out.
    Worker {
        /// Apply pending database migrations before consuming.
        #[arg(long)]
        migrate: bool,
        #[command(flatten)]
        settings: WorkerSettings,
    },
    /// Apply pending database migrations and exit.
    Migrate {
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// Print the GraphQL schema (SDL) to stdout.
    Schema,
    /// Load SEC bulk files (the securities master and CIK##########.json companyfacts) from a
    /// directory, without Kafka. Idempotent: importing unchanged files changes no statement.
    Import {
        /// Directory holding company_tickers_exchange.json (with exchanges) or
        /// company_tickers.json, and the companyfacts files.
        #[arg(long)]
        dir: PathBuf,
        /// Only these symbols (comma-separated); default: every companyfacts file in DIR.
        #[arg(long, value_delimiter = ',', value_parser = parse_symbol, conflicts_with = "listings_only")]
        symbols: Vec<Symbol>,
        /// Load only the securities master, no statements: companies
        /// are then ingested on demand by the worker.
        #[arg(long)]
        listings_only: bool,
        /// Apply pending database migrations first.
        #[arg(long)]
        migrate: bool,
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// The dead-letter topic.
    Dlq {
        #[command(subcommand)]
        command: DlqCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum DlqCommand {
    /// Queue again, through the outbox, every company on the dead-letter topic that is
    /// still FAILED; safe to repeat.
    Replay {
        /// Only this company.
        #[arg(long, value_parser = parse_symbol)]
        symbol: Option<Symbol>,
        #[command(flatten)]
        database: DatabaseSettings,
        #[command(flatten)]
        kafka: KafkaSettings,
    },
}

impl Command {
    /// The process's name in traces (`service.name`), unless `OTEL_SERVICE_NAME` gives one.
    pub fn service_name(&self) -> &'static str {
        match self {
            Self::Serve { .. } => "finstage-gateway",
            Self::Worker { .. } => "finstage-worker",
            _ => "finstage",
        }
    }

    /// Runs the subcommand. `serve` and `worker` run until SIGTERM or Ctrl-C, then drain
    /// (see `shutdown`); the others keep the default signal handling.
    pub async fn run(self) -> anyhow::Result<()> {
        match self {
            Self::Serve { migrate, settings } => {
                if migrate {
                    migrate_database(&settings.database).await?;
                }
                let app = Application::build(&settings).await?;
                let shutdown = shutdown::on_signal();
                shutdown::bounded(&shutdown, app.run_until_stopped(shutdown.clone())).await;
            }
            Self::Worker { migrate, settings } => {
                let worker = Worker::build(settings.clone())?;
                if migrate {
                    migrate_database(&settings.database).await?;
                }
                let shutdown = shutdown::on_signal();
                shutdown::bounded(&shutdown, worker.run(shutdown.clone())).await?;
            }
            Self::Migrate { database } => migrate_database(&database).await?,
            Self::Schema => print!("{}", crate::graphql::sdl()),
            Self::Import {
                dir,
                symbols,
                listings_only,
                migrate,
                database,
            } => {
                if migrate {
                    migrate_database(&database).await?;
                }
                let db = Db::new(&database)?;
                let only = match (listings_only, symbols.is_empty()) {
                    (true, _) => Companies::None,
                    (false, true) => Companies::All,
                    (false, false) => Companies::Only(&symbols),
                };
                let summary = import_dir(&db, &dir, only).await?;
                for (company, reason) in &summary.failed {
                    eprintln!("failed: {company}: {reason}");
                }
                println!("{summary}");
            }
            Self::Dlq {
                command:
                    DlqCommand::Replay {
                        symbol,
                        database,
                        kafka,
                    },
            } => {
                let db = Db::new(&database)?;
                println!("{}", dlq::replay(&db, &kafka, symbol.as_ref()).await?);
            }
        }
        Ok(())
    }
}

async fn migrate_database(settings: &DatabaseSettings) -> Result<(), db::DbError> {
    let applied = db::run_migrations(&settings.url).await?;
    tracing::info!(count = applied.len(), versions = ?applied, "migrations applied");
    Ok(())
}

fn parse_symbol(text: &str) -> Result<Symbol, String> {
    Symbol::parse(text.trim()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }
}
