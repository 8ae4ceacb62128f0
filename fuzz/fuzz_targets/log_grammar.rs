#![no_main]
//! cargo-fuzz target `log_grammar`: see `fuzz/harness.rs` for what it checks.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::log_grammar(data));
