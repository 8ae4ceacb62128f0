//! The binary on the sample data in testdata/: every command, formats, exit codes.

mod common;
use common::*;
use predicates::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;

fn sample_runs() -> BTreeMap<String, Value> {
    let doc = json(&[
        "scan",
        "testdata/sample",
        "--format",
        "json",
        "--now",
        SAMPLE_NOW,
    ]);
    doc["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_str().unwrap().to_string(), r.clone()))
        .collect()
}

#[test]
fn sample_scan_reports_every_outcome_and_layout() {
    let runs = sample_runs();
    let outcome = |suffix: &str| -> (String, Vec<String>) {
        let r = runs
            .iter()
            .find(|(id, _)| id.ends_with(suffix))
            .unwrap_or_else(|| panic!("no run *{suffix}"))
            .1;
        (r["outcome"].as_str().unwrap().to_string(), signatures(r))
    };
    assert_eq!(
        outcome("ok0001"),
        ("ok".into(), vec![]),
        "a failed npm test fixed later is ordinary work"
    );
    assert_eq!(
        outcome("fail02"),
        ("failed".into(), vec!["usage-limit-reached".into()])
    );
    assert_eq!(outcome("canc03"), ("cancelled".into(), vec![]));
    let (o, sigs) = outcome("stal04");
    assert_eq!(o, "stalled");
    assert!(
        sigs.contains(&"job-wedged-running".to_string())
            && sigs.contains(&"turn-stall-no-terminal-event".to_string()),
        "{sigs:?}"
    );
    assert_eq!(outcome("prog05").0, "in-progress");
    assert_eq!(
        outcome("win008"),
        ("failed".into(), vec!["win-spawn-codex-enoent".into()])
    );
    assert_eq!(
        outcome("win007").1,
        vec!["win-sandbox-createprocessasuser-1920".to_string()]
    );
    // The orphan log (no record, no index entry) is still a run.
    let orphan = runs
        .iter()
        .find(|(id, _)| id.ends_with("orph06"))
        .unwrap()
        .1;
    assert_eq!(orphan["source"]["record"], Value::Null);
    assert_eq!(orphan["status"], Value::Null);
    // The per-run layout: version from the install path, workspace from the recorded root.
    let per_run = &runs["run-20261118-01"];
    assert_eq!(per_run["plugin_version"], "1.0.4");
    assert_eq!(per_run["state_root"], "per-run");
    assert_eq!(per_run["workspace"]["slug"], "Shop-Api");
    assert_eq!(per_run["platform"], "windows");
    assert_eq!(
        per_run["signatures"][0],
        "win-sandbox-createprocessasuser-1920"
    );
}

#[test]
fn evidence_cites_file_and_line() {
    let runs = sample_runs();
    let r = runs
        .iter()
        .find(|(id, _)| id.ends_with("fail02"))
        .unwrap()
        .1;
    let ev = &r["evidence"][0];
    assert_eq!(ev["signature"], "usage-limit-reached");
    assert!(ev["file"].as_str().unwrap().ends_with(".log"));
    assert_eq!(ev["line"], 5);
    assert!(
        ev["text"]
            .as_str()
            .unwrap()
            .starts_with("Codex error: You've hit your usage limit")
    );
}

#[test]
fn human_report_leads_with_clusters() {
    let out = triage()
        .args(["scan", "testdata/sample", "--now", SAMPLE_NOW])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    insta::assert_snapshot!("sample_human_report", text);
}

#[test]
fn ndjson_lines_carry_a_type_and_end_with_a_summary() {
    let out = triage()
        .args([
            "scan",
            "testdata/sample",
            "--format",
            "ndjson",
            "--now",
            SAMPLE_NOW,
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    let of = |t: &str| lines.iter().filter(|l| l["type"] == t).count();
    assert_eq!(of("run"), 9);
    assert!(of("cluster") >= 1, "{text}");
    assert_eq!(of("summary"), 1);
    assert_eq!(
        of("run") + of("cluster") + of("warning") + of("summary"),
        lines.len(),
        "every line has one of the four types"
    );
    assert!(
        lines
            .iter()
            .filter(|l| l["type"] == "run")
            .all(|l| l["id"].is_string() && l["outcome"].is_string())
    );
    // Runs first (streamed as they are written), the summary last with the totals.
    assert_eq!(lines[0]["type"], "run");
    let last = lines.last().unwrap();
    assert_eq!(last["type"], "summary");
    assert_eq!(last["runs"], 9);
    assert_eq!(last["clusters"], of("cluster"));
    assert!(last["ruleset"]["hash"].is_string() && last["scanned"]["jobs"].is_u64());
}

#[test]
fn output_file_and_since() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    triage()
        .args([
            "scan",
            "testdata/sample",
            "--format",
            "json",
            "--since",
            "2026-11-22",
            "--now",
            SAMPLE_NOW,
            "-o",
        ])
        .arg(&out)
        .assert()
        .success()
        .stdout("");
    let doc: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let runs = doc["runs"].as_array().unwrap();
    assert!(!runs.is_empty());
    assert!(
        runs.iter()
            .all(|r| r["created_at"].as_str().unwrap() >= "2026-11-22"),
        "--since keeps only newer runs"
    );
    assert_eq!(doc["schema_version"], 1);
}

#[test]
fn fail_on_sets_the_exit_code() {
    triage()
        .args([
            "scan",
            "testdata/sample",
            "--fail-on",
            "high",
            "--now",
            SAMPLE_NOW,
        ])
        .assert()
        .code(1);
    triage()
        .args([
            "scan",
            "testdata/sample",
            "--fail-on",
            "critical",
            "--now",
            SAMPLE_NOW,
        ])
        .assert()
        // The sample's Windows sandbox runs block all work: critical (rules/README.md).
        .code(1);
    triage()
        .args(["scan", "testdata/sample", "--fail-on", "urgent"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--fail-on"));
}

#[test]
fn unreadable_input_is_a_usage_error() {
    triage()
        .args(["scan", "/nonexistent/triage/input"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read"));
    triage()
        .args(["scan", "--stall-after", "soon", "testdata/sample"])
        .assert()
        .code(2);
}

#[test]
fn no_records_at_default_roots_says_where_it_looked() {
    if std::path::Path::new("/tmp/codex-companion").exists() {
        eprintln!("SKIPPED: this machine has /tmp/codex-companion");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    triage()
        .env("HOME", home.path())
        .env("TMPDIR", home.path())
        .env_remove("CLAUDE_PLUGIN_DATA")
        .env_remove("TEMP")
        .env_remove("TMP")
        .args(["scan"])
        .assert()
        .code(0)
        .stderr(
            predicate::str::contains("no codex plugin job records found")
                .and(predicate::str::contains("testdata/sample")),
        );
}

#[test]
fn explain_shows_the_timeline_and_why() {
    let runs = sample_runs();
    let id = runs
        .keys()
        .find(|id| id.ends_with("stal04"))
        .unwrap()
        .clone();
    let out = triage()
        .args(["explain", &id, "testdata/sample", "--now", SAMPLE_NOW])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Turn started (019ea1b2-0000-7000-8000-000000000032)."),
        "{text}"
    );
    assert!(
        text.contains("Outcome: stalled (status running, no completedAt"),
        "{text}"
    );
    assert!(
        text.contains("Last activity: 2026-11-23T16:45:01.450Z (17h 19m ago)"),
        "{text}"
    );
    assert!(text.contains("job-wedged-running"), "{text}");
    // Unique prefixes work; ambiguous or unknown ids are errors.
    triage()
        .args([
            "explain",
            "task-mwthx",
            "testdata/sample",
            "--now",
            SAMPLE_NOW,
        ])
        .assert()
        .success();
    triage()
        .args(["explain", "task-", "testdata/sample"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("matches"));
    triage()
        .args(["explain", "nope", "testdata/sample"])
        .assert()
        .code(2);
}

#[test]
fn explain_folds_blocks_unless_verbose() {
    let runs = sample_runs();
    let id = runs
        .keys()
        .find(|id| id.ends_with("win007"))
        .unwrap()
        .clone();
    let folded = triage()
        .args(["explain", &id, "testdata/sample"])
        .output()
        .unwrap();
    let folded = String::from_utf8(folded.stdout).unwrap();
    assert!(folded.contains("more lines (-v to unfold)"), "{folded}");
    assert!(folded.contains("▶"), "matched lines are marked: {folded}");
    let full = triage()
        .args(["explain", &id, "testdata/sample", "-v"])
        .output()
        .unwrap();
    let full = String::from_utf8(full.stdout).unwrap();
    assert!(full.contains("I could not read the checkout controller."));
    assert!(!full.contains("-v to unfold"));
}

#[test]
fn rules_list_json_and_patterns() {
    let doc = json(&["rules", "list", "--format", "json"]);
    let rules = doc["rules"].as_array().unwrap();
    assert!(rules.len() >= 45, "{} rules", rules.len());
    for r in rules {
        for k in ["id", "title", "family", "severity", "fix", "references"] {
            assert!(!r[k].is_null(), "rule {} lacks {k}", r["id"]);
        }
    }
    let out = triage().args(["rules", "patterns"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let n = text
        .lines()
        .filter(|l| regex::Regex::new(l).is_ok())
        .count();
    assert_eq!(
        n,
        text.lines().count(),
        "every exported pattern is a valid regex"
    );
    assert!(n >= 63);
}

#[test]
fn rules_show_and_validate() {
    triage()
        .args(["rules", "show", "win-sandbox-createprocessasuser-1920"])
        .assert()
        .success()
        .stdout(predicate::str::contains("CreateProcessAsUserW"));
    triage()
        .args(["rules", "show", "no-such-rule"])
        .assert()
        .code(2);
    triage()
        .args(["rules", "validate"])
        .assert()
        .success()
        .stdout(predicate::str::contains("rules valid"));
}

#[test]
fn the_builtin_library_passes_its_own_tests() {
    let out = triage().args(["rules", "test"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains(" 0 failed"), "{text}");
}

#[test]
fn adding_a_rule_needs_no_code() {
    let dir = tempfile::tempdir().unwrap();
    triage()
        .args(["rules", "new", "my-sig", "--family", "network", "--dir"])
        .arg(dir.path())
        .assert()
        .success();
    let path = dir.path().join("network/my-sig.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    // Edit the template: a real error string, real tests.
    let text = text
        .replace("the exact error text", "proxy tunnel refused: 407")
        .replace("status = \"experimental\"", "status = \"stable\"");
    std::fs::write(&path, text).unwrap();
    triage()
        .args(["rules", "test", "--rules"])
        .arg(dir.path())
        .arg(dir.path())
        .assert()
        .success();
    // The new rule classifies text at once.
    triage()
        .args(["match", "--rules"])
        .arg(dir.path())
        .write_stdin("[codex] proxy tunnel refused: 407\n")
        .assert()
        .success()
        .stdout(predicate::str::contains("my-sig"));
    // Refuses to overwrite.
    triage()
        .args(["rules", "new", "my-sig", "--family", "network", "--dir"])
        .arg(dir.path())
        .assert()
        .code(2);
}

#[test]
fn invalid_rule_folders_stop_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("sandbox")).unwrap();
    std::fs::write(
        dir.path().join("sandbox/bad.toml"),
        "id = \"bad\"\ntitle = 3\n",
    )
    .unwrap();
    triage()
        .args(["scan", "testdata/sample", "--rules"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.toml"));
}

#[test]
fn match_reads_stdin_and_files() {
    triage()
        .args(["match", "--format", "json"])
        .write_stdin("[codex] Codex error: You've hit your usage limit. Visit https://chatgpt.com/codex/settings/usage to purchase more credits or try again at 3:04 PM.\n")
        .assert()
        .success()
        .stdout(predicate::str::contains("\"signature\": \"usage-limit-reached\""));
    let out = triage()
        .args(["match", "-", "--format", "json"])
        .write_stdin("all good here\n")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "nothing matched: exit 1, as grep"
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["matches"], serde_json::json!([]));
}

/// NDJSON is streamed line by line (issue #12) and carries everything the JSON document
/// does (issue #13): in order, the document's runs, its clusters and its warnings, each
/// with its `type`; on the sample and on the labelled failure trees.
#[test]
fn ndjson_lines_are_the_json_documents_runs_in_order() {
    for tree in ["testdata/sample", "../shared/corpus/failures"] {
        let doc = json(&["scan", tree, "--format", "json", "--now", SAMPLE_NOW]);
        let out = triage()
            .args(["scan", tree, "--format", "ndjson", "--now", SAMPLE_NOW])
            .output()
            .unwrap();
        let lines: Vec<Value> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).expect("each line is JSON"))
            .collect();
        let typed = |t: &str| -> Vec<Value> {
            lines
                .iter()
                .filter(|l| l["type"] == t)
                .map(|l| {
                    let mut l = l.clone();
                    l.as_object_mut().unwrap().remove("type");
                    l
                })
                .collect()
        };
        let runs = doc["runs"].as_array().unwrap();
        assert!(!runs.is_empty(), "{tree} has runs");
        assert_eq!(&typed("run"), runs, "{tree}");
        assert_eq!(
            &typed("cluster"),
            doc["clusters"].as_array().unwrap(),
            "{tree}"
        );
        assert_eq!(
            &typed("warning"),
            doc["warnings"].as_array().unwrap(),
            "{tree}"
        );
        let summary = &typed("summary")[0];
        assert_eq!(summary["scanned"], doc["scanned"], "{tree}");
    }
}
