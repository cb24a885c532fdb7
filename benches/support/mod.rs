//! Shared by the benchmarks that need real services: a fresh MariaDB database and a tansu
//! broker on a free port, from the tests' own support module (tests/support). Needs MariaDB
//! on 127.0.0.1:3306 (scripts/mariadb.sh) and, for the broker, TANSU_BIN (scripts/tansu.sh
//! prints it).

#![allow(dead_code, unused_imports)] // each benchmark uses part of this module

#[path = "../../tests/support/mod.rs"]
mod shared;

pub use shared::Error;
pub use shared::broker::TestBroker as Broker;
pub use shared::database::drop_database;

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sec");

/// The MariaDB server the benchmarks' databases live on (no database name).
pub fn server() -> String {
    shared::database::server_url()
}

/// Drops and recreates `name`, migrated; returns its URL.
pub async fn fresh_database(name: &str) -> Result<String, Error> {
    shared::database::create_migrated(name).await
}

pub fn free_port() -> Result<u16, Error> {
    Ok(shared::broker::free_port())
}

/// Ingestion from the bundled SEC files (`sec-dir`), one attempt per company.
pub fn sec_dir_ingestion() -> finstage::config::IngestionSettings {
    finstage::config::IngestionSettings {
        provider: finstage::config::ProviderSettings {
            provider: finstage::config::ProviderKind::SecDir,
            sec_base_url: String::new(),
            sec_tickers_url: String::new(),
            sec_user_agent: None,
            sec_requests_per_second: std::num::NonZeroU32::MIN,
            sec_dir: Some(FIXTURES.into()),
            fmp_base_url: String::new(),
            fmp_api_key: None,
            timeout_secs: 30,
            max_body_bytes: finstage::config::ProviderSettings::DEFAULT_MAX_BODY_BYTES,
        },
        max_attempts: 1,
        retry_base_ms: 100,
        retry_max_ms: 1_000,
        lock_wait_secs: 60,
        breaker_failures: 5,
        breaker_open_secs: 60,
        breaker_max_open_secs: 3_600,
    }
}
