//! Registrations that arrive together share one transaction (group commit), and nobody is
//! answered `PENDING` before the transaction holding their request has committed.

use std::process::Command;
use std::time::Duration;

use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, AsyncMysqlConnection, RunQueryDsl};
use serde_json::{Value, json};

use crate::helpers::{
    ChildProcess, TestApp, child_log_filter, eventually, sessions_running, spawn_app, write_lock,
};
use crate::support::broker::free_port;
use crate::support::database::TestDb;

const TIMEOUT: Duration = Duration::from_secs(30);
const REGISTER: &str = "query ($s: String!) { company(symbol: $s) { symbol status } }";
/// The statement of a registration transaction that `LOCK TABLES` below holds up: the
/// transaction has begun and written its `PENDING` companies, and waits to write requests.
const OPENING_REQUESTS: &str = "INSERT IGNORE INTO `registration_requests`";

/// A session of the test's own that write-locks the outbox table until `unlock`, so the
/// registration transactions wait inside, between their batch and their commit.
struct OutboxLock(AsyncMysqlConnection);

impl OutboxLock {
    async fn take(database_url: &str) -> Self {
        Self(write_lock(database_url, "registration_requests").await)
    }

    async fn unlock(mut self) {
        diesel::sql_query("UNLOCK TABLES")
            .execute(&mut self.0)
            .await
            .expect("unlock the outbox");
    }
}

async fn connect(url: &str) -> AsyncMysqlConnection {
    AsyncMysqlConnection::establish(url).await.expect("connect")
}

async fn wait_for_blocked_transactions(url: &str, expected: i64) {
    eventually(
        TIMEOUT,
        format!("{expected} registration transactions waiting for the outbox"),
        || async { sessions_running(&mut connect(url).await, OPENING_REQUESTS).await == expected },
    )
    .await;
}

fn register(app: &TestApp, symbol: String) -> tokio::task::JoinHandle<Value> {
    let client = app.client.clone();
    let url = format!("{}/graphql", app.address);
    tokio::spawn(async move {
        client
            .post(url)
            .json(&json!({ "query": REGISTER, "variables": { "s": symbol } }))
            .send()
            .await
            .expect("answered")
            .json()
            .await
            .expect("JSON")
    })
}

#[tokio::test]
async fn registrations_arriving_while_others_commit_are_written_in_one_transaction() {
    let app = spawn_app().await;
    let lock = OutboxLock::take(&app.database_url).await;

    // Four registrations, one at a time, take every transaction slot and wait in them.
    let mut answers = Vec::new();
    for (n, symbol) in ["AAAA", "AAAB", "AAAC", "AAAD"].into_iter().enumerate() {
        answers.push(register(&app, symbol.to_owned()));
        wait_for_blocked_transactions(&app.database_url, n as i64 + 1).await;
    }
    let before = app.registrations.transactions();
    // Twenty more arrive while those cannot commit.
    let later: Vec<String> = (0..20).map(|n| format!("BAT{n:02}")).collect();
    for symbol in &later {
        answers.push(register(&app, symbol.clone()));
    }
    eventually(TIMEOUT, "20 registrations waiting for a slot", || {
        std::future::ready(app.registrations.waiting() == 20)
    })
    .await;
    for answer in &answers {
        assert!(!answer.is_finished(), "answered before its commit");
    }

    lock.unlock().await;
    for answer in answers {
        let body = answer.await.expect("request task");
        assert_eq!(body["data"]["company"]["status"], "PENDING", "{body}");
    }
    assert_eq!(
        app.registrations.transactions() - before,
        1,
        "the 20 waiting registrations shared one transaction"
    );
    for symbol in later.iter().map(String::as_str).chain(["AAAA", "AAAD"]) {
        assert_eq!(app.requests_for(symbol).await.len(), 1, "{symbol}");
    }
}

/// `finstage serve` as a real process, with no transport, over `database`.
fn serve(database: &TestDb, port: u16) -> ChildProcess {
    Command::new(env!("CARGO_BIN_EXE_finstage"))
        .arg("serve")
        .env("DATABASE_URL", &database.url)
        .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("REQUEST_TRANSPORT", "off")
        .env("RUST_LOG", child_log_filter())
        .spawn()
        .map(ChildProcess)
        .expect("start finstage serve")
}

async fn stored_symbols(conn: &mut AsyncMysqlConnection) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        symbol: String,
    }
    let companies: Vec<Row> = diesel::sql_query(
        "SELECT symbol FROM companies UNION ALL SELECT symbol FROM registration_requests",
    )
    .load(conn)
    .await
    .expect("read");
    companies.into_iter().map(|row| row.symbol).collect()
}

#[tokio::test]
async fn a_gateway_killed_between_batch_and_commit_answered_nobody_and_left_nothing() {
    let database = TestDb::create().await;
    let port = free_port();
    let mut gateway = serve(&database, port);
    let graphql = format!("http://127.0.0.1:{port}/graphql");
    let client = reqwest::Client::new();
    eventually(TIMEOUT, "the gateway to listen", || async {
        client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .is_ok()
    })
    .await;

    let lock = OutboxLock::take(&database.url).await;
    let answers: Vec<_> = ["KILA", "KILB", "KILC"]
        .into_iter()
        .map(|symbol| {
            let request = client
                .post(&graphql)
                .json(&json!({ "query": REGISTER, "variables": { "s": symbol } }));
            tokio::spawn(async move { request.send().await.map(|r| r.status()) })
        })
        .collect();
    eventually(TIMEOUT, "a registration transaction in flight", || async {
        sessions_running(&mut connect(&database.url).await, OPENING_REQUESTS).await > 0
    })
    .await;
    gateway.kill();
    for answer in answers {
        let answer = answer.await.expect("request task");
        assert!(answer.is_err(), "a registration was answered: {answer:?}");
    }

    lock.unlock().await;
    let mut conn = connect(&database.url).await;
    // The server rolls back a dead client's transaction once its statement finishes.
    eventually(TIMEOUT, "the dead gateway's sessions to end", || async {
        sessions_running(&mut connect(&database.url).await, OPENING_REQUESTS).await == 0
    })
    .await;
    assert_eq!(stored_symbols(&mut conn).await, Vec::<String>::new());

    // A new gateway registers them from scratch: one request each.
    let _gateway = serve(&database, port);
    for symbol in ["KILA", "KILB", "KILC"] {
        let body: Value = eventually(TIMEOUT, "the new gateway to answer", || async {
            let sent = client
                .post(&graphql)
                .json(&json!({ "query": REGISTER, "variables": { "s": symbol } }))
                .send()
                .await;
            match sent {
                Ok(response) => response.json::<Value>().await.ok(),
                Err(_) => None,
            }
        })
        .await;
        assert_eq!(body["data"]["company"]["status"], "PENDING", "{body}");
    }
    let mut stored = stored_symbols(&mut conn).await;
    stored.sort();
    assert_eq!(
        stored,
        ["KILA", "KILA", "KILB", "KILB", "KILC", "KILC"],
        "one company and one request each"
    );
}
