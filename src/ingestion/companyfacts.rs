//! SEC EDGAR XBRL documents: `companyfacts/CIK##########.json`, and the securities master in
//! either of SEC's shapes (`company_tickers.json`, `company_tickers_exchange.json`).
//! Concepts are kept as raw JSON until asked for, so a 4 MB document costs one scan plus the
//! few dozen concepts the line items use; values stay exact decimal text.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::domain::Symbol;

/// SEC's securities master: every ticker with its CIK and company name.
pub const TICKERS_FILE: &str = "company_tickers.json";
/// The same list with each ticker's exchange, preferred where both are at hand.
pub const TICKERS_EXCHANGE_FILE: &str = "company_tickers_exchange.json";

/// The securities master in `dir`: `company_tickers_exchange.json` when present, else
/// `company_tickers.json`.
pub async fn tickers_path(dir: &Path) -> PathBuf {
    let with_exchange = dir.join(TICKERS_EXCHANGE_FILE);
    if tokio::fs::try_exists(&with_exchange).await.unwrap_or(false) {
        with_exchange
    } else {
        dir.join(TICKERS_FILE)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FactsError {
    #[error("malformed companyfacts JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("no us-gaap facts (taxonomies present: {found}); only us-gaap filers are supported")]
    UnsupportedTaxonomy { found: String },
}

/// One companyfacts document, borrowed from its JSON text.
#[derive(Debug, Deserialize)]
pub struct CompanyFacts<'a> {
    #[serde(deserialize_with = "cik")]
    pub cik: u64,
    #[serde(rename = "entityName")]
    pub entity_name: String,
    #[serde(borrow)]
    facts: HashMap<&'a str, HashMap<&'a str, &'a RawValue>>,
}

#[derive(Debug, Deserialize)]
struct Concept<'a> {
    #[serde(borrow)]
    units: HashMap<&'a str, Vec<Fact<'a>>>,
}

/// One reported value: a duration (`start`..`end`) or an instant (`end` only).
#[derive(Debug, Clone, Deserialize)]
pub struct Fact<'a> {
    pub start: Option<NaiveDate>,
    pub end: NaiveDate,
    #[serde(deserialize_with = "exact_decimal")]
    pub val: Decimal,
    pub accn: &'a str,
    pub form: &'a str,
    pub filed: NaiveDate,
}

impl<'a> CompanyFacts<'a> {
    pub fn parse(json: &'a str) -> Result<Self, FactsError> {
        let facts: Self = serde_json::from_str(json)?;
        if !facts.facts.contains_key("us-gaap") {
            let mut found: Vec<&str> = facts.facts.keys().copied().collect();
            found.sort_unstable();
            return Err(FactsError::UnsupportedTaxonomy {
                found: found.join(", "),
            });
        }
        Ok(facts)
    }

    /// Facts of one us-gaap concept in one unit (`USD`, `USD/shares`, `shares`), empty when
    /// the company never reported it.
    pub fn us_gaap(&self, concept: &str, unit: &str) -> Result<Vec<Fact<'a>>, FactsError> {
        let Some(raw) = self.facts.get("us-gaap").and_then(|c| c.get(concept)) else {
            return Ok(Vec::new());
        };
        let mut concept: Concept<'a> = serde_json::from_str(raw.get())?;
        Ok(concept.units.remove(unit).unwrap_or_default())
    }

    /// The units a concept is reported in.
    pub fn units_of(&self, concept: &str) -> Result<Vec<&'a str>, FactsError> {
        let Some(raw) = self.facts.get("us-gaap").and_then(|c| c.get(concept)) else {
            return Ok(Vec::new());
        };
        let concept: Concept<'a> = serde_json::from_str(raw.get())?;
        Ok(concept.units.into_keys().collect())
    }
}

/// Reads a JSON number from its text, so `6.13` stays exactly 6.13 (never through f64).
fn exact_decimal<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    let raw: &'de RawValue = Deserialize::deserialize(deserializer)?;
    let text = raw.get();
    text.parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(text))
        .map_err(|e| serde::de::Error::custom(format!("value {text} is not a decimal: {e}")))
}

/// A CIK, which SEC writes as a number in most documents and as zero-padded text in some.
fn cik<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Cik<'a> {
        Number(u64),
        Text(&'a str),
    }
    match Cik::deserialize(deserializer)? {
        Cik::Number(cik) => Ok(cik),
        Cik::Text(text) => text
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("CIK {text:?} is not a number"))),
    }
}

/// One ticker of SEC's securities master.
#[derive(Debug, Clone, Deserialize)]
pub struct Ticker {
    pub cik_str: u64,
    pub ticker: String,
    pub title: String,
    /// As SEC names it (`Nasdaq`, `NYSE`, `OTC`, `CBOE`); only `company_tickers_exchange.json`
    /// has it, and not for every ticker.
    #[serde(default)]
    pub exchange: Option<String>,
}

