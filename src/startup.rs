//! Builds the gateway from settings and runs it: binds the listener first (port 0 works, for
//! tests), then serves until SIGTERM or Ctrl-C, letting requests in flight finish. With Kafka
//! on, the outbox relay and the result listener run beside the server.

use std::net::SocketAddr;
use std::sync::Arc;

use secrecy::ExposeSecret;
use tokio::net::TcpListener;

use crate::cache::ReadCache;
use crate::config::ServeSettings;
use crate::db::{Db, DbError};
use crate::graphql::{RegistrationLimiter, build_schema};
use crate::http::{AppState, router};
use crate::registration::relay::Relay;
use crate::registration::results::{ResultListener, StatusFeed};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("cannot configure the Kafka producer: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    db: Db,
    relay: Option<Relay>,
    results: Option<ResultListener>,
}

impl Application {
    pub async fn build(settings: &ServeSettings) -> Result<Self, StartupError> {
        let db = Db::new(&settings.database)?;
        let limiter = RegistrationLimiter::per_minute(settings.api.registrations_per_minute);
        let feed = StatusFeed::default();
        let cache = Arc::new(ReadCache::new(&settings.cache));
        let state = AppState {
            db: db.clone(),
            cache: cache.clone(),
            schema: build_schema(db.clone(), limiter, feed.clone()),
            // An empty ADMIN_TOKEN (as in a copied .env.example) disables admin operations
            // rather than accepting an empty bearer token.
            admin_token: settings
                .api
                .admin_token
                .clone()
                .filter(|token| !token.expose_secret().is_empty()),
            metrics: crate::telemetry::metrics(),
        };
        let addr = settings.http.listen_addr;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartupError::Bind { addr, source })?;
        let (relay, results) = if settings.kafka_enabled {
            (
                Some(Relay::new(db.clone(), settings.kafka.clone())?),
                Some(ResultListener::new(
                    &settings.kafka,
                    db.clone(),
                    cache,
                    feed,
                )?),
            )
        } else {
            (None, None)
        };
        Ok(Self {
            listener,
            router: router(state, &settings.http),
            db,
            relay,
            results,
        })
    }

    /// The address actually bound (the real port when configured with port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Serves until SIGTERM or Ctrl-C; the relay and the result listener run beside it.
    /// Stopping the relay mid-round is safe: unmarked requests are published again by the
    /// next relay.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        tracing::info!(addr = ?self.listener.local_addr().ok(), "serving GraphQL at /graphql");
        let relay = self.relay.map(|relay| tokio::spawn(relay.run()));
        let results = self.results.map(|results| tokio::spawn(results.run()));
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(self.listener, service)
            .with_graceful_shutdown(shutdown_signal())
            .await;
        for task in relay.into_iter().chain(results) {
            task.abort();
        }
        served
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = ctrl_c => {},
                    _ = terminate.recv() => {},
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; stopping on Ctrl-C only");
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutting down: finishing the work in flight");
}
