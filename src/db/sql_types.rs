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

impl ToSql<Numeric, Mysql> for Money {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Mysql>) -> serialize::Result {
        <Decimal as ToSql<Numeric, Mysql>>::to_sql(&self.0, out)
    }
}

impl FromSql<Numeric, Mysql> for Money {
    fn from_sql(value: MysqlValue<'_>) -> deserialize::Result<Self> {
        <Decimal as FromSql<Numeric, Mysql>>::from_sql(value).map(Money)
    }
}

impl ToSql<BigInt, Mysql> for ShareCount {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Mysql>) -> serialize::Result {
        <i64 as ToSql<BigInt, Mysql>>::to_sql(&self.0, out)
    }
}

impl FromSql<BigInt, Mysql> for ShareCount {
    fn from_sql(value: MysqlValue<'_>) -> deserialize::Result<Self> {
        <i64 as FromSql<BigInt, Mysql>>::from_sql(value).map(ShareCount)
    }
}
