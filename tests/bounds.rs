//! Resource bounds on hostile input (issue 15, point 5): a huge worker count, a huge
//! index, and index entries that try to make triage read files outside the state tree.

mod common;

use common::{output_ok, triage};
use std::path::Path;

fn put(p: &Path, s: &str) {
    std::fs::create_dir_all(p.parent().expect("has a parent")).expect("mkdir");
    std::fs::write(p, s).expect("write");
}

fn scan_json(root: &Path, extra: &[&str]) -> (serde_json::Value, String) {
    let out = output_ok(
        triage()
            .arg("scan")
            .arg(root)
            .args(["--format", "json", "--no-progress"])
            .args(extra),
    );
    (
        serde_json::from_slice(&out.stdout).expect("json"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_huge_worker_count_is_capped_with_a_note() {
    let out = triage()
        .args(["scan", "testdata/sample", "-j", "100000", "--no-progress"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("-j 100000") && err.contains("64 worker threads"),
        "{err}"
    );
    // A sane count gives no note.
    let out = triage()
        .args(["scan", "testdata/sample", "-j", "4", "--no-progress"])
        .output()
        .expect("runs");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("note:"));
}

#[test]
fn a_huge_index_without_job_files_is_bounded_and_warned_about() {
    let dir = tempfile::tempdir().expect("tempdir");
    let st = dir.path().join("state").join("big-0123456789abcdef");
    // ~14 MB, 480,000 index entries, no job files: the plugin never keeps more than 50.
    let mut s = String::from(r#"{"version":1,"config":{},"jobs":["#);
    for i in 0..480_000u32 {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(r#"{{"id":"task-{i:08x}-{i:06}"}}"#));
    }
    s.push_str("]}");
    put(&st.join("state.json"), &s);
    let (doc, err) = scan_json(dir.path(), &[]);
    assert!(
        err.contains("index lists 480000 jobs") && err.contains("first 1000 entries"),
        "{err}"
    );
    assert_eq!(doc["scanned"]["jobs"], 1000);
}

#[test]
fn an_index_of_normal_size_gives_no_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let st = dir.path().join("state").join("ok-0123456789abcdef");
    let jobs: Vec<String> = (0..50)
        .map(|i| format!(r#"{{"id":"task-{i:08x}-ok","status":"completed"}}"#))
        .collect();
    put(
        &st.join("state.json"),
        &format!(r#"{{"version":1,"jobs":[{}]}}"#, jobs.join(",")),
    );
    let (doc, err) = scan_json(dir.path(), &[]);
    assert!(!err.contains("far beyond"), "{err}");
    assert_eq!(doc["scanned"]["jobs"], 50);
}

/// A record outside the state directory that must never be read: its texts carry a marker
/// and a known failure, so reading it would show in the report.
fn plant_outside(dir: &Path) -> std::path::PathBuf {
    let outside = dir.join("outside");
    let rec = r#"{"id":"evil","status":"failed","errorMessage":"OUTSIDE-MARKER CreateProcessAsUserW failed: 1920"}"#;
    for name in ["evil.json", "jobs/evil.json", "evil"] {
        put(&outside.join(name), rec);
    }
    for name in ["evil.log", "jobs/evil.log", "secret.log"] {
        put(
            &outside.join(name),
            "[2026-11-01T00:00:00.000Z] OUTSIDE-MARKER Error: CreateProcessAsUserW failed: 1920\n",
        );
    }
    outside
}

#[test]
fn job_ids_with_parent_or_absolute_paths_open_nothing_outside_the_state_dir() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("root");
    let outside = plant_outside(dir.path());
    let st = root.join("state").join("ws-0123456789abcdef");
    let abs = outside.join("evil");
    let ids = [
        "../../../outside/evil".to_string(),
        "../../../../outside/jobs/evil".to_string(),
        r"..\..\..\outside\evil".to_string(),
        abs.display().to_string(),
        format!("{}/jobs/evil", outside.display()),
    ];
    let jobs: Vec<String> = ids
        .iter()
        .map(|id| serde_json::json!({ "id": id, "status": "running" }).to_string())
        .collect();
    put(
        &st.join("state.json"),
        &format!(r#"{{"version":1,"jobs":[{}]}}"#, jobs.join(",")),
    );
    std::fs::create_dir_all(st.join("jobs")).expect("mkdir");
    let (doc, _) = scan_json(&root, &[]);
    let text = doc.to_string();
    assert!(
        !text.contains("OUTSIDE-MARKER"),
        "read a file outside: {text}"
    );
    assert!(!text.contains("CreateProcessAsUserW"), "{text}");
    // The entries themselves are still reported (index-only runs).
    assert_eq!(doc["scanned"]["jobs"], ids.len());
}

#[test]
fn a_log_file_outside_the_scanned_roots_is_never_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("root");
    let outside = plant_outside(dir.path());
    let st = root.join("state").join("ws-0123456789abcdef");
    for (id, log) in [
        (
            "task-aaaa-000001",
            outside.join("secret.log").display().to_string(),
        ),
        ("task-aaaa-000002", "/etc/shadow".to_string()),
        (
            "task-aaaa-000003",
            "../../../outside/secret.log".to_string(),
        ),
    ] {
        put(
            &st.join("jobs").join(format!("{id}.json")),
            &serde_json::json!({
                "id": id, "status": "failed", "logFile": log,
                "createdAt": "2026-11-01T00:00:00Z"
            })
            .to_string(),
        );
    }
    let (doc, _) = scan_json(&root, &[]);
    let text = doc.to_string();
    assert!(!text.contains("OUTSIDE-MARKER"), "{text}");
    assert!(!text.contains("root:"), "read /etc/shadow: {text}");
    assert_eq!(doc["scanned"]["jobs"], 3);
    // Only the three job files were read: no log at all.
    assert_eq!(doc["scanned"]["files"], 3, "{}", doc["scanned"]);
}
