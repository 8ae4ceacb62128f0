//! The planted-secret corpus (testdata/planted, built by scripts/planted-corpus.py): every
//! output that redacts must hide every planted secret and user name, and keep error codes,
//! versions and workspace-relative paths: `scan --redact` (human, JSON, NDJSON), `export`
//! (JSON, Markdown), the history store (`export --history`, `history --redact` in every
//! format), `explain --redact`, `match --redact` and every file of a `bundle`. Also: record text full of terminal escape
//! sequences leaves no control byte in `scan` and `explain` output.

mod common;

use common::{output_ok, root, triage};
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
    run_with(planted_user, args, None)
}

/// [`run_as`] with standard input, and without `--no-progress` for commands that take no
/// scan arguments (`match`, `history`).
fn run_with(planted_user: bool, args: &[&str], stdin: Option<&str>) -> String {
    let mut cmd = triage();
    if planted_user {
        cmd.env("HOME", format!("/home/{USER}")).env("USER", USER);
    } else {
        cmd.env("HOME", "/home/maintainer")
            .env("USER", "maintainer");
    }
    cmd.env_remove("USERNAME")
        .env_remove("USERPROFILE")
        .env_remove("LOGNAME")
        .env_remove("CLAUDE_PLUGIN_DATA")
        .args(args);
    let scans = args
        .iter()
        .any(|a| matches!(*a, "scan" | "export" | "explain" | "bundle" | "capture"));
    if scans {
        cmd.arg("--no-progress");
    }
    if let Some(input) = stdin {
        cmd.write_stdin(input.to_string());
    }
    let out = cmd.output().expect("runs");
    // `match` exits 1 when nothing matched; anything else is a failure.
    assert!(
        out.status.success() || (args.contains(&"match") && out.status.code() == Some(1)),
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
        serde_json::Value::Object(o) => o.iter().for_each(|(k, x)| {
            out.push_str(k);
            out.push('\n');
            json_strings(x, out);
        }),
        _ => {}
    }
}

/// `text` with the decoded strings of every JSON document in it appended (a whole
/// document, or one per line for NDJSON).
fn with_decoded(text: &str) -> String {
    let mut all = text.to_string();
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
        json_strings(&v, &mut all);
    } else {
        for line in text.lines() {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
                json_strings(&v, &mut all);
            }
        }
    }
    all
}

/// Records every banned fragment found in `text` (case-insensitively), with its context.
fn find_banned(name: &str, text: &str, banned: &[String], problems: &mut Vec<String>) {
    let lower = text.to_lowercase();
    for b in banned {
        if let Some(at) = lower.find(&b.to_lowercase()) {
            // Lowercasing can change byte lengths; show the context from the lowered text.
            let mut from = at.saturating_sub(60);
            while !lower.is_char_boundary(from) {
                from -= 1;
            }
            let ctx: String = lower[from..].chars().take(140).collect();
            problems.push(format!("{name}: `{b}` survives in …{ctx:?}"));
        }
    }
}

