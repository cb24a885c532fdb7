//! A company's statements of one period kind, newest first, with the TTM windows built from
//! its quarters. Every row has a `PeriodKey`, so a metric finds the same period in another
//! statement kind, the year before, or the quarter before.

use std::borrow::Cow;
use std::collections::HashMap;

use async_graphql::SimpleObject;
use chrono::Days;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::domain::{
    BalanceSheetItems, CashFlowItems, Date, EPS_SCALE, FiscalPeriod, IncomeStatementItems, Money,
    PeriodKind, Statement, StatementPeriod,
};

/// A row's identity within a company and period kind: its fiscal year and period; for a TTM
/// window, those of its last quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeriodKey {
    pub fiscal_year: i32,
    pub fiscal_period: FiscalPeriod,
}

impl PeriodKey {
    pub fn of(period: &StatementPeriod) -> Self {
        Self {
            fiscal_year: period.fiscal_year,
            fiscal_period: period.fiscal_period,
        }
    }

    /// The same period of the fiscal year before.
    pub fn year_ago(self) -> Self {
        Self {
            fiscal_year: self.fiscal_year - 1,
            ..self
        }
    }

    /// The quarter before a quarter (Q1's is the previous year's Q4); `None` for a year.
    pub fn quarter_ago(self) -> Option<Self> {
        let index = self.fiscal_period.quarter_index()?;
        Some(match index.checked_sub(1) {
            Some(previous) => Self {
                fiscal_period: FiscalPeriod::QUARTERS[previous],
                ..self
            },
            None => Self {
                fiscal_year: self.fiscal_year - 1,
                fiscal_period: FiscalPeriod::Q4,
            },
        })
    }
}

/// One of the quarters a TTM statement sums.
#[derive(Debug, Clone, PartialEq, SimpleObject)]
pub struct QuarterRef {
    pub fiscal_year: i32,
    pub fiscal_period: FiscalPeriod,
    /// Null for balance sheets, which are as of `periodEnd`.
    pub period_start: Option<Date>,
    pub period_end: Date,
}

impl QuarterRef {
    fn of(period: &StatementPeriod) -> Self {
        Self {
            fiscal_year: period.fiscal_year,
            fiscal_period: period.fiscal_period,
            period_start: period.period_start.map(Date),
            period_end: Date(period.period_end),
        }
    }
}

/// One row of a series: a stored statement (borrowed), or a TTM window.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesRow<'a, Items: Clone> {
    pub key: PeriodKey,
    pub statement: Cow<'a, Statement<Items>>,
    /// The quarters of a TTM window, oldest first; empty for stored statements.
    pub quarters: Vec<QuarterRef>,
}

/// How a statement kind's quarters combine into trailing twelve months.
pub trait Periodic: Sized + Clone {
    /// How many consecutive quarters one window takes.
    const WINDOW: usize = 4;

    /// The TTM items of `quarters` (oldest first, `WINDOW` of them). `annual` is the fiscal
    /// year that ends with the last quarter, when that quarter is a Q4.
    fn trailing(quarters: &[&Statement<Self>], annual: Option<&Statement<Self>>) -> Self;
}

/// The statements of `kind`, newest first. `statements` is a company's statements of one
/// kind, newest first, as the loaders return them.
pub fn series<Items: Periodic>(
    statements: &[Statement<Items>],
    kind: PeriodKind,
) -> Vec<SeriesRow<'_, Items>> {
    match kind {
        PeriodKind::Annual | PeriodKind::Quarterly => statements
            .iter()
            .filter(|s| kind.fiscal_periods().contains(&s.period.fiscal_period))
            .map(|statement| SeriesRow {
                key: PeriodKey::of(&statement.period),
                statement: Cow::Borrowed(statement),
                quarters: Vec::new(),
            })
            .collect(),
        PeriodKind::Ttm => {
            let quarters = Quarters::of(statements);
            quarters
                .chronological
                .windows(Items::WINDOW)
                .rev()
                .filter_map(|window| quarters.window(window))
                .collect()
        }
    }
}

