//! Hand-written JSON for the big listings. serde's derived encoding spent most of a 100k-alert listing
//! checking every byte for escapes; label names and values almost never need any, so a string is checked in
//! one vectorisable pass and copied whole. Output is written in megabyte parts on up to two threads and sent
//! as those parts, never copied together.

use axum::body::{Body, Bytes};

pub(super) use crate::labels::{
    write_json_key as write_key, write_json_labels as write_labels, write_json_str as write_str,
    write_json_strs as write_strs,
};

/// Writes itself as JSON, byte for byte as its `serde_json` encoding.
pub(super) trait WriteJson {
    /// Appends the JSON text.
    fn write_json(&self, out: &mut Vec<u8>);
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
}
