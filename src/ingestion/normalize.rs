//! From one companyfacts document to standardized statements. Pure: no I/O, no clock.
//!
//! - A period is its dates (`start`..`end`, or `end` for balances), never the filing's
//!   `fy`/`fp`. When several filings report one period (every later filing repeats it as a
//!   comparative), the latest `filed` wins, so restatements and split adjustments prevail —
//!   unless the later value is merely the earlier one rounded (a later filing reporting in
//!   millions what an earlier one gave to the thousand), which keeps the precise figure.
//! - Only 10-K and 10-Q family forms count (including amendments and transition reports).
//! - Annual statements come from one-year durations. Quarterly income statements come from
//!   three-month durations; Q4, never filed on its own, is FY − nine months (`derived`).
//!   Cash-flow quarters come from year-to-date differences (Q2–Q4 `derived`). Balance-sheet
//!   quarters are the instants at each quarter's end. Per-share figures and share counts are
//!   never derived by subtraction; they stay null where not reported.
//! - A statement's provenance is the latest filing any of its figures came from.
//! - Per-share figures keep the share basis of the filing they came from; the statement
//!   carries the split factor to today's basis (`splits`). Should its per-share figures come
//!   from filings on different bases, the older ones are restated onto the newest's basis.
//! - Income statement totals the filing leaves out are computed from their reported parts
//!   (`line_items::INCOME_TOTALS`) and listed as derived.

use std::collections::{BTreeMap, HashMap};

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::companyfacts::{CompanyFacts, Fact, FactsError, padded_cik};
use super::fiscal::{FiscalCalendar, Span};
use super::line_items::{
    BALANCE_SHEET, CASH_FLOW, INCOME_STATEMENT, INCOME_TOTALS, LineItem, Measure, Slot,
    StatementItems, complete_totals,
};
use super::splits::ShareBasis;
use crate::domain::{CompanyInfo, NormalizedCompany};
use crate::domain::{EPS_SCALE, FiscalPeriod, Money, ShareCount, Statement, StatementPeriod};

