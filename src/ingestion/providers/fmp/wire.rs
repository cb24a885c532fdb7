//! Reading FMP's JSON: an answer's rows, each field kept as its JSON text until asked for, so
//! figures become exact decimals and never pass through `f64`; the profile; and the small
//! values (CIK, currency, dates) the rows carry.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::describe;
use crate::domain::Symbol;
use crate::ingestion::companyfacts::padded_cik;
use crate::ingestion::providers::ProviderError;

/// What FMP's profile says about the company.
#[derive(Debug)]
pub(super) struct Profile {
    pub(super) name: String,
    pub(super) cik: Option<String>,
    pub(super) currency: Option<String>,
    pub(super) exchange: Option<String>,
}

/// One row of an FMP answer: field name → the field's JSON text, read on demand so numbers
/// never pass through `f64`.
#[derive(Deserialize)]
#[serde(transparent)]
pub(super) struct Row<'a>(#[serde(borrow)] HashMap<String, &'a RawValue>);

impl<'a> Row<'a> {
    /// The first of `keys` with a non-null value, and its name.
    fn raw(&self, keys: &[&'static str]) -> Option<(&'static str, &'a RawValue)> {
        keys.iter().find_map(|&key| {
            let raw = *self.0.get(key)?;
            (raw.get().trim() != "null").then_some((key, raw))
        })
    }

    /// A string field, or a number's text (`fiscalYear` may come either way).
    pub(super) fn text(&self, keys: &[&'static str]) -> Option<String> {
        let (_, raw) = self.raw(keys)?;
        Some(serde_json::from_str(raw.get()).unwrap_or_else(|_| raw.get().trim().to_owned()))
    }

    pub(super) fn decimal(&self, keys: &[&'static str]) -> Result<Option<Decimal>, String> {
        let Some((key, raw)) = self.raw(keys) else {
            return Ok(None);
        };
        parse_decimal(raw.get())
            .map(Some)
            .ok_or_else(|| format!("`{key}` is not a number: {}", shorten(raw.get())))
    }
}

/// A JSON number's text as an exact decimal, exponent forms (`1.5e9`) included.
fn parse_decimal(text: &str) -> Option<Decimal> {
    let text = text.trim();
    if text.contains(['e', 'E']) {
        Decimal::from_scientific(text).ok()
    } else {
        Decimal::from_str_exact(text).ok()
    }
}

/// The rows of an answer. FMP answers `[]` for a symbol it does not know, and an object such
/// as `{"Error Message": "Invalid API KEY. …"}` when it refuses (bad key, endpoint not in the
/// plan). A refusal is a condition of the operator's account, not of this company, so it
/// is transient, like the same refusal sent as HTTP 401/403 (see `http::Fetcher::get_text`): retried,
/// then dead-lettered for replay once the account is fixed, instead of failing the company.
pub(super) fn rows<'a>(json: &'a str, what: &str) -> Result<Vec<Row<'a>>, ProviderError> {
    #[derive(Deserialize)]
    struct Refusal {
        #[serde(rename = "Error Message")]
        message: String,
    }
    serde_json::from_str(json).map_err(|error| match serde_json::from_str::<Refusal>(json) {
        Ok(refusal) => ProviderError::transient(format!(
            "{what}: FMP refused: {}",
            shorten(&refusal.message)
        )),
        Err(_) => ProviderError::Invalid(format!(
            "{what}: not a list of rows ({error}): {}",
            shorten(json)
        )),
    })
}

/// At most 200 characters of `text`, for error messages (the status reason is 1000 at most).
fn shorten(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(200) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

pub(super) fn parse_profile(symbol: &Symbol, json: &str) -> Result<Profile, ProviderError> {
    let rows = rows(json, &describe("profile", None))?;
    let row = rows
        .first()
        .ok_or_else(|| ProviderError::NotFound(format!("FMP does not know {symbol}")))?;
    let name = row
        .text(&["companyName"])
        .filter(|name| !name.trim().is_empty())
        .ok_or_else(|| ProviderError::Invalid(format!("FMP profile of {symbol} has no name")))?;
    Ok(Profile {
        name,
        cik: row.text(&["cik"]).as_deref().and_then(ten_digit_cik),
        currency: row.text(&["currency"]).as_deref().and_then(currency_code),
        exchange: row
            .text(&["exchange", "exchangeShortName"])
            .filter(|exchange| !exchange.trim().is_empty()),
    })
}

/// A CIK as the service stores it (ten digits), from FMP's `"0000320193"` or `"320193"`.
pub(super) fn ten_digit_cik(text: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty() || text.len() > 10 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().map(padded_cik)
}

/// An ISO 4217 code, as the `CHAR(3)` currency columns hold.
pub(super) fn currency_code(text: &str) -> Option<String> {
    let text = text.trim();
    (text.len() == 3 && text.bytes().all(|b| b.is_ascii_uppercase())).then(|| text.to_owned())
}

/// `YYYY-MM-DD`, or the date of FMP's `YYYY-MM-DD hh:mm:ss`.
pub(super) fn date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_exact() {
        for (text, expected) in [
            ("391035000000", "391035000000"),
            ("6.08", "6.08"),
            ("0.0", "0"),
            ("-19154000000", "-19154000000"),
            ("1.5e9", "1500000000"),
            ("-1.063E9", "-1063000000"),
            ("1.5e+9", "1500000000"),
            ("2.5E-3", "0.0025"),
            ("0.1", "0.1"),
        ] {
            assert_eq!(
                parse_decimal(text),
                Some(expected.parse().unwrap()),
                "{text}"
            );
        }
        assert_eq!(parse_decimal(r#""12""#), None);
    }
}
