use async_graphql::Enum;
use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::Text;
use serde::{Deserialize, Serialize};
use strum::{EnumString, IntoStaticStr};

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
}

impl CompanyStatus {
    /// True once ingestion has finished, one way or the other.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Ready | Self::Failed | Self::NotFound)
    }
}
