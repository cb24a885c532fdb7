//! The binary itself: `finstage schema` and `finstage migrate` (alone and several at once).

use std::process::Command;
use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncMysqlConnection, RunQueryDsl};

use crate::helpers::{TestDb, child_log_filter, eventually};

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

async fn tables(url: &str) -> Vec<String> {
    let mut conn = AsyncMysqlConnection::establish(url).await.expect("connect");
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
    tables
}

/// The migrations this repository holds.
fn migrations_in_repository() -> usize {
    std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .expect("migrations directory")
        .filter(|entry| entry.as_ref().is_ok_and(|e| e.path().is_dir()))
        .count()
}

/// How many migrations the database records as applied.
async fn applied_migrations(url: &str) -> usize {
    let mut conn = AsyncMysqlConnection::establish(url).await.expect("connect");
    let applied: Vec<TableName> =
        diesel::sql_query("SELECT version AS name FROM __diesel_schema_migrations")
            .load(&mut conn)
            .await
            .expect("applied migrations");
    applied.len()
}

#[tokio::test]
async fn migrate_creates_every_table_on_an_empty_database_and_is_idempotent() {
    let database = TestDb::create_empty().await;
    assert_eq!(tables(&database.url).await, Vec::<String>::new());
    let migrations = migrations_in_repository();

    for run in ["first", "second"] {
        let output = finstage()
            .arg("migrate")
            .env("DATABASE_URL", &database.url)
            .env("RUST_LOG", child_log_filter())
            .output()
            .expect("run finstage migrate");
        assert!(
            output.status.success(),
            "{run} run: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            tables(&database.url).await,
            [
                "__diesel_schema_migrations",
                "balance_sheets",
                "cash_flow_statements",
                "companies",
                "income_statements",
                "listings",
                "registration_requests",
            ],
            "after the {run} run"
        );
        // Each migration recorded once: the second run applied nothing again.
        assert_eq!(
            applied_migrations(&database.url).await,
            migrations,
            "after the {run} run"
        );
    }
}

/// Four `finstage migrate` processes started at once on an empty database, as
/// `serve --migrate` and `worker --migrate` replicas are: every one succeeds, and each
/// migration is applied once.
#[tokio::test]
async fn migrations_started_together_take_turns() {
    let database = TestDb::create_empty().await;
    let runs: Vec<_> = (0..4)
        .map(|_| {
            finstage()
                .arg("migrate")
                .env("DATABASE_URL", &database.url)
                .env("RUST_LOG", child_log_filter())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("start finstage migrate")
        })
        .collect();
    for run in runs {
        let output = run.wait_with_output().expect("finstage migrate");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let migrations = migrations_in_repository();
    assert_eq!(applied_migrations(&database.url).await, migrations);
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
    let port = crate::support::broker::free_port();
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
    eventually(
        Duration::from_secs(20),
        "finstage serve to answer",
        || async { client.get(&health).send().await.is_ok() },
    )
    .await;

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
    let status = eventually(
        Duration::from_secs(10),
        "finstage serve to exit on SIGTERM",
        || std::future::ready(server.try_wait().expect("wait")),
    )
    .await;
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

/// What `finstage worker` (on `sec-dir`, no database) prints when it refuses to start with
/// `settings`; panics if it starts.
fn worker_refusal(settings: &[(&str, &str)]) -> String {
    let output = finstage()
        .arg("worker")
        .env("PROVIDER", "sec-dir")
        .env("SEC_DIR", "tests/fixtures/sec")
        .env("DATABASE_URL", "mysql://root@127.0.0.1:1/none")
        .envs(settings.iter().copied())
        .output()
        .expect("run finstage worker");
    assert!(!output.status.success());
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn the_worker_refuses_a_pool_too_small_to_hold_its_lock_and_write() {
    let stderr = worker_refusal(&[("DATABASE_POOL_SIZE", "1")]);
    assert!(
        stderr.contains("DATABASE_POOL_SIZE must be at least 2"),
        "{stderr}"
    );
}

#[test]
fn the_worker_refuses_retries_that_could_outlast_the_kafka_poll_interval() {
    let stderr = worker_refusal(&[
        ("WORKER_MAX_ATTEMPTS", "10"),
        ("PROVIDER_TIMEOUT_SECS", "60"),
        ("WORKER_RETRY_MAX_MS", "60000"),
    ]);
    assert!(
        // 10 × 60 s + 9 × 60 s of provider attempts, and 60 s of WORKER_LOCK_WAIT_SECS.
        stderr.contains("can hold one request for 1200 s, beyond the 900 s"),
        "{stderr}"
    );
}

/// The failures a misconfigured deployment meets first, each with a database password and an
/// admin token in its environment.
#[test]
fn failing_commands_never_print_the_database_password_or_the_admin_token() {
    const PASSWORD: &str = "Pa55-w0rd-in-the-url";
    const TOKEN: &str = "admin-token-that-must-stay-secret";
    let url = format!("mysql://finstage:{PASSWORD}@127.0.0.1:1/finstage");
    /// (arguments, extra environment, what stderr must name)
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 5] = [
        // The database is unreachable.
        (&["migrate"], &[], ""),
        (&["serve", "--migrate"], &[("REQUEST_TRANSPORT", "off")], ""),
        (
            &["worker", "--migrate"],
            &[("PROVIDER", "sec-dir"), ("SEC_DIR", "tests/fixtures/sec")],
            "",
        ),
        // A setting is refused.
        (
            &["serve"],
            &[("LISTEN_ADDR", "not-an-address")],
            "LISTEN_ADDR",
        ),
        (
            &["worker"],
            &[
                ("PROVIDER", "sec-dir"),
                ("SEC_DIR", "tests/fixtures/sec"),
                ("DATABASE_POOL_SIZE", "1"),
            ],
            "DATABASE_POOL_SIZE",
        ),
    ];
    for (args, env, names) in cases {
        let output = finstage()
            .args(args)
            .envs(env.iter().copied())
            .env("DATABASE_URL", &url)
            .env("DATABASE_TIMEOUT_SECS", "1")
            .env("ADMIN_TOKEN", TOKEN)
            .env("RUST_LOG", "debug")
            .output()
            .expect("run finstage");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} succeeded: {stderr}");
        // It did say what went wrong, so there was something to leak.
        assert!(!stderr.trim().is_empty(), "{args:?}: nothing on stderr");
        assert!(stderr.contains(names), "{args:?}: {stderr}");
        for secret in [PASSWORD, TOKEN] {
            assert!(
                !stderr.contains(secret) && !stdout.contains(secret),
                "{args:?} printed a secret: {stdout}{stderr}"
            );
        }
    }
}
