//! Normalization of the real SEC companyfacts fixtures: figures printed in the filings, and
//! invariants over every company and period.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use finstage::domain::NormalizedCompany;
use finstage::domain::{FiscalPeriod, Money, Statement};

use crate::helpers::money;
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

/// Fiscal 2024 figures of a company's 10-K, as reported in its companyfacts file.
struct TenK {
    fixture: &'static str,
    name: &'static str,
    period_start: &'static str,
    period_end: &'static str,
    revenue: &'static str,
    net_income: &'static str,
    eps_diluted: &'static str,
    total_assets: &'static str,
    operating_cash_flow: &'static str,
    capital_expenditure: &'static str,
    free_cash_flow: &'static str,
}

fn assert_matches_10k(k: &TenK) {
    let company = normalized(k.fixture);
    assert_eq!(company.info.name, k.name);
    let statement = company
        .income
        .iter()
        .find(|s| s.period.fiscal_year == 2024 && s.period.fiscal_period == FiscalPeriod::Fy)
        .unwrap_or_else(|| panic!("{}: no FY2024", k.name));
    assert_eq!(
        statement
            .period
            .period_start
            .map(|d| d.to_string())
            .as_deref(),
        Some(k.period_start)
    );
    assert_eq!(statement.period.period_end.to_string(), k.period_end);
    assert_eq!(statement.period.form, "10-K");
    let income = &statement.items;
    assert_eq!(income.revenue, money(k.revenue), "{}", k.name);
    assert_eq!(income.net_income, money(k.net_income), "{}", k.name);
    assert_eq!(income.eps_diluted, money(k.eps_diluted), "{}", k.name);
    let balance = find(&company.balance, 2024, FiscalPeriod::Fy);
    assert_eq!(balance.total_assets, money(k.total_assets), "{}", k.name);
    let cash_flow = find(&company.cash_flow, 2024, FiscalPeriod::Fy);
    assert_eq!(
        cash_flow.operating_cash_flow,
        money(k.operating_cash_flow),
        "{}",
        k.name
    );
    assert_eq!(
        cash_flow.capital_expenditure,
        money(k.capital_expenditure),
        "{}",
        k.name
    );
    assert_eq!(
        cash_flow.free_cash_flow,
        money(k.free_cash_flow),
        "{}",
        k.name
    );
}

#[test]
fn snowflake_fiscal_2024_matches_its_10k() {
    // Snowflake's 10-K for the fiscal year ended January 31, 2024 (accession
    // 0001640147-24-000101, filed 2024-03-26): revenue $2,806,489K, net loss attributable to
    // Snowflake $(836,097)K, diluted EPS $(2.55), total assets $8,223,383K, operating cash
    // flow $848,122K, purchases of property and equipment $35,086K.
    assert_matches_10k(&TenK {
        fixture: "CIK0001640147",
        name: "SNOWFLAKE INC.",
        period_start: "2023-02-01",
        period_end: "2024-01-31",
        revenue: "2806489000",
        net_income: "-836097000",
        eps_diluted: "-2.55",
        total_assets: "8223383000",
        operating_cash_flow: "848122000",
        capital_expenditure: "35086000",
        free_cash_flow: "813036000",
    });
}

#[test]
fn marvell_fiscal_2024_matches_its_10k() {
    // Marvell's 10-K for the 53-week fiscal year ended February 3, 2024 (accession
    // 0001835632-24-000009, filed 2024-03-13): net revenue $5,507.7M, net loss $(933.4)M,
    // diluted EPS $(1.08), total assets $21,228.5M, operating cash flow $1,370.5M, purchases
    // of property and equipment $336.3M.
    assert_matches_10k(&TenK {
        fixture: "CIK0001835632",
        name: "MARVELL TECHNOLOGY, INC",
        period_start: "2023-01-29",
        period_end: "2024-02-03",
        revenue: "5507700000",
        net_income: "-933400000",
        eps_diluted: "-1.08",
        total_assets: "21228500000",
        operating_cash_flow: "1370500000",
        capital_expenditure: "336300000",
        free_cash_flow: "1034200000",
    });
}

#[test]
fn logistic_properties_ifrs_filer_is_rejected_naming_the_taxonomy() {
    let error = normalize(&read("CIK0001997711")).expect_err("IFRS filer");
    assert!(error.to_string().contains("ifrs-full"), "{error}");
}

/// The period ends of every fiscal year whose net income a 10-K reports (a 350–380 day
/// duration), read straight from the filings' facts.
fn annual_period_ends(json: &str) -> HashSet<NaiveDate> {
    let document: Value = serde_json::from_str(json).expect("JSON");
    document["facts"]["us-gaap"]["NetIncomeLoss"]["units"]["USD"]
        .as_array()
        .expect("NetIncomeLoss facts")
        .iter()
        .filter(|fact| fact["form"].as_str().is_some_and(|f| f.starts_with("10-K")))
        .filter_map(|fact| {
            let start: NaiveDate = fact["start"].as_str()?.parse().ok()?;
            let end: NaiveDate = fact["end"].as_str()?.parse().ok()?;
            (350..=380)
                .contains(&(end - start).num_days())
                .then_some(end)
        })
        .collect()
}

