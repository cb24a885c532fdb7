use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::BigInt;

/// A whole number of shares. `BIGINT` in SQL; in GraphQL the `BigInt` scalar, a JSON string
/// of digits (`"15812547000"`), because share counts overflow GraphQL's 32-bit `Int` (Apple's
/// 15,812,547,000 diluted shares) and spec-following clients reject such an `Int`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = BigInt)]
pub struct ShareCount(pub i64);

/// A whole number beyond GraphQL's 32-bit `Int`, serialized as a string of digits, e.g.
/// `"15812547000"`: the lexical form of XML Schema's `integer`.
#[Scalar(
    name = "BigInt",
    specified_by_url = "https://www.w3.org/TR/xmlschema11-2/#integer"
)]
impl ScalarType for ShareCount {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => text
                .parse()
                .map(ShareCount)
                .map_err(|_| InputValueError::custom(format!("not a whole number: {text:?}"))),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_beyond_32_bits_as_a_string_and_parses_it_back() {
        let apple = ShareCount(15_812_547_000);
        assert_eq!(apple.to_value(), Value::String("15812547000".into()));
        assert_eq!(ShareCount::parse(apple.to_value()).ok(), Some(apple));
        assert!(ShareCount::parse(Value::String("1.5".into())).is_err());
    }
}
