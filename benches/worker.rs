//! Worker throughput: companies per second ingested through Kafka. Publishes requests for the
//! bundled SEC fixtures (Apple, Marvell, Snowflake, round-robin; the first three are new, the
//! rest re-ingestions) in the earlier system's `{"symbol":…}` form, runs one in-process worker
//! with the `sec-dir` provider, and times until every result event arrived.
//! `cargo bench --bench worker`; needs MariaDB and TANSU_BIN (see benches/support).

mod support;

use std::time::{Duration, Instant};

use finstage::config::{DatabaseSettings, KafkaSettings, WorkerSettings};
use finstage::kafka::{self, ResultMessage};
use finstage::worker::Worker;
use rdkafka::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Message;
use secrecy::SecretString;
use support::{Broker, Error, drop_database, fresh_database};
use tokio_util::sync::CancellationToken;

const DATABASE: &str = "finstage_bench_worker";
const SYMBOLS: [&str; 3] = ["AAPL", "MRVL", "SNOW"];
const REQUESTS: usize = 60;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let url = fresh_database(DATABASE).await?;
    let broker = Broker::started().await;
    let kafka = KafkaSettings {
        brokers: broker.brokers(),
        request_topic: "bench.request".into(),
        result_topic: "bench.result".into(),
        dlq_topic: "bench.dlq".into(),
        topic_partitions: 1,
        replication_factor: 1,
        redrive_after_secs: 1_800,
    };
    kafka::ensure_topics(&kafka).await?;
    let results: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", &kafka.brokers)
        .set("group.id", "bench-results")
        .set("auto.offset.reset", "earliest")
        .create()?;
    results.subscribe(&[&kafka.result_topic])?;

    let worker = Worker::build(WorkerSettings {
        database: DatabaseSettings {
            url: SecretString::from(url),
            pool_size: 4,
            timeout_secs: 5,
            statement_timeout_ms: 10_000,
        },
        kafka: kafka.clone(),
        ingestion: support::sec_dir_ingestion(),
        group_id: "bench-workers".into(),
        session_timeout_ms: 6_000,
    })?;
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(worker.run(shutdown.clone()));

    let producer = kafka::producer(&kafka)?;
    let started = Instant::now();
    for i in 0..REQUESTS {
        let symbol = SYMBOLS[i % SYMBOLS.len()];
        let payload = format!(r#"{{"symbol":"{symbol}"}}"#);
        kafka::publish(&producer, &kafka.request_topic, symbol, payload.as_bytes()).await?;
    }
    let mut ready = 0;
    while ready < REQUESTS {
        let message = tokio::time::timeout(Duration::from_secs(120), results.recv()).await??;
        let result: ResultMessage = serde_json::from_slice(message.payload().unwrap_or_default())?;
        if !result.success {
            return Err(format!("{} not ingested: {:?}", result.symbol, result.reason).into());
        }
        ready += 1;
    }
    let elapsed = started.elapsed();
    shutdown.cancel();
    running.await??;

    println!(
        "{:<36} {:>10} {:>10} {:>14}",
        "run", "companies", "seconds", "companies/s"
    );
    println!(
        "{:<36} {:>10} {:>10.2} {:>14.1}",
        "1 worker, sec-dir, through Kafka",
        REQUESTS,
        elapsed.as_secs_f64(),
        REQUESTS as f64 / elapsed.as_secs_f64()
    );
    drop(broker);
    drop_database(DATABASE).await
}
