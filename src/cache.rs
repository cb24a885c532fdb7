//! The gateway's process-wide read cache (moka): `READY` company rows by symbol, each
//! company's statements by kind, and whole query responses that only read `READY` companies.
//! Statements change only when a company is re-ingested, so an entry lives until that
//! company's result event (see `registration::results`) or, as a backstop when events are off
//! or missed, until `CACHE_TTL_SECS` passes. Company rows in any other status are always read
//! from MySQL, so a `PENDING` company is seen turning `READY`.
//!
//! A response is cached under its exact request (the bytes of a JSON POST body, or a GET's
//! query string) with the companies it read (`ResponseDependencies`). Caching is opt-in:
//! a response is kept only when `graphql::request::CachePolicy` saw every one of its fields
//! come from READY company data; any other field (a registration, a search, a mutation, a
//! field added later and not declared cache-safe) leaves it uncached.
//!
//! Identical requests that miss at the same moment (a cold cache, or every dashboard
//! re-asking right after a company's result event) are computed once: the first computes,
//! the others wait for it and then read its cached answer (`ReadCache::turn`). If it was not
//! cacheable, they go on to compute it themselves, together, so no one waits twice.
//!
//! A load that raced with an invalidation must not put its older rows back: every fill
//! carries the generation it started in and is dropped if an invalidation happened since.
//! An invalidation (remove, then count a new generation) holds `invalidating` exclusively;
//! reading the generation and checking-then-inserting hold it shared, so neither can fall in
//! the middle of an invalidation.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};
use std::time::Duration;

use bytes::Bytes;
use moka::sync::Cache;

use crate::config::CacheSettings;
use crate::db::companies::CompanyRecord;
use crate::db::statements::StatementKind;
use crate::domain::{
    BalanceSheetItems, CashFlowItems, CompanyStatus, IncomeStatementItems, Statement, Symbol,
};

/// All statements of one kind of one company, newest first.
pub type CompanyStatements<S> = Arc<Vec<Statement<S>>>;

pub struct ReadCache {
    responses: Cache<RequestKey, CachedResponse>,
    companies: Cache<Symbol, CompanyRecord>,
    income: Cache<i64, CompanyStatements<IncomeStatementItems>>,
    balance: Cache<i64, CompanyStatements<BalanceSheetItems>>,
    cash_flow: Cache<i64, CompanyStatements<CashFlowItems>>,
    keeps_statements: bool,
    generation: AtomicU64,
    invalidating: RwLock<()>,
    /// Responses being computed, by key; the computing request holds the lock.
    computing: Mutex<HashMap<RequestKey, Arc<tokio::sync::Mutex<()>>>>,
}

/// A request exactly as it came, which is what a cached response is filed under.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RequestKey {
    /// The body of a JSON `POST`.
    Post(Bytes),
    /// The query string of a `GET`.
    Get(Bytes),
}

impl RequestKey {
    fn len(&self) -> usize {
        match self {
            Self::Post(bytes) | Self::Get(bytes) => bytes.len(),
        }
    }
}

/// Whose turn it is to compute a response that is not cached.
pub enum Turn<'a> {
    /// Compute it; identical requests wait until this is dropped.
    Compute(Computing<'a>),
    /// Another request is computing it: `wait`, then look in the cache again.
    Wait(Waiting),
}

pub struct Waiting(Arc<tokio::sync::Mutex<()>>);

impl Waiting {
    /// Returns once the request computing this response has finished.
    pub async fn wait(self) {
        drop(self.0.lock().await);
    }
}

/// Held while a response is computed; dropping it (done, failed or cancelled) lets the
/// requests waiting for the same response go on.
pub struct Computing<'a> {
    cache: &'a ReadCache,
    key: RequestKey,
    _turn: tokio::sync::OwnedMutexGuard<()>,
}

impl Drop for Computing<'_> {
    fn drop(&mut self) {
        self.cache
            .computing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&self.key);
    }
}

#[derive(Clone)]
struct CachedResponse {
    body: Bytes,
    companies: Arc<[Symbol]>,
}

