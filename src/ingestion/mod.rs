//! Ingestion: turns a provider's documents into standardized statements and stores them.
//! `companyfacts` reads SEC's XBRL JSON, `line_items` lists which us-gaap tags feed each line
//! item, `normalize` builds the statements (pure, no I/O), `store` writes one company in one
//! transaction and `import` loads a directory of SEC bulk files. Every provider returns a
//! `NormalizedCompany`, so it lives here rather than with one provider's normalizer.

pub mod companyfacts;
mod fiscal;
pub mod import;
mod line_items;
pub mod normalize;
pub mod providers;
pub mod store;

pub use line_items::{BALANCE_SHEET, CASH_FLOW, INCOME_STATEMENT, LineItem};

use crate::domain::{BalanceSheetItems, CashFlowItems, IncomeStatementItems, Statement};

/// What a provider says about the company itself.
#[derive(Debug, Clone, PartialEq)]
pub struct CompanyInfo {
    pub cik: String,
    pub name: String,
    pub currency: String,
    /// `MMDD`.
    pub fiscal_year_end: String,
}

/// One company as a provider delivers it: its profile and its standardized statements.
#[derive(Debug, Clone, PartialEq)]
pub struct NormalizedCompany {
    pub info: CompanyInfo,
    pub income: Vec<Statement<IncomeStatementItems>>,
    pub balance: Vec<Statement<BalanceSheetItems>>,
    pub cash_flow: Vec<Statement<CashFlowItems>>,
}
