//! `sec-dir`: SEC's files from a local directory (`company_tickers_exchange.json` or
//! `company_tickers.json`, the nightly bulk
//! `CIK##########.json` companyfacts and, when present, `submissions/CIK##########.json`), for
//! offline use, back-fills and the demo.

use std::collections::HashMap;
use std::path::PathBuf;

use async_trait::async_trait;
use tokio::sync::OnceCell;

use super::{Provider, ProviderError, normalize_companyfacts};
use crate::domain::NormalizedCompany;
use crate::domain::Symbol;
use crate::ingestion::companyfacts::{
    TICKERS_FILE, cik_index, companyfacts_file, padded_cik, parse_tickers, tickers_path,
};
use crate::ingestion::submissions;

pub struct SecDirProvider {
    dir: PathBuf,
    /// Read on first use; the directory is replaced as a whole, so restart to pick up a new one.
    ciks: OnceCell<HashMap<Symbol, u64>>,
}

impl SecDirProvider {
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            ciks: OnceCell::new(),
        }
    }

    async fn ciks(&self) -> Result<&HashMap<Symbol, u64>, ProviderError> {
        self.ciks
            .get_or_try_init(|| async {
                let path = tickers_path(&self.dir).await;
                let json = tokio::fs::read_to_string(&path).await.map_err(|error| {
                    ProviderError::transient(format!("cannot read {}: {error}", path.display()))
                })?;
                let tickers = parse_tickers(&json).map_err(|error| {
                    ProviderError::Invalid(format!("malformed {}: {error}", path.display()))
                })?;
                Ok(cik_index(&tickers))
            })
            .await
    }
}

#[async_trait]
impl Provider for SecDirProvider {
    async fn fetch(&self, symbol: &Symbol) -> Result<NormalizedCompany, ProviderError> {
        let cik =
            *self.ciks().await?.get(symbol).ok_or_else(|| {
                ProviderError::NotFound(format!("{symbol} is not in {TICKERS_FILE}"))
            })?;
        let path = self.dir.join(companyfacts_file(cik));
        let json = match tokio::fs::read_to_string(&path).await {
            Ok(json) => json,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(ProviderError::NotFound(format!(
                    "no companyfacts file for {symbol} (CIK {})",
                    padded_cik(cik)
                )));
            }
            Err(error) => {
                return Err(ProviderError::transient(format!(
                    "cannot read {}: {error}",
                    path.display()
                )));
            }
        };
        let mut company = normalize_companyfacts(json).await?;
        if let Some(profile) = submissions::read_beside(&path, symbol).await {
            profile.apply_to(&mut company.info);
        }
        Ok(company)
    }
}
