//! graphql-ws at `/graphql/ws` carries subscriptions only. Queries and mutations belong on
//! `POST /graphql`, which sets up what they rely on per request: the DataLoaders, the caller
//! (registration rate limit, admin token) and the read cache. Over the socket they would run
//! without all three, so they are refused with `extensions.code = "OPERATION_NOT_ALLOWED"`.

use std::sync::Arc;

use async_graphql::parser::types::OperationType;
use async_graphql::{Data, Executor, Request, Response, ServerError};
use futures_util::stream::{self, BoxStream, StreamExt};

use super::graphql::may_run;
use crate::graphql::AppSchema;

#[derive(Clone)]
pub struct SubscriptionsOnly(pub AppSchema);

impl Executor for SubscriptionsOnly {
    async fn execute(&self, request: Request) -> Response {
        match refusal(&request) {
            Some(refused) => refused,
            None => Executor::execute(&self.0, request).await,
        }
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        match refusal(&request) {
            Some(refused) => stream::once(async move { refused }).boxed(),
            None => Executor::execute_stream(&self.0, request, session_data),
        }
    }
}

fn refusal(request: &Request) -> Option<Response> {
    let refused =
        may_run(request, OperationType::Query) || may_run(request, OperationType::Mutation);
    refused.then(|| {
        let mut error = ServerError::new(
            "only subscriptions are served over the websocket; send queries and mutations with POST /graphql",
            None,
        );
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", "OPERATION_NOT_ALLOWED");
        Response::from_errors(vec![error])
    })
}