/// All tickers, in the file's order (SEC lists the primary ticker of a CIK first), from
/// either shape SEC publishes: `company_tickers.json`
/// (`{"0":{"cik_str":320193,"ticker":"AAPL","title":"Apple Inc."},…}`) or
/// `company_tickers_exchange.json`
/// (`{"fields":["cik","name","ticker","exchange"],"data":[[320193,"Apple Inc.","AAPL","Nasdaq"],…]}`).
pub fn parse_tickers(json: &str) -> Result<Vec<Ticker>, serde_json::Error> {
    #[derive(Deserialize)]
    struct Table {
        fields: Vec<String>,
        data: Vec<Vec<serde_json::Value>>,
    }
    if let Ok(table) = serde_json::from_str::<Table>(json) {
        return table_tickers(&table.fields, table.data);
    }
    let by_index: HashMap<String, Ticker> = serde_json::from_str(json)?;
    let mut entries: Vec<(u64, Ticker)> = by_index
        .into_iter()
        .map(|(index, ticker)| (index.parse().unwrap_or(u64::MAX), ticker))
        .collect();
    entries.sort_by_key(|(index, _)| *index);
    Ok(entries.into_iter().map(|(_, ticker)| ticker).collect())
}

/// The rows of `company_tickers_exchange.json`, read by its `fields`, whatever their order.
fn table_tickers(
    fields: &[String],
    rows: Vec<Vec<serde_json::Value>>,
) -> Result<Vec<Ticker>, serde_json::Error> {
    use serde::de::Error;
    let column = |name: &str| {
        fields
            .iter()
            .position(|field| field == name)
            .ok_or_else(|| serde_json::Error::custom(format!("no {name:?} in fields")))
    };
    let (cik, name, ticker) = (column("cik")?, column("name")?, column("ticker")?);
    let exchange = column("exchange").ok();
    rows.into_iter()
        .enumerate()
        .map(|(index, row)| {
            let text = |column: usize| row.get(column).and_then(|value| value.as_str());
            let malformed = || serde_json::Error::custom(format!("row {index} is malformed"));
            Ok(Ticker {
                cik_str: row
                    .get(cik)
                    .and_then(|value| value.as_u64())
                    .ok_or_else(malformed)?,
                ticker: text(ticker).ok_or_else(malformed)?.to_owned(),
                title: text(name).ok_or_else(malformed)?.to_owned(),
                exchange: exchange.and_then(text).map(str::to_owned),
            })
        })
        .collect()
}

/// What the securities master says of one symbol.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub cik: u64,
    /// Only `company_tickers_exchange.json` has it.
    pub exchange: Option<String>,
}

/// Symbol → its listing for every ticker with a valid symbol; a symbol listed twice keeps its
/// first entry.
pub fn listed_index(tickers: &[Ticker]) -> HashMap<Symbol, Listed> {
    let mut index = HashMap::with_capacity(tickers.len());
    for ticker in tickers {
        if let Ok(symbol) = Symbol::parse(&ticker.ticker) {
            index.entry(symbol).or_insert_with(|| Listed {
                cik: ticker.cik_str,
                exchange: ticker.exchange.clone(),
            });
        }
    }
    index
}

/// The CIK as SEC writes it in file names and URLs: ten digits, zero-padded.
pub fn padded_cik(cik: u64) -> String {
    format!("{cik:010}")
}

/// The name of a company's companyfacts document, in SEC's bulk archive and its API alike:
/// `CIK0000320193.json`.
pub fn companyfacts_file(cik: u64) -> String {
    format!("CIK{}.json", padded_cik(cik))
}

#[cfg(test)]
mod tests {
    use super::parse_tickers;

    #[test]
    fn reads_both_shapes_of_the_securities_master_in_their_order() {
        let plain = parse_tickers(
            r#"{"1":{"cik_str":789019,"ticker":"MSFT","title":"MICROSOFT CORP"},
                "0":{"cik_str":320193,"ticker":"AAPL","title":"Apple Inc."}}"#,
        )
        .unwrap();
        let plain: Vec<_> = plain
            .iter()
            .map(|t| (t.cik_str, t.ticker.as_str(), t.exchange.as_deref()))
            .collect();
        assert_eq!(plain, [(320193, "AAPL", None), (789019, "MSFT", None)]);

        let with_exchange = parse_tickers(
            r#"{"fields":["cik","name","ticker","exchange"],
                "data":[[320193,"Apple Inc.","AAPL","Nasdaq"],[1640147,"Snowflake Inc.","SNOW","NYSE"],
                        [1000045,"OLD MARKET CAPITAL Corp","OMCC",null]]}"#,
        )
        .unwrap();
        let with_exchange: Vec<_> = with_exchange
            .iter()
            .map(|t| (t.ticker.as_str(), t.title.as_str(), t.exchange.as_deref()))
            .collect();
        assert_eq!(
            with_exchange,
            [
                ("AAPL", "Apple Inc.", Some("Nasdaq")),
                ("SNOW", "Snowflake Inc.", Some("NYSE")),
                ("OMCC", "OLD MARKET CAPITAL Corp", None)
            ]
        );
    }

    #[test]
    fn refuses_a_table_without_its_columns_or_with_a_malformed_row() {
        let no_ticker = r#"{"fields":["cik","name"],"data":[[320193,"Apple Inc."]]}"#;
        assert!(parse_tickers(no_ticker).is_err());
        let text_cik = r#"{"fields":["cik","name","ticker","exchange"],"data":[["x","Apple Inc.","AAPL","Nasdaq"]]}"#;
        assert!(parse_tickers(text_cik).is_err());
    }
}
