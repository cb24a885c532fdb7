//! The earlier system's REST API (`/financials`, `/symbols`, their `/api/` envelopes), the CSV
//! export and `/openapi.json`, against Apple's real SEC data: shapes and field names, exact
//! money, status codes, registration of a missing company, and that they are answered through
//! GraphQL's path (its response cache, its limits).

use std::collections::BTreeSet;
use std::time::Duration;

use diesel_async::RunQueryDsl;
use finstage::domain::RegistrationState;
use heck::ToLowerCamelCase;
use serde_json::{Value, json};

use crate::helpers::{TestApp, write_lock};

/// The period and provenance fields every `/financials` row starts with.
const ROW_HEAD: [&str; 7] = [
    "symbol",
    "date",
    "fiscal_year",
    "period",
    "filed_at",
    "form",
    "accession_number",
];

const INCOME_ITEMS: [&str; 18] = [
    "revenue",
    "cost_of_revenue",
    "gross_profit",
    "research_and_development",
    "selling_and_marketing",
    "general_and_administrative",
    "selling_general_and_administrative",
    "operating_expenses",
    "operating_income",
    "interest_expense",
    "income_before_tax",
    "income_tax_expense",
    "net_income",
    "eps_basic",
    "eps_diluted",
    "weighted_average_shares_basic",
    "weighted_average_shares_diluted",
    "share_split_factor",
];

/// The CSV columns before the line items.
const CSV_HEAD: [&str; 7] = [
    "fiscal_year",
    "fiscal_period",
    "period_start",
    "period_end",
    "form",
    "filed_at",
    "accession_number",
];

async fn apple() -> TestApp {
    let app = TestApp::builder().spawn().await;
    app.import_fixtures(&["AAPL"]).await;
    app
}

/// GETs `path`; returns the status and the JSON body.
async fn get_json(app: &TestApp, path: &str) -> (u16, Value) {
    let response = app.get(path).await;
    let status = response.status().as_u16();
    let content_type = header(&response, "content-type");
    let body = response.text().await.expect("body");
    assert_eq!(
        content_type.as_deref(),
        Some("application/json"),
        "{path}: {body}"
    );
    let body = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{path}: {body}"));
    (status, body)
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

fn rows<'a>(body: &'a Value, list: &str) -> &'a Vec<Value> {
    body[list]
        .as_array()
        .unwrap_or_else(|| panic!("{list} in {body}"))
}

fn keys(row: &Value) -> BTreeSet<&str> {
    row.as_object()
        .expect("a row object")
        .keys()
        .map(String::as_str)
        .collect()
}

/// Asserts each list's rows are strictly newest first, by `key`.
fn assert_newest_first(rows: &[Value], key: &str) {
    let dates: Vec<&str> = rows.iter().map(|row| row[key].as_str().unwrap()).collect();
    assert!(
        dates.windows(2).all(|pair| pair[0] > pair[1]),
        "not newest first: {dates:?}"
    );
}

/// GraphQL's answer for the same statements, each field named by its snake_case `columns`.
async fn graphql_rows(
    app: &TestApp,
    field: &str,
    period: &str,
    last: usize,
    columns: &[&str],
) -> Vec<Value> {
    let selection: Vec<String> = columns.iter().map(|c| c.to_lower_camel_case()).collect();
    let query = format!(
        r#"{{ company(symbol: "AAPL") {{ {field}(period: {period}, last: {last}) {{ {} }} }} }}"#,
        selection.join(" ")
    );
    let body = app.graphql(&query, json!({})).await;
    body["data"]["company"][field]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .clone()
}

/// A money value, from REST's JSON number or GraphQL's `Decimal` string (the figures compared
/// have at most 15 significant digits, which a parsed double prints back exactly).
fn decimal(value: &Value) -> Option<rust_decimal::Decimal> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(text.parse().unwrap()),
        Value::Number(number) => Some(number.to_string().parse().unwrap()),
        other => panic!("not money: {other}"),
    }
}

