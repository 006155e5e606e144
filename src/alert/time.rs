//! Timestamps as Alertmanager writes and reads them.

use chrono::{DateTime, SecondsFormat, Timelike, Utc};

/// Go's zero `time.Time`, which Alertmanager sends as the `endsAt` of firing alerts.
pub const GO_ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// Parses an RFC 3339 timestamp; Go's zero time means "not set".
pub fn parse_time(text: &str) -> Result<Option<DateTime<Utc>>, String> {
    let parsed = DateTime::parse_from_rfc3339(text)
        .map_err(|err| format!("parsing time {text:?} as RFC 3339 failed: {err}"))?
        .with_timezone(&Utc);
    Ok(if parsed.timestamp() == GO_ZERO_SECONDS { None } else { Some(parsed) })
}

/// Seconds since the Unix epoch of 0001-01-01T00:00:00Z.
const GO_ZERO_SECONDS: i64 = -62_135_596_800;

/// Go's `RFC3339Nano` (as in notification payloads): fraction without trailing zeros; `None` is the zero time.
pub fn format_go_time(time: Option<DateTime<Utc>>) -> String {
    let Some(time) = time else {
        return GO_ZERO_TIME.to_string();
    };
    let base = time.format("%Y-%m-%dT%H:%M:%S").to_string();
    let nanos = time.nanosecond() % 1_000_000_000;
    if nanos == 0 {
        return format!("{base}Z");
    }
    let fraction = format!("{nanos:09}");
    format!("{base}.{}Z", fraction.trim_end_matches('0'))
}

/// The API's timestamps: RFC 3339 with exactly milliseconds, as go-openapi's `strfmt.DateTime` writes them.
pub fn format_api_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_formats_trim_the_fraction() {
        let t = parse_time("2026-11-25T22:01:56.537000Z").expect("valid").expect("not zero");
        assert_eq!(format_go_time(Some(t)), "2026-11-25T22:01:56.537Z");
        let whole = parse_time("2026-11-25T22:01:56+01:00").expect("valid").expect("not zero");
        assert_eq!(format_go_time(Some(whole)), "2026-11-25T21:01:56Z");
        let nanos = parse_time("2026-11-25T22:01:56.123456789Z").expect("valid").expect("not zero");
        assert_eq!(format_go_time(Some(nanos)), "2026-11-25T22:01:56.123456789Z");
        assert_eq!(format_go_time(None), GO_ZERO_TIME);
    }

    #[test]
    fn api_times_have_milliseconds() {
        let t = parse_time("2026-11-25T22:01:56Z").expect("valid").expect("not zero");
        assert_eq!(format_api_time(t), "2026-11-25T22:01:56.000Z");
    }

    #[test]
    fn the_zero_time_means_unset_and_garbage_is_an_error() {
        assert_eq!(parse_time(GO_ZERO_TIME), Ok(None));
        assert!(parse_time("yesterday").is_err());
        assert!(parse_time("2026-13-01T00:00:00Z").is_err());
    }
}
