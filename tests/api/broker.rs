//! A real Kafka-protocol broker per test: tansu with sqlite storage in a temporary directory,
//! on a free port. `scripts/test` installs tansu and sets TANSU_BIN.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use finstage::kafka::RegistrationMessage;
use rdkafka::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Message;

pub struct TestBroker {
    port: u16,
    dir: tempfile::TempDir,
    process: Option<Child>,
}

impl TestBroker {
    /// A broker address with nothing listening yet (a broker that is down).
    pub fn reserve() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("free port")
            .port();
        Self {
            port,
            dir: tempfile::tempdir().expect("broker data directory"),
            process: None,
        }
    }

    pub async fn started() -> Self {
        let mut broker = Self::reserve();
        broker.start().await;
        broker
    }

    pub fn brokers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Starts the broker and waits until it accepts connections.
    pub async fn start(&mut self) {
        let tansu = std::env::var("TANSU_BIN").unwrap_or_else(|_| "tansu".into());
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let log = std::fs::File::create(self.dir.path().join("tansu.log")).expect("log file");
        let child = Command::new(&tansu)
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args(["--storage-engine", "sqlite://tansu.db"])
            .current_dir(self.dir.path())
            .stdout(Stdio::from(log.try_clone().expect("log file")))
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run {tansu} (install it with scripts/tansu.sh): {e}")
            });
        self.process = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "tansu did not start on port {}",
                self.port
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for TestBroker {
    fn drop(&mut self) {
        if let Some(mut process) = self.process.take() {
            let _ = process.kill();
            let _ = process.wait();
        }
    }
}

/// Reads `topic` from the beginning until `count` messages arrived or `timeout` passed;
/// returns (key, message) pairs.
pub async fn consume(
    brokers: &str,
    topic: &str,
    count: usize,
    timeout: Duration,
) -> Vec<(String, RegistrationMessage)> {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("test-{}", uuid::Uuid::new_v4()))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    consumer.subscribe(&[topic]).expect("subscribe");
    let mut received = Vec::new();
    let deadline = Instant::now() + timeout;
    while received.len() < count {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match tokio::time::timeout(left, consumer.recv()).await {
            Ok(Ok(message)) => {
                let key = String::from_utf8_lossy(message.key().unwrap_or_default()).into_owned();
                let payload = message.payload().expect("payload");
                received.push((key, serde_json::from_slice(payload).expect("JSON message")));
            }
            Ok(Err(error)) => eprintln!("consumer: {error}"),
            Err(_) => break,
        }
    }
    received
}