/// A JSON value as the CSV prints it: strings as they are, numbers in decimal, null empty.
fn as_cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        other => panic!("not a cell: {other}"),
    }
}

#[tokio::test]
async fn financials_answers_the_earlier_systems_shape_newest_first() {
    let app = apple().await;

    let (status, body) = get_json(&app, "/financials?symbol=aapl").await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(
        keys(&body),
        BTreeSet::from(["income_statement", "balance_sheet", "cash_flow"])
    );
    for list in ["income_statement", "balance_sheet", "cash_flow"] {
        let rows = rows(&body, list);
        assert!(rows.len() >= 10, "{list}: every year Apple filed");
        assert_newest_first(rows, "date");
        for row in rows {
            assert_eq!(row["symbol"], "AAPL", "{row}");
            assert_eq!(row["period"], "FY", "{row}");
        }
    }
    let income = rows(&body, "income_statement");
    let fy2023 = income
        .iter()
        .find(|row| row["fiscal_year"] == 2023)
        .expect("FY2023");
    let expected: BTreeSet<&str> = ROW_HEAD.iter().chain(&INCOME_ITEMS).copied().collect();
    assert_eq!(keys(fy2023), expected, "exactly these fields: {fy2023}");
    assert_eq!(fy2023["date"], "2023-09-30");
    assert_eq!(fy2023["form"], "10-K");
    // Money is a JSON number, as the earlier system served it, printed digit for digit.
    assert_eq!(fy2023["revenue"], json!(383285000000u64));
    assert_eq!(fy2023["eps_diluted"], json!(6.13));
    assert_eq!(fy2023["interest_expense"], json!(3933000000u64));
    let text = app
        .get("/financials?symbol=aapl")
        .await
        .text()
        .await
        .unwrap();
    for written in [r#""revenue":383285000000,"#, r#""eps_diluted":6.13,"#] {
        assert!(text.contains(written), "{written}");
    }
    let fy2024 = income
        .iter()
        .find(|row| row["fiscal_year"] == 2024)
        .expect("FY2024");
    assert!(
        fy2024["interest_expense"].is_null(),
        "not reported stays null, never 0: {fy2024}"
    );

    // Every line item is the value GraphQL answers for the same statement.
    let graphql = graphql_rows(
        &app,
        "incomeStatements",
        "ANNUAL",
        income.len(),
        &INCOME_ITEMS,
    )
    .await;
    let same_year = graphql
        .iter()
        .position(|row| row["revenue"] == "383285000000")
        .expect("FY2023 in GraphQL");
    for item in INCOME_ITEMS {
        assert_eq!(
            decimal(&income[same_year][item]),
            decimal(&graphql[same_year][item.to_lower_camel_case()]),
            "{item}"
        );
    }
    let balance = rows(&body, "balance_sheet");
    let fy2023 = balance
        .iter()
        .find(|row| row["fiscal_year"] == 2023)
        .expect("FY2023");
    assert_eq!(fy2023["date"], "2023-09-30");
    assert_eq!(fy2023["total_assets"], json!(352583000000u64));
    assert!(fy2023["goodwill"].is_null(), "{fy2023}");
}

#[tokio::test]
async fn financials_serves_quarters_up_to_the_limit() {
    let app = apple().await;

    let (status, body) = get_json(&app, "/financials?symbol=AAPL&period=quarterly&limit=6").await;

    assert_eq!(status, 200, "{body}");
    for list in ["income_statement", "balance_sheet", "cash_flow"] {
        let rows = rows(&body, list);
        assert_eq!(rows.len(), 6, "{list}");
        assert_newest_first(rows, "date");
        for row in rows {
            let period = row["period"].as_str().unwrap();
            assert!(["Q1", "Q2", "Q3", "Q4"].contains(&period), "{row}");
        }
    }
    let (status, body) = get_json(&app, "/financials?symbol=AAPL&period=QUARTERLY&limit=1").await;
    assert_eq!(status, 200, "case-insensitive: {body}");
    assert_eq!(rows(&body, "cash_flow").len(), 1);
}

