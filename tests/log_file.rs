//! A job record whose log is not beside it but where its `logFile` points (another plugin's
//! data dir, issue #11): the scan reads that file when it lies under a scanned path, and never
//! opens one outside them.

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;
use std::path::Path;

const JOB: &str = "task-mwqhivw2-fail02";
const STATE: &str = "plugin-data/state/webapp-a8a4af04479a950a";

/// `root/plugin-data/…/jobs/<JOB>.json` (no log beside it) with `logFile` naming
/// `root/other-plugin/jobs/<JOB>.log`.
fn tree(root: &Path) {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/sample")
        .join(STATE);
    let jobs = root.join(STATE).join("jobs");
    let other = root.join("other-plugin/jobs");
    std::fs::create_dir_all(&jobs).unwrap();
    std::fs::create_dir_all(&other).unwrap();
    let log = other.join(format!("{JOB}.log"));
    std::fs::copy(sample.join(format!("jobs/{JOB}.log")), &log).unwrap();
    let text = std::fs::read_to_string(sample.join(format!("jobs/{JOB}.json"))).unwrap();
    let mut rec: Value = serde_json::from_str(&text).unwrap();
    rec["logFile"] = Value::String(log.display().to_string());
    std::fs::write(jobs.join(format!("{JOB}.json")), rec.to_string()).unwrap();
}

fn signatures_of_record(scan_path: &Path) -> Vec<String> {
    let out = cargo_bin_cmd!("triage")
        .args(["scan", "--format", "json", "--no-progress"])
        .arg(scan_path)
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).expect("scan JSON");
    let runs = doc["runs"].as_array().expect("runs");
    // The record's run: its source names the .json file.
    let run = runs
        .iter()
        .find(|r| r["id"] == JOB && r["source"].to_string().contains(".json"))
        .expect("the record's run");
    run["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn a_log_file_under_the_scanned_paths_is_read_one_outside_is_not() {
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path());
    // The whole tree scanned: the usage-limit error in the other plugin's dir is evidence.
    assert!(
        signatures_of_record(dir.path()).contains(&"usage-limit-reached".to_string()),
        "logFile inside the scanned root is read"
    );
    // Only the plugin's data dir scanned: the log outside it is never opened.
    assert!(
        signatures_of_record(&dir.path().join("plugin-data")).is_empty(),
        "logFile outside the scanned paths is not read"
    );
}
