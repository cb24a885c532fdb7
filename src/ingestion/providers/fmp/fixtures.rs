//! FMP's recorded answers for Apple, stable and legacy `/api/v3`, that the tests read.

use crate::domain::Symbol;

pub(super) const PROFILE: &str =
    include_str!("../../../../tests/fixtures/fmp/stable-profile-AAPL.json");
pub(super) const INCOME: &str =
    include_str!("../../../../tests/fixtures/fmp/stable-income-statement-AAPL-annual.json");
pub(super) const BALANCE: &str =
    include_str!("../../../../tests/fixtures/fmp/stable-balance-sheet-statement-AAPL-annual.json");
pub(super) const CASH_FLOW: &str =
    include_str!("../../../../tests/fixtures/fmp/stable-cash-flow-statement-AAPL-annual.json");
pub(super) const V3_INCOME: &str =
    include_str!("../../../../tests/fixtures/fmp/v3-income-statement-AAPL-annual.json");
pub(super) const V3_BALANCE_QUARTERS: &str =
    include_str!("../../../../tests/fixtures/fmp/v3-balance-sheet-statement-AAPL-quarter.json");
pub(super) const V3_CASH_FLOW_QUARTERS: &str =
    include_str!("../../../../tests/fixtures/fmp/v3-cash-flow-statement-AAPL-quarter.json");
pub(super) const REFUSAL: &str =
    r#"{"Error Message": "Invalid API KEY. Feel free to create a Free API Key."}"#;

pub(super) fn aapl() -> Symbol {
    Symbol::parse("AAPL").unwrap()
}
