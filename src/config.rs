//! Typed configuration, read from environment variables (12-factor) or the matching flags.
//! A bad value stops the process at start with clap's message naming the variable; secrets
//! are `SecretString`s, so `Debug` and logs show them redacted.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use ipnet::IpNet;
use secrecy::SecretString;

#[derive(Debug, Clone, Args)]
pub struct DatabaseSettings {
    /// MySQL connection URL; may hold a password, so it is never printed.
    #[arg(
        long = "database-url",
        env = "DATABASE_URL",
        default_value = "mysql://root@127.0.0.1:3306/finstage",
        value_parser = parse_secret,
        hide_env_values = true
    )]
    pub url: SecretString,

    /// Maximum number of pooled MySQL connections.
    #[arg(long, env = "DATABASE_POOL_SIZE", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..))]
    pub pool_size: u16,

    /// Seconds to wait for a connection (connect or checkout) before answering "unavailable".
    #[arg(long, env = "DATABASE_TIMEOUT_SECS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_secs: u64,

    /// Milliseconds one SQL statement may run before the server cancels it (MariaDB's
    /// `max_statement_time`; MySQL's `max_execution_time`, which covers SELECTs).
    #[arg(long, env = "DATABASE_STATEMENT_TIMEOUT_MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub statement_timeout_ms: u64,
}

#[derive(Debug, Clone, Args)]
pub struct HttpSettings {
    /// Address the HTTP server listens on.
    #[arg(long, env = "LISTEN_ADDR", default_value = "127.0.0.1:8080")]
    pub listen_addr: SocketAddr,

    /// Origins allowed to call the API from a browser, comma-separated; `*` allows any.
    /// Empty (the default) allows same-origin requests only.
    #[arg(
        long,
        env = "CORS_ALLOWED_ORIGINS",
        value_delimiter = ',',
        default_value = ""
    )]
    pub cors_allowed_origins: Vec<String>,

    /// Proxies (addresses or CIDR ranges, comma-separated) whose `X-Forwarded-For` names the
    /// client, for per-client limits. Empty (the default): the TCP peer is the client.
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_network)]
    pub trusted_proxies: Vec<IpNet>,

    /// Seconds a GraphQL request may take before it is answered `TIMEOUT` (HTTP 504).
    #[arg(long, env = "HTTP_REQUEST_TIMEOUT_SECS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout_secs: u64,

    /// Seconds a client may take to send a request's headers; an idle keep-alive connection
    /// is closed after as long (hyper's header-read timer runs while it waits for the next
    /// request).
    #[arg(long, env = "HTTP_HEADER_READ_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub header_read_timeout_secs: u64,

    /// GraphQL requests served at once; more are refused at once with 503
    /// (`SERVICE_UNAVAILABLE`) rather than queued behind the database pool.
    #[arg(long, env = "HTTP_MAX_CONCURRENT_REQUESTS", default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_concurrent_requests: u64,

    #[command(flatten)]
    pub websocket: WebSocketSettings,
}

/// Bounds on the subscriptions websocket, which anyone can open.
#[derive(Debug, Clone, Args)]
pub struct WebSocketSettings {
    /// Websocket connections open at once, from all clients.
    #[arg(
        long = "ws-max-connections",
        env = "WS_MAX_CONNECTIONS",
        default_value_t = 1_000
    )]
    pub max_connections: usize,

    /// Websocket connections open at once from one client (IP address).
    #[arg(
        long = "ws-max-connections-per-client",
        env = "WS_MAX_CONNECTIONS_PER_CLIENT",
        default_value_t = 10
    )]
    pub max_connections_per_client: usize,

    /// Subscriptions running at once on one connection.
    #[arg(
        long = "ws-max-subscriptions",
        env = "WS_MAX_SUBSCRIPTIONS_PER_CONNECTION",
        default_value_t = 20
    )]
    pub max_subscriptions_per_connection: usize,

    /// Seconds a new connection has to send `connection_init`.
    #[arg(long = "ws-init-timeout-secs", env = "WS_CONNECTION_INIT_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub connection_init_timeout_secs: u64,

    /// Seconds a connection may go without a subscription and without a message.
    #[arg(long = "ws-idle-timeout-secs", env = "WS_IDLE_TIMEOUT_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout_secs: u64,

    /// Seconds between re-reads of the stored status for a subscriber whose company is still
    /// on its way (not stored, `PENDING`, `IN_PROGRESS`), so it never waits forever for an
    /// outcome this gateway did not receive.
    #[arg(long = "ws-status-recheck-secs", env = "WS_STATUS_RECHECK_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub status_recheck_secs: u64,
}

