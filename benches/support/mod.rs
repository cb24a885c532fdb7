//! Shared by the benchmarks that need real services: a fresh MariaDB database and a tansu
//! broker on a free port. Needs MariaDB on 127.0.0.1:3306 (scripts/mariadb.sh) and, for the
//! broker, TANSU_BIN (scripts/tansu.sh prints it).

#![allow(dead_code)] // each benchmark uses part of this module

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncMysqlConnection, RunQueryDsl};
use finstage::db::run_migrations;
use secrecy::SecretString;

pub const SERVER: &str = "mysql://root@127.0.0.1:3306";
pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sec");

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// Drops and recreates `name`, migrated; returns its URL.
pub async fn fresh_database(name: &str) -> Result<String, Error> {
    let mut admin = AsyncMysqlConnection::establish(&format!("{SERVER}/test")).await?;
    diesel::sql_query(format!("DROP DATABASE IF EXISTS {name}"))
        .execute(&mut admin)
        .await?;
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await?;
    let url = format!("{SERVER}/{name}");
    run_migrations(&SecretString::from(url.clone())).await?;
    Ok(url)
}

pub async fn drop_database(name: &str) -> Result<(), Error> {
    let mut admin = AsyncMysqlConnection::establish(&format!("{SERVER}/test")).await?;
    diesel::sql_query(format!("DROP DATABASE IF EXISTS {name}"))
        .execute(&mut admin)
        .await?;
    Ok(())
}

pub fn free_port() -> Result<u16, Error> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A tansu broker with sqlite storage in a temporary directory; killed when dropped.
pub struct Broker {
    pub address: String,
    process: Child,
    _dir: tempfile::TempDir,
}

impl Broker {
    pub async fn start() -> Result<Self, Error> {
        let port = free_port()?;
        let dir = tempfile::tempdir()?;
        let tansu = std::env::var("TANSU_BIN").unwrap_or_else(|_| "tansu".into());
        let url = format!("tcp://127.0.0.1:{port}");
        let process = Command::new(tansu)
            .args(["broker", "--listener-url", &url])
            .args(["--advertised-listener-url", &url])
            .args(["--storage-engine", "sqlite://tansu.db"])
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(Self {
            address: format!("127.0.0.1:{port}"),
            process,
            _dir: dir,
        })
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}
