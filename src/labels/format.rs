//! Label sets printed as Go prints `model.LabelSet`: `{a="1", b="2"}`, values quoted like `strconv.Quote`.

use std::fmt::Write;

use super::{LabelSet, SharedStr};

/// `{name="value", ...}`, sorted by name, as in Alertmanager's group keys.
pub(crate) fn format_label_set(labels: &LabelSet) -> String {
    let mut out = String::new();
    write_label_pairs(&mut out, labels.iter());
    out
}

/// Writes what [`format_label_set`] returns for the set of `pairs` (sorted by name) into `out` (a hasher, for
/// group ids, which need no set built).
pub(crate) fn write_label_pairs<'a>(out: &mut impl Write, pairs: impl Iterator<Item = (&'a SharedStr, &'a SharedStr)>) {
    let _ = out.write_char('{');
    for (i, (name, value)) in pairs.enumerate() {
        if i > 0 {
            let _ = out.write_str(", ");
        }
        let _ = out.write_str(name);
        let _ = out.write_char('=');
        write_go_quoted(out, value);
    }
    let _ = out.write_char('}');
}

/// Go's `strconv.IsPrint`, near enough: letters, marks, numbers, punctuation, symbols and the ASCII space;
/// not controls, other spaces, format characters or private use.
pub(crate) fn is_go_printable(c: char) -> bool {
    c == ' '
        || !(c.is_control()
            || c.is_whitespace()
            || ('\u{e000}'..='\u{f8ff}').contains(&c)
            || c == '\u{ad}'
            || ('\u{200b}'..='\u{200f}').contains(&c)
            || ('\u{2028}'..='\u{202e}').contains(&c)
            || ('\u{2060}'..='\u{206f}').contains(&c)
            || c == '\u{feff}')
}

/// Go's `strconv.Quote`: printable characters stay, the rest are escaped.
pub(crate) fn go_quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    write_go_quoted(&mut out, value);
    out
}

/// Writes what [`go_quote`] returns into `out`.
fn write_go_quoted(out: &mut impl Write, value: &str) {
    // Most values are plain ASCII and go out whole.
    if value.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\') {
        let _ = out.write_char('"');
        let _ = out.write_str(value);
        let _ = out.write_char('"');
        return;
    }
    let _ = out.write_char('"');
    for c in value.chars() {
        let _ = match c {
            '"' => out.write_str("\\\""),
            '\\' => out.write_str("\\\\"),
            '\u{7}' => out.write_str("\\a"),
            '\u{8}' => out.write_str("\\b"),
            '\u{c}' => out.write_str("\\f"),
            '\n' => out.write_str("\\n"),
            '\r' => out.write_str("\\r"),
            '\t' => out.write_str("\\t"),
            '\u{b}' => out.write_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => write!(out, "\\x{:02x}", c as u32),
            c if !is_go_printable(c) => {
                let code = c as u32;
                if code > 0xffff { write!(out, "\\U{code:08x}") } else { write!(out, "\\u{code:04x}") }
            }
            c => out.write_char(c),
        };
    }
    let _ = out.write_char('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_sets_print_like_go() {
        let labels: LabelSet =
            [("b", "2"), ("a", "say \"hi\"\n")].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        assert_eq!(format_label_set(&labels), r#"{a="say \"hi\"\n", b="2"}"#);
        assert_eq!(format_label_set(&LabelSet::new()), "{}");
        assert_eq!(go_quote("tab\there\u{1}é"), r#""tab\there\x01é""#);
    }
}