fn has_control(s: &str) -> Option<char> {
    s.chars().find(|&c| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

fn assert_no_problems(problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

const CORPUS: &str = "testdata/planted";

fn jobs_dir() -> std::path::PathBuf {
    root()
        .join(CORPUS)
        .join("plugin-data/state")
        .join(format!("{USER}-0123456789abcdef"))
        .join("jobs")
}

#[test]
fn no_planted_secret_or_user_name_survives_any_output_format() {
    let banned = lines("MUST-NOT-SURVIVE.txt");
    let kept = lines("MUST-SURVIVE.txt");
    assert!(banned.len() > 80, "{} fragments", banned.len());
    let corpus = CORPUS;
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
        let raw = run_as(!name.ends_with("another user"), args);
        if name.contains("human")
            && let Some(c) = has_control(&raw)
        {
            problems.push(format!("{name}: control character {c:?} in the output"));
        }
        let text = with_decoded(&raw);
        find_banned(name, &text, &banned, &mut problems);
        // The template clusters' variable values are record text too: the corpus must
        // give some, or the check above says nothing about them.
        if *name == "export json" {
            let doc: serde_json::Value = serde_json::from_str(&raw).expect("JSON");
            let examples = doc["clusters"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|c| c["templates"].as_array().into_iter().flatten())
                .flat_map(|t| t["variables"].as_array().into_iter().flatten())
                .flat_map(|v| v["examples"].as_array().into_iter().flatten())
                .count();
            assert!(examples >= 20, "{examples} template variable values");
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
    assert_no_problems(&problems);
}

#[test]
fn no_planted_secret_survives_the_history_store_outputs() {
    let banned = lines("MUST-NOT-SURVIVE.txt");
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("history.sqlite");
    let db = db.to_str().expect("UTF-8 temp path");
    run_as(true, &["--db", db, "capture", CORPUS]);
    let outputs: [(&str, Vec<&str>); 6] = [
        (
            "export --history (json)",
            vec!["--db", db, "export", "--history"],
        ),
        (
            "export --history markdown",
            vec!["--db", db, "export", "--history", "--format", "markdown"],
        ),
        ("history --redact", vec!["--db", db, "history", "--redact"]),
        (
            "history json --redact",
            vec!["--db", db, "history", "--redact", "--format", "json"],
        ),
        (
            "history ndjson --redact",
            vec!["--db", db, "history", "--redact", "--format", "ndjson"],
        ),
        (
            "history markdown --redact",
            vec!["--db", db, "history", "--redact", "--format", "markdown"],
        ),
    ];
    let mut problems = Vec::new();
    for (name, args) in &outputs {
        let raw = run_with(true, args, None);
        assert!(raw.len() > 200, "{name}: {raw}");
        if name.starts_with("history --redact")
            && let Some(c) = has_control(&raw)
        {
            problems.push(format!("{name}: control character {c:?} in the output"));
        }
        find_banned(name, &with_decoded(&raw), &banned, &mut problems);
    }
    assert_no_problems(&problems);
}

#[test]
fn no_planted_secret_survives_explain_or_match() {
    let banned = lines("MUST-NOT-SURVIVE.txt");
    let forms = lines("FORMS.tsv").len() - 1;
    let dir = jobs_dir();
    // `explain` scans the tree once per job: every 8th job, and the multi-line forms (key
    // blocks) whose later lines only the line-by-line state hides.
    let multi_line: Vec<usize> = lines("FORMS.tsv")
        .iter()
        .skip(1)
        .enumerate()
        .filter(|(_, l)| l.contains("\\n"))
        .map(|(i, _)| i)
        .collect();
    assert!(multi_line.len() >= 3, "{multi_line:?}");
    let mut picked: Vec<usize> = (0..forms).step_by(8).chain(multi_line).collect();
    picked.sort_unstable();
    picked.dedup();
    let mut problems = Vec::new();
    let mut all_input = String::new();
    for n in 0..forms {
        let id = format!("task-mw{n:06}-plant{}", n % 10);
        for ext in ["json", "log"] {
            let p = dir.join(format!("{id}.{ext}"));
            all_input.push_str(&std::fs::read_to_string(&p).expect("planted file"));
        }
        if !picked.contains(&n) {
            continue;
        }
        for verbose in [false, true] {
            let mut args = vec!["explain", id.as_str(), CORPUS, "--redact"];
            if verbose {
                args.push("--verbose");
            }
            let out = run_as(true, &args);
            assert!(out.contains("Timeline:"), "{out}");
            if let Some(c) = has_control(&out) {
                problems.push(format!("explain {id}: control character {c:?}"));
            }
            find_banned(&format!("explain {id}"), &out, &banned, &mut problems);
        }
    }
    // `match` over every record and log at once: the planted failure line of each job is
    // evidence of a signature.
    for format in ["human", "json"] {
        let out = run_with(
            true,
            &["match", "-", "--redact", "--format", format],
            Some(&all_input),
        );
        assert!(out.contains("1920"), "match {format}: {out}");
        if format == "human"
            && let Some(c) = has_control(&out)
        {
            problems.push(format!("match: control character {c:?}"));
        }
        find_banned(
            &format!("match {format}"),
            &with_decoded(&out),
            &banned,
            &mut problems,
        );
    }
    assert_no_problems(&problems);
}

#[test]
fn no_planted_secret_survives_in_any_file_of_the_bundle() {
    use std::io::Read as _;
    let banned = lines("MUST-NOT-SURVIVE.txt");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("b.tar.gz");
    let out_s = out.to_str().expect("UTF-8 temp path");
    run_as(true, &["bundle", CORPUS, "--all", "-o", out_s]);
    let f = std::fs::File::open(&out).expect("bundle written");
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(f));
    let mut problems = Vec::new();
    let mut logs = 0;
    for e in archive.entries().expect("tar") {
        let mut e = e.expect("entry");
        let name = e.path().expect("name").display().to_string();
        let mut body = String::new();
        e.read_to_string(&mut body).expect("UTF-8 file");
        if name.ends_with(".json") {
            serde_json::from_str::<serde_json::Value>(&body)
                .unwrap_or_else(|err| panic!("{name} is not JSON: {err}"));
        }
        if name.ends_with("job.log") {
            logs += 1;
            // Redacted line by line: the line count of the log is kept.
            let n = name
                .split('/')
                .nth(2)
                .and_then(|d| d.split_once('-'))
                .map(|(_, id)| id.to_string())
                .expect("records/NNN-id/job.log");
            let original =
                std::fs::read_to_string(jobs_dir().join(format!("{n}.log"))).expect("original log");
            assert_eq!(body.lines().count(), original.lines().count(), "{name}");
        }
        find_banned(&name, &name, &banned, &mut problems);
        find_banned(&name, &with_decoded(&body), &banned, &mut problems);
    }
    assert_eq!(
        logs,
        lines("FORMS.tsv").len() - 1,
        "every run's log is bundled"
    );
    assert_no_problems(&problems);
}

/// A tree with one failed job `id` whose error message is `pad` characters of `x`, a space
/// and a GitHub token, then ` rest`: for the cuts that must not leave half a token.
fn failed_job_with_token_after(pad: usize, id: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let jobs = dir
        .path()
        .join("state")
        .join("ws-0123456789abcdef")
        .join("jobs");
    std::fs::create_dir_all(&jobs).expect("mkdir");
    let token = format!("ghp_{}", "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5");
    let error = format!("{} {token} rest", "x".repeat(pad));
    let rec = serde_json::json!({
        "id": id, "kind": "task", "status": "failed", "phase": "failed",
        "createdAt": "2026-11-21T14:10:00.000Z", "errorMessage": error,
    });
    std::fs::write(jobs.join(format!("{id}.json")), rec.to_string()).expect("write");
    dir
}

/// The record's error message is cut to 120 characters in the outcome reason: a token
/// across the cut must be redacted whole before it, not its first characters after.
#[test]
fn the_outcome_reason_is_redacted_before_it_is_cut() {
    // The token starts 10 characters before the cut: a cut first would leave `ghp_aB3dE5`,
    // which no detector recognises any more.
    let dir = failed_job_with_token_after(109, "task-mwcap001-cut001");
    let p = dir.path().to_str().expect("UTF-8 temp path");
    let out = run_as(true, &["scan", p, "--redact", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    let reason = doc["runs"][0]["outcome_reason"].as_str().expect("reason");
    assert!(reason.starts_with("status failed: xxx"), "{reason}");
    assert!(!reason.contains("ghp_"), "half a token survives: {reason}");
    assert!(reason.contains("<redacted>"), "{reason}");
}

/// The history store keeps evidence as captured: capped, not redacted (it is redacted when
/// reported). A token across the evidence cut must not leave its first characters there.
#[test]
fn a_cut_in_captured_evidence_leaves_no_half_token() {
    // The decisive line is the error message, cut at 240 characters: inside the token.
    let dir = failed_job_with_token_after(229, "task-mwcap002-cut002");
    let p = dir.path().to_str().expect("UTF-8 temp path");
    // The store beside the scanned tree: capture refuses one inside it.
    let store = tempfile::tempdir().expect("tempdir");
    let db = store.path().join("h.sqlite");
    let db = db.to_str().expect("UTF-8 temp path");
    run_as(true, &["--db", db, "capture", p]);
    let out = run_with(
        true,
        &["--db", db, "history", "--redact", "--format", "json"],
        None,
    );
    let text = with_decoded(&out);
    assert!(text.contains(&"x".repeat(229)), "{out}");
    assert!(!text.contains("ghp_"), "half a token survives: {out}");
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
    // The history store keeps record text as it was: `history` prints it escaped too.
    // The store beside the scanned tree: capture refuses one inside it.
    let store = tempfile::tempdir().expect("tempdir");
    let db = store.path().join("history.sqlite");
    let db = db.to_str().expect("UTF-8 temp path");
    output_ok(triage().args(["--db", db, "capture", p, "--no-progress"]));
    for redact in [false, true] {
        let mut args = vec!["--db", db, "history"];
        if redact {
            args.push("--redact");
        }
        let out = triage().args(&args).output().expect("runs");
        assert!(out.status.success(), "{args:?}");
        let s = String::from_utf8_lossy(&out.stdout);
        assert!(s.contains("\\e["), "{args:?}: {s}");
        if let Some(c) = has_control(&s) {
            panic!("{args:?} stdout holds control character {c:?}:\n{s}");
        }
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

#[test]
fn error_messages_naming_hostile_files_are_escaped_on_stderr() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A store that is not SQLite, under a name holding an escape sequence: the error names it.
    let db = dir.path().join("store-\u{1b}]0;owned\u{7}-x.db");
    std::fs::write(&db, "this is not a database, it is plain text").expect("write");
    let db = db.to_str().expect("UTF-8 temp path");
    let hostile_cluster = "nope-\u{1b}[2J";
    for args in [
        vec!["--db", db, "history"],
        vec!["--db", db, "history", "--cluster", hostile_cluster],
        vec!["--db", db, "capture", "testdata/sample", "--no-progress"],
    ] {
        let out = triage().args(&args).output().expect("runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("store-\\e]0;owned"), "{args:?}: {err}");
        if let Some(c) = has_control(&err) {
            panic!("{args:?} stderr holds control character {c:?}:\n{err}");
        }
    }
}
