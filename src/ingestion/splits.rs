//! Stock splits, detected from the filings themselves, never from a hand-kept table.
//!
//! Two kinds of evidence:
//! - **Restatements.** After a split, filings restate earlier periods on the new share basis.
//!   So when one period's share count (or EPS) is reported by two consecutive filings, and
//!   the later value is the earlier one times a split ratio `p/q` (shares ×, EPS ÷; `q` ≤ 4,
//!   at least 5:4 or at most 4:5), a split happened between the two filing dates. Pairs with
//!   the same ratio and overlapping date intervals are one split; it takes effect with the
//!   first filing on the new basis. Share counts must agree within 0.5 %; EPS, rounded to
//!   cents by filers, within what that rounding explains (at most 2 %).
//! - **The split note** (`StockholdersEquityNoteStockSplitConversionRatio1`, dated the split).
//!   It confirms a restatement split of the same ratio within 400 days, or adds a split that
//!   no restated period shows, effective for filings after its date.
//!
//! A restatement split is kept only when share counts show it, the note confirms it, or EPS
//! shows it for at least three periods: restated EPS alone (discontinued operations, an
//! error) can look like a ratio, restated share counts seldom do.

use std::collections::HashSet;

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;

use super::companyfacts::{CompanyFacts, FactsError};
use super::line_items::{INCOME_STATEMENT, Measure};

const SPLIT_NOTE_TAG: &str = "StockholdersEquityNoteStockSplitConversionRatio1";
/// How far a split note's date may be from the restatements it confirms.
const NOTE_MATCH_DAYS: i64 = 400;
const MAX_DENOMINATOR: i64 = 4;
/// Periods whose EPS alone must show a split for it to count.
const EPS_ONLY_PERIODS: usize = 3;

/// One split: shares multiply by `ratio` for figures filed on or after `effective`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    pub ratio: Decimal,
    pub effective: NaiveDate,
}

/// A company's splits, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShareBasis {
    pub splits: Vec<Split>,
}

/// A restated pair: between `after` (old basis) and `by` (new basis), the figure of `period`
/// changed by `ratio`.
#[derive(Debug, Clone, Copy)]
struct Restatement {
    ratio: Decimal,
    after: NaiveDate,
    by: NaiveDate,
    period: (Option<NaiveDate>, NaiveDate),
    of_shares: bool,
}

/// Restatements of one ratio whose intervals overlap: one split.
#[derive(Debug)]
struct Cluster {
    ratio: Decimal,
    last_old: NaiveDate,
    first_new: NaiveDate,
    periods: HashSet<(Option<NaiveDate>, NaiveDate)>,
    of_shares: bool,
    confirmed: bool,
}

impl Cluster {
    fn is_split(&self) -> bool {
        self.confirmed || self.of_shares || self.periods.len() >= EPS_ONLY_PERIODS
    }
}

impl ShareBasis {
    pub fn detect(facts: &CompanyFacts<'_>, per_share_unit: &str) -> Result<Self, FactsError> {
        let mut restatements = Vec::new();
        for item in INCOME_STATEMENT {
            let (unit, per_share) = match item.measure {
                Measure::PerShare => (per_share_unit, true),
                Measure::Shares => ("shares", false),
                Measure::Flow | Measure::Instant => continue,
            };
            for tag in item.tags {
                restatements.extend(restatements_of(facts, tag, unit, per_share)?);
            }
        }
        let mut clusters = cluster(restatements);
        let mut splits = Vec::new();
        for note in facts.us_gaap(SPLIT_NOTE_TAG, "pure")? {
            let Some(ratio) = split_ratio(note.val, Decimal::new(1, 6)) else {
                continue;
            };
            let matching = clusters.iter_mut().find(|c| {
                c.ratio == ratio && (c.first_new - note.end).num_days().abs() <= NOTE_MATCH_DAYS
            });
            match matching {
                Some(cluster) => cluster.confirmed = true,
                None => {
                    let effective = note.end.checked_add_days(Days::new(1)).unwrap_or(note.end);
                    let split = Split { ratio, effective };
                    if !splits.contains(&split) {
                        splits.push(split);
                    }
                }
            }
        }
        splits.extend(clusters.iter().filter(|c| c.is_split()).map(|c| Split {
            ratio: c.ratio,
            effective: c.first_new,
        }));
        splits.sort_by_key(|split| split.effective);
        Ok(Self { splits })
    }