/// The row of `kind` identified by `key`, if the statements have it.
pub fn row_at<Items: Periodic>(
    statements: &[Statement<Items>],
    kind: PeriodKind,
    key: PeriodKey,
) -> Option<SeriesRow<'_, Items>> {
    match kind {
        PeriodKind::Annual | PeriodKind::Quarterly => statements
            .iter()
            .find(|s| PeriodKey::of(&s.period) == key)
            .filter(|s| kind.fiscal_periods().contains(&s.period.fiscal_period))
            .map(|statement| SeriesRow {
                key,
                statement: Cow::Borrowed(statement),
                quarters: Vec::new(),
            }),
        PeriodKind::Ttm => {
            let quarters = Quarters::of(statements);
            let last = quarters
                .chronological
                .iter()
                .position(|s| PeriodKey::of(&s.period) == key)?;
            let first = (last + 1).checked_sub(Items::WINDOW)?;
            quarters.window(&quarters.chronological[first..=last])
        }
    }
}

/// A company's quarters, oldest first, and its fiscal years by year.
struct Quarters<'a, Items> {
    chronological: Vec<&'a Statement<Items>>,
    annual: HashMap<i32, &'a Statement<Items>>,
}

impl<'a, Items: Periodic> Quarters<'a, Items> {
    fn of(statements: &'a [Statement<Items>]) -> Self {
        let mut chronological: Vec<_> = statements
            .iter()
            .filter(|s| s.period.fiscal_period.quarter_index().is_some())
            .collect();
        chronological.sort_by_key(|s| (s.period.fiscal_year, s.period.fiscal_period));
        let annual = statements
            .iter()
            .filter(|s| s.period.fiscal_period == FiscalPeriod::Fy)
            .map(|s| (s.period.fiscal_year, s))
            .collect();
        Self {
            chronological,
            annual,
        }
    }

    /// The TTM row of `window`, or `None` when its quarters are not consecutive.
    fn window(&self, window: &[&Statement<Items>]) -> Option<SeriesRow<'a, Items>> {
        let (first, last) = (window.first()?, window.last()?);
        let consecutive = window
            .windows(2)
            .all(|pair| follows(&pair[0].period, &pair[1].period));
        let one_currency = window
            .iter()
            .all(|s| s.period.currency == last.period.currency);
        if !consecutive || !one_currency {
            return None;
        }
        let annual = (last.period.fiscal_period == FiscalPeriod::Q4)
            .then(|| self.annual.get(&last.period.fiscal_year).copied())
            .flatten();
        let newest = window.iter().max_by_key(|s| s.period.filed_at)?;
        let mut period = StatementPeriod {
            fiscal_year: last.period.fiscal_year,
            fiscal_period: FiscalPeriod::Ttm,
            period_start: first.period.period_start,
            period_end: last.period.period_end,
            form: newest.period.form.clone(),
            filed_at: newest.period.filed_at,
            accession_number: newest.period.accession_number.clone(),
            currency: last.period.currency.clone(),
            derived: window.len() > 1 || last.period.derived,
            derived_items: String::new(),
        };
        for statement in window {
            for name in statement.period.derived_line_items() {
                period.mark_derived(name);
            }
        }
        Some(SeriesRow {
            key: PeriodKey::of(&last.period),
            statement: Cow::Owned(Statement {
                period,
                items: Items::trailing(window, annual),
            }),
            quarters: window.iter().map(|s| QuarterRef::of(&s.period)).collect(),
        })
    }
}

/// True when `later` is the fiscal quarter right after `earlier` and starts the day after it
/// ends (balances, which have no start: ends 80 to 100 days apart).
fn follows(earlier: &StatementPeriod, later: &StatementPeriod) -> bool {
    if PeriodKey::of(later).quarter_ago() != Some(PeriodKey::of(earlier)) {
        return false;
    }
    match later.period_start {
        Some(start) => earlier.period_end.checked_add_days(Days::new(1)) == Some(start),
        None => (80..=100).contains(&(later.period_end - earlier.period_end).num_days()),
    }
}

