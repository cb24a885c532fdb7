//! Imports every bundled SEC fixture into a fresh MariaDB database and prints the times:
//! the first import (everything new) and re-imports (nothing changes).
//! `cargo bench --bench import`; needs MariaDB on 127.0.0.1:3306 (scripts/mariadb.sh).

use std::time::Instant;

use diesel_async::{AsyncConnection, AsyncMysqlConnection, RunQueryDsl};
use finstage::config::DatabaseSettings;
use finstage::db::{Db, run_migrations};
use finstage::ingestion::import::{Companies, import_dir};
use secrecy::SecretString;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sec");
const SERVER: &str = "mysql://root@127.0.0.1:3306";
const DATABASE: &str = "finstage_bench_import";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut admin = AsyncMysqlConnection::establish(&format!("{SERVER}/test")).await?;
    diesel::sql_query(format!("DROP DATABASE IF EXISTS {DATABASE}"))
        .execute(&mut admin)
        .await?;
    diesel::sql_query(format!("CREATE DATABASE {DATABASE}"))
        .execute(&mut admin)
        .await?;
    let url = SecretString::from(format!("{SERVER}/{DATABASE}"));
    run_migrations(&url).await?;
    let db = Db::new(&DatabaseSettings {
        url,
        pool_size: 4,
        timeout_secs: 5,
    })?;

    println!("{:<28} {:>10} {:>10}", "run", "seconds", "companies");
    for run in 0..4 {
        let started = Instant::now();
        let summary = import_dir(&db, FIXTURES.as_ref(), Companies::Only(&[])).await?;
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
    diesel::sql_query(format!("DROP DATABASE {DATABASE}"))
        .execute(&mut admin)
        .await?;
    Ok(())
}
