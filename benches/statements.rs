//! The in-memory statement path every cached read takes: from a company's stored statements
//! of one kind (Apple's, all periods since its first filing, newest first, as the loaders
//! return them), the period kind's series and a field's filter (`last`, year range), and
//! the rolling TTM windows. `cargo bench --bench statements`.

// A benchmark with a missing fixture should stop loudly.
#![allow(clippy::expect_used)]

use std::cmp::Reverse;

use criterion::{Criterion, criterion_group, criterion_main};
use finstage::analytics::series::series;
use finstage::domain::{PeriodKind, StatementFilter};
use finstage::ingestion::normalize::normalize;

const APPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/sec/CIK0000320193.json"
);

fn filtering(c: &mut Criterion) {
    let json = std::fs::read_to_string(APPLE).expect("fixture file");
    let mut income = normalize(&json).expect("normalizes").income;
    income.sort_by_key(|s| Reverse((s.period.fiscal_year, s.period.fiscal_period)));
    let last = |n| StatementFilter {
        fiscal_year_from: None,
        fiscal_year_to: None,
        last: n,
    };
    let rows = income.len();
    for (name, kind, filter) in [
        ("annual_last_5", PeriodKind::Annual, last(5)),
        ("quarterly_last_8", PeriodKind::Quarterly, last(8)),
        ("ttm_last_4", PeriodKind::Ttm, last(4)),
        (
            "annual_2015_to_2020",
            PeriodKind::Annual,
            StatementFilter {
                fiscal_year_from: Some(2015),
                fiscal_year_to: Some(2020),
                last: 200,
            },
        ),
    ] {
        c.bench_function(&format!("statements/income_{rows}_rows/{name}"), |b| {
            b.iter(|| {
                let series = series(std::hint::black_box(&income), kind);
                filter.apply(&series, |row| &row.statement.period).count()
            })
        });
    }
}

criterion_group!(benches, filtering);
criterion_main!(benches);
