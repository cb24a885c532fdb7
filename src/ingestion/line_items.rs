//! Which us-gaap tags feed each standardized line item, in priority order: for each period,
//! the first tag with a value for that exact period wins. This file is the one place to read
//! or change the mapping. Outflows (capital expenditure, dividends, buybacks) are positive, as
//! filed; `freeCashFlow` is computed (operating cash flow − capital expenditure), not mapped.
//!
//! Below the tag lists, `INCOME_TOTALS`: totals computed from their parts when a filer
//! reports the parts but not the total, so companies compare line by line.

use heck::ToLowerCamelCase;

use crate::domain::{
    BalanceSheetItems, CashFlowItems, IncomeStatementItems, Money, Ratio, ShareCount, Statement,
};

/// What normalization needs of a statement's items beyond their line items.
pub trait StatementItems: Default {
    /// Where the items keep the split factor of their per-share figures, if they have any.
    fn share_split_factor(&mut self) -> Option<&mut Ratio> {
        None
    }
}

impl StatementItems for IncomeStatementItems {
    fn share_split_factor(&mut self) -> Option<&mut Ratio> {
        Some(&mut self.share_split_factor)
    }
}

impl StatementItems for BalanceSheetItems {}

impl StatementItems for CashFlowItems {}

/// How a line item behaves over time, which decides how quarters are derived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// An amount over a period: quarters may be derived by subtracting year-to-date figures.
    Flow,
    /// A balance at a date.
    Instant,
    /// Per-share amount over a period: never derived by subtraction.
    PerShare,
    /// Share count over a period: never derived by subtraction.
    Shares,
}

/// Where a line item's value goes in its statement struct.
pub enum Slot<'a> {
    Money(&'a mut Option<Money>),
    Shares(&'a mut Option<ShareCount>),
}

impl<'a> From<&'a mut Option<Money>> for Slot<'a> {
    fn from(field: &'a mut Option<Money>) -> Self {
        Self::Money(field)
    }
}

impl<'a> From<&'a mut Option<ShareCount>> for Slot<'a> {
    fn from(field: &'a mut Option<ShareCount>) -> Self {
        Self::Shares(field)
    }
}

/// A mapping table row's accessor: the `fn(&mut $items) -> Slot` of `$field`. One macro for
/// SEC's `line_items!` and FMP's `fields!`, whose rows both point into a statement struct.
macro_rules! slot {
    ($items:ty, $field:ident) => {{
        fn slot(items: &mut $items) -> $crate::ingestion::line_items::Slot<'_> {
            $crate::ingestion::line_items::Slot::from(&mut items.$field)
        }
        slot
    }};
}
pub(crate) use slot;

pub struct LineItem<Items: 'static> {
    pub name: &'static str,
    pub tags: &'static [&'static str],
    pub measure: Measure,
    pub slot: fn(&mut Items) -> Slot<'_>,
}

macro_rules! line_items {
    ($items:ty; $($field:ident: $measure:ident [$($tag:literal),+ $(,)?]),+ $(,)?) => {
        &[$(LineItem {
            name: stringify!($field),
            tags: &[$($tag),+],
            measure: Measure::$measure,
            slot: slot!($items, $field),
        }),+]
    };
}

