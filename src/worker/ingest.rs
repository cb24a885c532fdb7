//! Handling one request message. The steps, each safe to repeat after a crash:
//! 1. Parse; a poison message (not JSON, bad symbol) goes straight to the dead-letter topic.
//! 2. Take the company's ingestion lock, so two workers never ingest one company at once.
//! 3. A request already completed (a redelivery) only has its result published again.
//! 4. Mark the company `IN_PROGRESS`, fetch with retries, then store it (`READY`, in one
//!    transaction) or record why not (`NOT_FOUND`, `FAILED`; transient failures that never
//!    cleared also go to the dead-letter topic). A company already `READY` (a refresh)
//!    stays `READY` throughout: its stored statements are still good, so a failed refresh
//!    is recorded on the request only.
//! 5. Close the request and publish the outcome to the result topic.
//!
//! An infrastructure failure (MySQL or Kafka down) in any step retries the whole message
//! after a backoff; the steps above make that safe.

use chrono::Utc;
use diesel_async::AsyncConnection;
use rdkafka::message::{BorrowedMessage, Header, Message, OwnedHeaders};
use tokio_util::sync::CancellationToken;

use super::retry::Fetched;
use super::{Handled, INFRA_RETRY_MAX, INFRA_RETRY_MIN, Worker, WorkerError};
use crate::db::registrations::{self, RegistrationRecord};
use crate::db::{DbConnection, DbError, companies, is_data_error, locks};
use crate::domain::{CompanyStatus, RegistrationState, Symbol};
use crate::ingestion::store::{CompletedRequest, store_company};
use crate::kafka::{self, RegistrationMessage, ResultMessage};

/// How long one `GET_LOCK` call waits before the worker checks for shutdown and asks again.
const LOCK_WAIT_SECS: u32 = 5;

/// A terminal outcome of one ingestion.
struct Outcome {
    status: CompanyStatus,
    reason: Option<String>,
    request_state: RegistrationState,
}

