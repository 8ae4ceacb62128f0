//! Hostile input (issue #6): every test builds its tree in a temporary directory, scans it
//! with the real binary under a timeout, and checks that triage exits 0, reports every good
//! run, warns once per bad item naming its path (and line when known), never panics or
//! blocks, and leaves the tree as it found it.

#![cfg(unix)]

mod hostile_support;

use hostile_support::*;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// What a builder expects the scan to say.
#[derive(Default)]
struct Expect {
    /// (path, message fragment, line): exactly one warning each.
    warnings: Vec<(PathBuf, &'static str, Option<u64>)>,
    /// (run id, outcome): runs that must be reported.
    runs: Vec<(String, &'static str)>,
    /// Run ids that must not be reported (e.g. behind a link out of the root).
    absent_runs: Vec<String>,
    /// Text that must not appear in the report (read through a link it must not follow).
    forbidden_text: Vec<&'static str>,
}

impl Expect {
    fn warn(&mut self, path: PathBuf, fragment: &'static str, line: Option<u64>) {
        self.warnings.push((path, fragment, line));
    }

    fn run(&mut self, id: &str, outcome: &'static str) {
        self.runs.push((id.to_string(), outcome));
    }

    fn extend(&mut self, other: Expect) {
        self.warnings.extend(other.warnings);
        self.runs.extend(other.runs);
        self.absent_runs.extend(other.absent_runs);
        self.forbidden_text.extend(other.forbidden_text);
    }

    /// Checks a report against the expectations: one warning per bad item and no others.
    fn check(&self, out: &Outcome, report: &Report) {
        for (path, fragment, line) in &self.warnings {
            report.one_warning(path, fragment, *line);
        }
        assert_eq!(
            report.warnings().len(),
            self.warnings.len(),
            "one warning per bad item and no others; got {:#?}",
            report.warnings()
        );
        let by_id: std::collections::HashMap<&str, &serde_json::Value> = report.0["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["id"].as_str().unwrap(), r))
            .collect();
        for (id, outcome) in &self.runs {
            let r = by_id
                .get(id.as_str())
                .unwrap_or_else(|| panic!("run {id:?} missing from the report"));
            assert_eq!(r["outcome"], *outcome, "outcome of {id:?}: {r:#}");
        }
        for id in &self.absent_runs {
            assert!(
                !by_id.contains_key(id.as_str()),
                "run {id:?} must not be reported"
            );
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        for t in &self.forbidden_text {
            assert!(
                !stdout.contains(t),
                "report contains {t:?}: a link was followed"
            );
            assert!(
                !out.stderr.contains(t),
                "stderr contains {t:?}: a link was followed"
            );
        }
    }
}

/// A state directory under a `CLAUDE_PLUGIN_DATA`-style root.
fn state(root: &Path, name: &str) -> PathBuf {
    root.join("state").join(format!("{name}-0123456789abcdef"))
}

/// Deterministic non-JSON bytes (a NUL first, then every byte value, invalid UTF-8 included).
fn garbage() -> Vec<u8> {
    (0..1024u32).map(|i| (i * 7919 % 251) as u8).collect()
}

/// Torn, empty, binary, wrong-typed, nested and oversized job records, each beside a good
/// log: the record is warned about and the run is still reported from its log.
fn bad_records(root: &Path) -> Expect {
    let st = state(root, "records");
    let mut e = Expect::default();
    let mut bomb = vec![b'['; 100_000];
    bomb.extend(vec![b']'; 100_000]);
    let obj_bomb = "{\"a\":".repeat(50_000);
    let wrong_type = "{\n  \"id\": \"task-wrongtype-1\",\n  \"status\": 7\n}\n";
    let cases: Vec<(&str, Vec<u8>, &'static str, Option<u64>)> = vec![
        ("task-empty-1", b"".to_vec(), "empty file", None),
        ("task-blank-1", b"  \n\t\n".to_vec(), "empty file", None),
        (
            "task-torn-1",
            b"{\n  \"id\": \"task-torn-1\",\n  \"status\": \"compl".to_vec(),
            "invalid JSON",
            Some(3),
        ),
        ("task-garbage-1", garbage(), "invalid JSON", Some(1)),
        (
            "task-nul-1",
            b"{\"id\": \"task-nul-1\0\"}".to_vec(),
            "invalid JSON",
            Some(1),
        ),
        (
            "task-array-1",
            b"[1, 2, 3]".to_vec(),
            "not a JSON object",
            None,
        ),
        (
            "task-string-1",
            b"\"just a string\"".to_vec(),
            "not a JSON object",
            None,
        ),
        (
            "task-wrongtype-1",
            wrong_type.as_bytes().to_vec(),
            "field `status` is a number",
            Some(3),
        ),
        ("task-bomb-1", bomb, "recursion limit", Some(1)),
        (
            "task-objbomb-1",
            obj_bomb.into_bytes(),
            "recursion limit",
            Some(1),
        ),
    ];
    for (id, bytes, fragment, line) in cases {
        let rec = st.join("jobs").join(format!("{id}.json"));
        put(&rec, bytes);
        put(&st.join("jobs").join(format!("{id}.log")), GOOD_LOG);
        e.warn(rec, fragment, line);
        // No usable status: the outcome comes from the log's final output.
        e.run(id, "ok");
    }
    // A 50 MB string: over the record cap, so not read; the index entry and the log still
    // make the run.
    let huge = st.join("jobs").join("task-huge-1.json");
    write_streaming(
        &huge,
        b"{\"id\":\"task-huge-1\",\"status\":\"failed\",\"errorMessage\":\"",
        b'y',
        50_000_000,
        b"\"}",
    );
    put(&st.join("jobs").join("task-huge-1.log"), GOOD_LOG);
    put(
        &st.join("state.json"),
        r#"{"version":1,"jobs":[{"id":"task-huge-1","status":"failed","errorMessage":"boom"}]}"#,
    );
    e.warn(huge, "more than the 16 MiB", None);
    e.run("task-huge-1", "failed");
    e
}

/// Broken `state.json` indexes, each in its own state directory beside a good job.
fn bad_indexes(root: &Path) -> Expect {
    let mut e = Expect::default();
    let cases: Vec<(&str, Vec<u8>, &'static str, Option<u64>)> = vec![
        ("empty", b"".to_vec(), "empty file", None),
        (
            "torn",
            b"{\n  \"version\": 1,\n  \"jobs\": [\n    {\"id\": \"task-".to_vec(),
            "invalid JSON",
            Some(4),
        ),
        ("garbage", garbage(), "invalid JSON", Some(1)),
        ("array", b"[]".to_vec(), "index is not a JSON object", None),
        (
            "jobs-string",
            b"{\n  \"version\": 1,\n  \"jobs\": \"nope\"\n}\n".to_vec(),
            "field `jobs` is a string",
            Some(3),
        ),
        (
            "jobs-number",
            br#"{"jobs":[7]}"#.to_vec(),
            "jobs[0] is a number",
            None,
        ),
        (
            "id-number",
            br#"{"jobs":[{"id":3,"status":"failed"}]}"#.to_vec(),
            "jobs[0]: field `id` is a number",
            None,
        ),
        (
            "bomb",
            format!("{{\"jobs\":{}", "[".repeat(100_000)).into_bytes(),
            "recursion limit",
            Some(1),
        ),
        (
            "status-array",
            br#"{"jobs":[{"id":"task-idx-status-array-1","status":["x"]}]}"#.to_vec(),
            "field `status` is an array",
            None,
        ),
    ];
    for (name, bytes, fragment, line) in cases {
        let st = state(root, &format!("index-{name}"));
        let id = format!("task-idx-{name}-1");
        good_job(&st, &id);
        let idx = st.join("state.json");
        put(&idx, bytes);
        e.warn(idx, fragment, line);
        e.run(&id, "ok");
    }
    e
}

/// Where logs should be: a FIFO, a socket, a directory, links out of the root, to
/// themselves and to a device; a log with CRLF, NUL bytes and invalid UTF-8; a log that is
/// one line of `long_line` bytes holding a known failure.
fn hostile_logs(root: &Path, outside: &Path, long_line: u64) -> Expect {
    let st = state(root, "logs");
    let jobs = st.join("jobs");
    let mut e = Expect::default();

    let crlf = jobs.join("task-crlf-1.log");
    put(
        &crlf,
        b"[2026-11-26T13:15:56.656Z] Starting Codex Task.\r\n\
[2026-11-26T13:15:57.307Z] Turn started (turn_1).\r\n\
[2026-11-26T13:15:57.325Z] Assistant message captured: a\0b \xff\xfe done\r\n\
[2026-11-26T13:15:57.345Z] Turn completed.\r\n\
\r\n\
[2026-11-26T13:15:57.359Z] Final output\r\n\
Done \0 \xc3\x28.\r\n",
    );
    e.warn(crlf, "not valid UTF-8", None);
    e.run("task-crlf-1", "ok");

    // Non-regular files where the log should be; the record is good, so the run is reported.
    let fifo = jobs.join("task-fifo-1.log");
    mkfifo(&fifo);
    put(&jobs.join("task-fifo-1.json"), good_record("task-fifo-1"));
    e.warn(fifo, "not a regular file", None);
    e.run("task-fifo-1", "ok");

    let sock = jobs.join("task-sock-1.log");
    drop(std::os::unix::net::UnixListener::bind(&sock).expect("bind a unix socket"));
    put(&jobs.join("task-sock-1.json"), good_record("task-sock-1"));
    e.warn(sock, "not a regular file", None);
    e.run("task-sock-1", "ok");

    let dir = jobs.join("task-dir-1.log");
    std::fs::create_dir_all(dir.join("inner")).unwrap();
    put(&jobs.join("task-dir-1.json"), good_record("task-dir-1"));
    e.warn(dir, "a directory where a job file should be", None);
    e.run("task-dir-1", "ok");

    // Links: out of the root (a log that would be a failed run), to itself, to a device.
    put(
        &outside.join("secret.log"),
        "[2026-11-26T13:15:56.656Z] Codex error: OUTSIDE-SECRET You've hit your usage limit.\n",
    );
    let out_link = jobs.join("task-outlink-1.log");
    std::os::unix::fs::symlink(outside.join("secret.log"), &out_link).unwrap();
    e.warn(out_link, "symbolic link not followed", None);
    e.absent_runs.push("task-outlink-1".into());
    e.forbidden_text.push("OUTSIDE-SECRET");

    let self_loop = jobs.join("task-selfloop-1.log");
    std::os::unix::fs::symlink("task-selfloop-1.log", &self_loop).unwrap();
    e.warn(self_loop, "symbolic link not followed", None);

    let pair_a = jobs.join("task-pair-a.log");
    let pair_b = jobs.join("task-pair-b.json");
    std::os::unix::fs::symlink("task-pair-b.json", &pair_a).unwrap();
    std::os::unix::fs::symlink("task-pair-a.log", &pair_b).unwrap();
    e.warn(pair_a, "symbolic link not followed", None);
    e.warn(pair_b, "symbolic link not followed", None);

    let devnull = jobs.join("task-devnull-1.log");
    std::os::unix::fs::symlink("/dev/null", &devnull).unwrap();
    e.warn(devnull, "symbolic link not followed", None);

    // A directory loop beside the jobs (not a job item: ignored, must not trap the walk) and
    // a whole `jobs` folder linked from outside the root.
    std::os::unix::fs::symlink("..", st.join("up")).unwrap();
    std::os::unix::fs::symlink(root, st.join("root-again")).unwrap();
    let other_jobs = outside.join("other-state").join("jobs");
    put(
        &other_jobs.join("task-outside-1.log"),
        "[2026-11-26T13:15:56.656Z] Codex error: OUTSIDE-SECRET\n",
    );
    let linked = state(root, "linked").join("jobs");
    std::fs::create_dir_all(linked.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&other_jobs, &linked).unwrap();
    e.warn(linked, "symbolic link not followed", None);
    e.absent_runs.push("task-outside-1".into());

    // One enormous line that starts with a known failure.
    let long = jobs.join("task-longline-1.log");
    write_streaming(
        &long,
        b"[2026-11-26T13:15:56.656Z] Codex error: You've hit your usage limit. ",
        b'x',
        long_line,
        b"\n[2026-11-26T13:15:57.000Z] Turn failed.\n",
    );
    put(
        &jobs.join("task-longline-1.json"),
        "{\n  \"id\": \"task-longline-1\",\n  \"status\": \"failed\"\n}\n",
    );
    e.warn(long, "line longer than", Some(1));
    e.run("task-longline-1", "failed");
    e
}

/// File names with a newline and with invalid UTF-8, and a state folder whose name is not
/// UTF-8.
fn odd_names(root: &Path) -> Expect {
    let st = state(root, "names");
    let mut e = Expect::default();
    let nl = "task-nl\nx-1";
    let rec = format!(
        "{{\n  \"id\": {},\n  \"status\": \"completed\"\n}}\n",
        serde_json::to_string(nl).unwrap()
    );
    put(&st.join("jobs").join(format!("{nl}.json")), rec);
    put(&st.join("jobs").join(format!("{nl}.log")), GOOD_LOG);
    e.run(nl, "ok");

    // Some file systems (APFS) refuse names that are not UTF-8; Linux ones take any bytes.
    if !cfg!(target_os = "linux") {
        return e;
    }
    let bad = st
        .join("jobs")
        .join(OsStr::from_bytes(b"task-\xff\xfe-1.log"));
    put(&bad, GOOD_LOG);
    e.warn(bad, "not valid UTF-8", None);

    let bad_ws = root
        .join("state")
        .join(OsStr::from_bytes(b"ws-\xfe-0123456789abcdef"));
    good_job(&bad_ws, "task-badws-1");
    e.run("task-badws-1", "ok");

    // Not a job item: ignored without a warning.
    put(
        &root
            .join("misc")
            .join(OsStr::from_bytes(b"\xff\nnotes.txt")),
        "x",
    );
    e
}

/// A good job at the bottom of a thousand nested folders.
fn deep_tree(root: &Path) -> Expect {
    let mut p = root.join("deep");
    for _ in 0..1000 {
        p.push("d");
    }
    std::fs::create_dir_all(&p).unwrap();
    good_job(&state(&p, "deep"), "task-deep-1");
    let mut e = Expect::default();
    e.run("task-deep-1", "ok");
    e
}

/// `n` one-line logs (an hour old at [`NOW`]: stalled).
fn tiny_logs(root: &Path, n: usize) -> Expect {
    let jobs = state(root, "tiny").join("jobs");
    std::fs::create_dir_all(&jobs).unwrap();
    let mut e = Expect::default();
    for i in 0..n {
        let id = format!("task-tiny-{i}");
        std::fs::write(
            jobs.join(format!("{id}.log")),
            "[2026-11-26T13:15:56.656Z] Starting Codex Task.\n",
        )
        .unwrap();
        e.run(&id, "stalled");
    }
    e
}

/// A good job copied from the plugin-generated corpus, or written inline without it.
fn good_jobs(root: &Path) -> Expect {
    let mut e = Expect::default();
    match corpus_good() {
        Some(src) => {
            copy_tree(&src, &root.join("corpus"));
            e.run("task-mwxksmlm-qslgco", "ok");
        }
        None => {
            eprintln!("note: ../shared not found; using an inline good job");
            good_job(
                &state(&root.join("corpus"), "demo-app"),
                "task-mwxksmlm-qslgco",
            );
            e.run("task-mwxksmlm-qslgco", "ok");
        }
    }
    good_job(&state(root, "good"), "task-good-2");
    e.run("task-good-2", "ok");
    e
}

/// Scans `root`, checks `expect`, and that the tree was left unchanged.
fn scan_and_check(root: &Path, expect: &Expect) -> (Outcome, Report) {
    let before = snapshot(root);
    let (out, report) = scan_ok(root);
    let after = snapshot(root);
    expect.check(&out, &report);
    assert_unchanged(&before, &after);
    (out, report)
}

fn tempdirs() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("data");
    let outside = t.path().join("outside");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    (t, root, outside)
}

#[test]
fn torn_empty_garbage_wrong_typed_nested_and_huge_records_warn_once_each() {
    let (_t, root, _) = tempdirs();
    let e = bad_records(&root);
    scan_and_check(&root, &e);
}

#[test]
fn broken_indexes_warn_once_each_and_job_files_still_count() {
    let (_t, root, _) = tempdirs();
    let e = bad_indexes(&root);
    scan_and_check(&root, &e);
}

#[test]
fn non_regular_logs_links_and_mangled_lines_never_block_or_leak() {
    let (_t, root, outside) = tempdirs();
    let e = hostile_logs(&root, &outside, 3 << 20);
    let (_, report) = scan_and_check(&root, &e);
    // CRLF: the `\r` is not part of the text, so the last message is read exactly.
    let crlf = report.run("task-crlf-1");
    assert_eq!(crlf["decisive"]["text"], "Turn completed.", "{crlf:#}");
    // The long line's failure is found in its first MiB and its evidence is capped.
    let long = report.run("task-longline-1");
    assert!(
        long["signatures"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "usage-limit-reached"),
        "{long:#}"
    );
    for ev in long["evidence"].as_array().unwrap() {
        assert!(
            ev["text"].as_str().unwrap().chars().count() <= 300,
            "evidence not capped: {ev}"
        );
    }
    let decisive = long["decisive"]["text"].as_str().unwrap();
    assert!(
        decisive.starts_with("Codex error: You've hit your usage limit"),
        "{decisive}"
    );
    assert!(decisive.chars().count() <= 300, "decisive line not capped");
}

#[test]
fn newline_and_invalid_utf8_file_names_keep_the_report_valid() {
    let (_t, root, _) = tempdirs();
    let e = odd_names(&root);
    let (out, report) = scan_and_check(&root, &e);
    // The invalid name is shown lossily, in JSON and on stderr.
    #[cfg(target_os = "linux")]
    {
        let w = &report.warnings()[0];
        assert!(
            w["path"]
                .as_str()
                .unwrap()
                .ends_with("task-\u{fffd}\u{fffd}-1.log"),
            "{w}"
        );
        assert!(out.stderr.contains("task-\u{fffd}\u{fffd}-1.log"));
    }
    // The record and log of the newline name were both read.
    let nl = report.run("task-nl\nx-1");
    assert!(
        nl["source"]["record"]
            .as_str()
            .unwrap()
            .ends_with("task-nl\nx-1.json"),
        "{nl:#}"
    );
    assert!(
        nl["source"]["log"]
            .as_str()
            .unwrap()
            .ends_with("task-nl\nx-1.log"),
        "{nl:#}"
    );
}

/// `triage scan jobs/<id>.log` picks up the record and index beside the named file, but not
/// through links leading out of the folder.
#[test]
fn a_named_job_file_does_not_follow_linked_siblings() {
    let (_t, root, outside) = tempdirs();
    let st = state(&root, "single");
    let log = st.join("jobs").join("task-single-1.log");
    put(&log, GOOD_LOG);
    let secret = r#"{"id":"task-single-1","status":"failed","errorMessage":"OUTSIDE-SECRET"}"#;
    put(&outside.join("rec.json"), secret);
    put(
        &outside.join("state.json"),
        format!(r#"{{"version":1,"jobs":[{secret}]}}"#),
    );
    std::os::unix::fs::symlink(
        outside.join("rec.json"),
        st.join("jobs").join("task-single-1.json"),
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.join("state.json"), st.join("state.json")).unwrap();
    let before = snapshot(&root);
    let (out, report) = scan_ok(&log);
    assert_unchanged(&before, &snapshot(&root));
    let r = report.run("task-single-1");
    assert_eq!(r["outcome"], "ok", "{r:#}");
    assert_eq!(r["source"]["record"], serde_json::Value::Null, "{r:#}");
    assert_eq!(r["source"]["index"], serde_json::Value::Null, "{r:#}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("OUTSIDE-SECRET"));
}

#[test]
fn a_thousand_level_deep_tree_is_walked() {
    let (_t, root, _) = tempdirs();
    let e = deep_tree(&root);
    let (_, report) = scan_and_check(&root, &e);
    assert_eq!(report.run_ids(), vec!["task-deep-1"]);
}

#[test]
#[cfg(target_os = "linux")] // PATH_MAX is 4096 there; the sizes below assume it.
fn a_tree_deeper_than_path_max_warns_and_still_exits_zero() {
    // 600 levels of 10-character names (6.6 KB paths). A path that long cannot be created
    // in one go, so two 300-level halves are built and the second is moved under the first.
    let (t, root, _) = tempdirs();
    let name = "dddddddddd";
    let mut lower = t.path().join("lower");
    for _ in 0..300 {
        lower.push(name);
    }
    good_job(&state(&lower, "toodeep"), "task-toodeep-1");
    let mut upper = root.join("upper");
    for _ in 0..300 {
        upper.push(name);
    }
    std::fs::create_dir_all(&upper).unwrap();
    std::fs::rename(t.path().join("lower"), upper.join("lower")).unwrap();
    good_job(&state(&root, "shallow"), "task-shallow-1");
    let (_, report) = scan_ok(&root);
    assert_eq!(report.run("task-shallow-1")["outcome"], "ok");
    let ws = report.warnings();
    assert!(!ws.is_empty(), "an unreachable folder is warned about");
    for w in ws {
        let p = w["path"].as_str().unwrap();
        assert!(
            p.starts_with(&root.display().to_string()) && p.contains(name),
            "{w}"
        );
    }
}

#[test]
fn thousands_of_tiny_logs_are_all_reported() {
    let (_t, root, _) = tempdirs();
    let e = tiny_logs(&root, 2000);
    let (out, report) = scan_and_check(&root, &e);
    assert_eq!(report.run_ids().len(), 2000);
    assert_eq!(report.0["scanned"]["jobs"], 2000, "{}", report.0["scanned"]);
    eprintln!("2000 tiny logs scanned in {:?}", out.elapsed);
}

/// Issue #6's acceptance test: one tree holding every hostile item above plus good jobs,
/// including a 100 MiB single-line log. Exit 0 within a minute, every good run with its
/// outcome, exactly one warning per bad item, the tree unchanged, and bounded memory.
#[test]
fn combined_hostile_tree() {
    let (_t, root, outside) = tempdirs();
    let mut e = good_jobs(&root);
    e.extend(bad_records(&root));
    e.extend(bad_indexes(&root));
    e.extend(hostile_logs(&root, &outside, 100 << 20));
    e.extend(odd_names(&root));
    e.extend(deep_tree(&root));
    e.extend(tiny_logs(&root, 2000));
    let (out, report) = scan_and_check(&root, &e);
    eprintln!(
        "combined hostile tree: {} runs, {} warnings in {:?}, peak RSS {:?} KiB",
        report.run_ids().len(),
        report.warnings().len(),
        out.elapsed,
        out.peak_rss_kib
    );
    assert_eq!(
        report.run_ids().len(),
        e.runs.len(),
        "every good run and only those"
    );
    // The 100 MiB line is streamed: reading it whole would need more than the file.
    if let Some(kib) = out.peak_rss_kib {
        assert!(
            kib < 96 * 1024,
            "peak RSS {kib} KiB: the long line was not streamed"
        );
    }
}

/// Files truncated, emptied, overwritten with garbage or deleted while the scan runs: no
/// panic, exit 0, a valid report whose warnings all name files of the tree. What is warned
/// about depends on timing, so only those invariants are checked.
#[test]
fn files_changing_during_the_scan_never_panic() {
    for round in 0..2u64 {
        let (_t, root, _) = tempdirs();
        let mut files = Vec::new();
        let log: String = (0..200)
            .map(|i| {
                format!(
                    "[2026-11-26T13:15:{:02}.000Z] Running command: step {i}\n",
                    i % 60
                )
            })
            .collect();
        for d in 0..3 {
            let st = state(&root, &format!("race{d}"));
            for i in 0..250 {
                let id = format!("task-race{d}-{i}");
                good_job(&st, &id);
                let l = st.join("jobs").join(format!("{id}.log"));
                std::fs::write(&l, &log).unwrap();
                files.push(l);
                files.push(st.join("jobs").join(format!("{id}.json")));
            }
            put(
                &st.join("state.json"),
                r#"{"version":1,"jobs":[{"id":"task-race0-0","status":"running"}]}"#,
            );
            files.push(st.join("state.json"));
        }
        // A few big logs, so some reads are in progress when their file shrinks.
        for i in 0..3 {
            let l = state(&root, "race0")
                .join("jobs")
                .join(format!("task-big-{i}.log"));
            write_streaming(&l, b"[2026-11-26T13:15:56.656Z] ", b'z', 8 << 20, b"\n");
            files.insert(i * 50, l);
        }
        let stop = Arc::new(AtomicBool::new(false));
        let ops = Arc::new(AtomicU64::new(0));
        let mutator = {
            let (stop, ops) = (stop.clone(), ops.clone());
            std::thread::spawn(move || {
                let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ round;
                while !stop.load(Ordering::Relaxed) {
                    for (n, f) in files.iter().enumerate() {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        let _ = match x % 5 {
                            0 => std::fs::remove_file(f),
                            1 => std::fs::OpenOptions::new()
                                .write(true)
                                .open(f)
                                .and_then(|h| h.set_len(0)),
                            2 => std::fs::OpenOptions::new()
                                .write(true)
                                .open(f)
                                .and_then(|h| h.set_len(7)),
                            3 => std::fs::write(f, b"{\"id\": \"torn"),
                            _ => std::fs::write(f, b"\xff\xfe\0garbage\r\n"),
                        };
                        ops.fetch_add(1, Ordering::Relaxed);
                        if n % 25 == 0 {
                            std::thread::sleep(std::time::Duration::from_micros(200));
                        }
                    }
                }
            })
        };
        let (_, report) = scan_ok(&root);
        stop.store(true, Ordering::Relaxed);
        mutator.join().unwrap();
        assert!(ops.load(Ordering::Relaxed) > 0);
        let prefix = root.display().to_string();
        for w in report.warnings() {
            assert!(w["path"].as_str().unwrap().starts_with(&prefix), "{w}");
        }
    }
}