pub static INCOME_STATEMENT: &[LineItem<IncomeStatementItems>] = line_items![IncomeStatementItems;
    revenue: Flow [
        "Revenues",
        "RevenueFromContractWithCustomerExcludingAssessedTax",
        "RevenueFromContractWithCustomerIncludingAssessedTax",
        "SalesRevenueNet",
        "SalesRevenueGoodsNet",
        "SalesRevenueServicesNet",
    ],
    cost_of_revenue: Flow [
        "CostOfRevenue",
        "CostOfGoodsAndServicesSold",
        "CostOfGoodsSold",
        "CostOfServices",
    ],
    gross_profit: Flow ["GrossProfit"],
    research_and_development: Flow [
        "ResearchAndDevelopmentExpense",
        "ResearchAndDevelopmentExpenseExcludingAcquiredInProcessCost",
    ],
    selling_and_marketing: Flow ["SellingAndMarketingExpense"],
    general_and_administrative: Flow ["GeneralAndAdministrativeExpense"],
    selling_general_and_administrative: Flow ["SellingGeneralAndAdministrativeExpense"],
    operating_expenses: Flow ["OperatingExpenses"],
    operating_income: Flow ["OperatingIncomeLoss"],
    interest_expense: Flow ["InterestExpense", "InterestExpenseNonoperating", "InterestExpenseDebt"],
    income_before_tax: Flow [
        "IncomeLossFromContinuingOperationsBeforeIncomeTaxesExtraordinaryItemsNoncontrollingInterest",
        "IncomeLossFromContinuingOperationsBeforeIncomeTaxesMinorityInterestAndIncomeLossFromEquityMethodInvestments",
    ],
    income_tax_expense: Flow ["IncomeTaxExpenseBenefit"],
    net_income: Flow ["NetIncomeLoss", "ProfitLoss"],
    eps_basic: PerShare ["EarningsPerShareBasic", "EarningsPerShareBasicAndDiluted"],
    eps_diluted: PerShare ["EarningsPerShareDiluted", "EarningsPerShareBasicAndDiluted"],
    weighted_average_shares_basic: Shares [
        "WeightedAverageNumberOfSharesOutstandingBasic",
        "WeightedAverageNumberOfShareOutstandingBasicAndDiluted",
    ],
    weighted_average_shares_diluted: Shares [
        "WeightedAverageNumberOfDilutedSharesOutstanding",
        "WeightedAverageNumberOfShareOutstandingBasicAndDiluted",
    ],
];

pub static BALANCE_SHEET: &[LineItem<BalanceSheetItems>] = line_items![BalanceSheetItems;
    cash_and_equivalents: Instant ["CashAndCashEquivalentsAtCarryingValue", "Cash"],
    short_term_investments: Instant [
        "ShortTermInvestments",
        "MarketableSecuritiesCurrent",
        "AvailableForSaleSecuritiesDebtSecuritiesCurrent",
    ],
    accounts_receivable: Instant ["AccountsReceivableNetCurrent", "ReceivablesNetCurrent"],
    inventory: Instant ["InventoryNet"],
    total_current_assets: Instant ["AssetsCurrent"],
    property_plant_and_equipment_net: Instant ["PropertyPlantAndEquipmentNet"],
    goodwill: Instant ["Goodwill"],
    intangible_assets: Instant ["IntangibleAssetsNetExcludingGoodwill", "FiniteLivedIntangibleAssetsNet"],
    total_assets: Instant ["Assets"],
    accounts_payable: Instant ["AccountsPayableCurrent"],
    short_term_debt: Instant ["DebtCurrent", "ShortTermBorrowings", "LongTermDebtCurrent"],
    total_current_liabilities: Instant ["LiabilitiesCurrent"],
    long_term_debt: Instant ["LongTermDebtNoncurrent", "LongTermDebtAndCapitalLeaseObligations"],
    total_liabilities: Instant ["Liabilities"],
    total_equity: Instant [
        "StockholdersEquityIncludingPortionAttributableToNoncontrollingInterest",
        "StockholdersEquity",
    ],
    retained_earnings: Instant ["RetainedEarningsAccumulatedDeficit"],
    total_liabilities_and_equity: Instant ["LiabilitiesAndStockholdersEquity"],
];

