use async_graphql::{Enum, SimpleObject};
use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::Text;
use serde::{Deserialize, Serialize};
use strum::{EnumString, IntoStaticStr};

use super::Timestamp;

/// Where a company stands in the registration and ingestion pipeline.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Enum,
    EnumString,
    IntoStaticStr,
    AsExpression,
    FromSqlRow,
    Serialize,
    Deserialize,
)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[diesel(sql_type = Text)]
pub enum CompanyStatus {
    /// Requested; waiting for the ingestion worker.
    Pending,
    /// A worker is fetching and storing the filings.
    InProgress,
    /// Statements are stored and served.
    Ready,
    /// Ingestion gave up; `statusReason` says why.
    Failed,
    /// The symbol is not a listed company known to the securities master or the provider.
    NotFound,
    /// Not stored and not registered: this client asked for more new companies than its
    /// per-minute limit allows; ask again in a minute. An answer only, never stored.
    RateLimited,
}

impl CompanyStatus {
    /// True once ingestion has finished, one way or the other.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Ready | Self::Failed | Self::NotFound)
    }
}

/// A company's status at a moment. The stream's first event is the stored status (possibly
/// `PENDING` or `IN_PROGRESS`); the worker then announces each ingestion's outcome: `READY`,
/// `FAILED` or `NOT_FOUND`, and again on every re-ingestion.
#[derive(Debug, Clone, PartialEq, SimpleObject)]
#[graphql(name = "CompanyStatusEvent")]
pub struct StatusEvent {
    // A validated, upper-case `Symbol`, as GraphQL shows it.
    pub symbol: String,
    pub status: CompanyStatus,
    /// Why the company is `FAILED` or `NOT_FOUND`.
    pub status_reason: Option<String>,
    /// When the status was reached.
    pub at: Timestamp,
}
