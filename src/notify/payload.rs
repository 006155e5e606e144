//! What several integrations use to build their payloads: JSON encoded byte for byte as Go's
//! `encoding/json` writes it, Alertmanager's truncation, and the dedup key hashed from the group key.

use std::io;

use serde::Serialize;
use serde_json::ser::{CharEscape, Formatter, Serializer};
use sha2::{Digest, Sha256};

use super::error::{Error, Result};

/// Hex SHA-256 of the group key: the dedup key PagerDuty (and the alias Opsgenie) sees, so that every
/// notification of a group updates one incident.
pub(crate) fn hash_key(group_key: &str) -> String {
    Sha256::digest(group_key.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Alertmanager's `Truncate`: at most `limit` characters, the last one an ellipsis when cut.
pub(crate) fn truncate(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(limit.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Alertmanager's `TruncateInBytes`: at most `limit` bytes of UTF-8, whole characters, an ellipsis last when
/// cut (where Alertmanager 0.25 panics on a text of few long characters, this cuts it the same way).
pub(crate) fn truncate_bytes(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_string();
    }
    if limit <= 3 {
        return if limit == 3 { "…".to_string() } else { ".".repeat(limit) };
    }
    let mut end = limit - 3;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// Go's `url.QueryEscape`: letters, digits and `-_.~` stay, a space becomes `+`, every other byte `%XX`.
pub(crate) fn query_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            b' ' => out.push('+'),
            byte => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A request body as Alertmanager's `json.Encoder` writes it (see [`to_go_json`]); failing to encode is a
/// [`super::ErrorKind::BadConfig`] failure.
pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    to_go_json(value).map_err(|err| Error::config(format!("encoding the payload: {err}")))
}

/// JSON as Go's `encoding/json` writes it: `<`, `>`, `&`, U+2028 and U+2029 escaped as `\u003c` and so on,
/// backspace and form feed as `\u0008` and `\u000c`.
struct GoFormatter;

impl Formatter for GoFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            let escaped = match c {
                '<' => "\\u003c",
                '>' => "\\u003e",
                '&' => "\\u0026",
                '\u{2028}' => "\\u2028",
                '\u{2029}' => "\\u2029",
                _ => continue,
            };
            writer.write_all(&fragment.as_bytes()[start..i])?;
            writer.write_all(escaped.as_bytes())?;
            start = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    fn write_char_escape<W: ?Sized + io::Write>(&mut self, writer: &mut W, escape: CharEscape) -> io::Result<()> {
        let text: &[u8] = match escape {
            CharEscape::Quote => b"\\\"",
            CharEscape::ReverseSolidus => b"\\\\",
            CharEscape::Solidus => b"/",
            CharEscape::Backspace => b"\\u0008",
            CharEscape::FormFeed => b"\\u000c",
            CharEscape::LineFeed => b"\\n",
            CharEscape::CarriageReturn => b"\\r",
            CharEscape::Tab => b"\\t",
            CharEscape::AsciiControl(byte) => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let bytes = [b'\\', b'u', b'0', b'0', HEX[(byte >> 4) as usize], HEX[(byte & 0xf) as usize]];
                return writer.write_all(&bytes);
            }
        };
        writer.write_all(text)
    }
}

/// Encodes `value` as Go's `json.NewEncoder(w).Encode(value)` would.
pub(crate) fn to_go_json<T: Serialize>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::new();
    let mut serializer = Serializer::with_formatter(&mut out, GoFormatter);
    value.serialize(&mut serializer)?;
    out.push(b'\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn text_is_cut_to_whole_characters_within_a_byte_limit() {
        assert_eq!(truncate_bytes("abcdef", 6), "abcdef");
        assert_eq!(truncate_bytes("abcdefg", 6), "abc…");
        assert_eq!(truncate_bytes("ééééé", 8), "éé…", "never half a character");
        assert_eq!(truncate_bytes("abcdef", 3), "…");
        assert_eq!(truncate_bytes("abcdef", 2), "..");
    }

    #[test]
    fn text_is_truncated_with_an_ellipsis() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
        assert_eq!(truncate("ééééé", 3), "éé…");
    }

    #[test]
    fn dedup_keys_are_the_sha256_of_the_group_key() {
        assert_eq!(hash_key(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(hash_key("{}:{alertname=\"A\"}").len(), 64);
    }

    #[test]
    fn html_characters_and_separators_are_escaped_like_go() {
        let body = to_go_json(&json!({"a": "x < y & z > \u{2028}\u{8}\u{c}\u{1}\"\\\n"})).expect("encodes");
        assert_eq!(
            String::from_utf8(body).expect("utf-8"),
            "{\"a\":\"x \\u003c y \\u0026 z \\u003e \\u2028\\u0008\\u000c\\u0001\\\"\\\\\\n\"}\n"
        );
    }
}
