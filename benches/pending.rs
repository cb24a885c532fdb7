//! Latency of answering PENDING for companies not in the database (each query writes the
//! company and its outbox row), with the Kafka broker down and up. Sequential requests over
//! loopback; prints p50/p99. `cargo bench --bench pending`; needs MariaDB on 127.0.0.1:3306
//! and tansu (scripts/tansu.sh prints its path; set TANSU_BIN).

use std::net::TcpListener;
use std::num::NonZeroU32;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel_async::{AsyncConnection, AsyncMysqlConnection, RunQueryDsl};
use finstage::config::{ApiSettings, DatabaseSettings, HttpSettings, KafkaSettings, ServeSettings};
use finstage::db::run_migrations;
use finstage::startup::Application;
use secrecy::SecretString;

const SERVER: &str = "mysql://root@127.0.0.1:3306";
const DATABASE: &str = "finstage_bench_pending";
const REQUESTS: usize = 400;

type Error = Box<dyn std::error::Error>;

fn free_port() -> Result<u16, Error> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn settings(brokers: String) -> Result<ServeSettings, Error> {
    Ok(ServeSettings {
        database: DatabaseSettings {
            url: SecretString::from(format!("{SERVER}/{DATABASE}")),
            pool_size: 8,
            timeout_secs: 5,
        },
        http: HttpSettings {
            listen_addr: "127.0.0.1:0".parse()?,
            cors_allowed_origins: Vec::new(),
        },
        api: ApiSettings {
            admin_token: None,
            registrations_per_minute: NonZeroU32::MAX,
        },
        kafka: KafkaSettings {
            brokers,
            request_topic: "bench.request".into(),
            result_topic: "bench.result".into(),
            dlq_topic: "bench.dlq".into(),
            topic_partitions: 1,
            replication_factor: 1,
        },
        kafka_enabled: true,
    })
}

async fn measure(label: &str, brokers: String, prefix: char) -> Result<(), Error> {
    let app = Application::build(&settings(brokers)?).await?;
    let url = format!("http://{}/graphql", app.local_addr()?);
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let mut latencies = Vec::with_capacity(REQUESTS);
    for i in 0..REQUESTS {
        let query = format!("{{ company(symbol: \"{prefix}{i:04}\") {{ status }} }}");
        let started = Instant::now();
        let body: serde_json::Value = client
            .post(&url)
            .json(&serde_json::json!({ "query": query }))
            .send()
            .await?
            .json()
            .await?;
        latencies.push(started.elapsed());
        if body["data"]["company"]["status"] != "PENDING" {
            return Err(format!("unexpected answer: {body}").into());
        }
    }
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    println!(
        "{label:<14} {REQUESTS:>8} {:>10.2} {:>10.2} {:>10.2}",
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        latencies[latencies.len() - 1].as_secs_f64() * 1e3
    );
    Ok(())
}

fn start_broker(port: u16, dir: &std::path::Path) -> Result<Child, Error> {
    let tansu = std::env::var("TANSU_BIN").unwrap_or_else(|_| "tansu".into());
    let url = format!("tcp://127.0.0.1:{port}");
    Ok(Command::new(tansu)
        .args([
            "broker",
            "--listener-url",
            &url,
            "--advertised-listener-url",
            &url,
        ])
        .args(["--storage-engine", "sqlite://tansu.db"])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let mut admin = AsyncMysqlConnection::establish(&format!("{SERVER}/test")).await?;
    diesel::sql_query(format!("DROP DATABASE IF EXISTS {DATABASE}"))
        .execute(&mut admin)
        .await?;
    diesel::sql_query(format!("CREATE DATABASE {DATABASE}"))
        .execute(&mut admin)
        .await?;
    run_migrations(&SecretString::from(format!("{SERVER}/{DATABASE}"))).await?;

    println!(
        "{:<14} {:>8} {:>10} {:>10} {:>10}",
        "broker", "requests", "p50 ms", "p99 ms", "max ms"
    );
    measure("down", format!("127.0.0.1:{}", free_port()?), 'D').await?;

    let port = free_port()?;
    let dir = tempfile::tempdir()?;
    let mut broker = start_broker(port, dir.path())?;
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let result = measure("up", format!("127.0.0.1:{port}"), 'U').await;
    broker.kill()?;
    result
}