/// Σ of one line item over the quarters; `None` unless every quarter reports it.
fn sum<Items>(
    quarters: &[&Statement<Items>],
    item: impl Fn(&Items) -> Option<Money>,
) -> Option<Money> {
    quarters
        .iter()
        .try_fold(Decimal::ZERO, |total, s| {
            total.checked_add(item(&s.items)?.0)
        })
        .map(Money)
}

impl Periodic for IncomeStatementItems {
    /// Flows are summed. Shares are the latest quarter's (the fiscal year's for a Q4, whose
    /// shares are never derived), on the current basis; EPS = TTM net income ÷ those shares.
    fn trailing(quarters: &[&Statement<Self>], annual: Option<&Statement<Self>>) -> Self {
        let last = quarters.last().map(|s| s.items.per_share());
        let from_year = annual.map(|s| s.items.per_share());
        let basic = last
            .and_then(|p| p.weighted_average_shares_basic)
            .or(from_year.and_then(|p| p.weighted_average_shares_basic));
        let diluted = last
            .and_then(|p| p.weighted_average_shares_diluted)
            .or(from_year.and_then(|p| p.weighted_average_shares_diluted));
        let net_income = sum(quarters, |i| i.net_income);
        let eps = |shares: Option<crate::domain::ShareCount>| {
            let shares = Decimal::from(shares?.0);
            let eps = net_income?.0.checked_div(shares)?;
            Some(Money(eps.round_dp_with_strategy(
                EPS_SCALE,
                RoundingStrategy::MidpointAwayFromZero,
            )))
        };
        Self {
            revenue: sum(quarters, |i| i.revenue),
            cost_of_revenue: sum(quarters, |i| i.cost_of_revenue),
            gross_profit: sum(quarters, |i| i.gross_profit),
            research_and_development: sum(quarters, |i| i.research_and_development),
            selling_and_marketing: sum(quarters, |i| i.selling_and_marketing),
            general_and_administrative: sum(quarters, |i| i.general_and_administrative),
            selling_general_and_administrative: sum(quarters, |i| {
                i.selling_general_and_administrative
            }),
            operating_expenses: sum(quarters, |i| i.operating_expenses),
            operating_income: sum(quarters, |i| i.operating_income),
            interest_expense: sum(quarters, |i| i.interest_expense),
            income_before_tax: sum(quarters, |i| i.income_before_tax),
            income_tax_expense: sum(quarters, |i| i.income_tax_expense),
            net_income,
            eps_basic: eps(basic),
            eps_diluted: eps(diluted),
            weighted_average_shares_basic: basic,
            weighted_average_shares_diluted: diluted,
            share_split_factor: Money(Decimal::ONE),
        }
    }
}

impl Periodic for CashFlowItems {
    /// Every flow is summed; free cash flow is recomputed from the sums.
    fn trailing(quarters: &[&Statement<Self>], _annual: Option<&Statement<Self>>) -> Self {
        let mut items = Self {
            net_income: sum(quarters, |i| i.net_income),
            depreciation_and_amortization: sum(quarters, |i| i.depreciation_and_amortization),
            stock_based_compensation: sum(quarters, |i| i.stock_based_compensation),
            operating_cash_flow: sum(quarters, |i| i.operating_cash_flow),
            capital_expenditure: sum(quarters, |i| i.capital_expenditure),
            investing_cash_flow: sum(quarters, |i| i.investing_cash_flow),
            financing_cash_flow: sum(quarters, |i| i.financing_cash_flow),
            dividends_paid: sum(quarters, |i| i.dividends_paid),
            share_repurchases: sum(quarters, |i| i.share_repurchases),
            net_change_in_cash: sum(quarters, |i| i.net_change_in_cash),
            free_cash_flow: None,
        };
        items.compute_free_cash_flow();
        items
    }
}