#[tokio::test]
async fn a_missing_listed_company_is_registered_and_answers_404_while_fetched() {
    let app = TestApp::builder().spawn().await;
    app.import_fixtures(&[]).await;

    for _ in 0..2 {
        let (status, body) = get_json(&app, "/financials?symbol=ibm").await;
        assert_eq!(status, 404, "{body}");
        assert_eq!(
            body["detail"], "IBM is being fetched; try again in a minute",
            "{body}"
        );
    }

    let requests = app.requests_for("IBM").await;
    assert_eq!(requests.len(), 1, "queued once: {requests:?}");
    assert_eq!(requests[0].state, RegistrationState::Queued);
    let body = app
        .graphql(r#"{ company(symbol: "IBM") { status } }"#, json!({}))
        .await;
    assert_eq!(body["data"]["company"]["status"], "PENDING", "{body}");
}

#[tokio::test]
async fn an_unlisted_symbol_answers_404_and_queues_nothing() {
    let app = TestApp::builder().spawn().await;
    app.import_fixtures(&[]).await;

    let (status, body) = get_json(&app, "/financials?symbol=ZZZZZ").await;

    assert_eq!(status, 404, "{body}");
    assert_eq!(body["detail"], "ZZZZZ is not a listed company", "{body}");
    assert!(app.requests_for("ZZZZZ").await.is_empty());
}

#[tokio::test]
async fn a_failed_company_answers_404_with_its_reason() {
    let app = TestApp::builder().spawn().await;
    diesel::sql_query(
        "INSERT INTO companies (symbol, name, status, status_reason, created_at, updated_at) \
         VALUES ('TSLA', 'Tesla, Inc.', 'FAILED', 'the provider answered 503 three times', \
         NOW(), NOW())",
    )
    .execute(&mut app.conn().await)
    .await
    .expect("a FAILED company");

    let (status, body) = get_json(&app, "/financials?symbol=TSLA").await;

    assert_eq!(status, 404, "{body}");
    assert_eq!(
        body["detail"],
        "the statements of TSLA could not be fetched: the provider answered 503 three times"
    );
}

#[tokio::test]
async fn invalid_parameters_answer_422_in_fastapis_shape() {
    let app = TestApp::builder().spawn().await;
    app.import_fixtures(&[]).await;

    let (status, body) = get_json(&app, "/financials").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body,
        json!({ "detail": [{ "loc": ["query", "symbol"], "msg": "field required", "type": "missing" }] })
    );
    for (path, parameter) in [
        ("/financials?symbol=IBM%3BDROP", "symbol"),
        ("/financials?symbol=ABCDEFGHIJK", "symbol"),
        ("/financials?symbol=IBM&period=weekly", "period"),
        ("/financials?symbol=IBM&period=ttm", "period"),
        ("/financials?symbol=IBM&limit=0", "limit"),
        ("/financials?symbol=IBM&limit=201", "limit"),
        ("/financials?symbol=IBM&limit=ten", "limit"),
    ] {
        let (status, body) = get_json(&app, path).await;
        assert_eq!(status, 422, "{path}: {body}");
        assert_eq!(
            body["detail"][0]["loc"],
            json!(["query", parameter]),
            "{path}"
        );
        assert_eq!(body["detail"][0]["type"], "value_error", "{path}");
        assert!(body["detail"][0]["msg"].is_string(), "{path}: {body}");
    }
    let (status, body) = get_json(&app, "/financials?symbol=IBM&symbol=MSFT").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["detail"][0]["loc"], json!(["query"]), "{body}");
    assert!(
        app.requests_for("IBM").await.is_empty(),
        "an invalid request registers nothing"
    );
}

