use std::fmt;

/// A ticker symbol: 1–10 characters of `A-Z 0-9 . -`, accepted in any case, stored upper-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid symbol {0:?}: expected 1 to 10 characters of A-Z, 0-9, '.' or '-'")]
pub struct InvalidSymbol(pub String);

impl Symbol {
    pub const MAX_LEN: usize = 10;

    pub fn parse(input: &str) -> Result<Self, InvalidSymbol> {
        let valid_char = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-';
        if input.is_empty() || input.len() > Self::MAX_LEN || !input.chars().all(valid_char) {
            return Err(InvalidSymbol(input.to_owned()));
        }
        Ok(Self(input.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_upper_cases_valid_symbols() {
        for (input, expected) in [
            ("aapl", "AAPL"),
            ("BRK.B", "BRK.B"),
            ("bf-b", "BF-B"),
            ("X", "X"),
        ] {
            assert_eq!(
                Symbol::parse(input).map(|s| s.to_string()),
                Ok(expected.to_owned())
            );
        }
        assert!(
            Symbol::parse("ABCDEFGHIJ").is_ok(),
            "10 characters is the maximum"
        );
    }

    #[test]
    fn rejects_invalid_symbols() {
        for input in [
            "",
            "ABCDEFGHIJK",
            "AA PL",
            "AAPL;",
            "ÄPPL",
            "A_B",
            "a'b",
            "%",
        ] {
            assert_eq!(
                Symbol::parse(input),
                Err(InvalidSymbol(input.to_owned())),
                "{input:?}"
            );
        }
    }
}
