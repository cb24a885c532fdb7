//! The three standardized statements. Each is a `StatementPeriod` (which period, from which
//! filing) plus its line items. A line item the filing does not report is `None` (NULL in SQL,
//! null in GraphQL), never zero. Money and per-share values are exact `Money`; share counts
//! are whole numbers (`ShareCount`).
//!
//! The line-item structs are shared by the database layer (diesel derives, one column per
//! field) and the GraphQL layer (one field per column), so a line item is declared once.

use async_graphql::{Enum, SimpleObject};
use chrono::NaiveDate;
use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::{AsChangeset, Insertable, Queryable, Selectable};
use strum::{EnumString, IntoStaticStr};

use super::{Money, ShareCount};
use crate::schema::{balance_sheets, cash_flow_statements, income_statements};

/// The fiscal period a statement covers: the full fiscal year or one of its quarters.
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
}

impl FiscalPeriod {
    pub const QUARTERS: [FiscalPeriod; 4] = [Self::Q1, Self::Q2, Self::Q3, Self::Q4];
}

/// Which period a statement covers and the filing its figures come from.
#[derive(Debug, Clone, PartialEq, Queryable, SimpleObject)]
pub struct StatementPeriod {
    pub fiscal_year: i32,
    pub fiscal_period: FiscalPeriod,
    /// First day of the period; null for balance sheets, which are as of `periodEnd`.
    pub period_start: Option<NaiveDate>,
    pub period_end: NaiveDate,
    /// The SEC form the figures were taken from (10-K, 10-Q, 10-K/A, …).
    pub form: String,
    pub filed_at: NaiveDate,
    /// Accession number of the source filing on SEC EDGAR.
    pub accession_number: String,
    /// ISO 4217 code of the monetary line items.
    pub currency: String,
    /// True when figures were computed rather than reported (e.g. Q4 = FY − nine months).
    pub derived: bool,
}

#[derive(
    Debug, Clone, Default, PartialEq, Queryable, Selectable, Insertable, AsChangeset, SimpleObject,
)]
#[diesel(table_name = income_statements, treat_none_as_null = true)]
pub struct IncomeStatementItems {
    pub revenue: Option<Money>,
    pub cost_of_revenue: Option<Money>,
    pub gross_profit: Option<Money>,
    pub research_and_development: Option<Money>,
    pub selling_general_and_administrative: Option<Money>,
    pub operating_expenses: Option<Money>,
    pub operating_income: Option<Money>,
    pub interest_expense: Option<Money>,
    pub income_before_tax: Option<Money>,
    pub income_tax_expense: Option<Money>,
    pub net_income: Option<Money>,
    pub eps_basic: Option<Money>,
    pub eps_diluted: Option<Money>,
    pub weighted_average_shares_basic: Option<ShareCount>,
    pub weighted_average_shares_diluted: Option<ShareCount>,
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

/// Which statements to return: full fiscal years or fiscal quarters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum)]
#[graphql(name = "Period")]
pub enum PeriodKind {
    Annual,
    Quarterly,
}

impl PeriodKind {
    pub fn fiscal_periods(self) -> &'static [FiscalPeriod] {
        match self {
            Self::Annual => &[FiscalPeriod::Fy],
            Self::Quarterly => &FiscalPeriod::QUARTERS,
        }
    }
}

/// Which of a company's statements a caller wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatementFilter {
    pub period: PeriodKind,
    pub fiscal_year_from: Option<i32>,
    pub fiscal_year_to: Option<i32>,
    /// At most this many, newest first.
    pub last: usize,
}

impl StatementFilter {
    /// The statements that match, from `statements` sorted newest first.
    pub fn apply<'a, Items>(
        &self,
        statements: &'a [Statement<Items>],
    ) -> impl Iterator<Item = &'a Statement<Items>> {
        statements
            .iter()
            .filter(|s| {
                self.period
                    .fiscal_periods()
                    .contains(&s.period.fiscal_period)
            })
            .filter(|s| {
                self.fiscal_year_from
                    .is_none_or(|from| s.period.fiscal_year >= from)
            })
            .filter(|s| {
                self.fiscal_year_to
                    .is_none_or(|to| s.period.fiscal_year <= to)
            })
            .take(self.last)
    }
}

/// One statement: the period it covers and its line items.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement<Items> {
    pub period: StatementPeriod,
    pub items: Items,
}
