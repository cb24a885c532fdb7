//! `sec`: live SEC EDGAR. Symbol → CIK and exchange from `SEC_TICKERS_URL`
//! (`company_tickers_exchange.json` or `company_tickers.json`, cached for a day), then
//! `api/xbrl/companyfacts/CIK##########.json` and, for the exchange and industry,
//! `submissions/CIK##########.json`. SEC's fair-access rules ask for a User-Agent
//! naming the operator and at most 10 requests per second: a limiter shared by every request
//! of this process keeps under `SEC_REQUESTS_PER_SECOND` (with N worker processes, set it to
//! 10/N).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::Mutex;

use super::{Provider, ProviderConfigError, ProviderError, http, normalize_companyfacts};
use crate::config::ProviderSettings;
use crate::domain::NormalizedCompany;
use crate::domain::Symbol;
use crate::ingestion::companyfacts::{
    Listed, companyfacts_file, listed_index, padded_cik, parse_tickers,
};
use crate::ingestion::submissions::{FilerProfile, SUBMISSIONS_DIR};

/// SEC adds new tickers daily; a day-old list only delays brand-new listings.
const TICKERS_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);

pub struct SecProvider {
    fetcher: http::Fetcher,
    base_url: String,
    tickers_url: String,
    limiter: Arc<DefaultDirectRateLimiter>,
    tickers: Mutex<Option<Tickers>>,
}

struct Tickers {
    fetched_at: Instant,
    listed: Arc<HashMap<Symbol, Listed>>,
}

impl SecProvider {
    pub fn new(settings: &ProviderSettings) -> Result<Self, ProviderConfigError> {
        let user_agent = settings
            .sec_user_agent
            .as_deref()
            .map(str::trim)
            .filter(|agent| !agent.is_empty())
            .ok_or(ProviderConfigError::MissingSecUserAgent)?;
        reqwest::header::HeaderValue::from_str(user_agent)?;
        Ok(Self {
            fetcher: http::Fetcher::new(user_agent, settings)?,
            base_url: settings.sec_base_url.trim_end_matches('/').to_owned(),
            tickers_url: settings.sec_tickers_url.clone(),
            limiter: Arc::new(RateLimiter::direct(Quota::per_second(
                settings.sec_requests_per_second,
            ))),
            tickers: Mutex::new(None),
        })
    }

    async fn get(&self, url: &str, what: &str) -> Result<String, ProviderError> {
        self.limiter.until_ready().await;
        self.fetcher.get_text(url, what).await
    }

    /// The securities master by symbol, refetched when a day old. If refetching fails, a
    /// stale one is better than none.
    async fn listed(&self) -> Result<Arc<HashMap<Symbol, Listed>>, ProviderError> {
        let mut cached = self.tickers.lock().await;
        if let Some(tickers) = cached.as_ref()
            && tickers.fetched_at.elapsed() < TICKERS_MAX_AGE
        {
            return Ok(tickers.listed.clone());
        }
        let fetched = match self.get(&self.tickers_url, "company tickers").await {
            Ok(json) => parse_tickers(&json).map_err(|error| {
                ProviderError::Invalid(format!("malformed company tickers: {error}"))
            }),
            Err(ProviderError::NotFound(reason)) => Err(ProviderError::Invalid(reason)),
            Err(error) => Err(error),
        };
        match (fetched, cached.as_ref()) {
            (Ok(tickers), _) => {
                let listed = Arc::new(listed_index(&tickers));
                *cached = Some(Tickers {
                    fetched_at: Instant::now(),
                    listed: listed.clone(),
                });
                Ok(listed)
            }
            (Err(error), Some(stale)) => {
                tracing::warn!(%error, "cannot refresh company tickers; using the cached list");
                Ok(stale.listed.clone())
            }
            (Err(error), None) => Err(error),
        }
    }
}

impl SecProvider {
    /// The filer's exchange and industry from its submissions document. Only its outages
    /// fail the fetch (to be retried); a missing or unreadable document leaves them unknown.
    async fn filer_profile(
        &self,
        symbol: &Symbol,
        cik: u64,
    ) -> Result<Option<FilerProfile>, ProviderError> {
        let url = format!(
            "{}/{SUBMISSIONS_DIR}/{}",
            self.base_url,
            companyfacts_file(cik)
        );
        let what = format!("submissions CIK{}", padded_cik(cik));
        let json = match self.get(&url, &what).await {
            Ok(json) => json,
            Err(error @ ProviderError::Transient { .. }) => return Err(error),
            Err(error) => {
                tracing::warn!(%symbol, %error, "no submissions document; exchange and industry unknown");
                return Ok(None);
            }
        };
        match FilerProfile::parse(&json, symbol) {
            Ok(profile) => Ok(Some(profile)),
            Err(error) => {
                tracing::warn!(%symbol, %error, "unreadable submissions document");
                Ok(None)
            }
        }
    }
}

#[async_trait]
impl Provider for SecProvider {
    async fn fetch(&self, symbol: &Symbol) -> Result<NormalizedCompany, ProviderError> {
        let listed = self.listed().await?.get(symbol).cloned().ok_or_else(|| {
            ProviderError::NotFound(format!("{symbol} is not in SEC's company tickers"))
        })?;
        let cik = listed.cik;
        let url = format!(
            "{}/api/xbrl/companyfacts/{}",
            self.base_url,
            companyfacts_file(cik)
        );
        let what = format!("companyfacts CIK{}", padded_cik(cik));
        let json = self.get(&url, &what).await?;
        let mut company = normalize_companyfacts(json).await?;
        if let Some(profile) = self.filer_profile(symbol, cik).await? {
            profile.apply_to(&mut company.info);
        }
        company.info.exchange = company.info.exchange.take().or(listed.exchange);
        Ok(company)
    }
}
