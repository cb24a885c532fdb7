//! From FMP's answers to the service's statements: one statement per fiscal year or quarter,
//! with the provenance and `derived` flag the `sec` provider would give it, the first days
//! FMP leaves out, and the company's profile. Pure: no I/O, no clock.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Days, NaiveDate};
use rust_decimal::prelude::ToPrimitive;

use super::describe;
use super::fields::{BALANCE_SHEET, CASH_FLOW, Field, Frequency, INCOME_STATEMENT, Kind};
use super::wire::{Profile, Row, currency_code, date, rows, ten_digit_cik};
use crate::domain::{CompanyInfo, NormalizedCompany};
use crate::domain::{FiscalPeriod, Money, ShareCount, Statement, StatementPeriod, Symbol};
use crate::ingestion::fiscal::Span;
use crate::ingestion::line_items::Slot;
use crate::ingestion::providers::ProviderError;

/// The statement answers, each as `[annual, quarter]`.
pub(super) struct Documents<'a> {
    pub(super) income: [&'a str; 2],
    pub(super) balance: [&'a str; 2],
    pub(super) cash_flow: [&'a str; 2],
}

/// From FMP's answers to the service's statements. Pure: no I/O, no clock.
pub(super) fn normalize_answers(
    symbol: &Symbol,
    profile: &Profile,
    documents: &Documents<'_>,
) -> Result<NormalizedCompany, ProviderError> {
    let income_rows = answers(Kind::Income, &documents.income)?;
    let balance_rows = answers(Kind::BalanceSheet, &documents.balance)?;
    let cash_flow_rows = answers(Kind::CashFlow, &documents.cash_flow)?;

    let currency = profile.currency.as_deref();
    let income = statements(Kind::Income, &income_rows, INCOME_STATEMENT, currency)?;
    let balance = statements(Kind::BalanceSheet, &balance_rows, BALANCE_SHEET, currency)?;
    let mut cash_flow = statements(Kind::CashFlow, &cash_flow_rows, CASH_FLOW, currency)?;
    for statement in &mut cash_flow {
        // Computed as the `sec` provider does; FMP's own `freeCashFlow` is the same figure.
        statement.items.compute_free_cash_flow();
    }
    if income.is_empty() && balance.is_empty() && cash_flow.is_empty() {
        return Err(ProviderError::NotFound(format!(
            "FMP has no financial statements for {symbol}"
        )));
    }

    let latest_year = (income.iter().map(|s| &s.period))
        .chain(balance.iter().map(|s| &s.period))
        .chain(cash_flow.iter().map(|s| &s.period))
        .filter(|period| period.fiscal_period == FiscalPeriod::Fy)
        .max_by_key(|period| period.period_end)
        .ok_or_else(|| {
            ProviderError::Invalid(format!(
                "FMP has no annual statements for {symbol}, so its fiscal year end is unknown"
            ))
        })?;
    let cik = profile
        .cik
        .clone()
        .or_else(|| {
            (income_rows
                .iter()
                .chain(&balance_rows)
                .chain(&cash_flow_rows))
            .flatten()
            .find_map(|row| row.text(&["cik"]).as_deref().and_then(ten_digit_cik))
        })
        .ok_or_else(|| ProviderError::Invalid(format!("FMP has no SEC CIK for {symbol}")))?;
    let info = CompanyInfo {
        cik,
        name: profile.name.clone(),
        currency: latest_year.currency.clone(),
        fiscal_year_end: format!(
            "{:02}{:02}",
            latest_year.period_end.month(),
            latest_year.period_end.day()
        ),
        exchange: profile.exchange.clone(),
        sic_code: None,
        sic_description: None,
    };
    Ok(NormalizedCompany {
        info,
        income,
        balance,
        cash_flow,
    })
}

/// The rows of a statement's annual and quarterly answers.
fn answers<'a>(kind: Kind, jsons: &[&'a str; 2]) -> Result<[Vec<Row<'a>>; 2], ProviderError> {
    let [annual, quarterly] = Frequency::BOTH;
    Ok([
        rows(jsons[0], &describe(kind.endpoint(), Some(annual)))?,
        rows(jsons[1], &describe(kind.endpoint(), Some(quarterly)))?,
    ])
}

