//! Databases on the test MariaDB server (127.0.0.1:3306 unless TEST_DATABASE_SERVER says
//! otherwise; scripts/mariadb.sh starts it).

use diesel_async::{AsyncConnection, AsyncMysqlConnection, RunQueryDsl};
use secrecy::SecretString;

use super::Error;

/// The MariaDB server databases are created on (no database name).
pub fn server_url() -> String {
    std::env::var("TEST_DATABASE_SERVER").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into())
}

async fn admin() -> Result<AsyncMysqlConnection, Error> {
    Ok(AsyncMysqlConnection::establish(&format!("{}/test", server_url())).await?)
}

/// Drops and recreates the empty database `name`; returns its URL.
pub async fn create_empty(name: &str) -> Result<String, Error> {
    let mut admin = admin().await?;
    diesel::sql_query(format!("DROP DATABASE IF EXISTS `{name}`"))
        .execute(&mut admin)
        .await?;
    diesel::sql_query(format!("CREATE DATABASE `{name}`"))
        .execute(&mut admin)
        .await?;
    Ok(format!("{}/{name}", server_url()))
}

/// Drops and recreates `name`, migrated; returns its URL.
pub async fn create_migrated(name: &str) -> Result<String, Error> {
    let url = create_empty(name).await?;
    finstage::db::run_migrations(&SecretString::from(url.clone())).await?;
    Ok(url)
}

/// Ends the sessions still using `name` (so their locks cannot hold DROP DATABASE up),
/// then drops it.
pub async fn drop_database(name: &str) -> Result<(), Error> {
    let mut admin = admin().await?;
    let sessions: Vec<SessionId> =
        diesel::sql_query("SELECT id FROM information_schema.processlist WHERE db = ?")
            .bind::<diesel::sql_types::Text, _>(name)
            .load(&mut admin)
            .await?;
    for session in sessions {
        let _ = diesel::sql_query(format!("KILL {}", session.id))
            .execute(&mut admin)
            .await;
    }
    diesel::sql_query(format!("DROP DATABASE IF EXISTS `{name}`"))
        .execute(&mut admin)
        .await?;
    Ok(())
}

#[derive(diesel::QueryableByName)]
struct SessionId {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

/// A uniquely named database, dropped when the test ends.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    /// A fresh database with every migration applied.
    pub async fn create() -> Self {
        let name = unique_name();
        let url = create_migrated(&name)
            .await
            .expect("create and migrate a test database (is MariaDB running? scripts/mariadb.sh)");
        Self { name, url }
    }

    /// A fresh database without any table.
    pub async fn create_empty() -> Self {
        let name = unique_name();
        let url = create_empty(&name)
            .await
            .expect("create a test database (is MariaDB running? scripts/mariadb.sh)");
        Self { name, url }
    }
}

fn unique_name() -> String {
    format!("finstage_test_{}", uuid::Uuid::new_v4().simple())
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside async context; a short-lived runtime on its own thread does the I/O.
        let dropped = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
                .block_on(drop_database(&name))
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}
