//! `triage mine`, template clusters in `scan`, and `triage rules draft`, run as the binary.

mod common;

use common::{corpus, json, triage};
use serde_json::Value;

/// The new-family tree: four failed runs (two workspaces, Linux and macOS paths, task and
/// review) whose error is openai/codex#19475's `failed to record rollout items: thread <uuid>
/// not found`, which no catalogued signature covers. (The first fixture used openai/codex#19476's
/// config-load message; the library has since gained a rule for that family.)
const TREE: &str = "testdata/mine-rollout-thread";
const NOW: &str = "2026-11-26T00:00:00.000Z";

fn unclassified(doc: &Value) -> Vec<&Value> {
    doc["clusters"]
        .as_array()
        .expect("clusters")
        .iter()
        .filter(|c| c["signature"].is_null())
        .collect()
}

#[test]
fn mine_json_groups_lines_most_frequent_first() {
    let input = "Connection from 10.0.0.1 port 5000 closed\n\
                 disk sda1 is full\n\
                 Connection from 10.0.0.9 port 61 closed\n\
                 \n\
                 Connection from 192.168.1.4 port 22 closed\n";
    let out = triage()
        .args(["mine", "--format", "json", "-"])
        .write_stdin(input)
        .output()
        .expect("runs");
    assert!(out.status.success());
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let t = doc["templates"].as_array().expect("templates");
    assert_eq!(t.len(), 2);
    assert_eq!(t[0]["template"], "Connection from <*> port <*> closed");
    assert_eq!(t[0]["count"], 3);
    assert_eq!(t[0]["lines"], serde_json::json!([1, 3, 5]));
    assert_eq!(t[1]["lines"], serde_json::json!([2]));
    // Exactly the documented keys.
    let keys: Vec<&String> = t[0].as_object().expect("object").keys().collect();
    assert_eq!(keys, ["count", "lines", "template"]);
    assert_eq!(doc.as_object().expect("object").len(), 1);
}

#[test]
fn mine_reads_job_trees_without_timestamps_and_writes_to_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("t.txt");
    triage()
        .args(["mine", TREE, "-o"])
        .arg(&out)
        .assert()
        .success();
    let text = std::fs::read_to_string(&out).expect("written");
    assert!(
        text.starts_with("4 template(s) from 10 message(s)"),
        "{text}"
    );
    assert!(text.contains("Starting Codex Task."), "{text}");
    assert!(
        !text.contains("[2026-"),
        "timestamps must be stripped: {text}"
    );
}

#[test]
fn new_family_is_one_template_cluster_and_its_draft_matches_it_and_no_healthy_run() {
    let doc = json(&["scan", TREE, "--format", "json", "--now", NOW]);
    let cl = unclassified(&doc);
    assert_eq!(cl.len(), 1, "one template cluster: {cl:#?}");
    let cluster = cl[0];
    assert_eq!(cluster["count"], 5);
    assert_eq!(
        cluster["title"],
        "failed to record rollout items: thread <uuid> not found"
    );
    let id = cluster["id"].as_str().expect("id").to_string();

    let rules = tempfile::tempdir().expect("tempdir");
    triage()
        .args([
            "rules",
            "draft",
            &id,
            TREE,
            "--now",
            NOW,
            "--id",
            "rollout-record-thread-not-found",
        ])
        .arg("--dir")
        .arg(rules.path())
        .assert()
        .success();
    let path = rules
        .path()
        .join("spawn-install")
        .join("rollout-record-thread-not-found.toml");
    let text = std::fs::read_to_string(&path).expect("draft written");
    assert!(text.contains("status = \"experimental\""));
    assert!(text.contains("TODO"));
    // Loads and passes its tests as written, among the built-in rules.
    triage()
        .args(["rules", "test", "--rules"])
        .arg(rules.path())
        .assert()
        .success();
    // Matches every run of the cluster.
    let rules_arg = rules.path().to_str().expect("utf-8 path");
    let doc = json(&[
        "scan", TREE, "--rules", rules_arg, "--format", "json", "--now", NOW,
    ]);
    let runs = doc["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 5);
    for r in runs {
        assert_eq!(
            common::signatures(r),
            ["rollout-record-thread-not-found"],
            "run {}",
            r["id"]
        );
    }
    assert!(unclassified(&doc).is_empty());
    // And nothing in the shared corpus.
    for name in ["plugin-generated", "failures"] {
        let Some(c) = corpus(name) else { return };
        let c = c.to_str().expect("utf-8 path");
        let doc = json(&[
            "scan", c, "--rules", rules_arg, "--format", "json", "--now", NOW,
        ]);
        for r in doc["runs"].as_array().expect("runs") {
            assert!(
                !common::signatures(r).contains(&"rollout-record-thread-not-found".to_string()),
                "{name}: run {} matched the draft",
                r["id"]
            );
        }
    }
}

#[test]
fn draft_refuses_unknown_and_classified_clusters() {
    triage()
        .args([
            "rules",
            "draft",
            "unclassified:000000000000",
            TREE,
            "--now",
            NOW,
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("unclassified clusters:"));
}
