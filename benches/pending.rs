//! Latency of answering PENDING for companies not in the database (each query writes the
//! company and its outbox row), with the Kafka broker down and up. Sequential requests over
//! loopback; prints p50/p99. `cargo bench --bench pending`; needs MariaDB on 127.0.0.1:3306
//! and tansu (scripts/tansu.sh prints its path; set TANSU_BIN).

mod support;

use std::num::NonZeroU32;
use std::time::Instant;

use finstage::config::{
    ApiSettings, CacheSettings, DatabaseSettings, HttpSettings, KafkaSettings, RequestTransport,
    ServeSettings, WebSocketSettings,
};
use finstage::startup::Application;
use secrecy::SecretString;
use support::{Broker, Error, free_port, fresh_database};
use tokio_util::sync::CancellationToken;

const DATABASE: &str = "finstage_bench_pending";
const REQUESTS: usize = 400;

fn settings(brokers: String) -> Result<ServeSettings, Error> {
    Ok(ServeSettings {
        database: DatabaseSettings {
            url: SecretString::from(format!("{}/{DATABASE}", support::server())),
            pool_size: 8,
            timeout_secs: 5,
            statement_timeout_ms: 10_000,
        },
        http: HttpSettings {
            listen_addr: "127.0.0.1:0".parse()?,
            cors_allowed_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            request_timeout_secs: 15,
            header_read_timeout_secs: 10,
            max_concurrent_requests: 256,
            websocket: WebSocketSettings {
                max_connections: 1_000,
                max_connections_per_client: 10,
                max_subscriptions_per_connection: 20,
                connection_init_timeout_secs: 10,
                idle_timeout_secs: 60,
                status_recheck_secs: 30,
            },
        },
        api: ApiSettings {
            admin_token: None,
            registrations_per_minute: NonZeroU32::MAX,
            introspection: true,
            graphiql: true,
        },
        kafka: KafkaSettings {
            brokers,
            request_topic: "bench.request".into(),
            result_topic: "bench.result".into(),
            dlq_topic: "bench.dlq".into(),
            topic_partitions: 1,
            replication_factor: 1,
            redrive_after_secs: 1_800,
        },
        cache: CacheSettings {
            max_statements: 100_000,
            max_response_bytes: 32 * 1024 * 1024,
            ttl_secs: 600,
            http_max_age_secs: 60,
        },
        transport: RequestTransport::Kafka,
        // Unused with the Kafka transport.
        ingestion: support::sec_dir_ingestion(),
    })
}

async fn measure(label: &str, brokers: String, prefix: char) -> Result<(), Error> {
    let app = Application::build(&settings(brokers)?).await?;
    let url = format!("http://{}/graphql", app.local_addr()?);
    tokio::spawn(app.run_until_stopped(CancellationToken::new()));
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

#[tokio::main]
async fn main() -> Result<(), Error> {
    fresh_database(DATABASE).await?;
    println!(
        "{:<14} {:>8} {:>10} {:>10} {:>10}",
        "broker", "requests", "p50 ms", "p99 ms", "max ms"
    );
    measure("down", format!("127.0.0.1:{}", free_port()?), 'D').await?;
    let broker = Broker::started().await;
    measure("up", broker.brokers(), 'U').await
}
