//! Traces across processes: `finstage serve` and `finstage worker`, exporting to an OTLP
//! receiver of the harness's own, make one trace of a registration asked for with a W3C
//! `traceparent`: the gateway's HTTP request, the relay's publish, the worker's ingestion and
//! the gateway's delivery of the outcome. Without an exporter, no context is kept.

use std::collections::HashMap;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::routing::post;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use prost::Message;
use serde_json::json;

use crate::broker::started_broker;
use crate::helpers::{ChildProcess, TestDb, child_log_filter, eventually};
use crate::upstream::fixtures_dir;

const TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
struct ExportedSpan {
    service: String,
    name: String,
    trace_id: String,
    span_id: String,
    parent_span_id: String,
}

type Received = Arc<Mutex<Vec<ExportedSpan>>>;

/// An OTLP/HTTP receiver (protobuf, `POST /v1/traces`) keeping every span it is sent.
struct Collector {
    endpoint: String,
    spans: Received,
}

impl Collector {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the collector");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let spans = Received::default();
        let app = axum::Router::new()
            .route("/v1/traces", post(receive))
            .with_state(spans.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { endpoint, spans }
    }

    fn trace(&self, trace_id: &str) -> Vec<ExportedSpan> {
        let spans = self.spans.lock().unwrap();
        spans
            .iter()
            .filter(|span| span.trace_id == trace_id)
            .cloned()
            .collect()
    }
}

