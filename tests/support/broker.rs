//! A real Kafka-protocol broker: tansu with sqlite storage in a temporary directory, on a
//! free port, killed when dropped. TANSU_BIN names the binary (scripts/tansu.sh installs it
//! and prints its path).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::wait::eventually;

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("free port")
        .port()
}

pub struct TestBroker {
    port: u16,
    dir: tempfile::TempDir,
    process: Option<Child>,
}

impl TestBroker {
    /// A broker address with nothing listening yet (a broker that is down).
    pub fn reserve() -> Self {
        Self {
            port: free_port(),
            dir: tempfile::tempdir().expect("broker data directory"),
            process: None,
        }
    }

    pub async fn started() -> Self {
        let mut broker = Self::reserve();
        broker.start().await;
        broker
    }

    /// `host:port`, for `bootstrap.servers`.
    pub fn brokers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Starts the broker and waits until it accepts connections. Its output goes to
    /// tansu.log in its data directory.
    pub async fn start(&mut self) {
        let tansu = std::env::var("TANSU_BIN").unwrap_or_else(|_| "tansu".into());
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let log = std::fs::File::create(self.dir.path().join("tansu.log")).expect("log file");
        let child = Command::new(&tansu)
            .args(["broker", "--listener-url", &url])
            .args(["--advertised-listener-url", &url])
            .args(["--storage-engine", "sqlite://tansu.db"])
            .current_dir(self.dir.path())
            .stdout(Stdio::from(log.try_clone().expect("log file")))
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run {tansu} (install it with scripts/tansu.sh): {e}")
            });
        self.process = Some(child);
        let port = self.port;
        eventually(
            Duration::from_secs(30),
            format!("tansu to accept connections on port {port}"),
            || async move {
                tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .is_ok()
            },
        )
        .await;
    }
}

impl TestBroker {
    /// Kills the broker (as a crash would); its data stays for the next `start`.
    pub fn stop(&mut self) {
        if let Some(mut process) = self.process.take() {
            let _ = process.kill();
            let _ = process.wait();
        }
    }
}

impl Drop for TestBroker {
    fn drop(&mut self) {
        self.stop();
    }
}
