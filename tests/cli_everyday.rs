//! Everyday command-line behaviour a new user tries (issue 13 point 5), run through the
//! binary on the sample data and the shared corpus.

mod common;
use common::*;
use serde_json::Value;

#[test]
fn output_dash_means_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let sample = root().join("testdata/sample").display().to_string();
    let out = triage()
        .current_dir(dir.path())
        .args(["scan", &sample])
        .args(["--format", "json", "--now", SAMPLE_NOW, "-o", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("the JSON went to stdout");
    assert!(!doc["runs"].as_array().unwrap().is_empty());
    assert!(
        !dir.path().join("-").exists(),
        "no file named `-` is written"
    );

    let md = triage()
        .current_dir(dir.path())
        .args(["export", &sample])
        .args(["--format", "markdown", "--now", SAMPLE_NOW, "--output", "-"])
        .output()
        .unwrap();
    assert!(md.status.success());
    assert!(String::from_utf8_lossy(&md.stdout).contains("## "));
    assert!(!dir.path().join("-").exists());
}

#[test]
fn json_that_is_not_a_job_record_is_skipped_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join("odd.json");
    std::fs::write(&odd, r#"{"a":1}"#).unwrap();
    let broker = dir.path().join("broker.json");
    std::fs::write(&broker, r#"{"endpoint":"unix:/tmp/x.sock","pid":1}"#).unwrap();
    let schema_file = std::fs::read_dir(root().join("schema"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .expect("a schema file");
    // A genuine record named beside them still counts.
    let job = first_job(&root().join("testdata/sample"));
    let out = triage()
        .arg("scan")
        .args([&odd, &broker, &schema_file, &job])
        .args(["--format", "json", "--now", SAMPLE_NOW])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "only the real record is a run: {runs:#?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    for f in [&odd, &broker, &schema_file] {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        assert!(
            stderr
                .lines()
                .any(|l| l.contains("warning") && l.contains(&name) && l.contains("skipped")),
            "no warning naming {name}: {stderr}"
        );
    }
}

/// The first `jobs/*.json` under `dir`.
fn first_job(dir: &std::path::Path) -> std::path::PathBuf {
    let mut stack = vec![dir.to_path_buf()];
    let mut found = Vec::new();
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().filter_map(|e| e.ok()) {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json")
                && p.parent()
                    .and_then(|p| p.file_name())
                    .is_some_and(|n| n == "jobs")
            {
                found.push(p);
            }
        }
    }
    found.sort();
    found
        .into_iter()
        .next()
        .expect("a job record in the sample")
}