/// One statement per fiscal period, oldest first. Where FMP lists a period twice the latest
/// filing wins (the tables hold one row per period); rows for other periods (e.g. half years)
/// are left out, since the tables hold fiscal years and quarters only.
fn statements<Items: Default>(
    kind: Kind,
    answers: &[Vec<Row<'_>>; 2],
    fields: &[Field<Items>],
    currency: Option<&str>,
) -> Result<Vec<Statement<Items>>, ProviderError> {
    let mut by_period: BTreeMap<(i32, FiscalPeriod), Statement<Items>> = BTreeMap::new();
    for (frequency, rows) in Frequency::BOTH.into_iter().zip(answers) {
        for row in rows {
            let statement = statement(kind, row, fields, currency).map_err(|reason| {
                let what = describe(kind.endpoint(), Some(frequency));
                ProviderError::Invalid(format!("{what}: {reason}"))
            })?;
            let Some(statement) = statement else { continue };
            let key = (statement.period.fiscal_year, statement.period.fiscal_period);
            match by_period.entry(key) {
                Entry::Vacant(entry) => {
                    entry.insert(statement);
                }
                Entry::Occupied(mut entry) if newer(&statement.period, &entry.get().period) => {
                    entry.insert(statement);
                }
                Entry::Occupied(_) => {}
            }
        }
    }
    if kind.spans_a_period() {
        fill_period_starts(&mut by_period);
    }
    Ok(by_period.into_values().collect())
}

fn newer(candidate: &StatementPeriod, current: &StatementPeriod) -> bool {
    (candidate.filed_at, &candidate.accession_number)
        > (current.filed_at, &current.accession_number)
}

/// One row as a statement, or `None` when its period is neither a fiscal year nor a quarter.
fn statement<Items: Default>(
    kind: Kind,
    row: &Row<'_>,
    fields: &[Field<Items>],
    currency: Option<&str>,
) -> Result<Option<Statement<Items>>, String> {
    let Some(period) = period_of(kind, row, currency)? else {
        return Ok(None);
    };
    let items = items(row, fields).map_err(|reason| {
        format!(
            "{} {} (ending {}): {reason}",
            <&str>::from(period.fiscal_period),
            period.fiscal_year,
            period.period_end
        )
    })?;
    Ok(Some(Statement { period, items }))
}

/// EDGAR's filings start in the 1990s; anything far outside is a corrupt row, and keeping
/// years in range keeps the arithmetic on them (the preceding year) from overflowing.
const PLAUSIBLE_FISCAL_YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

fn period_of(
    kind: Kind,
    row: &Row<'_>,
    company_currency: Option<&str>,
) -> Result<Option<StatementPeriod>, String> {
    // A fiscal year or quarter; FMP's own TTM rows are skipped (TTM is computed at read).
    let Some(fiscal_period) = row
        .text(&["period"])
        .and_then(|p| p.parse().ok())
        .filter(|period| *period != FiscalPeriod::Ttm)
    else {
        return Ok(None);
    };
    let period_end = row
        .text(&["date"])
        .as_deref()
        .and_then(date)
        .ok_or("a row has no period end (`date`)")?;
    let unusable = |what: &str| format!("the row ending {period_end} has no {what}");
    let fiscal_year = row
        .text(&["fiscalYear", "calendarYear"])
        .and_then(|year| year.trim().parse::<i32>().ok())
        .filter(|year| PLAUSIBLE_FISCAL_YEARS.contains(year))
        .ok_or_else(|| unusable("plausible fiscal year"))?;
    let accepted = row.text(&["acceptedDate"]);
    let filed_at = row
        .text(&["filingDate", "fillingDate"])
        .or_else(|| accepted.clone())
        .as_deref()
        .and_then(date)
        .ok_or_else(|| unusable("filing date"))?;
    let currency = row
        .text(&["reportedCurrency"])
        .as_deref()
        .and_then(currency_code)
        .or_else(|| company_currency.map(str::to_owned))
        .ok_or_else(|| unusable("currency"))?;
    Ok(Some(StatementPeriod {
        fiscal_year,
        fiscal_period,
        period_start: None,
        period_end,
        form: form_of(fiscal_period).to_owned(),
        filed_at,
        accession_number: accession_number(row, accepted.as_deref(), filed_at),
        currency,
        derived: kind.derived(fiscal_period),
        derived_items: String::new(),
    }))
}

/// FMP takes a fiscal year and its fourth quarter from the annual report, the other quarters
/// from quarterly reports; it does not say which form (or amendment) it read.
fn form_of(period: FiscalPeriod) -> &'static str {
    match period {
        FiscalPeriod::Fy | FiscalPeriod::Q4 | FiscalPeriod::Ttm => "10-K",
        FiscalPeriod::Q1 | FiscalPeriod::Q2 | FiscalPeriod::Q3 => "10-Q",
    }
}

