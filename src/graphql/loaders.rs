//! DataLoaders, created per request. Companies are loaded by symbol; statements are loaded
//! per company and kept for the request, so `companies` can prefetch every company's
//! statements in one batch and the per-company fields then filter in memory: at most one SQL
//! query per statement kind per request, whatever the number of companies and however the
//! fields' arguments differ. Both loaders read through the process-wide `ReadCache` and go to
//! MySQL only for what it lacks. A statement load reads all periods when the cache keeps
//! statements (whole companies are what it keeps); without it, only the request's window
//! (`plan`). `Registrar` registers every symbol the
//! request asks for that is not stored in one transaction, however many fields ask.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use futures_util::future::BoxFuture;
use tracing::Instrument;

use super::ApiError;
use super::plan::{RequestPlan, StatementField};
use super::request::{Caller, RegistrationLimiter};
use crate::cache::{CachedKind, CompanyStatements, ReadCache};
use crate::db::Db;
use crate::db::companies::{self, CompanyRecord};
use crate::db::registrations::{self, RegistrationRecord};
use crate::domain::{
    BalanceSheetItems, CashFlowItems, IncomeStatementItems, Statement, StatementWindow, Symbol,
};
use crate::registration::Registrations;

/// Adds this request's loaders, and its caller, to a GraphQL request.
pub fn with_loaders(
    request: async_graphql::Request,
    db: &Db,
    cache: &Arc<ReadCache>,
    registrations: &Registrations,
    limiter: &Arc<RegistrationLimiter>,
    caller: Caller,
) -> async_graphql::Request {
    // Whole companies are what the statement cache keeps, so with it on every load reads all
    // periods and there is nothing to plan.
    let plan = (!cache.keeps_statements()).then(|| Arc::new(RequestPlan::default()));
    let request = request
        .data(DataLoader::new(
            Registrar {
                registrations: registrations.clone(),
                limiter: limiter.clone(),
                caller: caller.clone(),
            },
            spawn_in_request_span,
        ))
        .data(caller)
        .data(DataLoader::new(
            CompanyLoader {
                db: db.clone(),
                cache: cache.clone(),
            },
            spawn_in_request_span,
        ))
        .data(DataLoader::new(
            RegistrationLoader(db.clone()),
            spawn_in_request_span,
        ))
        .data(StatementLoader::<IncomeStatementItems>::data_loader(
            db, cache, &plan,
        ))
        .data(StatementLoader::<BalanceSheetItems>::data_loader(
            db, cache, &plan,
        ))
        .data(StatementLoader::<CashFlowItems>::data_loader(
            db, cache, &plan,
        ));
    match plan {
        Some(plan) => request.data(plan),
        None => request,
    }
}

pub struct CompanyLoader {
    db: Db,
    cache: Arc<ReadCache>,
}

impl Loader<Symbol> for CompanyLoader {
    type Value = CompanyRecord;
    type Error = ApiError;

    #[tracing::instrument(name = "load_companies", skip_all, fields(count = symbols.len()))]
    async fn load(&self, symbols: &[Symbol]) -> Result<HashMap<Symbol, CompanyRecord>, ApiError> {
        let mut found = HashMap::with_capacity(symbols.len());
        let mut missing = Vec::new();
        for symbol in symbols {
            match self.cache.company(symbol) {
                Some(record) => {
                    found.insert(symbol.clone(), record);
                }
                None => missing.push(symbol.clone()),
            }
        }
        if missing.is_empty() {
            return Ok(found);
        }
        let generation = self.cache.generation();
        let mut conn = self.db.conn().await?;
        for record in companies::by_symbols(&mut conn, &missing).await? {
            if let Ok(symbol) = Symbol::parse(&record.symbol) {
                self.cache.fill_company(generation, symbol.clone(), &record);
                found.insert(symbol, record);
            }
        }
        Ok(found)
    }
}

pub struct StatementLoader<S> {
    db: Db,
    cache: Arc<ReadCache>,
    /// The request's plan; none while the statement cache is on.
    plan: Option<Arc<RequestPlan>>,
    kind: PhantomData<fn() -> S>,
}