#[derive(Debug, thiserror::Error)]
pub enum NormalizeError {
    #[error(transparent)]
    Facts(#[from] FactsError),
    #[error("no annual (10-K) figures, so the fiscal year cannot be determined")]
    NoAnnualPeriods,
}

pub fn normalize(json: &str) -> Result<NormalizedCompany, NormalizeError> {
    let facts = CompanyFacts::parse(json)?;
    let currency = reporting_currency(&facts)?;
    let income = collect(&facts, INCOME_STATEMENT, &currency)?;
    let balance = collect(&facts, BALANCE_SHEET, &currency)?;
    let cash_flow = collect(&facts, CASH_FLOW, &currency)?;
    let basis = ShareBasis::detect(&facts, &format!("{currency}/shares"))?;

    let years = FiscalYears::from_durations(income.durations().chain(cash_flow.durations()))?;
    let mut normalized = NormalizedCompany {
        info: CompanyInfo {
            cik: padded_cik(facts.cik),
            name: facts.entity_name.clone(),
            currency: currency.clone(),
            fiscal_year_end: years.calendar.mmdd(),
            exchange: None,
            sic_code: None,
            sic_description: None,
        },
        income: Vec::new(),
        balance: Vec::new(),
        cash_flow: Vec::new(),
    };

    for (&year, fy) in &years.by_year {
        let period = |fiscal_period, start, end| PeriodShape {
            fiscal_year: year,
            fiscal_period,
            start,
            end,
            currency: &currency,
            basis: &basis,
        };
        let quarter_ends = fy.quarter_ends();

        if let Some(annual) = fy.annual {
            let shape = period(FiscalPeriod::Fy, Some(annual.0), annual.1);
            normalized
                .income
                .extend(income.build(&Source::Reported(Some(annual)), shape));
            normalized
                .cash_flow
                .extend(cash_flow.build(&Source::Reported(Some(annual)), shape));
            let instant = period(FiscalPeriod::Fy, None, annual.1);
            normalized
                .balance
                .extend(balance.build(&Source::Instant(annual.1), instant));
        }

        for (quarter, fiscal_period) in FiscalPeriod::QUARTERS.into_iter().enumerate() {
            let reported = fy.quarters[quarter];
            let ytd = fy.year_to_date(quarter);
            let previous_ytd = quarter.checked_sub(1).and_then(|q| fy.year_to_date(q));
            let Some(end) = quarter_ends[quarter] else {
                continue;
            };
            let start = reported
                .map(|(start, _)| start)
                .or_else(|| previous_ytd.and_then(|(_, end)| end.checked_add_days(Days::new(1))))
                .or(fy.start());
            let shape = period(fiscal_period, start, end);

            // Income: the reported three months; Q4 is FY − nine months.
            let income_source = match (reported, quarter) {
                (Some(key), _) => Source::Reported(Some(key)),
                (None, 3) => Source::Difference(fy.annual, previous_ytd),
                (None, _) => Source::Reported(None),
            };
            normalized
                .income
                .extend(income.build(&income_source, shape));

            // Cash flow: year-to-date differences, since 10-Qs report cash flows year to date.
            let cash_source = match quarter {
                0 => Source::Reported(ytd.or(reported)),
                _ => Source::Difference(ytd, previous_ytd),
            };
            normalized
                .cash_flow
                .extend(cash_flow.build(&cash_source, shape));

            let instant = period(fiscal_period, None, end);
            normalized
                .balance
                .extend(balance.build(&Source::Instant(end), instant));
        }
    }
    for statement in &mut normalized.cash_flow {
        statement.items.compute_free_cash_flow();
    }
    for statement in &mut normalized.income {
        complete_totals(statement, INCOME_TOTALS);
    }
    Ok(normalized)
}

/// The currency monetary facts are reported in: the unit of `Assets`, preferring USD.
fn reporting_currency(facts: &CompanyFacts<'_>) -> Result<String, FactsError> {
    let units = facts.units_of("Assets")?;
    if units.is_empty() || units.contains(&"USD") {
        return Ok("USD".to_owned());
    }
    Ok(units
        .iter()
        .find(|unit| unit.len() == 3 && unit.chars().all(|c| c.is_ascii_uppercase()))
        .map_or("USD", |unit| unit)
        .to_owned())
}

type DurationKey = (NaiveDate, NaiveDate);
/// A period as facts identify it: `(start, end)`, with no start for instants.
type PeriodKey = (Option<NaiveDate>, NaiveDate);
type ValuesByPeriod<'a> = HashMap<PeriodKey, Chosen<'a>>;

/// The value chosen for one line item and period, with the filing it came from.
#[derive(Debug, Clone, Copy)]
struct Chosen<'a> {
    value: Decimal,
    accession_number: &'a str,
    form: &'a str,
    filed: NaiveDate,
}

impl Chosen<'_> {
    fn newer_than(&self, other: &Self) -> bool {
        (self.filed, self.accession_number) > (other.filed, other.accession_number)
    }
}

/// True when `rounded` is within one unit of its own precision (its trailing zeros) of
/// `precise`: what rounding explains, given that filers also nudge rounded figures by a unit
/// so that totals foot (Marvell: 832.3 − 414.1 = 418.2, where exact gross profit is 418.141).
fn is_rounding_of(rounded: Decimal, precise: Decimal) -> bool {
    if rounded == precise || !rounded.fract().is_zero() || rounded.is_zero() {
        return false;
    }
    let mut factor = Decimal::ONE;
    let ten = Decimal::TEN;
    while (rounded / (factor * ten)).fract().is_zero() {
        factor *= ten;
    }
    factor > Decimal::ONE && (precise - rounded).abs() < factor
}

fn counts(form: &str) -> bool {
    form.starts_with("10-K") || form.starts_with("10-Q")
}

