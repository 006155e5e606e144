//! Hand-written JSON for the big listings. serde's derived encoding spent most of a 100k-alert listing
//! checking every byte for escapes; label names and values almost never need any, so a string is checked in
//! one vectorisable pass and copied whole. Output is written in megabyte parts on up to two threads and sent
//! as those parts, never copied together.

use axum::body::{Body, Bytes};

use crate::labels::LabelSet;

/// Writes itself as JSON, byte for byte as its `serde_json` encoding.
pub(super) trait WriteJson {
    /// Appends the JSON text.
    fn write_json(&self, out: &mut Vec<u8>);
}

/// Appends `text` as a JSON string.
pub(super) fn write_str(out: &mut Vec<u8>, text: &str) {
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
pub(super) fn write_key(out: &mut Vec<u8>, key: &str) {
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
}

/// Appends a label set as a JSON object.
pub(super) fn write_labels(out: &mut Vec<u8>, labels: &LabelSet) {
    out.push(b'{');
    for (i, (name, value)) in labels.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, name);
        out.push(b':');
        write_str(out, value);
    }
    out.push(b'}');
}

/// Appends a list of strings as a JSON array.
pub(super) fn write_strs<S: AsRef<str>>(out: &mut Vec<u8>, items: &[S]) {
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, item.as_ref());
    }
    out.push(b']');
}

/// Elements below which one thread does it all (starting one costs more than it saves).
const PARALLEL_FROM: usize = 2_000;

/// Size of the parts the body is sent in.
const PART_BYTES: usize = 1 << 20;

/// `items` as one JSON array, in a response body.
pub(super) fn json_array_body<T: WriteJson + Sync>(items: &[T]) -> Body {
    let threads = if items.len() < PARALLEL_FROM {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get()).min(4)
    };
    let per_thread = items.len().div_ceil(threads).max(1);
    let chunks: Vec<&[T]> = items.chunks(per_thread).collect();
    let written: Vec<Vec<Bytes>> = if chunks.len() <= 1 {
        chunks.iter().map(|chunk| write_elements(chunk)).collect()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = chunks.iter().map(|chunk| scope.spawn(move || write_elements(chunk))).collect();
            handles
                .into_iter()
                .map(|handle| handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
                .collect()
        })
    };
    let mut parts = vec![Bytes::from_static(b"[")];
    for (i, chunk_parts) in written.into_iter().enumerate() {
        if i > 0 {
            parts.push(Bytes::from_static(b","));
        }
        parts.extend(chunk_parts);
    }
    parts.push(Bytes::from_static(b"]"));
    Body::from_stream(futures_util::stream::iter(parts.into_iter().map(Ok::<_, std::convert::Infallible>)))
}

/// The elements separated by commas, without the brackets, in parts of about [`PART_BYTES`].
fn write_elements<T: WriteJson>(items: &[T]) -> Vec<Bytes> {
    let mut parts = Vec::new();
    let mut buffer = Vec::with_capacity(PART_BYTES + PART_BYTES / 4);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            buffer.push(b',');
        }
        item.write_json(&mut buffer);
        if buffer.len() >= PART_BYTES {
            parts.push(Bytes::from(std::mem::replace(&mut buffer, Vec::with_capacity(PART_BYTES + PART_BYTES / 4))));
        }
    }
    if !buffer.is_empty() {
        parts.push(Bytes::from(buffer));
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Text(String);

    impl WriteJson for Text {
        fn write_json(&self, out: &mut Vec<u8>) {
            write_str(out, &self.0);
        }
    }

    #[tokio::test]
    async fn the_body_is_the_array_serde_json_writes_whatever_the_split() {
        for len in [0, 1, 2, 1_999, 2_000, 5_001] {
            let texts: Vec<String> =
                (0..len).map(|i| format!("{i} \"quoted\" \\ \n {}", "x".repeat(i % 700))).collect();
            let items: Vec<Text> = texts.iter().cloned().map(Text).collect();
            let bytes = axum::body::to_bytes(json_array_body(&items), usize::MAX).await.expect("collects");
            assert_eq!(bytes, serde_json::to_string(&texts).expect("serializes").as_bytes(), "{len} items");
        }
    }

    #[test]
    fn strings_are_escaped_exactly_as_serde_json_escapes_them() {
        for text in ["plain", "", "quote \" back \\ slash", "tab\tnew\nline\u{1}\u{1f}", "ünï <&> \u{7f}", "a\u{2028}b"]
        {
            let mut out = Vec::new();
            write_str(&mut out, text);
            assert_eq!(out, serde_json::to_vec(text).expect("serializes"), "{text:?}");
        }
    }
}
