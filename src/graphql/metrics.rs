//! `metrics` on each statement: margins, growth and ratios, computed from rows the request
//! has loaded anyway (the statement, its year-ago and quarter-ago rows) and, for metrics
//! that combine statements, the same period of another kind through the request's loaders —
//! one batched SQL query per kind however many companies ask. Formulas are in the field
//! descriptions; the arithmetic is `analytics::metrics` (4 decimals, fractions).

use async_graphql::dataloader::{DataLoader, HashMapCache};
use async_graphql::{Context, Object, ResultExt};

use super::loaders::StatementLoader;
use super::plan::StatementField;
use crate::analytics::metrics::{growth, ratio, sum};
use crate::analytics::series::{PeriodKey, Periodic, row_at};
use crate::domain::{
    BalanceSheetItems, CashFlowItems, IncomeStatementItems, Money, PeriodKind, Ratio,
};

/// What a statement's metrics are computed from.
#[derive(Debug, Clone)]
pub struct Metrics<Items> {
    pub company_id: i64,
    pub kind: PeriodKind,
    pub key: PeriodKey,
    pub current: Items,
    /// The same period a fiscal year earlier (for TTM: the window ending four quarters earlier).
    pub year_ago: Option<Items>,
    /// The quarter before; only for quarterly statements.
    pub quarter_ago: Option<Items>,
}

impl<Items> Metrics<Items> {
    /// The same period's statement of another kind, if the company has it.
    async fn same_period<Other: StatementField + Periodic>(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Other>> {
        let statements = ctx
            .data::<DataLoader<StatementLoader<Other>, HashMapCache>>()?
            .load_one(self.company_id)
            .await
            .extend()?
            .unwrap_or_default();
        Ok(row_at(&statements, self.kind, self.key).map(|row| row.statement.into_owned().items))
    }

    fn year_over_year(&self, item: impl Fn(&Items) -> Option<Money>) -> Option<Ratio> {
        growth(item(&self.current), item(self.year_ago.as_ref()?))
    }

    fn quarter_over_quarter(&self, item: impl Fn(&Items) -> Option<Money>) -> Option<Ratio> {
        growth(item(&self.current), item(self.quarter_ago.as_ref()?))
    }
}

fn eps_diluted(items: &IncomeStatementItems) -> Option<Money> {
    items.per_share().eps_diluted
}

/// Margins, growth and coverage of one income statement. Fractions with 4 decimals; null when
/// an input is null or a denominator is zero. Growth = (this − prior) ÷ |prior|.
#[Object(name = "IncomeMetrics")]
impl Metrics<IncomeStatementItems> {
    /// Gross profit ÷ revenue.
    async fn gross_margin(&self) -> Option<Ratio> {
        ratio(self.current.gross_profit, self.current.revenue)
    }

    /// Operating income ÷ revenue.
    async fn operating_margin(&self) -> Option<Ratio> {
        ratio(self.current.operating_income, self.current.revenue)
    }

    /// Net income ÷ revenue.
    async fn net_margin(&self) -> Option<Ratio> {
        ratio(self.current.net_income, self.current.revenue)
    }