impl Worker {
    /// Handles `message` until it is done or the worker stops; infrastructure failures are
    /// retried with backoff, never skipped.
    #[tracing::instrument(
        name = "ingest_message",
        skip_all,
        fields(
            partition = message.partition(),
            offset = message.offset(),
            symbol = tracing::field::Empty
        )
    )]
    pub(super) async fn handle(
        &self,
        message: &BorrowedMessage<'_>,
        shutdown: &CancellationToken,
    ) -> Handled {
        let mut delay = INFRA_RETRY_MIN;
        loop {
            match self.try_handle(message, shutdown).await {
                Ok(handled) => return handled,
                Err(error) => {
                    tracing::warn!(%error, retry_in_ms = delay.as_millis(), "message handling failed; retrying");
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => return Handled::Released,
                () = tokio::time::sleep(delay) => delay = (delay * 2).min(INFRA_RETRY_MAX),
            }
        }
    }

    async fn try_handle(
        &self,
        message: &BorrowedMessage<'_>,
        shutdown: &CancellationToken,
    ) -> Result<Handled, WorkerError> {
        let (symbol, request_id) = match parse_request(message.payload()) {
            Ok(parsed) => parsed,
            Err(reason) => {
                tracing::warn!(%reason, "poison message dead-lettered");
                self.dead_letter(message, &reason, 0).await?;
                return Ok(Handled::Done);
            }
        };
        tracing::Span::current().record("symbol", symbol.as_str());
        let mut lock = self.db.conn().await?;
        loop {
            match locks::lock_company(&mut lock, &symbol, LOCK_WAIT_SECS).await {
                Ok(true) => break,
                Ok(false) if shutdown.is_cancelled() => return Ok(Handled::Released),
                Ok(false) => {
                    tracing::debug!(%symbol, "another worker is ingesting this company; waiting");
                }
                Err(error) => {
                    // The server may have granted the lock before the error: never return
                    // this connection to the pool.
                    drop(DbConnection::take(lock));
                    return Err(error.into());
                }
            }
        }
        let handled = self
            .ingest_locked(message, &symbol, request_id, shutdown)
            .await;
        if let Err(error) = locks::unlock_company(&mut lock, &symbol).await {
            // Closing the connection releases its locks; never return it to the pool locked.
            tracing::warn!(%error, "cannot release the ingestion lock; closing its connection");
            drop(DbConnection::take(lock));
        }
        handled
    }

    async fn ingest_locked(
        &self,
        message: &BorrowedMessage<'_>,
        symbol: &Symbol,
        request_id: Option<i64>,
        shutdown: &CancellationToken,
    ) -> Result<Handled, WorkerError> {
        let mut conn = self.db.conn().await?;
        let request = find_request(&mut conn, symbol, request_id).await?;
        if let Some(request) = request.as_ref().filter(|r| r.completed_at.is_some()) {
            tracing::info!(%symbol, request_id = request.id, "request already handled; republishing its result");
            let company = companies::by_symbols(&mut conn, std::slice::from_ref(symbol)).await?;
            // A newer request may have the company in hand again; its own result will follow.
            if let Some(company) = company.first().filter(|c| c.status.is_final()) {
                let outcome = Outcome {
                    status: company.status,
                    // A failed refresh left the company READY, with the reason on the
                    // request only (a successful ingestion clears it).
                    reason: company
                        .status_reason
                        .clone()
                        .or_else(|| request.last_error.clone()),
                    request_state: request.state,
                };
                self.publish_result(symbol, Some(request), &outcome, request.attempts as u32)
                    .await?;
            }
            return Ok(Handled::Done);
        }

        let refreshing = conn
            .transaction(async |conn| {
                let stored = companies::by_symbols(conn, std::slice::from_ref(symbol)).await?;
                let refreshing = stored.first().map(|c| c.status) == Some(CompanyStatus::Ready);
                if !refreshing {
                    companies::insert_pending(conn, std::slice::from_ref(symbol)).await?;
                    companies::set_status(conn, symbol, CompanyStatus::InProgress, None).await?;
                }
                if let Some(request) = &request {
                    registrations::set_progress(
                        conn,
                        request.id,
                        RegistrationState::InProgress,
                        0,
                        None,
                    )
                    .await?;
                }
                Ok::<_, diesel::result::Error>(refreshing)
            })
            .await?;
        drop(conn);

        let started = std::time::Instant::now();
        let (fetched, attempts) = self
            .fetch_with_retries(symbol, request.as_ref(), shutdown)
            .await?;
        let outcome = match fetched {
            Fetched::Interrupted => {
                self.give_back(symbol, request.as_ref(), refreshing).await?;
                return Ok(Handled::Released);
            }
            Fetched::Company(company) => {
                let completes = request
                    .as_ref()
                    .map(|r| CompletedRequest { id: r.id, attempts });
                self.store(symbol, &company, completes).await?
            }
            Fetched::NotFound(reason) => Outcome {
                status: CompanyStatus::NotFound,
                reason: Some(reason),
                request_state: RegistrationState::Completed,
            },
            Fetched::Invalid(reason) => failed(reason),
            Fetched::GaveUp(reason) => {
                self.dead_letter(message, &reason, attempts).await?;
                failed(format!("gave up after {attempts} attempts: {reason}"))
            }
        };

        let stored = outcome.status == CompanyStatus::Ready;
        let outcome = if refreshing && !stored {
            outcome.keeping_ready()
        } else {
            outcome
        };
        if !stored {
            self.db
                .conn()
                .await?
                .transaction(async |conn| {
                    let reason = outcome.reason.as_deref();
                    if !refreshing {
                        companies::set_status(conn, symbol, outcome.status, reason).await?;
                    }
                    if let Some(request) = &request {
                        registrations::complete(
                            conn,
                            request.id,
                            outcome.request_state,
                            attempts,
                            reason,
                        )
                        .await?;
                    }
                    Ok::<_, diesel::result::Error>(())
                })
                .await?;
        }
        self.publish_result(symbol, request.as_ref(), &outcome, attempts)
            .await?;
        tracing::info!(
            %symbol,
            status = <&str>::from(outcome.status),
            reason = outcome.reason.as_deref(),
            attempts,
            elapsed_ms = started.elapsed().as_millis(),
            "ingestion finished"
        );
        Ok(Handled::Done)
    }

    /// Stores the company (`READY`). A row the database refuses (a value out of range, say)
    /// fails the company with the reason; any other error (a dropped connection, a deadlock)
    /// is retried by the caller.
    async fn store(
        &self,
        symbol: &Symbol,
        company: &crate::ingestion::NormalizedCompany,
        completes: Option<CompletedRequest>,
    ) -> Result<Outcome, WorkerError> {
        let mut conn = self.db.conn().await?;
        match store_company(&mut conn, symbol, None, company, completes).await {
            Ok(_) => Ok(Outcome {
                status: CompanyStatus::Ready,
                reason: None,
                request_state: RegistrationState::Completed,
            }),
            Err(DbError::Query(error)) if is_data_error(&error) => {
                Ok(failed(format!("cannot store the statements: {error}")))
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Puts an unfinished company back in the queue: `PENDING` (or still `READY`, when this
    /// was a refresh), its request still open, so the next delivery of the message picks it
    /// up. The attempts and last error recorded so far stay on the request.
    async fn give_back(
        &self,
        symbol: &Symbol,
        request: Option<&RegistrationRecord>,
        refreshing: bool,
    ) -> Result<(), WorkerError> {
        let mut conn = self.db.conn().await?;
        if !refreshing {
            companies::set_status(&mut conn, symbol, CompanyStatus::Pending, None).await?;
        }
        if let Some(request) = request {
            registrations::set_state(&mut conn, request.id, RegistrationState::Published).await?;
        }
        tracing::info!(%symbol, "worker stopping; request released");
        Ok(())
    }

    async fn publish_result(
        &self,
        symbol: &Symbol,
        request: Option<&RegistrationRecord>,
        outcome: &Outcome,
        attempts: u32,
    ) -> Result<(), WorkerError> {
        let result = ResultMessage {
            symbol: symbol.to_string(),
            // A `READY` outcome with a reason is a refresh that failed.
            success: outcome.status == CompanyStatus::Ready && outcome.reason.is_none(),
            status: outcome.status,
            reason: outcome.reason.clone(),
            request_id: request.map(|r| r.id.to_string()),
            attempts,
            completed_at: Utc::now(),
        };
        let payload = serde_json::to_vec(&result)?;
        kafka::publish(
            &self.producer,
            &self.settings.kafka.result_topic,
            symbol.as_str(),
            &payload,
        )
        .await?;
        Ok(())
    }

    /// Copies `message` to the dead-letter topic, with why and after how many attempts in
    /// its headers, and where it came from.
    async fn dead_letter(
        &self,
        message: &BorrowedMessage<'_>,
        error: &str,
        attempts: u32,
    ) -> Result<(), WorkerError> {
        let attempts = attempts.to_string();
        let partition = message.partition().to_string();
        let offset = message.offset().to_string();
        let failed_at = Utc::now().to_rfc3339();
        let headers = OwnedHeaders::new()
            .insert(header("error", error))
            .insert(header("attempts", &attempts))
            .insert(header("source-topic", message.topic()))
            .insert(header("source-partition", &partition))
            .insert(header("source-offset", &offset))
            .insert(header("failed-at", &failed_at));
        let key = message
            .key()
            .map(String::from_utf8_lossy)
            .unwrap_or_default();
        kafka::publish_with_headers(
            &self.producer,
            &self.settings.kafka.dlq_topic,
            &key,
            message.payload().unwrap_or_default(),
            headers,
        )
        .await?;
        Ok(())
    }
}

fn header<'a>(key: &'a str, value: &'a str) -> Header<'a, &'a str> {
    Header {
        key,
        value: Some(value),
    }
}

impl Outcome {
    /// A refresh that did not store anything: the company keeps its earlier statements and
    /// stays `READY`; the reason goes on the request and the result event.
    fn keeping_ready(self) -> Self {
        Self {
            status: CompanyStatus::Ready,
            reason: self
                .reason
                .map(|reason| format!("refresh failed, earlier statements kept: {reason}")),
            request_state: self.request_state,
        }
    }
}

fn failed(reason: String) -> Outcome {
    Outcome {
        status: CompanyStatus::Failed,
        reason: Some(reason),
        request_state: RegistrationState::Failed,
    }
}

/// The symbol and, from our own relay, the request id. The earlier system sent only
/// `{"symbol":"…"}`; that is accepted too.
fn parse_request(payload: Option<&[u8]>) -> Result<(Symbol, Option<i64>), String> {
    let payload = payload.ok_or("empty message")?;
    let message: RegistrationMessage = serde_json::from_slice(payload)
        .map_err(|error| format!("not a registration request: {error}"))?;
    let symbol = Symbol::parse(&message.symbol).map_err(|error| error.to_string())?;
    let request_id = message.request_id.and_then(|id| id.parse().ok());
    Ok((symbol, request_id))
}

/// The request this message stands for: the one it names, or else (a message from the
/// earlier system, or naming a request this database does not have) the symbol's open one.
async fn find_request(
    conn: &mut DbConnection,
    symbol: &Symbol,
    request_id: Option<i64>,
) -> Result<Option<RegistrationRecord>, WorkerError> {
    if let Some(id) = request_id
        && let Some(request) = registrations::by_id(conn, id).await?
        && request.symbol == symbol.as_str()
    {
        return Ok(Some(request));
    }
    Ok(registrations::open_request(conn, symbol).await?)
}

#[cfg(test)]
mod tests {
    use super::parse_request;

    #[test]
    fn accepts_both_payloads_and_refuses_poison() {
        let (symbol, id) = parse_request(Some(br#"{"symbol":"aapl"}"#)).unwrap();
        assert_eq!((symbol.as_str(), id), ("AAPL", None));
        let (_, id) = parse_request(Some(
            br#"{"symbol":"AAPL","requestId":"42","requestedAt":"2026-11-25T09:00:00Z"}"#,
        ))
        .unwrap();
        assert_eq!(id, Some(42));
        assert!(parse_request(Some(b"not json")).is_err());
        assert!(parse_request(Some(br#"{"symbol":"NO WAY!"}"#)).is_err());
        assert!(parse_request(None).is_err());
    }
}