    /// What a share count filed on `filed` is multiplied by to be on the current basis: the
    /// product of the splits that took effect after it.
    pub fn factor_for(&self, filed: NaiveDate) -> Decimal {
        self.splits
            .iter()
            .filter(|split| split.effective > filed)
            .fold(Decimal::ONE, |factor, split| factor * split.ratio)
    }
}

fn restatements_of(
    facts: &CompanyFacts<'_>,
    tag: &str,
    unit: &str,
    per_share: bool,
) -> Result<Vec<Restatement>, FactsError> {
    let mut tag_facts: Vec<_> = facts
        .us_gaap(tag, unit)?
        .into_iter()
        .filter(|f| f.start.is_some() && (f.form.starts_with("10-K") || f.form.starts_with("10-Q")))
        .collect();
    tag_facts.sort_by_key(|f| (f.start, f.end, f.filed));
    let mut found = Vec::new();
    for pair in tag_facts.windows(2) {
        let (old, new) = (&pair[0], &pair[1]);
        if (old.start, old.end) != (new.start, new.end)
            || old.filed == new.filed
            || old.val.is_zero()
            || new.val.is_zero()
            || old.val.is_sign_negative() != new.val.is_sign_negative()
        {
            continue;
        }
        let (ratio, tolerance) = if per_share {
            // Each EPS is rounded to the cent, so its relative error is up to 0.005 / |eps|.
            let half_cent = Decimal::new(5, 3);
            let rounding = half_cent / old.val.abs() + half_cent / new.val.abs();
            (old.val / new.val, rounding.min(Decimal::new(2, 2)))
        } else {
            (new.val / old.val, Decimal::new(5, 3))
        };
        if let Some(ratio) = split_ratio(ratio, tolerance) {
            found.push(Restatement {
                ratio,
                after: old.filed,
                by: new.filed,
                period: (new.start, new.end),
                of_shares: !per_share,
            });
        }
    }
    Ok(found)
}

/// `observed` as a split ratio `p/q` (or its reverse `q/p`) with `q` ≤ 4, when it is within
/// `tolerance` (relative) of one and far enough from 1 to be a split.
fn split_ratio(observed: Decimal, tolerance: Decimal) -> Option<Decimal> {
    if observed <= Decimal::ZERO {
        return None;
    }
    let (forward, reverse) = if observed >= Decimal::ONE {
        (observed, false)
    } else {
        (Decimal::ONE.checked_div(observed)?, true)
    };
    if forward < Decimal::new(125, 2) - tolerance {
        return None;
    }
    (1..=MAX_DENOMINATOR).find_map(|q| {
        let q = Decimal::from(q);
        let p = (forward * q).round();
        let ratio = p / q;
        let close = ((forward - ratio) / ratio).abs() <= tolerance;
        (close && ratio >= Decimal::new(125, 2)).then(|| {
            if reverse {
                // Exact for q/p with small p and q; a repeating decimal keeps 28 digits.
                Decimal::ONE / ratio
            } else {
                ratio
            }
        })
    })
}