    /// Operating income + depreciation and amortization (from the same period's cash-flow
    /// statement); money, not a fraction.
    async fn ebitda(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Money>> {
        let cash_flow = self.same_period::<CashFlowItems>(ctx).await?;
        Ok(sum(
            self.current.operating_income,
            cash_flow.and_then(|c| c.depreciation_and_amortization),
        ))
    }

    /// EBITDA ÷ revenue.
    async fn ebitda_margin(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Ratio>> {
        Ok(ratio(self.ebitda(ctx).await?, self.current.revenue))
    }

    /// Income tax expense ÷ income before tax.
    async fn effective_tax_rate(&self) -> Option<Ratio> {
        ratio(
            self.current.income_tax_expense,
            self.current.income_before_tax,
        )
    }

    /// Operating income ÷ interest expense (times, not a fraction).
    async fn interest_coverage(&self) -> Option<Ratio> {
        ratio(self.current.operating_income, self.current.interest_expense)
    }

    /// Revenue growth over the same period a year earlier.
    async fn revenue_growth(&self) -> Option<Ratio> {
        self.year_over_year(|i| i.revenue)
    }

    /// Operating income growth over the same period a year earlier.
    async fn operating_income_growth(&self) -> Option<Ratio> {
        self.year_over_year(|i| i.operating_income)
    }

    /// Net income growth over the same period a year earlier.
    async fn net_income_growth(&self) -> Option<Ratio> {
        self.year_over_year(|i| i.net_income)
    }

    /// Diluted EPS growth (current share basis) over the same period a year earlier.
    async fn eps_diluted_growth(&self) -> Option<Ratio> {
        self.year_over_year(eps_diluted)
    }

    /// Revenue growth over the quarter before; quarterly statements only.
    async fn revenue_growth_qoq(&self) -> Option<Ratio> {
        self.quarter_over_quarter(|i| i.revenue)
    }

    /// Net income growth over the quarter before; quarterly statements only.
    async fn net_income_growth_qoq(&self) -> Option<Ratio> {
        self.quarter_over_quarter(|i| i.net_income)
    }

    /// Diluted EPS growth over the quarter before; quarterly statements only.
    async fn eps_diluted_growth_qoq(&self) -> Option<Ratio> {
        self.quarter_over_quarter(eps_diluted)
    }
}

/// Cash-flow margins and growth. Fractions with 4 decimals; null when an input is null or a
/// denominator is zero. Growth = (this − prior) ÷ |prior|.
#[Object(name = "CashFlowMetrics")]
impl Metrics<CashFlowItems> {
    /// Free cash flow ÷ revenue (from the same period's income statement).
    async fn free_cash_flow_margin(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Ratio>> {
        let income = self.same_period::<IncomeStatementItems>(ctx).await?;
        Ok(ratio(
            self.current.free_cash_flow,
            income.and_then(|i| i.revenue),
        ))
    }

    /// Operating cash flow ÷ revenue (from the same period's income statement).
    async fn operating_cash_flow_margin(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Ratio>> {
        let income = self.same_period::<IncomeStatementItems>(ctx).await?;
        Ok(ratio(
            self.current.operating_cash_flow,
            income.and_then(|i| i.revenue),
        ))
    }

    /// Operating cash flow growth over the same period a year earlier.
    async fn operating_cash_flow_growth(&self) -> Option<Ratio> {
        self.year_over_year(|c| c.operating_cash_flow)
    }

    /// Free cash flow growth over the same period a year earlier.
    async fn free_cash_flow_growth(&self) -> Option<Ratio> {
        self.year_over_year(|c| c.free_cash_flow)
    }

    /// Operating cash flow growth over the quarter before; quarterly statements only.
    async fn operating_cash_flow_growth_qoq(&self) -> Option<Ratio> {
        self.quarter_over_quarter(|c| c.operating_cash_flow)
    }

    /// Free cash flow growth over the quarter before; quarterly statements only.
    async fn free_cash_flow_growth_qoq(&self) -> Option<Ratio> {
        self.quarter_over_quarter(|c| c.free_cash_flow)
    }
}

/// Liquidity, leverage and returns at the balance-sheet date. 4 decimals; null when an input
/// is null or a denominator is zero. Returns use the period's net income over the balance at
/// its end (not an average, not annualized: a quarter's return is the quarter's).
#[Object(name = "BalanceSheetMetrics")]
impl Metrics<BalanceSheetItems> {
    /// Total current assets ÷ total current liabilities.
    async fn current_ratio(&self) -> Option<Ratio> {
        ratio(
            self.current.total_current_assets,
            self.current.total_current_liabilities,
        )
    }

    /// (Short-term debt + long-term debt) ÷ total equity; null unless both debts are reported.
    async fn debt_to_equity(&self) -> Option<Ratio> {
        ratio(
            sum(self.current.short_term_debt, self.current.long_term_debt),
            self.current.total_equity,
        )
    }

    /// Net income of the same period (income statement) ÷ total equity.
    async fn return_on_equity(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Ratio>> {
        let income = self.same_period::<IncomeStatementItems>(ctx).await?;
        Ok(ratio(
            income.and_then(|i| i.net_income),
            self.current.total_equity,
        ))
    }

    /// Net income of the same period (income statement) ÷ total assets.
    async fn return_on_assets(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Ratio>> {
        let income = self.same_period::<IncomeStatementItems>(ctx).await?;
        Ok(ratio(
            income.and_then(|i| i.net_income),
            self.current.total_assets,
        ))
    }
}
