//! Finstage Market Data: a GraphQL gateway over companies' financial statements in MySQL.
//! See ARCHITECTURE.md for the processes, the data flow and what each module owns.

pub mod analytics;
pub mod backoff;
pub mod cache;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod graphql;
pub mod http;
pub mod ingestion;
pub mod kafka;
pub mod registration;
pub mod results;
pub mod schema;
pub mod shutdown;
pub mod startup;
pub mod supervise;
pub mod telemetry;
pub mod worker;
