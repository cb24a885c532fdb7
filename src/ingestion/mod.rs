//! Ingestion: turns a provider's documents into standardized statements and stores them.
//! `companyfacts` reads SEC's XBRL JSON, `line_items` lists which us-gaap tags feed each line
//! item, `normalize` builds the statements (pure, no I/O), `providers` fetch them, and
//! `import` loads a directory of SEC bulk files (stored through
//! `registration::lifecycle::store`); `submissions` adds the filer's exchange and industry. Every provider returns a `domain::NormalizedCompany`.

pub mod companyfacts;
mod fiscal;
pub mod import;
mod line_items;
pub mod normalize;
pub mod providers;
mod splits;
pub mod submissions;

pub use line_items::{BALANCE_SHEET, CASH_FLOW, INCOME_STATEMENT, LineItem};
