//! `scripts/abuse`: the release gateway under hostile load on loopback, while honest clients
//! query it. For `BENCH_SECONDS` (default 20): 20 clients sending ~60 KiB alias bombs of
//! each kind (search aliases, company aliases of unknown symbols, fragments), one websocket
//! sending 2,000 subscriptions, 500 slowloris connections, and 20 honest clients asking for
//! a company's statements. Prints the honest clients' success rate and p99, how every
//! hostile request was answered, and the server's peak RSS and open connections.
//! Targets: honest 100 % with p99 < 250 ms, RSS < 150 MB, no 5xx, no crash.

#[path = "support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use finstage::config::DatabaseSettings;
use finstage::db::Db;
use finstage::domain::{NormalizedCompany, Symbol};
use finstage::ingestion::normalize::normalize;
use finstage::registration::lifecycle;
use futures_util::{SinkExt, StreamExt};
use secrecy::SecretString;
use serde_json::{Value, json};
use support::{Error, FIXTURES, drop_database, free_port, fresh_database};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

const DATABASE: &str = "finstage_bench_abuse";
const BOMB_BYTES: usize = 60 * 1024;
const HONEST: &str = r#"{ company(symbol: "AAPL") { symbol status incomeStatements(last: 5) { fiscalYear revenue netIncome epsDiluted metrics { grossMargin netMargin } } } }"#;

fn main() -> Result<(), Error> {
    tokio::runtime::Runtime::new()?.block_on(run())
}

/// How the server answered one kind of request: counts by outcome.
#[derive(Default)]
struct Outcomes(Mutex<BTreeMap<String, u64>>);

impl Outcomes {
    fn note(&self, outcome: impl Into<String>) {
        if let Ok(mut counts) = self.0.lock() {
            *counts.entry(outcome.into()).or_default() += 1;
        }
    }

