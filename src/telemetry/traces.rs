//! Traces across processes. When `OTEL_EXPORTER_OTLP_ENDPOINT` is set, spans of this crate are
//! exported over OTLP/HTTP, and the W3C trace context (`traceparent`, `tracestate`) follows a
//! registration from the HTTP request that asked for it, through the outbox row and the
//! Kafka request message, to the worker, and back on the result message. When it is not set
//! nothing here does any work: no context is read, generated or written.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{SpanExporter, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The W3C header that names a span's trace and parent.
pub const TRACEPARENT: &str = "traceparent";
const TRACESTATE: &str = "tracestate";

static EXPORTING: AtomicBool = AtomicBool::new(false);

/// Why traces cannot be exported as configured. Neither names the endpoint, which may hold
/// credentials.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("OTEL_EXPORTER_OTLP_ENDPOINT is not a URL: {0}")]
    Endpoint(#[from] axum::http::uri::InvalidUri),
    #[error("cannot export traces: {0}")]
    Exporter(#[from] opentelemetry_otlp::ExporterBuildError),
}

/// The span exporter; flushes what it holds when dropped, at the end of `main`.
pub struct Exporter(SdkTracerProvider);

impl Drop for Exporter {
    fn drop(&mut self) {
        if let Err(error) = self.0.shutdown() {
            eprintln!("traces not flushed: {error}");
        }
    }
}

/// An OTLP/HTTP (protobuf) exporter to `endpoint` (its `/v1/traces`), batching spans on its
/// own thread, and the tracer that feeds it. `service` names the process unless
/// `OTEL_SERVICE_NAME` does; `OTEL_RESOURCE_ATTRIBUTES` and `OTEL_BSP_*` apply as usual.
pub fn exporter(endpoint: &str, service: &str) -> Result<(Exporter, SdkTracer), ExportError> {
    let traces = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
    // Checked here because the exporter's own error would repeat the URL.
    traces.parse::<axum::http::Uri>()?;
    let spans = SpanExporter::builder()
        .with_http()
        .with_endpoint(traces)
        .build()?;
    let mut resource = Resource::builder();
    if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
        resource = resource.with_service_name(service.to_owned());
    }
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(spans)
        .with_resource(resource.build())
        .build();
    let tracer = provider.tracer(env!("CARGO_PKG_NAME"));
    EXPORTING.store(true, Ordering::Relaxed);
    Ok((Exporter(provider), tracer))
}

/// Whether spans are exported (and trace context carried).
pub fn exporting() -> bool {
    EXPORTING.load(Ordering::Relaxed)
}

/// The current span's trace context as W3C headers, for a message that continues the work
/// elsewhere; empty when export is off.
pub fn current_headers() -> HashMap<String, String> {
    let mut headers = HashMap::new();
    if exporting() {
        TraceContextPropagator::new().inject_context(&Span::current().context(), &mut headers);
    }
    headers
}

/// The current span's `traceparent`, kept with a request that another process takes up.
pub fn current_traceparent() -> Option<String> {
    current_headers().remove(TRACEPARENT)
}

/// Makes `span` continue the trace whose W3C headers `header` looks up (an HTTP request's,
/// a Kafka message's, a stored `traceparent`). Absent or malformed headers leave `span` the
/// root of a new trace.
pub fn continue_trace<'a>(span: &Span, header: impl Fn(&str) -> Option<&'a str>) {
    if !exporting() {
        return;
    }
    let parent = TraceContextPropagator::new().extract(&Lookup(header, PhantomData));
    // Fails only when the span is disabled, which leaves nothing to continue.
    let _ = span.set_parent(parent);
}

/// Makes `span` continue the trace of a stored `traceparent`.
pub fn continue_stored(span: &Span, traceparent: Option<&str>) {
    continue_trace(span, |name| traceparent.filter(|_| name == TRACEPARENT));
}

/// Headers looked up by a function; the marker ties what it returns to the carrier's life.
struct Lookup<'a, F>(F, PhantomData<&'a str>);

impl<'a, F: Fn(&str) -> Option<&'a str>> Extractor for Lookup<'a, F> {
    fn get(&self, key: &str) -> Option<&str> {
        (self.0)(key)
    }

    fn keys(&self) -> Vec<&str> {
        vec![TRACEPARENT, TRACESTATE]
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_bad_endpoint_is_refused_without_repeating_it() {
        let Err(error) = super::exporter("http://user:s3cret@collector host:4318", "test") else {
            panic!("an endpoint with a space is no URL");
        };
        let message = error.to_string();
        assert!(
            message.starts_with("OTEL_EXPORTER_OTLP_ENDPOINT"),
            "{message}"
        );
        assert!(!message.contains("s3cret"), "{message}");
    }
}
