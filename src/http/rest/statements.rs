//! The statement rows the REST and CSV routes serve, and the GraphQL selections they are read
//! with. Each selected field is aliased to its snake_case name (`cost_of_revenue:
//! costOfRevenue`), so GraphQL's answer deserializes straight into these types and each line
//! item is named once, in `line_items!`.

use chrono::NaiveDate;
use heck::ToLowerCamelCase;
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::RestError;
use crate::domain::CompanyStatus;
use crate::graphql::ApiError;

/// A statement kind's line items.
pub trait LineItems: DeserializeOwned + Serialize {
    /// The `Company` field that lists statements of this kind.
    const FIELD: &'static str;
    /// The line items' snake_case names (their SQL columns), in column order.
    const NAMES: &'static [&'static str];
    /// The values, in `NAMES` order.
    fn values(&self) -> Vec<Option<Decimal>>;
}

/// Declares a kind's line items: the struct (exact decimals, null when not reported) and its
/// `LineItems` names and values, from one list.
macro_rules! line_items {
    ($(#[$doc:meta])* $name:ident = $field:literal { $($item:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
        pub struct $name {
            $(
                #[serde(with = "exact_number")]
                #[schema(required = true, value_type = Option<f64>, format = "decimal")]
                pub $item: Option<Decimal>,
            )+
        }

        impl LineItems for $name {
            const FIELD: &'static str = $field;
            const NAMES: &'static [&'static str] = &[$(stringify!($item)),+];

            fn values(&self) -> Vec<Option<Decimal>> {
                vec![$(self.$item),+]
            }
        }
    };
}

line_items! {
    /// Income statement line items. EPS and share counts are on the current share basis
    /// (adjusted for later splits by `share_split_factor`), as GraphQL serves them.
    IncomeItems = "incomeStatements" {
        revenue,
        cost_of_revenue,
        gross_profit,
        research_and_development,
        selling_and_marketing,
        general_and_administrative,
        selling_general_and_administrative,
        operating_expenses,
        operating_income,
        interest_expense,
        income_before_tax,
        income_tax_expense,
        net_income,
        eps_basic,
        eps_diluted,
        weighted_average_shares_basic,
        weighted_average_shares_diluted,
        share_split_factor,
    }
}

line_items! {
    /// Balance sheet line items, as of the period's end.
    BalanceItems = "balanceSheets" {
        cash_and_equivalents,
        short_term_investments,
        accounts_receivable,
        inventory,
        total_current_assets,
        property_plant_and_equipment_net,
        goodwill,
        intangible_assets,
        total_assets,
        accounts_payable,
        short_term_debt,
        total_current_liabilities,
        long_term_debt,
        total_liabilities,
        total_equity,
        retained_earnings,
        total_liabilities_and_equity,
    }
}

line_items! {
    /// Cash-flow statement line items.
    CashFlowItems = "cashFlowStatements" {
        net_income,
        depreciation_and_amortization,
        stock_based_compensation,
        operating_cash_flow,
        capital_expenditure,
        investing_cash_flow,
        financing_cash_flow,
        dividends_paid,
        share_repurchases,
        net_change_in_cash,
        free_cash_flow,
    }
}

/// Exact decimals as JSON numbers printed digit for digit as `Decimal` prints them
/// (`383285000000`, `-1.25`, never an exponent or a rounding): the earlier system's clients
/// read numbers there, and a decimal-aware JSON parser gets the exact value. Read from
/// GraphQL's answer, where the `Decimal` scalar is a string. Null stays null.
mod exact_number {
    use rust_decimal::Decimal;
    use serde::de::Error as _;
    use serde::ser::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use serde_json::value::RawValue;

    pub fn serialize<S: Serializer>(value: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(decimal) => RawValue::from_string(decimal.to_string())
                .map_err(S::Error::custom)?
                .serialize(s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| text.parse().map_err(D::Error::custom))
            .transpose()
    }
}

/// A statement's fiscal period: the year, or one of its quarters, or the twelve months
/// ending with a quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum FiscalPeriod {
    #[serde(rename = "FY")]
    Fy,
    Q1,
    Q2,
    Q3,
    Q4,
    #[serde(rename = "TTM")]
    Ttm,
}

impl FiscalPeriod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fy => "FY",
            Self::Q1 => "Q1",
            Self::Q2 => "Q2",
            Self::Q3 => "Q3",
            Self::Q4 => "Q4",
            Self::Ttm => "TTM",
        }
    }
}

/// Which period a statement covers and the filing its figures come from.
#[derive(Debug, Clone, Deserialize)]
pub struct PeriodColumns {
    pub fiscal_year: i32,
    pub fiscal_period: FiscalPeriod,
    pub period_start: Option<NaiveDate>,
    pub period_end: NaiveDate,
    pub form: String,
    pub filed_at: NaiveDate,
    pub accession_number: String,
}

impl PeriodColumns {
    /// The fields above, in the order CSV columns list them.
    pub const NAMES: [&'static str; 7] = [
        "fiscal_year",
        "fiscal_period",
        "period_start",
        "period_end",
        "form",
        "filed_at",
        "accession_number",
    ];

