//! The gateway under load, beside its floors, on this machine and in one run:
//!
//! - (a) `company(symbol)`: all three annual statements, every line item, last 5 years,
//!   rotating over 500 companies;
//! - (b) `companies(symbols)` with 100 symbols and the same fields;
//! - (c) `company(symbol)` for symbols never seen (answers `PENDING`), Kafka down;
//! - (d) raw-SQL floor: the rows of (a) fetched with the same driver and pool, same
//!   concurrency, no HTTP, no GraphQL;
//! - (e) HTTP floor: a minimal axum handler returning (a)'s response bytes;
//! - (f) durable-commit floor: one single-row INSERT + COMMIT per request, same pool and
//!   concurrency, beside (c);
//! - cold rows, (a-cold), (b-cold), (a+m-cold): the gateway with its read cache off, beside
//!   the raw-SQL floors of (a) and (b).
//!
//! Data: 500 companies, each holding the real figures of Apple's 10 latest fiscal years (10
//! annual and 40 quarterly periods of each statement, normalized from the bundled SEC file).
//! Load: wrk over loopback (BENCH_CONNECTIONS, default 32 connections, 2 threads,
//! BENCH_SECONDS each, default 10). The gateway is the release binary as a separate process,
//! so its CPU time and peak RSS are read from /proc. Run with `scripts/bench`.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, RunQueryDsl};
use finstage::config::DatabaseSettings;
use finstage::db::Db;
use finstage::db::companies;
use finstage::db::statements::StatementKind;
use finstage::domain::NormalizedCompany;
use finstage::domain::{
    BalanceSheetItems, CashFlowItems, FiscalPeriod, IncomeStatementItems, PeriodKind, Statement,
    StatementFilter, StatementWindow, Symbol,
};
use finstage::ingestion::normalize::normalize;
use finstage::registration::lifecycle;
use futures_util::StreamExt;
use secrecy::SecretString;
use serde_json::{Value, json};
use support::{Error, FIXTURES, drop_database, free_port, fresh_database};

const DATABASE: &str = "finstage_bench_gateway";
const COMPANIES: usize = 500;
const YEARS: usize = 10;
const WRK_THREADS: usize = 2;
/// Pool size for the gateway and for the raw-SQL floor.
const POOL_SIZE: usize = 8;
const FLOOR_ROLE: &str = "FINSTAGE_BENCH_HTTP_FLOOR";

const INCOME: &str = "fiscalYear fiscalPeriod periodStart periodEnd form filedAt accessionNumber currency derived revenue costOfRevenue grossProfit researchAndDevelopment sellingGeneralAndAdministrative operatingExpenses operatingIncome interestExpense incomeBeforeTax incomeTaxExpense netIncome epsBasic epsDiluted weightedAverageSharesBasic weightedAverageSharesDiluted";
const BALANCE: &str = "fiscalYear fiscalPeriod periodEnd form filedAt accessionNumber currency derived cashAndEquivalents shortTermInvestments accountsReceivable inventory totalCurrentAssets propertyPlantAndEquipmentNet goodwill intangibleAssets totalAssets accountsPayable shortTermDebt totalCurrentLiabilities longTermDebt totalLiabilities totalEquity retainedEarnings totalLiabilitiesAndEquity";
const CASH_FLOW: &str = "fiscalYear fiscalPeriod periodStart periodEnd form filedAt accessionNumber currency derived netIncome depreciationAndAmortization stockBasedCompensation operatingCashFlow capitalExpenditure investingCashFlow financingCashFlow dividendsPaid shareRepurchases netChangeInCash freeCashFlow";

const INCOME_METRICS: &str = "metrics { grossMargin operatingMargin netMargin ebitda ebitdaMargin effectiveTaxRate interestCoverage revenueGrowth operatingIncomeGrowth netIncomeGrowth epsDilutedGrowth }";
const BALANCE_METRICS: &str = "metrics { currentRatio debtToEquity returnOnEquity returnOnAssets }";
const CASH_FLOW_METRICS: &str = "metrics { freeCashFlowMargin operatingCashFlowMargin operatingCashFlowGrowth freeCashFlowGrowth }";

