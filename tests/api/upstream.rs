//! A local HTTP server standing in for SEC EDGAR: it serves the real recorded files in
//! tests/fixtures/sec at SEC's paths, and can be told to fail the next requests of a path
//! (an HTTP status, a garbage body, a hold until the test lets it through) to exercise the worker's error handling.

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

#[derive(Debug, Clone)]
pub enum Fault {
    Status(u16),
    /// 429 or 503 with `Retry-After: seconds`.
    RetryAfter(u16, u64),
    /// HTTP 200 with this body instead of the file.
    Body(&'static str),
    /// Holds the request until the test opens the gate, then serves the file.
    Hold(Gate),
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
        }
    }
}

pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sec")
}

async fn serve(State(script): State<Arc<Mutex<Script>>>, uri: Uri) -> Response {
    let path = uri.path().to_owned();
    let fault = {
        let mut script = script.lock().unwrap();
        script
            .hits
            .entry(path.clone())
            .or_default()
            .push(Instant::now());
        script.faults.get_mut(&path).and_then(VecDeque::pop_front)
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
        Some(Fault::Hold(gate)) => drop(gate.0.acquire().await.expect("gate")),
        None => {}
    }
    let file = if path == TICKERS_PATH {
        Some("company_tickers.json".to_owned())
    } else {
        path.strip_prefix("/api/xbrl/companyfacts/")
            .filter(|name| !name.contains('/') && !name.contains(".."))
            .map(str::to_owned)
    };
    match file {
        Some(name) => match tokio::fs::read(fixtures_dir().join(name)).await {
            Ok(bytes) => ([(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
            Err(_) => StatusCode::NOT_FOUND.into_response(),
        },
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
