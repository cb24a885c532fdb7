//! DataLoaders, created per request so no caller ever sees another's cached rows. Every
//! company or statement field requested in one query is collected into one SQL query per
//! loader (and per distinct statement filter), whatever the number of companies.

use std::collections::HashMap;
use std::marker::PhantomData;

use async_graphql::dataloader::{DataLoader, Loader};

use super::ApiError;
use crate::db::companies::{self, CompanyRecord};
use crate::db::statements::{StatementFilter, StatementKind};
use crate::db::Db;
use crate::domain::{BalanceSheetItems, CashFlowItems, IncomeStatementItems, Statement, Symbol};

/// Adds this request's loaders to a GraphQL request.
pub fn with_loaders(request: async_graphql::Request, db: &Db) -> async_graphql::Request {
    request
        .data(DataLoader::new(CompanyLoader(db.clone()), tokio::spawn))
        .data(StatementLoader::<IncomeStatementItems>::data_loader(db))
        .data(StatementLoader::<BalanceSheetItems>::data_loader(db))
        .data(StatementLoader::<CashFlowItems>::data_loader(db))
}

pub struct CompanyLoader(Db);

impl Loader<Symbol> for CompanyLoader {
    type Value = CompanyRecord;
    type Error = ApiError;

    #[tracing::instrument(name = "load_companies", skip_all, fields(count = symbols.len()))]
    async fn load(&self, symbols: &[Symbol]) -> Result<HashMap<Symbol, CompanyRecord>, ApiError> {
        let mut conn = self.0.conn().await?;
        let records = companies::by_symbols(&mut conn, symbols).await?;
        Ok(records
            .into_iter()
            .filter_map(|record| Some((Symbol::parse(&record.symbol).ok()?, record)))
            .collect())
    }
}

/// Statements of one company matching one filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatementKey {
    pub company_id: i64,
    pub filter: StatementFilter,
}

pub struct StatementLoader<S> {
    db: Db,
    kind: PhantomData<fn() -> S>,
}

impl<S: StatementKind> StatementLoader<S> {
    fn data_loader(db: &Db) -> DataLoader<Self> {
        let loader = Self {
            db: db.clone(),
            kind: PhantomData,
        };
        DataLoader::new(loader, tokio::spawn)
    }
}

impl<S: StatementKind> Loader<StatementKey> for StatementLoader<S> {
    type Value = Vec<Statement<S>>;
    type Error = ApiError;

    #[tracing::instrument(
        name = "load_statements",
        skip_all,
        fields(kind = std::any::type_name::<S>(), count = keys.len())
    )]
    async fn load(
        &self,
        keys: &[StatementKey],
    ) -> Result<HashMap<StatementKey, Vec<Statement<S>>>, ApiError> {
        let mut companies_by_filter: HashMap<StatementFilter, Vec<i64>> = HashMap::new();
        for key in keys {
            companies_by_filter
                .entry(key.filter)
                .or_default()
                .push(key.company_id);
        }

        let mut conn = self.db.conn().await?;
        let mut found: HashMap<StatementKey, Vec<Statement<S>>> =
            keys.iter().map(|key| (*key, Vec::new())).collect();
        for (filter, company_ids) in companies_by_filter {
            let rows = S::load(&mut conn, &company_ids, filter)
                .await?;
            for (company_id, statement) in rows {
                let key = StatementKey { company_id, filter };
                found.entry(key).or_default().push(statement);
            }
        }
        Ok(found)
    }
}
