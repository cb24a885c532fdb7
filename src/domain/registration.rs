use async_graphql::Enum;
use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::Text;
use strum::{EnumString, IntoStaticStr};

/// Lifecycle of a registration request (a row of the transactional outbox).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Enum, EnumString, IntoStaticStr, AsExpression, FromSqlRow,
)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
#[diesel(sql_type = Text)]
pub enum RegistrationState {
    /// Stored; waiting for the relay to hand it to Kafka.
    Queued,
    /// Handed to Kafka; waiting for a worker.
    Published,
    /// A worker is ingesting the company.
    InProgress,
    /// Ingestion finished; the company is READY or NOT_FOUND.
    Completed,
    /// Ingestion gave up; see `lastError`.
    Failed,
}