fn statements_selection() -> String {
    format!(
        "symbol name status incomeStatements(period: ANNUAL, last: 5) {{ {INCOME} }} \
         balanceSheets(period: ANNUAL, last: 5) {{ {BALANCE} }} \
         cashFlowStatements(period: ANNUAL, last: 5) {{ {CASH_FLOW} }}"
    )
}

/// (a) as a dashboard's company page asks for it: every metric on each statement, and the
/// TTM headline figures.
fn analytics_selection() -> String {
    format!(
        "symbol name status incomeStatements(period: ANNUAL, last: 5) {{ {INCOME} {INCOME_METRICS} }} \
         balanceSheets(period: ANNUAL, last: 5) {{ {BALANCE} {BALANCE_METRICS} }} \
         cashFlowStatements(period: ANNUAL, last: 5) {{ {CASH_FLOW} {CASH_FLOW_METRICS} }} \
         ttmIncome: incomeStatements(period: TTM, last: 1) {{ periodEnd revenue netIncome epsDiluted metrics {{ grossMargin operatingMargin netMargin }} }} \
         ttmCashFlow: cashFlowStatements(period: TTM, last: 1) {{ periodEnd freeCashFlow metrics {{ freeCashFlowMargin }} }}"
    )
}

/// The read cache off, as for a first visit of every company.
const CACHE_OFF: &[(&str, &str)] = &[
    ("CACHE_MAX_RESPONSE_BYTES", "0"),
    ("CACHE_MAX_STATEMENTS", "0"),
];

fn symbol(i: usize) -> String {
    format!("B{i:03}")
}

fn main() -> Result<(), Error> {
    if let Ok(body) = std::env::var(FLOOR_ROLE) {
        return http_floor(PathBuf::from(body));
    }
    tokio::runtime::Runtime::new()?.block_on(run())
}

struct Settings {
    seconds: u64,
    connections: usize,
}

