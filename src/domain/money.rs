use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::Numeric;
use rust_decimal::Decimal;

/// An exact amount: money, or a per-share value. `DECIMAL` in SQL; in GraphQL the `Decimal`
/// scalar, a JSON string without trailing zeros (`"383285000000"`, `"6.13"`), so no client
/// ever parses it into a binary float by accident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = Numeric)]
pub struct Money(pub Decimal);

/// An exact decimal number, serialized as a string, e.g. `"383285000000"` or `"-1.25"`: the
/// lexical form of XML Schema's `decimal` (no exponent, no thousands separators).
#[Scalar(
    name = "Decimal",
    specified_by_url = "https://www.w3.org/TR/xmlschema11-2/#decimal"
)]
impl ScalarType for Money {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => text
                .parse()
                .map(Money)
                .map_err(|_| InputValueError::custom(format!("not a decimal number: {text:?}"))),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.normalize().to_string())
    }
}

/// A dimensionless exact decimal: a margin, a growth rate, a ratio, a split factor. The same
/// `Decimal` scalar as money (GraphQL allows one Rust type per scalar); the alias says
/// which one a field means.
pub type Ratio = Money;

impl std::str::FromStr for Money {
    type Err = rust_decimal::Error;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.parse().map(Money)
    }
}

/// An expected figure in a test, written as the filing prints it: `money("6.13")`. Optional,
/// as every line item is.
#[cfg(test)]
pub(crate) fn money(text: &str) -> Option<Money> {
    Some(Money(text.parse().expect("a decimal literal")))
}
