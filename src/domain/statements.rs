//! The three standardized statements. Each is a `StatementPeriod` (which period, from which
//! filing) plus its line items. A line item the filing does not report is `None` (NULL in SQL,
//! null in GraphQL), never zero. Money and per-share values are exact `Money`; share counts
//! are whole numbers (`ShareCount`).
//!
//! Per-share figures are stored as reported, with the split factor that puts them on the
//! current share basis; GraphQL serves them adjusted by default (EPS ÷ factor rounded to 4
//! decimals, half away from zero; share counts × factor rounded to whole shares) and as
//! reported under `asReported`.
//!
//! The line-item structs are shared by the database layer (diesel derives, one column per
//! field) and the GraphQL layer (one field per column), so a line item is declared once.

use async_graphql::{ComplexObject, Enum, SimpleObject};
use chrono::NaiveDate;
use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::{AsChangeset, Insertable, Queryable, Selectable};
use rust_decimal::{Decimal, RoundingStrategy};
use strum::{EnumString, IntoStaticStr};

use super::{Date, Money, Ratio, ShareCount};
use crate::schema::{balance_sheets, cash_flow_statements, income_statements};

/// The fiscal period a statement covers: the full fiscal year, one of its quarters, or the
/// trailing twelve months ending with a quarter (computed, never stored).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Enum,
    EnumString,
    IntoStaticStr,
    AsExpression,
    FromSqlRow,
)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum FiscalPeriod {
    Fy,
    Q1,
    Q2,
    Q3,
    Q4,
    Ttm,
}

impl FiscalPeriod {
    pub const QUARTERS: [FiscalPeriod; 4] = [Self::Q1, Self::Q2, Self::Q3, Self::Q4];

    /// 0 for Q1 … 3 for Q4; `None` for a year or TTM.
    pub fn quarter_index(self) -> Option<usize> {
        Self::QUARTERS.iter().position(|quarter| *quarter == self)
    }
}

/// Which period a statement covers and the filing its figures come from. Its days are shown
/// as the `Date` scalar (`calendar`), hence the resolvers below.
#[derive(Debug, Clone, PartialEq, Queryable, SimpleObject)]
#[graphql(complex)]
pub struct StatementPeriod {
    pub fiscal_year: i32,
    pub fiscal_period: FiscalPeriod,
    #[graphql(skip)]
    pub period_start: Option<NaiveDate>,
    #[graphql(skip)]
    pub period_end: NaiveDate,
    /// The SEC form the figures were taken from (10-K, 10-Q, 10-K/A, …).
    pub form: String,
    #[graphql(skip)]
    pub filed_at: NaiveDate,
    /// Accession number of the source filing on SEC EDGAR.
    pub accession_number: String,
    /// ISO 4217 code of the monetary line items.
    pub currency: String,
    /// True when the period's figures were computed rather than reported (Q4 = FY − nine
    /// months, quarterly cash flows from year-to-date differences, TTM sums).
    pub derived: bool,
    /// Line items computed from their reported parts (`derivedLineItems`), comma-separated.
    #[graphql(skip)]
    pub derived_items: String,
}

#[ComplexObject]
impl StatementPeriod {
    /// First day of the period; null for balance sheets, which are as of `periodEnd`.
    #[graphql(name = "periodStart")]
    async fn start_day(&self) -> Option<Date> {
        self.period_start.map(Date)
    }

    #[graphql(name = "periodEnd")]
    async fn end_day(&self) -> Date {
        Date(self.period_end)
    }

    /// When the source filing was filed with the SEC.
    #[graphql(name = "filedAt")]
    async fn filing_day(&self) -> Date {
        Date(self.filed_at)
    }
}

impl StatementPeriod {
    /// The GraphQL names of the line items computed from their reported parts.
    pub fn derived_line_items(&self) -> impl Iterator<Item = &str> {
        self.derived_items
            .split(',')
            .filter(|name| !name.is_empty())
    }

    /// Marks line item `name` (its GraphQL name) as computed from its parts.
    pub fn mark_derived(&mut self, name: &str) {
        if self.derived_line_items().any(|derived| derived == name) {
            return;
        }
        if !self.derived_items.is_empty() {
            self.derived_items.push(',');
        }
        self.derived_items.push_str(name);
    }
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset, SimpleObject)]
#[diesel(table_name = income_statements, treat_none_as_null = true)]
#[graphql(complex)]
pub struct IncomeStatementItems {
    pub revenue: Option<Money>,
    pub cost_of_revenue: Option<Money>,
    /// Reported, or revenue − cost of revenue (then listed in `derivedLineItems`).
    pub gross_profit: Option<Money>,
    pub research_and_development: Option<Money>,
    pub selling_and_marketing: Option<Money>,
    pub general_and_administrative: Option<Money>,
    /// Reported, or selling and marketing + general and administrative (then listed in
    /// `derivedLineItems`).
    pub selling_general_and_administrative: Option<Money>,
    /// Reported, or gross profit − operating income: every operating cost below gross profit
    /// (then listed in `derivedLineItems`).
    pub operating_expenses: Option<Money>,
    pub operating_income: Option<Money>,
    pub interest_expense: Option<Money>,
    pub income_before_tax: Option<Money>,
    pub income_tax_expense: Option<Money>,
    pub net_income: Option<Money>,
    #[graphql(skip)]
    pub eps_basic: Option<Money>,
    #[graphql(skip)]
    pub eps_diluted: Option<Money>,
    #[graphql(skip)]
    pub weighted_average_shares_basic: Option<ShareCount>,
    #[graphql(skip)]
    pub weighted_average_shares_diluted: Option<ShareCount>,
    /// How many of today's shares one share was when these figures were filed: the product of
    /// the stock splits since (Apple's FY2010: 28, for 7:1 in 2014 and 4:1 in 2020). 1 when
    /// no split happened since. Detected from the filings themselves.
    pub share_split_factor: Ratio,
}