#[derive(Debug, Clone, Args)]
pub struct ApiSettings {
    /// Bearer token for admin operations (`refreshCompany`); unset disables them.
    #[arg(long, env = "ADMIN_TOKEN", value_parser = parse_secret, hide_env_values = true)]
    pub admin_token: Option<SecretString>,

    /// New registrations one client (IP address) may cause per minute.
    #[arg(long, env = "REGISTRATION_RATE_LIMIT", default_value = "60")]
    pub registrations_per_minute: NonZeroU32,

    /// Answer introspection (`__schema`, `__type`), which GraphiQL and client generators use.
    #[arg(long, env = "GRAPHQL_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub introspection: bool,

    /// Serve GraphiQL to browsers at `GET /graphql`.
    #[arg(long, env = "GRAPHIQL", default_value_t = true, action = clap::ArgAction::Set)]
    pub graphiql: bool,
}

#[derive(Debug, Clone, Args)]
pub struct KafkaSettings {
    /// Bootstrap brokers, comma-separated `host:port`.
    #[arg(long, env = "KAFKA_BROKERS", default_value = "127.0.0.1:9092")]
    pub brokers: String,
    /// Topic the relay publishes registration requests to (key = symbol).
    #[arg(
        long,
        env = "KAFKA_REQUEST_TOPIC",
        default_value = "financial.statement.request"
    )]
    pub request_topic: String,
    /// Topic ingestion outcomes are published to.
    #[arg(
        long,
        env = "KAFKA_RESULT_TOPIC",
        default_value = "financial.statement.result"
    )]
    pub result_topic: String,
    /// Dead-letter topic for requests that cannot be processed.
    #[arg(
        long,
        env = "KAFKA_DLQ_TOPIC",
        default_value = "financial.statement.request.dlq"
    )]
    pub dlq_topic: String,
    /// Partitions for topics the service creates.
    #[arg(long, env = "KAFKA_TOPIC_PARTITIONS", default_value_t = 3, value_parser = clap::value_parser!(i32).range(1..))]
    pub topic_partitions: i32,
    /// Replication factor for topics the service creates (3 on a production cluster).
    #[arg(long, env = "KAFKA_REPLICATION_FACTOR", default_value_t = 1, value_parser = clap::value_parser!(i32).range(1..))]
    pub replication_factor: i32,
    /// Seconds after which the relay publishes again a request that was published but has no
    /// outcome (lost in Kafka, or its worker died with it); workers skip a request they
    /// already finished. Keep it above a worker's longest handling (15 min).
    #[arg(long, env = "OUTBOX_REDRIVE_AFTER_SECS", default_value_t = 1_800, value_parser = clap::value_parser!(u64).range(1..))]
    pub redrive_after_secs: u64,
}

#[derive(Debug, Clone, Args)]
pub struct CacheSettings {
    /// Most statements the read cache holds per statement kind (about 0.5 KB each); 0
    /// disables caching.
    #[arg(long, env = "CACHE_MAX_STATEMENTS", default_value_t = 100_000)]
    pub max_statements: u64,
    /// Most bytes of whole query responses the read cache holds; 0 disables response caching.
    #[arg(long, env = "CACHE_MAX_RESPONSE_BYTES", default_value_t = 32 * 1024 * 1024)]
    pub max_response_bytes: u64,
    /// Seconds a cached company lives at most. Result events drop a re-ingested company at
    /// once; this bounds staleness when events are off (REQUEST_TRANSPORT=off) or missed.
    #[arg(long = "cache-ttl-secs", env = "CACHE_TTL_SECS", default_value_t = 600)]
    pub ttl_secs: u64,
    /// Seconds browsers and HTTP caches may reuse an answer showing only READY companies
    /// (`Cache-Control: public, max-age`) before revalidating it by its ETag; a re-ingested
    /// company can look that much older there.
    #[arg(long, env = "HTTP_CACHE_MAX_AGE_SECS", default_value_t = 60)]
    pub http_max_age_secs: u64,
}

