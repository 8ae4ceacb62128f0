//! Shared helpers for the integration tests.
#![allow(dead_code)]

use pulldown_cmark::{Event, Tag, TagEnd};
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

/// Runs `cmd`, asserts it succeeded (the failure message shows its exit code and stderr)
/// and returns its output.
pub fn output_ok(cmd: &mut assert_cmd::Command) -> std::process::Output {
    let out = cmd.output().expect("runs");
    assert!(
        out.status.success(),
        "failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// [`output_ok`]'s standard output, as text.
pub fn stdout_ok(cmd: &mut assert_cmd::Command) -> String {
    String::from_utf8(output_ok(cmd).stdout).expect("UTF-8 output")
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

/// The cells of every table of a Markdown body as a GFM renderer reads it: tables, rows,
/// cells (the text and code of each cell).
pub fn md_tables(md: &str) -> Vec<Vec<Vec<String>>> {
    let mut out = Vec::new();
    let mut table: Option<Vec<Vec<String>>> = None;
    let mut cell: Option<String> = None;
    for ev in pulldown_cmark::Parser::new_ext(md, pulldown_cmark::Options::ENABLE_TABLES) {
        match ev {
            Event::Start(Tag::Table(_)) => table = Some(Vec::new()),
            Event::End(TagEnd::Table) => out.extend(table.take()),
            Event::Start(Tag::TableHead) | Event::Start(Tag::TableRow) => {
                if let Some(t) = table.as_mut() {
                    t.push(Vec::new());
                }
            }
            Event::Start(Tag::TableCell) => cell = Some(String::new()),
            Event::End(TagEnd::TableCell) => {
                if let (Some(t), Some(c)) = (table.as_mut(), cell.take()) {
                    t.last_mut().expect("a row").push(c);
                }
            }
            Event::Text(s) | Event::Code(s) => {
                if let Some(c) = cell.as_mut() {
                    c.push_str(&s);
                }
            }
            _ => {}
        }
    }
    out
}
