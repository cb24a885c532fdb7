//! What FMP's statement endpoints are and how their fields map onto the standardized line
//! items: the two listings of each endpoint, the three statements, and per line item FMP's
//! field names (stable spelling first, then the legacy `/api/v3` ones) and how the number is
//! read.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::domain::{BalanceSheetItems, CashFlowItems, FiscalPeriod, IncomeStatementItems};
use crate::ingestion::line_items::{Slot, slot};

/// Which of a statement endpoint's two listings: FMP's `period=annual` or `period=quarter`.
#[derive(Debug, Clone, Copy)]
pub(super) enum Frequency {
    Annual,
    Quarterly,
}

impl Frequency {
    pub(super) const BOTH: [Frequency; 2] = [Frequency::Annual, Frequency::Quarterly];

    /// The `period` query value.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Annual => "annual",
            Self::Quarterly => "quarter",
        }
    }

    /// Twenty fiscal years of history, like a long run of 10-Ks and 10-Qs on EDGAR.
    pub(super) fn limit(self) -> &'static str {
        match self {
            Self::Annual => "20",
            Self::Quarterly => "80",
        }
    }
}

/// The three statements, with what sets them apart.
#[derive(Debug, Clone, Copy)]
pub(super) enum Kind {
    Income,
    BalanceSheet,
    CashFlow,
}

impl Kind {
    pub(super) fn endpoint(self) -> &'static str {
        match self {
            Self::Income => "income-statement",
            Self::BalanceSheet => "balance-sheet-statement",
            Self::CashFlow => "cash-flow-statement",
        }
    }

    /// Whether the figures were computed rather than reported, as the `sec` provider decides
    /// it: no filing reports a fourth quarter on its own, and 10-Qs report cash flows year to
    /// date, so FMP's three-month Q2–Q4 cash flows are differences. Balances are as filed.
    pub(super) fn derived(self, period: FiscalPeriod) -> bool {
        match self {
            Self::Income => period == FiscalPeriod::Q4,
            Self::BalanceSheet => false,
            Self::CashFlow => period != FiscalPeriod::Fy && period != FiscalPeriod::Q1,
        }
    }

    /// Income and cash flows cover a span; balance sheets are as of `period_end`.
    pub(super) fn spans_a_period(self) -> bool {
        !matches!(self, Self::BalanceSheet)
    }
}

/// How one of FMP's numbers becomes ours.
#[derive(Debug, Clone, Copy)]
pub(super) enum Reading {
    /// As FMP gives it.
    AsGiven,
    /// Cash paid, which FMP reports negative; stored positive, as SEC's `Payments…` tags.
    Outflow,
    /// A per-share amount, rounded to the four decimals its column keeps.
    PerShare,
}

impl Reading {
    pub(super) fn apply(self, value: Decimal) -> Decimal {
        match self {
            Self::AsGiven => value,
            Self::Outflow => Decimal::ZERO - value,
            Self::PerShare => {
                value.round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
            }
        }
    }
}

/// One standardized line item: FMP's field names for it, stable spelling first.
pub(super) struct Field<Items: 'static> {
    pub(super) keys: &'static [&'static str],
    pub(super) reading: Reading,
    pub(super) slot: fn(&mut Items) -> Slot<'_>,
}

macro_rules! fields {
    ($items:ty; $($field:ident: $reading:ident [$($key:literal),+ $(,)?]),+ $(,)?) => {
        &[$(Field {
            keys: &[$($key),+],
            reading: Reading::$reading,
            slot: slot!($items, $field),
        }),+]
    };
}

