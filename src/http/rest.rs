//! The earlier system's REST API, so its clients can move here unchanged: `GET /financials`,
//! `GET /symbols`, their wrapped variants under `/api/`, and `/openapi.json`, which also
//! describes the CSV export (`http::csv`). No handler here reads the database: each writes a
//! GraphQL document, has it answered exactly as `POST /graphql` answers it (`query`), and
//! reshapes the answer. `RestError` is this edge's one error type (REST and CSV), turned into a
//! response in one place (`error_response`).

mod financials;
mod openapi;
mod query;
pub(super) mod statements;
mod symbols;

use std::ops::RangeInclusive;

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

pub use financials::{financials, wrapped_financials};
pub use openapi::openapi;
pub(super) use query::{Answered, run};
pub use symbols::{symbols, wrapped_symbols};

use super::caching::Reusable;
use crate::domain::Symbol;
use crate::graphql::ApiError;

/// Everything that can go wrong at this edge. Messages are fixed or built from the client's
/// own input; infrastructure details are logged where they are converted, never returned.
#[derive(Debug, thiserror::Error)]
pub enum RestError {
    /// A parameter (or, without a name, the whole query string or path) is missing or
    /// invalid: FastAPI's validation error (422).
    #[error("{}: {message}", describe(*location, *name))]
    InvalidParameter {
        location: ParamIn,
        name: Option<&'static str>,
        message: String,
        missing: bool,
    },
    /// The company is registered, or was just now, and its statements are on their way.
    #[error("{0} is being fetched; try again in a minute")]
    BeingFetched(String),
    /// Neither the securities master nor the provider knows the company.
    #[error("{0}")]
    NotFound(String),
    /// Ingestion gave up on the company; the reason is the one GraphQL shows.
    #[error("the statements of {symbol} could not be fetched: {reason}")]
    FetchFailed { symbol: String, reason: String },
    /// Every slot for requests that run GraphQL is taken.
    #[error("the server is at capacity; try again shortly")]
    Overloaded,
    /// What GraphQL answered, by its `extensions.code`.
    #[error(transparent)]
    Graphql(#[from] ApiError),
}

/// Where a parameter is read from, as FastAPI's `loc` names it.
#[derive(Debug, Clone, Copy)]
pub enum ParamIn {
    Query,
    Path,
}

impl ParamIn {
    fn as_str(self) -> &'static str {
        match self {
            Self::Query => "query",
            Self::Path => "path",
        }
    }
}

fn describe(location: ParamIn, name: Option<&str>) -> String {
    match name {
        Some(name) => format!("{} parameter `{name}`", location.as_str()),
        None => format!("the {}", location.as_str()),
    }
}

/// A query string that does not decode (a parameter given twice, bad percent-encoding).
impl From<QueryRejection> for RestError {
    fn from(_: QueryRejection) -> Self {
        Self::undecodable(ParamIn::Query)
    }
}

/// A path that does not decode (percent-encoded bytes that are not UTF-8).
impl From<PathRejection> for RestError {
    fn from(_: PathRejection) -> Self {
        Self::undecodable(ParamIn::Path)
    }
}

impl RestError {
    pub fn missing(location: ParamIn, name: &'static str) -> Self {
        Self::InvalidParameter {
            location,
            name: Some(name),
            message: "field required".into(),
            missing: true,
        }
    }

    pub fn invalid(location: ParamIn, name: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidParameter {
            location,
            name: Some(name),
            message: message.into(),
            missing: false,
        }
    }

    fn undecodable(location: ParamIn) -> Self {
        Self::InvalidParameter {
            location,
            name: None,
            message: "does not decode".into(),
            missing: false,
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::InvalidParameter { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::BeingFetched(_) | Self::NotFound(_) | Self::FetchFailed { .. } => {
                StatusCode::NOT_FOUND
            }
            Self::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
            Self::Graphql(error) => match error {
                ApiError::BadUserInput(_) => StatusCode::UNPROCESSABLE_ENTITY,
                ApiError::NotFound(_) => StatusCode::NOT_FOUND,
                ApiError::Forbidden => StatusCode::FORBIDDEN,
                ApiError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
                ApiError::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
                ApiError::Timeout => StatusCode::GATEWAY_TIMEOUT,
                ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            },
        }
    }
}

/// How a route answers: the earlier system's bare payloads with FastAPI's `{"detail"}` errors,
/// or its later `{status, message, data}` envelope for both.
#[derive(Debug, Clone, Copy)]
pub enum Flavor {
    Plain,
    Wrapped,
}

/// FastAPI's error body.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    #[schema(example = "AAPL is being fetched; try again in a minute")]
    pub detail: String,
}

/// FastAPI's body for a parameter that is missing or invalid (422).
#[derive(Debug, Serialize, ToSchema)]
pub struct ValidationErrorDetail {
    pub detail: Vec<ValidationIssue>,
}

/// One invalid parameter.
#[derive(Debug, Serialize, ToSchema)]
pub struct ValidationIssue {
    /// Where the parameter is and its name, e.g. `["query", "size"]` (`["query"]` for a
    /// query string that does not decode).
    pub loc: Vec<&'static str>,
    pub msg: String,
    /// `missing` or `value_error`.
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// Whether a wrapped answer carries data or an error.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EnvelopeStatus {
    Success,
    Error,
}