pub static CASH_FLOW: &[LineItem<CashFlowItems>] = line_items![CashFlowItems;
    net_income: Flow ["NetIncomeLoss", "ProfitLoss"],
    depreciation_and_amortization: Flow [
        "DepreciationDepletionAndAmortization",
        "DepreciationAmortizationAndAccretionNet",
        "DepreciationAndAmortization",
        "Depreciation",
    ],
    stock_based_compensation: Flow ["ShareBasedCompensation", "AllocatedShareBasedCompensationExpense"],
    operating_cash_flow: Flow [
        "NetCashProvidedByUsedInOperatingActivities",
        "NetCashProvidedByUsedInOperatingActivitiesContinuingOperations",
    ],
    capital_expenditure: Flow ["PaymentsToAcquirePropertyPlantAndEquipment", "PaymentsToAcquireProductiveAssets"],
    investing_cash_flow: Flow [
        "NetCashProvidedByUsedInInvestingActivities",
        "NetCashProvidedByUsedInInvestingActivitiesContinuingOperations",
    ],
    financing_cash_flow: Flow [
        "NetCashProvidedByUsedInFinancingActivities",
        "NetCashProvidedByUsedInFinancingActivitiesContinuingOperations",
    ],
    dividends_paid: Flow ["PaymentsOfDividends", "PaymentsOfDividendsCommonStock"],
    share_repurchases: Flow ["PaymentsForRepurchaseOfCommonStock"],
    net_change_in_cash: Flow [
        "CashCashEquivalentsRestrictedCashAndRestrictedCashEquivalentsPeriodIncreaseDecreaseIncludingExchangeRateEffect",
        "CashAndCashEquivalentsPeriodIncreaseDecrease",
        "CashCashEquivalentsRestrictedCashAndRestrictedCashEquivalentsPeriodIncreaseDecreaseExcludingExchangeRateEffect",
    ],
];

/// A total and the parts it equals: `target` = Σ `parts` with their signs.
pub struct Total<Items: 'static> {
    pub target: &'static str,
    pub parts: &'static [Part<Items>],
    pub slot: fn(&mut Items) -> &mut Option<Money>,
}

/// One line item of a total, added or subtracted.
pub struct Part<Items> {
    pub sign: Sign,
    pub value: fn(&Items) -> Option<Money>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sign {
    Plus,
    Minus,
}

/// `target = first + plus… - minus…`, pluses before minuses.
macro_rules! totals {
    ($items:ty; $($target:ident = $first:ident $(+ $plus:ident)* $(- $minus:ident)*;)+) => {
        &[$(Total {
            target: stringify!($target),
            parts: &[
                Part { sign: Sign::Plus, value: {
                    fn part(items: &$items) -> Option<Money> { items.$first }
                    part
                } },
                $(Part { sign: Sign::Plus, value: {
                    fn part(items: &$items) -> Option<Money> { items.$plus }
                    part
                } },)*
                $(Part { sign: Sign::Minus, value: {
                    fn part(items: &$items) -> Option<Money> { items.$minus }
                    part
                } },)*
            ],
            slot: {
                fn slot(items: &mut $items) -> &mut Option<Money> { &mut items.$target }
                slot
            },
        }),+]
    };
}

/// Applied in order, so a computed gross profit can complete operating expenses. Each rule
/// is an identity of the income statement, checked against every fixture filer that reports
/// both the total and its parts (`tests::totals_match_what_filers_report`).
pub static INCOME_TOTALS: &[Total<IncomeStatementItems>] = totals![IncomeStatementItems;
    gross_profit = revenue - cost_of_revenue;
    selling_general_and_administrative = selling_and_marketing + general_and_administrative;
    // Everything between gross profit and operating income, whatever lines the filer uses.
    operating_expenses = gross_profit - operating_income;
];

impl<Items> Total<Items> {
    /// The total from its parts; `None` unless every part is reported.
    pub fn compute(&self, items: &Items) -> Option<Money> {
        self.parts
            .iter()
            .try_fold(rust_decimal::Decimal::ZERO, |sum, part| {
                let value = (part.value)(items)?.0;
                match part.sign {
                    Sign::Plus => sum.checked_add(value),
                    Sign::Minus => sum.checked_sub(value),
                }
            })
            .map(Money)
    }
}

/// Fills each total the filing left out but whose parts it reports, and lists it in the
/// statement's derived line items. A reported total is never replaced.
pub fn complete_totals<Items>(statement: &mut Statement<Items>, totals: &[Total<Items>]) {
    for total in totals {
        if (total.slot)(&mut statement.items).is_some() {
            continue;
        }
        if let Some(value) = total.compute(&statement.items) {
            *(total.slot)(&mut statement.items) = Some(value);
            statement
                .period
                .mark_derived(&total.target.to_lower_camel_case());
        }
    }
}
