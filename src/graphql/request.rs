//! What the HTTP layer puts on each request (`Caller`) and what the schema reports back about
//! it: the registration rate limit per caller, and `CachePolicy`, which decides whether an
//! answer may be kept by the read cache.

use std::num::NonZeroU32;
use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextResolve, ResolveInfo,
};
use async_graphql::{Context, Response, ServerResult, Value};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::ApiError;
use crate::cache::ResponseDependencies;
use crate::domain::{CompanyStatus, Symbol};

/// Who is calling, set per request by the HTTP layer.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Rate-limiting key: the client's IP address.
    pub client_ip: String,
    /// True when the request carried `Authorization: Bearer $ADMIN_TOKEN`.
    pub admin: bool,
}

/// Limits how many new registrations each client may cause per minute.
pub struct RegistrationLimiter(DefaultKeyedRateLimiter<String>);

impl RegistrationLimiter {
    pub fn per_minute(limit: NonZeroU32) -> Self {
        Self(RateLimiter::keyed(Quota::per_minute(limit)))
    }

    /// Takes one registration from the caller's allowance, or fails with `RATE_LIMITED`.
    pub fn admit(ctx: &Context<'_>) -> Result<(), ApiError> {
        // Both are always set by the HTTP layer; without them nobody could be limited, so
        // refuse rather than admit everyone.
        let (Ok(limiter), Ok(caller)) = (ctx.data::<Arc<Self>>(), ctx.data::<Caller>()) else {
            tracing::error!("registration attempted without a caller or limiter");
            return Err(ApiError::Internal);
        };
        match limiter.admit_up_to(caller, 1) {
            1 => Ok(()),
            _ => Err(ApiError::RateLimited),
        }
    }

    /// Takes up to `count` registrations from the caller's allowance; returns how many.
    pub fn admit_up_to(&self, caller: &Caller, count: usize) -> usize {
        (0..count)
            .take_while(|_| self.0.check_key(&caller.client_ip).is_ok())
            .count()
    }

    /// Forgets clients whose allowance is full again, so the limiter's memory follows the
    /// clients of the last minute, not every address ever seen.
    pub fn prune(&self) {
        self.0.retain_recent();
        self.0.shrink_to_fit();
    }
}

/// Tells the read cache that the answer shows this company (cacheable only while `READY`).
pub fn record_company(ctx: &Context<'_>, symbol: &Symbol, status: Option<CompanyStatus>) {
    if let Some(dependencies) = ctx.data_opt::<Arc<ResponseDependencies>>() {
        dependencies.company(symbol, status);
    }
}

/// Fields whose values are a stored company's own data, or computed from it alone: they
/// change only when the company is re-ingested, which its result event announces. This is
/// the whole opt-in list; an answer that resolves any other field (a search, a registration,
/// a mutation, introspection, a field added later) is never cached.
fn is_cache_safe(parent_type: &str, field: &str) -> bool {
    match parent_type {
        // Each records the companies it shows, and their status, in `ResponseDependencies`.
        "Query" => matches!(field, "company" | "companies" | "node"),
        "Company" => matches!(
            field,
            "id" | "symbol"
                | "cik"
                | "name"
                | "exchange"
                | "sicCode"
                | "sicDescription"
                | "currency"
                | "fiscalYearEnd"
                | "status"
                | "statusReason"
                | "lastIngestedAt"
                | "incomeStatements"
                | "balanceSheets"
                | "cashFlowStatements"
        ),
        // Each item of a list (`[IncomeStatement!]`) is reported apart from the field that
        // returned the list, which was judged by its own parent above.
        list if list.starts_with('[') => true,
        // A statement's fields are its stored row, and what is computed from the company's
        // stored rows alone: per-share figures, TTM quarters, metrics.
        "IncomeStatement"
        | "BalanceSheet"
        | "CashFlowStatement"
        | "PerShareFigures"
        | "QuarterRef"
        | "IncomeMetrics"
        | "CashFlowMetrics"
        | "BalanceSheetMetrics" => true,
        _ => false,
    }
}

