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

/// `triage match ARGS --format json` with optional stdin: (exit code, first signature, stderr).
fn match_run(args: &[&str], stdin: Option<&[u8]>) -> (Option<i32>, Option<String>, String) {
    let mut c = triage();
    c.arg("match").args(args).args(["--format", "json"]);
    if let Some(s) = stdin {
        c.write_stdin(s.to_vec());
    }
    let out = c.output().unwrap();
    let first = serde_json::from_slice::<Value>(&out.stdout)
        .ok()
        .and_then(|d| d["matches"][0]["signature"].as_str().map(String::from));
    (
        out.status.code(),
        first,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn match_reads_pipes_fifos_dev_stdin_and_process_substitution() {
    let fixture = root().join("testdata/match/issue-1920-windows11.md");
    let text = std::fs::read(&fixture).unwrap();
    let want = Some("win-sandbox-createprocessasuser-1920".to_string());
    let f = fixture.display().to_string();
    assert_eq!(match_run(&[&f], None).1, want, "a regular file");
    // /dev/stdin is a character device or a pipe, not a regular file.
    let (code, first, err) = match_run(&["/dev/stdin"], Some(&text));
    assert_eq!((code, first), (Some(0), want.clone()), "{err}");
    // A FIFO, written by another process.
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("in.fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let writer = {
        let fifo = fifo.clone();
        let text = text.clone();
        std::thread::spawn(move || std::fs::write(fifo, text).unwrap())
    };
    let (code, first, err) = match_run(&[&fifo.display().to_string()], None);
    writer.join().unwrap();
    assert_eq!((code, first), (Some(0), want.clone()), "{err}");
    // Process substitution, as a shell user types it.
    let bin = assert_cmd::cargo::cargo_bin("triage");
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "'{}' match <(cat '{}') --format json",
            bin.display(),
            fixture.display()
        ))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["matches"][0]["signature"].as_str(), want.as_deref());
}

#[test]
fn match_decodes_utf16_refuses_binary_and_exits_1_on_no_match() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = root().join("testdata/match/joblog-usage-limit.log");
    let text = std::fs::read_to_string(&fixture).unwrap();
    // What Windows PowerShell's `>` writes: UTF-16LE with a BOM, CRLF lines.
    let mut le = vec![0xFF, 0xFE];
    for u in text.replace('\n', "\r\n").encode_utf16() {
        le.extend_from_slice(&u.to_le_bytes());
    }
    let le_path = dir.path().join("ps.txt");
    std::fs::write(&le_path, &le).unwrap();
    let mut be = vec![0xFE, 0xFF];
    for u in text.encode_utf16() {
        be.extend_from_slice(&u.to_be_bytes());
    }
    let (code, first, err) = match_run(&[&le_path.display().to_string()], None);
    assert_eq!(
        (code, first.as_deref()),
        (Some(0), Some("usage-limit-reached")),
        "{err}"
    );
    let (code, first, _) = match_run(&["-"], Some(&be));
    assert_eq!(
        (code, first.as_deref()),
        (Some(0), Some("usage-limit-reached"))
    );

    // A binary file: a clear refusal naming it, usage exit code.
    let bin = dir.path().join("core.bin");
    let mut bytes = b"\x7fELF\x02\x01\x01\x00\x00\x00".to_vec();
    bytes.extend_from_slice(text.as_bytes());
    std::fs::write(&bin, &bytes).unwrap();
    let (code, _, err) = match_run(&[&bin.display().to_string()], None);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("core.bin") && err.contains("binary"), "{err}");

    // Nothing matched: exit 1, in both formats; a real issue thread about something else.
    let neg = root()
        .join("testdata/match/neg-changelog.md")
        .display()
        .to_string();
    assert_eq!(match_run(&[&neg], None).0, Some(1));
    let out = triage().args(["match", &neg]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let (code, _, _) = match_run(&[&dir.path().display().to_string()], None);
    assert_eq!(code, Some(2), "a directory is a usage error");
}

