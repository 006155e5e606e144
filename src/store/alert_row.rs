//! How an alert version is stored: one row per version, its fields as a compact JSON object.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::alert::Alert;
use crate::api::derived_correlation_id;
use crate::labels::{
    LabelSet, SharedStr, deserialize_interned, deserialize_interned_names, write_json_key, write_json_labels,
    write_json_str,
};

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
    // Written by hand (every stored version goes through here); `decode` reads it with serde.
    let int = |out: &mut Vec<u8>, key: &str, value: i64| {
        write_json_key(out, key);
        out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
        out.push(b',');
    };
    out.extend_from_slice(b"{\"l\":");
    write_json_labels(out, &alert.labels);
    out.extend_from_slice(b",\"a\":");
    write_json_labels(out, &alert.annotations);
    out.push(b',');
    int(out, "s", to_micros(alert.starts_at));
    int(out, "e", to_micros(alert.ends_at));
    int(out, "u", to_micros(alert.updated_at));
    write_json_key(out, "g");
    write_json_str(out, &alert.generator_url);
    out.extend_from_slice(if alert.timeout { b",\"t\":1" } else { b",\"t\":0" });
    // A correlation id Herald made is derived from the trace id: not stored twice.
    if alert.correlation_id.as_ref() != derived_correlation_id(&alert.trace_context) && !alert.correlation_id.is_empty()
    {
        out.push(b',');
        write_json_key(out, "c");
        write_json_str(out, &alert.correlation_id);
    }
    if !alert.trace_context.is_empty() {
        out.push(b',');
        write_json_key(out, "tr");
        write_json_str(out, &alert.trace_context);
    }
    out.push(b'}');
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
        let text = concat!(
            r#"{"l":{"alertname":"Disk \"full\""},"a":{"summary":"ünïcode"},"s":1800000000123456,"#,
            r#""e":1800000300123456,"u":1800000001123456,"g":"http://prom/graph","t":1,"c":"deploy-42","#,
            r#""tr":"0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331"}"#
        );
        assert_eq!(String::from_utf8_lossy(&row), text, "the stored form is pinned: older rows must keep reading");
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
