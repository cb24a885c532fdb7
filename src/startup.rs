//! Builds the gateway from settings and runs it: binds the listener first (port 0 works, for
//! tests), then serves until the shutdown token is cancelled, letting requests in flight
//! finish within the drain deadline. Beside the server runs the request transport: the
//! outbox relay and the result listener (Kafka), or the in-process worker.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderValue;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::cache::ReadCache;
use crate::config::{KafkaSettings, RequestTransport, ServeSettings};
use crate::db::{Db, DbError, ReadinessProbe};
use crate::graphql::{PersistedQueries, RegistrationLimiter, build_schema};
use crate::http::{AppState, SocketSlots, router, serve};
use crate::registration::Registrations;
use crate::registration::relay::{Relay, RelayError};
use crate::results::StatusFeed;
use crate::results::listener::ResultListener;
use crate::shutdown;
use crate::supervise::{TaskHealth, TaskReport, supervise};
use crate::worker::ingest::Ingestor;
use crate::worker::{InProcessWorker, WorkerError};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("cannot configure the Kafka clients: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    #[error("cannot ingest in process: {0}")]
    Ingestion(#[from] WorkerError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// What carries registration requests to ingestion, and outcomes back, in this gateway.
enum Transport {
    Kafka(KafkaTransport),
    InProcess(InProcessWorker),
    Off,
}

/// The relay and the result listener, built once at start (so bad settings fail then), and
/// what it takes to build them again when their supervisor restarts them.
struct KafkaTransport {
    relay: Relay,
    listener: ResultListener,
    db: Db,
    settings: KafkaSettings,
    cache: Arc<ReadCache>,
    feed: StatusFeed,
}

impl KafkaTransport {
    fn spawn(
        self,
        background: &mut JoinSet<()>,
        health: &Arc<TransportHealth>,
        shutdown: &CancellationToken,
    ) {
        let Self {
            relay,
            listener,
            db,
            settings,
            cache,
            feed,
        } = self;
        let mut relay = Some(relay);
        let (relay_health, relay_stop, relay_settings) =
            (health.clone(), shutdown.clone(), settings.clone());
        background.spawn(async move {
            supervise("outbox relay", &relay_health.relay, relay_stop, |stop| {
                let relay = match relay.take() {
                    Some(relay) => relay,
                    None => Relay::new(db.clone(), relay_settings.clone())?,
                };
                Ok::<_, RelayError>(relay.run(stop))
            })
            .await;
        });
        let mut listener = Some(listener);
        let (listener_health, listener_stop) = (health.clone(), shutdown.clone());
        background.spawn(async move {
            supervise(
                "result listener",
                &listener_health.listener,
                listener_stop,
                |stop| {
                    let listener = match listener.take() {
                        Some(listener) => listener,
                        None => ResultListener::new(&settings, cache.clone(), feed.clone())?,
                    };
                    Ok::<_, rdkafka::error::KafkaError>(listener.run(stop))
                },
            )
            .await;
        });
    }
}

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    header_read_timeout: Duration,
    limiter: Arc<RegistrationLimiter>,
    db: Db,
    registrations: Registrations,
    transport: Transport,
    health: Arc<TransportHealth>,
}

impl Application {
    pub async fn build(settings: &ServeSettings) -> Result<Self, StartupError> {
        let db = Db::new(&settings.database)?;
        let limiter = Arc::new(RegistrationLimiter::per_minute(
            settings.api.registrations_per_minute,
        ));
        let feed = StatusFeed::default();
        let cache = Arc::new(ReadCache::new(&settings.cache));
        let registrations = Registrations::start(db.clone());
        let health = Arc::new(TransportHealth::new(settings.transport));
        let persisted = PersistedQueries::default();
        let state = AppState {
            transport: health.clone(),
            db: db.clone(),
            readiness: ReadinessProbe::new(&settings.database),
            cache: cache.clone(),
            schema: build_schema(
                db.clone(),
                registrations.clone(),
                limiter.clone(),
                feed.clone(),
                Duration::from_secs(settings.http.websocket.status_recheck_secs),
                persisted.clone(),
                settings.api.introspection,
            ),
            persisted,
            cacheable_control: HeaderValue::from_str(&format!(
                "public, max-age={}",
                settings.cache.http_max_age_secs
            ))
            .unwrap_or(HeaderValue::from_static("no-cache")),
            graphiql: settings.api.graphiql,
            registrations: registrations.clone(),
            limiter: limiter.clone(),
            trusted_proxies: settings.http.trusted_proxies.clone().into(),
            // An empty ADMIN_TOKEN (as in a copied .env.example) disables admin operations
            // rather than accepting an empty bearer token.
            admin_token: settings
                .api
                .admin_token
                .clone()
                .filter(|token| !token.expose_secret().is_empty()),
            metrics: crate::telemetry::prometheus(),
            request_timeout: Duration::from_secs(settings.http.request_timeout_secs),
            cors_allowed_origins: settings.http.cors_allowed_origins.clone(),
            sockets: Arc::new(SocketSlots::new(settings.http.websocket.clone())),
        };
        let transport = match settings.transport {
            RequestTransport::Kafka => Transport::Kafka(KafkaTransport {
                relay: Relay::new(db.clone(), settings.kafka.clone())?,
                listener: ResultListener::new(&settings.kafka, cache.clone(), feed.clone())?,
                db: db.clone(),
                settings: settings.kafka.clone(),
                cache,
                feed,
            }),
            RequestTransport::InProcess => {
                let ingestor = Ingestor::new(
                    db.clone(),
                    settings.database.pool_size,
                    settings.ingestion.clone(),
                )?;
                Transport::InProcess(InProcessWorker::new(ingestor, cache, feed))
            }
            RequestTransport::Off => Transport::Off,
        };
        let addr = settings.http.listen_addr;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartupError::Bind { addr, source })?;
        Ok(Self {
            listener,
            router: router(state, &settings.http),
            header_read_timeout: Duration::from_secs(settings.http.header_read_timeout_secs),
            limiter,
            db,
            registrations,
            transport,
            health,
        })
    }

    /// The address actually bound (the real port when configured with port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn registrations(&self) -> &Registrations {
        &self.registrations
    }

    /// Serves until `shutdown` is cancelled, with the request transport beside the server;
    /// then gives requests in flight and the transport's work in hand the drain deadline.
    /// Stopping the relay mid-round is safe: unmarked requests are published again.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) {
        tracing::info!(addr = ?self.listener.local_addr().ok(), "serving GraphQL at /graphql");
        let mut background = JoinSet::new();
        background.spawn(prune_registration_limits(self.limiter, shutdown.clone()));
        match self.transport {
            Transport::Kafka(kafka) => kafka.spawn(&mut background, &self.health, &shutdown),
            Transport::InProcess(worker) => {
                background.spawn(worker.run(shutdown.clone()));
            }
            Transport::Off => {}
        }
        let server = serve(
            self.listener,
            self.router,
            self.header_read_timeout,
            shutdown.clone(),
        );
        tokio::pin!(server);
        tokio::select! {
            () = &mut server => {}
            () = shutdown.cancelled() => {
                shutdown::drain("HTTP requests in flight", &mut server).await;
            }
        }
        shutdown.cancel();
        shutdown::drain("background tasks", async {
            while background.join_next().await.is_some() {}
        })
        .await;
    }
}

