//! The history store (issue #10): `triage capture` into a real SQLite file in a temp dir,
//! records deleted as the plugin's SessionEnd hook deletes them, outcome transitions, two
//! captures and a reader at once, broken store files, `history` / `export --history` against
//! the published schema, redaction, import, prune.
//!
//! Job trees come from `../shared/corpus` (genuine plugin output); tests that need it skip
//! with a message when it is absent.

mod common;
use common::{corpus, root as repo, stdout_ok as run_ok};

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

static VALIDATOR: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    let text = std::fs::read_to_string(repo().join("schema/export.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    assert!(jsonschema::meta::is_valid(&schema));
    jsonschema::draft202012::new(&schema).expect("the schema compiles")
});

fn assert_valid(doc: &Value) {
    let errors: Vec<String> = VALIDATOR
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "history document does not match schema/export.schema.json:\n{}",
        errors.join("\n")
    );
}

/// `triage --db DB` with no Codex rollouts and no TRIAGE_DB from the environment.
fn triage(db: &Path) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("triage").unwrap();
    c.env("CODEX_HOME", "/nonexistent-codex-home")
        .env_remove("TRIAGE_DB")
        .arg("--db")
        .arg(db);
    c
}

fn capture(db: &Path, paths: &[&Path], now: &str) -> String {
    let mut c = triage(db);
    c.arg("capture").args(paths).args(["--now", now]);
    run_ok(&mut c)
}

fn history_json(db: &Path, extra: &[&str]) -> Value {
    let mut c = triage(db);
    c.args(["history", "--format", "json"]).args(extra);
    let doc: Value = serde_json::from_str(&run_ok(&mut c)).expect("JSON");
    assert_valid(&doc);
    doc
}

fn runs(doc: &Value) -> &Vec<Value> {
    doc["runs"].as_array().unwrap()
}

fn copy_tree(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap();
        let rel = e.path().strip_prefix(from).unwrap();
        let dst = to.join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dst).unwrap();
        } else {
            std::fs::copy(e.path(), &dst).unwrap();
        }
    }
}

/// Makes `data` hold exactly the tree `from` (as the plugin rewrites its state dir).
fn replace_tree(from: &Path, data: &Path) {
    if data.exists() {
        std::fs::remove_dir_all(data).unwrap();
    }
    copy_tree(from, data);
}

/// Runs and their signatures, as `scan --format json` reports them for `paths`.
fn scanned(paths: &[&Path]) -> BTreeMap<String, Vec<String>> {
    let mut c = assert_cmd::Command::cargo_bin("triage").unwrap();
    c.env("CODEX_HOME", "/nonexistent-codex-home")
        .args([
            "scan",
            "--format",
            "json",
            "--now",
            "2026-11-26T14:00:00.000Z",
        ])
        .args(paths);
    let doc: Value = serde_json::from_str(&run_ok(&mut c)).unwrap();
    runs(&doc)
        .iter()
        .map(|r| (r["id"].as_str().unwrap().to_string(), common::signatures(r)))
        .collect()
}

/// How many runs `scan` reports for `paths` (the same job id may be in several trees).
fn scanned_runs(paths: &[&Path]) -> usize {
    let mut c = assert_cmd::Command::cargo_bin("triage").unwrap();
    c.env("CODEX_HOME", "/nonexistent-codex-home")
        .args([
            "scan",
            "--format",
            "json",
            "--now",
            "2026-11-26T14:00:00.000Z",
        ])
        .args(paths);
    let doc: Value = serde_json::from_str(&run_ok(&mut c)).unwrap();
    runs(&doc).len()
}

