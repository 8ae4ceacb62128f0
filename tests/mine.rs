//! `triage mine`, template clusters in `scan`, and `triage rules draft`, run as the binary.

mod common;

use common::{corpus, json, md_tables as tables, root, stdout_ok, triage};
use pulldown_cmark::{Event, Options, Parser};
use serde_json::Value;

/// The new-family tree: five failed runs (three workspaces, Linux, macOS and Windows paths,
/// task and review, a different thread id each) whose error is openai/codex#19475's `failed to
/// record rollout items: thread <uuid> not found`, which no catalogued signature covers. (The
/// first fixture used openai/codex#19476's config-load message; the library has since gained a
/// rule for that family.)
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

/// The fixture's five thread ids, one per run.
const THREADS: [&str; 5] = [
    "019dd012-3c4d-7e5f-9a0b-1c2d3e4f5a6b",
    "019dd1f4-5e6f-7a8b-8c9d-0e1f2a3b4c5d",
    "019dc6a2-7f3e-7b21-9a4c-2f1e8d7c6b5a",
    "019dc7b0-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
    "019dc8e3-4b5c-7d6e-8f70-8192a3b4c5d6",
];

#[test]
fn template_cluster_export_validates_and_lists_the_variable_values() {
    let doc = json(&["export", TREE, "--no-progress", "--now", NOW]);
    let text = std::fs::read_to_string(root().join("schema/export.schema.json")).expect("schema");
    let schema: Value = serde_json::from_str(&text).expect("JSON");
    let v = jsonschema::draft202012::new(&schema).expect("compiles");
    let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let cl = unclassified(&doc);
    assert_eq!(cl.len(), 1);
    let t = cl[0]["templates"].as_array().expect("templates");
    assert_eq!(t.len(), 1, "{t:#?}");
    assert_eq!(t[0]["source"], "record");
    assert_eq!(t[0]["count"], 5);
    let var = &t[0]["variables"][0];
    assert_eq!(var["placeholder"], "<uuid>");
    assert_eq!(var["distinct"], 5);
    let examples: Vec<&str> = var["examples"]
        .as_array()
        .expect("examples")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(examples.len(), 3);
    assert!(examples.iter().all(|e| THREADS.contains(e)), "{examples:?}");
    // A signature's cluster has no templates.
    let doc = json(&["export", "testdata/sample", "--no-progress", "--now", NOW]);
    for c in doc["clusters"].as_array().expect("clusters") {
        assert_eq!(
            c.get("templates").is_some(),
            c["signature"].is_null(),
            "{}",
            c["id"]
        );
    }
}

#[test]
fn markdown_body_has_a_templates_section_that_renders_as_a_table() {
    let out = triage()
        .args([
            "export",
            TREE,
            "--format",
            "markdown",
            "--no-progress",
            "--now",
            NOW,
        ])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let md = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(md.contains("\n### Templates\n"), "{md}");
    let t = tables(&md)
        .into_iter()
        .find(|t| {
            t.first()
                .is_some_and(|h| h.last().is_some_and(|c| c == "template"))
        })
        .expect("a templates table");
    assert_eq!(t.len(), 2, "one header, one template: {t:?}");
    assert_eq!(
        t[1],
        [
            "1",
            "record",
            "5",
            "failed to record rollout items: thread <uuid> not found"
        ]
    );
    // The values, in code spans, as a reader sees them.
    let mut code = Vec::new();
    for ev in Parser::new_ext(&md, Options::ENABLE_TABLES) {
        if let Event::Code(c) = ev {
            code.push(c.to_string());
        }
    }
    assert!(code.iter().any(|c| c == THREADS[2]), "{code:?}");
}

