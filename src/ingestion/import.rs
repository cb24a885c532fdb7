//! `finstage import --dir PATH`: loads SEC bulk files without Kafka — the securities master
//! (`company_tickers_exchange.json`, with exchanges, or else `company_tickers.json`) into
//! `listings`, then each `CIK##########.json` into the statement tables, one company per
//! transaction. A company whose file is unreadable or unusable fails alone, with its reason.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};

use super::companyfacts::{
    Listed, Ticker, companyfacts_file, listed_index, padded_cik, parse_tickers, tickers_path,
};
use super::providers::normalize_companyfacts;
use super::submissions;
use crate::db::listings::{self, Listing};
use crate::db::{Db, DbError};
use crate::domain::Symbol;
use crate::registration::lifecycle;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("malformed {path}: {source}")]
    Tickers {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(transparent)]
    Database(#[from] DbError),
}

/// What an import did.
#[derive(Debug, Default)]
pub struct ImportSummary {
    pub listings_inserted: usize,
    pub listings_updated: usize,
    pub imported: Vec<Symbol>,
    /// Companies that failed, with the reason.
    pub failed: Vec<(String, String)>,
}

impl std::fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "listings: {} new, {} updated; companies: {} imported, {} failed",
            self.listings_inserted,
            self.listings_updated,
            self.imported.len(),
            self.failed.len()
        )
    }
}

/// Which companies' statements an import loads (the securities master is always loaded).
#[derive(Debug, Clone, Copy)]
pub enum Companies<'a> {
    /// None: the worker ingests companies on demand.
    None,
    /// Every companyfacts file in the directory.
    All,
    /// These symbols' companies.
    Only(&'a [Symbol]),
}

/// Imports `dir`: its securities master, then the companies `companies` selects.
pub async fn import_dir(
    db: &Db,
    dir: &Path,
    companies: Companies<'_>,
) -> Result<ImportSummary, ImportError> {
    let tickers_path = tickers_path(dir).await;
    let tickers =
        parse_tickers(&read(&tickers_path).await?).map_err(|source| ImportError::Tickers {
            path: tickers_path.clone(),
            source,
        })?;
    let mut summary = ImportSummary::default();

    let mut conn = db.conn().await?;
    let counts = listings::sync(&mut conn, &listing_rows(&tickers))
        .await
        .map_err(DbError::from)?;
    summary.listings_inserted = counts.inserted;
    summary.listings_updated = counts.updated;

    let only = match companies {
        Companies::None => return Ok(summary),
        // `companies_to_import` reads no symbols as every file.
        Companies::All => &[],
        Companies::Only(symbols) => symbols,
    };
    let master = tickers_path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let listed = listed_index(&tickers);
    let companies =
        companies_to_import(dir, &tickers, &listed, &master, only, &mut summary).await?;
    let progress = ProgressBar::new(companies.len() as u64).with_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    for (symbol, path) in companies {
        progress.set_message(symbol.to_string());
        // Where SEC's submissions file is absent, the exchange the securities master gives.
        let exchange = listed
            .get(&symbol)
            .and_then(|entry| entry.exchange.as_deref());
        match import_company(&mut conn, &symbol, &path, exchange).await {
            Ok(()) => summary.imported.push(symbol),
            Err(reason) => {
                tracing::warn!(%symbol, %reason, "company not imported");
                summary.failed.push((symbol.to_string(), reason));
            }
        }
        progress.inc(1);
    }
    progress.finish_and_clear();
    Ok(summary)
}

async fn import_company(
    conn: &mut crate::db::DbConnection,
    symbol: &Symbol,
    path: &Path,
    listed_exchange: Option<&str>,
) -> Result<(), String> {
    let json = read(path).await.map_err(|e| e.to_string())?;
    let mut company = normalize_companyfacts(json)
        .await
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if let Some(profile) = submissions::read_beside(path, symbol).await {
        profile.apply_to(&mut company.info);
    }
    company.info.exchange = company
        .info
        .exchange
        .take()
        .or_else(|| listed_exchange.map(str::to_owned));
    lifecycle::store(conn, symbol, &company, None, 0)
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

fn listing_rows(tickers: &[Ticker]) -> Vec<Listing> {
    let mut seen = std::collections::HashSet::new();
    tickers
        .iter()
        .filter_map(|t| Some((Symbol::parse(&t.ticker).ok()?, t)))
        .filter(|(symbol, _)| seen.insert(symbol.clone()))
        .map(|(symbol, t)| {
            Listing::fitted(
                symbol.to_string(),
                padded_cik(t.cik_str),
                &t.title,
                t.exchange.as_deref(),
            )
        })
        .collect()
}

/// The (symbol, file) pairs to import: every companyfacts file in `dir` under its CIK's
/// primary ticker (the first SEC lists), or just the files of the `only` symbols.
async fn companies_to_import(
    dir: &Path,
    tickers: &[Ticker],
    listed: &HashMap<Symbol, Listed>,
    master: &str,
    only: &[Symbol],
    summary: &mut ImportSummary,
) -> Result<Vec<(Symbol, PathBuf)>, ImportError> {
    let mut primary_by_cik: HashMap<u64, Symbol> = HashMap::new();
    for ticker in tickers {
        if let Ok(symbol) = Symbol::parse(&ticker.ticker) {
            primary_by_cik.entry(ticker.cik_str).or_insert(symbol);
        }
    }
    let file_of = |cik: u64| dir.join(companyfacts_file(cik));

    if !only.is_empty() {
        let mut wanted = Vec::new();
        for symbol in only {
            match listed.get(symbol) {
                Some(entry) => wanted.push((symbol.clone(), file_of(entry.cik))),
                None => summary
                    .failed
                    .push((symbol.to_string(), format!("{symbol} is not in {master}"))),
            }
        }
        return Ok(wanted);
    }

    let mut entries = tokio::fs::read_dir(dir)
        .await
        .map_err(|source| ImportError::Read {
            path: dir.to_owned(),
            source,
        })?;
    let mut found = Vec::new();
    while let Some(entry) = entries
        .next_entry()
        .await
        .map_err(|source| ImportError::Read {
            path: dir.to_owned(),
            source,
        })?
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(cik) = name
            .strip_prefix("CIK")
            .and_then(|rest| rest.strip_suffix(".json"))
            .and_then(|digits| digits.parse::<u64>().ok())
        else {
            continue;
        };
        match primary_by_cik.get(&cik) {
            Some(symbol) => found.push((symbol.clone(), entry.path())),
            None => summary
                .failed
                .push((name, format!("CIK {cik} has no ticker in {master}"))),
        }
    }
    found.sort();
    Ok(found)
}

async fn read(path: &Path) -> Result<String, ImportError> {
    tokio::fs::read_to_string(path)
        .await
        .map_err(|source| ImportError::Read {
            path: path.to_owned(),
            source,
        })
}
