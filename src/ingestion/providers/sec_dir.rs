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
    Listed, companyfacts_file, listed_index, padded_cik, parse_tickers, tickers_path,
};
use crate::ingestion::submissions;

pub struct SecDirProvider {
    dir: PathBuf,
    /// Read on first use; the directory is replaced as a whole, so restart to pick up a new one.
    master: OnceCell<Master>,
}

/// The securities master the directory holds, and the name of its file (for reasons).
struct Master {
    file: String,
    listed: HashMap<Symbol, Listed>,
}

impl SecDirProvider {
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            master: OnceCell::new(),
        }
    }

    async fn master(&self) -> Result<&Master, ProviderError> {
        self.master
            .get_or_try_init(|| async {
                let path = tickers_path(&self.dir).await;
                let json = tokio::fs::read_to_string(&path).await.map_err(|error| {
                    ProviderError::transient(format!("cannot read {}: {error}", path.display()))
                })?;
                let tickers = parse_tickers(&json).map_err(|error| {
                    ProviderError::Invalid(format!("malformed {}: {error}", path.display()))
                })?;
                Ok(Master {
                    file: path
                        .file_name()
                        .map(|name| name.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    listed: listed_index(&tickers),
                })
            })
            .await
    }
}

#[async_trait]
impl Provider for SecDirProvider {
    async fn fetch(&self, symbol: &Symbol) -> Result<NormalizedCompany, ProviderError> {
        let master = self.master().await?;
        let listed = master.listed.get(symbol).ok_or_else(|| {
            ProviderError::NotFound(format!("{symbol} is not in {}", master.file))
        })?;
        let cik = listed.cik;
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
        company.info.exchange = company.info.exchange.take().or(listed.exchange.clone());
        Ok(company)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingestion::companyfacts::TICKERS_EXCHANGE_FILE;

    #[tokio::test]
    async fn the_exchange_file_gives_the_exchange_and_names_itself_in_reasons() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(TICKERS_EXCHANGE_FILE),
            r#"{"fields":["cik","name","ticker","exchange"],
                "data":[[1640147,"Snowflake Inc.","SNOW","NYSE"]]}"#,
        )
        .unwrap();
        std::fs::copy(
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/sec/CIK0001640147.json"
            ),
            dir.path().join("CIK0001640147.json"),
        )
        .unwrap();
        let provider = SecDirProvider::new(dir.path().to_owned());

        let snowflake = provider
            .fetch(&Symbol::parse("SNOW").unwrap())
            .await
            .unwrap();
        assert_eq!(snowflake.info.exchange.as_deref(), Some("NYSE"));
        let Err(ProviderError::NotFound(reason)) =
            provider.fetch(&Symbol::parse("ZZZZ").unwrap()).await
        else {
            panic!("ZZZZ is not listed");
        };
        assert_eq!(reason, format!("ZZZZ is not in {TICKERS_EXCHANGE_FILE}"));
    }
}
