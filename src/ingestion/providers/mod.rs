//! Upstream providers behind one trait, chosen by configuration (`PROVIDER`): `sec` (live SEC
//! EDGAR), `sec-dir` (the same files from a local directory) and `fmp` (Financial Modeling
//! Prep). Each returns normalized statements and sorts its failures into the three kinds the
//! worker acts on: not found, transient (retry) and invalid (give up).

mod fmp;
mod http;
mod sec;
mod sec_dir;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

pub use fmp::FmpProvider;
pub use sec::SecProvider;
pub use sec_dir::SecDirProvider;

use super::normalize::{NormalizeError, normalize};
use crate::config::{ProviderKind, ProviderSettings};
use crate::domain::NormalizedCompany;
use crate::domain::Symbol;

#[async_trait]
pub trait Provider: Send + Sync {
    /// Fetches everything the provider has on `symbol`, normalized.
    async fn fetch(&self, symbol: &Symbol) -> Result<NormalizedCompany, ProviderError>;
}

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The provider does not know the company: final, the company becomes `NOT_FOUND`.
    #[error("{0}")]
    NotFound(String),
    /// Worth retrying: a timeout, a refused connection, HTTP 408, 429 or 5xx, or a refusal of
    /// the operator's account (401/402/403, FMP's "Error Message"). `retry_after` is the
    /// provider's own `Retry-After`, when it sent one.
    #[error("{reason}")]
    Transient {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// The provider answered something unusable (a body that does not parse, a taxonomy we do
    /// not map, a client error): retrying would give the same answer.
    #[error("{0}")]
    Invalid(String),
}

impl ProviderError {
    pub fn transient(reason: impl Into<String>) -> Self {
        Self::Transient {
            reason: reason.into(),
            retry_after: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProviderConfigError {
    #[error(
        "SEC_USER_AGENT is required by the sec provider (SEC's fair-access rules): name the operator and a contact, e.g. \"Finstage ops@example.com\""
    )]
    MissingSecUserAgent,
    #[error("SEC_DIR is required by the sec-dir provider")]
    MissingSecDir,
    #[error("FMP_API_KEY is required by the fmp provider")]
    MissingFmpApiKey,
    #[error("cannot build the HTTP client: {0}")]
    HttpClient(#[from] reqwest::Error),
    #[error("invalid SEC_USER_AGENT: {0}")]
    UserAgent(#[from] reqwest::header::InvalidHeaderValue),
}

/// The provider `settings` choose; refuses to build one whose required settings are missing.
pub fn from_settings(
    settings: &ProviderSettings,
) -> Result<Arc<dyn Provider>, ProviderConfigError> {
    Ok(match settings.provider {
        ProviderKind::Sec => Arc::new(SecProvider::new(settings)?),
        ProviderKind::SecDir => Arc::new(SecDirProvider::new(
            settings
                .sec_dir
                .clone()
                .ok_or(ProviderConfigError::MissingSecDir)?,
        )),
        ProviderKind::Fmp => Arc::new(FmpProvider::new(settings)?),
    })
}

/// Normalizes a companyfacts document off the async workers (milliseconds of CPU for a large
/// filer); a document that does not normalize is the provider's fault, not a reason to retry.
pub(crate) async fn normalize_companyfacts(
    json: String,
) -> Result<NormalizedCompany, ProviderError> {
    tokio::task::spawn_blocking(move || normalize(&json))
        .await
        .map_err(|error| ProviderError::transient(format!("normalization aborted: {error}")))?
        .map_err(|error: NormalizeError| {
            ProviderError::Invalid(format!("unusable companyfacts document: {error}"))
        })
}
