//! Conformance with the genuine records in ../shared/corpus (present in CI): every job of
//! every plugin-generated tree gets the outcome its scenario describes, `explain` works on
//! each, every labelled failure job gets exactly its labels, and no healthy job gets any.

mod common;
use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Outcome of every job in a plugin-generated tree, from the corpus README's scenario table.
/// The lifecycle snapshots t0/t1 were taken mid-run long ago: read today they are stalled.
const PLUGIN_GENERATED: &[(&str, &str)] = &[
    ("adversarial-review", "ok"),
    ("adversarial-review-invalid-json", "ok"),
    ("fallback-tmpdir", "ok"),
    ("multi-workspace", "ok"),
    ("non-git-workspace", "ok"),
    ("review-failed", "failed"),
    ("review-native", "ok"),
    ("session-end-cleanup-after", "ok"),
    ("session-end-cleanup-before", "ok"),
    ("stop-gate-review", "ok"),
    ("task-background-cancelled", "cancelled"),
    ("task-background-cancelled-while-queued", "cancelled"),
    ("task-background-completed", "ok"),
    ("task-background-hung-appserver-crash", "stalled"),
    ("task-background-killed", "stalled"),
    ("task-background-killed-then-cancelled", "cancelled"),
    ("task-background-lifecycle-t0-queued", "stalled"),
    ("task-background-lifecycle-t1-running", "stalled"),
    ("task-background-lifecycle-t2-completed", "ok"),
    ("task-background-startup-error", "failed"),
    ("task-codex-error-failed-turn", "failed"),
    ("task-codex-error-retry-then-completed", "ok"),
    ("task-command-failures", "ok"),
    ("task-direct-appserver-crash", "stalled"),
    ("task-foreground-success", "ok"),
    ("task-inferred-completion", "ok"),
    ("task-no-final-message", "ok"),
    ("task-resume", "ok"),
    ("task-startup-error", "failed"),
    ("task-subagent", "ok"),
    ("task-turn-interrupted", "failed"),
    ("task-with-reasoning", "ok"),
    ("v1.0.0-task", "ok"),
];

/// Trees whose jobs are healthy runs: no signature may fire on them.
const HEALTHY_TREES: &[&str] = &[
    "adversarial-review",
    "fallback-tmpdir",
    "multi-workspace",
    "non-git-workspace",
    "review-native",
    "session-end-cleanup-after",
    "session-end-cleanup-before",
    "stop-gate-review",
    "task-background-cancelled",
    "task-background-cancelled-while-queued",
    "task-background-completed",
    "task-background-lifecycle-t2-completed",
    "task-codex-error-retry-then-completed",
    "task-command-failures",
    "task-foreground-success",
    "task-inferred-completion",
    "task-no-final-message",
    "task-resume",
    "task-subagent",
    "task-with-reasoning",
    "v1.0.0-task",
];

fn scan_tree(path: &std::path::Path, extra: &[&str]) -> Value {
    let mut args = vec!["scan", path.to_str().unwrap(), "--format", "json"];
    args.extend_from_slice(extra);
    json(&args)
}

#[test]
fn every_plugin_generated_job_has_its_outcome() {
    let Some(base) = corpus("plugin-generated") else {
        return;
    };
    let mut trees: Vec<String> = std::fs::read_dir(&base)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    trees.sort();
    let expected: BTreeMap<&str, &str> = PLUGIN_GENERATED
        .iter()
        .copied()
        .filter(|(_, o)| !o.is_empty())
        .collect();
    let mut checked = 0;
    for tree in &trees {
        let doc = scan_tree(&base.join(tree), &[]);
        let runs = doc["runs"].as_array().unwrap();
        assert!(
            !runs.is_empty() || tree == "session-end-cleanup-after",
            "{tree}: no runs"
        );
        let want = match expected.get(tree.as_str()) {
            Some(w) => *w,
            None if tree == "task-with-reasoning" => "ok",
            None => panic!("tree {tree} is not in the expectation table"),
        };
        for r in runs {
            assert_eq!(
                r["outcome"], want,
                "{tree}/{}: {}",
                r["id"], r["outcome_reason"]
            );
            checked += 1;
        }
        assert!(
            doc["warnings"].as_array().unwrap().is_empty(),
            "{tree}: {:?}",
            doc["warnings"]
        );
    }
    assert!(checked >= 40, "only {checked} jobs checked");
}