/// The later system's envelope around an answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Envelope<T> {
    /// Always `success`.
    pub status: EnvelopeStatus,
    pub message: String,
    pub data: T,
}

/// The later system's envelope around an error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorEnvelope {
    /// Always `error`.
    pub status: EnvelopeStatus,
    pub message: String,
    /// Always null.
    #[schema(value_type = Option<Object>)]
    pub data: Option<()>,
}

/// The answer of a route of this `flavor`: `payload` as JSON (wrapped with `message`), or the
/// error.
pub fn respond<T: Serialize>(
    flavor: Flavor,
    message: &str,
    payload: Result<Answered<T>, RestError>,
) -> Response {
    let Answered { data, reusable } = match payload {
        Ok(answered) => answered,
        Err(error) => return error_response(flavor, &error),
    };
    let mut response = match flavor {
        Flavor::Plain => Json(data).into_response(),
        Flavor::Wrapped => Json(Envelope {
            status: EnvelopeStatus::Success,
            message: message.to_owned(),
            data,
        })
        .into_response(),
    };
    if reusable {
        response.extensions_mut().insert(Reusable);
    }
    response
}

/// The one place a `RestError` becomes a response.
pub fn error_response(flavor: Flavor, error: &RestError) -> Response {
    let status = error.status();
    match (flavor, error) {
        (
            Flavor::Plain,
            RestError::InvalidParameter {
                location,
                name,
                message,
                missing,
            },
        ) => {
            let issue = ValidationIssue {
                loc: [Some(location.as_str()), *name]
                    .into_iter()
                    .flatten()
                    .collect(),
                msg: message.clone(),
                kind: if *missing { "missing" } else { "value_error" },
            };
            let body = ValidationErrorDetail {
                detail: vec![issue],
            };
            (status, Json(body)).into_response()
        }
        (Flavor::Plain, error) => {
            let body = ErrorDetail {
                detail: error.to_string(),
            };
            (status, Json(body)).into_response()
        }
        (Flavor::Wrapped, error) => {
            let body = ErrorEnvelope {
                status: EnvelopeStatus::Error,
                message: error.to_string(),
                data: None,
            };
            (status, Json(body)).into_response()
        }
    }
}

/// The answer of a bare route beyond `HTTP_MAX_CONCURRENT_REQUESTS`.
pub fn overloaded() -> Response {
    error_response(Flavor::Plain, &RestError::Overloaded)
}

/// The answer of a wrapped route beyond `HTTP_MAX_CONCURRENT_REQUESTS`.
pub fn wrapped_overloaded() -> Response {
    error_response(Flavor::Wrapped, &RestError::Overloaded)
}

/// The symbol parameter, validated as GraphQL validates it (so an invalid one never reaches
/// the registration path) and upper-cased (so `aapl` and `AAPL` share a cached answer).
pub fn symbol_param(location: ParamIn, raw: Option<&str>) -> Result<Symbol, RestError> {
    let raw = raw.ok_or_else(|| RestError::missing(location, "symbol"))?;
    Symbol::parse(raw).map_err(|error| RestError::invalid(location, "symbol", error.to_string()))
}

/// A whole-number query parameter within `range`; `default` when absent.
pub fn int_param(
    name: &'static str,
    raw: Option<&str>,
    default: i32,
    range: RangeInclusive<i32>,
) -> Result<i32, RestError> {
    let Some(raw) = raw else {
        return Ok(default);
    };
    raw.parse()
        .ok()
        .filter(|value| range.contains(value))
        .ok_or_else(|| {
            let bounds = match *range.end() {
                i32::MAX => format!("at least {}", range.start()),
                end => format!("from {} to {end}", range.start()),
            };
            RestError::invalid(
                ParamIn::Query,
                name,
                format!("must be a whole number {bounds}, got {raw:?}"),
            )
        })
}

/// Which statements a route serves: full fiscal years, fiscal quarters, or trailing twelve
/// months (CSV only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Annual,
    Quarterly,
    Ttm,
}

impl Period {
    /// As the `period` parameter and CSV file names spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Annual => "annual",
            Self::Quarterly => "quarterly",
            Self::Ttm => "ttm",
        }
    }

    /// GraphQL's `Period` value.
    pub fn graphql(self) -> &'static str {
        match self {
            Self::Annual => "ANNUAL",
            Self::Quarterly => "QUARTERLY",
            Self::Ttm => "TTM",
        }
    }

    /// The `period` parameter (case-insensitive), one of `allowed`; annual when absent.
    pub fn param(raw: Option<&str>, allowed: &[Period]) -> Result<Self, RestError> {
        let Some(raw) = raw else {
            return Ok(Self::Annual);
        };
        allowed
            .iter()
            .copied()
            .find(|period| period.as_str().eq_ignore_ascii_case(raw))
            .ok_or_else(|| {
                let names: Vec<&str> = allowed.iter().map(|period| period.as_str()).collect();
                RestError::invalid(
                    ParamIn::Query,
                    "period",
                    format!("must be one of {}, got {raw:?}", names.join(", ")),
                )
            })
    }
}
