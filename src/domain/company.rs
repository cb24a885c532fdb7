use async_graphql::Enum;
use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::Text;
use strum::{EnumString, IntoStaticStr};

/// Where a company stands in the registration and ingestion pipeline.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Enum, EnumString, IntoStaticStr, AsExpression, FromSqlRow,
)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
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