#[test]
fn lifecycle_snapshots_are_in_progress_at_their_own_time() {
    let Some(base) = corpus("plugin-generated") else {
        return;
    };
    for tree in [
        "task-background-lifecycle-t0-queued",
        "task-background-lifecycle-t1-running",
    ] {
        let doc = scan_tree(&base.join(tree), &[]);
        let last = doc["runs"][0]["last_activity_at"]
            .as_str()
            .unwrap()
            .to_string();
        let t = triage::timefmt::parse_timestamp(&last).unwrap() + 60_000;
        let now = triage::timefmt::format_iso(t);
        let doc = scan_tree(&base.join(tree), &["--now", &now]);
        assert_eq!(
            doc["runs"][0]["outcome"], "in-progress",
            "{tree} one minute after its last activity"
        );
        assert_eq!(
            doc["runs"][0]["signatures"],
            serde_json::json!([]),
            "{tree}: a busy run has no hang signature"
        );
    }
}

#[test]
fn killed_job_keeps_the_index_turn_id() {
    let Some(base) = corpus("plugin-generated") else {
        return;
    };
    let doc = scan_tree(&base.join("task-background-killed"), &[]);
    let r = &doc["runs"][0];
    assert_eq!(r["status"], "running");
    assert_eq!(r["phase"], "starting");
    assert_eq!(r["completed_at"], Value::Null);
    assert_eq!(r["workspace"]["slug"], "demo-app");
    assert_eq!(r["workspace"]["hash"], "70de7e731d0d286f");
    assert_eq!(r["platform"], "linux");
}

#[test]
fn explain_works_on_every_corpus_run() {
    for name in ["plugin-generated", "failures"] {
        let Some(base) = corpus(name) else { return };
        let doc = scan_tree(&base, &[]);
        let mut seen = BTreeSet::new();
        for r in doc["runs"].as_array().unwrap() {
            let id = r["id"].as_str().unwrap();
            // Some trees are copies of the same job; explain one tree at a time.
            let log = r["source"]["log"]
                .as_str()
                .or(r["source"]["record"].as_str())
                .unwrap();
            if !seen.insert((id.to_string(), log.to_string())) {
                continue;
            }
            let out = triage().args(["explain", id, log]).output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "explain {id} {log}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(text.contains("Outcome: "), "{text}");
        }
        assert!(seen.len() >= 30);
    }
}

#[test]
fn failure_corpus_labels_are_reproduced_exactly() {
    let Some(base) = corpus("failures") else {
        return;
    };
    let labels = std::fs::read_to_string(base.join("LABELS.tsv")).unwrap();
    let mut by_tree: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for line in labels.lines().filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let set = if cols[2] == "healthy" {
            BTreeSet::new()
        } else {
            cols[2].split(',').map(str::to_string).collect()
        };
        by_tree
            .entry(cols[0].into())
            .or_default()
            .insert(cols[1].into(), set);
    }
    let mut checked = 0;
    for (tree, jobs) in &by_tree {
        let doc = scan_tree(&base.join(tree), &[]);
        let got: BTreeMap<String, BTreeSet<String>> = doc["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["id"].as_str().unwrap().to_string(),
                    signatures(r).into_iter().collect(),
                )
            })
            .collect();
        for (job, want) in jobs {
            assert_eq!(got.get(job), Some(want), "{tree}/{job}");
            checked += 1;
        }
    }
    assert_eq!(checked, 37);
}

#[test]
fn no_healthy_plugin_generated_job_gets_a_signature() {
    let Some(base) = corpus("plugin-generated") else {
        return;
    };
    for tree in HEALTHY_TREES {
        let doc = scan_tree(&base.join(tree), &[]);
        for r in doc["runs"].as_array().unwrap() {
            assert_eq!(r["signatures"], serde_json::json!([]), "{tree}/{}", r["id"]);
        }
    }
}

#[test]
fn the_whole_failure_corpus_clusters_by_signature() {
    let Some(base) = corpus("failures") else {
        return;
    };
    let doc = scan_tree(&base, &[]);
    let clusters = doc["clusters"].as_array().unwrap();
    let ids: BTreeSet<&str> = clusters.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert!(ids.len() >= 25, "{ids:?}");
    assert!(
        ids.iter().all(|i| !i.starts_with("unclassified:")),
        "every failed run is explained: {ids:?}"
    );
    let wedged = clusters
        .iter()
        .find(|c| c["id"] == "job-wedged-running")
        .unwrap();
    assert_eq!(wedged["count"], 6);
    assert!(
        wedged["references"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "openai/codex-plugin-cc#517")
    );
    assert!(wedged["fix"].as_str().unwrap().len() > 20);
    let win = clusters
        .iter()
        .find(|c| c["id"] == "win-sandbox-createprocessasuser-1920")
        .unwrap();
    assert_eq!(win["platforms"], serde_json::json!(["windows"]));
    assert!(win["related"].as_array().unwrap().iter().any(|r| r["id"] == "win-sandbox-blocked-by-policy" && r["relation"] == "distinct-from"));
}
