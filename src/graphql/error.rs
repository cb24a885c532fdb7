//! Error policy for GraphQL. Every error a client sees carries a stable `extensions.code`:
//!
//! - `BAD_USER_INPUT`: an argument is invalid (symbol syntax, list too long, range reversed).
//! - `NOT_FOUND`: the symbol is not a listed (or stored) company.
//! - `FORBIDDEN`: an admin operation without the admin token.
//! - `RATE_LIMITED`: too many new registrations from this client; retry later.
//! - `SERVICE_UNAVAILABLE`: the database cannot be reached; retry later.
//! - `TIMEOUT`: the request (or one of its SQL statements) ran past its time limit.
//! - `INTERNAL_SERVER_ERROR`: anything else; details are logged, never returned.
//! - `GRAPHQL_PARSE_FAILED` / `GRAPHQL_VALIDATION_FAILED`: the document itself is rejected,
//!   including the depth and complexity limits.
//! - `PERSISTED_QUERY_NOT_FOUND`: an automatic persisted query's hash is not (or no longer)
//!   known; Apollo clients then send the document with its hash. `BAD_REQUEST`: the request
//!   itself is malformed (no `query`, a bad `persistedQuery` extension).
//!
//! Infrastructure errors are logged once, where they are converted here, and reach the
//! client only as a fixed message: no SQL, no stack trace, no credentials.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest,
    NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{ErrorExtensions, ServerError, ServerResult, ValidationResult, Variables};

use crate::db::DbError;
use crate::domain::InvalidSymbol;

const PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
const BAD_REQUEST: &str = "BAD_REQUEST";

/// Whether the response reports a request error: the document was refused (it does not
/// parse, does not validate, or its variables do not fit) or the request was malformed (a bad
/// `persistedQuery` extension), before anything was executed.
/// GraphQL over HTTP answers those with 400 and no `data`.
pub fn is_request_error(response: &async_graphql::Response) -> bool {
    let refused = |error: &ServerError| {
        let code = error
            .extensions
            .as_ref()
            .and_then(|values| values.get("code"));
        matches!(code, Some(async_graphql::Value::String(code)) if [PARSE_FAILED, VALIDATION_FAILED, BAD_REQUEST].contains(&code.as_str()))
    };
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(refused)
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadUserInput(String),
    #[error("{0}")]
    NotFound(String),
    #[error("this operation needs the admin token")]
    Forbidden,
    #[error("too many new registrations from this client; try again in a minute")]
    RateLimited,
    #[error("the database is unavailable; try again shortly")]
    ServiceUnavailable,
    #[error("the request took too long and was stopped; try again, or ask for less")]
    Timeout,
    #[error("internal server error")]
    Internal,
}

impl ApiError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadUserInput(_) => "BAD_USER_INPUT",
            Self::NotFound(_) => "NOT_FOUND",
            Self::Forbidden => "FORBIDDEN",
            Self::RateLimited => "RATE_LIMITED",
            Self::ServiceUnavailable => "SERVICE_UNAVAILABLE",
            Self::Timeout => "TIMEOUT",
            Self::Internal => "INTERNAL_SERVER_ERROR",
        }
    }

    /// The error a GraphQL answer reported with `code` and `message` (what `code()` and
    /// `Display` made of it); `None` for the codes of a rejected document.
    pub fn from_code(code: &str, message: &str) -> Option<Self> {
        Some(match code {
            "BAD_USER_INPUT" => Self::BadUserInput(message.to_owned()),
            "NOT_FOUND" => Self::NotFound(message.to_owned()),
            "FORBIDDEN" => Self::Forbidden,
            "RATE_LIMITED" => Self::RateLimited,
            "SERVICE_UNAVAILABLE" => Self::ServiceUnavailable,
            "TIMEOUT" => Self::Timeout,
            "INTERNAL_SERVER_ERROR" => Self::Internal,
            _ => return None,
        })
    }
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        async_graphql::Error::new(self.to_string())
            .extend_with(|_, ext| ext.set("code", self.code()))
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::Unavailable(_) => {
                tracing::warn!(%error, "database unavailable");
                Self::ServiceUnavailable
            }
            DbError::Timeout(_) => {
                tracing::warn!(%error, "database statement timed out");
                Self::Timeout
            }
            DbError::Query(_) | DbError::Migration(_) => {
                tracing::error!(%error, "database error");
                Self::Internal
            }
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> Self {
        DbError::from(error).into()
    }
}

impl From<InvalidSymbol> for ApiError {
    fn from(error: InvalidSymbol) -> Self {
        Self::BadUserInput(error.to_string())
    }
}

/// Gives parse and validation errors (which async-graphql reports without a code) theirs.
pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodes)
    }
}

#[async_trait::async_trait]
impl Extension for ErrorCodes {
    /// Codes the errors of the extensions that prepare the request (persisted queries).
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: async_graphql::Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<async_graphql::Request> {
        next.run(ctx, request).await.map_err(|error| {
            // The message Apollo's clients look for, as async-graphql words it; a document
            // sent with its hash is parsed here, and only a parse error has a location.
            let code = if error.message == "PersistedQueryNotFound" {
                "PERSISTED_QUERY_NOT_FOUND"
            } else if !error.locations.is_empty() {
                PARSE_FAILED
            } else {
                BAD_REQUEST
            };
            with_code(error, code)
        })
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        next.run(ctx, query, variables)
            .await
            .map_err(|error| with_code(error, PARSE_FAILED))
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|error| with_code(error, VALIDATION_FAILED))
                .collect()
        })
    }
}

fn with_code(mut error: ServerError, code: &'static str) -> ServerError {
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
    error
}

#[cfg(test)]
mod tests {
    use super::ApiError;

    #[test]
    fn every_error_is_read_back_from_its_code_and_message() {
        for error in [
            ApiError::BadUserInput("`last` must be between 1 and 200, got 0".into()),
            ApiError::NotFound("no such company".into()),
            ApiError::Forbidden,
            ApiError::RateLimited,
            ApiError::ServiceUnavailable,
            ApiError::Timeout,
            ApiError::Internal,
        ] {
            let read = ApiError::from_code(error.code(), &error.to_string());
            assert_eq!(
                read.map(|read| (read.code(), read.to_string())),
                Some((error.code(), error.to_string()))
            );
        }
        assert!(ApiError::from_code("GRAPHQL_VALIDATION_FAILED", "unknown field").is_none());
    }
}