#[derive(Debug, Clone, Args)]
pub struct ServeSettings {
    #[command(flatten)]
    pub database: DatabaseSettings,
    #[command(flatten)]
    pub http: HttpSettings,
    #[command(flatten)]
    pub api: ApiSettings,
    #[command(flatten)]
    pub kafka: KafkaSettings,
    #[command(flatten)]
    pub cache: CacheSettings,
    /// How registration requests reach an ingestion worker, and outcomes come back.
    #[arg(long, env = "REQUEST_TRANSPORT", value_enum, default_value_t = RequestTransport::Kafka)]
    pub transport: RequestTransport,
    /// Used by the in-process transport only: `serve` ingests companies itself.
    #[command(flatten)]
    pub ingestion: IngestionSettings,
}

/// The seam between the gateway and ingestion (see ARCHITECTURE.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RequestTransport {
    /// The outbox relay publishes requests to Kafka for `finstage worker` processes, and the
    /// gateway listens on the result topic (production; scales out).
    Kafka,
    /// `serve` claims requests from the outbox and ingests them itself; outcomes go straight
    /// to the read cache and subscribers. One machine, no broker (demos, development).
    InProcess,
    /// Requests wait in the outbox (tests; a gateway beside an external relay).
    Off,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProviderKind {
    /// Live SEC EDGAR (needs SEC_USER_AGENT).
    Sec,
    /// SEC's companyfacts files from a local directory (SEC_DIR); works offline.
    SecDir,
    /// Financial Modeling Prep (needs FMP_API_KEY).
    Fmp,
}

#[derive(Debug, Clone, Args)]
pub struct ProviderSettings {
    /// Where the worker fetches filings from.
    #[arg(long, env = "PROVIDER", value_enum, default_value_t = ProviderKind::Sec)]
    pub provider: ProviderKind,
    /// SEC EDGAR's data API (companyfacts).
    #[arg(long, env = "SEC_BASE_URL", default_value = "https://data.sec.gov")]
    pub sec_base_url: String,
    /// SEC's symbol → CIK list, in either shape SEC publishes (`company_tickers.json`, or
    /// `company_tickers_exchange.json`, which adds exchanges).
    #[arg(
        long,
        env = "SEC_TICKERS_URL",
        default_value = "https://www.sec.gov/files/company_tickers_exchange.json"
    )]
    pub sec_tickers_url: String,
    /// User-Agent naming the operator and a contact, required by SEC's fair-access rules.
    #[arg(long, env = "SEC_USER_AGENT")]
    pub sec_user_agent: Option<String>,
    /// Requests per second to SEC from this process (SEC allows 10 per client).
    #[arg(long, env = "SEC_REQUESTS_PER_SECOND", default_value = "10")]
    pub sec_requests_per_second: NonZeroU32,
    /// Directory of company_tickers.json (or company_tickers_exchange.json) and
    /// CIK##########.json files (provider sec-dir).
    #[arg(long, env = "SEC_DIR")]
    pub sec_dir: Option<PathBuf>,
    /// Financial Modeling Prep's API.
    #[arg(
        long,
        env = "FMP_BASE_URL",
        default_value = "https://financialmodelingprep.com"
    )]
    pub fmp_base_url: String,
    /// Financial Modeling Prep API key (provider fmp); never logged.
    #[arg(long, env = "FMP_API_KEY", value_parser = parse_secret, hide_env_values = true)]
    pub fmp_api_key: Option<SecretString>,
    /// Seconds one provider request may take, connecting included.
    #[arg(long = "provider-timeout-secs", id = "provider_timeout_secs", env = "PROVIDER_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_secs: u64,

    /// Most bytes of one provider answer read, after decompression (default 64 MiB). A larger
    /// answer fails the request as invalid instead of exhausting memory.
    #[arg(long, env = "PROVIDER_MAX_BODY_BYTES", default_value_t = Self::DEFAULT_MAX_BODY_BYTES, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_body_bytes: u64,
}

impl ProviderSettings {
    /// `PROVIDER_MAX_BODY_BYTES` when unset: 64 MiB.
    pub const DEFAULT_MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }
}

