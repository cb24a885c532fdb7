//! graphql-ws at `/graphql/ws` carries subscriptions only. Queries and mutations belong on
//! `POST /graphql`, which sets up what they rely on per request: the DataLoaders, the caller
//! (registration rate limit, admin token) and the read cache. Over the socket they would run
//! without all three, so they are refused with `extensions.code = "OPERATION_NOT_ALLOWED"`.
//!
//! Anyone can open a socket, so each is bounded (`WebSocketSettings`): sockets in total and
//! per client (else 429 / 503 before the upgrade), an `Origin` from `CORS_ALLOWED_ORIGINS`
//! (else 403), subscriptions per socket (`TOO_MANY_SUBSCRIPTIONS` beyond), message size,
//! time to `connection_init`, and idle time without a subscription or a message.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::parser::types::OperationType;
use async_graphql::{Data, Executor, Request, Response, ServerError};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response as HttpResponse};
use futures_util::stream::{self, BoxStream, SplitStream, Stream, StreamExt};

use super::graphql::{client_key, may_run};
use super::{AppState, MAX_BODY_BYTES};
use crate::config::WebSocketSettings;
use crate::graphql::AppSchema;

/// Open sockets, in total and per client IP.
pub struct SocketSlots {
    settings: WebSocketSettings,
    open: Mutex<HashMap<String, usize>>,
    total: AtomicUsize,
}

/// One open socket's place in `SocketSlots`, given back when the socket closes.
struct SocketSlot {
    slots: Arc<SocketSlots>,
    client: String,
}

impl SocketSlots {
    pub fn new(settings: WebSocketSettings) -> Self {
        Self {
            settings,
            open: Mutex::new(HashMap::new()),
            total: AtomicUsize::new(0),
        }
    }

    fn acquire(self: &Arc<Self>, client: String) -> Result<SocketSlot, StatusCode> {
        let Ok(mut open) = self.open.lock() else {
            return Err(StatusCode::SERVICE_UNAVAILABLE);
        };
        if self.total.load(Ordering::Relaxed) >= self.settings.max_connections {
            return Err(StatusCode::SERVICE_UNAVAILABLE);
        }
        let per_client = open.entry(client.clone()).or_default();
        if *per_client >= self.settings.max_connections_per_client {
            return Err(StatusCode::TOO_MANY_REQUESTS);
        }
        *per_client += 1;
        self.total.fetch_add(1, Ordering::Relaxed);
        Ok(SocketSlot {
            slots: self.clone(),
            client,
        })
    }
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        self.slots.total.fetch_sub(1, Ordering::Relaxed);
        if let Ok(mut open) = self.slots.open.lock()
            && let Some(count) = open.get_mut(&self.client)
        {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.client);
            }
        }
    }
}

pub async fn upgrade(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> HttpResponse {
    if !origin_allowed(&headers, &state.cors_allowed_origins) {
        return (StatusCode::FORBIDDEN, "origin not allowed").into_response();
    }
    let client = client_key(&state, peer, &headers);
    let slot = match state.sockets.acquire(client) {
        Ok(slot) => slot,
        Err(status) => return (status, "too many websocket connections").into_response(),
    };
    let settings = state.sockets.settings.clone();
    let schema = state.schema.clone();
    upgrade
        .max_message_size(MAX_BODY_BYTES)
        .max_frame_size(MAX_BODY_BYTES)
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| async move {
            let _slot = slot;
            let active = Arc::new(AtomicUsize::new(0));
            let executor = SubscriptionsOnly {
                schema,
                active: active.clone(),
                max: settings.max_subscriptions_per_connection,
            };
            let (sink, incoming) = socket.split();
            let incoming = with_deadlines(incoming, &settings, active);
            GraphQLWebSocket::new_with_pair(sink, incoming, executor, protocol)
                .serve()
                .await;
        })
}

/// A browser always sends `Origin`; it must be the server's own (GraphiQL's) or an allowed
/// one (`*` allows any). Clients that are not browsers send none.
fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let same_origin = host.is_some() && origin.split_once("://").map(|(_, h)| h) == host;
    same_origin
        || allowed
            .iter()
            .map(|o| o.trim())
            .any(|o| o == "*" || o == origin)
}

/// Ends the socket's input (which closes it) when `connection_init` does not come in time,
/// or when it has had no subscription and no message for the idle timeout.
fn with_deadlines(
    incoming: SplitStream<WebSocket>,
    settings: &WebSocketSettings,
    active: Arc<AtomicUsize>,
) -> impl Stream<Item = Result<Message, axum::Error>> + use<> {
    let init = Duration::from_secs(settings.connection_init_timeout_secs);
    let idle = Duration::from_secs(settings.idle_timeout_secs);
    stream::unfold((incoming, false), move |(mut incoming, initialised)| {
        let active = active.clone();
        async move {
            loop {
                let wait = if initialised { idle } else { init };
                match tokio::time::timeout(wait, incoming.next()).await {
                    Ok(next) => return next.map(|message| (message, (incoming, true))),
                    Err(_) if initialised && active.load(Ordering::Relaxed) > 0 => {}
                    Err(_) => return None,
                }
            }
        }
    })
}

/// The schema for one socket, which refuses queries, mutations and subscriptions beyond the
/// socket's quota.
#[derive(Clone)]
pub struct SubscriptionsOnly {
    schema: AppSchema,
    active: Arc<AtomicUsize>,
    max: usize,
}

/// One running subscription's place in its socket's quota.
struct Active(Arc<AtomicUsize>);

impl Drop for Active {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Executor for SubscriptionsOnly {
    async fn execute(&self, mut request: Request) -> Response {
        match refusal(&mut request) {
            Some(refused) => refused,
            None => Executor::execute(&self.schema, request).await,
        }
    }

    fn execute_stream(
        &self,
        mut request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        if let Some(refused) = refusal(&mut request) {
            return stream::once(async move { refused }).boxed();
        }
        if self.active.fetch_add(1, Ordering::Relaxed) >= self.max {
            self.active.fetch_sub(1, Ordering::Relaxed);
            let refused = error(
                format!("at most {} subscriptions per connection", self.max),
                "TOO_MANY_SUBSCRIPTIONS",
            );
            return stream::once(async move { refused }).boxed();
        }
        let active = Active(self.active.clone());
        Executor::execute_stream(&self.schema, request, session_data)
            .map(move |response| {
                let _active = &active;
                response
            })
            .boxed()
    }
}

fn refusal(request: &mut Request) -> Option<Response> {
    let refused =
        may_run(request, OperationType::Query) || may_run(request, OperationType::Mutation);
    refused.then(|| {
        error(
            "only subscriptions are served over the websocket; send queries and mutations with POST /graphql".to_owned(),
            "OPERATION_NOT_ALLOWED",
        )
    })
}

fn error(message: String, code: &str) -> Response {
    let mut error = ServerError::new(message, None);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
    Response::from_errors(vec![error])
}
