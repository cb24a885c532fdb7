//! Mutations: asking for a company to be ingested, and (admin only) re-ingesting one. Both
//! write through `registration`, the owner of company and request states.

use async_graphql::{Context, Object, ResultExt};

use super::ApiError;
use super::company::Company;
use super::request::{Caller, RegistrationLimiter};
use crate::db::companies::CompanyRecord;
use crate::db::{Db, DbError};
use crate::domain::Symbol;
use crate::registration::{self, Registrations};

#[derive(Default)]
pub struct RegistrationMutation;

#[Object]
impl RegistrationMutation {
    /// Asks for a company to be ingested; idempotent. A company not stored yet becomes
    /// `PENDING`; one that `FAILED` or was `NOT_FOUND` is queued again; a `PENDING`,
    /// `IN_PROGRESS` or `READY` company is returned as it is. A symbol the securities master
    /// does not list is a `NOT_FOUND` error.
    async fn request_registration(
        &self,
        ctx: &Context<'_>,
        symbol: String,
    ) -> async_graphql::Result<Company> {
        let symbol = Symbol::parse(&symbol).map_err(ApiError::from).extend()?;
        RegistrationLimiter::admit(ctx).extend()?;
        let record = registration::ensure_ingested(ctx.data::<Registrations>()?, &symbol).await;
        stored(symbol, record, "is not a listed company")
    }

    /// Re-ingests a stored company (admin only: `Authorization: Bearer $ADMIN_TOKEN`). Its
    /// statements stay served until the new ones are stored.
    async fn refresh_company(
        &self,
        ctx: &Context<'_>,
        symbol: String,
    ) -> async_graphql::Result<Company> {
        if !ctx.data::<Caller>().is_ok_and(|caller| caller.admin) {
            return Err(ApiError::Forbidden).extend();
        }
        let symbol = Symbol::parse(&symbol).map_err(ApiError::from).extend()?;
        let record = registration::refresh(ctx.data::<Db>()?, &symbol).await;
        stored(symbol, record, "is not stored")
    }
}

/// The company a registration call returned, or `NOT_FOUND` saying why there was none.
fn stored(
    symbol: Symbol,
    record: Result<Option<CompanyRecord>, DbError>,
    missing: &str,
) -> async_graphql::Result<Company> {
    match record.map_err(ApiError::from).extend()? {
        Some(record) => Ok(Company::stored(symbol, record)),
        None => Err(ApiError::NotFound(format!("{symbol} {missing}"))).extend(),
    }
}
