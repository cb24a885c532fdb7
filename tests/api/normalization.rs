//! Normalization of the real SEC companyfacts fixtures: figures printed in the filings, and
//! invariants over every company and period.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use finstage::domain::NormalizedCompany;
use finstage::domain::{FiscalPeriod, Money, Statement};
use finstage::ingestion::normalize::normalize;
use rust_decimal::Decimal;
use serde_json::Value;

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sec");
const COMPANIES: [&str; 3] = ["CIK0000320193", "CIK0001640147", "CIK0001835632"];

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}/{name}.json")).expect("fixture")
}

fn normalized(name: &str) -> NormalizedCompany {
    normalize(&read(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn find<I>(statements: &[Statement<I>], year: i32, period: FiscalPeriod) -> &I {
    &statements
        .iter()
        .find(|s| s.period.fiscal_year == year && s.period.fiscal_period == period)
        .unwrap_or_else(|| panic!("no {period:?} {year}"))
        .items
}

fn money(text: &str) -> Option<Money> {
    Some(Money(text.parse().expect("decimal")))
}

#[test]
fn apple_fiscal_2023_matches_its_10k() {
    let apple = normalized("CIK0000320193");

    assert_eq!(apple.info.name, "Apple Inc.");
    assert_eq!(apple.info.cik, "0000320193");
    let income = find(&apple.income, 2023, FiscalPeriod::Fy);
    assert_eq!(income.revenue, money("383285000000"));
    assert_eq!(income.net_income, money("96995000000"));
    assert_eq!(income.eps_diluted, money("6.13"));
    let balance = find(&apple.balance, 2023, FiscalPeriod::Fy);
    assert_eq!(balance.total_assets, money("352583000000"));
    let cash_flow = find(&apple.cash_flow, 2023, FiscalPeriod::Fy);
    assert_eq!(cash_flow.operating_cash_flow, money("110543000000"));
    let fy2023 = apple
        .income
        .iter()
        .find(|s| s.period.fiscal_year == 2023 && s.period.fiscal_period == FiscalPeriod::Fy)
        .expect("FY2023");
    assert_eq!(fy2023.period.period_end.to_string(), "2023-09-30");
}

#[test]
fn logistic_properties_ifrs_filer_is_rejected_naming_the_taxonomy() {
    let error = normalize(&read("CIK0001997711")).expect_err("IFRS filer");
    assert!(error.to_string().contains("ifrs-full"), "{error}");
}

fn assert_unique_periods<I>(name: &str, kind: &str, statements: &[Statement<I>]) {
    let mut seen = HashSet::new();
    for s in statements {
        assert!(
            seen.insert((s.period.fiscal_year, s.period.fiscal_period)),
            "{name} {kind}: {} {:?} twice",
            s.period.fiscal_year,
            s.period.fiscal_period
        );
    }
}

#[test]
fn every_fixture_has_each_period_once() {
    for name in COMPANIES {
        let company = normalized(name);
        assert!(
            company.income.len() > 20,
            "{name}: too few income statements"
        );
        assert_unique_periods(name, "income", &company.income);
        assert_unique_periods(name, "balance", &company.balance);
        assert_unique_periods(name, "cash flow", &company.cash_flow);
    }
}

/// Redeemable preferred stock (temporary equity) by date: before its IPO Snowflake carried
/// it between liabilities and equity, so there assets = liabilities + it + equity.
fn temporary_equity(json: &str) -> HashMap<NaiveDate, Decimal> {
    let document: Value = serde_json::from_str(json).expect("JSON");
    let facts = &document["facts"]["us-gaap"]["TemporaryEquityCarryingAmountAttributableToParent"]
        ["units"]["USD"];
    facts
        .as_array()
        .into_iter()
        .flatten()
        .map(|fact| {
            let end = fact["end"].as_str().expect("end").parse().expect("date");
            let value = fact["val"].to_string().parse().expect("decimal");
            (end, value)
        })
        .collect()
}

#[test]
fn balance_sheets_balance_and_gross_profit_adds_up() {
    for name in COMPANIES {
        let json = read(name);
        let company = normalize(&json).expect("normalize");
        let temporary = temporary_equity(&json);
        let mut balanced = 0;
        for s in &company.balance {
            let i = &s.items;
            if let (Some(a), Some(l), Some(e)) =
                (i.total_assets, i.total_liabilities, i.total_equity)
            {
                let mezzanine = temporary
                    .get(&s.period.period_end)
                    .copied()
                    .unwrap_or_default();
                assert_eq!(
                    a.0,
                    l.0 + mezzanine + e.0,
                    "{name} {} {:?}",
                    s.period.fiscal_year,
                    s.period.fiscal_period
                );
                balanced += 1;
            }
            if let (Some(a), Some(le)) = (i.total_assets, i.total_liabilities_and_equity) {
                assert_eq!(a, le, "{name} {}", s.period.period_end);
            }
        }
        assert!(
            balanced > 10,
            "{name}: only {balanced} balance sheets checked"
        );

        let mut gross = 0;
        for s in &company.income {
            let i = &s.items;
            if let (Some(r), Some(c), Some(g)) = (i.revenue, i.cost_of_revenue, i.gross_profit) {
                assert_eq!(
                    g.0,
                    r.0 - c.0,
                    "{name} {} {:?}",
                    s.period.fiscal_year,
                    s.period.fiscal_period
                );
                gross += 1;
            }
        }
        if name != "CIK0001640147" {
            assert!(gross > 10, "{name}: only {gross} gross profits checked");
        }
    }
}

/// A named line item and how to read it from a statement.
type Field<I> = (&'static str, fn(&I) -> Option<Money>);

/// Sum of the four quarters of `field` against the year, for every fiscal year with all five.
fn check_quarters_sum<I>(name: &str, statements: &[Statement<I>], fields: &[Field<I>]) -> usize {
    let mut by_year: HashMap<i32, HashMap<FiscalPeriod, &I>> = HashMap::new();
    for s in statements {
        by_year
            .entry(s.period.fiscal_year)
            .or_default()
            .insert(s.period.fiscal_period, &s.items);
    }
    let mut checked = 0;
    for (year, periods) in &by_year {
        let Some(fy) = periods.get(&FiscalPeriod::Fy) else {
            continue;
        };
        for (field, get) in fields {
            let quarters: Option<Vec<Decimal>> = FiscalPeriod::QUARTERS
                .iter()
                .map(|q| periods.get(q).and_then(|items| get(items)).map(|m| m.0))
                .collect();
            if let (Some(quarters), Some(total)) = (quarters, get(fy)) {
                assert_eq!(
                    quarters.iter().sum::<Decimal>(),
                    total.0,
                    "{name} {year} {field}"
                );
                checked += 1;
            }
        }
    }
    checked
}

#[test]
fn four_quarters_add_up_to_the_fiscal_year() {
    for name in COMPANIES {
        let company = normalized(name);
        let income = check_quarters_sum(
            name,
            &company.income,
            &[("revenue", |i| i.revenue), ("netIncome", |i| i.net_income)],
        );
        let cash = check_quarters_sum(
            name,
            &company.cash_flow,
            &[
                ("operatingCashFlow", |i| i.operating_cash_flow),
                ("investingCashFlow", |i| i.investing_cash_flow),
                ("financingCashFlow", |i| i.financing_cash_flow),
                ("freeCashFlow", |i| i.free_cash_flow),
            ],
        );
        assert!(
            income >= 8 && cash >= 12,
            "{name}: {income} income, {cash} cash-flow sums checked"
        );
    }
}

/// The fiscal year on the cover of the 10-K that first reported each annual period.
fn cover_years(json: &str) -> HashMap<NaiveDate, i64> {
    let document: Value = serde_json::from_str(json).expect("JSON");
    let mut first_filed: HashMap<NaiveDate, (String, i64)> = HashMap::new();
    let facts = document["facts"]["us-gaap"]["NetIncomeLoss"]["units"]["USD"]
        .as_array()
        .expect("NetIncomeLoss facts");
    for fact in facts {
        let (Some(start), Some(end)) = (fact["start"].as_str(), fact["end"].as_str()) else {
            continue;
        };
        let (start, end): (NaiveDate, NaiveDate) =
            (start.parse().expect("date"), end.parse().expect("date"));
        if fact["form"] != "10-K" || !(350..=380).contains(&(end - start).num_days()) {
            continue;
        }
        let filed_on: NaiveDate = fact["filed"]
            .as_str()
            .expect("filed")
            .parse()
            .expect("date");
        // The 10-K for the period itself, not a later one repeating it as a comparative
        // (the data starts in 2009, so earlier years appear only as comparatives).
        if (filed_on - end).num_days() > 120 {
            continue;
        }
        let filed = fact["filed"].as_str().expect("filed").to_owned();
        let fy = fact["fy"].as_i64().expect("fy");
        first_filed
            .entry(end)
            .and_modify(|current| {
                if filed < current.0 {
                    *current = (filed.clone(), fy);
                }
            })
            .or_insert((filed, fy));
    }
    first_filed
        .into_iter()
        .map(|(end, (_, fy))| (end, fy))
        .collect()
}

#[test]
fn fiscal_year_labels_match_the_10k_cover_years() {
    for name in COMPANIES {
        let json = read(name);
        let company = normalize(&json).expect("normalize");
        let covers = cover_years(&json);
        let mut checked = 0;
        for s in company
            .income
            .iter()
            .filter(|s| s.period.fiscal_period == FiscalPeriod::Fy)
        {
            if let Some(&fy) = covers.get(&s.period.period_end) {
                assert_eq!(
                    i64::from(s.period.fiscal_year),
                    fy,
                    "{name} year ending {}",
                    s.period.period_end
                );
                checked += 1;
            }
        }
        assert!(checked >= 3, "{name}: only {checked} fiscal years checked");
    }
}
