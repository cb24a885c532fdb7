//! `fmp`: Financial Modeling Prep's "stable" API. Per company: `profile` (name, CIK, currency),
//! then the income, balance-sheet and cash-flow statements, annual and quarterly, mapped onto
//! the standardized line items with the meaning the `sec` provider gives them. The legacy
//! `/api/v3` spellings (`calendarYear`, `fillingDate`, `epsdiluted`,
//! `netCashUsedForInvestingActivites`, …) are read too.
//!
//! - Figures are read from their JSON text into `Decimal`, never through a binary float. A null
//!   or missing field is `None`; a zero FMP sends stays zero (FMP does not say whether it means
//!   "reported as zero" or "not reported").
//! - Signs follow `line_items`: cash paid that FMP reports negative (capital expenditure,
//!   dividends, share repurchases) is stored positive, as SEC's `Payments…` tags are; net cash
//!   flows keep their sign. Free cash flow is computed as for SEC.
//! - Provenance: FY and Q4 come from the 10-K, Q1–Q3 from 10-Qs. The accession number is read
//!   from the SEC link of v3 answers; stable answers carry none, so it is `fmp:` and the EDGAR
//!   acceptance time (`fmp:20241101060136`), which with the CIK identifies the filing on EDGAR
//!   and cannot be mistaken for an accession number.
//! - `derived` means what it means for `sec`: FMP computes Q4 income and cash flow from the
//!   10-K, and Q2–Q4 cash flows from year-to-date figures; balance sheets are as reported.
//! - The API key travels in the query string only, and every error is scrubbed of it.
//!
//! This file is the HTTP client; `fields` maps FMP's fields onto line items, `wire` reads the
//! JSON answers and `normalize` turns them into statements.

mod fields;
#[cfg(test)]
mod fixtures;
mod normalize;
mod wire;

use async_trait::async_trait;
use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};

use self::fields::{Frequency, Kind};
use self::normalize::{Documents, normalize_answers};
use self::wire::parse_profile;
use super::{Provider, ProviderConfigError, ProviderError, http};
use crate::config::ProviderSettings;
use crate::domain::NormalizedCompany;
use crate::domain::Symbol;

const USER_AGENT: &str = concat!("finstage/", env!("CARGO_PKG_VERSION"));

pub struct FmpProvider {
    fetcher: http::Fetcher,
    base_url: String,
    api_key: SecretString,
}

impl FmpProvider {
    pub fn new(settings: &ProviderSettings) -> Result<Self, ProviderConfigError> {
        let api_key = settings
            .fmp_api_key
            .as_ref()
            .map(|key| key.expose_secret().trim())
            .filter(|key| !key.is_empty())
            .ok_or(ProviderConfigError::MissingFmpApiKey)?;
        Ok(Self {
            fetcher: http::Fetcher::new(USER_AGENT, settings)?,
            base_url: settings.fmp_base_url.trim_end_matches('/').to_owned(),
            api_key: SecretString::from(api_key.to_owned()),
        })
    }

    /// GETs `/stable/{endpoint}` for `symbol`; statements also name their `period`.
    async fn get(
        &self,
        endpoint: &str,
        symbol: &Symbol,
        frequency: Option<Frequency>,
    ) -> Result<String, ProviderError> {
        let mut query = vec![("symbol", symbol.as_str())];
        if let Some(frequency) = frequency {
            query.extend([("period", frequency.as_str()), ("limit", frequency.limit())]);
        }
        query.push(("apikey", self.api_key.expose_secret()));
        let url = endpoint_url(&self.base_url, endpoint, &query)?;
        self.fetcher
            .get_text(url.as_str(), &describe(endpoint, frequency))
            .await
    }

    /// The annual and the quarterly answer of one statement endpoint, in `Frequency::BOTH` order.
    async fn statement_answers(
        &self,
        kind: Kind,
        symbol: &Symbol,
    ) -> Result<[String; 2], ProviderError> {
        let [annual, quarterly] = Frequency::BOTH;
        let (annual, quarterly) = tokio::try_join!(
            self.get(kind.endpoint(), symbol, Some(annual)),
            self.get(kind.endpoint(), symbol, Some(quarterly)),
        )?;
        Ok([annual, quarterly])
    }