    fn summary(&self) -> String {
        self.0
            .lock()
            .map(|counts| {
                counts
                    .iter()
                    .map(|(outcome, n)| format!("{outcome} ×{n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    }

    fn any(&self, predicate: impl Fn(&str) -> bool) -> bool {
        self.0
            .lock()
            .map(|counts| counts.keys().any(|k| predicate(k)))
            .unwrap_or(true)
    }
}

async fn run() -> Result<(), Error> {
    let seconds = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let url = fresh_database(DATABASE).await?;
    seed_apple(&url).await?;
    let port = free_port()?;
    let mut server = gateway(&url, port)?;
    let base = format!("http://127.0.0.1:{port}");
    wait_until_up(port).await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()?;

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let hostile = Arc::new(Outcomes::default());
    let mut tasks = tokio::task::JoinSet::new();

    let bombs = [
        aliases(|i| format!(" a{i}: searchCompanies(query: \"a\") {{ symbol }}")),
        aliases(|i| format!(" a{i}: company(symbol: \"X{i}\") {{ status }}")),
        format!(
            "query {{ {} }} fragment S on Query {{ {} }}",
            "...S ".repeat(20),
            (0..5)
                .map(|i| format!("s{i}: searchCompanies(query: \"{i}\") {{ symbol }}"))
                .collect::<String>()
        ),
    ];
    for bomber in 0..20 {
        let (client, base, hostile) = (client.clone(), base.clone(), hostile.clone());
        let body = json!({ "query": bombs[bomber % bombs.len()] }).to_string();
        let kind = ["search aliases", "company aliases", "fragments"][bomber % 3];
        tasks.spawn(async move {
            while Instant::now() < deadline {
                let answer = client
                    .post(format!("{base}/graphql"))
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await;
                hostile.note(format!("{kind}: {}", outcome(answer).await));
            }
        });
    }

    let subscriptions = Arc::new(Outcomes::default());
    {
        let (base, subscriptions) = (base.clone(), subscriptions.clone());
        tasks.spawn(async move {
            if let Err(error) = subscription_flood(&base, &subscriptions, deadline).await {
                subscriptions.note(format!("failed: {error}"));
            }
        });
    }

    let mut slowloris = Vec::new();
    for _ in 0..500 {
        if let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            let _ = stream
                .write_all(b"POST /graphql HTTP/1.1\r\nHost: x\r\n")
                .await;
            slowloris.push(stream);
        }
    }

    let latencies = Arc::new(Mutex::new(Vec::new()));
    let honest = Arc::new(Outcomes::default());
    for _ in 0..20 {
        let (client, base, latencies, honest) = (
            client.clone(),
            base.clone(),
            latencies.clone(),
            honest.clone(),
        );
        tasks.spawn(async move {
            let body = json!({ "query": HONEST }).to_string();
            while Instant::now() < deadline {
                let started = Instant::now();
                let answer = client
                    .post(format!("{base}/graphql"))
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await;
                let outcome = outcome(answer).await;
                if let Ok(mut latencies) = latencies.lock() {
                    latencies.push(started.elapsed());
                }
                honest.note(outcome);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
    }

    let mut peak_connections = 0;
    while Instant::now() < deadline {
        peak_connections = peak_connections.max(open_sockets(server.id()));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    while tasks.join_next().await.is_some() {}
    let slowloris_open = slowloris_still_open(&mut slowloris).await;
    let rss = peak_rss_mb(server.id())?;
    let alive = server.try_wait()?.is_none();
    let _ = server.kill();
    let _ = server.wait();
    drop_database(DATABASE).await?;

    let mut latencies = latencies.lock().map(|l| l.clone()).unwrap_or_default();
    latencies.sort();
    let p99 = latencies
        .get(latencies.len().saturating_sub(1) * 99 / 100)
        .copied()
        .unwrap_or_default();
    let total = latencies.len();
    let ok = honest
        .0
        .lock()
        .map(|c| c.get("200 data").copied().unwrap_or(0))
        .unwrap_or(0);
    let success = if total == 0 {
        0.0
    } else {
        100.0 * ok as f64 / total as f64
    };
    let no_5xx = !hostile.any(|k| k.contains(": 5") || k.contains("error"));

    println!("\n{seconds} s on loopback, release gateway (pool 8)");
    println!("| measure | value | target |");
    println!("|---|---|---|");
    println!("| honest clients' requests | {total} | — |");
    println!("| honest success | {success:.1} % | 100 % |");
    println!(
        "| honest p99 | {:.1} ms | < 250 ms |",
        p99.as_secs_f64() * 1000.0
    );
    println!("| server peak RSS | {rss:.1} MB | < 150 MB |");
    println!("| server open sockets (peak) | {peak_connections} | — |");
    println!(
        "| slowloris connections still open at the end | {slowloris_open} of {} | 0 |",
        slowloris.len()
    );
    println!("| hostile requests answered without 5xx | {no_5xx} | true |");
    println!("| server alive at the end | {alive} | true |");
    println!("\nhonest: {}", honest.summary());
    println!("hostile: {}", hostile.summary());
    println!("subscriptions: {}", subscriptions.summary());
    Ok(())
}

fn aliases(field: impl Fn(usize) -> String) -> String {
    let mut document = String::from("{");
    for i in 0.. {
        let next = field(i);
        if document.len() + next.len() + 1 > BOMB_BYTES {
            break;
        }
        document.push_str(&next);
    }
    document.push('}');
    document
}

/// `200 data`, `200 CODE` (the first error's code), `4xx`, `5xx`, or `transport error`.
async fn outcome(answer: reqwest::Result<reqwest::Response>) -> String {
    let Ok(response) = answer else {
        return "transport error".into();
    };
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    match (status, body["errors"][0]["extensions"]["code"].as_str()) {
        (200, None) if !body["data"].is_null() => "200 data".into(),
        (status, Some(code)) => format!("{status} {code}"),
        (status, None) => format!("{status}"),
    }
}

async fn subscription_flood(
    base: &str,
    outcomes: &Outcomes,
    deadline: Instant,
) -> Result<(), Error> {
    let url = format!("{}/graphql/ws", base.replacen("http", "ws", 1));
    let mut request = url.into_client_request()?;
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    socket
        .send(Message::text(
            json!({ "type": "connection_init" }).to_string(),
        ))
        .await?;
    for id in 0..2_000 {
        let subscribe = json!({ "id": id.to_string(), "type": "subscribe", "payload": {
            "query": "subscription { companyStatus(symbol: \"AAPL\") { status } }" } });
        socket.send(Message::text(subscribe.to_string())).await?;
    }
    while Instant::now() < deadline {
        let Ok(Some(message)) = tokio::time::timeout(Duration::from_secs(1), socket.next()).await
        else {
            continue;
        };
        let Ok(Message::Text(text)) = message else {
            outcomes.note("closed");
            break;
        };
        let message: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let outcome = match message["payload"]["errors"][0]["extensions"]["code"].as_str() {
            Some(code) => code.to_owned(),
            None => message["type"].as_str().unwrap_or("?").to_owned(),
        };
        outcomes.note(outcome);
    }
    Ok(())
}

/// How many of the slowloris connections the server has not closed: a closed one reads
/// end-of-file (after hyper's 408, if it sent one) at once; an open one has nothing to read.
async fn slowloris_still_open(streams: &mut [tokio::net::TcpStream]) -> usize {
    let mut open = 0;
    for stream in streams {
        let mut buffer = [0_u8; 256];
        if tokio::time::timeout(Duration::from_millis(20), stream.read(&mut buffer))
            .await
            .is_err()
        {
            open += 1;
        }
    }
    open
}

fn open_sockets(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|entry| {
                    std::fs::read_link(entry.path())
                        .is_ok_and(|target| target.to_string_lossy().starts_with("socket:"))
                })
                .count()
        })
        .unwrap_or(0)
}

fn peak_rss_mb(pid: u32) -> Result<f64, Error> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .ok_or("no VmHWM")?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()?;
    Ok(kb / 1024.0)
}

fn gateway(database_url: &str, port: u16) -> Result<Child, Error> {
    Ok(Command::new(env!("CARGO_BIN_EXE_finstage"))
        .arg("serve")
        .env("DATABASE_URL", database_url)
        .env("DATABASE_POOL_SIZE", "8")
        .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("REQUEST_TRANSPORT", "off")
        .env("WS_MAX_CONNECTIONS_PER_CLIENT", "50")
        .env("HTTP_HEADER_READ_TIMEOUT_SECS", "5")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?)
}

async fn wait_until_up(port: u16) -> Result<(), Error> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        if Instant::now() > deadline {
            return Err("the gateway did not come up".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// Apple's filings, stored as `AAPL`.
async fn seed_apple(url: &str) -> Result<(), Error> {
    let json = std::fs::read_to_string(std::path::Path::new(FIXTURES).join("CIK0000320193.json"))?;
    let apple: NormalizedCompany = normalize(&json)?;
    let db = Db::new(&DatabaseSettings {
        url: SecretString::from(url.to_owned()),
        pool_size: 2,
        timeout_secs: 10,
        statement_timeout_ms: 60_000,
    })?;
    let mut conn = db.conn().await?;
    lifecycle::store(&mut conn, &Symbol::parse("AAPL")?, &apple, None, 0).await?;
    Ok(())
}
