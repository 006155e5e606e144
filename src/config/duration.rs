//! Durations in Prometheus syntax (`10s`, `1h30m`, `1d`, `1w`, `1y`): units in descending order, each once,
//! whole numbers only.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

const MS_PER_UNIT: [(&str, u64); 7] = [
    ("y", 365 * 24 * 3_600_000),
    ("w", 7 * 24 * 3_600_000),
    ("d", 24 * 3_600_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

/// The longest duration Go can represent (int64 nanoseconds), in milliseconds.
const MAX_MILLIS: u64 = i64::MAX as u64 / 1_000_000;

/// A duration read from or written to a config file in Prometheus syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub(crate) struct PromDuration(pub Duration);

/// Why a duration string was rejected; the texts are Prometheus'.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DurationError {
    /// The string is empty.
    #[error("empty duration string")]
    Empty,
    /// The string does not follow the grammar.
    #[error("not a valid duration string: {0:?}")]
    Invalid(String),
    /// The value does not fit in 64 bits of milliseconds.
    #[error("duration out of range: {0:?}")]
    OutOfRange(String),
}

impl PromDuration {
    /// Parses `text`; a bare `0` is accepted.
    pub(crate) fn parse(text: &str) -> Result<Self, DurationError> {
        if text.is_empty() {
            return Err(DurationError::Empty);
        }
        if text == "0" {
            return Ok(PromDuration(Duration::ZERO));
        }
        let invalid = || DurationError::Invalid(text.to_string());
        let mut rest = text;
        let mut next_unit = 0;
        let mut total_ms: u64 = 0;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(invalid());
            }
            let (number, after) = rest.split_at(digits);
            let position =
                MS_PER_UNIT[next_unit..].iter().position(|(unit, _)| unit_prefix(after, unit)).ok_or_else(invalid)?;
            let (unit, ms_per_unit) = MS_PER_UNIT[next_unit + position];
            next_unit += position + 1;
            let value: u64 = number.parse().map_err(|_| DurationError::OutOfRange(text.to_string()))?;
            let ms = value
                .checked_mul(ms_per_unit)
                .and_then(|ms| total_ms.checked_add(ms))
                .filter(|ms| *ms <= MAX_MILLIS)
                .ok_or_else(|| DurationError::OutOfRange(text.to_string()))?;
            total_ms = ms;
            rest = &after[unit.len()..];
        }
        Ok(PromDuration(Duration::from_millis(total_ms)))
    }
}

/// Whether `text` starts with `unit` used as a unit: `m` must not be the start of `ms`.
fn unit_prefix(text: &str, unit: &str) -> bool {
    text.starts_with(unit) && !(unit == "m" && text.starts_with("ms"))
}

impl fmt::Display for PromDuration {
    /// Formats the way Prometheus does: `0s`, `1h30m`, `90d`; years and weeks only when exact.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ms = u64::try_from(self.0.as_millis()).unwrap_or(u64::MAX);
        if ms == 0 {
            return f.write_str("0s");
        }
        for (unit, per) in MS_PER_UNIT {
            let exact_only = unit == "y" || unit == "w";
            if exact_only && ms % per != 0 {
                continue;
            }
            let count = ms / per;
            if count > 0 {
                write!(f, "{count}{unit}")?;
                ms -= count * per;
            }
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for PromDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        PromDuration::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Serialize for PromDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(text: &str) -> u64 {
        PromDuration::parse(text).unwrap_or_else(|err| panic!("{text}: {err}")).0.as_secs()
    }

    #[test]
    fn valid_durations_parse() {
        assert_eq!(secs("0"), 0);
        assert_eq!(secs("0s"), 0);
        assert_eq!(secs("10s"), 10);
        assert_eq!(secs("1h30m"), 5400);
        assert_eq!(secs("1d"), 86_400);
        assert_eq!(secs("1w"), 604_800);
        assert_eq!(secs("1y"), 365 * 86_400);
        assert_eq!(secs("1y2w3d4h5m6s"), 365 * 86_400 + 14 * 86_400 + 3 * 86_400 + 4 * 3600 + 5 * 60 + 6);
        assert_eq!(PromDuration::parse("1m500ms").expect("valid").0.as_millis(), 60_500);
    }

    #[test]
    fn invalid_durations_are_rejected_with_prometheus_messages() {
        assert_eq!(PromDuration::parse("").expect_err("empty").to_string(), "empty duration string");
        for bad in ["1.5m", "-10s", "30m1h", "10", "1h1h", "s", "1x", " 1s", "1s ", "1M"] {
            assert_eq!(
                PromDuration::parse(bad).expect_err(bad).to_string(),
                format!("not a valid duration string: {bad:?}")
            );
        }
        assert!(matches!(PromDuration::parse("99999999999y"), Err(DurationError::OutOfRange(_))));
        for too_long in ["293y", "106752d", "9223372036854775807ms"] {
            assert!(matches!(PromDuration::parse(too_long), Err(DurationError::OutOfRange(_))), "{too_long}");
        }
        assert!(PromDuration::parse("292y").is_ok());
    }

    #[test]
    fn durations_format_like_prometheus() {
        for (text, expected) in
            [("0", "0s"), ("90s", "1m30s"), ("14d", "2w"), ("90d", "90d"), ("365d", "1y"), ("1500ms", "1s500ms")]
        {
            assert_eq!(PromDuration::parse(text).expect("valid").to_string(), expected, "{text}");
        }
    }
}
