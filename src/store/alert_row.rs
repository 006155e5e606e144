//! How an alert version is stored: one row per version, its fields as a compact JSON object.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::alert::Alert;
use crate::api::derived_correlation_id;
use crate::labels::{LabelSet, SharedStr, deserialize_interned, deserialize_interned_names};

/// The row's `data`, borrowed from the alert when writing.
#[derive(Serialize)]
struct RowOut<'a> {
    l: &'a LabelSet,
    a: &'a LabelSet,
    s: i64,
    e: i64,
    u: i64,
    g: &'a str,
    t: u8,
    #[serde(skip_serializing_if = "str::is_empty")]
    c: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    tr: &'a str,
}

/// The row's `data` when reading.
#[derive(Deserialize)]
struct RowIn<'a> {
    #[serde(deserialize_with = "deserialize_interned")]
    l: LabelSet,
    #[serde(deserialize_with = "deserialize_interned_names")]
    a: LabelSet,
    s: i64,
    e: i64,
    u: i64,
    #[serde(borrow)]
    g: Cow<'a, str>,
    t: u8,
    #[serde(borrow, default)]
    c: Cow<'a, str>,
    #[serde(borrow, default)]
    tr: Cow<'a, str>,
}

/// Encodes the alert's fields (not its version, which is the row key) into `out`, so that one buffer
/// serves a whole batch. The bytes are UTF-8 JSON; they are stored as they are, without a second check.
pub(super) fn encode_into(alert: &Alert, out: &mut Vec<u8>) {
    let row = RowOut {
        l: &alert.labels,
        a: &alert.annotations,
        s: to_micros(alert.starts_at),
        e: to_micros(alert.ends_at),
        u: to_micros(alert.updated_at),
        g: &alert.generator_url,
        t: u8::from(alert.timeout),
        // A correlation id Herald made is derived from the trace id: not stored twice.
        c: if alert.correlation_id.as_ref() == derived_correlation_id(&alert.trace_context) {
            ""
        } else {
            &alert.correlation_id
        },
        tr: &alert.trace_context,
    };
    serde_json::to_writer(out, &row).expect("maps of strings and integers always serialize");
}

/// Decodes a row written by [`encode_into`] (or, as text, by the migration from the old table).
pub(super) fn decode(version: u64, data: &[u8]) -> Result<Alert, String> {
    let row: RowIn<'_> = serde_json::from_slice(data).map_err(|err| format!("version {version}: {err}"))?;
    let mut alert = Alert::new(row.l, row.a, from_micros(row.s), from_micros(row.e), from_micros(row.u));
    alert.generator_url = SharedStr::interned(&row.g);
    alert.timeout = row.t != 0;
    alert.version = version;
    if !row.tr.is_empty() {
        alert.trace_context = SharedStr::from(row.tr.as_ref());
    }
    if !row.c.is_empty() {
        alert.correlation_id = SharedStr::from(row.c.as_ref());
    } else if !row.tr.is_empty() {
        alert.correlation_id = SharedStr::from(derived_correlation_id(&row.tr));
    }
    Ok(alert)
}

/// Timestamps are stored as microseconds since the Unix epoch.
pub(super) fn to_micros(time: DateTime<Utc>) -> i64 {
    time.timestamp_micros()
}

/// The inverse of [`to_micros`]; out-of-range values read as the far future rather than failing the load.
pub(super) fn from_micros(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An alert with every stored field set, escapes and non-ASCII included.
    pub(crate) fn stored_alert(version: u64) -> Alert {
        let at = |s: i64| DateTime::from_timestamp(1_800_000_000 + s, 123_456_000).expect("valid");
        let mut alert = Alert::new(
            LabelSet::from([("alertname", "Disk \"full\"")]),
            LabelSet::from([("summary", "ünïcode")]),
            at(0),
            at(300),
            at(1),
        );
        alert.generator_url = "http://prom/graph".into();
        alert.timeout = true;
        alert.version = version;
        alert.correlation_id = "deploy-42".into();
        alert.trace_context = "0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331".into();
        alert
    }

    #[test]
    fn a_row_reads_back_as_the_alert_it_was_written_from() {
        let alert = stored_alert(42);
        let mut row = Vec::new();
        encode_into(&alert, &mut row);
        assert_eq!(decode(42, &row), Ok(alert.clone()));
        let without = Alert { correlation_id: SharedStr::default(), trace_context: SharedStr::default(), ..alert };
        let mut row = Vec::new();
        encode_into(&without, &mut row);
        assert!(!String::from_utf8_lossy(&row).contains("\"c\""), "no correlation id, no field");
        assert_eq!(decode(42, &row), Ok(without.clone()));
        let made = Alert {
            correlation_id: "0af7651916cd43dd".into(),
            trace_context: "0af7651916cd43dd8448eb211c80319c".into(),
            ..without
        };
        let mut row = Vec::new();
        encode_into(&made, &mut row);
        assert!(!String::from_utf8_lossy(&row).contains("\"c\""), "a made correlation id is not stored twice");
        assert_eq!(decode(42, &row), Ok(made));
        assert!(decode(1, b"{\"l\":{}}").expect_err("fields missing").starts_with("version 1: missing field"));
    }
}
