//! `finstage import` against the real MariaDB with the real SEC fixture files.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel_async::RunQueryDsl;
use finstage::domain::Symbol;
use finstage::ingestion::import::{Companies, import_dir};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::normalization::FIXTURES;

#[tokio::test]
async fn importing_the_fixtures_serves_apples_10k_figures() {
    let app = spawn_app().await;

    let summary = import_dir(&app.db, FIXTURES.as_ref(), Companies::All)
        .await
        .expect("import");

    let imported: Vec<&str> = summary.imported.iter().map(Symbol::as_str).collect();
    assert_eq!(imported, ["AAPL", "MRVL", "SNOW"]);
    assert_eq!(summary.failed.len(), 1, "{:?}", summary.failed);
    assert_eq!(summary.failed[0].0, "LPA");
    assert!(
        summary.failed[0].1.contains("ifrs-full"),
        "{:?}",
        summary.failed
    );
    assert!(summary.listings_inserted > 10_000, "{summary}");

    let body = app
        .graphql(
            r#"{ companies(symbols: ["AAPL", "MRVL", "SNOW", "LPA"]) {
                symbol status name cik fiscalYearEnd exchange sicCode
                incomeStatements(fiscalYearFrom: 2023, fiscalYearTo: 2023) { fiscalYear periodEnd revenue netIncome epsDiluted }
                balanceSheets(fiscalYearFrom: 2023, fiscalYearTo: 2023) { totalAssets }
                cashFlowStatements(fiscalYearFrom: 2023, fiscalYearTo: 2023) { operatingCashFlow }
            } }"#,
            json!({}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    let companies = &body["data"]["companies"];
    assert_eq!(
        companies[0],
        json!({
            "symbol": "AAPL", "status": "READY", "name": "Apple Inc.", "cik": "0000320193",
            "fiscalYearEnd": "0927", "exchange": "Nasdaq", "sicCode": "3571",
            "incomeStatements": [{ "fiscalYear": 2023, "periodEnd": "2023-09-30",
                "revenue": "383285000000", "netIncome": "96995000000", "epsDiluted": "6.13" }],
            "balanceSheets": [{ "totalAssets": "352583000000" }],
            "cashFlowStatements": [{ "operatingCashFlow": "110543000000" }],
        })
    );
    assert_eq!(companies[1]["status"], "READY");
    // No submissions document for Marvell among the files: its exchange stays unknown.
    assert!(companies[1]["exchange"].is_null(), "{body}");
    assert_eq!(companies[2]["status"], "READY");
    assert_eq!(companies[2]["fiscalYearEnd"], "0131");
    assert_eq!(
        companies[3]["status"], "PENDING",
        "a failed import stores nothing"
    );
}

#[derive(QueryableByName, Debug, PartialEq)]
struct Checksum {
    #[diesel(sql_type = Text, column_name = "Table")]
    table: String,
    #[diesel(sql_type = Nullable<BigInt>, column_name = "Checksum")]
    checksum: Option<i64>,
}

async fn checksums(app: &TestApp) -> Vec<Checksum> {
    let mut conn = app.conn().await;
    diesel::sql_query(
        "CHECKSUM TABLE listings, income_statements, balance_sheets, cash_flow_statements",
    )
    .load(&mut conn)
    .await
    .expect("checksum")
}

#[tokio::test]
async fn importing_twice_changes_no_row() {
    let app = spawn_app().await;
    import_dir(&app.db, FIXTURES.as_ref(), Companies::All)
        .await
        .expect("first import");
    let before = checksums(&app).await;

    let second = import_dir(&app.db, FIXTURES.as_ref(), Companies::All)
        .await
        .expect("second import");

    assert_eq!(second.imported.len(), 3);
    assert_eq!((second.listings_inserted, second.listings_updated), (0, 0));
    assert_eq!(checksums(&app).await, before);
    assert!(before.iter().all(|c| c.checksum.is_some()), "{before:?}");
}

#[tokio::test]
async fn a_truncated_file_fails_only_its_company() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("temp dir");
    for file in ["company_tickers.json", "CIK0001640147.json"] {
        std::fs::copy(format!("{FIXTURES}/{file}"), dir.path().join(file)).expect("copy");
    }
    let apple = std::fs::read_to_string(format!("{FIXTURES}/CIK0000320193.json")).expect("read");
    std::fs::write(
        dir.path().join("CIK0000320193.json"),
        &apple[..apple.len() / 2],
    )
    .expect("write");

    let summary = import_dir(&app.db, dir.path(), Companies::All)
        .await
        .expect("import");

    let imported: Vec<&str> = summary.imported.iter().map(Symbol::as_str).collect();
    assert_eq!(imported, ["SNOW"]);
    assert_eq!(summary.failed.len(), 1);
    assert_eq!(summary.failed[0].0, "AAPL");
    assert!(
        summary.failed[0].1.contains("malformed companyfacts JSON"),
        "{:?}",
        summary.failed
    );
}

#[tokio::test]
async fn symbols_limit_the_import_and_unknown_ones_are_reported() {
    let app = spawn_app().await;
    let only = [
        Symbol::parse("snow").expect("symbol"),
        Symbol::parse("ZZZZZZ").expect("symbol"),
    ];

    let summary = import_dir(&app.db, FIXTURES.as_ref(), Companies::Only(&only))
        .await
        .expect("import");

    let imported: Vec<&str> = summary.imported.iter().map(Symbol::as_str).collect();
    assert_eq!(imported, ["SNOW"]);
    assert_eq!(
        summary.failed,
        [(
            "ZZZZZZ".to_owned(),
            "ZZZZZZ is not in company_tickers.json".to_owned()
        )]
    );
    let body = app
        .graphql("{ company(symbol: \"AAPL\") { status } }", json!({}))
        .await;
    assert_eq!(body["data"]["company"]["status"], "PENDING");
}