#[tokio::test]
async fn symbols_pages_through_the_securities_master() {
    let app = TestApp::builder().spawn().await;
    app.import_fixtures(&[]).await;
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let total = diesel::sql_query("SELECT COUNT(*) AS n FROM listings")
        .get_result::<Count>(&mut app.conn().await)
        .await
        .unwrap()
        .n;
    assert!(total > 10_000, "{total}");

    let (status, first) = get_json(&app, "/symbols").await;
    assert_eq!(status, 200, "{first}");
    let pages = (total + 49) / 50;
    assert_eq!(first["total"], total);
    assert_eq!(first["page"], 1);
    assert_eq!(first["size"], 50);
    assert_eq!(first["pages"], pages);
    let items = rows(&first, "items");
    assert_eq!(items.len(), 50);
    assert_eq!(
        keys(&items[0]),
        BTreeSet::from(["symbol", "name", "cik", "exchange"])
    );
    let symbols: Vec<&str> = items
        .iter()
        .map(|item| item["symbol"].as_str().unwrap())
        .collect();
    assert!(
        symbols.windows(2).all(|pair| pair[0] < pair[1]),
        "by symbol"
    );

    let (_, second) = get_json(&app, "/symbols?page=2&size=10").await;
    let second_items = rows(&second, "items");
    assert_eq!(second_items.len(), 10);
    assert_eq!(
        second_items[0], items[10],
        "page 2 of 10 starts at the 11th"
    );

    let (_, last) = get_json(&app, &format!("/symbols?page={pages}")).await;
    assert_eq!(
        i64::try_from(rows(&last, "items").len()).unwrap(),
        total - (pages - 1) * 50,
        "the last page holds the rest"
    );
    let (status, beyond) = get_json(&app, &format!("/symbols?page={}", pages + 1)).await;
    assert_eq!(status, 200);
    assert!(rows(&beyond, "items").is_empty(), "{beyond}");
    assert_eq!(beyond["total"], total);

    let (_, largest) = get_json(&app, "/symbols?size=100").await;
    assert_eq!(rows(&largest, "items").len(), 100);
    for (path, parameter) in [
        ("/symbols?size=101", "size"),
        ("/symbols?size=0", "size"),
        ("/symbols?size=many", "size"),
        ("/symbols?page=0", "page"),
        ("/symbols?page=-1", "page"),
    ] {
        let (status, body) = get_json(&app, path).await;
        assert_eq!(status, 422, "{path}: {body}");
        assert_eq!(
            body["detail"][0]["loc"],
            json!(["query", parameter]),
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_api_variants_wrap_the_same_answers_in_an_envelope() {
    let app = apple().await;

    let (status, plain) = get_json(&app, "/financials?symbol=AAPL&limit=3").await;
    assert_eq!(status, 200);
    let (status, wrapped) = get_json(&app, "/api/financials/financials/aapl?limit=3").await;
    assert_eq!(status, 200, "{wrapped}");
    assert_eq!(wrapped["status"], "success");
    assert!(wrapped["message"].is_string(), "{wrapped}");
    assert_eq!(wrapped["data"], plain);
    assert_eq!(
        keys(&wrapped),
        BTreeSet::from(["status", "message", "data"])
    );

    let (_, plain) = get_json(&app, "/symbols?page=3&size=7").await;
    let (status, wrapped) = get_json(&app, "/api/symbols/symbols?page=3&size=7").await;
    assert_eq!(status, 200, "{wrapped}");
    assert_eq!(wrapped["status"], "success");
    assert_eq!(wrapped["data"], plain);

    for (path, expected) in [
        ("/api/financials/financials/ZZZZZ", 404),
        ("/api/financials/financials/MSFT", 404),
        ("/api/financials/financials/BAD!", 422),
        ("/api/financials/financials/AAPL?period=daily", 422),
        ("/api/symbols/symbols?size=0", 422),
    ] {
        let (status, body) = get_json(&app, path).await;
        assert_eq!(status, expected, "{path}: {body}");
        assert_eq!(body["status"], "error", "{path}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(body["data"].is_null(), "{path}: {body}");
        assert_eq!(keys(&body), BTreeSet::from(["status", "message", "data"]));
    }
    let (_, body) = get_json(&app, "/api/financials/financials/MSFT").await;
    assert_eq!(
        body["message"],
        "MSFT is being fetched; try again in a minute"
    );
    assert_eq!(
        app.latest_request("MSFT").await.state,
        RegistrationState::Queued
    );
}

/// With the statement cache off, only the response cache can answer without MySQL.
#[tokio::test]
async fn a_repeated_rest_request_is_served_from_the_response_cache() {
    let app = TestApp::builder()
        .with_settings(|s| s.cache.max_statements = 0)
        .spawn()
        .await;
    app.import_fixtures(&["AAPL"]).await;
    let (_, first) = get_json(&app, "/financials?symbol=AAPL&limit=5").await;
    let first_csv = app
        .get("/companies/AAPL/income.csv?last=5")
        .await
        .text()
        .await
        .unwrap();

    let before = app.db.queries_executed();
    let (status, again) = get_json(&app, "/financials?symbol=aapl&limit=5").await;
    let csv_again = app
        .get("/companies/aapl/income.csv?last=5")
        .await
        .text()
        .await
        .unwrap();
    let executed = app.db.queries_executed() - before;

    assert_eq!(status, 200);
    assert_eq!(again, first);
    assert_eq!(csv_again, first_csv);
    assert_eq!(executed, 0, "answered without SQL, from the response cache");
}

#[tokio::test]
async fn openapi_json_describes_the_rest_routes() {
    let app = TestApp::builder().without_database().spawn().await;

    let (status, doc) = get_json(&app, "/openapi.json").await;

    assert_eq!(status, 200);
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "{doc}"
    );
    let paths: BTreeSet<&str> = doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .map(String::as_str)
        .collect();
    for path in [
        "/financials",
        "/symbols",
        "/api/financials/financials/{symbol}",
        "/api/symbols/symbols",
        "/companies/{symbol}/income.csv",
        "/companies/{symbol}/balance.csv",
        "/companies/{symbol}/cash-flow.csv",
    ] {
        assert!(paths.contains(path), "{path} in {paths:?}");
        assert!(
            doc["paths"][path]["get"]["responses"]["200"].is_object(),
            "{path}"
        );
    }
    let schemas = &doc["components"]["schemas"];
    let income = serde_json::to_string(&schemas["FinancialRow_IncomeItems"]).unwrap();
    for item in INCOME_ITEMS {
        assert!(income.contains(&format!("\"{item}\"")), "{item} documented");
    }
    let items = &schemas["FinancialRow_IncomeItems"]["allOf"][1]["properties"];
    assert_eq!(
        items["revenue"],
        json!({ "type": ["number", "null"], "format": "decimal" }),
        "money is documented as an exact number: {items}"
    );
    assert_eq!(
        schemas["SymbolPage"]["required"],
        json!(["items", "total", "page", "size", "pages"])
    );
}

#[tokio::test]
async fn csv_exports_each_statement_kind_as_graphql_answers_it() {
    let app = apple().await;

    for (kind, field, period, graphql_period, fiscal_periods) in [
        (
            "income",
            "incomeStatements",
            "annual",
            "ANNUAL",
            &["FY"][..],
        ),
        (
            "balance",
            "balanceSheets",
            "quarterly",
            "QUARTERLY",
            &["Q1", "Q2", "Q3", "Q4"][..],
        ),
        (
            "cash-flow",
            "cashFlowStatements",
            "ttm",
            "TTM",
            &["TTM"][..],
        ),
        ("income", "incomeStatements", "ttm", "TTM", &["TTM"][..]),
    ] {
        let path = format!("/companies/aapl/{kind}.csv?period={period}&last=5");
        let response = app.get(&path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            header(&response, "content-type").as_deref(),
            Some("text/csv; charset=utf-8")
        );
        assert_eq!(
            header(&response, "content-disposition"),
            Some(format!("attachment; filename=\"AAPL-{kind}-{period}.csv\""))
        );
        let text = response.text().await.unwrap();
        assert!(text.ends_with("\r\n"), "RFC 4180 line ends");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(header[..7], CSV_HEAD, "{path}");
        let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(records.len(), 5, "{path}");

        let columns: Vec<&str> = header.iter().map(String::as_str).collect();
        let graphql = graphql_rows(&app, field, graphql_period, 5, &columns).await;
        for (record, answer) in records.iter().zip(&graphql) {
            assert!(fiscal_periods.contains(&&record[1]), "{path}: {record:?}");
            for (column, cell) in columns.iter().zip(record.iter()) {
                let expected = as_cell(&answer[column.to_lower_camel_case()]);
                assert_eq!(cell, expected, "{path}: {column}");
            }
        }
        let period_ends: Vec<&str> = records.iter().map(|record| &record[3]).collect();
        assert!(
            period_ends.windows(2).all(|pair| pair[0] > pair[1]),
            "newest first: {period_ends:?}"
        );
    }
}

#[tokio::test]
async fn the_income_csv_prints_exact_decimals_and_leaves_null_empty() {
    let app = apple().await;

    let response = app.get("/companies/AAPL/income.csv").await;

    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "content-disposition").as_deref(),
        Some("attachment; filename=\"AAPL-income-annual.csv\"")
    );
    let text = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let expected: Vec<&str> = CSV_HEAD.iter().chain(&INCOME_ITEMS).copied().collect();
    assert_eq!(header.iter().collect::<Vec<_>>(), expected);
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(
        records.len() > 10 && records.len() <= 20,
        "{}",
        records.len()
    );
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let fy2023 = records
        .iter()
        .find(|record| &record[0] == "2023")
        .expect("FY2023");
    assert_eq!(&fy2023[1], "FY");
    assert_eq!(&fy2023[2], "2022-09-25");
    assert_eq!(&fy2023[3], "2023-09-30");
    assert_eq!(&fy2023[column("revenue")], "383285000000");
    assert_eq!(&fy2023[column("eps_diluted")], "6.13");
    assert_eq!(&fy2023[column("interest_expense")], "3933000000");
    let fy2024 = records
        .iter()
        .find(|record| &record[0] == "2024")
        .expect("FY2024");
    assert_eq!(
        &fy2024[column("interest_expense")],
        "",
        "null is an empty cell"
    );
}

#[tokio::test]
async fn csv_errors_answer_json_details() {
    let app = apple().await;

    for (path, expected) in [
        ("/companies/ZZZZZ/income.csv", 404),
        ("/companies/MSFT/cash-flow.csv", 404),
        ("/companies/AAPL/income.csv?last=0", 422),
        ("/companies/AAPL/income.csv?last=201", 422),
        ("/companies/AAPL/balance.csv?period=monthly", 422),
        ("/companies/AA%21PL/balance.csv", 422),
    ] {
        let (status, body) = get_json(&app, path).await;
        assert_eq!(status, expected, "{path}: {body}");
        assert!(body.get("detail").is_some(), "{path}: {body}");
    }
    assert_eq!(app.get("/companies/AAPL/statement.csv").await.status(), 404);
}

#[tokio::test]
async fn graphql_error_codes_become_http_statuses() {
    let down = TestApp::builder().without_database().spawn().await;
    for path in [
        "/financials?symbol=AAPL",
        "/symbols",
        "/companies/AAPL/income.csv",
    ] {
        let (status, body) = get_json(&down, path).await;
        assert_eq!(status, 503, "{path}: {body}");
        assert_eq!(
            body["detail"], "the database is unavailable; try again shortly",
            "{path}"
        );
    }
    let (status, body) = get_json(&down, "/api/symbols/symbols").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "error");

    let limited = TestApp::builder().registrations_per_minute(1).spawn().await;
    limited.import_fixtures(&[]).await;
    let (status, _) = get_json(&limited, "/financials?symbol=IBM").await;
    assert_eq!(status, 404);
    let (status, body) = get_json(&limited, "/financials?symbol=MSFT").await;
    assert_eq!(status, 429, "{body}");
    assert!(limited.requests_for("MSFT").await.is_empty());
}