#[test]
fn runs_deleted_by_session_end_stay_in_history() {
    let (Some(before), Some(after), Some(other)) = (
        corpus("plugin-generated/session-end-cleanup-before"),
        corpus("plugin-generated/session-end-cleanup-after"),
        corpus("failures"),
    ) else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let db = t.path().join("store").join("history.db");
    let data = t.path().join("data");
    replace_tree(&before, &data);
    let want_before = scanned(&[&data]);
    assert_eq!(want_before.len(), 4, "the before tree has 4 jobs");

    let out = capture(&db, &[&data], "2026-11-26T14:00:00.000Z");
    assert_eq!(
        out.trim(),
        format!("captured 4 runs (4 new, 0 changed) into {}", db.display())
    );
    // The plugin's SessionEnd hook deletes the ending session's jobs.
    replace_tree(&after, &data);
    let out = capture(&db, &[&data], "2026-11-26T15:00:00.000Z");
    assert!(
        out.starts_with("captured 2 runs (0 new, 0 changed, 2 gone from disk)"),
        "{out}"
    );
    let want_other = scanned(&[&other]);
    capture(&db, &[&other], "2026-11-27T09:00:00.000Z");

    let doc = history_json(&db, &[]);
    let got: Vec<&Value> = runs(&doc).iter().collect();
    assert_eq!(got.len(), want_before.len() + want_other.len());
    let identities: BTreeSet<(String, String)> = got
        .iter()
        .map(|r| {
            (
                r["state_dir"].as_str().unwrap().to_string(),
                r["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(identities.len(), got.len(), "no run is duplicated");
    let mut want = want_before.clone();
    want.extend(want_other);
    for r in &got {
        let id = r["id"].as_str().unwrap();
        assert_eq!(
            common::signatures(r),
            want[id],
            "run {id} keeps the signatures it had"
        );
    }
    let remaining = scanned(&[&data]);
    let gone: Vec<&&Value> = got.iter().filter(|r| !r["gone_at"].is_null()).collect();
    assert_eq!(gone.len(), 2);
    for r in gone {
        let id = r["id"].as_str().unwrap();
        assert!(want_before.contains_key(id) && !remaining.contains_key(id));
        assert_eq!(r["gone_at"], "2026-11-26T15:00:00.000Z");
        let states: Vec<&str> = r["transitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["status"].as_str().unwrap())
            .collect();
        assert_eq!(states.last(), Some(&"gone"), "{id}: {states:?}");
        assert!(
            r["source"]["log"]
                .as_str()
                .unwrap()
                .starts_with(data.to_str().unwrap()),
            "says where the files were"
        );
    }
    assert_eq!(doc["history"]["gone"], 2);
    assert_eq!(doc["history"]["runs"], got.len());
}

#[test]
fn outcome_transitions_are_kept_with_their_times() {
    let Some(base) = corpus("plugin-generated") else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let db = t.path().join("h.db");
    let data = t.path().join("data");
    let moments = [
        (
            "task-background-lifecycle-t0-queued",
            "2026-11-26T13:00:00.000Z",
        ),
        (
            "task-background-lifecycle-t1-running",
            "2026-11-26T13:00:05.000Z",
        ),
        (
            "task-background-lifecycle-t2-completed",
            "2026-11-26T13:01:00.000Z",
        ),
    ];
    for (tree, now) in moments {
        replace_tree(&base.join(tree), &data);
        capture(&db, &[&data], now);
    }
    let doc = history_json(&db, &[]);
    assert_eq!(runs(&doc).len(), 1, "one job seen three times is one run");
    let r = &runs(&doc)[0];
    let states: Vec<(String, String)> = r["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["status"].as_str().unwrap().to_string(),
                t["at"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let statuses: Vec<&str> = states.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(statuses, ["queued", "running", "completed"]);
    assert_eq!(states[1].1, moments[1].1);
    assert_eq!(states[2].1, moments[2].1);
    assert_eq!(r["status"], "completed");
    assert_eq!(r["first_seen"], moments[0].1);
    assert_eq!(r["last_seen"], moments[2].1);
    assert!(r["gone_at"].is_null());
}

#[test]
fn capturing_the_same_records_twice_changes_nothing() {
    let Some(dir) = corpus("plugin-generated") else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let db = t.path().join("h.db");
    let first = capture(&db, &[&dir], "2026-11-26T14:00:00.000Z");
    let n = runs(&history_json(&db, &[])).len();
    assert!(n >= 40, "{first}");
    assert!(first.starts_with(&format!("captured {n} runs ({n} new, 0 changed)")));
    let a = history_json(&db, &["--now", "2026-11-27T00:00:00.000Z"]);
    let second = capture(&db, &[&dir], "2026-11-26T14:00:00.000Z");
    assert!(
        second.starts_with(&format!("captured {n} runs (0 new, 0 changed)")),
        "{second}"
    );
    let b = history_json(&db, &["--now", "2026-11-27T00:00:00.000Z"]);
    assert_eq!(a, b, "the store holds the same document");
}

#[test]
fn two_captures_and_a_reader_at_once() {
    let (Some(a), Some(b)) = (corpus("plugin-generated"), corpus("failures")) else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let db = t.path().join("new").join("h.db");
    let spawn = |p: &Path| {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("triage"))
            .env("CODEX_HOME", "/nonexistent-codex-home")
            .env_remove("TRIAGE_DB")
            .arg("--db")
            .arg(&db)
            .arg("capture")
            .arg(p)
            .args(["--now", "2026-11-26T14:00:00.000Z"])
            .output()
    };
    // Three writers at once on a store that does not exist yet (one of them creates it),
    // two of them on the same tree, and readers while they run.
    let (ra, rb, rc, reads) = std::thread::scope(|s| {
        let ha = s.spawn(|| spawn(&a));
        let hb = s.spawn(|| spawn(&b));
        let hc = s.spawn(|| spawn(&a));
        let hr = s.spawn(|| {
            let mut reads = Vec::new();
            for _ in 0..6 {
                let out = triage(&db)
                    .args(["history", "--format", "json"])
                    .output()
                    .unwrap();
                reads.push(out);
            }
            reads
        });
        (
            ha.join().unwrap().unwrap(),
            hb.join().unwrap().unwrap(),
            hc.join().unwrap().unwrap(),
            hr.join().unwrap(),
        )
    });
    for (name, out) in [("a", &ra), ("b", &rb), ("a again", &rc)] {
        assert!(
            out.status.success(),
            "capture {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for out in &reads {
        assert!(
            out.status.success(),
            "history during captures: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_valid(&doc);
    }
    let want = scanned_runs(&[&a]) + scanned_runs(&[&b]);
    let doc = history_json(&db, &[]);
    assert_eq!(runs(&doc).len(), want, "nothing lost or doubled");
    let news: u64 = [&ra, &rb, &rc]
        .iter()
        .map(|o| {
            let s = String::from_utf8_lossy(&o.stdout);
            let n = s.split('(').nth(1).unwrap().split(' ').next().unwrap();
            n.parse::<u64>().unwrap()
        })
        .sum();
    assert_eq!(news as usize, want, "every run was new exactly once");
}

/// Writes a broken store file at the path.
type MakeFile<'a> = Box<dyn Fn(&Path) + 'a>;

fn write_store_like(db: &Path, sql: &str) {
    let c = rusqlite::Connection::open(db).unwrap();
    c.execute_batch(sql).unwrap();
    c.close().unwrap();
}

#[test]
fn broken_store_files_are_refused_and_left_alone() {
    let Some(dir) = corpus("plugin-generated/task-codex-error-failed-turn") else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let good = t.path().join("good.db");
    capture(&good, &[&dir], "2026-11-26T14:00:00.000Z");
    let good_bytes = std::fs::read(&good).unwrap();
    assert!(good_bytes.len() >= 4 * 4096);

    let cases: Vec<(&str, MakeFile, &str)> = vec![
        (
            "empty",
            Box::new(|p| std::fs::write(p, b"").unwrap()),
            "is empty",
        ),
        (
            "header-cut",
            Box::new(|p| std::fs::write(p, &good_bytes[..60]).unwrap()),
            "truncated",
        ),
        (
            "truncated",
            Box::new(|p| std::fs::write(p, &good_bytes[..good_bytes.len() / 2 + 100]).unwrap()),
            "truncated",
        ),
        (
            "page-truncated",
            Box::new(|p| std::fs::write(p, &good_bytes[..4096 * 2]).unwrap()),
            "truncated",
        ),
        (
            "not-sqlite",
            Box::new(|p| {
                std::fs::write(p, "{\"this\": \"is JSON, not SQLite\"}\n".repeat(200)).unwrap()
            }),
            "not an SQLite database",
        ),
        (
            "foreign",
            Box::new(|p| {
                write_store_like(
                    p,
                    "CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('x');",
                )
            }),
            "not a triage history store",
        ),
        (
            "newer",
            Box::new(|p| {
                std::fs::write(p, &good_bytes).unwrap();
                write_store_like(p, "PRAGMA user_version = 99;");
            }),
            "schema version 99, newer than this triage understands",
        ),
    ];
    for (name, make, says) in &cases {
        let p = t.path().join(format!("{name}.db"));
        make(&p);
        let before = std::fs::read(&p).unwrap();
        for args in [
            vec!["capture", dir.to_str().unwrap()],
            vec!["history"],
            vec!["export", "--history"],
            vec!["history", "prune", "--older-than", "1d"],
        ] {
            let out = triage(&p).args(&args).output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{name} {args:?}: {err}");
            assert!(
                err.contains(&p.display().to_string()),
                "{name}: names the file: {err}"
            );
            assert!(err.contains(says), "{name}: `{says}` in {err}");
            assert_eq!(
                std::fs::read(&p).unwrap(),
                before,
                "{name} {args:?}: file untouched"
            );
            assert!(
                !PathBuf::from(format!("{}-wal", p.display())).exists(),
                "{name}: no journal created"
            );
        }
        // The hook's form never fails the session: exit 0, the problem in the store's log.
        let out = triage(&p)
            .args(["capture", "--quiet", dir.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{name}: --quiet exits 0");
        assert!(out.stdout.is_empty() && out.stderr.is_empty());
        let log = std::fs::read_to_string(p.with_extension("log")).unwrap();
        assert!(
            log.contains(says) && log.contains(&p.display().to_string()),
            "{log}"
        );
        assert_eq!(std::fs::read(&p).unwrap(), before, "{name}: file untouched");
    }

    // Read-only: nothing may be written, reading still works.
    let ro = t.path().join("ro.db");
    std::fs::write(&ro, &good_bytes).unwrap();
    let mut perm = std::fs::metadata(&ro).unwrap().permissions();
    perm.set_readonly(true);
    std::fs::set_permissions(&ro, perm).unwrap();
    let out = triage(&ro)
        .args(["capture", dir.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("read-only") && err.contains(&ro.display().to_string()),
        "{err}"
    );
    assert_eq!(std::fs::read(&ro).unwrap(), good_bytes);
    let doc = history_json(&ro, &[]);
    assert_eq!(runs(&doc).len(), 1, "a read-only store can still be read");
}

#[test]
fn history_export_is_redacted_like_a_scan_export() {
    let Some(dir) = corpus("failures") else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let db = t.path().join("h.db");
    capture(&db, &[&dir], "2026-11-26T14:00:00.000Z");
    let home_paths = |text: &str| -> Vec<String> {
        let re = regex::Regex::new(
            r"(?i)(/home/|/Users/|[A-Z]:(\\\\|\\|/)Users(\\\\|\\|/))([^\\/\s<]+)",
        )
        .unwrap();
        re.captures_iter(text)
            .filter(|c| !matches!(&c[4], "Public" | "Default" | "Shared"))
            .map(|c| c[0].to_string())
            .collect()
    };
    let export = |args: &[&str]| {
        let mut c = triage(&db);
        c.env("HOME", t.path())
            .arg("export")
            .arg("--history")
            .args(args);
        run_ok(&mut c)
    };
    let raw = export(&["--format", "json", "--no-redact"]);
    assert!(!home_paths(&raw).is_empty(), "the records hold home paths");
    assert!(raw.contains(t.path().to_str().unwrap()));
    for format in ["json", "markdown"] {
        let text = export(&["--format", format]);
        assert_eq!(home_paths(&text), Vec::<String>::new(), "{format}");
        assert!(
            !text.contains(t.path().to_str().unwrap()),
            "{format}: $HOME is redacted"
        );
        if format == "json" {
            let doc: Value = serde_json::from_str(&text).unwrap();
            assert_valid(&doc);
        }
    }
    // The same rules as the scan's export: `scan`-style output keeps paths unless asked.
    let mut c = triage(&db);
    let plain = run_ok(c.args(["history", "--format", "json"]));
    assert!(!home_paths(&plain).is_empty());
    let mut c = triage(&db);
    let red = run_ok(c.args(["history", "--format", "json", "--redact"]));
    assert_eq!(home_paths(&red), Vec::<String>::new());
}

/// NDJSON runs of a real tree with versions and times rewritten: the same failure on
/// plugin 1.0.4, gone on 1.0.5, back on 1.0.6; another one new on 1.0.6.
fn versioned_runs(t: &Path) -> Option<PathBuf> {
    let fail = corpus("plugin-generated/task-codex-error-failed-turn")?;
    let ok = corpus("plugin-generated/task-foreground-success")?;
    let killed = corpus("plugin-generated/task-background-killed")?;
    let ndjson = |p: &Path| -> Value {
        let mut c = assert_cmd::Command::cargo_bin("triage").unwrap();
        c.env("CODEX_HOME", "/nonexistent-codex-home")
            .args([
                "scan",
                "--format",
                "ndjson",
                "--now",
                "2026-11-26T14:00:00.000Z",
            ])
            .arg(p);
        let text = run_ok(&mut c);
        serde_json::from_str(text.lines().next().unwrap()).unwrap()
    };
    let (f, o, k) = (ndjson(&fail), ndjson(&ok), ndjson(&killed));
    assert!(common::signatures(&f).contains(&"usage-limit-reached".to_string()));
    let plan = [
        (&f, "1.0.4", "2026-11-20"),
        (&o, "1.0.4", "2026-11-20"),
        (&f, "1.0.4", "2026-11-21"),
        (&o, "1.0.5", "2026-11-22"),
        (&o, "1.0.5", "2026-11-22"),
        (&f, "1.0.6", "2026-11-23"),
        (&k, "1.0.6", "2026-11-24"),
        (&f, "1.0.6", "2026-11-24"),
        (&f, "1.0.6", "2026-11-25"),
    ];
    let mut out = String::new();
    for (n, (base, version, day)) in plan.iter().enumerate() {
        let mut r = (*base).clone();
        r["id"] = format!("task-hist{n}-abc{n}").into();
        r["started_at"] = Value::Null;
        r["completed_at"] = Value::Null;
        r["plugin_version"] = (*version).into();
        r["created_at"] = format!("{day}T10:00:0{n}.000Z").into();
        r["first_seen"] = format!("{day}T10:05:00.000Z").into();
        r["last_seen"] = format!("{day}T11:00:00.000Z").into();
        r["last_activity_at"] = format!("{day}T10:00:3{n}.000Z").into();
        out.push_str(&serde_json::to_string(&r).unwrap());
        out.push('\n');
    }
    let p = t.join("runs.ndjson");
    std::fs::write(&p, out).unwrap();
    Some(p)
}

#[test]
fn history_reports_days_versions_and_regressions() {
    let t = tempfile::tempdir().unwrap();
    let Some(nd) = versioned_runs(t.path()) else {
        return;
    };
    let db = t.path().join("h.db");
    let mut c = triage(&db);
    let out = run_ok(c.args(["history", "import"]).arg(&nd));
    assert!(
        out.starts_with("imported 9 runs (9 new, 0 changed) from 1 file"),
        "{out}"
    );
    let mut c = triage(&db);
    let again = run_ok(c.args(["history", "import"]).arg(&nd));
    assert!(
        again.starts_with("imported 9 runs (0 new, 0 changed)"),
        "{again}"
    );

    let doc = history_json(&db, &[]);
    assert_eq!(runs(&doc).len(), 9);
    let clusters = doc["clusters"].as_array().unwrap();
    let usage = clusters
        .iter()
        .find(|c| c["id"] == "usage-limit-reached")
        .expect("usage-limit cluster");
    assert_eq!(usage["count"], 5);
    assert_eq!(usage["days"], 5);
    assert_eq!(usage["first_seen"], "2026-11-20T10:00:00.000Z");
    let per_day: Vec<(String, u64)> = usage["runs_per_day"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["day"].as_str().unwrap().into(),
                d["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        per_day,
        [
            ("2026-11-20".into(), 1),
            ("2026-11-21".into(), 1),
            ("2026-11-23".into(), 1),
            ("2026-11-24".into(), 1),
            ("2026-11-25".into(), 1)
        ]
    );
    assert_eq!(
        usage["plugin_versions"],
        serde_json::json!(["1.0.4", "1.0.6"])
    );
    let regs = usage["regressions"].as_array().unwrap();
    assert_eq!(regs.len(), 1, "{regs:?}");
    assert_eq!(regs[0]["kind"], "reappeared");
    assert_eq!(regs[0]["version"], "1.0.6");
    assert_eq!(regs[0]["absent_on"], "1.0.5");
    assert_eq!(regs[0]["previous_version"], "1.0.4");
    assert_eq!(regs[0]["runs_without"], 2);
    assert_eq!(regs[0]["run"], "task-hist5-abc5");
    // The killed job's signatures first appear on 1.0.6, after runs on older versions.
    let wedged = clusters
        .iter()
        .find(|c| c["id"] == "job-wedged-running")
        .expect("wedged cluster");
    let regs = wedged["regressions"].as_array().unwrap();
    assert_eq!(regs.len(), 1, "{regs:?}");
    assert_eq!(regs[0]["kind"], "new-after-upgrade");
    assert_eq!(regs[0]["version"], "1.0.6");
    assert_eq!(regs[0]["previous_version"], "1.0.5");
    assert_eq!(regs[0]["runs_without"], 5);

    // --since and --cluster.
    let since = history_json(
        &db,
        &["--since", "2026-11-23", "--now", "2026-11-26T00:00:00.000Z"],
    );
    assert_eq!(runs(&since).len(), 4);
    let one = history_json(&db, &["--cluster", "usage-limit-reached"]);
    assert_eq!(one["clusters"].as_array().unwrap().len(), 1);
    assert_eq!(runs(&one).len(), 5);
    let out = triage(&db)
        .args(["history", "--cluster", "no-such-cluster"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage-limit-reached"));

    // Human and Markdown say the same; `-o FILE` writes what stdout shows.
    let mut c = triage(&db);
    let human = run_ok(c.arg("history"));
    for format in ["human", "json", "markdown"] {
        let file = t.path().join(format!("history.{format}"));
        let mut c = triage(&db);
        let shown = run_ok(c.args([
            "history",
            "--format",
            format,
            "--now",
            "2026-11-26T00:00:00.000Z",
        ]));
        let mut c = triage(&db);
        let quiet = run_ok(
            c.args([
                "history",
                "--format",
                format,
                "--now",
                "2026-11-26T00:00:00.000Z",
                "-o",
            ])
            .arg(&file),
        );
        assert!(quiet.is_empty(), "{format}: -o leaves stdout empty");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), shown, "{format}");
    }
    assert!(human.contains("5 runs across 5 days"), "{human}");
    assert!(
        human.contains("REGRESSION: seen again on plugin 1.0.6"),
        "{human}"
    );
    let mut c = triage(&db);
    let md = run_ok(c.args([
        "export",
        "--history",
        "--format",
        "markdown",
        "--cluster",
        "usage-limit-reached",
    ]));
    assert!(
        md.contains(
            "**History:** 5 runs across 5 days (2026-11-20 to 2026-11-25), all with this signature."
        ),
        "{md}"
    );
    assert!(md.contains("| 2026-11-23 | 1 |"));
    assert!(md.contains("seen again on plugin 1.0.6"));
    // It renders: the history table is a table.
    let parser = pulldown_cmark::Parser::new_ext(&md, pulldown_cmark::Options::ENABLE_TABLES);
    let tables = parser
        .filter(|e| {
            matches!(
                e,
                pulldown_cmark::Event::Start(pulldown_cmark::Tag::Table(_))
            )
        })
        .count();
    assert!(tables >= 2, "history table and bisection matrix");
}

#[test]
fn exports_import_into_another_store_without_duplicates() {
    let Some(dir) = corpus("failures") else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let a = t.path().join("a.db");
    let b = t.path().join("b.db");
    capture(&a, &[&dir], "2026-11-26T14:00:00.000Z");
    let doc = history_json(&a, &[]);
    let file = t.path().join("export.json");
    std::fs::write(&file, serde_json::to_string(&doc).unwrap()).unwrap();
    // A plain scan export imports too.
    let scan_file = t.path().join("scan.json");
    let mut c = triage(&a);
    let scan = run_ok(
        c.args([
            "scan",
            "--format",
            "json",
            "--now",
            "2026-11-26T14:00:00.000Z",
        ])
        .arg(&dir),
    );
    std::fs::write(&scan_file, scan).unwrap();

    let mut c = triage(&b);
    run_ok(c.args(["history", "import"]).arg(&file));
    let mut c = triage(&b);
    let out = run_ok(c.args(["history", "import"]).arg(&file).arg(&file));
    assert!(out.contains("(0 new, 0 changed)"), "{out}");
    let back = history_json(&b, &[]);
    assert_eq!(runs(&back).len(), runs(&doc).len());
    let sigs = |d: &Value| -> BTreeMap<String, Vec<String>> {
        runs(d)
            .iter()
            .map(|r| (r["id"].as_str().unwrap().to_string(), common::signatures(r)))
            .collect()
    };
    assert_eq!(sigs(&back), sigs(&doc));
    let ids = |d: &Value| -> Vec<String> {
        d["clusters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&back), ids(&doc));
    // Unredacted paths are the same identities as the captured runs: nothing doubles.
    let mut c = triage(&a);
    let out = run_ok(c.args(["history", "import"]).arg(&scan_file));
    assert!(out.contains("(0 new"), "{out}");
    assert_eq!(runs(&history_json(&a, &[])).len(), runs(&doc).len());
}

#[test]
fn prune_deletes_runs_last_seen_before_the_cutoff() {
    let Some(dir) = corpus("plugin-generated/task-codex-error-failed-turn") else {
        return;
    };
    let other = corpus("plugin-generated/task-foreground-success").unwrap();
    let t = tempfile::tempdir().unwrap();
    let db = t.path().join("h.db");
    capture(&db, &[&dir], "2026-08-01T00:00:00.000Z");
    capture(&db, &[&other], "2026-11-26T00:00:00.000Z");
    let mut c = triage(&db);
    let out = run_ok(c.args([
        "history",
        "prune",
        "--older-than",
        "90d",
        "--now",
        "2026-11-27T00:00:00.000Z",
    ]));
    assert!(
        out.starts_with("pruned 1 run last seen before 2026-08-29"),
        "{out}"
    );
    let doc = history_json(&db, &[]);
    assert_eq!(runs(&doc).len(), 1);
    assert_eq!(
        runs(&doc)[0]["id"].as_str(),
        scanned(&[&other]).keys().next().map(String::as_str)
    );
}

#[test]
fn capture_with_no_readable_path_is_a_usage_error() {
    let t = tempfile::tempdir().unwrap();
    let db = t.path().join("h.db");
    let out = triage(&db)
        .args(["capture", "/nonexistent/triage-test-path"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // TRIAGE_DB chooses the store when --db is not given.
    let mut c = assert_cmd::Command::cargo_bin("triage").unwrap();
    let out = c
        .env("TRIAGE_DB", &db)
        .env("CODEX_HOME", "/nonexistent-codex-home")
        .args(["history"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(&db.display().to_string()));
}

#[test]
fn the_store_lives_in_the_data_directory_unless_told() {
    let Some(dir) = corpus("plugin-generated/task-foreground-success") else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let home = t.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let bare = || {
        let mut c = assert_cmd::Command::cargo_bin("triage").unwrap();
        c.env("CODEX_HOME", "/nonexistent-codex-home")
            .env("HOME", &home)
            .env_remove("TRIAGE_DB")
            .env_remove("XDG_DATA_HOME");
        c
    };
    let stores = |root: &Path| -> Vec<PathBuf> {
        walkdir::WalkDir::new(root)
            .into_iter()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name() == "history.db" || e.file_name() == "x.db")
            .map(|e| e.into_path())
            .collect()
    };
    // No --db, no TRIAGE_DB: the platform's data directory ($XDG_DATA_HOME, else
    // ~/.local/share on Linux).
    let xdg = t.path().join("xdg");
    let mut c = bare();
    run_ok(c.env("XDG_DATA_HOME", &xdg).arg("capture").arg(&dir));
    assert_eq!(stores(t.path()), [xdg.join("triage/history.db")]);
    if cfg!(target_os = "linux") {
        let mut c = bare();
        run_ok(c.arg("capture").arg(&dir));
        assert!(home.join(".local/share/triage/history.db").is_file());
    }
    // TRIAGE_DB over the data directory, --db over TRIAGE_DB.
    let env_db = t.path().join("env/x.db");
    let flag_db = t.path().join("flag/x.db");
    let mut c = bare();
    run_ok(
        c.env("XDG_DATA_HOME", &xdg)
            .env("TRIAGE_DB", &env_db)
            .arg("capture")
            .arg(&dir),
    );
    assert!(env_db.is_file());
    let mut c = bare();
    let out = run_ok(
        c.env("TRIAGE_DB", &env_db)
            .arg("--db")
            .arg(&flag_db)
            .arg("capture")
            .arg(&dir),
    );
    assert!(out.contains(&flag_db.display().to_string()), "{out}");
    assert!(flag_db.is_file());
}

#[test]
fn capture_never_writes_its_store_inside_the_scanned_tree() {
    let Some(src) = corpus("failures/context-window-exceeded") else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let tree = t.path().join("tree");
    copy_tree(&src, &tree);
    let files = |p: &Path| -> BTreeSet<PathBuf> {
        walkdir::WalkDir::new(p)
            .into_iter()
            .filter_map(|e| e.ok())
            .map(|e| e.into_path())
            .collect()
    };
    let before = files(&tree);
    for db in [
        tree.join("h.db"),
        tree.join("state/new-folder/h.db"),
        tree.join("state/monorepo-72ef4b75be0e3482/jobs/h.db"),
    ] {
        let out = triage(&db).arg("capture").arg(&tree).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("inside the scanned tree"), "{err}");
        // The hook's form exits 0 and writes nothing, not even its log.
        let out = triage(&db)
            .args(["capture", "--quiet"])
            .arg(&tree)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert_eq!(files(&tree), before, "{}: nothing written", db.display());
    }
    // Beside the tree is fine.
    capture(&t.path().join("h.db"), &[&tree], "2026-11-26T14:00:00.000Z");
    assert_eq!(files(&tree), before);
}

#[test]
fn the_store_keeps_capped_lines_not_whole_logs() {
    let Some(src) = corpus("failures/win-sandbox-createprocessasuser-1920") else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let tree = t.path().join("tree");
    copy_tree(&src, &tree);
    let log = walkdir::WalkDir::new(&tree)
        .into_iter()
        .filter_map(|e| e.ok())
        .find(|e| e.path().extension().is_some_and(|x| x == "log"))
        .unwrap()
        .into_path();
    // A long run: 3,000 commands after the first entry, each a distinct line.
    let text = std::fs::read_to_string(&log).unwrap();
    let (first, rest) = text.split_once('\n').unwrap();
    let filler: String = (0..3000)
        .map(|n| {
            format!(
                "[2026-09-08T07:41:12.{:03}Z] Running command: step-{n:04}-of-a-long-run\n",
                n % 1000
            )
        })
        .collect();
    std::fs::write(&log, format!("{first}\n{filler}{rest}")).unwrap();
    let log_bytes = std::fs::metadata(&log).unwrap().len();
    let db = t.path().join("h.db");
    capture(&db, &[&tree], "2026-11-26T14:00:00.000Z");

    let c = rusqlite::Connection::open(&db).unwrap();
    let mut texts: Vec<String> = Vec::new();
    for sql in ["SELECT data FROM runs", "SELECT evidence FROM findings"] {
        let mut st = c.prepare(sql).unwrap();
        let rows = st.query_map([], |r| r.get::<_, String>(0)).unwrap();
        texts.extend(rows.map(|r| r.unwrap()));
    }
    let stored = texts.concat();
    let kept = (0..3000)
        .filter(|n| stored.contains(&format!("step-{n:04}-of-a-long-run")))
        .count();
    assert!(kept <= 5, "{kept} of 3000 filler lines were stored");
    assert!(
        (stored.len() as u64) < log_bytes / 10,
        "{} bytes stored for a {log_bytes}-byte log",
        stored.len()
    );
    // The evidence is still there.
    assert!(
        stored.contains("CreateProcessAsUserW failed: 1920"),
        "{stored}"
    );
    let longest = stored
        .split("\\n")
        .flat_map(|s| s.split('"'))
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(0);
    assert!(longest <= 400, "a stored text of {longest} characters");
}