#[tokio::test]
async fn listings_only_loads_the_securities_master_and_no_company() {
    let app = spawn_app().await;

    let summary = import_dir(&app.db, FIXTURES.as_ref(), Companies::None)
        .await
        .expect("import");

    assert!(summary.listings_inserted > 10_000, "{summary}");
    assert!(
        summary.imported.is_empty() && summary.failed.is_empty(),
        "{summary}"
    );
    let body = app
        .graphql(
            "{ a: company(symbol: \"AAPL\") { status } z: company(symbol: \"ZZZZZZ\") { status } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["a"]["status"], "PENDING", "{body}");
    assert_eq!(body["data"]["z"]["status"], "NOT_FOUND", "{body}");
}

/// SEC's `company_tickers_exchange.json` shape (fields, then rows). No recording of it is at
/// hand offline, so this test writes one in that shape, with real CIKs, names and exchanges.
const TICKERS_WITH_EXCHANGES: &str = r#"{"fields":["cik","name","ticker","exchange"],"data":[
    [320193,"Apple Inc.","AAPL","Nasdaq"],
    [1640147,"Snowflake Inc.","SNOW","NYSE"],
    [1000045,"OLD MARKET CAPITAL Corp","OMCC",null]]}"#;

/// A directory of SEC files: `tickers` as `company_tickers_exchange.json` and Snowflake's
/// real companyfacts file.
fn snowflake_dir(tickers: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("company_tickers_exchange.json"), tickers).expect("write");
    std::fs::copy(
        format!("{FIXTURES}/CIK0001640147.json"),
        dir.path().join("CIK0001640147.json"),
    )
    .expect("copy");
    dir
}

#[tokio::test]
async fn the_securities_master_with_exchanges_fills_listings_and_companies_without_submissions() {
    let app = spawn_app().await;
    let dir = snowflake_dir(TICKERS_WITH_EXCHANGES);

    let summary = import_dir(&app.db, dir.path(), Companies::All)
        .await
        .expect("import");

    assert_eq!(summary.listings_inserted, 3, "{summary}");
    let imported: Vec<&str> = summary.imported.iter().map(Symbol::as_str).collect();
    assert_eq!(imported, ["SNOW"]);
    let body = app
        .graphql(
            r#"{ nyse: listings(first: 10, exchange: "NYSE") { nodes { symbol exchange } }
                 all: listings(first: 10) { nodes { symbol exchange } }
                 snow: company(symbol: "SNOW") { status exchange } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["nyse"]["nodes"],
        json!([{ "symbol": "SNOW", "exchange": "NYSE" }]),
        "{body}"
    );
    assert_eq!(
        body["data"]["all"]["nodes"],
        json!([
            { "symbol": "AAPL", "exchange": "Nasdaq" },
            { "symbol": "OMCC", "exchange": null },
            { "symbol": "SNOW", "exchange": "NYSE" }
        ]),
        "{body}"
    );
    assert_eq!(
        body["data"]["snow"],
        json!({ "status": "READY", "exchange": "NYSE" }),
        "{body}"
    );
}

#[tokio::test]
async fn over_long_provider_text_is_fitted_to_its_columns_instead_of_failing_the_company() {
    let app = spawn_app().await;
    let long_exchange = "X".repeat(40);
    let tickers = json!({
        "fields": ["cik", "name", "ticker", "exchange"],
        "data": [[1640147, "N".repeat(300), "SNOW", long_exchange]],
    });
    let dir = snowflake_dir(&tickers.to_string());
    let submissions = json!({
        "tickers": ["SNOW"],
        "exchanges": [long_exchange],
        "sic": "73720",
        "sicDescription": "D".repeat(300),
    });
    std::fs::create_dir(dir.path().join("submissions")).expect("mkdir");
    std::fs::write(
        dir.path().join("submissions/CIK0001640147.json"),
        submissions.to_string(),
    )
    .expect("write");

    let summary = import_dir(&app.db, dir.path(), Companies::All)
        .await
        .expect("import");

    assert_eq!(summary.listings_inserted, 1, "{summary}");
    let imported: Vec<&str> = summary.imported.iter().map(Symbol::as_str).collect();
    assert_eq!(imported, ["SNOW"], "{summary}");
    let body = app
        .graphql(
            r#"{ listings(first: 1) { nodes { name exchange } }
                 company(symbol: "SNOW") { status exchange sicCode sicDescription } }"#,
            json!({}),
        )
        .await;
    let listing = &body["data"]["listings"]["nodes"][0];
    assert_eq!(listing["name"], "N".repeat(255), "{body}");
    assert_eq!(listing["exchange"], Value::Null, "{body}");
    let company = &body["data"]["company"];
    assert_eq!(company["status"], "READY", "{body}");
    assert_eq!(company["exchange"], Value::Null, "{body}");
    assert_eq!(company["sicCode"], Value::Null, "{body}");
    assert_eq!(company["sicDescription"], "D".repeat(255), "{body}");
}