/// What one response read and whether it may be kept, recorded while it is computed.
/// A response starts undecided, which is never cached: only `graphql::request::CachePolicy`,
/// having seen every field of a successful execution resolve from READY company data,
/// declares it cacheable. Anything else (a field it does not know, a company not `READY`) rules it out
/// for good.
#[derive(Default)]
pub struct ResponseDependencies(Mutex<Dependencies>);

#[derive(Default)]
struct Dependencies {
    companies: Vec<Symbol>,
    cacheability: Cacheability,
}

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum Cacheability {
    #[default]
    Undecided,
    Cacheable,
    Uncacheable,
}

impl ResponseDependencies {
    /// The response shows this company; cacheable only while it is `READY`.
    pub fn company(&self, symbol: &Symbol, status: Option<CompanyStatus>) {
        if let Ok(mut dependencies) = self.0.lock() {
            dependencies.companies.push(symbol.clone());
            if status != Some(CompanyStatus::Ready) {
                dependencies.cacheability = Cacheability::Uncacheable;
            }
        }
    }

    /// The response shows something no result event announces a change of.
    pub fn uncacheable(&self) {
        if let Ok(mut dependencies) = self.0.lock() {
            dependencies.cacheability = Cacheability::Uncacheable;
        }
    }

    /// Every field of the response was cache-safe; a verdict of uncacheable stands.
    pub fn cacheable(&self) {
        if let Ok(mut dependencies) = self.0.lock()
            && dependencies.cacheability == Cacheability::Undecided
        {
            dependencies.cacheability = Cacheability::Cacheable;
        }
    }

    /// The companies the response read, if it may be cached.
    pub fn cacheable_companies(&self) -> Option<Arc<[Symbol]>> {
        let dependencies = self.0.lock().ok()?;
        (dependencies.cacheability == Cacheability::Cacheable)
            .then(|| dependencies.companies.clone().into())
    }
}

/// The generation a load started in; see the module documentation.
#[derive(Debug, Clone, Copy)]
pub struct Generation(u64);

/// A statement kind the cache holds.
pub trait CachedKind: StatementKind {
    fn cache(cache: &ReadCache) -> &Cache<i64, CompanyStatements<Self>>;
}

impl CachedKind for IncomeStatementItems {
    fn cache(cache: &ReadCache) -> &Cache<i64, CompanyStatements<Self>> {
        &cache.income
    }
}

impl CachedKind for BalanceSheetItems {
    fn cache(cache: &ReadCache) -> &Cache<i64, CompanyStatements<Self>> {
        &cache.balance
    }
}

impl CachedKind for CashFlowItems {
    fn cache(cache: &ReadCache) -> &Cache<i64, CompanyStatements<Self>> {
        &cache.cash_flow
    }
}

