//! Replays the fuzzing inputs without a fuzzer: every file in `fuzz/regressions/<target>/`
//! (inputs that once crashed or hung a target, kept after the fix) and the seed corpus in
//! `fuzz/seeds/<target>/` go through the same entry point as the cargo-fuzz target, with the
//! same invariant checks (`fuzz/harness.rs`). See `fuzz/README.md`.

#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut files = Vec::new();
    for kind in ["regressions", "seeds"] {
        let dir = root.join(kind).join(target);
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            if e.path().is_file() {
                files.push(e.path());
            }
        }
    }
    files.sort();
    let mut failed = Vec::new();
    for f in &files {
        let data = std::fs::read(f).expect("read fuzz input");
        if std::panic::catch_unwind(|| run(&data)).is_err() {
            failed.push(f.display().to_string());
        }
    }
    assert!(failed.is_empty(), "{target}: inputs that fail: {failed:#?}");
}

#[test]
fn log_grammar_inputs() {
    replay("log_grammar", harness::log_grammar);
}

#[test]
fn record_merge_inputs() {
    replay("record_merge", harness::record_merge);
}

#[test]
fn rule_loader_inputs() {
    replay("rule_loader", harness::rule_loader);
}

#[test]
fn match_text_inputs() {
    replay("match_text", harness::match_text);
}

#[test]
fn redact_text_inputs() {
    replay("redact_text", harness::redact_text);
}
