//! The arithmetic of derived metrics: exact decimals, `RATIO_SCALE` places, rounded half away
//! from zero; `None` when an input is missing or a denominator is zero.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::domain::{Money, Ratio};

/// Decimal places of margins, growth rates and ratios (fractions: 0.4413, not 44.13).
pub const RATIO_SCALE: u32 = 4;

fn rounded(value: Decimal) -> Ratio {
    Money(value.round_dp_with_strategy(RATIO_SCALE, RoundingStrategy::MidpointAwayFromZero))
}

/// `numerator / denominator`.
pub fn ratio(numerator: Option<Money>, denominator: Option<Money>) -> Option<Ratio> {
    numerator?.0.checked_div(denominator?.0).map(rounded)
}

/// `(current − prior) / |prior|`: positive when the figure rose, even from a loss.
pub fn growth(current: Option<Money>, prior: Option<Money>) -> Option<Ratio> {
    let prior = prior?.0;
    current?
        .0
        .checked_sub(prior)?
        .checked_div(prior.abs())
        .map(rounded)
}

/// `a + b`.
pub fn sum(a: Option<Money>, b: Option<Money>) -> Option<Money> {
    a?.0.checked_add(b?.0).map(Money)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money;

    #[test]
    fn ratios_are_exact_fractions_rounded_to_four_places() {
        // Apple FY2023 gross margin, from its 10-K.
        assert_eq!(
            ratio(money("169148000000"), money("383285000000")),
            money("0.4413")
        );
        assert_eq!(ratio(money("1"), money("0")), None);
        assert_eq!(ratio(None, money("2")), None);
        assert_eq!(ratio(money("1"), money("8")), money("0.125"));
    }

    #[test]
    fn growth_is_relative_to_the_size_of_the_prior_figure() {
        assert_eq!(growth(money("110"), money("100")), money("0.1"));
        assert_eq!(
            growth(money("-50"), money("-100")),
            money("0.5"),
            "a smaller loss is growth"
        );
        assert_eq!(growth(money("5"), money("0")), None);
        assert_eq!(growth(money("5"), None), None);
        assert_eq!(sum(money("1"), money("2")), money("3"));
        assert_eq!(sum(money("1"), None), None);
    }
}