/// The read cache's opt-in: marks an answer cacheable only when it executed without errors
/// and every field it resolved is cache-safe. Without this extension nothing is cached.
pub struct CachePolicy;

impl ExtensionFactory for CachePolicy {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(CachePolicy)
    }
}

#[async_trait::async_trait]
impl Extension for CachePolicy {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let response = next.run(ctx, operation_name).await;
        if response.is_ok()
            && let Some(dependencies) = ctx.data_opt::<Arc<ResponseDependencies>>()
        {
            dependencies.cacheable();
        }
        response
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if !is_cache_safe(info.parent_type, info.name)
            && let Some(dependencies) = ctx.data_opt::<Arc<ResponseDependencies>>()
        {
            dependencies.uncacheable();
        }
        next.run(ctx, info).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use async_graphql::{EmptyMutation, EmptySubscription, MergedObject, Object, Schema};
    use secrecy::SecretString;

    use std::num::NonZeroU32;

    use super::{CachePolicy, Caller, RegistrationLimiter};
    use crate::cache::{ReadCache, ResponseDependencies};
    use crate::config::{CacheSettings, DatabaseSettings};
    use crate::db::Db;
    use crate::graphql::company::CompanyQuery;
    use crate::graphql::with_loaders;

    /// A field someone adds without declaring it cache-safe.
    #[derive(Default)]
    struct NewField;

    #[Object]
    impl NewField {
        async fn server_time(&self) -> String {
            chrono::Utc::now().to_rfc3339()
        }
    }

    #[derive(MergedObject, Default)]
    #[graphql(name = "Query")]
    struct QueryWithNewField(CompanyQuery, NewField);

    /// Runs `query` on the real company fields plus `NewField`; returns what the cache may keep.
    async fn cacheable(query: &str) -> Option<Arc<[crate::domain::Symbol]>> {
        let schema = Schema::build(
            QueryWithNewField::default(),
            EmptyMutation,
            EmptySubscription,
        )
        .extension(CachePolicy)
        .finish();
        // `companies(symbols: [])` never reaches the database, so nothing listens there.
        let db = Db::new(&DatabaseSettings {
            url: SecretString::from("mysql://root@127.0.0.1:1/none"),
            pool_size: 1,
            timeout_secs: 1,
            statement_timeout_ms: 10_000,
        })
        .unwrap();
        let cache = Arc::new(ReadCache::new(&CacheSettings {
            max_statements: 10,
            max_response_bytes: 10_000,
            ttl_secs: 60,
            http_max_age_secs: 60,
        }));
        let dependencies = Arc::new(ResponseDependencies::default());
        let limiter = Arc::new(RegistrationLimiter::per_minute(NonZeroU32::MIN));
        let caller = Caller {
            client_ip: "127.0.0.1".into(),
            admin: false,
        };
        let registrations = crate::registration::Registrations::start(db.clone());
        let request = with_loaders(
            async_graphql::Request::new(query),
            &db,
            &cache,
            &registrations,
            &limiter,
            caller,
        )
        .data(dependencies.clone());
        let response = schema.execute(request).await;
        assert!(response.is_ok(), "{:?}", response.errors);
        dependencies.cacheable_companies()
    }

    #[tokio::test]
    async fn only_fields_declared_cache_safe_make_an_answer_cacheable() {
        assert!(
            cacheable("{ companies(symbols: []) { symbol } }")
                .await
                .is_some(),
            "company data is cacheable"
        );
        assert!(
            cacheable("{ serverTime }").await.is_none(),
            "a field that did not opt in is never cached"
        );
        assert!(
            cacheable("{ companies(symbols: []) { symbol } later: serverTime }")
                .await
                .is_none(),
            "one such field makes the whole answer uncacheable"
        );
    }
}
