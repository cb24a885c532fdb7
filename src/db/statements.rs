//! The three statement tables. They share one shape (period identity, provenance, line items),
//! so one macro implements `StatementKind` for each and the rest of the code is generic.

use std::future::Future;

use diesel::QueryResult;
use diesel_async::AsyncMysqlConnection;

use crate::domain::{
    BalanceSheetItems, CashFlowItems, IncomeStatementItems, PeriodKind, Statement, StatementFilter,
    StatementWindow,
};

/// A statement table, identified by the line items it stores.
pub trait StatementKind: Sized + Clone + Send + Sync + 'static {
    /// The statements of `company_ids` that `window` reads, per company newest first, in one
    /// query: all of them (a company has at most a few hundred; the per-company cache keeps
    /// whole companies), or each company's newest of one period kind.
    fn load(
        conn: &mut AsyncMysqlConnection,
        company_ids: &[i64],
        window: &StatementWindow,
    ) -> impl Future<Output = QueryResult<Vec<(i64, Statement<Self>)>>> + Send;

    /// Inserts each statement or, when the company already has one for that fiscal period,
    /// overwrites it. Meant to run inside the caller's transaction.
    fn upsert(
        conn: &mut AsyncMysqlConnection,
        company_id: i64,
        statements: &[Statement<Self>],
    ) -> impl Future<Output = QueryResult<()>> + Send;
}

/// A condition keeping each company's newest `filter.last` statements of `period` (SQL
/// window functions, which MySQL 8 and MariaDB 10.2+ share), for a batch of companies where
/// one `LIMIT` cannot do. Built from integers and the fixed period names only, never from
/// client text.
fn newest_per_company(
    table: &str,
    company_ids: &[i64],
    period: PeriodKind,
    filter: &StatementFilter,
) -> String {
    let ids = company_ids
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let periods = period
        .fiscal_periods()
        .iter()
        .map(|period| format!("'{}'", <&str>::from(*period)))
        .collect::<Vec<_>>()
        .join(",");
    let mut years = String::new();
    if let Some(from) = filter.fiscal_year_from {
        years.push_str(&format!(" AND fiscal_year >= {from}"));
    }
    if let Some(to) = filter.fiscal_year_to {
        years.push_str(&format!(" AND fiscal_year <= {to}"));
    }
    format!(
        "{table}.id IN (SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY company_id \
         ORDER BY fiscal_year DESC, fiscal_period DESC) AS position FROM {table} \
         WHERE company_id IN ({ids}) AND fiscal_period IN ({periods}){years}) AS ranked \
         WHERE position <= {last})",
        last = filter.last
    )
}

macro_rules! statement_kind {
    ($items:ty, $table:ident) => {
        impl StatementKind for $items {
            async fn load(
                conn: &mut AsyncMysqlConnection,
                company_ids: &[i64],
                window: &StatementWindow,
            ) -> QueryResult<Vec<(i64, Statement<Self>)>> {
                use crate::schema::$table as t;
                use diesel::prelude::*;
                use diesel_async::RunQueryDsl;

                let mut query = t::table
                    .filter(t::company_id.eq_any(company_ids))
                    .into_boxed();
                if let StatementWindow::Newest { period, filter } = window {
                    query = query.filter(t::fiscal_period.eq_any(period.fiscal_periods()));
                    if let Some(from) = filter.fiscal_year_from {
                        query = query.filter(t::fiscal_year.ge(from));
                    }
                    if let Some(to) = filter.fiscal_year_to {
                        query = query.filter(t::fiscal_year.le(to));
                    }
                    let last = i64::try_from(filter.last).unwrap_or(i64::MAX);
                    query = match company_ids {
                        [] => return Ok(Vec::new()),
                        [_] => query.limit(last),
                        _ => query.filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
                            &newest_per_company(stringify!($table), company_ids, *period, filter),
                        )),
                    };
                }
                let rows = query
                    .order((
                        t::company_id,
                        t::fiscal_year.desc(),
                        t::fiscal_period.desc(),
                    ))
                    .select((
                        t::company_id,
                        (
                            t::fiscal_year,
                            t::fiscal_period,
                            t::period_start,
                            t::period_end,
                            t::form,
                            t::filed_at,
                            t::accession_number,
                            t::currency,
                            t::derived,
                            t::derived_items,
                        ),
                        <$items>::as_select(),
                    ))
                    .load::<(i64, crate::domain::StatementPeriod, $items)>(conn)
                    .await?;
                Ok(rows
                    .into_iter()
                    .map(|(company_id, period, items)| (company_id, Statement { period, items }))
                    .collect())
            }

            async fn upsert(
                conn: &mut AsyncMysqlConnection,
                company_id: i64,
                statements: &[Statement<Self>],
            ) -> QueryResult<()> {
                use crate::schema::$table as t;
                use diesel::prelude::*;
                use diesel_async::RunQueryDsl;

                for Statement { period, items } in statements {
                    let provenance = (
                        t::period_start.eq(period.period_start),
                        t::period_end.eq(period.period_end),
                        t::form.eq(&period.form),
                        t::filed_at.eq(period.filed_at),
                        t::accession_number.eq(&period.accession_number),
                        t::currency.eq(&period.currency),
                        t::derived.eq(period.derived),
                        t::derived_items.eq(&period.derived_items),
                    );
                    diesel::insert_into(t::table)
                        .values((
                            t::company_id.eq(company_id),
                            t::fiscal_year.eq(period.fiscal_year),
                            t::fiscal_period.eq(period.fiscal_period),
                            provenance,
                            items,
                        ))
                        .on_conflict(diesel::dsl::DuplicatedKeys)
                        .do_update()
                        .set((provenance, items))
                        .execute(conn)
                        .await?;
                }
                Ok(())
            }
        }
    };
}

statement_kind!(IncomeStatementItems, income_statements);
statement_kind!(BalanceSheetItems, balance_sheets);
statement_kind!(CashFlowItems, cash_flow_statements);