impl Default for IncomeStatementItems {
    fn default() -> Self {
        Self {
            revenue: None,
            cost_of_revenue: None,
            gross_profit: None,
            research_and_development: None,
            selling_and_marketing: None,
            general_and_administrative: None,
            selling_general_and_administrative: None,
            operating_expenses: None,
            operating_income: None,
            interest_expense: None,
            income_before_tax: None,
            income_tax_expense: None,
            net_income: None,
            eps_basic: None,
            eps_diluted: None,
            weighted_average_shares_basic: None,
            weighted_average_shares_diluted: None,
            share_split_factor: Money(Decimal::ONE),
        }
    }
}

/// Decimal places of split-adjusted EPS.
pub const EPS_SCALE: u32 = 4;

/// Per-share figures of one income statement, on one share basis.
#[derive(Debug, Clone, Copy, PartialEq, SimpleObject)]
pub struct PerShareFigures {
    pub eps_basic: Option<Money>,
    pub eps_diluted: Option<Money>,
    pub weighted_average_shares_basic: Option<ShareCount>,
    pub weighted_average_shares_diluted: Option<ShareCount>,
}

impl IncomeStatementItems {
    /// The per-share figures as the filing reported them.
    pub fn reported_per_share(&self) -> PerShareFigures {
        PerShareFigures {
            eps_basic: self.eps_basic,
            eps_diluted: self.eps_diluted,
            weighted_average_shares_basic: self.weighted_average_shares_basic,
            weighted_average_shares_diluted: self.weighted_average_shares_diluted,
        }
    }

    /// The per-share figures on the current share basis: EPS ÷ factor rounded to
    /// `EPS_SCALE` decimals, share counts × factor rounded to whole shares (both half away
    /// from zero). `None` where unreported, or where the result leaves the stored range.
    pub fn per_share(&self) -> PerShareFigures {
        let factor = self.share_split_factor.0;
        if factor == Decimal::ONE {
            return self.reported_per_share();
        }
        let eps = |eps: Option<Money>| {
            let adjusted = eps?.0.checked_div(factor)?;
            Some(Money(adjusted.round_dp_with_strategy(
                EPS_SCALE,
                RoundingStrategy::MidpointAwayFromZero,
            )))
        };
        let shares = |shares: Option<ShareCount>| {
            let adjusted = Decimal::from(shares?.0).checked_mul(factor)?;
            let whole = adjusted.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
            i64::try_from(whole).ok().map(ShareCount)
        };
        PerShareFigures {
            eps_basic: eps(self.eps_basic),
            eps_diluted: eps(self.eps_diluted),
            weighted_average_shares_basic: shares(self.weighted_average_shares_basic),
            weighted_average_shares_diluted: shares(self.weighted_average_shares_diluted),
        }
    }
}

/// Per-share figures: adjusted to the current share basis unless `asReported` is asked for.
#[ComplexObject]
impl IncomeStatementItems {
    /// Basic EPS on the current share basis (reported EPS ÷ `shareSplitFactor`, 4 decimals).
    async fn eps_basic(&self) -> Option<Money> {
        self.per_share().eps_basic
    }

    /// Diluted EPS on the current share basis (reported EPS ÷ `shareSplitFactor`, 4 decimals).
    async fn eps_diluted(&self) -> Option<Money> {
        self.per_share().eps_diluted
    }

    /// On the current share basis (reported × `shareSplitFactor`, whole shares).
    async fn weighted_average_shares_basic(&self) -> Option<ShareCount> {
        self.per_share().weighted_average_shares_basic
    }

    /// On the current share basis (reported × `shareSplitFactor`, whole shares).
    async fn weighted_average_shares_diluted(&self) -> Option<ShareCount> {
        self.per_share().weighted_average_shares_diluted
    }

    /// True when the per-share figures above differ from the filing's because of a later
    /// stock split (`shareSplitFactor` ≠ 1).
    async fn split_adjusted(&self) -> bool {
        self.share_split_factor.0 != Decimal::ONE
    }

    /// The per-share figures exactly as the filing reported them, on the share basis of its
    /// day.
    async fn as_reported(&self) -> PerShareFigures {
        self.reported_per_share()
    }
}

