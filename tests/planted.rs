//! The planted-secret corpus (testdata/planted, built by scripts/planted-corpus.py): every
//! output format that redacts must hide every planted secret and user name, and keep error
//! codes, versions and workspace-relative paths. Also: record text full of terminal escape
//! sequences leaves no control byte in `scan` and `explain` output.

mod common;

use common::{root, triage};
use std::path::Path;

/// The machine user the corpus was planted for (see the script).
const USER: &str = "qvistlund";

fn lines(name: &str) -> Vec<String> {
    let p = root().join("testdata").join("planted").join(name);
    std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{}: {e} (run scripts/planted-corpus.py)", p.display()))
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Runs triage as the planted user would (HOME and USER set to theirs, nothing else), or
/// as someone else (a maintainer exporting a user's copied tree: names must be learned
/// from the records' paths).
fn run_as(planted_user: bool, args: &[&str]) -> String {
    let mut cmd = triage();
    if planted_user {
        cmd.env("HOME", format!("/home/{USER}")).env("USER", USER);
    } else {
        cmd.env("HOME", "/home/maintainer")
            .env("USER", "maintainer");
    }
    let out = cmd
        .env_remove("USERNAME")
        .env_remove("USERPROFILE")
        .env_remove("LOGNAME")
        .args(args)
        .arg("--no-progress")
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "triage {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Every JSON string of a document, decoded (a leak may hide behind JSON escaping).
fn json_strings(v: &serde_json::Value, out: &mut String) {
    match v {
        serde_json::Value::String(s) => {
            out.push_str(s);
            out.push('\n');
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| json_strings(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| json_strings(x, out)),
        _ => {}
    }
}

#[test]
fn no_planted_secret_or_user_name_survives_any_output_format() {
    let banned = lines("MUST-NOT-SURVIVE.txt");
    let kept = lines("MUST-SURVIVE.txt");
    assert!(banned.len() > 80, "{} fragments", banned.len());
    let corpus = "testdata/planted";
    let formats: [(&str, Vec<&str>); 6] = [
        ("scan human --redact", vec!["scan", corpus, "--redact"]),
        (
            "scan json --redact",
            vec!["scan", corpus, "--redact", "--format", "json"],
        ),
        (
            "scan ndjson --redact",
            vec!["scan", corpus, "--redact", "--format", "ndjson"],
        ),
        ("export json", vec!["export", corpus, "--format", "json"]),
        (
            "export markdown",
            vec!["export", corpus, "--format", "markdown"],
        ),
        (
            "export markdown by another user",
            vec!["export", corpus, "--format", "markdown"],
        ),
    ];
    let mut problems = Vec::new();
    for (name, args) in &formats {
        let mut text = run_as(!name.ends_with("another user"), args);
        if name.contains("json") {
            let mut decoded = String::new();
            for line in text
                .lines()
                .filter(|l| name.contains("ndjson") && !l.is_empty())
            {
                json_strings(
                    &serde_json::from_str(line).expect("ndjson line"),
                    &mut decoded,
                );
            }
            if !name.contains("ndjson") {
                json_strings(&serde_json::from_str(&text).expect("json"), &mut decoded);
            }
            text.push_str(&decoded);
        }
        let lower = text.to_lowercase();
        for b in &banned {
            if lower.contains(&b.to_lowercase()) {
                let at = lower.find(&b.to_lowercase()).unwrap_or(0);
                let mut from = at.saturating_sub(60);
                while !text.is_char_boundary(from) {
                    from -= 1;
                }
                let ctx: String = text[from..].chars().take(140).collect();
                problems.push(format!("{name}: `{b}` survives in …{ctx:?}"));
            }
        }
        // What makes a report useful stays (the human scan shows one line per run, so
        // only the exports are held to every kept string).
        if name.starts_with("export") {
            for k in &kept {
                if !text.contains(k.as_str()) {
                    problems.push(format!("{name}: `{k}` was redacted but must be kept"));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_planted_corpus_is_what_the_script_writes() {
    let Ok(py) = which_python() else {
        eprintln!("SKIPPED: python3 not found; cannot rebuild the planted corpus");
        return;
    };
    let out = tempfile::tempdir().expect("tempdir");
    let status = std::process::Command::new(py)
        .arg(root().join("scripts").join("planted-corpus.py"))
        .env("PLANTED_OUT", out.path())
        .status()
        .expect("script runs");
    assert!(status.success());
    let committed = root().join("testdata").join("planted");
    let files = |base: &Path| -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(base)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let rel = e.path().strip_prefix(base).expect("under base");
                (
                    rel.display().to_string(),
                    std::fs::read(e.path()).expect("read"),
                )
            })
            .collect();
        v.sort();
        v
    };
    let (a, b) = (files(&committed), files(out.path()));
    assert_eq!(a.len(), b.len(), "file count differs: rerun the script");
    for ((na, ca), (nb, cb)) in a.iter().zip(&b) {
        assert_eq!(na, nb);
        assert!(ca == cb, "{na} differs from the script's output: rerun it");
    }
}

fn which_python() -> Result<&'static str, ()> {
    std::process::Command::new("python3")
        .arg("--version")
        .output()
        .map(|_| "python3")
        .map_err(|_| ())
}

/// A record whose every text is made of terminal escape sequences and control bytes.
const HOSTILE: &str = "\u{1b}[2J\u{1b}[H\u{1b}]0;pwned title\u{7}\u{1b}[31mred\u{1b}[0m \
     \u{1b}]8;;https://evil.example/\u{1b}\\click\u{1b}]8;;\u{1b}\\ abc\u{8}\u{8}\u{8}XYZ \
     ok\rFAKE LINE \u{9b}31m C1 \u{7f} DEL \u{0} NUL \u{202e}reversed";

fn has_control(s: &str) -> Option<char> {
    s.chars().find(|&c| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

fn hostile_tree(dir: &Path) -> String {
    let st = dir.join("state").join("ws-0123456789abcdef");
    let jobs = st.join("jobs");
    std::fs::create_dir_all(&jobs).expect("mkdir");
    let id = "task-mwesc001-ctrl01";
    let rec = serde_json::json!({
        "id": id, "kind": "task", "title": HOSTILE, "summary": HOSTILE,
        "status": "failed", "phase": "failed", "workspaceRoot": format!("/w/{HOSTILE}"),
        "createdAt": "2026-11-21T14:10:00.000Z", "errorMessage": HOSTILE,
        "rendered": HOSTILE, "result": {"rawOutput": HOSTILE, "codex": {"stderr": HOSTILE}},
    });
    std::fs::write(jobs.join(format!("{id}.json")), rec.to_string()).expect("write");
    std::fs::write(
        jobs.join(format!("{id}.log")),
        format!(
            "[2026-11-21T14:10:00.000Z] Starting Codex task thread.\n\
             [2026-11-21T14:10:01.000Z] Running command: {HOSTILE}\n\
             [2026-11-21T14:10:02.000Z] Error: {HOSTILE}\n\
             [2026-11-21T14:10:03.000Z] Failed: {HOSTILE}\n"
        ),
    )
    .expect("write");
    // A torn record whose file name holds an escape sequence: its warning names it.
    std::fs::write(jobs.join("task-\u{1b}[2Jx-evil01.json"), "{\"id\": ").expect("write");
    id.to_string()
}

#[test]
fn escape_sequences_in_records_never_reach_the_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let id = hostile_tree(dir.path());
    let p = dir.path().to_str().expect("UTF-8 temp path");
    for args in [
        vec!["scan", p, "--no-progress"],
        vec!["scan", p, "--no-progress", "--redact"],
        vec!["explain", &id, p, "--no-progress"],
        vec!["explain", &id, p, "--no-progress", "--verbose"],
    ] {
        let out = triage().args(&args).output().expect("runs");
        assert!(out.status.success(), "{args:?}");
        for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            let s = String::from_utf8_lossy(bytes);
            if let Some(c) = has_control(&s) {
                panic!("{args:?} {stream} holds control character {c:?}:\n{s}");
            }
        }
        let s = String::from_utf8_lossy(&out.stdout);
        assert!(
            s.contains("\\e[2J") || s.contains("\\e[31m"),
            "{args:?}: {s}"
        );
    }
    // `match` prints input text too.
    let out = triage()
        .args(["match", "-"])
        .write_stdin(format!("CreateProcessAsUserW failed: 1920 {HOSTILE}\n"))
        .output()
        .expect("runs");
    assert_eq!(has_control(&String::from_utf8_lossy(&out.stdout)), None);
    // JSON keeps the text exact (JSON escapes it).
    let out = triage()
        .args(["scan", p, "--no-progress", "--format", "json"])
        .output()
        .expect("runs");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let mut all = String::new();
    json_strings(&doc, &mut all);
    assert!(
        all.contains("\u{1b}[2J"),
        "JSON must keep record text exact"
    );
}