    /// The fields as CSV cells, in `NAMES` order; empty for a missing `period_start`.
    pub fn cells(&self) -> [String; 7] {
        [
            self.fiscal_year.to_string(),
            self.fiscal_period.as_str().to_owned(),
            self.period_start
                .map(|date| date.to_string())
                .unwrap_or_default(),
            self.period_end.to_string(),
            self.form.clone(),
            self.filed_at.to_string(),
            self.accession_number.clone(),
        ]
    }
}

/// One statement as GraphQL answers the selection of `statements`.
#[derive(Debug, Clone, Deserialize)]
pub struct StatementRow<I> {
    #[serde(flatten)]
    pub period: PeriodColumns,
    #[serde(flatten)]
    pub items: I,
}

/// What a statement document asks of the company beside its statements.
const COMPANY_FIELDS: &str = "symbol status status_reason: statusReason";

/// The declarations of the variables `statements` and `company_document` use.
const VARIABLES: &str = "$symbol: String!, $period: Period!, $last: Int!";

/// A query for one company's statements, `selections` being `statements` of each kind.
pub fn company_document(name: &str, selections: &[String]) -> String {
    format!(
        "query {name}({VARIABLES}) {{ company(symbol: $symbol) {{ {COMPANY_FIELDS} {} }} }}",
        selections.join(" ")
    )
}

/// The selection of kind `I`'s statements under `alias`: their period columns and line items.
pub fn statements<I: LineItems>(alias: &str) -> String {
    format!(
        "{alias}: {}(period: $period, last: $last) {{ {} {} }}",
        I::FIELD,
        aliased(&PeriodColumns::NAMES),
        aliased(I::NAMES)
    )
}

/// The GraphQL fields of snake_case `names`, each aliased to its name.
fn aliased(names: &[&str]) -> String {
    names
        .iter()
        .map(|name| {
            let field = name.to_lower_camel_case();
            if field == *name {
                field
            } else {
                format!("{name}: {field}")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The company of a statement document, as answered.
#[derive(Debug, Deserialize)]
pub struct CompanyHead {
    pub symbol: String,
    pub status: CompanyStatus,
    pub status_reason: Option<String>,
}

impl CompanyHead {
    /// Statements are served for a `READY` company; any other status is an error saying
    /// why there are none (yet).
    pub fn ensure_ready(&self) -> Result<(), RestError> {
        let symbol = self.symbol.clone();
        let reason = self.status_reason.clone();
        match self.status {
            CompanyStatus::Ready => Ok(()),
            CompanyStatus::Pending | CompanyStatus::InProgress => {
                Err(RestError::BeingFetched(symbol))
            }
            CompanyStatus::NotFound => Err(RestError::NotFound(reason.map_or_else(
                || format!("{symbol} is not a listed company"),
                |reason| format!("{symbol} was not found: {reason}"),
            ))),
            CompanyStatus::Failed => Err(RestError::FetchFailed {
                symbol,
                reason: reason.unwrap_or_else(|| "no reason was recorded".into()),
            }),
            CompanyStatus::RateLimited => Err(ApiError::RateLimited.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selections_alias_each_graphql_field_to_its_snake_case_name() {
        let selection = statements::<IncomeItems>("rows");
        assert!(selection.starts_with(
            "rows: incomeStatements(period: $period, last: $last) { fiscal_year: fiscalYear "
        ));
        assert!(
            selection.contains(" form filed_at: filedAt "),
            "{selection}"
        );
        assert!(selection.contains(" revenue cost_of_revenue: costOfRevenue "));
        assert!(selection.ends_with(" share_split_factor: shareSplitFactor }"));
    }

    #[test]
    fn decimals_read_as_strings_are_written_as_exact_numbers_and_null_stays_null() {
        let row: StatementRow<CashFlowItems> = serde_json::from_value(serde_json::json!({
            "fiscal_year": 2023, "fiscal_period": "Q4", "period_start": "2023-07-02",
            "period_end": "2023-09-30", "form": "10-K", "filed_at": "2023-11-03",
            "accession_number": "0000320193-23-000106",
            "net_income": "22956000000", "depreciation_and_amortization": "-0.05",
            "stock_based_compensation": null, "operating_cash_flow": "21598000000.10",
            "capital_expenditure": null, "investing_cash_flow": null,
            "financing_cash_flow": null, "dividends_paid": null, "share_repurchases": null,
            "net_change_in_cash": null, "free_cash_flow": "12345678901234567890.12",
        }))
        .expect("a row");
        assert_eq!(row.period.fiscal_period, FiscalPeriod::Q4);
        let json = serde_json::to_string(&row.items).expect("JSON");
        for written in [
            r#""net_income":22956000000,"#,
            r#""depreciation_and_amortization":-0.05,"#,
            r#""stock_based_compensation":null,"#,
            r#""operating_cash_flow":21598000000.10,"#,
            // Beyond what a binary double holds: still every digit.
            r#""free_cash_flow":12345678901234567890.12}"#,
        ] {
            assert!(json.contains(written), "{written} in {json}");
        }
        assert_eq!(row.items.values().len(), CashFlowItems::NAMES.len());
    }
}