#[derive(
    Debug, Clone, Default, PartialEq, Queryable, Selectable, Insertable, AsChangeset, SimpleObject,
)]
#[diesel(table_name = balance_sheets, treat_none_as_null = true)]
pub struct BalanceSheetItems {
    pub cash_and_equivalents: Option<Money>,
    pub short_term_investments: Option<Money>,
    pub accounts_receivable: Option<Money>,
    pub inventory: Option<Money>,
    pub total_current_assets: Option<Money>,
    pub property_plant_and_equipment_net: Option<Money>,
    pub goodwill: Option<Money>,
    pub intangible_assets: Option<Money>,
    pub total_assets: Option<Money>,
    pub accounts_payable: Option<Money>,
    pub short_term_debt: Option<Money>,
    pub total_current_liabilities: Option<Money>,
    pub long_term_debt: Option<Money>,
    pub total_liabilities: Option<Money>,
    pub total_equity: Option<Money>,
    pub retained_earnings: Option<Money>,
    pub total_liabilities_and_equity: Option<Money>,
}

#[derive(
    Debug, Clone, Default, PartialEq, Queryable, Selectable, Insertable, AsChangeset, SimpleObject,
)]
#[diesel(table_name = cash_flow_statements, treat_none_as_null = true)]
pub struct CashFlowItems {
    pub net_income: Option<Money>,
    pub depreciation_and_amortization: Option<Money>,
    pub stock_based_compensation: Option<Money>,
    pub operating_cash_flow: Option<Money>,
    pub capital_expenditure: Option<Money>,
    pub investing_cash_flow: Option<Money>,
    pub financing_cash_flow: Option<Money>,
    pub dividends_paid: Option<Money>,
    pub share_repurchases: Option<Money>,
    pub net_change_in_cash: Option<Money>,
    /// Operating cash flow − capital expenditure; always computed, never reported.
    pub free_cash_flow: Option<Money>,
}

impl CashFlowItems {
    /// Sets `free_cash_flow` = operating cash flow − capital expenditure; `None` when either
    /// is unreported (or the difference does not fit a decimal, which no real filing reaches).
    pub fn compute_free_cash_flow(&mut self) {
        self.free_cash_flow = match (self.operating_cash_flow, self.capital_expenditure) {
            (Some(operating), Some(capex)) => operating.0.checked_sub(capex.0).map(Money),
            _ => None,
        };
    }
}

/// Which statements to return: full fiscal years, fiscal quarters, or trailing twelve months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum)]
#[graphql(name = "Period")]
pub enum PeriodKind {
    Annual,
    Quarterly,
    /// Trailing twelve months, one window per fiscal quarter end (rolling), newest first.
    /// Income and cash flow: the sum of four consecutive fiscal quarters (reported Q1–Q3 and
    /// the derived Q4), each line item null unless all four report it; EPS = TTM net income ÷
    /// the latest quarter's weighted average shares (the fiscal year's when the window ends
    /// with Q4), on the current share basis, 4 decimals. Balance sheet: the latest quarter's
    /// instant. A window whose quarters are missing or not consecutive is left out.
    Ttm,
}

impl PeriodKind {
    /// The stored fiscal periods this kind is made of.
    pub fn fiscal_periods(self) -> &'static [FiscalPeriod] {
        match self {
            Self::Annual => &[FiscalPeriod::Fy],
            Self::Quarterly | Self::Ttm => &FiscalPeriod::QUARTERS,
        }
    }
}

/// Which of a company's statements a caller wants, of those of one `PeriodKind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatementFilter {
    pub fiscal_year_from: Option<i32>,
    pub fiscal_year_to: Option<i32>,
    /// At most this many, newest first.
    pub last: usize,
}

impl StatementFilter {
    /// The rows that match, from `rows` sorted newest first; `period` says which period a row
    /// covers.
    pub fn apply<'a, Row>(
        &self,
        rows: &'a [Row],
        period: impl Fn(&Row) -> &StatementPeriod,
    ) -> impl Iterator<Item = &'a Row> {
        rows.iter()
            .filter(move |row| {
                let year = period(row).fiscal_year;
                self.fiscal_year_from.is_none_or(|from| year >= from)
                    && self.fiscal_year_to.is_none_or(|to| year <= to)
            })
            .take(self.last)
    }
}

/// Which of a company's stored statements of one kind a request reads. A request whose
/// every selection of the kind asks for the same periods reads only those (`Newest`, pushed
/// into SQL); any other request reads them all and filters in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatementWindow {
    #[default]
    All,
    /// The `filter`'s statements of a stored period kind (annual or quarterly, never TTM).
    Newest {
        period: PeriodKind,
        filter: StatementFilter,
    },
}

impl StatementWindow {
    /// True when a statement field asking for `period` and `filter` finds every row it
    /// shows among the rows this window reads.
    pub fn covers(&self, period: PeriodKind, filter: &StatementFilter) -> bool {
        match self {
            Self::All => true,
            Self::Newest {
                period: read,
                filter: read_filter,
            } => *read == period && read_filter == filter,
        }
    }
}

/// One statement: the period it covers and its line items.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement<Items> {
    pub period: StatementPeriod,
    pub items: Items,
}
