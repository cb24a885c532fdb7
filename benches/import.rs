//! Imports every bundled SEC fixture into a fresh MariaDB database and prints the times:
//! the first import (everything new) and re-imports (nothing changes).
//! `cargo bench --bench import`; needs MariaDB on 127.0.0.1:3306 (scripts/mariadb.sh).

mod support;

use std::time::Instant;

use finstage::config::DatabaseSettings;
use finstage::db::Db;
use finstage::ingestion::import::{Companies, import_dir};
use secrecy::SecretString;
use support::{FIXTURES, drop_database, fresh_database};

const DATABASE: &str = "finstage_bench_import";

#[tokio::main]
async fn main() -> Result<(), support::Error> {
    let url = SecretString::from(fresh_database(DATABASE).await?);
    let db = Db::new(&DatabaseSettings {
        url,
        pool_size: 4,
        timeout_secs: 5,
        statement_timeout_ms: 10_000,
    })?;

    println!("{:<28} {:>10} {:>10}", "run", "seconds", "companies");
    for run in 0..4 {
        let started = Instant::now();
        let summary = import_dir(&db, FIXTURES.as_ref(), Companies::All).await?;
        let label = if run == 0 {
            "first import (all new)"
        } else {
            "re-import (unchanged)"
        };
        println!(
            "{label:<28} {:>10.3} {:>10}",
            started.elapsed().as_secs_f64(),
            summary.imported.len()
        );
    }
    drop_database(DATABASE).await
}