/// Per line item of one statement kind: its chosen value for every period it was reported for.
struct ItemFacts<'a, Items: 'static> {
    items: Vec<(&'static LineItem<Items>, ValuesByPeriod<'a>)>,
}

fn collect<'a, Items>(
    facts: &CompanyFacts<'a>,
    line_items: &'static [LineItem<Items>],
    currency: &str,
) -> Result<ItemFacts<'a, Items>, FactsError> {
    let per_share = format!("{currency}/shares");
    let mut items = Vec::with_capacity(line_items.len());
    for item in line_items {
        let unit = match item.measure {
            Measure::Flow | Measure::Instant => currency,
            Measure::PerShare => per_share.as_str(),
            Measure::Shares => "shares",
        };
        let mut chosen: ValuesByPeriod<'a> = HashMap::new();
        // Earlier tags have priority: a later tag only fills periods still empty.
        for tag in item.tags {
            let mut from_tag: ValuesByPeriod<'a> = HashMap::new();
            let mut tag_facts = facts.us_gaap(tag, unit)?;
            tag_facts.sort_by_key(|fact| (fact.filed, fact.accn));
            for Fact {
                start,
                end,
                val,
                accn,
                form,
                filed,
            } in tag_facts
            {
                let is_instant = item.measure == Measure::Instant;
                if !counts(form) || start.is_some() == is_instant {
                    continue;
                }
                let candidate = Chosen {
                    value: val,
                    accession_number: accn,
                    form,
                    filed,
                };
                from_tag
                    .entry((start, end))
                    .and_modify(|best| {
                        if candidate.newer_than(best)
                            && !is_rounding_of(candidate.value, best.value)
                        {
                            *best = candidate;
                        }
                    })
                    .or_insert(candidate);
            }
            for (period, value) in from_tag {
                chosen.entry(period).or_insert(value);
            }
        }
        items.push((item, chosen));
    }
    Ok(ItemFacts { items })
}

/// How each line item's value is obtained for one statement.
enum Source {
    Reported(Option<DurationKey>),
    Instant(NaiveDate),
    /// Flows: minuend − subtrahend; per-share values and share counts are left empty.
    Difference(Option<DurationKey>, Option<DurationKey>),
}

#[derive(Clone, Copy)]
struct PeriodShape<'c> {
    fiscal_year: i32,
    fiscal_period: FiscalPeriod,
    start: Option<NaiveDate>,
    end: NaiveDate,
    currency: &'c str,
    basis: &'c ShareBasis,
}

