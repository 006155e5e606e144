//! Fuzz target: `herald::fuzz::template` on arbitrary UTF-8.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        herald::fuzz::template(text);
    }
});