    /// The profile first, so an unknown symbol costs one request; then the six statement
    /// answers at once.
    async fn fetch_documents(&self, symbol: &Symbol) -> Result<NormalizedCompany, ProviderError> {
        let profile = parse_profile(symbol, &self.get("profile", symbol, None).await?)?;
        let (income, balance, cash_flow) = tokio::try_join!(
            self.statement_answers(Kind::Income, symbol),
            self.statement_answers(Kind::BalanceSheet, symbol),
            self.statement_answers(Kind::CashFlow, symbol),
        )?;
        normalize_answers(
            symbol,
            &profile,
            &Documents {
                income: income.each_ref().map(String::as_str),
                balance: balance.each_ref().map(String::as_str),
                cash_flow: cash_flow.each_ref().map(String::as_str),
            },
        )
    }
}

#[async_trait]
impl Provider for FmpProvider {
    async fn fetch(&self, symbol: &Symbol) -> Result<NormalizedCompany, ProviderError> {
        self.fetch_documents(symbol)
            .await
            .map_err(|error| scrub(error, self.api_key.expose_secret()))
    }
}

/// `{base}/stable/{endpoint}?…`, with the query values percent-encoded.
fn endpoint_url(base: &str, endpoint: &str, query: &[(&str, &str)]) -> Result<Url, ProviderError> {
    Url::parse_with_params(&format!("{base}/stable/{endpoint}"), query).map_err(|error| {
        ProviderError::Invalid(format!("FMP_BASE_URL is not a usable URL: {error}"))
    })
}

/// Names a document in errors, e.g. `FMP income-statement (quarter)`.
fn describe(endpoint: &str, frequency: Option<Frequency>) -> String {
    match frequency {
        Some(frequency) => format!("FMP {endpoint} ({})", frequency.as_str()),
        None => format!("FMP {endpoint}"),
    }
}

