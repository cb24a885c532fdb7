//! Black-box tests of the gateway over real HTTP, each against its own fresh MariaDB database.
//! One test binary, so everything links once.

// Test code fails loudly on broken setup; that is what expect() is for here.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod analytics;
mod batching;
mod broker;
mod cache;
mod cli;
mod company;
mod dashboard;
mod errors;
mod faults;
mod graphql_over_http;
mod group_commit;
mod helpers;
mod http;
mod http_cache;
mod import;
mod limits;
mod normalization;
mod outbox;
mod registration;
mod relay;
mod rest;
mod search;
mod subscriptions;
#[path = "../support/mod.rs"]
mod support;
mod timeouts;
mod traces;
mod transports;
mod upstream;
mod windows;
mod worker;
