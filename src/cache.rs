//! The gateway's process-wide read cache (moka): `READY` company rows by symbol and each
//! company's statements by kind. Statements change only when a company is re-ingested, so an
//! entry lives until that company's result event (see `registration::results`) or, as a
//! backstop when events are off or missed, until `CACHE_TTL_SECS` passes. Companies in any
//! other status are always read from MySQL, so a `PENDING` company is seen turning `READY`.
//!
//! A load that raced with an invalidation must not put its older rows back: every fill
//! carries the generation it started in and is dropped if an invalidation happened since.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

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
    companies: Cache<Symbol, CompanyRecord>,
    income: Cache<i64, CompanyStatements<IncomeStatementItems>>,
    balance: Cache<i64, CompanyStatements<BalanceSheetItems>>,
    cash_flow: Cache<i64, CompanyStatements<CashFlowItems>>,
    generation: AtomicU64,
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
        let ttl = Duration::from_secs(settings.ttl_secs);
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
            companies: Cache::builder().max_capacity(max).time_to_live(ttl).build(),
            income: statements(max, ttl),
            balance: statements(max, ttl),
            cash_flow: statements(max, ttl),
            generation: AtomicU64::new(0),
        }
    }

    /// Call before reading MySQL for rows to fill the cache with.
    pub fn generation(&self) -> Generation {
        Generation(self.generation.load(Ordering::Acquire))
    }

    pub fn company(&self, symbol: &Symbol) -> Option<CompanyRecord> {
        self.companies.get(symbol)
    }

    /// Keeps `record` if it is `READY` and nothing was invalidated since `loaded_in`.
    pub fn fill_company(&self, loaded_in: Generation, symbol: Symbol, record: &CompanyRecord) {
        if record.status == CompanyStatus::Ready && self.is_current(loaded_in) {
            self.companies.insert(symbol, record.clone());
        }
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
        if self.is_current(loaded_in) {
            S::cache(self).insert(company_id, statements.clone());
        }
    }

    /// Drops everything cached about one company. `company_id` is its id if known; without
    /// it, every company's statements are dropped (rare: an event for a company this process
    /// never cached and whose id could not be looked up).
    pub fn invalidate(&self, symbol: &Symbol, company_id: Option<i64>) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        let cached_id = self.companies.remove(symbol).map(|record| record.id);
        match company_id.or(cached_id) {
            Some(id) => {
                self.income.invalidate(&id);
                self.balance.invalidate(&id);
                self.cash_flow.invalidate(&id);
            }
            None => {
                self.income.invalidate_all();
                self.balance.invalidate_all();
                self.cash_flow.invalidate_all();
            }
        }
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
            ttl_secs: 600,
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
}
