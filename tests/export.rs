//! `triage export` (issue #4): the JSON document against the published schema
//! (`schema/export.schema.json`), determinism, redaction by default, `--cluster`, `-o`, the
//! Markdown issue body (parsed with pulldown-cmark), and versions in the bisection matrix.
//!
//! The corpora live in `../shared/corpus` relative to the repository root; tests that need
//! them skip with a message when they are absent.

mod common;
use common::{corpus, md_tables as tables, root as repo};

use assert_cmd::cargo::cargo_bin_cmd;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// A fixed reference time, so that stalled/in-progress decisions cannot drift between runs.
const NOW: &str = "2026-11-26T14:00:00.000Z";

static VALIDATOR: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    let text = std::fs::read_to_string(repo().join("schema/export.schema.json"))
        .expect("schema/export.schema.json is tracked in the repo");
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    assert!(
        jsonschema::meta::is_valid(&schema),
        "the schema is a valid draft 2020-12 schema"
    );
    assert_eq!(
        schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
        "draft 2020-12"
    );
    jsonschema::draft202012::new(&schema).expect("the schema compiles")
});

/// Validates one export against the schema; panics with every error.
fn assert_valid(doc: &Value) {
    let errors: Vec<String> = VALIDATOR
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "export does not match schema/export.schema.json:\n{}",
        errors.join("\n")
    );
}