async fn receive(
    State(received): State<Received>,
    body: Bytes,
) -> ([(axum::http::HeaderName, &'static str); 1], Vec<u8>) {
    let request = ExportTraceServiceRequest::decode(body).expect("an OTLP trace export");
    let mut spans = received.lock().unwrap();
    for resource_spans in request.resource_spans {
        let service = resource_spans
            .resource
            .iter()
            .flat_map(|resource| &resource.attributes)
            .find(|attribute| attribute.key == "service.name")
            .and_then(|attribute| attribute.value.as_ref()?.value.as_ref())
            .and_then(|value| match value {
                Value::StringValue(name) => Some(name.clone()),
                _ => None,
            })
            .unwrap_or_default();
        for span in resource_spans
            .scope_spans
            .into_iter()
            .flat_map(|scope| scope.spans)
        {
            spans.push(ExportedSpan {
                service: service.clone(),
                name: span.name,
                trace_id: hex(&span.trace_id),
                span_id: hex(&span.span_id),
                parent_span_id: hex(&span.parent_span_id),
            });
        }
    }
    (
        [(CONTENT_TYPE, "application/x-protobuf")],
        ExportTraceServiceResponse::default().encode_to_vec(),
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The one span of `service` named `name` in `trace`.
fn span<'a>(trace: &'a [ExportedSpan], service: &str, name: &str) -> &'a ExportedSpan {
    let found: Vec<_> = trace
        .iter()
        .filter(|span| span.service == service && span.name == name)
        .collect();
    assert_eq!(found.len(), 1, "{service} {name} in {trace:#?}");
    found[0]
}

/// Whether `span` is `ancestor` or below it in `trace`.
fn descends_from(trace: &[ExportedSpan], span: &ExportedSpan, ancestor: &ExportedSpan) -> bool {
    let parents: HashMap<&str, &str> = trace
        .iter()
        .map(|span| (span.span_id.as_str(), span.parent_span_id.as_str()))
        .collect();
    let mut current = span.span_id.as_str();
    loop {
        if current == ancestor.span_id {
            return true;
        }
        match parents.get(current) {
            Some(parent) if !parent.is_empty() => current = parent,
            _ => return false,
        }
    }
}

#[tokio::test]
async fn a_registration_asked_for_with_a_traceparent_is_one_trace_from_gateway_through_relay_and_worker_and_back()
 {
    let (_broker, kafka) = started_broker().await;
    let database = TestDb::create().await;
    let collector = Collector::start().await;
    let port = crate::support::broker::free_port();
    let configure = |command: &mut Command| {
        command
            .env("DATABASE_URL", &database.url)
            .env("KAFKA_BROKERS", &kafka.brokers)
            .env("KAFKA_REQUEST_TOPIC", &kafka.request_topic)
            .env("KAFKA_RESULT_TOPIC", &kafka.result_topic)
            .env("KAFKA_DLQ_TOPIC", &kafka.dlq_topic)
            .env("KAFKA_TOPIC_PARTITIONS", "1")
            .env("KAFKA_GROUP_ID", format!("{}.workers", kafka.request_topic))
            .env("KAFKA_SESSION_TIMEOUT_MS", "6000")
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", &collector.endpoint)
            .env("OTEL_BSP_SCHEDULE_DELAY", "100")
            .env("RUST_LOG", child_log_filter());
    };
    let mut serve = Command::new(env!("CARGO_BIN_EXE_finstage"));
    configure(
        serve
            .arg("serve")
            .env("LISTEN_ADDR", format!("127.0.0.1:{port}")),
    );
    let _serve = ChildProcess(serve.spawn().expect("start finstage serve"));
    let mut worker = Command::new(env!("CARGO_BIN_EXE_finstage"));
    configure(
        worker
            .arg("worker")
            .env("PROVIDER", "sec-dir")
            .env("SEC_DIR", fixtures_dir()),
    );
    let _worker = ChildProcess(worker.spawn().expect("start finstage worker"));

    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    eventually(TIMEOUT, "the gateway to listen", || async {
        client.get(format!("{base}/healthz")).send().await.is_ok()
    })
    .await;
    let trace_id = uuid::Uuid::new_v4().simple().to_string();
    let caller_span = "00f067aa0ba902b7";
    let asked = client
        .post(format!("{base}/graphql"))
        .header("traceparent", format!("00-{trace_id}-{caller_span}-01"))
        .json(&json!({ "query": "{ company(symbol: \"AAPL\") { status } }" }))
        .send()
        .await
        .expect("ask for AAPL");
    assert_eq!(asked.status(), 200);

    // The outcome's delivery to the gateway ends the trace.
    let trace = eventually(TIMEOUT, "the whole trace exported", || async {
        let trace = collector.trace(&trace_id);
        trace
            .iter()
            .any(|span| span.name == "deliver_result")
            .then_some(trace)
    })
    .await;

    let request = span(&trace, "finstage-gateway", "http_request");
    assert_eq!(
        request.parent_span_id, caller_span,
        "continues the caller's"
    );
    let publish = span(&trace, "finstage-gateway", "publish_registration");
    assert!(
        descends_from(&trace, publish, request),
        "the relay continues the request that registered the company, through the outbox"
    );
    let message = span(&trace, "finstage-worker", "request_message");
    assert_eq!(
        message.parent_span_id, publish.span_id,
        "the worker continues the relay's span, from the message's headers"
    );
    let ingest = span(&trace, "finstage-worker", "ingest");
    assert!(descends_from(&trace, ingest, message));
    let deliver = span(&trace, "finstage-gateway", "deliver_result");
    assert!(
        descends_from(&trace, deliver, ingest),
        "the gateway continues the worker's span, from the result's headers"
    );
}

/// Without `OTEL_EXPORTER_OTLP_ENDPOINT` (the in-process test gateway installs no exporter),
/// a caller's `traceparent` is not read, and nothing is written with its request.
#[tokio::test]
async fn without_an_exporter_no_trace_context_is_kept_with_a_request() {
    let app = crate::helpers::spawn_app().await;
    let asked = app
        .client
        .post(format!("{}/graphql", app.address))
        .header(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )
        .json(&json!({ "query": "{ company(symbol: \"AAPL\") { status } }" }))
        .send()
        .await
        .expect("ask for AAPL");
    assert_eq!(asked.status(), 200);
    assert_eq!(app.latest_request("AAPL").await.traceparent, None);
}
