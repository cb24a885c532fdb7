//! Real services for the integration tests (tests/api) and the benchmarks (benches/support,
//! which includes this module by path): a fresh MariaDB database and a tansu broker.

#![allow(dead_code)]
// each includer uses part of this module
// Test support fails loudly on broken setup; that is what expect() is for here.
#![allow(clippy::expect_used, clippy::unwrap_used)]

pub mod broker;
pub mod database;
pub mod proxy;
pub mod wait;

pub type Error = Box<dyn std::error::Error + Send + Sync>;