/// The SEC accession number when the row links to the filing (v3 answers: the folder
/// `…/edgar/data/320193/000032019322000108/…`); otherwise `fmp:` and the EDGAR acceptance time
/// (or, lacking it, the filing date), at most 18 characters of the 25 the column holds.
fn accession_number(row: &Row<'_>, accepted: Option<&str>, filed_at: NaiveDate) -> String {
    let from_link = ["link", "finalLink"]
        .into_iter()
        .filter_map(|key| row.text(&[key]))
        .find_map(|link| {
            link.split('/')
                .find(|part| part.len() == 18 && part.bytes().all(|b| b.is_ascii_digit()))
                .map(|folder| format!("{}-{}-{}", &folder[..10], &folder[10..12], &folder[12..]))
        });
    from_link.unwrap_or_else(|| {
        let accepted: String = accepted
            .unwrap_or_default()
            .chars()
            .filter(char::is_ascii_digit)
            .take(14)
            .collect();
        if accepted.len() == 14 {
            format!("fmp:{accepted}")
        } else {
            format!("fmp:{}", filed_at.format("%Y%m%d"))
        }
    })
}

fn items<Items: Default>(row: &Row<'_>, fields: &[Field<Items>]) -> Result<Items, String> {
    let mut items = Items::default();
    for field in fields {
        let Some(value) = row.decimal(field.keys)? else {
            continue;
        };
        match (field.slot)(&mut items) {
            Slot::Money(target) => *target = Some(Money(field.reading.apply(value))),
            Slot::Shares(target) => {
                let shares = value.round().to_i64().map(ShareCount);
                *target = Some(shares.ok_or_else(|| format!("{value} shares is out of range"))?);
            }
        }
    }
    Ok(items)
}

/// First days of duration statements, which FMP does not give: the day after the preceding
/// period ends, when FMP listed that period too and the result spans a plausible quarter or
/// year (52/53-week years included).
fn fill_period_starts<Items>(by_period: &mut BTreeMap<(i32, FiscalPeriod), Statement<Items>>) {
    let ends: HashMap<(i32, FiscalPeriod), NaiveDate> = by_period
        .iter()
        .map(|(&key, statement)| (key, statement.period.period_end))
        .collect();
    for (&(year, period), statement) in by_period.iter_mut() {
        let span = if period == FiscalPeriod::Fy {
            Span::Year
        } else {
            Span::Quarter
        };
        let end = statement.period.period_end;
        statement.period.period_start = preceding(year, period)
            .iter()
            .find_map(|key| ends.get(key))
            .and_then(|previous_end| previous_end.checked_add_days(Days::new(1)))
            .filter(|&start| Span::of(start, end) == Some(span));
    }
}

