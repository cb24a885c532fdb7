//! Writes one normalized company — profile, status READY and all its statements — in one
//! transaction, so readers never see a half-stored company and a crash leaves no partial rows.
//! Statements are upserted by (company, fiscal period, fiscal year): storing the same data
//! twice changes no statement row. The worker closes the registration request in the same
//! transaction, so nobody sees a `READY` company with its request still open.

use diesel_async::{AsyncConnection, AsyncMysqlConnection};

use super::NormalizedCompany;
use crate::db::DbError;
use crate::db::companies::{self, CompanyProfile};
use crate::db::registrations;
use crate::db::statements::StatementKind;
use crate::domain::{
    BalanceSheetItems, CashFlowItems, IncomeStatementItems, RegistrationState, Symbol,
};

/// A registration request that storing the company completes, after `attempts` tries.
#[derive(Debug, Clone, Copy)]
pub struct CompletedRequest {
    pub id: i64,
    pub attempts: u32,
}

/// Stores `company` under `symbol` (and completes `request`); returns the company id.
#[tracing::instrument(skip_all, fields(%symbol))]
pub async fn store_company(
    conn: &mut AsyncMysqlConnection,
    symbol: &Symbol,
    exchange: Option<&str>,
    company: &NormalizedCompany,
    request: Option<CompletedRequest>,
) -> Result<i64, DbError> {
    let profile = CompanyProfile {
        symbol: symbol.as_str(),
        cik: Some(&company.info.cik),
        name: Some(&company.info.name),
        exchange,
        currency: Some(&company.info.currency),
        fiscal_year_end: Some(&company.info.fiscal_year_end),
    };
    let id = conn
        .transaction(async |conn| {
            let id = companies::upsert_ready(conn, &profile).await?;
            IncomeStatementItems::upsert(conn, id, &company.income).await?;
            BalanceSheetItems::upsert(conn, id, &company.balance).await?;
            CashFlowItems::upsert(conn, id, &company.cash_flow).await?;
            if let Some(request) = request {
                registrations::complete(
                    conn,
                    request.id,
                    RegistrationState::Completed,
                    request.attempts,
                    None,
                )
                .await?;
            }
            Ok::<_, diesel::result::Error>(id)
        })
        .await?;
    Ok(id)
}
