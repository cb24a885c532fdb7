//! The binary itself: `finstage schema` and `finstage migrate`.

use std::process::Command;

use diesel_async::{AsyncConnection, AsyncMysqlConnection, RunQueryDsl};

use crate::helpers::TestDb;

fn finstage() -> Command {
    Command::new(env!("CARGO_BIN_EXE_finstage"))
}

#[test]
fn committed_schema_matches_the_code() {
    let output = finstage()
        .arg("schema")
        .output()
        .expect("run finstage schema");
    assert!(output.status.success());
    let printed = String::from_utf8(output.stdout).expect("UTF-8 SDL");
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("read schema.graphql");
    assert!(
        printed == committed,
        "schema.graphql is stale: run `cargo run -- schema > schema.graphql`"
    );
    assert!(committed.contains("scalar Decimal"));
}

#[tokio::test]
async fn migrate_is_idempotent_and_creates_every_table() {
    // TestDb::create() already migrated this database through the library; the binary must
    // find nothing left to do and leave every table in place.
    let database = TestDb::create().await;

    let output = finstage()
        .arg("migrate")
        .env("DATABASE_URL", &database.url)
        .output()
        .expect("run finstage migrate");

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut conn = AsyncMysqlConnection::establish(&database.url)
        .await
        .expect("connect");
    let mut tables: Vec<String> = diesel::sql_query(
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()",
    )
    .load::<TableName>(&mut conn)
    .await
    .expect("list tables")
    .into_iter()
    .map(|t| t.name)
    .collect();
    tables.sort();
    assert_eq!(
        tables,
        [
            "__diesel_schema_migrations",
            "balance_sheets",
            "cash_flow_statements",
            "companies",
            "income_statements",
            "listings",
            "registration_requests",
        ]
    );
}

#[derive(diesel::QueryableByName)]
struct TableName {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

#[test]
fn a_bad_setting_fails_at_start_naming_the_variable() {
    let output = finstage()
        .args(["serve"])
        .env("LISTEN_ADDR", "not-an-address")
        .output()
        .expect("run finstage serve");

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("LISTEN_ADDR"), "{stderr}");
}

#[tokio::test]
async fn import_command_loads_the_requested_companies_and_prints_a_summary() {
    let database = TestDb::create().await;

    let output = finstage()
        .args(["import", "--symbols", "aapl", "--dir"])
        .arg(crate::normalization::FIXTURES)
        .env("DATABASE_URL", &database.url)
        .output()
        .expect("run finstage import");

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("companies: 1 imported, 0 failed"),
        "{stdout}"
    );
}

#[tokio::test]
async fn serve_refuses_an_empty_admin_token_and_stops_cleanly_on_sigterm() {
    let database = TestDb::create().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("free port")
        .port();
    let mut server = finstage()
        .arg("serve")
        .env("DATABASE_URL", &database.url)
        .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("REQUEST_TRANSPORT", "off")
        .env("ADMIN_TOKEN", "")
        .spawn()
        .expect("start finstage serve");
    let client = reqwest::Client::new();
    let health = format!("http://127.0.0.1:{port}/healthz");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while client.get(&health).send().await.is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "server did not come up"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // An empty ADMIN_TOKEN disables admin operations; it does not admit an empty token.
    let refresh: serde_json::Value = client
        .post(format!("http://127.0.0.1:{port}/graphql"))
        .header("authorization", "Bearer ")
        .json(&serde_json::json!({ "query": "mutation { refreshCompany(symbol: \"AAPL\") { status } }" }))
        .send()
        .await
        .expect("POST")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        refresh["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{refresh}"
    );

    let killed = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .expect("send SIGTERM");
    assert!(killed.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let status = loop {
        if let Some(status) = server.try_wait().expect("wait") {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "server ignored SIGTERM"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(status.success(), "exit status {status}");
}

#[test]
fn the_live_sec_worker_refuses_to_start_without_a_user_agent() {
    let output = finstage()
        .arg("worker")
        .env("PROVIDER", "sec")
        .env_remove("SEC_USER_AGENT")
        .env("DATABASE_URL", "mysql://root@127.0.0.1:1/none")
        .output()
        .expect("run finstage worker");

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("SEC_USER_AGENT is required"), "{stderr}");
}

#[test]
fn the_worker_refuses_a_pool_too_small_to_hold_its_lock_and_write() {
    let output = finstage()
        .arg("worker")
        .env("PROVIDER", "sec-dir")
        .env("SEC_DIR", "tests/fixtures/sec")
        .env("DATABASE_POOL_SIZE", "1")
        .env("DATABASE_URL", "mysql://root@127.0.0.1:1/none")
        .output()
        .expect("run finstage worker");

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("DATABASE_POOL_SIZE must be at least 2"),
        "{stderr}"
    );
}