pub(super) static INCOME_STATEMENT: &[Field<IncomeStatementItems>] = fields![IncomeStatementItems;
    revenue: AsGiven ["revenue"],
    cost_of_revenue: AsGiven ["costOfRevenue"],
    gross_profit: AsGiven ["grossProfit"],
    research_and_development: AsGiven ["researchAndDevelopmentExpenses"],
    selling_general_and_administrative: AsGiven ["sellingGeneralAndAdministrativeExpenses"],
    operating_expenses: AsGiven ["operatingExpenses"],
    operating_income: AsGiven ["operatingIncome"],
    interest_expense: AsGiven ["interestExpense"],
    income_before_tax: AsGiven ["incomeBeforeTax"],
    income_tax_expense: AsGiven ["incomeTaxExpense"],
    net_income: AsGiven ["netIncome"],
    eps_basic: PerShare ["eps"],
    eps_diluted: PerShare ["epsDiluted", "epsdiluted"],
    weighted_average_shares_basic: AsGiven ["weightedAverageShsOut"],
    weighted_average_shares_diluted: AsGiven ["weightedAverageShsOutDil"],
];

/// Receivables: trade receivables first, as SEC's `AccountsReceivableNetCurrent`; v3 answers
/// only have `netReceivables`, which adds other (e.g. vendor) receivables. Equity includes
/// minority interests first, as in `line_items`.
pub(super) static BALANCE_SHEET: &[Field<BalanceSheetItems>] = fields![BalanceSheetItems;
    cash_and_equivalents: AsGiven ["cashAndCashEquivalents"],
    short_term_investments: AsGiven ["shortTermInvestments"],
    accounts_receivable: AsGiven ["accountsReceivables", "netReceivables"],
    inventory: AsGiven ["inventory"],
    total_current_assets: AsGiven ["totalCurrentAssets"],
    property_plant_and_equipment_net: AsGiven ["propertyPlantEquipmentNet"],
    goodwill: AsGiven ["goodwill"],
    intangible_assets: AsGiven ["intangibleAssets"],
    total_assets: AsGiven ["totalAssets"],
    accounts_payable: AsGiven ["accountPayables"],
    short_term_debt: AsGiven ["shortTermDebt"],
    total_current_liabilities: AsGiven ["totalCurrentLiabilities"],
    long_term_debt: AsGiven ["longTermDebt"],
    total_liabilities: AsGiven ["totalLiabilities"],
    total_equity: AsGiven ["totalEquity", "totalStockholdersEquity"],
    retained_earnings: AsGiven ["retainedEarnings"],
    total_liabilities_and_equity: AsGiven [
        "totalLiabilitiesAndTotalEquity",
        "totalLiabilitiesAndStockholdersEquity",
    ],
];

/// `freeCashFlow` is not read: it is computed (see `CashFlowItems::compute_free_cash_flow`). Dividends are all
/// dividends paid (`netDividendsPaid`, SEC's `PaymentsOfDividends`) before common ones only.
pub(super) static CASH_FLOW: &[Field<CashFlowItems>] = fields![CashFlowItems;
    net_income: AsGiven ["netIncome"],
    depreciation_and_amortization: AsGiven ["depreciationAndAmortization"],
    stock_based_compensation: AsGiven ["stockBasedCompensation"],
    operating_cash_flow: AsGiven [
        "operatingCashFlow",
        "netCashProvidedByOperatingActivities",
        "netCashProvidedByOperatingActivites",
    ],
    capital_expenditure: Outflow ["capitalExpenditure", "investmentsInPropertyPlantAndEquipment"],
    investing_cash_flow: AsGiven [
        "netCashProvidedByInvestingActivities",
        "netCashUsedForInvestingActivites",
    ],
    financing_cash_flow: AsGiven [
        "netCashProvidedByFinancingActivities",
        "netCashUsedProvidedByFinancingActivities",
    ],
    dividends_paid: Outflow ["netDividendsPaid", "dividendsPaid", "commonDividendsPaid"],
    share_repurchases: Outflow ["commonStockRepurchased"],
    net_change_in_cash: AsGiven ["netChangeInCash"],
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_share_figures_round_and_outflows_flip_sign() {
        assert_eq!(
            Reading::PerShare
                .apply("5.850353243416827".parse().unwrap())
                .to_string(),
            "5.8504"
        );
        assert_eq!(Reading::Outflow.apply(Decimal::ZERO).to_string(), "0");
    }
}
