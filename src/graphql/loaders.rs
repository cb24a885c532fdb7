//! DataLoaders, created per request so no caller ever sees another's rows. Companies are
//! loaded by symbol; statements are loaded per company, all periods at once, and cached for
//! the request, so `companies` can prefetch every company's statements in one batch and the
//! per-company fields then filter in memory: one SQL query per statement kind per request,
//! whatever the number of companies and however the fields' arguments differ.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};

use super::ApiError;
use super::registration::RegistrationLoader;
use crate::db::Db;
use crate::db::companies::{self, CompanyRecord};
use crate::db::statements::StatementKind;
use crate::domain::{BalanceSheetItems, CashFlowItems, IncomeStatementItems, Statement, Symbol};

/// Adds this request's loaders to a GraphQL request.
pub fn with_loaders(request: async_graphql::Request, db: &Db) -> async_graphql::Request {
    request
        .data(DataLoader::new(CompanyLoader(db.clone()), tokio::spawn))
        .data(DataLoader::new(
            RegistrationLoader(db.clone()),
            tokio::spawn,
        ))
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

/// All statements of one kind per company id, newest first.
pub type CompanyStatements<S> = Arc<Vec<Statement<S>>>;

pub struct StatementLoader<S> {
    db: Db,
    kind: PhantomData<fn() -> S>,
}

impl<S: StatementKind> StatementLoader<S> {
    fn data_loader(db: &Db) -> DataLoader<Self, HashMapCache> {
        let loader = Self {
            db: db.clone(),
            kind: PhantomData,
        };
        DataLoader::with_cache(loader, tokio::spawn, HashMapCache::default())
    }
}

impl<S: StatementKind> Loader<i64> for StatementLoader<S> {
    type Value = CompanyStatements<S>;
    type Error = ApiError;

    #[tracing::instrument(
        name = "load_statements",
        skip_all,
        fields(kind = std::any::type_name::<S>(), count = company_ids.len())
    )]
    async fn load(
        &self,
        company_ids: &[i64],
    ) -> Result<HashMap<i64, CompanyStatements<S>>, ApiError> {
        let mut conn = self.db.conn().await?;
        let mut by_company: HashMap<i64, Vec<Statement<S>>> =
            company_ids.iter().map(|id| (*id, Vec::new())).collect();
        for (company_id, statement) in S::load(&mut conn, company_ids).await? {
            by_company.entry(company_id).or_default().push(statement);
        }
        Ok(by_company
            .into_iter()
            .map(|(id, statements)| (id, Arc::new(statements)))
            .collect())
    }
}
