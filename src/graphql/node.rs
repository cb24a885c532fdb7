//! Relay's global object identification: `id: ID!` on companies and statements, the `Node`
//! interface and `node(id:)`. IDs are opaque to clients; here they read `Company:AAPL` and
//! `IncomeStatement:AAPL:FY:2023-09-30`. Statements carry an ID for normalized client caches
//! but are reached through their company, so only companies are `Node`s.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ID, Interface, Object, ResultExt};

use super::company::{Company, LOOKUP_COST};
use super::loaders::CompanyLoader;
use crate::cache::ResponseDependencies;
use crate::domain::{StatementPeriod, Symbol};

const COMPANY: &str = "Company";

pub fn company_id(symbol: &Symbol) -> ID {
    ID(format!("{COMPANY}:{symbol}"))
}

/// `kind` is the statement's GraphQL type (`IncomeStatement`, …). The fiscal period and its
/// last day tell apart a fiscal year, its quarters and each TTM window.
pub fn statement_id(kind: &str, symbol: &Symbol, period: &StatementPeriod) -> ID {
    let fiscal_period: &str = period.fiscal_period.into();
    ID(format!(
        "{kind}:{symbol}:{fiscal_period}:{}",
        period.period_end.format("%Y-%m-%d")
    ))
}

/// An object that can be refetched by its global ID.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Global object ID."))]
pub enum Node {
    Company(Company),
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// The object with this global ID; null when there is none. A company is found once
    /// stored (in any status): `node` never registers one.
    #[graphql(complexity = "LOOKUP_COST + child_complexity")]
    async fn node(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        let symbol = id
            .strip_prefix(COMPANY)
            .and_then(|rest| rest.strip_prefix(':'))
            .and_then(|symbol| Symbol::parse(symbol).ok());
        let record = match &symbol {
            Some(symbol) => ctx
                .data::<DataLoader<CompanyLoader>>()?
                .load_one(symbol.clone())
                .await
                .extend()?,
            None => None,
        };
        match (symbol, record) {
            (Some(symbol), Some(record)) => {
                let company = Company::stored(symbol, record);
                company.record_dependency(ctx);
                Ok(Some(Node::Company(company)))
            }
            // Absent now, perhaps stored a moment later: an answer not to keep.
            _ => {
                if let Some(dependencies) = ctx.data_opt::<std::sync::Arc<ResponseDependencies>>() {
                    dependencies.uncacheable();
                }
                Ok(None)
            }
        }
    }
}
