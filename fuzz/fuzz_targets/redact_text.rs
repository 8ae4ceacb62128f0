#![no_main]
//! cargo-fuzz target `redact_text`: see `fuzz/harness.rs` for what it checks.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::redact_text(data));
