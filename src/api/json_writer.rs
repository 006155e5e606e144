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

/// The elements `element` makes of `items` (leaving out those it gives `None` for) as one JSON array, in a
/// response body. Long lists are cut into runs that are each made and written on a thread of their own, so
/// that an element is built and written while its alert is in the cache.
pub(super) fn json_array_body_of<'a, I: Sync, T: WriteJson>(
    items: &'a [I],
    element: impl Fn(&'a I) -> Option<T> + Sync,
) -> Body {
    let threads = if items.len() < PARALLEL_FROM {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get()).min(4)
    };
    let chunks: Vec<&'a [I]> = items.chunks(items.len().div_ceil(threads).max(1)).collect();
    let element = &element;
    let written: Vec<Vec<Bytes>> = if chunks.len() <= 1 {
        chunks.iter().map(|chunk| write_elements(chunk.iter().filter_map(element))).collect()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = chunks
                .iter()
                .map(|chunk| scope.spawn(move || write_elements(chunk.iter().filter_map(element))))
                .collect();
            handles
                .into_iter()
                .map(|handle| handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
                .collect()
        })
    };
    array_body(written)
}

/// One JSON array of the elements written (by [`write_elements`]) in `runs`, in order; runs with no
/// elements are left out.
pub(super) fn array_body(runs: Vec<Vec<Bytes>>) -> Body {
    let mut parts = vec![Bytes::from_static(b"[")];
    for run in runs.into_iter().filter(|run| !run.is_empty()) {
        if parts.len() > 1 {
            parts.push(Bytes::from_static(b","));
        }
        parts.extend(run);
    }
    parts.push(Bytes::from_static(b"]"));
    Body::from_stream(futures_util::stream::iter(parts.into_iter().map(Ok::<_, std::convert::Infallible>)))
}

/// The elements separated by commas, without the brackets, in parts of about [`PART_BYTES`].
pub(super) fn write_elements<T: WriteJson>(items: impl IntoIterator<Item = T>) -> Vec<Bytes> {
    let mut parts = Vec::new();
    let mut buffer = Vec::with_capacity(PART_BYTES + PART_BYTES / 4);
    for (i, item) in items.into_iter().enumerate() {
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
            let body = json_array_body_of(&texts, |text| Some(Text(text.clone())));
            let bytes = axum::body::to_bytes(body, usize::MAX).await.expect("collects");
            assert_eq!(bytes, serde_json::to_string(&texts).expect("serializes").as_bytes(), "{len} items");
            let even = |text: &String| text.len().is_multiple_of(2);
            let body = json_array_body_of(&texts, |text| even(text).then(|| Text(text.clone())));
            let bytes = axum::body::to_bytes(body, usize::MAX).await.expect("collects");
            let kept: Vec<&String> = texts.iter().filter(|text| even(text)).collect();
            assert_eq!(
                bytes,
                serde_json::to_string(&kept).expect("serializes").as_bytes(),
                "{len} items, some left out"
            );
        }
    }

    #[tokio::test]
    async fn runs_written_apart_join_into_one_array_and_empty_runs_leave_no_comma() {
        let text = |t: &str| Text(t.to_string());
        let body = |runs| async { axum::body::to_bytes(array_body(runs), usize::MAX).await.expect("collects") };
        let runs = vec![
            write_elements(Vec::<Text>::new()),
            write_elements([text("a")]),
            Vec::new(),
            write_elements([text("b"), text("c")]),
            write_elements(Vec::<Text>::new()),
        ];
        assert_eq!(body(runs).await, r#"["a","b","c"]"#.as_bytes());
        assert_eq!(body(vec![Vec::new(), Vec::new()]).await, "[]".as_bytes());
    }
}
