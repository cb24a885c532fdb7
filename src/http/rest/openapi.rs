//! `GET /openapi.json`: the OpenAPI document of the REST and CSV routes, generated from their
//! handlers' `#[utoipa::path]` and their response types' `ToSchema`.

use axum::Json;
use utoipa::OpenApi;

use super::{financials, symbols};
use crate::http::csv;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Finstage REST",
        description = "The earlier system's REST API and CSV exports, answered through the \
            GraphQL API (`POST /graphql`). Money is an exact decimal in a JSON string; null \
            means not reported. Errors answer `{\"detail\": \"…\"}` (422: FastAPI's list of \
            invalid parameters); the `/api/` routes wrap answers and errors as \
            `{status, message, data}`."
    ),
    paths(
        financials::financials,
        financials::wrapped_financials,
        symbols::symbols,
        symbols::wrapped_symbols,
        csv::income,
        csv::balance,
        csv::cash_flow,
    ),
    tags(
        (name = "financials", description = "A company's statements"),
        (name = "symbols", description = "The securities master"),
        (name = "csv", description = "One statement kind as CSV"),
    )
)]
struct ApiDoc;

pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

#[cfg(test)]
mod tests {
    use serde_json::Value;
    use utoipa::OpenApi;

    use super::ApiDoc;
    use crate::graphql::{MAX_LAST, MAX_PAGE};

    fn parameter<'a>(doc: &'a Value, path: &str, name: &str) -> &'a Value {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .and_then(|parameters| parameters.iter().find(|p| p["name"] == name))
            .unwrap_or_else(|| panic!("{path} documents {name}"))
    }

    /// The documented bounds are literals (utoipa takes no constants): keep them the code's.
    #[test]
    fn documented_bounds_are_the_enforced_ones() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        for (path, name, max) in [
            ("/financials", "limit", MAX_LAST),
            ("/api/financials/financials/{symbol}", "limit", MAX_LAST),
            ("/symbols", "size", MAX_PAGE),
            ("/api/symbols/symbols", "size", MAX_PAGE),
            ("/companies/{symbol}/income.csv", "last", MAX_LAST),
            ("/companies/{symbol}/balance.csv", "last", MAX_LAST),
            ("/companies/{symbol}/cash-flow.csv", "last", MAX_LAST),
        ] {
            let schema = &parameter(&doc, path, name)["schema"];
            assert_eq!(schema["maximum"], max, "{path} {name}: {schema}");
        }
    }
}
