//! Shared helpers for the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The crate root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/corpus/<name>` when it exists (it does in CI). Without it a conformance check
/// must not pass silently: under `CI=true` it fails; elsewhere it prints a SKIPPED line that
/// `cargo test` shows (written past the test harness's output capture).
pub fn corpus(name: &str) -> Option<PathBuf> {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    corpus_or_skip(name, ci)
}

/// [`corpus`] with the CI decision given: panics when `ci` and the corpus is missing.
pub fn corpus_or_skip(name: &str, ci: bool) -> Option<PathBuf> {
    let p = root().join("..").join("shared").join("corpus").join(name);
    if p.is_dir() {
        return Some(p);
    }
    let why = format!(
        "{} not found; conformance checks need ../shared beside the checkout",
        p.display()
    );
    if ci {
        panic!("CI=true and {why}");
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("a conformance test")
        .to_string();
    use std::io::Write;
    // `eprintln!` would be captured and only shown on failure.
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
    None
}

/// The `triage` binary, run from the crate root.
pub fn triage() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("triage").expect("binary builds");
    c.current_dir(root());
    c
}

/// Runs `triage` with args and parses stdout as JSON.
pub fn json(args: &[&str]) -> serde_json::Value {
    let out = triage().args(args).output().expect("runs");
    assert!(
        out.status.success(),
        "triage {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

/// The reference time used with the sample data.
pub const SAMPLE_NOW: &str = "2026-11-24T10:05:00.000Z";

/// The signature ids of a run in the JSON document, most severe first.
pub fn signatures(run: &serde_json::Value) -> Vec<String> {
    run["signatures"]
        .as_array()
        .expect("signatures is an array")
        .iter()
        .map(|s| s.as_str().expect("a signature id is a string").to_string())
        .collect()
}