/// Every minute, forgets the clients whose registration allowance has refilled.
async fn prune_registration_limits(limiter: Arc<RegistrationLimiter>, shutdown: CancellationToken) {
    let mut every_minute = tokio::time::interval(Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = every_minute.tick() => limiter.prune(),
            () = shutdown.cancelled() => return,
        }
    }
}

/// How the request transport's background tasks are doing, for `/readyz`.
pub struct TransportHealth {
    kind: RequestTransport,
    relay: TaskHealth,
    listener: TaskHealth,
}

#[derive(Debug, serde::Serialize)]
pub struct TransportReport {
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relay: Option<TaskReport>,
    #[serde(skip_serializing_if = "Option::is_none", rename = "resultListener")]
    pub result_listener: Option<TaskReport>,
}

impl TransportHealth {
    fn new(kind: RequestTransport) -> Self {
        Self {
            kind,
            relay: TaskHealth::default(),
            listener: TaskHealth::default(),
        }
    }

    pub fn report(&self) -> TransportReport {
        let kafka = self.kind == RequestTransport::Kafka;
        TransportReport {
            kind: match self.kind {
                RequestTransport::Kafka => "kafka",
                RequestTransport::InProcess => "in-process",
                RequestTransport::Off => "off",
            },
            relay: kafka.then(|| self.relay.report()),
            result_listener: kafka.then(|| self.listener.report()),
        }
    }

    /// Whether every task that should run does.
    pub fn healthy(&self) -> bool {
        let report = self.report();
        [report.relay, report.result_listener]
            .into_iter()
            .flatten()
            .all(|task| task.running)
    }
}
