//! Probes for orchestrators: liveness (`/healthz`), readiness (`/readyz`, checks MySQL over a
//! connection of its own, outside the pool), and
//! Prometheus metrics (`/metrics`).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::AppState;

pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

pub async fn readyz(State(state): State<Arc<AppState>>) -> (StatusCode, Json<Value>) {
    let transport = state.transport.report();
    match state.readiness.check().await {
        // A relay or listener being restarted leaves reads and registrations working
        // (requests wait in the outbox): reported, but still ready for traffic.
        Ok(()) => {
            let status = if state.transport.healthy() {
                "ready"
            } else {
                "degraded"
            };
            (
                StatusCode::OK,
                Json(json!({ "status": status, "database": "reachable", "transport": transport })),
            )
        }
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(
                    json!({ "status": "unavailable", "database": "unreachable", "transport": transport }),
                ),
            )
        }
    }
}

pub async fn metrics(State(state): State<Arc<AppState>>) -> (StatusCode, String) {
    match &state.metrics {
        Some(handle) => {
            // Read now rather than tracked on every checkout: the pool knows it already.
            crate::telemetry::metrics::db_pool(state.db.pool_status());
            (StatusCode::OK, handle.render())
        }
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics recorder not installed\n".into(),
        ),
    }
}
