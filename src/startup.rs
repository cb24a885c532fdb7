//! Builds the gateway from settings and runs it: binds the listener first (port 0 works, for
//! tests), then serves until SIGTERM or Ctrl-C, letting requests in flight finish.

use std::net::SocketAddr;

use tokio::net::TcpListener;

use crate::config::ServeSettings;
use crate::db::{Db, DbError};
use crate::graphql::{RegistrationLimiter, build_schema};
use crate::http::{AppState, router};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] DbError),
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
}

impl Application {
    pub async fn build(settings: &ServeSettings) -> Result<Self, StartupError> {
        let db = Db::new(&settings.database)?;
        let limiter = RegistrationLimiter::per_minute(settings.api.registrations_per_minute);
        let state = AppState {
            db: db.clone(),
            schema: build_schema(db.clone(), limiter),
            admin_token: settings.api.admin_token.clone(),
        };
        let addr = settings.http.listen_addr;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartupError::Bind { addr, source })?;
        Ok(Self {
            listener,
            router: router(state, &settings.http),
            db,
        })
    }

    /// The address actually bound (the real port when configured with port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        tracing::info!(addr = ?self.listener.local_addr().ok(), "serving GraphQL at /graphql");
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service)
            .with_graceful_shutdown(shutdown_signal())
            .await
    }
}

async fn shutdown_signal() {
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
    tracing::info!("shutting down: finishing requests in flight");
}
