//! Logging, tracing and metrics: builds the `tracing` subscriber once per process (logs go to
//! stderr, so commands such as `finstage schema` keep stdout for their output; spans go to an
//! OTLP collector when one is configured, see `traces`) and installs the Prometheus recorder
//! behind `/metrics`.

pub mod traces;

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::{EnvFilter, Layer, fmt, prelude::*};

use crate::config::{LogFormat, TelemetrySettings};

/// Installs the subscriber for the process `service` (`finstage-gateway`, …). Keep what it
/// returns until the process ends: dropping it flushes the spans not yet exported.
pub fn init(
    settings: &TelemetrySettings,
    service: &str,
) -> Result<Option<traces::Exporter>, traces::ExportError> {
    let logs = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = match settings.log_format {
        LogFormat::Pretty => fmt::layer().with_writer(std::io::stderr).boxed(),
        LogFormat::Json => fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_writer(std::io::stderr)
            .boxed(),
    }
    .with_filter(logs);
    let endpoint = settings
        .otlp_endpoint
        .as_deref()
        .filter(|endpoint| !endpoint.trim().is_empty());
    let (exporter, spans) = match endpoint {
        Some(endpoint) => {
            let (exporter, tracer) = traces::exporter(endpoint, service)?;
            // This crate's spans only, whatever RUST_LOG says about logs.
            let spans = tracing_opentelemetry::layer()
                .with_tracer(tracer)
                .with_filter(
                    Targets::new().with_target(env!("CARGO_CRATE_NAME"), tracing::Level::INFO),
                );
            (Some(exporter), Some(spans))
        }
        None => (None, None),
    };
    tracing_subscriber::registry().with(logs).with(spans).init();
    Ok(exporter)
}

/// The process-wide Prometheus recorder, installed on first use. `None` when another
/// recorder was installed first (then `/metrics` reports that it has nothing).
pub fn prometheus() -> Option<PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| match PrometheusBuilder::new().install_recorder() {
            Ok(handle) => Some(handle),
            Err(error) => {
                tracing::warn!(%error, "metrics recorder not installed");
                None
            }
        })
        .clone()
}

/// Every metric the service exports, named once (README lists them).
pub mod metrics {
    /// Registration requests opened (new, re-queued or refreshes).
    pub fn registrations_requested(opened: usize) {
        metrics::counter!("finstage_registrations_requested_total").increment(opened as u64);
    }

    /// Registrations written together in one transaction (group commit).
    pub fn registration_batch(registrations: usize) {
        metrics::histogram!("finstage_registration_batch_size").record(registrations as f64);
    }

    /// Requests the relay handed to Kafka.
    pub fn registrations_published(published: usize) {
        metrics::counter!("finstage_registrations_published_total").increment(published as u64);
    }

    /// Published requests without an outcome that the relay published again.
    pub fn registrations_redriven(redriven: usize) {
        metrics::counter!("finstage_registrations_redriven_total").increment(redriven as u64);
    }

    /// Requests waiting in the outbox for the relay.
    pub fn outbox_backlog(waiting: i64) {
        metrics::gauge!("finstage_outbox_backlog").set(waiting as f64);
    }

    /// The database pool's connections: open, handed out, and requests waiting for one.
    pub fn db_pool(status: deadpool::Status) {
        metrics::gauge!("finstage_db_pool_connections").set(status.size as f64);
        let in_use = status.size.saturating_sub(status.available);
        metrics::gauge!("finstage_db_pool_connections_in_use").set(in_use as f64);
        metrics::gauge!("finstage_db_pool_waiting").set(status.waiting as f64);
    }

    /// One SQL statement sent to MySQL.
    pub fn sql_query() {
        metrics::counter!("finstage_sql_queries_total").increment(1);
    }

    /// Statement rows (income, balance sheet, cash flow) read from MySQL.
    pub fn statement_rows(rows: usize) {
        metrics::counter!("finstage_statement_rows_total").increment(rows as u64);
    }
}
