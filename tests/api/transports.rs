//! Stopping every process promptly whatever the broker's state. (The registration scenarios
//! run on both transports in `worker.rs`.)

use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::broker::started_broker;
use crate::helpers::{ChildProcess, TestDb, eventually};
use crate::upstream::fixtures_dir;

const TIMEOUT: Duration = Duration::from_secs(60);

/// `finstage serve` and `finstage worker`, connected through a real broker that then dies,
/// still stop within 10 s of SIGTERM and of Ctrl-C (SIGINT).
#[tokio::test]
async fn every_process_stops_within_10_s_of_a_signal_even_with_its_broker_gone() {
    let (broker, kafka) = started_broker().await;
    let database = TestDb::create().await;
    let port = crate::support::broker::free_port();
    let with_kafka = |command: &mut Command| {
        command
            .env("DATABASE_URL", &database.url)
            .env("KAFKA_BROKERS", &kafka.brokers)
            .env("KAFKA_REQUEST_TOPIC", &kafka.request_topic)
            .env("KAFKA_RESULT_TOPIC", &kafka.result_topic)
            .env("KAFKA_DLQ_TOPIC", &kafka.dlq_topic)
            .env("KAFKA_TOPIC_PARTITIONS", "1")
            .env("KAFKA_GROUP_ID", format!("{}.workers", kafka.request_topic))
            .env("KAFKA_SESSION_TIMEOUT_MS", "6000");
    };
    let mut serve = finstage();
    with_kafka(
        serve
            .arg("serve")
            .env("LISTEN_ADDR", format!("127.0.0.1:{port}")),
    );
    let mut serve = ChildProcess(serve.spawn().expect("start finstage serve"));
    let mut worker = finstage();
    with_kafka(
        worker
            .arg("worker")
            .env("PROVIDER", "sec-dir")
            .env("SEC_DIR", fixtures_dir()),
    );
    let mut worker = ChildProcess(worker.spawn().expect("start finstage worker"));

    // A company going READY shows both are connected: relay, worker and result listener.
    let client = reqwest::Client::new();
    let graphql = format!("http://127.0.0.1:{port}/graphql");
    eventually(TIMEOUT, "AAPL to become READY", || async {
        let answer = client
            .post(&graphql)
            .json(&json!({ "query": "{ company(symbol: \"AAPL\") { status } }" }))
            .send()
            .await;
        match answer {
            Ok(answer) => answer
                .json::<serde_json::Value>()
                .await
                .is_ok_and(|body| body["data"]["company"]["status"] == "READY"),
            Err(_) => false,
        }
    })
    .await;

    drop(broker);
    // Let librdkafka notice the broker is gone and start retrying it.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let started = Instant::now();
    signal(&worker.0, "-INT");
    signal(&serve.0, "-TERM");
    let worker_status = exited_within(&mut worker.0, Duration::from_secs(10)).await;
    let serve_status = exited_within(&mut serve.0, Duration::from_secs(10)).await;
    eprintln!("both stopped {:?} after the signals", started.elapsed());
    assert!(worker_status.success(), "worker: {worker_status}");
    assert!(serve_status.success(), "serve: {serve_status}");
}

fn finstage() -> Command {
    Command::new(env!("CARGO_BIN_EXE_finstage"))
}

fn signal(child: &Child, signal: &str) {
    let sent = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("send signal");
    assert!(sent.success());
}

async fn exited_within(child: &mut Child, limit: Duration) -> ExitStatus {
    eventually(limit, "the process to exit after the signal", || {
        std::future::ready(child.try_wait().expect("wait"))
    })
    .await
}
