//! The three statement tables. They share one shape (period identity, provenance, line items),
//! so one macro implements `StatementKind` for each and the rest of the code is generic.

use std::future::Future;

use diesel::QueryResult;
use diesel_async::AsyncMysqlConnection;

use crate::domain::{BalanceSheetItems, CashFlowItems, IncomeStatementItems, Statement};

/// A statement table, identified by the line items it stores.
pub trait StatementKind: Sized + Clone + Send + Sync + 'static {
    /// Every statement of `company_ids`, per company newest first, in one query. Callers
    /// filter in memory: a company has at most a few hundred, and whole-company loads are what
    /// one batch per request (and a per-company cache) need.
    fn load(
        conn: &mut AsyncMysqlConnection,
        company_ids: &[i64],
    ) -> impl Future<Output = QueryResult<Vec<(i64, Statement<Self>)>>> + Send;

    /// Inserts each statement or, when the company already has one for that fiscal period,
    /// overwrites it. Meant to run inside the caller's transaction.
    fn upsert(
        conn: &mut AsyncMysqlConnection,
        company_id: i64,
        statements: &[Statement<Self>],
    ) -> impl Future<Output = QueryResult<()>> + Send;
}

macro_rules! statement_kind {
    ($items:ty, $table:ident) => {
        impl StatementKind for $items {
            async fn load(
                conn: &mut AsyncMysqlConnection,
                company_ids: &[i64],
            ) -> QueryResult<Vec<(i64, Statement<Self>)>> {
                use crate::schema::$table as t;
                use diesel::prelude::*;
                use diesel_async::RunQueryDsl;

                let rows = t::table
                    .filter(t::company_id.eq_any(company_ids))
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
