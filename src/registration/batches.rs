//! Group commit for registrations. Each registration is one transaction, and on a durable
//! server each commit waits for its own flush to disk, so under load the commits, not the
//! work, set the pace. `Registrations` hands every registration to one writer task that runs
//! at most [`TRANSACTIONS_IN_FLIGHT`] transactions at once; registrations arriving while they
//! commit wait and then go together, up to [`MAX_BATCH_SYMBOLS`] symbols, in the next one.
//! An idle gateway adds no delay (a lone registration starts at once), and a busy one adds
//! at most one transaction's time. Nobody is answered before the transaction holding their
//! request has committed, so the outbox's promise is unchanged.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use diesel_async::AsyncConnection;
use tokio::sync::{Semaphore, mpsc, oneshot};

use super::{Registered, lifecycle};
use crate::db::companies;
use crate::db::{Db, DbError, is_retryable};
use crate::domain::Symbol;
use crate::telemetry::{metrics, traces};

/// Registration transactions running at once; more would only queue for the same disk flush.
const TRANSACTIONS_IN_FLIGHT: usize = 4;
/// Symbols gathered into one transaction before it starts (one registration may take it a
/// little past): bounds how long its row locks are held and how long it takes.
const MAX_BATCH_SYMBOLS: usize = 256;
/// Registrations waiting for a transaction; beyond this, callers wait to hand theirs over.
const WAITING_CAPACITY: usize = 4_096;
/// Attempts for a registration transaction that hits an InnoDB deadlock.
const MAX_ATTEMPTS: u32 = 5;

/// Registers symbols the database lacks, writing registrations that arrive together in one
/// transaction. Cheap to clone; the writer task stops when the last clone is dropped.
#[derive(Clone)]
pub struct Registrations {
    db: Db,
    waiting: mpsc::Sender<Registration>,
    transactions: Arc<AtomicU64>,
}

/// One caller's symbols, its trace, and where its answer goes.
struct Registration {
    symbols: Vec<Symbol>,
    traceparent: Option<String>,
    answer: oneshot::Sender<Result<Registered, DbError>>,
}

impl Registration {
    /// Its symbols' traces, for the requests it opens.
    fn traceparents(&self) -> HashMap<Symbol, String> {
        let Some(traceparent) = &self.traceparent else {
            return HashMap::new();
        };
        self.symbols
            .iter()
            .map(|symbol| (symbol.clone(), traceparent.clone()))
            .collect()
    }
}