#[test]
fn since_errors_are_precise_and_the_report_counts_what_it_left_out() {
    let err = |args: &[&str]| {
        let out = triage().arg("scan").args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let e = err(&["testdata/sample", "--since", "30"]);
    assert!(e.contains("--since") && e.contains("no unit"), "{e}");
    let e = err(&["testdata/sample", "--since", "2026-13-01"]);
    assert!(
        e.contains("invalid date `2026-13-01`") && !e.contains("unit"),
        "{e}"
    );
    let e = err(&["testdata/sample", "--stall-after", "45"]);
    assert!(e.contains("--stall-after") && e.contains("no unit"), "{e}");

    let all = triage()
        .args([
            "scan",
            "testdata/sample",
            "--format",
            "json",
            "--now",
            SAMPLE_NOW,
        ])
        .output()
        .unwrap();
    let total = serde_json::from_slice::<Value>(&all.stdout).unwrap()["runs"]
        .as_array()
        .unwrap()
        .len();
    for since in ["1d", "1day 0h", "2026-11-23"] {
        let out = triage()
            .args([
                "scan",
                "testdata/sample",
                "--now",
                SAMPLE_NOW,
                "--since",
                since,
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{since}");
        let text = String::from_utf8(out.stdout).unwrap();
        let head = text.lines().next().unwrap();
        let kept: usize = head
            .split(", ")
            .find_map(|p| p.split(' ').next().filter(|_| p.contains(" run")))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no run count in `{head}`"));
        assert!(kept < total, "{since}: {head}");
        let note = format!("({} older run", total - kept);
        assert!(
            text.lines()
                .nth(1)
                .is_some_and(|l| l.contains(&note) && l.contains("--since")),
            "{since}: {text}"
        );
    }
}

#[test]
fn quiet_version_completions_and_man() {
    // -q: nothing on stdout, no warnings; the exit code still answers.
    let loud = triage()
        .args([
            "scan",
            "testdata/sample",
            "--now",
            SAMPLE_NOW,
            "--fail-on",
            "high",
        ])
        .output()
        .unwrap();
    assert!(!loud.stdout.is_empty());
    let quiet = triage()
        .args([
            "-q",
            "scan",
            "testdata/sample",
            "--now",
            SAMPLE_NOW,
            "--fail-on",
            "high",
        ])
        .output()
        .unwrap();
    assert_eq!(quiet.status.code(), loud.status.code());
    assert_eq!(quiet.status.code(), Some(1), "the sample has high findings");
    assert!(quiet.stdout.is_empty() && quiet.stderr.is_empty());
    let m = triage()
        .args(["match", "--quiet", "testdata/match/issue-1920-windows11.md"])
        .output()
        .unwrap();
    assert_eq!((m.status.code(), m.stdout.len()), (Some(0), 0));

    // --version names the rule set (its hash is the one the JSON export carries).
    let doc = json(&[
        "scan",
        "testdata/sample",
        "--format",
        "json",
        "--now",
        SAMPLE_NOW,
    ]);
    let hash = doc["ruleset"]["hash"].as_str().unwrap().to_string();
    let v = triage().arg("--version").output().unwrap();
    assert!(v.status.success());
    let v = String::from_utf8(v.stdout).unwrap();
    assert!(
        v.starts_with("triage ") && v.contains(&hash),
        "{v} / {hash}"
    );

    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = triage().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let s = String::from_utf8(out.stdout).unwrap();
        assert!(s.contains("explain") && s.contains("since"), "{shell}");
    }
    assert_eq!(
        triage()
            .args(["completions", "tcsh"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    let man = triage().arg("man").output().unwrap();
    let man = String::from_utf8(man.stdout).unwrap();
    assert!(
        man.contains(".TH triage 1") && man.contains("completions"),
        "{man}"
    );
}

#[test]
fn a_missing_corpus_fails_under_ci_and_says_skipped_elsewhere() {
    // The same path every conformance test takes, on a corpus that does not exist.
    assert_eq!(corpus_or_skip("no-such-corpus", false), None);
    let under_ci = std::panic::catch_unwind(|| corpus_or_skip("no-such-corpus", true));
    assert!(under_ci.is_err(), "CI=true must fail, not skip");
    // And a present corpus is found either way (CI has ../shared).
    if root().join("../shared/corpus/plugin-generated").is_dir() {
        assert!(corpus_or_skip("plugin-generated", true).is_some());
    }
}

/// Copies the repository's rules/ into `dst/rules`.
fn copy_rules(dst: &std::path::Path) {
    let src = root().join("rules");
    let mut stack = vec![src.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().filter_map(|e| e.ok()) {
            let p = e.path();
            let to = dst.join("rules").join(p.strip_prefix(&src).unwrap());
            if p.is_dir() {
                stack.push(p);
            } else {
                std::fs::create_dir_all(to.parent().unwrap()).unwrap();
                std::fs::copy(&p, &to).unwrap();
            }
        }
    }
}

#[test]
fn rules_readme_add_a_rule_steps_work_as_written() {
    // A checkout: the rule folder as shipped, the steps of rules/README.md run in it.
    let dir = tempfile::tempdir().unwrap();
    copy_rules(dir.path());
    let run = |args: &[&str]| {
        triage()
            .current_dir(dir.path())
            .args(args)
            .output()
            .unwrap()
    };
    assert!(
        run(&["rules", "new", "my-signature", "--family", "sandbox"])
            .status
            .success()
    );
    let path = dir.path().join("rules/sandbox/my-signature.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace("the exact error text", "proxy tunnel refused: 407"),
    )
    .unwrap();
    let out = run(&["rules", "test"]);
    let all =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let builtin = run(&["rules", "list", "--format", "json"]);
    let n_builtin = serde_json::from_slice::<Value>(&builtin.stdout).unwrap()["rules"]
        .as_array()
        .map(|a| a.len())
        .unwrap_or(0);
    assert!(n_builtin > 0);
    assert!(
        all.contains(&format!("{} rules", n_builtin + 1)) || all.contains("my-signature"),
        "the new file in ./rules is tested: {all}"
    );
    // A broken edit is caught by `rules validate` without --rules, naming the file.
    std::fs::write(&path, "id = \"my-signature\"\ntitle = 3\n").unwrap();
    let out = run(&["rules", "validate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("my-signature.toml"));
    let out = run(&["rules", "test"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_completed_run_with_a_critical_signature_is_not_plain_ok() {
    let out = triage()
        .args(["scan", "testdata/sample", "--now", SAMPLE_NOW])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let doc = json(&[
        "scan",
        "testdata/sample",
        "--format",
        "json",
        "--now",
        SAMPLE_NOW,
    ]);
    let flagged: Vec<&str> = doc["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["outcome"] == "ok" && !signatures(r).is_empty())
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(
        !flagged.is_empty(),
        "the sample has completed runs with a sandbox signature"
    );
    for id in flagged {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(id))
            .unwrap_or_else(|| panic!("{id} is listed: {text}"));
        assert!(line.contains("ok, but "), "{line}");
    }
    assert!(
        text.lines()
            .next()
            .unwrap()
            .contains("with a high or critical signature")
    );
}

/// A failed run whose record and log text are terminal escape sequences.
fn escape_tree(dir: &std::path::Path) {
    let jobs = dir.join("state").join("ws-0123456789abcdef").join("jobs");
    std::fs::create_dir_all(&jobs).unwrap();
    let evil = "\u{1b}[2J\u{1b}]0;title\u{7}\u{1b}[32mgreen";
    let rec = serde_json::json!({
        "id": "task-esc00001-col001", "kind": "task", "title": evil, "status": "failed",
        "phase": "failed", "createdAt": "2026-11-21T14:10:00.000Z", "errorMessage": evil,
    });
    std::fs::write(jobs.join("task-esc00001-col001.json"), rec.to_string()).unwrap();
    std::fs::write(
        jobs.join("task-esc00001-col001.log"),
        format!("[2026-11-21T14:10:00.000Z] Starting Codex task thread.\n[2026-11-21T14:10:02.000Z] Error: {evil}\n"),
    )
    .unwrap();
}

/// Every escape sequence in `s`, as text (`\x1b[31m`).
fn escapes(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, c) in s.char_indices() {
        if c == '\u{1b}' {
            let rest = &s[i..];
            let end = rest.find('m').map_or(rest.len().min(8), |e| e + 1);
            out.push(rest[..end].to_string());
        }
    }
    out
}

#[test]
fn color_flag_colours_severity_and_outcome_and_nothing_else() {
    let Some(corpus) = corpus("failures") else {
        return;
    };
    let out = triage()
        .args([
            "scan",
            corpus.to_str().unwrap(),
            "--no-progress",
            "--color",
            "always",
        ])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    // --color always wins over NO_COLOR (no-color.org: flags override it).
    assert!(
        s.contains("\u{1b}[1m\u{1b}[31m[critical]") || s.contains("\u{1b}[31m[high]"),
        "{s}"
    );
    let sgr = regex::Regex::new(r"^\x1b\[[0-9;]*m$").unwrap();
    for e in escapes(&s) {
        assert!(sgr.is_match(&e), "only SGR colour sequences: {e:?}");
    }
    // The words are the same as without colour.
    let plain = triage()
        .args([
            "scan",
            corpus.to_str().unwrap(),
            "--no-progress",
            "--color",
            "never",
        ])
        .output()
        .unwrap();
    let plain = String::from_utf8_lossy(&plain.stdout).into_owned();
    assert!(!plain.contains('\u{1b}'));
    let stripped = regex::Regex::new(r"\x1b\[[0-9;]*m")
        .unwrap()
        .replace_all(&s, "");
    assert_eq!(stripped, plain);
    // auto: not a terminal here, so no colour.
    let auto = triage()
        .args(["scan", corpus.to_str().unwrap(), "--no-progress"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&auto.stdout).contains('\u{1b}'));
}

#[test]
fn coloured_output_never_lets_record_escapes_through() {
    let dir = tempfile::tempdir().unwrap();
    escape_tree(dir.path());
    let out = triage()
        .args([
            "scan",
            dir.path().to_str().unwrap(),
            "--no-progress",
            "--color",
            "always",
        ])
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(
        s.contains("\\e[2J"),
        "record escapes are shown as text: {s}"
    );
    let sgr = regex::Regex::new(r"^\x1b\[[0-9;]*m$").unwrap();
    for e in escapes(&s) {
        assert!(sgr.is_match(&e), "{e:?} in {s}");
        assert!(
            !e.contains("32m"),
            "the record's own green must not pass: {s}"
        );
    }
    assert!(!s.contains('\u{7}'));
}

#[test]
fn report_wraps_to_columns_and_summary_is_compact() {
    let Some(corpus) = corpus("failures") else {
        return;
    };
    let p = corpus.to_str().unwrap();
    for cols in [60usize, 140] {
        let out = triage()
            .args(["scan", p, "--no-progress"])
            .env("COLUMNS", cols.to_string())
            .output()
            .unwrap();
        let s = String::from_utf8_lossy(&out.stdout).into_owned();
        let fix: Vec<&str> = s
            .lines()
            .filter(|l| l.starts_with("    ") && !l.starts_with("     "))
            .collect();
        assert!(!fix.is_empty());
        let longest_fix = s
            .lines()
            .skip_while(|l| !l.starts_with("    fix:"))
            .take_while(|l| !l.starts_with("    upstream") && !l.starts_with("    runs"))
            .map(|l| l.chars().count())
            .max()
            .unwrap();
        assert!(
            longest_fix <= cols,
            "COLUMNS={cols}: fix line of {longest_fix}"
        );
        if cols == 140 {
            assert!(
                longest_fix > 100,
                "wider terminals use their width: {longest_fix}"
            );
        }
    }
    let full = triage()
        .args(["scan", p, "--no-progress"])
        .output()
        .unwrap();
    let full = String::from_utf8_lossy(&full.stdout).into_owned();
    let out = triage()
        .args(["scan", p, "--no-progress", "--summary"])
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(full.contains("Runs needing attention"));
    assert!(
        !s.contains("Runs needing attention") && !s.contains("    fix:"),
        "{s}"
    );
    assert!(s.contains("drop --summary to list them"), "{s}");
    let issues = full.lines().filter(|l| l.starts_with("    id: ")).count();
    let lines = s.lines().filter(|l| l.starts_with("  [")).count();
    assert_eq!(lines, issues, "one line per issue");
    assert!(s.lines().count() < full.lines().count() / 3);
}

#[test]
fn since_says_how_many_runs_it_left_out_in_every_format() {
    let all = json(&[
        "scan",
        "testdata/sample",
        "--format",
        "json",
        "--now",
        SAMPLE_NOW,
    ]);
    let total = all["runs"].as_array().unwrap().len();
    assert!(all["scanned"].get("left_out_by_since").is_none());
    // A `--since` that keeps some runs and leaves out the older ones.
    let since = "2026-11-21T14:30:00.000Z";
    let doc = json(&[
        "scan",
        "testdata/sample",
        "--format",
        "json",
        "--now",
        SAMPLE_NOW,
        "--since",
        since,
    ]);
    let kept = doc["runs"].as_array().unwrap().len();
    assert!(kept > 0 && kept < total, "kept {kept} of {total}");
    assert_eq!(doc["scanned"]["left_out_by_since"], (total - kept) as u64);
    let human = triage()
        .args([
            "scan",
            "testdata/sample",
            "--now",
            SAMPLE_NOW,
            "--since",
            since,
        ])
        .output()
        .unwrap();
    let human = String::from_utf8_lossy(&human.stdout).into_owned();
    let n = total - kept;
    assert!(
        human.contains(&format!(
            "({n} older run{} left out by --since)",
            if n == 1 { "" } else { "s" }
        )),
        "{human}"
    );
    let nd = triage()
        .args([
            "scan",
            "testdata/sample",
            "--now",
            SAMPLE_NOW,
            "--since",
            since,
            "--format",
            "ndjson",
        ])
        .output()
        .unwrap();
    let last: Value =
        serde_json::from_str(String::from_utf8_lossy(&nd.stdout).lines().last().unwrap()).unwrap();
    assert_eq!(last["type"], "summary");
    assert_eq!(last["scanned"]["left_out_by_since"], n as u64);
}

#[test]
fn history_import_takes_the_run_lines_of_a_typed_ndjson_stream() {
    let t = tempfile::tempdir().unwrap();
    let nd = triage()
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
    let text = String::from_utf8_lossy(&nd.stdout).into_owned();
    let runs = text
        .lines()
        .filter(|l| l.starts_with(r#"{"type":"run""#))
        .count();
    assert!(runs > 0 && runs < text.lines().count(), "{text}");
    let file = t.path().join("scan.ndjson");
    std::fs::write(&file, &text).unwrap();
    let out = triage()
        .env_remove("TRIAGE_DB")
        .arg("--db")
        .arg(t.path().join("h.db"))
        .args(["history", "import"])
        .arg(&file)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.starts_with(&format!("imported {runs} runs ({runs} new")),
        "{said}"
    );
}

#[test]
fn titles_keep_the_punctuation_around_urls() {
    let t = tempfile::tempdir().unwrap();
    let jobs = t
        .path()
        .join("state")
        .join("ws-0123456789abcdef")
        .join("jobs");
    std::fs::create_dir_all(&jobs).unwrap();
    let rec = serde_json::json!({
        "id": "task-url00001-abc001", "kind": "task", "status": "failed", "phase": "failed",
        "createdAt": "2026-11-21T14:10:00.000Z",
        "errorMessage": "Codex error: upstream answered 502 (see https://status.example.com/incidents/42), retry; details at <https://example.com/a?b=1>.",
    });
    std::fs::write(jobs.join("task-url00001-abc001.json"), rec.to_string()).unwrap();
    let p = t.path().to_str().unwrap();
    let out = triage()
        .args(["export", p, "--title-only", "--no-redact", "--no-progress"])
        .output()
        .unwrap();
    let title = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        title.contains("(see <url>), retry; details at <url>."),
        "the URL is masked, the sentence around it kept: {title}"
    );
    let scan = triage()
        .args(["scan", p, "--no-progress"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&scan.stdout).contains("(see <url>), retry;"));
}

/// The same job copied into two workspaces: `explain ID` lists both with their files;
/// `WORKSPACE/ID` and the job file's path pick one.
#[test]
fn explain_tells_apart_the_same_id_in_two_workspaces() {
    let Some(src) = corpus("plugin-generated/task-foreground-success") else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let ws = src.join("state").join("demo-app-70de7e731d0d286f");
    let id = "task-mwxksmlm-qslgco";
    for dir in ["demo-app-70de7e731d0d286f", "other-app-1111222233334444"] {
        let to = t.path().join("state").join(dir).join("jobs");
        std::fs::create_dir_all(&to).unwrap();
        for ext in ["json", "log"] {
            std::fs::copy(
                ws.join("jobs").join(format!("{id}.{ext}")),
                to.join(format!("{id}.{ext}")),
            )
            .unwrap();
        }
    }
    let p = t.path().to_str().unwrap();
    let out = triage()
        .args(["explain", id, p, "--no-progress"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(err.contains("matches 2 runs"), "{err}");
    assert!(
        err.contains(&format!("demo-app/{id}")) && err.contains(&format!("other-app/{id}")),
        "{err}"
    );
    assert!(
        err.contains("other-app-1111222233334444/jobs/"),
        "candidates show their files: {err}"
    );
    for sel in [
        format!("other-app/{id}"),
        format!("other-app/{}", &id[..10]),
        format!("1111222233334444/{id}"),
    ] {
        let out = triage()
            .args(["explain", &sel, p, "--no-progress"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{sel}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains(id));
    }
    // A job file's path, with no PATH: that file is read.
    let file = t
        .path()
        .join("state/other-app-1111222233334444/jobs")
        .join(format!("{id}.json"));
    let out = triage()
        .args(["explain"])
        .arg(&file)
        .arg("--no-progress")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(id));
    let out = triage()
        .args(["explain", "nope/task-x", p, "--no-progress"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
