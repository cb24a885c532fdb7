//! A company as every provider delivers it, normalized: its profile and its standardized
//! statements, ready to be stored.

use super::{BalanceSheetItems, CashFlowItems, IncomeStatementItems, Statement};

/// What a provider says about the company itself.
#[derive(Debug, Clone, PartialEq)]
pub struct CompanyInfo {
    pub cik: String,
    pub name: String,
    pub currency: String,
    /// `MMDD`.
    pub fiscal_year_end: String,
    /// Where the symbol trades (`Nasdaq`, `NYSE`, …), when the provider says.
    pub exchange: Option<String>,
    /// SEC's Standard Industrial Classification: a four-digit code and its description.
    pub sic_code: Option<String>,
    pub sic_description: Option<String>,
}

/// One company as a provider delivers it: its profile and its standardized statements.
#[derive(Debug, Clone, PartialEq)]
pub struct NormalizedCompany {
    pub info: CompanyInfo,
    pub income: Vec<Statement<IncomeStatementItems>>,
    pub balance: Vec<Statement<BalanceSheetItems>>,
    pub cash_flow: Vec<Statement<CashFlowItems>>,
}
