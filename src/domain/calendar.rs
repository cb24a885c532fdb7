//! The GraphQL scalars for days and instants, each pointing at the spec of its format with
//! `@specifiedBy`, so generated clients can map them to their date types.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

/// A calendar day, `YYYY-MM-DD` (RFC 3339 `full-date`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub NaiveDate);

/// A calendar day in ISO 8601 / RFC 3339 `full-date` form, e.g. `"2023-09-30"`.
#[Scalar(
    name = "Date",
    specified_by_url = "https://ibm.github.io/graphql-specs/custom-scalars/date.html"
)]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(Date)
                .map_err(|_| InputValueError::custom(format!("not a YYYY-MM-DD date: {text:?}"))),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

impl From<NaiveDate> for Date {
    fn from(day: NaiveDate) -> Self {
        Self(day)
    }
}

/// An instant in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub DateTime<Utc>);

/// An instant in UTC, RFC 3339 with milliseconds, e.g. `"2026-12-03T07:47:30.000Z"`.
#[Scalar(
    name = "DateTime",
    specified_by_url = "https://ibm.github.io/graphql-specs/custom-scalars/date-time.html"
)]
impl ScalarType for Timestamp {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => DateTime::parse_from_rfc3339(text)
                .map(|instant| Timestamp(instant.with_timezone(&Utc)))
                .map_err(|_| {
                    InputValueError::custom(format!("not an RFC 3339 date-time: {text:?}"))
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(instant: DateTime<Utc>) -> Self {
        Self(instant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_is_a_full_date_both_ways() {
        let day = Date(NaiveDate::from_ymd_opt(2023, 9, 30).unwrap());
        assert_eq!(day.to_value(), Value::String("2023-09-30".into()));
        assert_eq!(Date::parse(day.to_value()).ok(), Some(day));
        assert!(Date::parse(Value::String("30/09/2023".into())).is_err());
        assert!(Date::parse(Value::String("2023-02-30".into())).is_err());
    }

    #[test]
    fn an_instant_is_utc_with_milliseconds_and_offsets_are_read() {
        let instant = Timestamp("2026-12-03T07:47:30Z".parse().unwrap());
        assert_eq!(
            instant.to_value(),
            Value::String("2026-12-03T07:47:30.000Z".into())
        );
        let offset = Timestamp::parse(Value::String("2026-12-03T08:47:30+01:00".into()));
        assert_eq!(offset.ok(), Some(instant));
    }
}
