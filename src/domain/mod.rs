//! The service's vocabulary: validated values (`Symbol`), company status and the shape of a
//! financial statement. Everything here is parsed once at the edge and trusted afterwards.

mod calendar;
mod company;
mod money;
mod normalized;
mod registration;
mod shares;
mod statements;
mod symbol;

pub use calendar::{Date, Timestamp};
pub use company::{CompanyStatus, StatusEvent};
#[cfg(test)]
pub(crate) use money::money;
pub use money::{Money, Ratio};
pub use normalized::{CompanyInfo, NormalizedCompany};
pub use registration::RegistrationState;
pub use shares::ShareCount;
pub use statements::{
    BalanceSheetItems, CashFlowItems, EPS_SCALE, FiscalPeriod, IncomeStatementItems,
    PerShareFigures, PeriodKind, Statement, StatementFilter, StatementPeriod, StatementWindow,
};
pub use symbol::{InvalidSymbol, Symbol};
