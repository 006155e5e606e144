//! Timestamps as Alertmanager writes and reads them.

use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};

/// Go's zero `time.Time`, which Alertmanager sends as the `endsAt` of firing alerts.
pub(super) const GO_ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// Parses an RFC 3339 timestamp; Go's zero time means "not set".
pub(crate) fn parse_time(text: &str) -> Result<Option<DateTime<Utc>>, String> {
    let parsed = DateTime::parse_from_rfc3339(text)
        .map_err(|err| format!("parsing time {text:?} as RFC 3339 failed: {err}"))?
        .with_timezone(&Utc);
    Ok(if parsed.timestamp() == GO_ZERO_SECONDS { None } else { Some(parsed) })
}

/// Seconds since the Unix epoch of 0001-01-01T00:00:00Z.
const GO_ZERO_SECONDS: i64 = -62_135_596_800;

/// Go's `RFC3339Nano` (as in notification payloads): fraction without trailing zeros; `None` is the zero time.
pub(crate) fn format_go_time(time: Option<DateTime<Utc>>) -> String {
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
pub(crate) fn format_api_time(time: DateTime<Utc>) -> String {
    ApiTime(time).to_string()
}

/// A timestamp that serializes (and displays) as [`format_api_time`] writes it, without allocating: the
/// listings write three per alert, hundreds of thousands at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ApiTime(pub DateTime<Utc>);

impl ApiTime {
    /// Writes `YYYY-MM-DDTHH:MM:SS.mmmZ` into `buffer`; `None` for years outside 0..=9999, which need
    /// chrono's general formatting.
    fn write(self, buffer: &mut [u8; 24]) -> Option<&str> {
        let time = self.0;
        let year = time.year();
        if !(0..=9999).contains(&year) {
            return None;
        }
        let millis = time.timestamp_subsec_millis().min(999);
        let fields = [
            (0, year as u32, 4),
            (5, time.month(), 2),
            (8, time.day(), 2),
            (11, time.hour(), 2),
            (14, time.minute(), 2),
            (17, time.second(), 2),
            (20, millis, 3),
        ];
        *buffer = *b"0000-00-00T00:00:00.000Z";
        for (start, mut value, width) in fields {
            for i in (start..start + width).rev() {
                buffer[i] = b'0' + (value % 10) as u8;
                value /= 10;
            }
        }
        std::str::from_utf8(buffer).ok()
    }
}

impl ApiTime {
    /// Appends the timestamp as a JSON string.
    pub(crate) fn write_quoted(self, out: &mut Vec<u8>) {
        let mut buffer = [0; 24];
        out.push(b'"');
        match self.write(&mut buffer) {
            Some(text) => out.extend_from_slice(text.as_bytes()),
            None => out.extend_from_slice(self.0.to_rfc3339_opts(SecondsFormat::Millis, true).as_bytes()),
        }
        out.push(b'"');
    }
}

impl std::fmt::Display for ApiTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut buffer = [0; 24];
        match self.write(&mut buffer) {
            Some(text) => f.write_str(text),
            None => f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true)),
        }
    }
}

impl serde::Serialize for ApiTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut buffer = [0; 24];
        match self.write(&mut buffer) {
            Some(text) => serializer.serialize_str(text),
            None => serializer.serialize_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true)),
        }
    }
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

    #[test]
    fn api_times_match_chronos_rfc3339_with_milliseconds() {
        for text in [
            "2026-11-25T22:01:56.537891Z",
            "1999-01-02T03:04:05Z",
            "0001-01-01T00:00:00Z",
            "2024-02-29T23:59:59.999999999Z",
            "1969-12-31T23:59:59.001+02:00",
        ] {
            let time = DateTime::parse_from_rfc3339(text).expect("valid").with_timezone(&Utc);
            assert_eq!(format_api_time(time), time.to_rfc3339_opts(SecondsFormat::Millis, true), "{text}");
            assert_eq!(
                serde_json::to_string(&ApiTime(time)).expect("serializes"),
                format!("\"{}\"", format_api_time(time))
            );
        }
        let far = DateTime::<Utc>::MAX_UTC;
        assert_eq!(format_api_time(far), far.to_rfc3339_opts(SecondsFormat::Millis, true));
    }
}
