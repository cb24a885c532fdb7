//! Response serialization, the last CPU step of every GraphQL answer: a recorded real answer
//! of the gateway benchmark's scenario (a) (Marvell, three annual statements, every line
//! item, 5 years; benches/fixtures/company-response.json) as async-graphql's `Value`, written
//! to JSON bytes as the HTTP layer does; and the `Decimal` scalar's string form of a money
//! figure. `cargo bench --bench serialize`.

// A benchmark with a missing fixture should stop loudly.
#![allow(clippy::expect_used)]

use std::str::FromStr;

use async_graphql::Value;
use criterion::{Criterion, criterion_group, criterion_main};
use finstage::domain::Money;

const RESPONSE: &str = include_str!("fixtures/company-response.json");

fn serialization(c: &mut Criterion) {
    let response: Value = serde_json::from_str(RESPONSE).expect("recorded response");
    c.bench_function("serialize/company_response_9.8KB", |b| {
        b.iter(|| serde_json::to_vec(std::hint::black_box(&response)).expect("serializes"))
    });
    let revenue = Money::from_str("383285000000.00").expect("decimal");
    c.bench_function("serialize/decimal_scalar", |b| {
        b.iter(|| async_graphql::ScalarType::to_value(std::hint::black_box(&revenue)))
    });
}

criterion_group!(benches, serialization);
criterion_main!(benches);
