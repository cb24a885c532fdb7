//! The provider's circuit breaker, one per worker process: when the provider itself is down
//! (throttling, an outage, a refused key), retrying company after company only dead-letters
//! the whole backlog. So the breaker opens, and requests wait, put back, until it closes:
//! - after `PROVIDER_BREAKER_FAILURES` transient failures in a row that came from at least
//!   two companies (one company's own trouble never stops the others), for
//!   `PROVIDER_BREAKER_OPEN_SECS`, doubling each time it opens again;
//! - at once when the provider asks for a pause longer than `WORKER_RETRY_MAX_MS`
//!   (`Retry-After`), for as long as it asked;
//!
//! either way for at most `PROVIDER_BREAKER_MAX_OPEN_SECS` (an hour) at a time. Once the time
//! is up, the next fetch is a probe: an answer (data, not found, unusable) closes the
//! breaker; a failure opens it again at once, for twice as long. A request that ran out of attempts
//! while the provider was failing for everyone is spared dead-lettering once: it comes round
//! again after the outage, and is dead-lettered only if it fails on its own.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::IngestionSettings;
use crate::domain::Symbol;

pub struct ProviderBreaker {
    failures_to_open: u32,
    first_open: Duration,
    longest_open: Duration,
    longest_retry: Duration,
    state: Mutex<State>,
    /// Companies spared dead-lettering once, until they are answered or dead-lettered.
    spared: Mutex<HashSet<Symbol>>,
}

#[derive(Default)]
struct State {
    /// Transient failures since the provider last answered.
    failures: u32,
    failing_symbols: HashSet<Symbol>,
    open_until: Option<Instant>,
    /// Times it opened since the provider last answered.
    openings: u32,
}

