//! The `Registration` type: a request to ingest a company, as `Company.registration` shows
//! it (batch-loaded by `loaders::RegistrationLoader`).

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ID, Object, ResultExt};

use super::loaders::RegistrationLoader;
use crate::db::registrations::RegistrationRecord;
use crate::domain::{RegistrationState, Symbol, Timestamp};

/// A request to ingest a company.
pub struct Registration(RegistrationRecord);

#[Object]
impl Registration {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn symbol(&self) -> &str {
        &self.0.symbol
    }

    async fn state(&self) -> RegistrationState {
        self.0.state
    }

    /// Ingestion attempts so far.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }

    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }

    async fn requested_at(&self) -> Timestamp {
        self.0.requested_at.and_utc().into()
    }

    /// When the request was handed to Kafka.
    async fn published_at(&self) -> Option<Timestamp> {
        self.0.published_at.map(|at| at.and_utc().into())
    }

    async fn completed_at(&self) -> Option<Timestamp> {
        self.0.completed_at.map(|at| at.and_utc().into())
    }
}

pub async fn load_registration(
    ctx: &Context<'_>,
    symbol: &Symbol,
) -> async_graphql::Result<Option<Registration>> {
    Ok(ctx
        .data::<DataLoader<RegistrationLoader>>()?
        .load_one(symbol.clone())
        .await
        .extend()?
        .map(Registration))
}
