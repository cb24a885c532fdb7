//! SEC's submissions document (`submissions/CIK##########.json`, in its API and its nightly
//! bulk archive alike): what SEC records of the filer itself. Read for the exchange each of
//! its tickers trades on and its industry (Standard Industrial Classification), which the
//! companyfacts document lacks.

use std::path::Path;

use serde::Deserialize;

use crate::domain::{CompanyInfo, Symbol};

/// Where SEC serves and archives submissions, beside companyfacts.
pub const SUBMISSIONS_DIR: &str = "submissions";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Submissions {
    #[serde(default)]
    tickers: Vec<String>,
    /// One per ticker, in the same order; null for a ticker not traded on an exchange.
    #[serde(default)]
    exchanges: Vec<Option<String>>,
    sic: Option<String>,
    sic_description: Option<String>,
}

/// What a submissions document adds to a company's profile.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FilerProfile {
    pub exchange: Option<String>,
    pub sic_code: Option<String>,
    pub sic_description: Option<String>,
}

impl FilerProfile {
    /// Reads `json`; the exchange is `symbol`'s own (a filer may list several tickers).
    pub fn parse(json: &str, symbol: &Symbol) -> Result<Self, serde_json::Error> {
        let submissions: Submissions = serde_json::from_str(json)?;
        let position = submissions
            .tickers
            .iter()
            .position(|ticker| ticker.eq_ignore_ascii_case(symbol.as_str()));
        let exchange = match position {
            Some(position) => submissions.exchanges.get(position).cloned().flatten(),
            None => submissions.exchanges.iter().flatten().next().cloned(),
        };
        let present = |text: Option<String>| text.filter(|text| !text.trim().is_empty());
        Ok(Self {
            exchange: present(exchange),
            sic_code: present(submissions.sic),
            sic_description: present(submissions.sic_description),
        })
    }

    pub fn apply_to(self, info: &mut CompanyInfo) {
        info.exchange = self.exchange.or(info.exchange.take());
        info.sic_code = self.sic_code;
        info.sic_description = self.sic_description;
    }
}

/// The filer's exchange and industry from the submissions file beside its companyfacts file
/// in a directory of SEC's bulk files (`submissions/` holds the same file name); unknown when
/// the directory has none.
pub async fn read_beside(companyfacts: &Path, symbol: &Symbol) -> Option<FilerProfile> {
    let path = companyfacts
        .parent()?
        .join(SUBMISSIONS_DIR)
        .join(companyfacts.file_name()?);
    let json = tokio::fs::read_to_string(&path).await.ok()?;
    FilerProfile::parse(&json, symbol)
        .inspect_err(|error| tracing::warn!(%symbol, %error, "unreadable {}", path.display()))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exchange_is_the_symbol_s_own_and_blank_fields_are_absent() {
        let json = r#"{"tickers": ["GOOGL", "GOOG"], "exchanges": ["Nasdaq", "NYSE"],
                       "sic": "7370", "sicDescription": " ", "filings": {}}"#;
        let goog = FilerProfile::parse(json, &Symbol::parse("goog").unwrap()).unwrap();
        assert_eq!(goog.exchange.as_deref(), Some("NYSE"));
        assert_eq!(goog.sic_code.as_deref(), Some("7370"));
        assert_eq!(goog.sic_description, None);
        let other = FilerProfile::parse(json, &Symbol::parse("XYZ").unwrap()).unwrap();
        assert_eq!(other.exchange.as_deref(), Some("Nasdaq"));
        assert!(FilerProfile::parse("{}", &Symbol::parse("A").unwrap()).is_ok());
    }
}
