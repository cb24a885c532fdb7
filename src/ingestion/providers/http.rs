//! HTTP plumbing shared by the live providers: one client with timeouts and a cap on body
//! size, and the mapping of HTTP outcomes to `ProviderError` (404 → not found; timeouts,
//! 401/402/403, 429 and 5xx → transient, with the server's `Retry-After`; other client
//! errors → invalid).

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Client, StatusCode};

use super::ProviderError;
use crate::config::ProviderSettings;

/// A client with a connect timeout, an overall timeout per request, and a cap on how many
/// bytes of body (after decompression) it reads, so a huge or maliciously compressed answer
/// (a gzip bomb) cannot exhaust the worker's memory.
pub struct Fetcher {
    client: Client,
    max_body_bytes: usize,
}

impl Fetcher {
    pub fn new(user_agent: &str, settings: &ProviderSettings) -> reqwest::Result<Self> {
        let timeout = settings.timeout();
        let client = Client::builder()
            .user_agent(user_agent)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .timeout(timeout)
            .build()?;
        Ok(Self {
            client,
            max_body_bytes: usize::try_from(settings.max_body_bytes).unwrap_or(usize::MAX),
        })
    }

    /// GETs `url` and returns its body; `what` names the document in errors. The URL is not
    /// put in errors because it may carry an API key.
    pub async fn get_text(&self, url: &str, what: &str) -> Result<String, ProviderError> {
        let response =
            self.client.get(url).send().await.map_err(|error| {
                ProviderError::transient(format!("{what}: {}", describe(error)))
            })?;
        if response.status().is_success() {
            return self.read_body(response, what).await;
        }
        Err(refusal(response, what))
    }

    async fn read_body(
        &self,
        mut response: reqwest::Response,
        what: &str,
    ) -> Result<String, ProviderError> {
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|error| {
            ProviderError::transient(format!("{what}: body: {}", describe(error)))
        })? {
            if body.len() + chunk.len() > self.max_body_bytes {
                return Err(ProviderError::Invalid(format!(
                    "{what}: body larger than {} bytes (PROVIDER_MAX_BODY_BYTES)",
                    self.max_body_bytes
                )));
            }
            body.extend_from_slice(&chunk);
        }
        String::from_utf8(body)
            .map_err(|_| ProviderError::Invalid(format!("{what}: body is not UTF-8")))
    }
}

/// What an unsuccessful HTTP status means for the request.
fn refusal(response: reqwest::Response, what: &str) -> ProviderError {
    let status = response.status();
    let reason = format!("{what}: HTTP {status}");
    match status {
        StatusCode::NOT_FOUND => ProviderError::NotFound(reason),
        // 401/402/403 are how SEC throttles a client and how FMP reports a bad key or an
        // exhausted plan: a condition of the operator's account, not of this company, so
        // worth retrying (and dead-lettering for replay) rather than failing the company.
        StatusCode::TOO_MANY_REQUESTS
        | StatusCode::REQUEST_TIMEOUT
        | StatusCode::UNAUTHORIZED
        | StatusCode::PAYMENT_REQUIRED
        | StatusCode::FORBIDDEN => ProviderError::Transient {
            reason,
            retry_after: retry_after(response.headers()),
        },
        status if status.is_server_error() => ProviderError::Transient {
            reason,
            retry_after: retry_after(response.headers()),
        },
        _ => ProviderError::Invalid(reason),
    }
}

/// What went wrong, without the URL reqwest includes in its messages.
fn describe(error: reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".into()
    } else if error.is_connect() {
        "cannot connect".into()
    } else {
        error.without_url().to_string()
    }
}

/// `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn retry_after_accepts_seconds_and_dates() {
        assert_eq!(retry_after(&headers("7")), Some(Duration::from_secs(7)));
        let in_a_minute = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(60));
        let delay = retry_after(&headers(&in_a_minute)).unwrap();
        assert!(delay > Duration::from_secs(55) && delay <= Duration::from_secs(60));
        assert_eq!(
            retry_after(&headers("Wed, 21 Oct 2015 07:28:00 GMT")),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&headers("soon")), None);
    }
}