/// How one company is fetched and how hard the provider is retried: shared by
/// `finstage worker` and the in-process transport.
#[derive(Debug, Clone, Args)]
pub struct IngestionSettings {
    #[command(flatten)]
    pub provider: ProviderSettings,
    /// Provider attempts per request before it is dead-lettered and the company FAILED.
    #[arg(long, env = "WORKER_MAX_ATTEMPTS", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_attempts: u32,
    /// First retry delay (milliseconds); it doubles per attempt, with jitter.
    #[arg(long, env = "WORKER_RETRY_BASE_MS", default_value_t = 1_000)]
    pub retry_base_ms: u64,
    /// Longest retry delay (milliseconds), also the cap on a provider's Retry-After.
    #[arg(long, env = "WORKER_RETRY_MAX_MS", default_value_t = 30_000)]
    pub retry_max_ms: u64,
    /// Longest wait (seconds) for a company another worker is ingesting; then the request is
    /// put back behind the others rather than holding up its partition.
    #[arg(long, env = "WORKER_LOCK_WAIT_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub lock_wait_secs: u64,
    /// Transient provider failures in a row, from at least two companies, that open the
    /// circuit breaker: requests then wait instead of being retried into the dead-letter
    /// topic.
    #[arg(long, env = "PROVIDER_BREAKER_FAILURES", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub breaker_failures: u32,
    /// Seconds the breaker first stays open (doubling each time it opens again, up to
    /// `PROVIDER_BREAKER_MAX_OPEN_SECS`); a longer `Retry-After` from the provider is
    /// honoured instead.
    #[arg(long, env = "PROVIDER_BREAKER_OPEN_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub breaker_open_secs: u64,
    /// The longest the breaker stays open at a time (seconds), whatever the doubling or the
    /// provider's `Retry-After` asks: the operator's bound on how long ingestion pauses
    /// before the provider is probed again.
    #[arg(long, env = "PROVIDER_BREAKER_MAX_OPEN_SECS", default_value_t = 3_600, value_parser = clap::value_parser!(u64).range(1..))]
    pub breaker_max_open_secs: u64,
}

impl IngestionSettings {
    /// How long the provider attempts of one request can take at worst: every attempt
    /// timing out, every pause between them at its longest.
    pub fn worst_case_fetch(&self) -> Duration {
        let attempts = u64::from(self.max_attempts);
        let fetching_ms = attempts.saturating_mul(self.provider.timeout_secs.saturating_mul(1000));
        let pausing_ms = attempts.saturating_sub(1).saturating_mul(self.retry_max_ms);
        Duration::from_millis(fetching_ms.saturating_add(pausing_ms))
    }

    pub fn lock_wait(&self) -> Duration {
        Duration::from_secs(self.lock_wait_secs)
    }

    /// How long one try at a request can take at worst: the longest wait for its company's
    /// lock, then every provider attempt at its worst.
    pub fn worst_case_try(&self) -> Duration {
        self.lock_wait() + self.worst_case_fetch()
    }
}

#[derive(Debug, Clone, Args)]
pub struct WorkerSettings {
    #[command(flatten)]
    pub database: DatabaseSettings,
    #[command(flatten)]
    pub kafka: KafkaSettings,
    #[command(flatten)]
    pub ingestion: IngestionSettings,
    /// Consumer group of the workers; run more workers with the same group to scale out.
    #[arg(
        long,
        env = "KAFKA_GROUP_ID",
        default_value = "financial-statement-group"
    )]
    pub group_id: String,
    /// How long the group waits for a silent worker before handing its partitions to others.
    #[arg(long, env = "KAFKA_SESSION_TIMEOUT_MS", default_value_t = 45_000)]
    pub session_timeout_ms: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable, coloured when on a terminal.
    Pretty,
    /// One JSON object per line, for log shippers.
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct TelemetrySettings {
    /// Log output format. Verbosity is set with RUST_LOG (default `info`).
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty, global = true)]
    pub log_format: LogFormat,
    /// An OpenTelemetry collector's OTLP/HTTP address (`http://collector:4318`): this
    /// process's spans are exported there, and trace context is carried across processes.
    /// Unset (the default): no spans are exported and no context is carried.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT", global = true)]
    pub otlp_endpoint: Option<String>,
}

/// A CIDR range (`10.0.0.0/8`) or a single address (`10.1.2.3`).
fn parse_network(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{text:?} is neither an IP address nor a CIDR range"))
}

fn parse_secret(value: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(value))
}
