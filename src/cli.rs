//! The command line: one binary, one subcommand per role. Each subcommand reads only the
//! settings it needs.

use clap::{Parser, Subcommand};

use crate::config::{DatabaseSettings, ServeSettings, TelemetrySettings};
use crate::db;
use crate::startup::Application;

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
    /// Apply pending database migrations and exit.
    Migrate {
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// Print the GraphQL schema (SDL) to stdout.
    Schema,
}

impl Command {
    pub async fn run(self) -> anyhow::Result<()> {
        match self {
            Self::Serve { migrate, settings } => {
                if migrate {
                    migrate_database(&settings.database).await?;
                }
                Application::build(&settings)
                    .await?
                    .run_until_stopped()
                    .await?;
            }
            Self::Migrate { database } => migrate_database(&database).await?,
            Self::Schema => print!("{}", crate::graphql::sdl()),
        }
        Ok(())
    }
}

async fn migrate_database(settings: &DatabaseSettings) -> Result<(), db::DbError> {
    let applied = db::run_migrations(&settings.url).await?;
    tracing::info!(count = applied.len(), versions = ?applied, "migrations applied");
    Ok(())
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
