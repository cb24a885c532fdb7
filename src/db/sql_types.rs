//! How domain value types are stored: string enums (`CompanyStatus`, `FiscalPeriod`,
//! `RegistrationState`) as
//! VARCHAR spelled as in GraphQL (`READY`, `Q4`), kept valid by CHECK constraints in the
//! migrations; `Money` as DECIMAL; `ShareCount` as BIGINT.

use std::io::Write;

use diesel::deserialize::{self, FromSql};
use diesel::mysql::{Mysql, MysqlValue};
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{BigInt, Numeric, Text};
use rust_decimal::Decimal;

use crate::domain::{CompanyStatus, FiscalPeriod, Money, RegistrationState, ShareCount};

macro_rules! text_enum_sql {
    ($($enum:ty),+) => {$(
        impl ToSql<Text, Mysql> for $enum {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Mysql>) -> serialize::Result {
                let text: &'static str = self.into();
                out.write_all(text.as_bytes())?;
                Ok(IsNull::No)
            }
        }

        impl FromSql<Text, Mysql> for $enum {
            fn from_sql(value: MysqlValue<'_>) -> deserialize::Result<Self> {
                let text = std::str::from_utf8(value.as_bytes())?;
                text.parse()
                    .map_err(|_| format!("unexpected {} value {text:?}", stringify!($enum)).into())
            }
        }
    )+};
}

text_enum_sql!(CompanyStatus, FiscalPeriod, RegistrationState);

/// A newtype stored as the value it wraps (`Money(Decimal)` as DECIMAL, …).
macro_rules! newtype_sql {
    ($($newtype:ident($inner:ty) as $sql:ty),+) => {$(
        impl ToSql<$sql, Mysql> for $newtype {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Mysql>) -> serialize::Result {
                <$inner as ToSql<$sql, Mysql>>::to_sql(&self.0, out)
            }
        }

        impl FromSql<$sql, Mysql> for $newtype {
            fn from_sql(value: MysqlValue<'_>) -> deserialize::Result<Self> {
                <$inner as FromSql<$sql, Mysql>>::from_sql(value).map($newtype)
            }
        }
    )+};
}

newtype_sql!(Money(Decimal) as Numeric, ShareCount(i64) as BigInt);