impl ProviderBreaker {
    pub fn new(settings: &IngestionSettings) -> Self {
        Self {
            failures_to_open: settings.breaker_failures,
            first_open: Duration::from_secs(settings.breaker_open_secs),
            longest_open: Duration::from_secs(settings.breaker_max_open_secs),
            longest_retry: Duration::from_millis(settings.retry_max_ms),
            state: Mutex::default(),
            spared: Mutex::default(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is counters and sets, consistent after every statement.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn spared(&self) -> std::sync::MutexGuard<'_, HashSet<Symbol>> {
        self.spared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How long it stays open from now; `None` when requests may go to the provider.
    pub fn open_for(&self) -> Option<Duration> {
        let until = self.state().open_until?;
        until
            .checked_duration_since(Instant::now())
            .filter(|left| !left.is_zero())
    }

    /// The provider answered for `symbol` (with data, or that the company is unknown or
    /// unusable).
    pub fn answered(&self, symbol: &Symbol) {
        self.spared().remove(symbol);
        let mut state = self.state();
        if state.openings > 0 {
            tracing::info!("provider answers again; circuit breaker closed");
        }
        *state = State::default();
    }

    /// A transient failure for `symbol`; true when the breaker is now open.
    pub fn failed(&self, symbol: &Symbol, retry_after: Option<Duration>) -> bool {
        let mut state = self.state();
        state.failures += 1;
        state.failing_symbols.insert(symbol.clone());
        let doubled = self.first_open.saturating_mul(1 << state.openings.min(16));
        let now = Instant::now();
        let open_until = state.open_until.filter(|until| *until > now);
        let open_for = match retry_after {
            Some(asked) if asked > self.longest_retry => Some(asked),
            // A fetch begun before the breaker opened: nothing new about the provider.
            _ if open_until.is_some() => return true,
            // A failed probe: the provider is still down.
            _ if state.openings > 0 => Some(doubled),
            _ if state.failures >= self.failures_to_open && state.failing_symbols.len() >= 2 => {
                Some(doubled)
            }
            _ => None,
        };
        let Some(open_for) = open_for.map(|d| d.min(self.longest_open)) else {
            return false;
        };
        state.openings += 1;
        let until = now + open_for;
        state.open_until = Some(open_until.map_or(until, |open| open.max(until)));
        tracing::warn!(
            failures = state.failures,
            companies = state.failing_symbols.len(),
            open_secs = open_for.as_secs(),
            "provider failing; circuit breaker open"
        );
        true
    }

    /// Whether a request for `symbol` that ran out of attempts should wait for the provider
    /// rather than be dead-lettered: always while the breaker has opened in this run of
    /// failures (the provider is down for everyone), and once otherwise, because only the
    /// next company tells whether the provider or this company is at fault. A company that
    /// runs out of attempts again while others are answered is dead-lettered.
    pub fn spare(&self, symbol: &Symbol) -> bool {
        if self.state().openings > 0 {
            return true;
        }
        let mut spared = self.spared();
        if spared.insert(symbol.clone()) {
            return true;
        }
        spared.remove(symbol);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ProviderKind, ProviderSettings};

    fn breaker(failures: u32) -> ProviderBreaker {
        ProviderBreaker::new(&settings(failures))
    }

    fn settings(failures: u32) -> IngestionSettings {
        IngestionSettings {
            provider: ProviderSettings {
                provider: ProviderKind::SecDir,
                sec_base_url: String::new(),
                sec_tickers_url: String::new(),
                sec_user_agent: None,
                sec_requests_per_second: std::num::NonZeroU32::MIN,
                sec_dir: None,
                fmp_base_url: String::new(),
                fmp_api_key: None,
                timeout_secs: 10,
                max_body_bytes: ProviderSettings::DEFAULT_MAX_BODY_BYTES,
            },
            max_attempts: 3,
            retry_base_ms: 100,
            retry_max_ms: 1_000,
            lock_wait_secs: 60,
            breaker_failures: failures,
            breaker_open_secs: 60,
            breaker_max_open_secs: 3_600,
        }
    }

    fn symbol(s: &str) -> Symbol {
        Symbol::parse(s).unwrap()
    }

    #[test]
    fn one_companys_failures_never_open_it() {
        let breaker = breaker(3);
        for _ in 0..10 {
            assert!(!breaker.failed(&symbol("AAPL"), None));
        }
        assert_eq!(breaker.open_for(), None);
    }

    #[test]
    fn a_run_across_companies_opens_it_longer_each_time_until_an_answer() {
        let breaker = breaker(3);
        assert!(!breaker.failed(&symbol("AAPL"), None));
        assert!(!breaker.failed(&symbol("AAPL"), None));
        assert!(breaker.failed(&symbol("SNOW"), None));
        let first = breaker.open_for().unwrap();
        assert!(first > Duration::from_secs(59) && first <= Duration::from_secs(60));
        // The pause is over and the probe fails.
        breaker.state().open_until = Some(Instant::now());
        assert!(breaker.failed(&symbol("SNOW"), None));
        assert!(breaker.open_for().unwrap() > Duration::from_secs(119));
        breaker.answered(&symbol("MRVL"));
        assert_eq!(breaker.open_for(), None);
    }

    #[test]
    fn a_long_retry_after_opens_it_at_once_for_that_long() {
        let breaker = breaker(5);
        assert!(!breaker.failed(&symbol("AAPL"), Some(Duration::from_millis(500))));
        assert!(breaker.failed(&symbol("AAPL"), Some(Duration::from_secs(600))));
        assert!(breaker.open_for().unwrap() > Duration::from_secs(599));
    }

    #[test]
    fn a_failed_probe_opens_it_again_at_once() {
        let breaker = breaker(5);
        assert!(breaker.failed(&symbol("AAPL"), Some(Duration::from_secs(5))));
        // The pause is over; the probe fails too, well short of five failures in a row.
        breaker.state().open_until = Some(Instant::now());
        assert!(breaker.failed(&symbol("AAPL"), None));
        assert!(breaker.open_for().unwrap() > Duration::from_secs(119));
    }

    #[test]
    fn failures_of_fetches_begun_before_it_opened_do_not_lengthen_it() {
        let breaker = breaker(2);
        breaker.failed(&symbol("AAPL"), None);
        assert!(breaker.failed(&symbol("SNOW"), None));
        for _ in 0..5 {
            assert!(breaker.failed(&symbol("MRVL"), None), "still open");
        }
        assert!(breaker.open_for().unwrap() <= Duration::from_secs(60));
        // A long Retry-After still lengthens it, never shortens it.
        assert!(breaker.failed(&symbol("MRVL"), Some(Duration::from_secs(600))));
        assert!(breaker.open_for().unwrap() > Duration::from_secs(599));
        assert!(breaker.failed(&symbol("MRVL"), Some(Duration::from_secs(5))));
        assert!(breaker.open_for().unwrap() > Duration::from_secs(599));
    }

    #[test]
    fn it_never_stays_open_longer_than_the_operator_allows() {
        let breaker = ProviderBreaker::new(&IngestionSettings {
            breaker_max_open_secs: 2,
            ..settings(5)
        });
        assert!(breaker.failed(&symbol("AAPL"), Some(Duration::from_secs(600))));
        assert!(breaker.open_for().unwrap() <= Duration::from_secs(2));
        assert!(breaker.failed(&symbol("SNOW"), None));
        assert!(breaker.open_for().unwrap() <= Duration::from_secs(2));
    }

    #[test]
    fn a_company_failing_alone_is_spared_once_even_while_others_are_answered() {
        let breaker = breaker(3);
        breaker.failed(&symbol("AAPL"), None);
        assert!(breaker.spare(&symbol("AAPL")));
        breaker.answered(&symbol("SNOW"));
        breaker.failed(&symbol("AAPL"), None);
        assert!(
            !breaker.spare(&symbol("AAPL")),
            "dead-lettered the second time"
        );
        assert!(breaker.spare(&symbol("AAPL")), "a new request starts over");
    }

    #[test]
    fn every_company_is_spared_while_the_breaker_has_opened() {
        let breaker = breaker(2);
        breaker.failed(&symbol("AAPL"), None);
        assert!(breaker.failed(&symbol("SNOW"), None));
        for _ in 0..3 {
            assert!(breaker.spare(&symbol("AAPL")));
        }
    }
}