fn cluster(mut restatements: Vec<Restatement>) -> Vec<Cluster> {
    restatements.sort_by_key(|r| (r.by, r.after));
    let mut clusters: Vec<Cluster> = Vec::new();
    for restatement in restatements {
        let overlapping = clusters.iter_mut().find(|c| {
            c.ratio == restatement.ratio
                && restatement.after < c.first_new
                && restatement.by > c.last_old
        });
        match overlapping {
            Some(cluster) => {
                cluster.last_old = cluster.last_old.max(restatement.after);
                cluster.first_new = cluster.first_new.min(restatement.by);
                cluster.periods.insert(restatement.period);
                cluster.of_shares |= restatement.of_shares;
            }
            None => clusters.push(Cluster {
                ratio: restatement.ratio,
                last_old: restatement.after,
                first_new: restatement.by,
                periods: HashSet::from([restatement.period]),
                of_shares: restatement.of_shares,
                confirmed: false,
            }),
        }
    }
    clusters
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basis_of(fixture: &str) -> ShareBasis {
        let json = std::fs::read_to_string(format!(
            "{}/tests/fixtures/sec/{fixture}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("fixture");
        let facts = CompanyFacts::parse(&json).expect("parse");
        ShareBasis::detect(&facts, "USD/shares").expect("detect")
    }

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    #[test]
    fn apples_two_splits_are_found_in_its_own_filings() {
        let basis = basis_of("CIK0000320193.json");
        let ratios: Vec<_> = basis.splits.iter().map(|s| s.ratio).collect();
        assert_eq!(ratios, [Decimal::from(7), Decimal::from(4)]);
        assert_eq!(basis.splits[0].effective, date("2014-07-23"));
        assert_eq!(basis.splits[1].effective, date("2020-10-30"));
        assert_eq!(basis.factor_for(date("2011-10-26")), Decimal::from(28));
        assert_eq!(basis.factor_for(date("2019-10-31")), Decimal::from(4));
        assert_eq!(basis.factor_for(date("2020-10-30")), Decimal::ONE);
    }

    #[test]
    fn a_split_before_the_first_filing_changes_nothing() {
        // Snowflake's note dates a 2:1 split in 2018, before its first 10-Q.
        let snowflake = basis_of("CIK0001640147.json");
        assert_eq!(snowflake.factor_for(date("2020-12-09")), Decimal::ONE);
        assert!(basis_of("CIK0001835632.json").splits.is_empty(), "Marvell");
    }

    /// A companyfacts document with one fiscal year's figures as two filings reported them.
    fn restated(eps: [(&str, f64); 2], shares: [(&str, u64); 2]) -> ShareBasis {
        let fact = |val: serde_json::Value, filed: &str| {
            serde_json::json!({ "start": "2020-01-01", "end": "2020-12-31", "val": val,
                "accn": format!("0000000001-{filed}"), "form": "10-K", "filed": filed })
        };
        let json = serde_json::json!({ "cik": 1, "entityName": "X", "facts": { "us-gaap": {
            "EarningsPerShareBasic": { "units": { "USD/shares":
                eps.iter().map(|(filed, v)| fact((*v).into(), filed)).collect::<Vec<_>>() } },
            "EarningsPerShareDiluted": { "units": { "USD/shares":
                eps.iter().map(|(filed, v)| fact((*v).into(), filed)).collect::<Vec<_>>() } },
            "WeightedAverageNumberOfSharesOutstandingBasic": { "units": { "shares":
                shares.iter().map(|(filed, v)| fact((*v).into(), filed)).collect::<Vec<_>>() } },
        } } })
        .to_string();
        let facts = CompanyFacts::parse(&json).expect("parse");
        ShareBasis::detect(&facts, "USD/shares").expect("detect")
    }

    #[test]
    fn restated_share_counts_show_a_split_and_restated_eps_alone_does_not() {
        let split = restated(
            [("2021-02-01", 2.0), ("2022-02-01", 0.5)],
            [("2021-02-01", 100), ("2022-02-01", 400)],
        );
        assert_eq!(
            split.splits,
            [Split {
                ratio: Decimal::from(4),
                effective: date("2022-02-01")
            }]
        );
        // Discontinued operations restated EPS by 5:4 in both EPS tags; shares stayed.
        let restatement = restated(
            [("2021-02-01", 2.0), ("2022-02-01", 1.6)],
            [("2021-02-01", 100), ("2022-02-01", 100)],
        );
        assert!(restatement.splits.is_empty(), "{restatement:?}");
    }

    #[test]
    fn ratios_are_small_fractions_within_tolerance() {
        let tolerance = Decimal::new(5, 3);
        assert_eq!(
            split_ratio(Decimal::new(39966, 4), Decimal::new(2, 2)),
            Some(Decimal::from(4))
        );
        assert_eq!(
            split_ratio(Decimal::new(15, 1), tolerance),
            Some(Decimal::new(15, 1))
        );
        assert_eq!(
            split_ratio(Decimal::new(1, 1), tolerance),
            Some(Decimal::from(10)).map(|r| Decimal::ONE / r)
        );
        assert_eq!(split_ratio(Decimal::new(103, 2), tolerance), None);
        assert_eq!(split_ratio(Decimal::new(231, 2), tolerance), None);
    }
}
