//! A local HTTP server standing in for SEC EDGAR: it serves the real recorded files in
//! tests/fixtures/sec at SEC's paths (companyfacts, submissions, company tickers), and can be told to fail the next requests of a path, or
//! of any company's facts (an HTTP status, a garbage, truncated or bomb body, a hold until the
//! test lets it through), to exercise the worker's error handling. For load, it can answer
//! every company's facts with one real recorded file.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use finstage::config::{ProviderKind, ProviderSettings};

pub const TICKERS_PATH: &str = "/files/company_tickers.json";
pub const APPLE_FACTS_PATH: &str = "/api/xbrl/companyfacts/CIK0000320193.json";
pub const SNOWFLAKE_FACTS_PATH: &str = "/api/xbrl/companyfacts/CIK0001640147.json";
const FACTS_PREFIX: &str = "/api/xbrl/companyfacts/";
const SUBMISSIONS_PREFIX: &str = "/submissions/";

#[derive(Debug, Clone)]
pub enum Fault {
    Status(u16),
    /// 429 or 503 with `Retry-After: seconds`.
    RetryAfter(u16, u64),
    /// HTTP 200 with this body instead of the file.
    Body(&'static str),
    /// HTTP 200, `Content-Encoding: gzip`, whose body inflates to this many zero bytes (about
    /// a thousandth of that on the wire).
    GzipBomb(u64),
    /// HTTP 200 announcing the whole file's length, then the connection drops halfway.
    Truncated,
    /// Holds the request until the test opens the gate, then serves the file.
    Hold(Gate),
    /// Holds the request until the test opens the gate, then answers 200 with this body.
    HeldBody(Gate, &'static str),
}

/// Lets held requests through when the test says so (no timing involved).
#[derive(Debug, Clone)]
pub struct Gate(Arc<tokio::sync::Semaphore>);

impl Default for Gate {
    fn default() -> Self {
        Self::new()
    }
}

impl Gate {
    pub fn new() -> Self {
        Self(Arc::new(tokio::sync::Semaphore::new(0)))
    }

    /// Lets every held request, and every later one, through.
    pub fn open(&self) {
        self.0.add_permits(tokio::sync::Semaphore::MAX_PERMITS / 2);
    }
}

#[derive(Default)]
struct Script {
    faults: HashMap<String, VecDeque<Fault>>,
    /// Met by the next requests of any company's facts without a fault of their own.
    any_company_faults: VecDeque<Fault>,
    /// The fixture file served for every company's facts, instead of the company's own.
    every_company_as: Option<String>,
    hits: HashMap<String, Vec<Instant>>,
}

#[derive(Clone)]
pub struct UpstreamServer {
    pub base_url: String,
    script: Arc<Mutex<Script>>,
}

impl UpstreamServer {
    pub async fn start() -> Self {
        let script = Arc::new(Mutex::new(Script::default()));
        let app = Router::new().fallback(serve).with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind upstream server");
        let base_url = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { base_url, script }
    }

    /// The next requests of `path` meet these faults, in order; later ones are served.
    pub fn fail(&self, path: &str, faults: impl IntoIterator<Item = Fault>) {
        let mut script = self.script.lock().unwrap();
        script
            .faults
            .entry(path.to_owned())
            .or_default()
            .extend(faults);
    }

    /// The next requests of any company's facts meet these faults, in order.
    pub fn fail_any_company(&self, faults: impl IntoIterator<Item = Fault>) {
        self.script
            .lock()
            .unwrap()
            .any_company_faults
            .extend(faults);
    }

    /// Answers every company's facts with the recorded file `name` (for load: any listed
    /// symbol becomes a company with that file's statements).
    pub fn serve_every_company_as(&self, name: &str) {
        self.script.lock().unwrap().every_company_as = Some(name.to_owned());
    }

    /// Requests of any company's facts so far.
    pub fn company_hits(&self) -> usize {
        let script = self.script.lock().unwrap();
        script
            .hits
            .iter()
            .filter(|(path, _)| path.starts_with(FACTS_PREFIX))
            .map(|(_, hits)| hits.len())
            .sum()
    }

    /// Drops the faults still waiting for `path`: the outage is over.
    pub fn clear(&self, path: &str) {
        self.script.lock().unwrap().faults.remove(path);
    }

    /// Waits until `path` has been asked for `count` times.
    pub async fn wait_for_hits(&self, path: &str, count: usize) {
        crate::helpers::eventually(
            Duration::from_secs(60),
            format!("{count} requests of {path}"),
            || async { self.hits(path).len() >= count },
        )
        .await;
    }

    /// When each request of `path` arrived.
    pub fn hits(&self, path: &str) -> Vec<Instant> {
        let script = self.script.lock().unwrap();
        script.hits.get(path).cloned().unwrap_or_default()
    }

    /// The live SEC provider pointed at this server.
    pub fn sec_provider(&self) -> ProviderSettings {
        ProviderSettings {
            provider: ProviderKind::Sec,
            sec_base_url: self.base_url.clone(),
            sec_tickers_url: format!("{}{TICKERS_PATH}", self.base_url),
            sec_user_agent: Some("Finstage tests tests@example.com".into()),
            sec_requests_per_second: std::num::NonZeroU32::new(10).unwrap(),
            sec_dir: None,
            fmp_base_url: self.base_url.clone(),
            fmp_api_key: None,
            timeout_secs: 10,
            max_body_bytes: ProviderSettings::DEFAULT_MAX_BODY_BYTES,
        }
    }
}

pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sec")
}

async fn serve(State(script): State<Arc<Mutex<Script>>>, uri: Uri) -> Response {
    let path = uri.path().to_owned();
    let (fault, every_company_as) = {
        let mut script = script.lock().unwrap();
        script
            .hits
            .entry(path.clone())
            .or_default()
            .push(Instant::now());
        let own = script.faults.get_mut(&path).and_then(VecDeque::pop_front);
        let fault = match own {
            None if path.starts_with(FACTS_PREFIX) => script.any_company_faults.pop_front(),
            own => own,
        };
        (fault, script.every_company_as.clone())
    };
    match fault {
        Some(Fault::Status(status)) => {
            return StatusCode::from_u16(status).unwrap().into_response();
        }
        Some(Fault::RetryAfter(status, seconds)) => {
            return (
                StatusCode::from_u16(status).unwrap(),
                [(header::RETRY_AFTER, seconds.to_string())],
            )
                .into_response();
        }
        Some(Fault::Body(body)) => return body.into_response(),
        Some(Fault::GzipBomb(inflated)) => {
            return (
                [
                    (header::CONTENT_TYPE, "application/json"),
                    (header::CONTENT_ENCODING, "gzip"),
                ],
                axum::body::Body::from_stream(gzipped_zeros(inflated)),
            )
                .into_response();
        }
        Some(Fault::Truncated) => {
            let Some(bytes) = fixture(&path, None).await else {
                return StatusCode::NOT_FOUND.into_response();
            };
            let length = bytes.len();
            let half = length / 2;
            let body = futures_util::stream::iter([
                Ok(axum::body::Bytes::from(bytes).slice(..half)),
                Err(std::io::Error::other("connection dropped")),
            ]);
            return (
                [(header::CONTENT_LENGTH, length.to_string())],
                axum::body::Body::from_stream(body),
            )
                .into_response();
        }
        Some(Fault::Hold(gate)) => drop(gate.0.acquire().await.expect("gate")),
        Some(Fault::HeldBody(gate, body)) => {
            drop(gate.0.acquire().await.expect("gate"));
            return body.into_response();
        }
        None => {}
    }
    match fixture(&path, every_company_as.as_deref()).await {
        Some(bytes) => ([(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The recorded file for a request path (`every_company_as` in place of any company's own).
async fn fixture(path: &str, every_company_as: Option<&str>) -> Option<Vec<u8>> {
    let safe = |name: &str| !name.contains('/') && !name.contains("..");
    let file = if path == TICKERS_PATH {
        PathBuf::from("company_tickers.json")
    } else if let Some(name) = path
        .strip_prefix(SUBMISSIONS_PREFIX)
        .filter(|name| safe(name))
    {
        PathBuf::from("submissions").join(name)
    } else {
        let own = path.strip_prefix(FACTS_PREFIX).filter(|name| safe(name))?;
        PathBuf::from(every_company_as.unwrap_or(own))
    };
    tokio::fs::read(fixtures_dir().join(file)).await.ok()
}

/// A gzip stream of about `inflated` zero bytes. Deflate is a series of blocks: once the
/// window holds nothing but zeros, one block that inflates to a mebibyte of zeros can be sent
/// again and again, so the server compresses two mebibytes however large the bomb (it never
/// gets to the gzip trailer: every client worth testing gives up long before).
fn gzipped_zeros(
    inflated: u64,
) -> impl futures_util::Stream<Item = std::io::Result<axum::body::Bytes>> {
    use std::io::Write;
    const CHUNK: usize = 1024 * 1024;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; CHUNK];
    let mut block = || {
        encoder.write_all(&zeros).unwrap();
        encoder.flush().unwrap();
        axum::body::Bytes::from(std::mem::take(encoder.get_mut()))
    };
    let first = block();
    let next = block();
    let chunks = usize::try_from(inflated.div_ceil(CHUNK as u64)).unwrap();
    futures_util::stream::iter(
        std::iter::once(first)
            .chain(std::iter::repeat_n(next, chunks.saturating_sub(1)))
            .map(Ok),
    )
}

/// How the live SEC provider classifies each kind of answer, over real HTTP: the error kind
/// decides whether the worker retries (transient), gives up (invalid) or records NOT_FOUND.
#[tokio::test]
async fn provider_answers_map_to_the_error_kinds_the_worker_acts_on() {
    use finstage::domain::Symbol;
    use finstage::ingestion::providers::{Provider, ProviderError, SecProvider};

    #[derive(Debug, PartialEq)]
    enum Kind {
        NotFound,
        Transient(Option<Duration>),
        Invalid,
    }

    let upstream = UpstreamServer::start().await;
    let provider = SecProvider::new(&ProviderSettings {
        timeout_secs: 1,
        ..upstream.sec_provider()
    })
    .unwrap();
    let apple = Symbol::parse("AAPL").unwrap();
    let never = Gate::new(); // never opened: the request can only time out
    let table = [
        (Fault::Status(408), Kind::Transient(None)),
        (
            Fault::RetryAfter(429, 7),
            Kind::Transient(Some(Duration::from_secs(7))),
        ),
        (
            Fault::RetryAfter(503, 2),
            Kind::Transient(Some(Duration::from_secs(2))),
        ),
        // How SEC throttles a client and FMP refuses an exhausted plan: retried.
        (Fault::Status(401), Kind::Transient(None)),
        (Fault::Status(402), Kind::Transient(None)),
        (Fault::Status(403), Kind::Transient(None)),
        (Fault::Status(500), Kind::Transient(None)),
        (Fault::Status(502), Kind::Transient(None)),
        (Fault::Hold(never), Kind::Transient(None)),
        // The connection dropped mid-body: the next try may get it whole.
        (Fault::Truncated, Kind::Transient(None)),
        (Fault::Status(404), Kind::NotFound),
        // Other client errors would answer the same again.
        (Fault::Status(400), Kind::Invalid),
        (Fault::Status(410), Kind::Invalid),
        (Fault::Status(422), Kind::Invalid),
        (
            Fault::Body("<html>Service temporarily moved</html>"),
            Kind::Invalid,
        ),
    ];
    for (fault, expected) in table {
        upstream.fail(APPLE_FACTS_PATH, [fault.clone()]);
        let error = provider
            .fetch(&apple)
            .await
            .expect_err(&format!("{fault:?} is an error"));
        let kind = match &error {
            ProviderError::NotFound(_) => Kind::NotFound,
            ProviderError::Transient { retry_after, .. } => Kind::Transient(*retry_after),
            ProviderError::Invalid(_) => Kind::Invalid,
        };
        assert_eq!(kind, expected, "{fault:?}: {error}");
    }
    // With no fault left, the file is served and normalized.
    let company = provider.fetch(&apple).await.expect("Apple's facts");
    assert_eq!(company.info.name, "Apple Inc.");
}

/// An answer larger than `PROVIDER_MAX_BODY_BYTES` is refused as invalid once the cap is
/// reached, rather than read into memory whole: Apple's 3.7 MB companyfacts, capped at 1 MiB.
#[tokio::test]
async fn a_provider_answer_beyond_the_body_cap_is_invalid() {
    use finstage::domain::Symbol;
    use finstage::ingestion::providers::{Provider, ProviderError, SecProvider};

    let upstream = UpstreamServer::start().await;
    let capped = SecProvider::new(&ProviderSettings {
        max_body_bytes: 1024 * 1024,
        ..upstream.sec_provider()
    })
    .unwrap();
    let error = capped
        .fetch(&Symbol::parse("AAPL").unwrap())
        .await
        .expect_err("beyond the cap");
    assert!(
        matches!(&error, ProviderError::Invalid(reason) if reason.contains("larger than 1048576 bytes")),
        "{error:?}"
    );

    // A 10 GiB gzip bomb is stopped at the cap after inflating, whatever its size on the wire.
    upstream.fail(APPLE_FACTS_PATH, [Fault::GzipBomb(10 << 30)]);
    let error = capped
        .fetch(&Symbol::parse("AAPL").unwrap())
        .await
        .expect_err("a bomb");
    assert!(
        matches!(&error, ProviderError::Invalid(reason) if reason.contains("larger than 1048576 bytes")),
        "{error:?}"
    );

    let uncapped = SecProvider::new(&upstream.sec_provider()).unwrap();
    let apple = uncapped
        .fetch(&Symbol::parse("AAPL").unwrap())
        .await
        .expect("within the default cap");
    assert!(!apple.income.is_empty());
}
