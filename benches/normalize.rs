//! Normalization of one company's SEC companyfacts (pure CPU, no I/O).
//! `cargo bench --bench normalize`; target: under 50 ms per company in release mode.

// A benchmark with a missing fixture or a failing normalization should stop loudly.
#![allow(clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use finstage::ingestion::normalize::normalize;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sec");

fn normalization(c: &mut Criterion) {
    for (name, cik) in [
        ("apple_3.7MB", "0000320193"),
        ("snowflake_2.6MB", "0001640147"),
        ("marvell_1.3MB", "0001835632"),
    ] {
        let json =
            std::fs::read_to_string(format!("{FIXTURES}/CIK{cik}.json")).expect("fixture file");
        c.bench_function(&format!("normalize/{name}"), |b| {
            b.iter(|| normalize(std::hint::black_box(&json)).expect("normalizes"))
        });
    }
}

criterion_group!(benches, normalization);
criterion_main!(benches);