impl ReadCache {
    pub fn new(settings: &CacheSettings) -> Self {
        // A response may be built from rows and statements just before they expire, then
        // live on by itself: each layer gets half the TTL, so nothing served is older.
        let ttl = Duration::from_secs(settings.ttl_secs) / 2;
        fn statements<S: Send + Sync + 'static>(
            max: u64,
            ttl: Duration,
        ) -> Cache<i64, CompanyStatements<S>> {
            Cache::builder()
                // Weighed in statements, so the bound tracks memory, not company count.
                .weigher(|_, statements: &CompanyStatements<S>| {
                    u32::try_from(statements.len()).unwrap_or(u32::MAX).max(1)
                })
                .max_capacity(max)
                .time_to_live(ttl)
                .build()
        }
        let max = settings.max_statements;
        Self {
            responses: Cache::builder()
                .weigher(|key: &RequestKey, response: &CachedResponse| {
                    u32::try_from(key.len() + response.body.len()).unwrap_or(u32::MAX)
                })
                .max_capacity(settings.max_response_bytes)
                .time_to_live(ttl)
                .support_invalidation_closures()
                .build(),
            companies: Cache::builder().max_capacity(max).time_to_live(ttl).build(),
            income: statements(max, ttl),
            balance: statements(max, ttl),
            cash_flow: statements(max, ttl),
            keeps_statements: max > 0,
            generation: AtomicU64::new(0),
            invalidating: RwLock::new(()),
            computing: Mutex::default(),
        }
    }

    /// Call before reading MySQL for rows to fill the cache with.
    pub fn generation(&self) -> Generation {
        let _shared = self.shared();
        Generation(self.generation.load(Ordering::Acquire))
    }

    pub fn response(&self, key: &RequestKey) -> Option<Bytes> {
        self.responses.get(key).map(|response| response.body)
    }

    /// Decides who computes the response under `key`, which was not cached: this request, or
    /// the identical one already computing it.
    pub fn turn(&self, key: &RequestKey) -> Turn<'_> {
        let mut computing = self
            .computing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(turn) = computing.get(key) {
            return Turn::Wait(Waiting(turn.clone()));
        }
        let turn = Arc::new(tokio::sync::Mutex::new(()));
        let Ok(held) = turn.clone().try_lock_owned() else {
            // Unreachable: nobody else has seen this new lock.
            return Turn::Wait(Waiting(turn));
        };
        computing.insert(key.clone(), turn);
        Turn::Compute(Computing {
            cache: self,
            key: key.clone(),
            _turn: held,
        })
    }

    /// Keeps a response if its resolvers found it cacheable and nothing was invalidated since
    /// `computed_in`.
    pub fn fill_response(
        &self,
        computed_in: Generation,
        key: RequestKey,
        body: Bytes,
        dependencies: &ResponseDependencies,
    ) {
        let _shared = self.shared();
        if let Some(companies) = dependencies.cacheable_companies()
            && self.is_current(computed_in)
        {
            self.responses
                .insert(key, CachedResponse { body, companies });
        }
    }

    pub fn company(&self, symbol: &Symbol) -> Option<CompanyRecord> {
        self.companies.get(symbol)
    }

    /// Keeps `record` if it is `READY` and nothing was invalidated since `loaded_in`.
    pub fn fill_company(&self, loaded_in: Generation, symbol: Symbol, record: &CompanyRecord) {
        let _shared = self.shared();
        if record.status == CompanyStatus::Ready && self.is_current(loaded_in) {
            self.companies.insert(symbol, record.clone());
        }
    }

    /// False when the statement cache is off (`CACHE_MAX_STATEMENTS=0`): loads then need
    /// read only what their request shows.
    pub fn keeps_statements(&self) -> bool {
        self.keeps_statements
    }

    pub fn statements<S: CachedKind>(&self, company_id: i64) -> Option<CompanyStatements<S>> {
        S::cache(self).get(&company_id)
    }

    /// Keeps a company's statements if nothing was invalidated since `loaded_in`.
    pub fn fill_statements<S: CachedKind>(
        &self,
        loaded_in: Generation,
        company_id: i64,
        statements: &CompanyStatements<S>,
    ) {
        let _shared = self.shared();
        if self.is_current(loaded_in) {
            S::cache(self).insert(company_id, statements.clone());
        }
    }

    /// Drops everything cached about one company. `company_id` is its id if known; without
    /// it, every company's statements are dropped (rare: an event for a company this process
    /// never cached and whose id could not be looked up).
    pub fn invalidate(&self, symbol: &Symbol, company_id: Option<i64>) {
        // A poisoned lock only means another thread panicked holding it; the guarded data
        // is `()`, so there is nothing to repair.
        let _exclusive = self
            .invalidating
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let changed = symbol.clone();
        if self
            .responses
            .invalidate_entries_if(move |_, response| response.companies.contains(&changed))
            .is_err()
        {
            self.responses.invalidate_all();
        }
        let cached_id = self.companies.remove(symbol).map(|record| record.id);
        match company_id.or(cached_id) {
            Some(id) => {
                self.income.invalidate(&id);
                self.balance.invalidate(&id);
                self.cash_flow.invalidate(&id);
            }
            None => self.drop_all_statements(),
        }
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Drops everything: for when outcomes may have been missed and no entry can be trusted.
    pub fn invalidate_all(&self) {
        let _exclusive = self
            .invalidating
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.responses.invalidate_all();
        self.companies.invalidate_all();
        self.drop_all_statements();
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    fn drop_all_statements(&self) {
        self.income.invalidate_all();
        self.balance.invalidate_all();
        self.cash_flow.invalidate_all();
    }

    fn shared(&self) -> RwLockReadGuard<'_, ()> {
        self.invalidating
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn is_current(&self, loaded_in: Generation) -> bool {
        self.generation.load(Ordering::Acquire) == loaded_in.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache() -> ReadCache {
        ReadCache::new(&CacheSettings {
            max_statements: 1_000,
            max_response_bytes: 1_000_000,
            ttl_secs: 600,
            http_max_age_secs: 60,
        })
    }

    #[test]
    fn a_fill_that_raced_with_an_invalidation_is_dropped() {
        let cache = cache();
        let symbol = Symbol::parse("AAPL").unwrap();
        let loaded_in = cache.generation();
        cache.invalidate(&symbol, Some(7));
        cache.fill_statements::<IncomeStatementItems>(loaded_in, 7, &Arc::new(Vec::new()));
        assert!(cache.statements::<IncomeStatementItems>(7).is_none());

        let loaded_in = cache.generation();
        cache.fill_statements::<IncomeStatementItems>(loaded_in, 7, &Arc::new(Vec::new()));
        assert!(cache.statements::<IncomeStatementItems>(7).is_some());
        cache.invalidate(&symbol, Some(7));
        assert!(cache.statements::<IncomeStatementItems>(7).is_none());
    }

    #[test]
    fn responses_are_kept_only_when_every_company_read_is_ready() {
        let cache = cache();
        let q1 = RequestKey::Post(Bytes::from_static(b"q1"));
        let q2 = RequestKey::Post(Bytes::from_static(b"q2"));
        let apple = Symbol::parse("AAPL").unwrap();
        let ready = ResponseDependencies::default();
        ready.company(&apple, Some(CompanyStatus::Ready));
        cache.fill_response(cache.generation(), q1.clone(), Bytes::from("a"), &ready);
        assert_eq!(cache.response(&q1), None, "undecided is not cacheable");
        ready.cacheable();
        cache.fill_response(cache.generation(), q1.clone(), Bytes::from("a"), &ready);
        assert_eq!(cache.response(&q1), Some(Bytes::from("a")));
        let same_bytes_by_get = RequestKey::Get(Bytes::from_static(b"q1"));
        assert_eq!(cache.response(&same_bytes_by_get), None);

        let pending = ResponseDependencies::default();
        pending.company(&apple, Some(CompanyStatus::Ready));
        pending.company(&Symbol::parse("NEW").unwrap(), None);
        pending.cacheable();
        cache.fill_response(cache.generation(), q2.clone(), Bytes::from("b"), &pending);
        assert_eq!(cache.response(&q2), None);

        cache.invalidate(&Symbol::parse("MSFT").unwrap(), Some(1));
        assert!(cache.response(&q1).is_some(), "another company's event");
        cache.invalidate(&apple, Some(7));
        assert_eq!(cache.response(&q1), None);
    }

    #[tokio::test]
    async fn one_request_computes_and_identical_ones_wait_for_it() {
        let cache = cache();
        let key = RequestKey::Post(Bytes::from_static(b"q"));
        let Turn::Compute(computing) = cache.turn(&key) else {
            panic!("the first request computes");
        };
        let Turn::Wait(waiting) = cache.turn(&key) else {
            panic!("an identical request waits");
        };
        let other = RequestKey::Post(Bytes::from_static(b"other"));
        assert!(
            matches!(cache.turn(&other), Turn::Compute(_)),
            "another request does not wait"
        );

        let waited = tokio::spawn(waiting.wait());
        tokio::task::yield_now().await;
        assert!(!waited.is_finished(), "waits while the first computes");
        drop(computing);
        waited.await.unwrap();
        assert!(
            matches!(cache.turn(&key), Turn::Compute(_)),
            "nothing left behind"
        );
    }
}