impl<'a, Items: StatementItems> ItemFacts<'a, Items> {
    fn durations(&self) -> impl Iterator<Item = DurationKey> + '_ {
        self.items
            .iter()
            .flat_map(|(_, values)| values.keys())
            .filter_map(|(start, end)| Some(((*start)?, *end)))
    }

    fn value(&self, index: usize, key: PeriodKey) -> Option<Chosen<'a>> {
        self.items[index].1.get(&key).copied()
    }

    /// The statement for one period, or `None` when no line item has a value for it.
    fn build(&self, source: &Source, shape: PeriodShape<'_>) -> Option<Statement<Items>> {
        let mut items = Items::default();
        let mut newest: Option<Chosen<'a>> = None;
        let mut note = |chosen: Chosen<'a>| {
            if newest.is_none_or(|n| chosen.newer_than(&n)) {
                newest = Some(chosen);
            }
        };
        let mut values = Vec::with_capacity(self.items.len());
        for (index, (item, _)) in self.items.iter().enumerate() {
            let value = match *source {
                Source::Reported(Some((start, end))) => self.value(index, (Some(start), end)),
                Source::Reported(None) => None,
                Source::Instant(end) => self.value(index, (None, end)),
                Source::Difference(Some(whole), Some(part)) if item.measure == Measure::Flow => {
                    match (
                        self.value(index, (Some(whole.0), whole.1)),
                        self.value(index, (Some(part.0), part.1)),
                    ) {
                        (Some(whole), Some(part)) => {
                            note(part);
                            Some(Chosen {
                                value: whole.value - part.value,
                                ..whole
                            })
                        }
                        _ => None,
                    }
                }
                Source::Difference(..) => None,
            };
            let Some(chosen) = value else { continue };
            note(chosen);
            values.push((*item, chosen));
        }
        let provenance = newest?;
        let per_share_filed = values
            .iter()
            .filter(|(item, _)| matches!(item.measure, Measure::PerShare | Measure::Shares))
            .map(|(_, chosen)| chosen.filed)
            .max();
        let row_factor = per_share_filed.map(|filed| shape.basis.factor_for(filed));
        for (item, chosen) in values {
            let mut value = chosen.value;
            if let Some(row_factor) = row_factor {
                // Onto the row's basis: shares × f / row, EPS × row / f.
                let factor = shape.basis.factor_for(chosen.filed);
                if factor != row_factor {
                    value = match item.measure {
                        Measure::Shares => value * factor / row_factor,
                        Measure::PerShare => (value * row_factor / factor).round_dp(EPS_SCALE),
                        Measure::Flow | Measure::Instant => value,
                    };
                }
            }
            match (item.slot)(&mut items) {
                Slot::Money(field) => *field = Some(Money(value)),
                Slot::Shares(field) => *field = value.round().to_i64().map(ShareCount),
            }
        }
        if let (Some(factor), Some(slot)) = (row_factor, items.share_split_factor()) {
            *slot = Money(factor);
        }
        Some(Statement {
            period: StatementPeriod {
                fiscal_year: shape.fiscal_year,
                fiscal_period: shape.fiscal_period,
                period_start: shape.start,
                period_end: shape.end,
                form: provenance.form.to_owned(),
                filed_at: provenance.filed,
                accession_number: provenance.accession_number.to_owned(),
                currency: shape.currency.to_owned(),
                derived: matches!(source, Source::Difference(..)),
                derived_items: String::new(),
            },
            items,
        })
    }
}

/// The periods of one fiscal year that the filings report.
#[derive(Debug, Default)]
struct FiscalYear {
    annual: Option<DurationKey>,
    /// Three-month durations, by quarter.
    quarters: [Option<DurationKey>; 4],
    /// Six- and nine-month year-to-date durations (ending with Q2 and Q3); the three-month
    /// one is Q1 itself.
    year_to_date: [Option<DurationKey>; 2],
}

impl FiscalYear {
    fn start(&self) -> Option<NaiveDate> {
        self.annual
            .map(|(start, _)| start)
            .or(self.quarters[0].map(|(start, _)| start))
            .or(self
                .year_to_date
                .iter()
                .flatten()
                .map(|(start, _)| *start)
                .next())
    }

    /// Year-to-date duration ending with `quarter` (0-based); the annual period for Q4.
    fn year_to_date(&self, quarter: usize) -> Option<DurationKey> {
        match quarter {
            0 => self.quarters[0],
            1 | 2 => self.year_to_date[quarter - 1],
            _ => self.annual,
        }
    }

    fn quarter_ends(&self) -> [Option<NaiveDate>; 4] {
        std::array::from_fn(|q| {
            self.quarters[q]
                .or(self.year_to_date(q))
                .map(|(_, end)| end)
        })
    }
}

struct FiscalYears {
    calendar: FiscalCalendar,
    by_year: BTreeMap<i32, FiscalYear>,
}

