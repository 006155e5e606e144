//! Fuzz target: `herald::fuzz::alerts` on arbitrary request bodies.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    herald::fuzz::alerts(data);
});
