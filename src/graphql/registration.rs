//! Registration in GraphQL: the `Registration` type, its loader, the mutations, and the two
//! policies around them — a per-client limit on new registrations and the admin token.

use std::collections::HashMap;
use std::num::NonZeroU32;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, ID, Object, ResultExt};
use chrono::{DateTime, Utc};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::ApiError;
use super::company::{Company, uncacheable};
use crate::db::Db;
use crate::db::registrations::{self, RegistrationRecord};
use crate::domain::{RegistrationState, Symbol};
use crate::registration;

/// Who is calling, set per request by the HTTP layer.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Rate-limiting key: the client's IP address.
    pub client: String,
    /// True when the request carried `Authorization: Bearer $ADMIN_TOKEN`.
    pub admin: bool,
}

/// Limits how many new registrations each client may cause per minute.
pub struct RegistrationLimiter(DefaultKeyedRateLimiter<String>);

impl RegistrationLimiter {
    pub fn per_minute(limit: NonZeroU32) -> Self {
        Self(RateLimiter::keyed(Quota::per_minute(limit)))
    }

    /// Takes `count` registrations from the caller's allowance, or fails with `RATE_LIMITED`.
    pub fn admit(ctx: &Context<'_>, count: usize) -> Result<(), ApiError> {
        let Some(count) = u32::try_from(count).ok().and_then(NonZeroU32::new) else {
            return Ok(());
        };
        // Both are always set by the HTTP layer; without them nobody could be limited, so
        // refuse rather than admit everyone.
        let (Ok(limiter), Ok(caller)) = (ctx.data::<Self>(), ctx.data::<Caller>()) else {
            tracing::error!("registration attempted without a caller or limiter");
            return Err(ApiError::Internal);
        };
        match limiter.0.check_key_n(&caller.client, count) {
            Ok(Ok(())) => Ok(()),
            _ => Err(ApiError::RateLimited),
        }
    }
}

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

    async fn requested_at(&self) -> DateTime<Utc> {
        self.0.requested_at.and_utc()
    }

    /// When the request was handed to Kafka.
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at.map(|at| at.and_utc())
    }

    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at.map(|at| at.and_utc())
    }
}

/// The newest registration request of each symbol.
pub struct RegistrationLoader(pub Db);

impl Loader<Symbol> for RegistrationLoader {
    type Value = RegistrationRecord;
    type Error = ApiError;

    #[tracing::instrument(name = "load_registrations", skip_all, fields(count = symbols.len()))]
    async fn load(
        &self,
        symbols: &[Symbol],
    ) -> Result<HashMap<Symbol, RegistrationRecord>, ApiError> {
        let mut conn = self.0.conn().await?;
        let mut newest = HashMap::new();
        for record in registrations::by_symbols(&mut conn, symbols).await? {
            if let Ok(symbol) = Symbol::parse(&record.symbol) {
                newest.entry(symbol).or_insert(record);
            }
        }
        Ok(newest)
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
        uncacheable(ctx);
        let symbol = Symbol::parse(&symbol).map_err(ApiError::from).extend()?;
        RegistrationLimiter::admit(ctx, 1).extend()?;
        let db = ctx.data::<Db>()?;
        match registration::request(db, &symbol)
            .await
            .map_err(ApiError::from)
            .extend()?
        {
            Some(record) => Ok(Company::stored(symbol, record)),
            None => Err(ApiError::NotFound(format!(
                "{symbol} is not a listed company"
            )))
            .extend(),
        }
    }

    /// Re-ingests a stored company (admin only: `Authorization: Bearer $ADMIN_TOKEN`). Its
    /// statements stay served until the new ones are stored.
    async fn refresh_company(
        &self,
        ctx: &Context<'_>,
        symbol: String,
    ) -> async_graphql::Result<Company> {
        uncacheable(ctx);
        if !ctx.data::<Caller>().is_ok_and(|caller| caller.admin) {
            return Err(ApiError::Forbidden).extend();
        }
        let symbol = Symbol::parse(&symbol).map_err(ApiError::from).extend()?;
        let db = ctx.data::<Db>()?;
        match registration::refresh(db, &symbol)
            .await
            .map_err(ApiError::from)
            .extend()?
        {
            Some(record) => Ok(Company::stored(symbol, record)),
            None => Err(ApiError::NotFound(format!("{symbol} is not stored"))).extend(),
        }
    }
}