#[test]
fn history_shows_the_template_its_variables_and_when() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("h.sqlite");
    let run = |args: &[&str]| -> String {
        stdout_ok(
            triage()
                .env("CODEX_HOME", "/nonexistent-codex-home")
                .env_remove("TRIAGE_DB")
                .arg("--db")
                .arg(&db)
                .args(args),
        )
    };
    run(&["capture", TREE, "--now", NOW]);
    let text = run(&["history"]);
    let block: Vec<&str> = text
        .split("\n\n")
        .filter(|b| b.contains("unclassified:"))
        .collect();
    assert_eq!(block.len(), 1, "{text}");
    let b = block[0];
    assert!(
        b.contains(
            "template (record, 5 runs): failed to record rollout items: thread <uuid> not found"
        ),
        "{b}"
    );
    assert!(b.contains("<uuid> #1: "), "{b}");
    assert!(b.contains("(5 distinct)"), "{b}");
    assert!(b.contains("first 2026-11-20T09:14:02.118Z"), "{b}");
    assert!(b.contains("plugin "), "{b}");
    // The same cluster id as the scan gives.
    let doc = json(&["scan", TREE, "--format", "json", "--now", NOW]);
    let id = unclassified(&doc)[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    assert!(b.contains(&id), "{b}");
}

#[test]
fn match_shows_the_template_of_unclassified_free_text() {
    let text = "I ran /codex:rescue and it failed:\n\
                ERROR codex_core::session: failed to record rollout items: thread 019dd012-3c4d-7e5f-9a0b-1c2d3e4f5a6b not found\n";
    let out = triage()
        .args(["match", "--format", "json", "-"])
        .write_stdin(text)
        .output()
        .expect("runs");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let u = &doc["unclassified"];
    assert_eq!(
        u["template"],
        "ERROR codex_core::session: failed to record rollout items: thread <uuid> not found",
        "{doc:#}"
    );
    assert_eq!(u["variables"][0]["placeholder"], "<uuid>");
    assert_eq!(u["variables"][0]["examples"][0], THREADS[0]);
}

#[test]
fn a_draft_keeps_no_secret_of_the_runs_it_was_drafted_from() {
    // The planted corpus: a run whose error message holds a password (`PGPASSWORD=…`).
    let tree = "testdata/planted/plugin-data";
    let doc = json(&["scan", tree, "--format", "json", "--now", NOW]);
    let cluster = unclassified(&doc)
        .into_iter()
        .find(|c| {
            c["title"]
                .as_str()
                .is_some_and(|t| t.contains("PGPASSWORD="))
        })
        .expect("the planted PGPASSWORD cluster");
    let id = cluster["id"].as_str().expect("id");
    let run_id = cluster["runs"][0].as_str().expect("a run");
    let run = doc["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .find(|r| r["id"] == run_id)
        .expect("its run");
    let message = run["error_message"].as_str().expect("an error message");
    let secret = message
        .split("PGPASSWORD=")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .expect("the planted value");
    assert!(secret.len() >= 8 && !secret.contains('<'), "{secret}");
    let dir = tempfile::tempdir().expect("tempdir");
    triage()
        .args([
            "rules",
            "draft",
            id,
            tree,
            "--now",
            NOW,
            "--id",
            "planted-pg",
        ])
        .arg("--dir")
        .arg(dir.path())
        .assert()
        .success();
    let path = walk_toml(dir.path()).expect("a draft written");
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(!text.contains(secret), "{text}");
    assert!(text.contains("PGPASSWORD=<redacted>"), "{text}");
    // And it still passes its own tests (the mark is matched by the secret's class).
    triage()
        .args(["rules", "test", "--rules"])
        .arg(dir.path())
        .assert()
        .success();
}

/// The first `.toml` file under `dir`.
fn walk_toml(dir: &std::path::Path) -> Option<std::path::PathBuf> {
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let p = e.path();
        if p.is_dir() {
            if let Some(f) = walk_toml(&p) {
                return Some(f);
            }
        } else if p.extension().is_some_and(|x| x == "toml") {
            return Some(p);
        }
    }
    None
}

#[test]
fn mine_human_output_shows_control_characters_escaped() {
    let out = triage()
        .args(["mine", "-"])
        .write_stdin("disk \u{1b}[31mred\u{1b}[0m full 1\ndisk \u{1b}[31mred\u{1b}[0m full 2\n")
        .output()
        .expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(!text.contains('\u{1b}'), "{text:?}");
    assert!(text.contains("red"), "{text}");
}