impl Registrations {
    /// Starts the writer task (on the current tokio runtime).
    pub fn start(db: Db) -> Self {
        let (waiting, arrivals) = mpsc::channel(WAITING_CAPACITY);
        let transactions = Arc::new(AtomicU64::new(0));
        tokio::spawn(write_batches(db.clone(), arrivals, transactions.clone()));
        Self {
            db,
            waiting,
            transactions,
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Registration transactions committed or attempted so far, which tests and benchmarks
    /// read to see registrations share them.
    pub fn transactions(&self) -> u64 {
        self.transactions.load(Ordering::Relaxed)
    }

    /// Registrations handed over and waiting for a transaction slot.
    pub fn waiting(&self) -> usize {
        WAITING_CAPACITY - self.waiting.capacity()
    }

    /// Registers `symbols` (assumed absent from `companies`): each gets a `PENDING` company
    /// and an open request, unless a loaded securities master does not list it. Returns once
    /// the transaction that wrote them has committed. Each request opened carries the
    /// current span's trace.
    #[tracing::instrument(skip_all, fields(count = symbols.len()))]
    pub async fn register(&self, symbols: &[Symbol]) -> Result<Registered, DbError> {
        let (answer, answered) = oneshot::channel();
        let registration = Registration {
            symbols: symbols.to_vec(),
            traceparent: traces::current_traceparent(),
            answer,
        };
        self.waiting
            .send(registration)
            .await
            .map_err(|_| writer_gone())?;
        answered.await.map_err(|_| writer_gone())?
    }
}

fn writer_gone() -> DbError {
    DbError::Unavailable(String::from("the registration writer stopped"))
}

/// Takes a transaction slot, then everything waiting (up to the batch bound), and writes it.
async fn write_batches(
    db: Db,
    mut arrivals: mpsc::Receiver<Registration>,
    transactions: Arc<AtomicU64>,
) {
    let slots = Arc::new(Semaphore::new(TRANSACTIONS_IN_FLIGHT));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let Some(first) = arrivals.recv().await else {
            return;
        };
        let mut symbols = first.symbols.len();
        let mut batch = vec![first];
        while symbols < MAX_BATCH_SYMBOLS {
            let Ok(next) = arrivals.try_recv() else {
                break;
            };
            symbols += next.symbols.len();
            batch.push(next);
        }
        let db = db.clone();
        let transactions = transactions.clone();
        tokio::spawn(async move {
            write_batch(&db, batch, &transactions).await;
            drop(slot);
        });
    }
}

/// Writes a batch in one transaction and answers each caller its part. When the batch fails
/// for a reason retrying cannot fix, each registration is written alone, so one caller's
/// failure is never another's.
async fn write_batch(db: &Db, mut batch: Vec<Registration>, transactions: &AtomicU64) {
    metrics::registration_batch(batch.len());
    let symbols: Vec<Symbol> = batch
        .iter()
        .flat_map(|registration| registration.symbols.iter().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    // A symbol several callers asked for carries the first one's trace.
    let mut traceparents = HashMap::new();
    for registration in batch.iter().rev() {
        traceparents.extend(registration.traceparents());
    }
    match register_in_one_transaction(db, &symbols, &traceparents, transactions).await {
        Ok(mut registered) => {
            for registration in batch {
                let part = take_part(&mut registered, &registration.symbols);
                let _ = registration.answer.send(Ok(part));
            }
        }
        Err(error) if batch.len() == 1 => {
            if let Some(registration) = batch.pop() {
                let _ = registration.answer.send(Err(error));
            }
        }
        Err(error) => {
            tracing::warn!(%error, registrations = batch.len(), "registration batch failed; writing each alone");
            for registration in batch {
                let alone = register_in_one_transaction(
                    db,
                    &registration.symbols,
                    &registration.traceparents(),
                    transactions,
                )
                .await;
                let _ = registration.answer.send(alone);
            }
        }
    }
}

/// What `symbols` came to, out of a batch's outcome (a symbol two callers asked for is
/// answered to both).
fn take_part(registered: &mut Registered, symbols: &[Symbol]) -> Registered {
    let mut part = Registered::default();
    for symbol in symbols {
        if let Some(record) = registered.companies.get(symbol) {
            part.companies.insert(symbol.clone(), record.clone());
        }
        if registered.unknown.contains(symbol) {
            part.unknown.insert(symbol.clone());
        }
    }
    part
}

/// `lifecycle::register` in one transaction (sorted symbols, so concurrent batches lock rows
/// in one order), retried on deadlocks; then the companies as committed.
async fn register_in_one_transaction(
    db: &Db,
    symbols: &[Symbol],
    traceparents: &HashMap<Symbol, String>,
    transactions: &AtomicU64,
) -> Result<Registered, DbError> {
    let mut conn = db.conn().await?;
    let mut attempt = 1;
    let registered = loop {
        transactions.fetch_add(1, Ordering::Relaxed);
        let result = conn
            .transaction(async |conn| lifecycle::register(conn, symbols, traceparents).await)
            .await;
        match result {
            Err(error) if attempt < MAX_ATTEMPTS && is_retryable(&error) => {
                tracing::debug!(%error, attempt, "registration transaction retried");
                attempt += 1;
            }
            result => break result?,
        }
    };
    metrics::registrations_requested(registered.opened);
    // Read after commit: inside the transaction, a row another request committed meanwhile
    // is invisible to the snapshot even though the upsert found it.
    let mut companies_now = HashMap::new();
    if !registered.listed.is_empty() {
        for record in companies::by_symbols(&mut conn, &registered.listed).await? {
            if let Ok(symbol) = Symbol::parse(&record.symbol) {
                companies_now.insert(symbol, record);
            }
        }
    }
    Ok(Registered {
        companies: companies_now,
        unknown: registered.unknown.into_iter().collect::<HashSet<_>>(),
    })
}