/// The periods that end the day before `period` of fiscal `year` begins.
fn preceding(year: i32, period: FiscalPeriod) -> [(i32, FiscalPeriod); 2] {
    use FiscalPeriod::{Fy, Q1, Q2, Q3, Q4};
    match period {
        Fy | Q1 | FiscalPeriod::Ttm => [(year - 1, Fy), (year - 1, Q4)],
        Q2 => [(year, Q1); 2],
        Q3 => [(year, Q2); 2],
        Q4 => [(year, Q3); 2],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{IncomeStatementItems, money};
    use crate::ingestion::providers::fmp::fixtures::{
        BALANCE, CASH_FLOW, INCOME, PROFILE, REFUSAL, V3_BALANCE_QUARTERS, V3_CASH_FLOW_QUARTERS,
        V3_INCOME, aapl,
    };
    use crate::ingestion::providers::fmp::wire::parse_profile;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    /// The stable fixtures: fiscal 2024, annual only.
    fn stable(
        income: &str,
        balance: &str,
        cash_flow: &str,
    ) -> Result<NormalizedCompany, ProviderError> {
        let profile = parse_profile(&aapl(), PROFILE)?;
        let documents = Documents {
            income: [income, "[]"],
            balance: [balance, "[]"],
            cash_flow: [cash_flow, "[]"],
        };
        normalize_answers(&aapl(), &profile, &documents)
    }

    /// The v3 fixtures: five fiscal years of income, five quarters of balances and cash flows.
    fn legacy() -> NormalizedCompany {
        let profile = parse_profile(&aapl(), PROFILE).unwrap();
        let documents = Documents {
            income: [V3_INCOME, "[]"],
            balance: ["[]", V3_BALANCE_QUARTERS],
            cash_flow: ["[]", V3_CASH_FLOW_QUARTERS],
        };
        normalize_answers(&aapl(), &profile, &documents).unwrap()
    }

    fn find<Items>(
        statements: &[Statement<Items>],
        year: i32,
        period: FiscalPeriod,
    ) -> &Statement<Items> {
        statements
            .iter()
            .find(|s| s.period.fiscal_year == year && s.period.fiscal_period == period)
            .unwrap_or_else(|| panic!("no {period:?} {year}"))
    }

    #[test]
    fn maps_a_stable_annual_report_exactly() {
        let company = stable(INCOME, BALANCE, CASH_FLOW).unwrap();
        assert_eq!(
            company.info,
            CompanyInfo {
                cik: "0000320193".into(),
                name: "Apple Inc.".into(),
                currency: "USD".into(),
                fiscal_year_end: "0928".into(),
                exchange: Some("NASDAQ".into()),
                sic_code: None,
                sic_description: None,
            }
        );
        let [income] = company.income.as_slice() else {
            panic!("{:?}", company.income)
        };
        assert_eq!(
            income.period,
            StatementPeriod {
                fiscal_year: 2024,
                fiscal_period: FiscalPeriod::Fy,
                period_start: None,
                period_end: day("2024-09-28"),
                form: "10-K".into(),
                filed_at: day("2024-11-01"),
                accession_number: "fmp:20241101060136".into(),
                currency: "USD".into(),
                derived: false,
                derived_items: String::new(),
            }
        );
        assert_eq!(
            income.items,
            IncomeStatementItems {
                revenue: money("391035000000"),
                cost_of_revenue: money("210352000000"),
                gross_profit: money("180683000000"),
                research_and_development: money("31370000000"),
                selling_general_and_administrative: money("26097000000"),
                operating_expenses: money("57467000000"),
                operating_income: money("123216000000"),
                interest_expense: money("0"),
                income_before_tax: money("123485000000"),
                income_tax_expense: money("29749000000"),
                net_income: money("93736000000"),
                eps_basic: money("6.11"),
                eps_diluted: money("6.08"),
                weighted_average_shares_basic: Some(ShareCount(15_343_783_000)),
                weighted_average_shares_diluted: Some(ShareCount(15_408_095_000)),
                ..IncomeStatementItems::default()
            }
        );

        let [balance] = company.balance.as_slice() else {
            panic!("{:?}", company.balance)
        };
        assert_eq!(balance.period.period_end, day("2024-09-28"));
        let items = &balance.items;
        assert_eq!(items.total_assets, money("364980000000"));
        assert_eq!(items.total_liabilities_and_equity, items.total_assets);
        assert_eq!(items.total_liabilities, money("308030000000"));
        assert_eq!(items.total_equity, money("56950000000"));
        assert_eq!(
            items.accounts_receivable,
            money("33410000000"),
            "trade receivables, not netReceivables"
        );
        assert_eq!(items.retained_earnings, money("-19154000000"));
        assert_eq!(items.goodwill, money("0"), "FMP's zero stays zero");

        let [cash_flow] = company.cash_flow.as_slice() else {
            panic!("{:?}", company.cash_flow)
        };
        let items = &cash_flow.items;
        assert_eq!(items.operating_cash_flow, money("118254000000"));
        assert_eq!(
            items.capital_expenditure,
            money("9447000000"),
            "paid out, stored positive"
        );
        assert_eq!(items.dividends_paid, money("15234000000"));
        assert_eq!(items.share_repurchases, money("94949000000"));
        assert_eq!(
            items.investing_cash_flow,
            money("2935000000"),
            "net flows keep their sign"
        );
        assert_eq!(items.financing_cash_flow, money("-121983000000"));
        assert_eq!(items.net_change_in_cash, money("-794000000"));
        assert_eq!(items.stock_based_compensation, money("11688000000"));
        assert_eq!(
            items.free_cash_flow,
            money("108807000000"),
            "FMP's own freeCashFlow"
        );
        assert!(!cash_flow.period.derived);
    }

    /// The same fiscal year through both providers: the sign conventions agree.
    #[test]
    fn means_what_the_sec_provider_means() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/sec/CIK0000320193.json"
        );
        let sec = crate::ingestion::normalize::normalize(&std::fs::read_to_string(path).unwrap())
            .unwrap();
        let fmp = stable(INCOME, BALANCE, CASH_FLOW).unwrap();

        let (sec_income, fmp_income) = (
            &find(&sec.income, 2024, FiscalPeriod::Fy).items,
            &fmp.income[0].items,
        );
        assert_eq!(sec_income.revenue, fmp_income.revenue);
        assert_eq!(sec_income.net_income, fmp_income.net_income);
        assert_eq!(sec_income.eps_diluted, fmp_income.eps_diluted);
        assert_eq!(
            sec_income.weighted_average_shares_diluted,
            fmp_income.weighted_average_shares_diluted
        );

        let (sec_balance, fmp_balance) = (
            &find(&sec.balance, 2024, FiscalPeriod::Fy).items,
            &fmp.balance[0].items,
        );
        assert_eq!(sec_balance.total_assets, fmp_balance.total_assets);
        assert_eq!(
            sec_balance.accounts_receivable,
            fmp_balance.accounts_receivable
        );
        assert_eq!(sec_balance.total_equity, fmp_balance.total_equity);

        let sec_period = &find(&sec.cash_flow, 2024, FiscalPeriod::Fy).period;
        let (sec_cash, fmp_cash) = (
            &find(&sec.cash_flow, 2024, FiscalPeriod::Fy).items,
            &fmp.cash_flow[0].items,
        );
        assert_eq!(sec_cash.operating_cash_flow, fmp_cash.operating_cash_flow);
        assert_eq!(sec_cash.capital_expenditure, fmp_cash.capital_expenditure);
        assert_eq!(sec_cash.dividends_paid, fmp_cash.dividends_paid);
        assert_eq!(sec_cash.share_repurchases, fmp_cash.share_repurchases);
        assert_eq!(sec_cash.investing_cash_flow, fmp_cash.investing_cash_flow);
        assert_eq!(sec_cash.financing_cash_flow, fmp_cash.financing_cash_flow);
        assert_eq!(sec_cash.free_cash_flow, fmp_cash.free_cash_flow);
        assert_eq!(sec_period.period_end, fmp.cash_flow[0].period.period_end);
        assert_eq!(sec_period.form, fmp.cash_flow[0].period.form);
    }

    #[test]
    fn reads_legacy_v3_spellings_and_sec_links() {
        let company = legacy();
        assert_eq!(company.info.fiscal_year_end, "0924");
        let fy2022 = find(&company.income, 2022, FiscalPeriod::Fy);
        assert_eq!(fy2022.period.accession_number, "0000320193-22-000108");
        assert_eq!(fy2022.period.filed_at, day("2022-10-28"));
        assert_eq!(fy2022.items.revenue, money("394328000000"));
        assert_eq!(fy2022.items.eps_basic, money("6.15"));
        assert_eq!(fy2022.items.eps_diluted, money("6.11"), "from `epsdiluted`");
        assert_eq!(fy2022.items.interest_expense, money("2931000000"));
        assert_eq!(
            find(&company.income, 2018, FiscalPeriod::Fy)
                .items
                .eps_basic,
            money("3")
        );

        let q3 = find(&company.cash_flow, 2023, FiscalPeriod::Q3);
        assert_eq!(q3.period.accession_number, "0000320193-23-000077");
        assert_eq!(
            q3.items.investing_cash_flow,
            money("437000000"),
            "netCashUsedForInvestingActivites"
        );
        assert_eq!(q3.items.financing_cash_flow, money("-24048000000"));
        assert_eq!(q3.items.capital_expenditure, money("2093000000"));
        assert_eq!(
            q3.items.dividends_paid,
            money("3849000000"),
            "from `dividendsPaid`"
        );
        assert_eq!(q3.items.share_repurchases, money("19863000000"));
        assert_eq!(q3.items.operating_cash_flow, money("26380000000"));
        assert_eq!(
            q3.items.free_cash_flow,
            money("24287000000"),
            "FMP's own freeCashFlow"
        );

        let q4 = find(&company.balance, 2022, FiscalPeriod::Q4);
        assert_eq!(q4.items.total_assets, money("352755000000"));
        assert_eq!(q4.items.total_liabilities_and_equity, q4.items.total_assets);
        assert_eq!(
            q4.items.accounts_receivable,
            money("60932000000"),
            "netReceivables"
        );
    }

    #[test]
    fn quarters_carry_the_provenance_the_sec_provider_gives_them() {
        let company = legacy();
        let summary = |period: &StatementPeriod| {
            (
                period.fiscal_year,
                period.fiscal_period,
                period.form.clone(),
                period.derived,
                period.period_start,
            )
        };
        use FiscalPeriod::{Fy, Q1, Q2, Q3, Q4};
        let cash_flow: Vec<_> = company
            .cash_flow
            .iter()
            .map(|s| summary(&s.period))
            .collect();
        assert_eq!(
            cash_flow,
            [
                (2022, Q3, "10-Q".into(), true, None),
                (2022, Q4, "10-K".into(), true, Some(day("2022-06-26"))),
                (2023, Q1, "10-Q".into(), false, Some(day("2022-09-25"))),
                (2023, Q2, "10-Q".into(), true, Some(day("2023-01-01"))),
                (2023, Q3, "10-Q".into(), true, Some(day("2023-04-02"))),
            ]
        );
        assert!(
            company
                .balance
                .iter()
                .all(|s| !s.period.derived && s.period.period_start.is_none())
        );
        assert_eq!(find(&company.balance, 2022, Q4).period.form, "10-K");
        let income: Vec<_> = company.income.iter().map(|s| summary(&s.period)).collect();
        assert_eq!(income[0], (2018, Fy, "10-K".into(), false, None));
        assert_eq!(
            income[4],
            (2022, Fy, "10-K".into(), false, Some(day("2021-09-26")))
        );
    }

    #[test]
    fn null_or_missing_is_none_never_zero() {
        let income = INCOME
            .replace(r#""epsDiluted": 6.08,"#, r#""epsDiluted": null,"#)
            .replace(r#""revenue": 391035000000,"#, "");
        let company = stable(&income, BALANCE, CASH_FLOW).unwrap();
        let items = &company.income[0].items;
        assert_eq!(items.eps_diluted, None);
        assert_eq!(items.revenue, None);
        assert_eq!(items.eps_basic, money("6.11"));
    }

    #[test]
    fn the_latest_filing_wins_a_duplicated_period() {
        // The same v3 quarters twice, one copy as if re-filed later (a test input, not FMP's).
        let refiled = V3_CASH_FLOW_QUARTERS.replace(
            r#""fillingDate": "2023-08-04""#,
            r#""fillingDate": "2023-09-01""#,
        );
        let profile = parse_profile(&aapl(), PROFILE).unwrap();
        let documents = Documents {
            income: [V3_INCOME, "[]"],
            balance: ["[]", "[]"],
            cash_flow: [V3_CASH_FLOW_QUARTERS, &refiled],
        };
        let company = normalize_answers(&aapl(), &profile, &documents).unwrap();
        assert_eq!(company.cash_flow.len(), 5);
        assert_eq!(
            find(&company.cash_flow, 2023, FiscalPeriod::Q3)
                .period
                .filed_at,
            day("2023-09-01")
        );
    }

    #[test]
    fn unknown_symbols_are_not_found() {
        let error = parse_profile(&aapl(), "[]").unwrap_err();
        assert!(
            matches!(error, ProviderError::NotFound(ref r) if r == "FMP does not know AAPL"),
            "{error:?}"
        );
        let error = stable("[]", "[]", "[]").unwrap_err();
        assert!(matches!(error, ProviderError::NotFound(_)), "{error:?}");
    }

    #[test]
    fn refusals_are_transient_and_garbage_is_invalid() {
        let error = parse_profile(&aapl(), REFUSAL).unwrap_err();
        assert!(
            matches!(&error, ProviderError::Transient { reason, .. } if reason.starts_with("FMP profile: FMP refused: Invalid API KEY")),
            "{error:?}"
        );
        let error = stable(INCOME, REFUSAL, CASH_FLOW).unwrap_err();
        assert!(
            matches!(&error, ProviderError::Transient { reason, .. } if reason.starts_with("FMP balance-sheet-statement (annual): FMP refused")),
            "{error:?}"
        );
        for garbage in [
            "<html>Bad gateway</html>",
            "",
            r#"{"symbol": "AAPL"}"#,
            "[1, 2]",
        ] {
            let error = stable(garbage, BALANCE, CASH_FLOW).unwrap_err();
            assert!(
                matches!(&error, ProviderError::Invalid(r) if r.starts_with("FMP income-statement (annual): not a list of rows")),
                "{garbage:?}: {error:?}"
            );
        }
        let text_figure = INCOME.replace("391035000000,", r#""391035000000","#);
        let error = stable(&text_figure, BALANCE, CASH_FLOW).unwrap_err();
        assert!(
            matches!(&error, ProviderError::Invalid(r) if r.contains("FY 2024 (ending 2024-09-28): `revenue` is not a number")),
            "{error:?}"
        );
        let corrupt_year =
            INCOME.replace(r#""fiscalYear": "2024""#, r#""fiscalYear": "-2147483648""#);
        assert_ne!(corrupt_year, INCOME);
        let error = stable(&corrupt_year, BALANCE, CASH_FLOW).unwrap_err();
        assert!(
            matches!(&error, ProviderError::Invalid(r) if r.contains("has no plausible fiscal year")),
            "{error:?}"
        );
        let error = stable(&INCOME.replace(r#""FY""#, r#""H1""#), "[]", "[]").unwrap_err();
        assert!(
            matches!(error, ProviderError::NotFound(_)),
            "other periods are left out: {error:?}"
        );
    }
}