impl<S: CachedKind> StatementLoader<S> {
    fn data_loader(
        db: &Db,
        cache: &Arc<ReadCache>,
        plan: &Option<Arc<RequestPlan>>,
    ) -> DataLoader<Self, HashMapCache> {
        let loader = Self {
            db: db.clone(),
            cache: cache.clone(),
            plan: plan.clone(),
            kind: PhantomData,
        };
        DataLoader::with_cache(loader, spawn_in_request_span, HashMapCache::default())
    }
}

impl<S: StatementField> Loader<i64> for StatementLoader<S> {
    type Value = CompanyStatements<S>;
    type Error = ApiError;

    #[tracing::instrument(
        name = "load_statements",
        skip_all,
        fields(kind = std::any::type_name::<S>(), count = company_ids.len())
    )]
    async fn load(
        &self,
        company_ids: &[i64],
    ) -> Result<HashMap<i64, CompanyStatements<S>>, ApiError> {
        let mut found = HashMap::with_capacity(company_ids.len());
        let mut missing = Vec::new();
        for &id in company_ids {
            match self.cache.statements::<S>(id) {
                Some(statements) => {
                    found.insert(id, statements);
                }
                None => missing.push(id),
            }
        }
        if missing.is_empty() {
            return Ok(found);
        }
        let window = self
            .plan
            .as_ref()
            .map_or(StatementWindow::All, |plan| plan.window::<S>());
        let generation = self.cache.generation();
        let mut conn = self.db.conn().await?;
        let rows = S::load(&mut conn, &missing, &window).await?;
        drop(conn);
        self.db.count_statement_rows(rows.len());
        let mut by_company: HashMap<i64, Vec<Statement<S>>> =
            missing.iter().map(|id| (*id, Vec::new())).collect();
        for (company_id, statement) in rows {
            by_company.entry(company_id).or_default().push(statement);
        }
        for (id, statements) in by_company {
            let statements = Arc::new(statements);
            // None yet usually means not ingested yet: not worth keeping.
            if window == StatementWindow::All && !statements.is_empty() {
                self.cache.fill_statements(generation, id, &statements);
            }
            found.insert(id, statements);
        }
        Ok(found)
    }
}

/// Runs a loader's batch within the request's span, so its spans (and the registrations it
/// writes) belong to the request's trace.
fn spawn_in_request_span(batch: BoxFuture<'static, ()>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(batch.in_current_span())
}

/// Registers the symbols a request asks for that are not stored, as many as the caller's
/// rate limit admits, in one transaction.
pub struct Registrar {
    registrations: Registrations,
    limiter: Arc<RegistrationLimiter>,
    caller: Caller,
}

/// What registering a symbol that was not stored came to.
#[derive(Debug, Clone)]
pub enum Registered {
    /// Stored now (`PENDING` with an open request), or by a request that just beat this one.
    Stored(Box<CompanyRecord>),
    /// A loaded securities master does not list the symbol: nothing was queued.
    Unlisted,
    /// Beyond the caller's per-minute limit: nothing was queued.
    RateLimited,
}

impl Loader<Symbol> for Registrar {
    type Value = Registered;
    type Error = ApiError;

    #[tracing::instrument(name = "register_missing", skip_all, fields(count = symbols.len()))]
    async fn load(&self, symbols: &[Symbol]) -> Result<HashMap<Symbol, Registered>, ApiError> {
        let mut symbols = symbols.to_vec();
        // Which symbols get the allowance must not depend on the order fields resolve in.
        symbols.sort();
        let admitted = self.limiter.admit_up_to(&self.caller, symbols.len());
        let (now, later) = symbols.split_at(admitted);
        let mut outcomes: HashMap<Symbol, Registered> = later
            .iter()
            .map(|symbol| (symbol.clone(), Registered::RateLimited))
            .collect();
        if !now.is_empty() {
            let registered = self.registrations.register(now).await?;
            for (symbol, record) in registered.companies {
                outcomes.insert(symbol, Registered::Stored(Box::new(record)));
            }
            for symbol in registered.unknown {
                outcomes.insert(symbol, Registered::Unlisted);
            }
        }
        Ok(outcomes)
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
        let newest = registrations::newest_by_symbols(&mut conn, symbols).await?;
        Ok(newest
            .into_iter()
            .filter_map(|record| Some((Symbol::parse(&record.symbol).ok()?, record)))
            .collect())
    }
}