impl FiscalYears {
    fn from_durations(
        durations: impl Iterator<Item = DurationKey>,
    ) -> Result<Self, NormalizeError> {
        let mut durations: Vec<DurationKey> = durations.collect();
        durations.sort_unstable();
        durations.dedup();
        let latest_year_end = durations
            .iter()
            .filter(|(start, end)| Span::of(*start, *end) == Some(Span::Year))
            .map(|(_, end)| *end)
            .max()
            .ok_or(NormalizeError::NoAnnualPeriods)?;
        let calendar = FiscalCalendar::ending_like(latest_year_end);

        let mut by_year: BTreeMap<i32, FiscalYear> = BTreeMap::new();
        for &(start, end) in &durations {
            let Some(span) = Span::of(start, end) else {
                continue;
            };
            let (year, quarter) = calendar.quarter(end);
            let fiscal_year = by_year.entry(year).or_default();
            let slot = match span {
                Span::Year => &mut fiscal_year.annual,
                Span::Quarter => &mut fiscal_year.quarters[usize::from(quarter) - 1],
                Span::HalfYear if quarter == 2 => &mut fiscal_year.year_to_date[0],
                Span::NineMonths if quarter == 3 => &mut fiscal_year.year_to_date[1],
                Span::HalfYear | Span::NineMonths => continue,
            };
            // Several candidates are rare; keeping the greatest makes the choice independent
            // of the order facts come in.
            if slot.is_none_or(|current| (start, end) > current) {
                *slot = Some((start, end));
            }
        }
        for fiscal_year in by_year.values_mut() {
            // Year-to-date periods must start with the fiscal year.
            if let Some(start) = fiscal_year.start() {
                for ytd in &mut fiscal_year.year_to_date {
                    if ytd.is_some_and(|(s, _)| s != start) {
                        *ytd = None;
                    }
                }
            }
        }
        Ok(Self { calendar, by_year })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::domain::{IncomeStatementItems, money};

    fn fact(start: Option<&str>, end: &str, val: Value, form: &str, filed: &str) -> Value {
        let mut fact = json!({
            "end": end, "val": val, "accn": format!("0000000001-{filed}"),
            "fy": 2099, "fp": "FY", "form": form, "filed": filed
        });
        if let Some(start) = start {
            fact["start"] = json!(start);
        }
        fact
    }

    fn document(concepts: Vec<(&str, &str, Vec<Value>)>) -> String {
        let mut us_gaap = serde_json::Map::new();
        for (tag, unit, facts) in concepts {
            us_gaap.insert(
                tag.into(),
                json!({ "label": tag, "units": { unit: facts } }),
            );
        }
        json!({ "cik": 42, "entityName": "Example Corp", "facts": { "us-gaap": us_gaap } })
            .to_string()
    }

    const FY: (Option<&str>, &str) = (Some("2023-01-01"), "2023-12-31");

    fn annual_income(company: &NormalizedCompany) -> &IncomeStatementItems {
        &company
            .income
            .iter()
            .find(|s| s.period.fiscal_period == FiscalPeriod::Fy && s.period.fiscal_year == 2023)
            .expect("fiscal 2023 income statement")
            .items
    }

    #[test]
    fn first_tag_in_priority_order_wins_per_period() {
        let json = document(vec![
            (
                "Revenues",
                "USD",
                vec![fact(FY.0, FY.1, json!(100), "10-K", "2024-02-01")],
            ),
            (
                "RevenueFromContractWithCustomerExcludingAssessedTax",
                "USD",
                vec![
                    fact(FY.0, FY.1, json!(999), "10-K", "2024-02-01"),
                    fact(
                        Some("2022-01-01"),
                        "2022-12-31",
                        json!(90),
                        "10-K",
                        "2024-02-01",
                    ),
                ],
            ),
        ]);

        let company = normalize(&json).expect("normalize");

        assert_eq!(annual_income(&company).revenue, money("100"));
        let fy2022 = company
            .income
            .iter()
            .find(|s| s.period.fiscal_year == 2022)
            .expect("2022");
        assert_eq!(
            fy2022.items.revenue,
            money("90"),
            "falls back to the next tag"
        );
    }

    #[test]
    fn latest_filing_wins_and_only_10k_10q_forms_count() {
        let json = document(vec![(
            "NetIncomeLoss",
            "USD",
            vec![
                fact(FY.0, FY.1, json!(10), "10-K", "2024-02-01"),
                fact(FY.0, FY.1, json!(12), "10-K/A", "2024-06-01"),
                fact(FY.0, FY.1, json!(99), "8-K", "2024-09-01"),
            ],
        )]);

        let company = normalize(&json).expect("normalize");

        let statement = &company.income[0];
        assert_eq!(statement.items.net_income, money("12"));
        assert_eq!(statement.period.form, "10-K/A");
        assert_eq!(statement.period.filed_at.to_string(), "2024-06-01");
    }

    #[test]
    fn a_later_rounded_restatement_keeps_the_precise_figure() {
        let json = document(vec![(
            "NetIncomeLoss",
            "USD",
            vec![
                fact(FY.0, FY.1, json!(8435800000_u64), "10-K", "2025-03-01"),
                fact(FY.0, FY.1, json!(8435804000_u64), "10-K", "2024-02-01"),
                fact(
                    Some("2022-01-01"),
                    "2022-12-31",
                    json!(5000000),
                    "10-K",
                    "2023-02-01",
                ),
                fact(
                    Some("2022-01-01"),
                    "2022-12-31",
                    json!(5100000),
                    "10-K/A",
                    "2023-06-01",
                ),
            ],
        )]);

        let company = normalize(&json).expect("normalize");

        assert_eq!(annual_income(&company).net_income, money("8435804000"));
        let fy2022 = company
            .income
            .iter()
            .find(|s| s.period.fiscal_year == 2022)
            .expect("2022");
        assert_eq!(
            fy2022.items.net_income,
            money("5100000"),
            "a real restatement wins"
        );
        assert!(is_rounding_of(
            Decimal::new(84358, 0) * Decimal::from(100_000),
            Decimal::from(8_435_804_000_u64)
        ));
        assert!(!is_rounding_of(
            Decimal::from(8_435_904_000_u64),
            Decimal::from(8_435_804_000_u64)
        ));
    }

    #[test]
    fn values_stay_exact_and_missing_items_stay_null() {
        let json = document(vec![
            (
                "Revenues",
                "USD",
                vec![fact(
                    FY.0,
                    FY.1,
                    json!(383285000000.01),
                    "10-K",
                    "2024-02-01",
                )],
            ),
            (
                "EarningsPerShareDiluted",
                "USD/shares",
                vec![fact(FY.0, FY.1, json!(6.13), "10-K", "2024-02-01")],
            ),
        ]);

        let items = normalize(&json).expect("normalize");
        let items = annual_income(&items);

        assert_eq!(items.revenue, money("383285000000.01"));
        assert_eq!(items.eps_diluted, money("6.13"));
        assert_eq!(items.net_income, None);
    }

    #[test]
    fn q4_is_fy_minus_nine_months_and_per_share_values_are_not_derived() {
        let q = |start, end, v| fact(Some(start), end, json!(v), "10-Q", "2023-11-01");
        let json = document(vec![
            (
                "Revenues",
                "USD",
                vec![
                    fact(FY.0, FY.1, json!(1000), "10-K", "2024-02-01"),
                    q("2023-01-01", "2023-03-31", 200),
                    q("2023-04-01", "2023-06-30", 250),
                    q("2023-07-01", "2023-09-30", 300),
                    q("2023-01-01", "2023-09-30", 750),
                ],
            ),
            (
                "EarningsPerShareDiluted",
                "USD/shares",
                vec![
                    fact(FY.0, FY.1, json!(4), "10-K", "2024-02-01"),
                    q("2023-01-01", "2023-09-30", 3),
                ],
            ),
        ]);

        let company = normalize(&json).expect("normalize");

        let q4 = company
            .income
            .iter()
            .find(|s| s.period.fiscal_period == FiscalPeriod::Q4)
            .expect("Q4");
        assert!(q4.period.derived);
        assert_eq!(q4.items.revenue, money("250"));
        assert_eq!(q4.items.eps_diluted, None);
        assert_eq!(
            q4.period.period_start.map(|d| d.to_string()).as_deref(),
            Some("2023-10-01")
        );
        let quarters: Vec<_> = company
            .income
            .iter()
            .filter(|s| s.period.fiscal_period != FiscalPeriod::Fy)
            .map(|s| (s.period.fiscal_period, s.items.revenue, s.period.derived))
            .collect();
        assert_eq!(
            quarters,
            [
                (FiscalPeriod::Q1, money("200"), false),
                (FiscalPeriod::Q2, money("250"), false),
                (FiscalPeriod::Q3, money("300"), false),
                (FiscalPeriod::Q4, money("250"), true),
            ]
        );
    }

    #[test]
    fn cash_flow_quarters_come_from_year_to_date_differences() {
        let ytd = |end, v, form| fact(Some("2023-01-01"), end, json!(v), form, "2024-02-01");
        let json = document(vec![
            (
                "NetCashProvidedByUsedInOperatingActivities",
                "USD",
                vec![
                    ytd("2023-03-31", 10, "10-Q"),
                    ytd("2023-06-30", 25, "10-Q"),
                    ytd("2023-09-30", 45, "10-Q"),
                    ytd("2023-12-31", 70, "10-K"),
                ],
            ),
            (
                "PaymentsToAcquirePropertyPlantAndEquipment",
                "USD",
                vec![ytd("2023-03-31", 1, "10-Q"), ytd("2023-12-31", 8, "10-K")],
            ),
        ]);

        let company = normalize(&json).expect("normalize");

        let flows: Vec<_> = company
            .cash_flow
            .iter()
            .map(|s| {
                (
                    s.period.fiscal_period,
                    s.items.operating_cash_flow,
                    s.items.free_cash_flow,
                    s.period.derived,
                )
            })
            .collect();
        assert_eq!(
            flows,
            [
                (FiscalPeriod::Fy, money("70"), money("62"), false),
                (FiscalPeriod::Q1, money("10"), money("9"), false),
                (FiscalPeriod::Q2, money("15"), None, true),
                (FiscalPeriod::Q3, money("20"), None, true),
                (FiscalPeriod::Q4, money("25"), None, true),
            ]
        );
    }

    #[test]
    fn balance_sheets_are_instants_at_period_ends() {
        let json = document(vec![
            (
                "Revenues",
                "USD",
                vec![fact(FY.0, FY.1, json!(1), "10-K", "2024-02-01")],
            ),
            (
                "Assets",
                "USD",
                vec![
                    fact(None, "2023-12-31", json!(500), "10-K", "2024-02-01"),
                    fact(None, "2023-11-15", json!(1), "10-K", "2024-02-01"),
                ],
            ),
        ]);

        let company = normalize(&json).expect("normalize");

        let balances: Vec<_> = company
            .balance
            .iter()
            .map(|s| {
                (
                    s.period.fiscal_period,
                    s.period.period_start,
                    s.items.total_assets,
                )
            })
            .collect();
        assert_eq!(
            balances,
            [
                (FiscalPeriod::Fy, None, money("500")),
                (FiscalPeriod::Q4, None, money("500")),
            ]
        );
    }

    #[test]
    fn documents_without_us_gaap_or_annual_figures_are_rejected() {
        let ifrs = json!({ "cik": "0001997711", "entityName": "X", "facts": { "dei": {}, "ifrs-full": {} } });
        let error = normalize(&ifrs.to_string()).expect_err("IFRS is unsupported");
        assert_eq!(
            error.to_string(),
            "no us-gaap facts (taxonomies present: dei, ifrs-full); only us-gaap filers are supported"
        );

        let quarterly_only = document(vec![(
            "Revenues",
            "USD",
            vec![fact(
                Some("2023-01-01"),
                "2023-03-31",
                json!(1),
                "10-Q",
                "2023-05-01",
            )],
        )]);
        assert!(matches!(
            normalize(&quarterly_only),
            Err(NormalizeError::NoAnnualPeriods)
        ));

        assert!(matches!(
            normalize("{\"cik\": 1, \"facts\""),
            Err(NormalizeError::Facts(_))
        ));
    }
}