/// Runs `triage export` with an empty Codex home (no rollouts from this machine leak in),
/// the fixed reference time and no progress bar; returns stdout.
fn export_raw(args: &[&str], codex_home: Option<&Path>) -> String {
    let empty = tempfile::tempdir().unwrap();
    let out = cargo_bin_cmd!("triage")
        .env("CODEX_HOME", codex_home.unwrap_or(empty.path()))
        .arg("export")
        .args(args)
        .args(["--no-progress", "--now", NOW])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "triage export {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// A JSON export, parsed and validated against the schema (every JSON export the suite
/// produces goes through here).
fn export_json(args: &[&str], codex_home: Option<&Path>) -> (String, Value) {
    let mut a = args.to_vec();
    a.extend(["--format", "json"]);
    let text = export_raw(&a, codex_home);
    let doc: Value = serde_json::from_str(&text).expect("export is valid JSON");
    assert_valid(&doc);
    (text, doc)
}

fn without_generated_at(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("\"generated_at\""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Home paths that must not survive redaction: `/home/<name>`, `/Users/<name>`,
/// `C:\Users\<name>` (raw or JSON-escaped), for any name but the markers.
fn home_paths(text: &str) -> Vec<String> {
    let re =
        regex::Regex::new(r"(?i)(/home/|/Users/|[A-Z]:(\\\\|\\|/)Users(\\\\|\\|/))([^\\/\s<]+)")
            .unwrap();
    re.captures_iter(text)
        .filter(|c| !matches!(&c[4], "Public" | "Default" | "Shared"))
        .map(|c| c[0].to_string())
        .collect()
}

#[test]
fn json_export_of_plugin_generated_validates_is_redacted_and_deterministic() {
    let Some(dir) = corpus("plugin-generated") else {
        return;
    };
    let d = dir.to_str().unwrap();
    let (first, doc) = export_json(&[d], None);
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["tool"]["name"], "triage");
    assert_eq!(doc["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        doc["runs"].as_array().unwrap().len() >= 40,
        "the corpus has 44 jobs"
    );
    assert!(!doc["clusters"].as_array().unwrap().is_empty());
    // The records are full of /home/dev; none survives the default redaction.
    assert_eq!(home_paths(&first), Vec::<String>::new());
    assert!(first.contains("~/src/demo-app"), "home → ~");

    // Byte-identical but for generated_at: again, single-threaded and with 4 threads.
    let (second, _) = export_json(&[d], None);
    let (one_thread, _) = export_json(&[d, "-j", "1"], None);
    let (four_threads, _) = export_json(&[d, "-j", "4"], None);
    let base = without_generated_at(&first);
    assert_eq!(base, without_generated_at(&second));
    assert_eq!(base, without_generated_at(&one_thread));
    assert_eq!(base, without_generated_at(&four_threads));
}

#[test]
fn json_export_without_now_is_stable_across_runs() {
    // The real clock: two runs a moment apart give the same document but for generated_at
    // (no "idle 59m 24s" style text depends on the second the export ran).
    let Some(dir) = corpus("plugin-generated") else {
        return;
    };
    let run = || {
        let out = cargo_bin_cmd!("triage")
            .env("CODEX_HOME", tempfile::tempdir().unwrap().path())
            .args(["export", dir.to_str().unwrap(), "--no-progress"])
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        assert_valid(&serde_json::from_str(&text).unwrap());
        text
    };
    let a = run();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let b = run();
    assert_eq!(without_generated_at(&a), without_generated_at(&b));
}

#[test]
fn no_redact_keeps_home_paths_and_still_validates() {
    let Some(dir) = corpus("plugin-generated") else {
        return;
    };
    let (text, _) = export_json(&[dir.to_str().unwrap(), "--no-redact"], None);
    assert!(
        text.contains("/home/dev/src/demo-app"),
        "--no-redact keeps the recorded paths"
    );
}

#[test]
fn failures_export_validates_and_redacts_windows_and_macos_paths() {
    let Some(dir) = corpus("failures") else {
        return;
    };
    let d = dir.to_str().unwrap();
    let (raw, _) = export_json(&[d, "--no-redact"], None);
    // The corpus has JSON-escaped Windows paths (C:\\Users\\dev) and macOS ones.
    assert!(
        !home_paths(&raw).is_empty(),
        "the unredacted export has home paths"
    );
    let (text, doc) = export_json(&[d], None);
    assert_eq!(
        home_paths(&text),
        Vec::<String>::new(),
        "no home path survives"
    );
    let ids: Vec<&str> = doc["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    for id in [
        "win-sandbox-createprocessasuser-1920",
        "win-sandbox-blocked-by-policy",
        "win-spawn-codex-enoent",
        "usage-limit-reached",
    ] {
        assert!(ids.contains(&id), "cluster {id} in {ids:?}");
    }
    // Every run a cluster names exists, and counts agree.
    let run_ids: Vec<&str> = doc["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for c in doc["clusters"].as_array().unwrap() {
        let runs = c["runs"].as_array().unwrap();
        assert_eq!(c["count"].as_u64().unwrap() as usize, runs.len());
        let matrix_total: u64 = c["matrix"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["count"].as_u64().unwrap())
            .sum();
        assert_eq!(matrix_total as usize, runs.len(), "matrix of {}", c["id"]);
        for r in runs {
            assert!(run_ids.contains(&r.as_str().unwrap()));
        }
    }
}

#[test]
fn scan_redact_is_opt_in() {
    let Some(dir) = corpus("plugin-generated") else {
        return;
    };
    let scan = |extra: &[&str]| {
        let out = cargo_bin_cmd!("triage")
            .env("CODEX_HOME", tempfile::tempdir().unwrap().path())
            .args([
                "scan",
                dir.to_str().unwrap(),
                "--format",
                "json",
                "--no-progress",
            ])
            .args(["--now", NOW])
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        assert_valid(&serde_json::from_str(&text).unwrap());
        text
    };
    assert!(
        scan(&[]).contains("/home/dev/"),
        "scan does not redact by default"
    );
    assert_eq!(home_paths(&scan(&["--redact"])), Vec::<String>::new());
}

#[test]
fn cluster_option_exports_one_cluster_and_output_file_matches_stdout() {
    let Some(dir) = corpus("failures") else {
        return;
    };
    let d = dir.to_str().unwrap();
    let id = "win-sandbox-createprocessasuser-1920";
    let (text, doc) = export_json(&[d, "--cluster", id], None);
    let clusters = doc["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 1);
    assert_eq!(clusters[0]["id"], id);
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), clusters[0]["runs"].as_array().unwrap().len());
    assert!(
        runs.iter()
            .all(|r| r["signatures"].as_array().unwrap().iter().any(|s| s == id))
    );

    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("issue.json");
    let printed = export_raw(
        &[
            d,
            "--cluster",
            id,
            "--format",
            "json",
            "-o",
            file.to_str().unwrap(),
        ],
        None,
    );
    assert!(printed.is_empty(), "-o writes nothing to stdout");
    let written = std::fs::read_to_string(&file).unwrap();
    assert_valid(&serde_json::from_str(&written).unwrap());
    assert_eq!(without_generated_at(&written), without_generated_at(&text));

    // An unknown cluster is a usage error that lists the real ones.
    cargo_bin_cmd!("triage")
        .args(["export", d, "--cluster", "no-such-cluster", "--no-progress"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(id));
}

/// Every link destination with its text.
fn links(md: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<(String, String)> = None;
    for ev in Parser::new_ext(md, Options::ENABLE_TABLES) {
        match ev {
            Event::Start(Tag::Link { dest_url, .. }) => {
                current = Some((dest_url.to_string(), String::new()))
            }
            Event::Text(s) | Event::Code(s) => {
                if let Some((_, t)) = current.as_mut() {
                    t.push_str(&s);
                }
            }
            Event::End(TagEnd::Link) => out.extend(current.take()),
            _ => {}
        }
    }
    out
}

/// Level-2 headings.
fn h2(md: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for ev in Parser::new_ext(md, Options::ENABLE_TABLES) {
        match ev {
            Event::Start(Tag::Heading {
                level: pulldown_cmark::HeadingLevel::H2,
                ..
            }) => current = Some(String::new()),
            Event::Text(s) | Event::Code(s) => {
                if let Some(t) = current.as_mut() {
                    t.push_str(&s);
                }
            }
            Event::End(TagEnd::Heading(_)) => out.extend(current.take()),
            _ => {}
        }
    }
    out
}

#[test]
fn markdown_export_of_failures_renders_matrix_links_references_and_leaks_no_home() {
    let Some(dir) = corpus("failures") else {
        return;
    };
    let d = dir.to_str().unwrap();
    let md = export_raw(&[d, "--format", "markdown"], None);
    let (_, doc) = export_json(&[d], None);
    let clusters = doc["clusters"].as_array().unwrap();

    // One section per cluster, titled with the cluster title.
    let headings = h2(&md);
    assert_eq!(headings.len(), clusters.len(), "{headings:?}");
    for c in clusters {
        assert!(
            // (code spans lose their backticks in the parsed text)
            headings.contains(&c["title"].as_str().unwrap().trim().replace('`', "")),
            "heading for {}",
            c["id"]
        );
    }

    // One bisection matrix per cluster, rows = the JSON matrix.
    let matrices: Vec<_> = tables(&md)
        .into_iter()
        .filter(|t| {
            t.first().map(|h| h.join("|"))
                == Some("plugin version|Codex CLI version|platform|outcome|runs".into())
        })
        .collect();
    assert_eq!(matrices.len(), clusters.len());
    for (t, c) in matrices.iter().zip(clusters) {
        // The outcome column (which the JSON matrix does not carry) aside.
        let t: Vec<Vec<String>> = t
            .iter()
            .map(|r| [&r[0], &r[1], &r[2], &r[4]].map(|s| s.clone()).to_vec())
            .collect();
        let rows: Vec<Vec<String>> = c["matrix"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                vec![
                    m["plugin_version"].as_str().unwrap().to_string(),
                    m["cli_version"].as_str().unwrap().to_string(),
                    m["platform"].as_str().unwrap().to_string(),
                    m["count"].to_string(),
                ]
            })
            .collect();
        assert_eq!(&t[1..], &rows[..], "matrix of {}", c["id"]);
    }
    // The corpus records carry no version strings: unknown, never guessed.
    assert!(
        matrices
            .iter()
            .all(|t| t[1..].iter().all(|r| r[1] == "unknown"))
    );

    // Every reference is a link to its GitHub issue; past 12 per cluster the list says
    // how many more there are.
    let found = links(&md);
    let mut refs = 0;
    for c in clusters {
        let all = c["references"].as_array().unwrap();
        if all.len() > 12 {
            assert!(
                md.contains(&format!(
                    "- +{} more (`triage rules show {}`)",
                    all.len() - 12,
                    c["id"].as_str().unwrap()
                )),
                "{}: +N more",
                c["id"]
            );
        }
        for r in all.iter().take(12) {
            let r = r.as_str().unwrap();
            let (repo, n) = r.split_once('#').unwrap();
            let url = format!("https://github.com/{repo}/issues/{n}");
            assert!(
                found.iter().any(|(u, t)| u == &url && t == r),
                "no link [{r}]({url})"
            );
            refs += 1;
        }
    }
    assert!(refs > 25, "the failure clusters cite upstream issues");

    // Distinct-from lines, the fix, evidence in fences, no home path.
    let sandbox = md
        .split("\n## ")
        .find(|s| s.starts_with("Windows sandbox runner: `CreateProcessAsUserW failed: 1920`"))
        .expect("the 1920 section");
    assert!(sandbox.contains("### Distinct from"));
    assert!(sandbox.contains("- `win-sandbox-blocked-by-policy`"));
    assert!(sandbox.contains("- `review-background-hang`"));
    assert!(sandbox.contains("### Workaround"));
    assert!(sandbox.contains("```text\njobs/task-mtsd1ume-n0efum."));
    assert!(sandbox.contains("CreateProcessAsUserW failed: 1920\n```"));
    assert_eq!(home_paths(&md), Vec::<String>::new());
    let raw = export_raw(&[d, "--format", "markdown", "--no-redact"], None);
    assert!(!home_paths(&raw).is_empty(), "--no-redact keeps them");

    // Deterministic, like the JSON.
    assert_eq!(
        md,
        export_raw(&[d, "--format", "markdown", "-j", "1"], None)
    );
}

/// A per-run layout under an install path of plugin 1.0.4, with the 1920 job of the
/// failures corpus; optionally a Codex home whose rollout names the run's thread.
fn install_layout(with_rollout: bool) -> Option<(tempfile::TempDir, PathBuf)> {
    let src = corpus(
        "failures/win-sandbox-createprocessasuser-1920/state/inventory-api-28258d6ce7e7b77a/jobs",
    )?;
    let t = tempfile::tempdir().unwrap();
    let run = t
        .path()
        .join(".claude/plugins/cache/openai-codex/codex/1.0.4/jobs/task-mtsd1ume-n0efum");
    std::fs::create_dir_all(&run).unwrap();
    std::fs::copy(src.join("task-mtsd1ume-n0efum.log"), run.join("turn.log")).unwrap();
    std::fs::copy(src.join("task-mtsd1ume-n0efum.json"), run.join("job.json")).unwrap();
    let codex = t.path().join("codex");
    let day = codex.join("sessions/2026/09/08");
    std::fs::create_dir_all(&day).unwrap();
    if with_rollout {
        std::fs::write(
            day.join("rollout-2026-09-08T07-41-14-01a07ff6-c653-75c1-8586-4f31b49195cd.jsonl"),
            concat!(
                r#"{"timestamp":"2026-09-08T07:41:14.002Z","type":"session_meta","payload":{"id":"01a07ff6-c653-75c1-8586-4f31b49195cd","originator":"codex_exec","cli_version":"0.128.0"}}"#,
                "\n",
                r#"{"timestamp":"2026-09-08T07:41:15.000Z","type":"turn_context","payload":{}}"#,
                "\n"
            ),
        )
        .unwrap();
    }
    Some((t, codex))
}

#[test]
fn matrix_takes_plugin_version_from_install_path_and_cli_version_from_rollout() {
    let Some((t, codex)) = install_layout(true) else {
        return;
    };
    let root = t.path().join(".claude/plugins/cache");
    let (_, doc) = export_json(&[root.to_str().unwrap()], Some(&codex));
    let run = &doc["runs"][0];
    assert_eq!(run["thread_id"], "01a07ff6-c653-75c1-8586-4f31b49195cd");
    assert_eq!(run["plugin_version"], "1.0.4");
    assert_eq!(run["cli_version"], "0.128.0");
    let c = doc["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "win-sandbox-createprocessasuser-1920")
        .expect("the 1920 cluster");
    assert_eq!(
        c["matrix"],
        serde_json::json!([{"plugin_version": "1.0.4", "cli_version": "0.128.0",
                            "platform": "windows", "count": 1}])
    );
    let md = export_raw(
        &[
            root.to_str().unwrap(),
            "--format",
            "markdown",
            "--cluster",
            "win-sandbox-createprocessasuser-1920",
        ],
        Some(&codex),
    );
    assert!(
        md.contains("| `1.0.4` | `0.128.0` | `windows` | 1 completed | 1 |"),
        "{md}"
    );
}

#[test]
fn cli_version_stays_unknown_without_a_rollout() {
    let Some((t, codex)) = install_layout(false) else {
        return;
    };
    let root = t.path().join(".claude/plugins/cache");
    let (_, doc) = export_json(&[root.to_str().unwrap()], Some(&codex));
    assert_eq!(doc["runs"][0]["plugin_version"], "1.0.4");
    assert_eq!(doc["runs"][0]["cli_version"], Value::Null);
    let c = &doc["clusters"][0];
    assert_eq!(c["matrix"][0]["cli_version"], "unknown");
}