/// Every fiscal year a 10-K reports comes out as exactly one annual income statement, with
/// that period's end: none is dropped or merged with another (two periods labelled alike
/// would lose one), and none is invented.
#[test]
fn every_fiscal_year_the_filings_report_is_one_annual_statement() {
    for name in COMPANIES {
        let json = read(name);
        let reported = annual_period_ends(&json);
        assert!(reported.len() >= 4, "{name}: {} years", reported.len());
        let company = normalize(&json).expect("normalize");
        let annual: Vec<NaiveDate> = company
            .income
            .iter()
            .filter(|s| s.period.fiscal_period == FiscalPeriod::Fy)
            .map(|s| s.period.period_end)
            .collect();
        let distinct: HashSet<NaiveDate> = annual.iter().copied().collect();
        assert_eq!(distinct.len(), annual.len(), "{name}: a year twice");
        assert_eq!(distinct, reported, "{name}: annual periods");
        let labels: HashSet<i32> = company
            .income
            .iter()
            .filter(|s| s.period.fiscal_period == FiscalPeriod::Fy)
            .map(|s| s.period.fiscal_year)
            .collect();
        assert_eq!(
            labels.len(),
            annual.len(),
            "{name}: two years share a label"
        );
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

/// Q1–Q3 income figures are the 10-Qs' reported three-month values and Q4 is derived as
/// FY − nine-month YTD, so the four add up to the fiscal year exactly when the three
/// reported quarters add up to the reported nine-month figure: independent numbers.
#[test]
fn three_reported_quarters_add_up_to_the_nine_month_figure() {
    for name in COMPANIES {
        let company = normalized(name);
        let checked = check_quarters_sum(
            name,
            &company.income,
            &[("revenue", |i| i.revenue), ("netIncome", |i| i.net_income)],
        );
        assert!(checked >= 8, "{name}: {checked} sums checked");
    }
}

/// Cash-flow statements report year-to-date figures only, so every quarter after the first
/// is computed (a difference of two YTD figures) and must say so; Q1 is reported as is.
/// (Their sum equals the year by construction, which is why no sum is checked here.)
#[test]
fn cash_flow_quarters_after_the_first_are_marked_derived() {
    for name in COMPANIES {
        let company = normalized(name);
        let mut quarters = 0;
        for s in &company.cash_flow {
            let expected = match s.period.fiscal_period {
                FiscalPeriod::Fy | FiscalPeriod::Q1 => false,
                FiscalPeriod::Q2 | FiscalPeriod::Q3 | FiscalPeriod::Q4 => true,
                FiscalPeriod::Ttm => panic!("{name}: TTM is computed at read, never stored"),
            };
            if s.items.operating_cash_flow.is_some() {
                assert_eq!(
                    s.period.derived, expected,
                    "{name} {} {:?}",
                    s.period.fiscal_year, s.period.fiscal_period
                );
                quarters += usize::from(s.period.fiscal_period != FiscalPeriod::Fy);
            }
        }
        assert!(quarters >= 12, "{name}: {quarters} quarters checked");
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

fn annual<I>(statements: &[Statement<I>], year: i32) -> &Statement<I> {
    statements
        .iter()
        .find(|s| s.period.fiscal_year == year && s.period.fiscal_period == FiscalPeriod::Fy)
        .unwrap_or_else(|| panic!("no FY{year}"))
}

#[test]
fn totals_reported_only_as_parts_are_computed_and_marked_derived() {
    // Snowflake's FY2024 10-K: sales and marketing $1,391,747K + general and administrative
    // $323,008K; it prints no SG&A total.
    let snowflake = normalized("CIK0001640147");
    let fy2024 = annual(&snowflake.income, 2024);
    assert_eq!(
        fy2024.items.selling_general_and_administrative,
        money("1714755000")
    );
    assert_eq!(
        fy2024.period.derived_line_items().collect::<Vec<_>>(),
        ["sellingGeneralAndAdministrative"]
    );

    // Marvell's FY2024 10-K: gross profit $2,293.6M, operating loss $(567.7)M, total
    // operating expenses $2,861.3M (which it tags CostsAndExpenses, not OperatingExpenses).
    let marvell = normalized("CIK0001835632");
    let fy2024 = annual(&marvell.income, 2024);
    assert_eq!(fy2024.items.operating_expenses, money("2861300000"));
    assert_eq!(
        fy2024.period.derived_line_items().collect::<Vec<_>>(),
        ["operatingExpenses"]
    );

    let apple = normalized("CIK0000320193");
    assert_eq!(
        annual(&apple.income, 2023).period.derived_items,
        "",
        "Apple reports every total itself"
    );
}

/// Each rule of `INCOME_TOTALS`, written out again, holds wherever a filer reports both the
/// total and all its parts, so a computed total means what a reported one means.
#[test]
fn reported_totals_equal_their_parts_wherever_filers_report_both() {
    use finstage::domain::IncomeStatementItems as I;
    type Rule = (
        &'static str,
        fn(&I) -> Option<Money>,
        fn(&I) -> Option<Decimal>,
    );
    let rules: [Rule; 3] = [
        (
            "grossProfit",
            |i| i.gross_profit,
            |i| Some(i.revenue?.0 - i.cost_of_revenue?.0),
        ),
        (
            "sellingGeneralAndAdministrative",
            |i| i.selling_general_and_administrative,
            |i| Some(i.selling_and_marketing?.0 + i.general_and_administrative?.0),
        ),
        (
            "operatingExpenses",
            |i| i.operating_expenses,
            |i| Some(i.gross_profit?.0 - i.operating_income?.0),
        ),
    ];
    let mut checked: HashMap<&str, usize> = HashMap::new();
    for name in COMPANIES {
        for statement in &normalized(name).income {
            for (total, reported, from_parts) in &rules {
                let derived = statement.period.derived_line_items().any(|d| d == *total);
                let (Some(reported), Some(from_parts)) =
                    (reported(&statement.items), from_parts(&statement.items))
                else {
                    continue;
                };
                if derived || statement.period.derived {
                    continue;
                }
                assert_eq!(
                    reported.0, from_parts,
                    "{name} {total} {} {:?}",
                    statement.period.fiscal_year, statement.period.fiscal_period
                );
                *checked.entry(total).or_default() += 1;
            }
        }
    }
    for (total, _, _) in &rules {
        let count = checked.get(total).copied().unwrap_or(0);
        assert!(count >= 5, "{total}: only {count} reported totals checked");
    }
}

/// Apple split 7:1 in 2014 and 4:1 in 2020. Served EPS must be on today's basis for every
/// year, as Apple's own later 10-Ks restate it: FY2018 2.98 and FY2019 2.97 (FY2020 10-K),
/// FY2016 8.31 ÷ 4 (FY2018 10-K), FY2013 5.68 ÷ 4 (FY2015 10-K), FY2009 9.08 ÷ 28 (FY2011 10-K).
#[test]
fn apple_per_share_history_is_on_one_share_basis() {
    let apple = normalized("CIK0000320193");
    let eps = |year| annual(&apple.income, year).items.per_share().eps_diluted;
    assert_eq!(eps(2023), money("6.13"));
    assert_eq!(eps(2019), money("2.97"));
    assert_eq!(eps(2018), money("2.98"));
    assert_eq!(eps(2017), money("2.3025"));
    assert_eq!(eps(2016), money("2.0775"));
    assert_eq!(eps(2013), money("1.42"));
    assert_eq!(eps(2009), money("0.3243"));

    let fy2017 = &annual(&apple.income, 2017).items;
    assert_eq!(fy2017.share_split_factor, Money(Decimal::from(4)));
    assert_eq!(fy2017.eps_diluted, money("9.21"), "as reported");
    assert_eq!(
        fy2017.per_share().weighted_average_shares_diluted,
        Some(finstage::domain::ShareCount(5_251_692_000 * 4))
    );
    assert_eq!(
        annual(&apple.income, 2009).items.share_split_factor,
        Money(Decimal::from(28))
    );
    assert_eq!(
        annual(&apple.income, 2023).items.share_split_factor,
        Money(Decimal::ONE)
    );

    // Year over year, adjusted EPS moves with net income (buybacks add a few points a year);
    // as reported, it drops 68 % and more at each split while net income does not.
    let net_income = |year| annual(&apple.income, year).items.net_income;
    let growth = |figure: &dyn Fn(i32) -> Option<Money>, year: i32| {
        let (now, before) = (
            figure(year).expect("figure").0,
            figure(year - 1).expect("figure").0,
        );
        (now - before) / before
    };
    let gap = |figure: &dyn Fn(i32) -> Option<Money>, year| {
        (growth(figure, year) - growth(&net_income, year)).abs()
    };
    for year in 2010..=2025 {
        let gap = gap(&eps, year);
        assert!(
            gap < Decimal::new(15, 2),
            "FY{year}: EPS and net income growth differ by {gap}"
        );
    }
    let reported = |year| annual(&apple.income, year).items.eps_diluted;
    assert!(
        gap(&reported, 2018) > Decimal::new(5, 1),
        "the 2020 split shows as reported"
    );
}