/// `error` with the API key masked, in case FMP ever echoes the request in a message.
fn scrub(error: ProviderError, api_key: &str) -> ProviderError {
    if api_key.is_empty() {
        return error;
    }
    let clean = |reason: String| reason.replace(api_key, "[FMP_API_KEY]");
    match error {
        ProviderError::NotFound(reason) => ProviderError::NotFound(clean(reason)),
        ProviderError::Transient {
            reason,
            retry_after,
        } => ProviderError::Transient {
            reason: clean(reason),
            retry_after,
        },
        ProviderError::Invalid(reason) => ProviderError::Invalid(clean(reason)),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use clap::Parser;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::fixtures::{BALANCE, CASH_FLOW, INCOME, PROFILE, V3_CASH_FLOW_QUARTERS, aapl};
    use super::*;

    #[test]
    fn urls_encode_the_query() {
        let url = endpoint_url(
            "http://fmp.test",
            "profile",
            &[("symbol", "BRK.B"), ("apikey", "a b&c")],
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "http://fmp.test/stable/profile?symbol=BRK.B&apikey=a+b%26c"
        );
        let error = endpoint_url("not a url", "profile", &[]).unwrap_err();
        assert!(matches!(error, ProviderError::Invalid(_)));
    }

    #[derive(Parser)]
    struct Settings {
        #[command(flatten)]
        provider: ProviderSettings,
    }

    fn settings(args: &[&str]) -> ProviderSettings {
        let args = ["finstage", "--provider", "fmp"].iter().chain(args);
        Settings::try_parse_from(args).unwrap().provider
    }

    #[test]
    fn refuses_to_start_without_a_key() {
        for args in [&[][..], &["--fmp-api-key", ""], &["--fmp-api-key", "  "]] {
            assert!(matches!(
                FmpProvider::new(&settings(args)),
                Err(ProviderConfigError::MissingFmpApiKey)
            ));
        }
        let provider = FmpProvider::new(&settings(&[
            "--fmp-api-key",
            "k",
            "--fmp-base-url",
            "http://h/",
        ]))
        .unwrap();
        assert_eq!(provider.base_url, "http://h");
    }

    /// A local stand-in for FMP: answers each request with `answer(path, query)`.
    async fn fake_fmp(
        answer: impl Fn(&str, &HashMap<String, String>) -> (u16, String) + Send + Sync + 'static,
    ) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let answer = Arc::new(answer);
        tokio::spawn(async move {
            loop {
                let (mut socket, _) = listener.accept().await.unwrap();
                let answer = answer.clone();
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buffer = [0; 4096];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        let read = socket.read(&mut buffer).await.unwrap();
                        if read == 0 {
                            return;
                        }
                        request.extend_from_slice(&buffer[..read]);
                    }
                    let head = String::from_utf8_lossy(&request);
                    let target = head.split_whitespace().nth(1).unwrap_or("/");
                    let url = Url::parse(&format!("http://fmp.test{target}")).unwrap();
                    let query = url.query_pairs().into_owned().collect();
                    let (status, body) = answer(url.path(), &query);
                    let response = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    socket.write_all(response.as_bytes()).await.unwrap();
                });
            }
        });
        format!("http://{address}/")
    }

    fn provider(base_url: &str) -> FmpProvider {
        FmpProvider::new(&settings(&[
            "--fmp-api-key",
            "secret-key",
            "--fmp-base-url",
            base_url,
        ]))
        .unwrap()
    }

    #[tokio::test]
    async fn fetches_the_profile_and_six_statement_answers() {
        let base_url = fake_fmp(|path, query| {
            let expected = (
                query.get("symbol").map(String::as_str),
                query.get("apikey").map(String::as_str),
            );
            if expected != (Some("AAPL"), Some("secret-key")) {
                return (400, "[]".into());
            }
            let annual = match query.get("period").map(String::as_str) {
                None | Some("annual") => true,
                Some("quarter") => false,
                Some(_) => return (400, "[]".into()),
            };
            let body = match (path, annual) {
                ("/stable/profile", _) => PROFILE,
                ("/stable/income-statement", true) => INCOME,
                ("/stable/balance-sheet-statement", true) => BALANCE,
                ("/stable/cash-flow-statement", true) => CASH_FLOW,
                ("/stable/income-statement" | "/stable/balance-sheet-statement", false) => "[]",
                ("/stable/cash-flow-statement", false) => V3_CASH_FLOW_QUARTERS,
                _ => return (404, "[]".into()),
            };
            (200, body.into())
        })
        .await;
        let company = provider(&base_url).fetch(&aapl()).await.unwrap();
        assert_eq!(company.info.name, "Apple Inc.");
        assert_eq!(company.income.len(), 1);
        assert_eq!(company.balance.len(), 1);
        assert_eq!(company.cash_flow.len(), 6);
    }

    #[tokio::test]
    async fn errors_never_show_the_key() {
        let refusal = r#"{"Error Message": "Invalid API KEY secret-key."}"#;
        // The profile's status and body, and the exact reason where one is certain; every
        // statement endpoint answers 429, and which of them fails first is up to the race.
        let cases = [
            (401, refusal, Some("FMP profile: HTTP 401 Unauthorized")),
            (
                200,
                refusal,
                Some("FMP profile: FMP refused: Invalid API KEY [FMP_API_KEY]."),
            ),
            (200, PROFILE, None),
        ];
        for (status, profile, exact) in cases {
            let base_url = fake_fmp(move |path, _| match path {
                "/stable/profile" => (status, profile.into()),
                _ => (429, "[]".into()),
            })
            .await;
            let error = provider(&base_url).fetch(&aapl()).await.unwrap_err();
            let ProviderError::Transient { reason, .. } = &error else {
                panic!("{error:?}")
            };
            assert!(!reason.contains("secret-key"), "{reason}");
            if let Some(exact) = exact {
                assert_eq!(reason, exact);
            }
        }
    }
}