#[tokio::test]
async fn a_rest_request_past_its_time_limit_answers_504() {
    let app = TestApp::builder()
        .with_settings(|s| {
            s.http.request_timeout_secs = 1;
            s.database.statement_timeout_ms = 60_000;
        })
        .spawn()
        .await;
    app.import_fixtures(&["AAPL"]).await;
    let _lock = write_lock(&app.database_url, "companies").await;

    let (status, body) = get_json(&app, "/financials?symbol=AAPL").await;

    assert_eq!(status, 504, "{body}");
    assert_eq!(
        body["detail"],
        "the request took too long and was stopped; try again, or ask for less"
    );
}

/// REST requests run GraphQL, so they take the same slots as `/graphql`: with one slot held by
/// a stalled GraphQL request, they are refused at once, each in its route's shape.
#[tokio::test]
async fn rest_requests_share_graphqls_concurrency_limit() {
    let app = TestApp::builder()
        .with_settings(|s| {
            s.http.max_concurrent_requests = 1;
            s.database.statement_timeout_ms = 60_000;
        })
        .spawn()
        .await;
    app.import_fixtures(&["AAPL"]).await;
    let lock = write_lock(&app.database_url, "companies").await;

    let stalled = app.post_graphql(r#"{ company(symbol: "AAPL") { status } }"#, json!({}));
    let refused = async {
        // The GraphQL request must hold the only slot before these arrive.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let plain = get_json(&app, "/financials?symbol=AAPL").await;
        let wrapped = get_json(&app, "/api/symbols/symbols").await;
        let csv = get_json(&app, "/companies/AAPL/income.csv").await;
        drop(lock);
        (plain, wrapped, csv)
    };
    let ((stalled_status, _), ((plain_status, plain), (wrapped_status, wrapped), (csv_status, _))) =
        tokio::join!(stalled, refused);

    assert_eq!(plain_status, 503, "{plain}");
    assert_eq!(
        plain["detail"],
        "the server is at capacity; try again shortly"
    );
    assert_eq!(wrapped_status, 503, "{wrapped}");
    assert_eq!(wrapped["status"], "error");
    assert_eq!(csv_status, 503);
    assert_eq!(stalled_status, 200);
    let (status, _) = get_json(&app, "/financials?symbol=AAPL").await;
    assert_eq!(status, 200, "the slot is free again");
}

#[tokio::test]
async fn ready_answers_carry_an_etag_and_are_a_304_when_held_and_others_are_never_kept() {
    let app = TestApp::builder().spawn().await;
    app.import_fixtures(&["AAPL"]).await;
    for path in [
        "/financials?symbol=AAPL&limit=2",
        "/api/financials/financials/AAPL?limit=2",
        "/companies/AAPL/balance.csv?last=2",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            header(&response, "cache-control").as_deref(),
            Some("public, max-age=60"),
            "{path}"
        );
        let etag = header(&response, "etag").expect("an ETag");
        let again = app
            .client
            .get(format!("{}{path}", app.address))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(header(&again, "etag").as_deref(), Some(etag.as_str()));
    }
    // The JSON and the CSV of one company are told apart.
    let json_tag = header(&app.get("/financials?symbol=AAPL").await, "etag");
    let csv_tag = header(&app.get("/companies/AAPL/income.csv").await, "etag");
    assert_ne!(json_tag, csv_tag);

    // IBM is listed but not stored: registered, and its 404 must not be kept by any cache.
    for path in [
        "/financials?symbol=IBM",
        "/companies/IBM/income.csv",
        "/financials?symbol=not!",
    ] {
        let response = app.get(path).await;
        assert_ne!(response.status(), 200, "{path}");
        assert_eq!(
            header(&response, "cache-control").as_deref(),
            Some("no-store"),
            "{path}"
        );
        assert!(header(&response, "etag").is_none(), "{path}");
    }
}
