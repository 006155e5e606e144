//! JSON text of strings and label sets, written by hand: label names and values almost never need escaping,
//! so a string is checked in one vectorisable pass and copied whole, where serde's encoder looks at every
//! byte. The big listings and the stored alert rows are written this way.

use super::LabelSet;

/// Appends `text` as a JSON string.
pub(crate) fn write_json_str(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    // No early exit, so the compiler can check many bytes at once.
    let needs_escape = bytes.iter().fold(false, |found, &b| found | (b < 0x20) | (b == b'"') | (b == b'\\'));
    if needs_escape {
        serde_json::to_writer(&mut *out, text).expect("writing to a Vec cannot fail");
    } else {
        out.reserve(bytes.len() + 2);
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
    }
}

/// Appends `"key":` (keys are Herald's own and never need escaping).
pub(crate) fn write_json_key(out: &mut Vec<u8>, key: &str) {
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
}

/// Appends a label set as a JSON object.
pub(crate) fn write_json_labels(out: &mut Vec<u8>, labels: &LabelSet) {
    out.push(b'{');
    for (i, (name, value)) in labels.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_json_str(out, name);
        out.push(b':');
        write_json_str(out, value);
    }
    out.push(b'}');
}

/// Appends a list of strings as a JSON array.
pub(crate) fn write_json_strs<S: AsRef<str>>(out: &mut Vec<u8>, items: &[S]) {
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_json_str(out, item.as_ref());
    }
    out.push(b']');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_exactly_as_serde_json_escapes_them() {
        for text in ["plain", "", "quote \" back \\ slash", "tab\tnew\nline\u{1}\u{1f}", "ünï <&> \u{7f}", "a\u{2028}b"]
        {
            let mut out = Vec::new();
            write_json_str(&mut out, text);
            assert_eq!(out, serde_json::to_vec(text).expect("serializes"), "{text:?}");
        }
    }
}