impl Periodic for BalanceSheetItems {
    /// A balance is as of a date: the latest quarter's.
    const WINDOW: usize = 1;

    fn trailing(quarters: &[&Statement<Self>], _annual: Option<&Statement<Self>>) -> Self {
        quarters.last().map(|s| s.items.clone()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money;

    fn quarter(
        year: i32,
        index: usize,
        start: &str,
        end: &str,
        revenue: &str,
    ) -> Statement<IncomeStatementItems> {
        Statement {
            period: StatementPeriod {
                fiscal_year: year,
                fiscal_period: FiscalPeriod::QUARTERS[index],
                period_start: Some(start.parse().expect("date")),
                period_end: end.parse().expect("date"),
                form: "10-Q".into(),
                filed_at: end.parse().expect("date"),
                accession_number: format!("a-{year}-{index}"),
                currency: "USD".into(),
                derived: false,
                derived_items: String::new(),
            },
            items: IncomeStatementItems {
                revenue: money(revenue),
                net_income: money("10"),
                weighted_average_shares_diluted: Some(crate::domain::ShareCount(3)),
                ..Default::default()
            },
        }
    }

    fn five_quarters() -> Vec<Statement<IncomeStatementItems>> {
        let mut quarters = vec![
            quarter(2023, 3, "2023-10-01", "2023-12-31", "40"),
            quarter(2024, 0, "2024-01-01", "2024-03-31", "1"),
            quarter(2024, 1, "2024-04-01", "2024-06-30", "2"),
            quarter(2024, 2, "2024-07-01", "2024-09-30", "3"),
            quarter(2024, 3, "2024-10-01", "2024-12-31", "4"),
        ];
        quarters.reverse();
        quarters
    }

    #[test]
    fn ttm_windows_roll_one_per_quarter_and_sum_four_quarters() {
        let quarters = five_quarters();
        let rows = series(&quarters, PeriodKind::Ttm);
        let revenue: Vec<_> = rows.iter().map(|r| r.statement.items.revenue).collect();
        assert_eq!(revenue, [money("10"), money("46")]);
        let newest = &rows[0];
        assert_eq!(newest.statement.period.fiscal_period, FiscalPeriod::Ttm);
        assert_eq!(
            newest
                .statement
                .period
                .period_start
                .map(|d| d.to_string())
                .as_deref(),
            Some("2024-01-01")
        );
        assert_eq!(newest.statement.period.period_end.to_string(), "2024-12-31");
        assert_eq!(newest.quarters.len(), 4);
        assert_eq!(newest.statement.items.eps_diluted, money("13.3333"));
        assert_eq!(
            row_at(
                &five_quarters(),
                PeriodKind::Ttm,
                newest.key.quarter_ago().expect("a quarter")
            ),
            Some(rows[1].clone())
        );
    }

    #[test]
    fn a_gap_or_a_missing_quarter_gives_no_window() {
        let mut gap = five_quarters();
        gap.remove(2); // Q2 2024
        assert!(series(&gap, PeriodKind::Ttm).is_empty());

        let mut shifted = five_quarters();
        shifted[0].period.period_start = Some("2024-10-02".parse().expect("date"));
        let rows = series(&shifted, PeriodKind::Ttm);
        assert_eq!(
            rows.len(),
            1,
            "the window ending with the shifted quarter is left out"
        );
        assert_eq!(rows[0].key.fiscal_period, FiscalPeriod::Q3);
    }

    #[test]
    fn a_line_item_missing_from_one_quarter_is_null() {
        let mut quarters = five_quarters();
        quarters[1].items.revenue = None;
        let rows = series(&quarters, PeriodKind::Ttm);
        assert_eq!(rows[0].statement.items.revenue, None);
        assert_eq!(rows[0].statement.items.net_income, money("40"));
    }
}