async fn run() -> Result<(), Error> {
    let settings = Settings {
        seconds: env_number("BENCH_SECONDS", 10),
        connections: env_number("BENCH_CONNECTIONS", 32) as usize,
    };
    let work = tempfile::tempdir()?;
    let url = fresh_database(DATABASE).await?;
    let db = Db::new(&DatabaseSettings {
        url: SecretString::from(url.clone()),
        pool_size: POOL_SIZE as u16,
        timeout_secs: 10,
        statement_timeout_ms: 10_000,
    })?;
    seed(&db).await?;

    let gateway = Server::gateway(&url, &[])?;
    gateway.wait_until_up().await?;
    let client = reqwest::Client::new();

    let company_bodies = write_bodies(work.path(), "company", (0..COMPANIES).map(|i| {
        json!({ "query": format!("query ($s: String!) {{ company(symbol: $s) {{ {} }} }}", statements_selection()),
                "variables": { "s": symbol(i) } })
    }))?;
    let analytics_bodies = write_bodies(work.path(), "analytics", (0..COMPANIES).map(|i| {
        json!({ "query": format!("query ($s: String!) {{ company(symbol: $s) {{ {} }} }}", analytics_selection()),
                "variables": { "s": symbol(i) } })
    }))?;
    let companies_bodies = write_bodies(work.path(), "companies", (0..COMPANIES / 100).map(|k| {
        let symbols: Vec<String> = (k * 100..(k + 1) * 100).map(symbol).collect();
        json!({ "query": format!("query ($s: [String!]!) {{ companies(symbols: $s) {{ {} }} }}", statements_selection()),
                "variables": { "s": symbols } })
    }))?;
    let pending_bodies = write_bodies(
        work.path(),
        "pending",
        (0..400_000).map(|i| {
            json!({ "query": "query ($s: String!) { company(symbol: $s) { status } }",
                "variables": { "s": format!("N{i:07}") } })
        }),
    )?;
    let light_pending_bodies = write_bodies(
        work.path(),
        "light-pending",
        (0..100_000).map(|i| {
            json!({ "query": "query ($s: String!) { company(symbol: $s) { status } }",
                "variables": { "s": format!("L{i:07}") } })
        }),
    )?;

    // Check each scenario's answer before measuring it; (a)'s bytes feed the HTTP floor.
    let company_response = client
        .post(format!("{}/graphql", gateway.url))
        .header("content-type", "application/json")
        .body(first_line(&company_bodies)?)
        .send()
        .await?
        .bytes()
        .await?;
    let answer: Value = serde_json::from_slice(&company_response)?;
    if answer["data"]["company"]["incomeStatements"]
        .as_array()
        .map(Vec::len)
        != Some(5)
    {
        return Err(format!("unexpected (a) answer: {answer}").into());
    }
    let answer: Value = client
        .post(format!("{}/graphql", gateway.url))
        .header("content-type", "application/json")
        .body(first_line(&companies_bodies)?)
        .send()
        .await?
        .json()
        .await?;
    if answer["data"]["companies"].as_array().map(Vec::len) != Some(100) {
        return Err(format!("unexpected (b) answer: {answer}").into());
    }
    let answer: Value = client
        .post(format!("{}/graphql", gateway.url))
        .header("content-type", "application/json")
        .body(first_line(&analytics_bodies)?)
        .send()
        .await?
        .json()
        .await?;
    let ttm = &answer["data"]["company"]["ttmIncome"];
    if answer.get("errors").is_some()
        || ttm.as_array().map(Vec::len) != Some(1)
        || ttm[0]["metrics"]["grossMargin"].is_null()
    {
        return Err(format!("unexpected (a+m) answer: {answer}").into());
    }
    let response_file = work.path().join("company-response.json");
    std::fs::write(&response_file, &company_response)?;

    let mut rows = Vec::new();
    let (seconds, connections) = (settings.seconds, settings.connections);
    // Warm-up (not measured): fills the read cache and the connection pool.
    wrk(&gateway.url, &company_bodies, 3, settings.connections)?;
    rows.push(
        gateway
            .measure(
                "(a) company, 500 symbols",
                &company_bodies,
                seconds,
                connections,
            )
            .await?,
    );
    wrk(&gateway.url, &analytics_bodies, 3, settings.connections)?;
    rows.push(
        gateway
            .measure(
                "(a+m) with metrics and TTM",
                &analytics_bodies,
                seconds,
                connections,
            )
            .await?,
    );
    wrk(&gateway.url, &companies_bodies, 3, settings.connections)?;
    rows.push(
        gateway
            .measure(
                "(b) companies, 100 symbols",
                &companies_bodies,
                seconds,
                connections,
            )
            .await?,
    );
    rows.push(
        gateway
            .measure(
                "(c) PENDING, Kafka down",
                &pending_bodies,
                seconds,
                connections,
            )
            .await?,
    );
    // The same at light load (wrk needs a connection per thread).
    rows.push(
        gateway
            .measure(
                "(c) PENDING, 2 connections",
                &light_pending_bodies,
                seconds,
                WRK_THREADS,
            )
            .await?,
    );
    let pending = gateway
        .metric("finstage_registrations_requested_total")
        .await?;
    drop(gateway);

    let uncached = Server::gateway(&url, CACHE_OFF)?;
    uncached.wait_until_up().await?;
    for (name, bodies) in [
        ("(a-cold) company, cache off", &company_bodies),
        ("(b-cold) companies, cache off", &companies_bodies),
        ("(a+m-cold) metrics and TTM", &analytics_bodies),
    ] {
        wrk(&uncached.url, bodies, 3, settings.connections)?;
        rows.push(uncached.measure(name, bodies, seconds, connections).await?);
    }
    drop(uncached);

    rows.push(raw_sql_floor(&db, &settings, "(d) raw-SQL floor of (a)", 1).await?);
    rows.push(raw_sql_floor(&db, &settings, "(d-b) raw-SQL floor of (b)", 100).await?);
    rows.push(commit_floor(&db, &settings).await?);

    let floor = Server::http_floor(&response_file)?;
    floor.wait_until_up().await?;
    wrk(&floor.url, &company_bodies, 3, settings.connections)?;
    rows.push(
        floor
            .measure(
                "(e) HTTP floor (axum, bytes)",
                &company_bodies,
                seconds,
                connections,
            )
            .await?,
    );
    drop(floor);

    print_table(&rows, &settings, pending);
    drop_database(DATABASE).await
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// Apple's 10 latest fiscal years (annual and quarterly) under 500 symbols.
async fn seed(db: &Db) -> Result<(), Error> {
    let started = Instant::now();
    let json = std::fs::read_to_string(Path::new(FIXTURES).join("CIK0000320193.json"))?;
    let apple = normalize(&json)?;
    let years: BTreeSet<i32> = apple
        .income
        .iter()
        .filter(|s| s.period.fiscal_period == FiscalPeriod::Fy)
        .map(|s| s.period.fiscal_year)
        .collect();
    let kept: BTreeSet<i32> = years.into_iter().rev().take(YEARS).collect();
    fn within<S: Clone>(statements: &[Statement<S>], years: &BTreeSet<i32>) -> Vec<Statement<S>> {
        statements
            .iter()
            .filter(|s| years.contains(&s.period.fiscal_year))
            .cloned()
            .collect()
    }
    let company = Arc::new(NormalizedCompany {
        info: apple.info.clone(),
        income: within(&apple.income, &kept),
        balance: within(&apple.balance, &kept),
        cash_flow: within(&apple.cash_flow, &kept),
    });
    let stored = futures_util::stream::iter(0..COMPANIES)
        .map(|i| {
            let company = company.clone();
            async move {
                let symbol = Symbol::parse(&symbol(i))?;
                let mut conn = db.conn().await?;
                lifecycle::store(&mut conn, &symbol, &company, None, 0).await?;
                Ok::<_, Error>(())
            }
        })
        .buffer_unordered(POOL_SIZE)
        .collect::<Vec<_>>()
        .await;
    for result in stored {
        result?;
    }
    eprintln!(
        "seeded {COMPANIES} companies × ({} income, {} balance, {} cash-flow statements) in {:.1} s",
        company.income.len(),
        company.balance.len(),
        company.cash_flow.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn write_bodies(
    dir: &Path,
    name: &str,
    bodies: impl Iterator<Item = Value>,
) -> Result<PathBuf, Error> {
    let path = dir.join(format!("{name}.jsonl"));
    let mut text = String::new();
    for body in bodies {
        text.push_str(&body.to_string());
        text.push('\n');
    }
    std::fs::write(&path, text)?;
    Ok(path)
}

fn first_line(path: &Path) -> Result<String, Error> {
    Ok(std::fs::read_to_string(path)?
        .lines()
        .next()
        .ok_or("no bodies")?
        .to_owned())
}

/// What wrk's Lua `done` reports.
#[derive(Debug, serde::Deserialize)]
struct WrkResult {
    requests: u64,
    duration_us: u64,
    p50_us: u64,
    p99_us: u64,
    socket_errors: u64,
    non_2xx: u64,
}

fn wrk(url: &str, bodies: &Path, seconds: u64, connections: usize) -> Result<WrkResult, Error> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/wrk/bodies.lua");
    let output = Command::new("wrk")
        .args([
            "-t",
            &WRK_THREADS.to_string(),
            "-c",
            &connections.to_string(),
        ])
        // Beyond wrk's default 2 s, so a slow scenario is measured rather than failed.
        .args(["--timeout", "10s"])
        .args(["-d", &format!("{seconds}s"), "-s", script, url])
        .env("BENCH_BODIES", bodies)
        .env("BENCH_THREADS", WRK_THREADS.to_string())
        .output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find(|line| line.starts_with('{'))
        .ok_or_else(|| {
            format!(
                "wrk printed no result: {stdout} {}",
                String::from_utf8_lossy(&output.stderr)
            )
        })?;
    let result: WrkResult = serde_json::from_str(line)?;
    if result.socket_errors > 0 || result.non_2xx > 0 {
        return Err(format!("wrk saw errors: {result:?}").into());
    }
    Ok(result)
}

struct Row {
    name: String,
    requests_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    cpu_percent: f64,
    peak_rss_mb: f64,
    sql_per_request: Option<f64>,
    rows_per_request: Option<f64>,
}

/// A server process under test: the gateway or the HTTP floor.
struct Server {
    url: String,
    process: Child,
    has_metrics: bool,
}

impl Server {
    fn gateway(database_url: &str, env: &[(&str, &str)]) -> Result<Self, Error> {
        let port = free_port()?;
        let process = Command::new(env!("CARGO_BIN_EXE_finstage"))
            .arg("serve")
            .envs(env.iter().copied())
            .env("DATABASE_URL", database_url)
            .env("DATABASE_POOL_SIZE", POOL_SIZE.to_string())
            .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
            // Kafka down: nothing listens there.
            .env("KAFKA_BROKERS", format!("127.0.0.1:{}", free_port()?))
            .env("REGISTRATION_RATE_LIMIT", "1000000000")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        Ok(Self {
            url: format!("http://127.0.0.1:{port}"),
            process,
            has_metrics: true,
        })
    }

    fn http_floor(response: &Path) -> Result<Self, Error> {
        let port = free_port()?;
        let process = Command::new(std::env::current_exe()?)
            .env(FLOOR_ROLE, response)
            .env("BENCH_LISTEN", format!("127.0.0.1:{port}"))
            .spawn()?;
        Ok(Self {
            url: format!("http://127.0.0.1:{port}"),
            process,
            has_metrics: false,
        })
    }

    async fn wait_until_up(&self) -> Result<(), Error> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let address = self.url.trim_start_matches("http://").to_owned();
        while tokio::net::TcpStream::connect(&address).await.is_err() {
            if Instant::now() > deadline {
                return Err(format!("{} did not come up", self.url).into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    }

    async fn metric(&self, name: &str) -> Result<f64, Error> {
        let text = reqwest::get(format!("{}/metrics", self.url))
            .await?
            .text()
            .await?;
        Ok(text
            .lines()
            .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or(0.0))
    }

    async fn measure(
        &self,
        name: &str,
        bodies: &Path,
        seconds: u64,
        connections: usize,
    ) -> Result<Row, Error> {
        let pid = self.process.id();
        reset_peak_rss(pid)?;
        let (queries_before, rows_before) = if self.has_metrics {
            (
                self.metric("finstage_sql_queries_total").await?,
                self.metric("finstage_statement_rows_total").await?,
            )
        } else {
            (0.0, 0.0)
        };
        let cpu_before = cpu_seconds(pid)?;
        let result = wrk(&self.url, bodies, seconds, connections)?;
        let cpu = cpu_seconds(pid)? - cpu_before;
        let per_request = async |metric, before| {
            Ok::<_, Error>(if self.has_metrics {
                Some((self.metric(metric).await? - before) / result.requests as f64)
            } else {
                None
            })
        };
        let sql_per_request = per_request("finstage_sql_queries_total", queries_before).await?;
        let rows_per_request = per_request("finstage_statement_rows_total", rows_before).await?;
        let seconds = result.duration_us as f64 / 1e6;
        Ok(Row {
            name: name.to_owned(),
            requests_per_sec: result.requests as f64 / seconds,
            p50_ms: result.p50_us as f64 / 1e3,
            p99_ms: result.p99_us as f64 / 1e3,
            cpu_percent: cpu / seconds * 100.0,
            peak_rss_mb: peak_rss_mb(pid)?,
            sql_per_request,
            rows_per_request,
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// User + system CPU seconds of a process (/proc/PID/stat, in clock ticks of 1/100 s).
fn cpu_seconds(pid: u32) -> Result<f64, Error> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .ok_or("malformed stat")?
        .1
        .split_whitespace()
        .collect();
    let ticks: u64 = fields[11].parse::<u64>()? + fields[12].parse::<u64>()?;
    Ok(ticks as f64 / 100.0)
}

/// Resets a process's peak RSS (VmHWM) so the next reading covers one scenario only.
fn reset_peak_rss(pid: u32) -> Result<(), Error> {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5")?;
    Ok(())
}

fn peak_rss_mb(pid: u32) -> Result<f64, Error> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .ok_or("no VmHWM")?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()?;
    Ok(kib / 1024.0)
}

/// A raw-SQL floor: the rows a scenario returns (`symbols_per_request` companies, each
/// with its 5 latest annual statements of every kind, every column), fetched straight from
/// MariaDB with the gateway's driver, pool size and concurrency: companies by symbol, then
/// the three statement kinds, one query each. No HTTP, no GraphQL.
async fn raw_sql_floor(
    db: &Db,
    settings: &Settings,
    name: &str,
    symbols_per_request: usize,
) -> Result<Row, Error> {
    let window = StatementWindow::Newest {
        period: PeriodKind::Annual,
        filter: StatementFilter {
            fiscal_year_from: None,
            fiscal_year_to: None,
            last: 5,
        },
    };
    in_process_floor(db, settings, name, move |db, request| async move {
        let symbols = (0..symbols_per_request)
            .map(|k| Symbol::parse(&symbol((request * symbols_per_request + k) % COMPANIES)))
            .collect::<Result<Vec<_>, _>>()?;
        let mut conn = db.conn().await?;
        let companies = companies::by_symbols(&mut conn, &symbols).await?;
        let ids: Vec<i64> = companies.iter().map(|c| c.id).collect();
        let income =
            <IncomeStatementItems as StatementKind>::load(&mut conn, &ids, &window).await?;
        let balance = <BalanceSheetItems as StatementKind>::load(&mut conn, &ids, &window).await?;
        let cash_flow = <CashFlowItems as StatementKind>::load(&mut conn, &ids, &window).await?;
        let expected = 5 * symbols_per_request;
        if [income.len(), balance.len(), cash_flow.len()] != [expected; 3] {
            return Err("the raw-SQL floor found other rows than (a)/(b) show".into());
        }
        Ok(income.len() + balance.len() + cash_flow.len())
    })
    .await
}

/// The durable-commit floor beside (c): per request, one single-row INSERT committed on its
/// own (each commit flushed to disk, as the server is configured), through the gateway's
/// driver and pool size at the same concurrency.
async fn commit_floor(db: &Db, settings: &Settings) -> Result<Row, Error> {
    let mut conn = db.conn().await?;
    diesel::sql_query(
        "CREATE TABLE IF NOT EXISTS bench_commits \
         (id BIGINT AUTO_INCREMENT PRIMARY KEY, symbol VARCHAR(16) NOT NULL)",
    )
    .execute(&mut conn)
    .await?;
    drop(conn);
    in_process_floor(
        db,
        settings,
        "(f) durable-commit floor",
        |db, request| async move {
            let mut conn = db.conn().await?;
            conn.transaction(async |conn| {
                diesel::sql_query("INSERT INTO bench_commits (symbol) VALUES (?)")
                    .bind::<Text, _>(format!("F{request:07}"))
                    .execute(conn)
                    .await
            })
            .await?;
            Ok(0)
        },
    )
    .await
}

/// Runs `request` (given the pool and a request number, returning the statement rows it
/// read) from `settings.connections` tasks at once for `settings.seconds`, in this process.
async fn in_process_floor<F, Fut>(
    db: &Db,
    settings: &Settings,
    name: &str,
    request: F,
) -> Result<Row, Error>
where
    F: Fn(Db, usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<usize, Error>> + Send,
{
    let pid = std::process::id();
    reset_peak_rss(pid)?;
    let queries_before = db.queries_executed();
    let cpu_before = cpu_seconds(pid)?;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(settings.seconds);
    let tasks: Vec<_> = (0..settings.connections)
        .map(|task| {
            let db = db.clone();
            let request = request.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut rows = 0;
                let mut next = task * (COMPANIES / 32);
                while Instant::now() < deadline {
                    next += 1;
                    let began = Instant::now();
                    rows += request(db.clone(), next).await?;
                    latencies.push(began.elapsed());
                }
                Ok::<_, Error>((latencies, rows))
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut rows = 0;
    for task in tasks {
        let (task_latencies, task_rows) = task.await.map_err(|e| e.to_string())??;
        latencies.extend(task_latencies);
        rows += task_rows;
    }
    let seconds = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds(pid)? - cpu_before;
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Ok(Row {
        name: name.into(),
        requests_per_sec: latencies.len() as f64 / seconds,
        p50_ms: at(0.50).as_secs_f64() * 1e3,
        p99_ms: at(0.99).as_secs_f64() * 1e3,
        cpu_percent: cpu / seconds * 100.0,
        peak_rss_mb: peak_rss_mb(pid)?,
        sql_per_request: Some(
            (db.queries_executed() - queries_before) as f64 / latencies.len() as f64,
        ),
        rows_per_request: Some(rows as f64 / latencies.len() as f64),
    })
}

/// (e)'s server, run in a child process: POST /graphql answers the recorded bytes of (a).
fn http_floor(response: PathBuf) -> Result<(), Error> {
    let body = axum::body::Bytes::from(std::fs::read(response)?);
    let listen = std::env::var("BENCH_LISTEN")?;
    tokio::runtime::Runtime::new()?.block_on(async move {
        let app = axum::Router::new().route(
            "/graphql",
            axum::routing::post(move || {
                let body = body.clone();
                async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        body,
                    )
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind(listen).await?;
        axum::serve(listener, app).await?;
        Ok(())
    })
}

fn print_table(rows: &[Row], settings: &Settings, pending: f64) {
    println!(
        "\n{} connections, {} s per scenario, wrk {WRK_THREADS} threads, pool {POOL_SIZE}, {} CPUs",
        settings.connections,
        settings.seconds,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "| {:<32} | {:>9} | {:>8} | {:>8} | {:>6} | {:>9} | {:>7} | {:>8} |",
        "scenario", "req/s", "p50 ms", "p99 ms", "CPU %", "peak RSS", "SQL/req", "rows/req"
    );
    println!(
        "|{}|{}|{}|{}|{}|{}|{}|{}|",
        "-".repeat(34),
        "-".repeat(11),
        "-".repeat(10),
        "-".repeat(10),
        "-".repeat(8),
        "-".repeat(11),
        "-".repeat(9),
        "-".repeat(10)
    );
    let figure = |value: Option<f64>| value.map_or("—".to_owned(), |v| format!("{v:.2}"));
    for row in rows {
        println!(
            "| {:<32} | {:>9.0} | {:>8.2} | {:>8.2} | {:>6.0} | {:>6.1} MB | {:>7} | {:>8} |",
            row.name,
            row.requests_per_sec,
            row.p50_ms,
            row.p99_ms,
            row.cpu_percent,
            row.peak_rss_mb,
            figure(row.sql_per_request),
            figure(row.rows_per_request)
        );
    }
    let rate = |prefix: &str| {
        rows.iter()
            .find(|r| r.name.starts_with(prefix))
            .map_or(f64::NAN, |r| r.requests_per_sec)
    };
    println!(
        "\n(a-cold)/(d) = {:.2}× (target ≥ 0.9)   (b-cold)/(d-b) = {:.2}× (target ≥ 0.9)   \
         (a)/(e) = {:.2}× (target ≥ 0.85)",
        rate("(a-cold)") / rate("(d) "),
        rate("(b-cold)") / rate("(d-b)"),
        rate("(a) ") / rate("(e)")
    );
    let p99 = |prefix: &str| {
        rows.iter()
            .find(|r| r.name.starts_with(prefix))
            .map_or(f64::NAN, |r| r.p99_ms)
    };
    println!(
        "(c) p99 / (f) p99 = {:.2}× (target ≤ 2)   (c)/(f) throughput = {:.2}×",
        p99("(c) PENDING, Kafka") / p99("(f)"),
        rate("(c) PENDING, Kafka") / rate("(f)")
    );
    println!("PENDING requests queued in (c): {pending:.0}");
    println!("CPU % is of one core (200 % = both); the gateway's, or for (d) the bench process's.");
}
