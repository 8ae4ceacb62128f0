//! Helpers for the hostile-input suites (`tests/hostile.rs`, `tests/hostile_rules.rs`):
//! running the binary under a timeout (and measuring its peak memory), snapshotting a tree,
//! and building job files.
#![allow(dead_code)]

use serde_json::Value;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// Longest any single invocation may take before the test fails (issue #6: a minute).
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// A reference time after every timestamp written here, so outcomes do not drift.
pub const NOW: &str = "2026-11-26T14:00:00.000Z";

/// The crate root.
pub fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What one run of the binary produced.
#[derive(Debug)]
pub struct Outcome {
    /// Exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Standard output, raw.
    pub stdout: Vec<u8>,
    /// Standard error, lossily decoded.
    pub stderr: String,
    /// Wall time.
    pub elapsed: Duration,
    /// Highest `VmHWM` seen in `/proc/<pid>/status` while it ran (KiB), Linux only.
    pub peak_rss_kib: Option<u64>,
}

impl Outcome {
    /// Asserts a clean exit with `code` and no panic message.
    pub fn assert_exit(&self, code: i32) {
        assert!(
            !self.stderr.contains("panicked"),
            "triage panicked:\n{}",
            self.stderr
        );
        assert_eq!(
            self.code,
            Some(code),
            "unexpected exit status; stderr:\n{}",
            tail(&self.stderr)
        );
    }

    /// Stdout parsed as JSON (it must be valid UTF-8 JSON).
    pub fn json(&self) -> Value {
        let text = std::str::from_utf8(&self.stdout).expect("stdout is UTF-8");
        serde_json::from_str(text).unwrap_or_else(|e| panic!("stdout is not JSON: {e}"))
    }
}

fn tail(s: &str) -> &str {
    let cut = s.len().saturating_sub(4000);
    let cut = (cut..s.len())
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(s.len());
    &s[cut..]
}

fn read_vm_hwm(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs the debug `triage` binary with `args` from the crate root. Output goes to files (a
/// full pipe cannot stall it); the child is polled, its peak RSS sampled, and it is killed
/// and the test failed when it runs past [`TIMEOUT`].
pub fn run_triage<I, S>(args: I) -> Outcome
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let out_dir = tempfile::tempdir().expect("tempdir");
    let out_path = out_dir.path().join("stdout");
    let err_path = out_dir.path().join("stderr");
    let bin = env!("CARGO_BIN_EXE_triage");
    let start = Instant::now();
    let mut child = Command::new(bin)
        .args(&args)
        .current_dir(crate_root())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"))
        .spawn()
        .expect("spawn triage");
    let pid = child.id();
    let mut peak: Option<u64> = None;
    let status = loop {
        if let Some(kib) = read_vm_hwm(pid) {
            peak = Some(peak.map_or(kib, |p| p.max(kib)));
        }
        match child.try_wait().expect("wait") {
            Some(s) => break s,
            None if start.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "triage {args:?} did not finish within {TIMEOUT:?} (blocked?); stderr so far:\n{}",
                    tail(&String::from_utf8_lossy(
                        &std::fs::read(&err_path).unwrap_or_default()
                    ))
                );
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    };
    Outcome {
        code: status.code(),
        stdout: std::fs::read(&out_path).expect("read stdout"),
        stderr: String::from_utf8_lossy(&std::fs::read(&err_path).expect("read stderr"))
            .into_owned(),
        elapsed: start.elapsed(),
        peak_rss_kib: peak,
    }
}

/// `triage scan ROOT --format json` with a fixed reference time; asserts exit 0, valid JSON
/// and that every JSON warning is also printed on stderr.
pub fn scan_ok(root: &Path) -> (Outcome, Report) {
    let out = run_triage([
        OsString::from("scan"),
        root.as_os_str().to_owned(),
        "--format".into(),
        "json".into(),
        "--now".into(),
        NOW.into(),
        "--no-progress".into(),
    ]);
    out.assert_exit(0);
    let report = Report(out.json());
    for w in report.warnings() {
        let line = match w["line"].as_u64() {
            Some(l) => format!(
                "triage: warning: {}:{l}: {}",
                w["path"].as_str().unwrap(),
                w["message"].as_str().unwrap()
            ),
            None => format!(
                "triage: warning: {}: {}",
                w["path"].as_str().unwrap(),
                w["message"].as_str().unwrap()
            ),
        };
        assert!(
            out.stderr.contains(&line),
            "JSON warning not on stderr: {line}"
        );
    }
    (out, report)
}

/// A parsed `scan --format json` document.
pub struct Report(pub Value);

impl Report {
    /// The `warnings` list.
    pub fn warnings(&self) -> &Vec<Value> {
        self.0["warnings"].as_array().expect("warnings array")
    }

    /// The run with this id.
    pub fn run(&self, id: &str) -> &Value {
        self.0["runs"]
            .as_array()
            .expect("runs array")
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("no run `{id}` in the report; runs: {:?}", self.run_ids()))
    }

    /// Every run id.
    pub fn run_ids(&self) -> Vec<String> {
        self.0["runs"]
            .as_array()
            .expect("runs array")
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    }

    /// Warnings whose path is exactly `path` (as the tool prints it: `Path::display`).
    pub fn warnings_for(&self, path: &Path) -> Vec<&Value> {
        let want = path.display().to_string();
        self.warnings()
            .iter()
            .filter(|w| w["path"] == want.as_str())
            .collect()
    }

    /// Asserts exactly one warning names `path`, that its message contains `fragment` and
    /// that its line is `line`; returns it.
    pub fn one_warning(&self, path: &Path, fragment: &str, line: Option<u64>) -> &Value {
        let ws = self.warnings_for(path);
        assert_eq!(
            ws.len(),
            1,
            "expected one warning for {}, got {ws:#?}\nall warnings: {:#?}",
            path.display(),
            self.warnings()
        );
        let w = ws[0];
        assert!(
            w["message"].as_str().unwrap().contains(fragment),
            "warning for {} should mention {fragment:?}: {w}",
            path.display()
        );
        assert_eq!(
            w["line"].as_u64(),
            line,
            "line of the warning for {}: {w}",
            path.display()
        );
        w
    }
}

/// One entry of a tree snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    kind: &'static str,
    len: u64,
    mtime: Option<SystemTime>,
    ctime: (i64, i64),
    mode: u32,
    /// Contents of small regular files, the target of links.
    content: Option<Vec<u8>>,
}

/// Every entry under a root (not following links), by relative path bytes.
pub type Snapshot = BTreeMap<Vec<u8>, Entry>;

/// Snapshots a tree: kind, size, mtime, ctime, mode of every entry via `symlink_metadata`,
/// plus the bytes of regular files up to 1 MiB and link targets. Iterative, so a
/// thousand-level tree is fine.
pub fn snapshot(root: &Path) -> Snapshot {
    let mut out = Snapshot::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        let m = std::fs::symlink_metadata(&p)
            .unwrap_or_else(|e| panic!("snapshot {}: {e}", p.display()));
        let ft = m.file_type();
        let kind = if ft.is_dir() {
            "dir"
        } else if ft.is_file() {
            "file"
        } else if ft.is_symlink() {
            "symlink"
        } else {
            "special"
        };
        let content = if ft.is_file() && m.len() <= 1 << 20 {
            Some(std::fs::read(&p).expect("read small file"))
        } else if ft.is_symlink() {
            Some(
                std::fs::read_link(&p)
                    .expect("readlink")
                    .as_os_str()
                    .as_bytes()
                    .to_vec(),
            )
        } else {
            None
        };
        let rel = p
            .strip_prefix(root)
            .unwrap()
            .as_os_str()
            .as_bytes()
            .to_vec();
        out.insert(
            rel,
            Entry {
                kind,
                len: if ft.is_dir() { 0 } else { m.len() },
                mtime: m.modified().ok(),
                ctime: (m.ctime(), m.ctime_nsec()),
                mode: m.permissions().mode(),
                content,
            },
        );
        if ft.is_dir() {
            for e in std::fs::read_dir(&p).expect("read_dir") {
                stack.push(e.expect("dir entry").path());
            }
        }
    }
    out
}

/// Asserts two snapshots are equal, listing the differences.
pub fn assert_unchanged(before: &Snapshot, after: &Snapshot) {
    if before == after {
        return;
    }
    let mut diffs = Vec::new();
    for (k, v) in before {
        match after.get(k) {
            None => diffs.push(format!("removed: {}", String::from_utf8_lossy(k))),
            Some(a) if a != v => diffs.push(format!(
                "changed: {} ({:?} {} {:?} {:o} -> {:?} {} {:?} {:o})",
                String::from_utf8_lossy(k),
                v.kind,
                v.len,
                v.mtime,
                v.mode,
                a.kind,
                a.len,
                a.mtime,
                a.mode
            )),
            _ => {}
        }
    }
    for k in after.keys().filter(|k| !before.contains_key(*k)) {
        diffs.push(format!("added: {}", String::from_utf8_lossy(k)));
    }
    panic!("the scanned tree changed:\n{}", diffs.join("\n"));
}

/// Writes `bytes` to `path`, creating parent directories.
pub fn put(path: &Path, bytes: impl AsRef<[u8]>) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// A well-formed, completed job record (pretty-printed like the plugin writes them).
pub fn good_record(id: &str) -> String {
    format!(
        r#"{{
  "id": "{id}",
  "kind": "task",
  "title": "Codex Task",
  "status": "completed",
  "phase": "done",
  "createdAt": "2026-11-26T13:15:56.650Z",
  "startedAt": "2026-11-26T13:15:56.657Z",
  "completedAt": "2026-11-26T13:15:57.346Z",
  "rendered": "Handled the requested task.\n"
}}
"#
    )
}

/// A well-formed log of a completed task.
pub const GOOD_LOG: &str = "[2026-11-26T13:15:56.656Z] Starting Codex Task.\n\
[2026-11-26T13:15:57.307Z] Turn started (turn_1).\n\
[2026-11-26T13:15:57.345Z] Turn completed.\n\
\n\
[2026-11-26T13:15:57.359Z] Final output\n\
Handled the requested task.\n";

/// Writes a good job (`<id>.json` + `<id>.log`) into `state/jobs/`.
pub fn good_job(state: &Path, id: &str) {
    put(
        &state.join("jobs").join(format!("{id}.json")),
        good_record(id),
    );
    put(&state.join("jobs").join(format!("{id}.log")), GOOD_LOG);
}

/// Writes a big file in 1 MiB blocks through a buffered writer (never holding it in memory).
pub fn write_streaming(path: &Path, head: &[u8], fill: u8, total: u64, tail: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    w.write_all(head).unwrap();
    let block = vec![fill; 1 << 20];
    let mut left = total.saturating_sub(head.len() as u64 + tail.len() as u64);
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        w.write_all(&block[..n]).unwrap();
        left -= n as u64;
    }
    w.write_all(tail).unwrap();
    w.flush().unwrap();
}

/// Creates a FIFO with `mkfifo` (no libc binding in this crate).
pub fn mkfifo(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let st = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(st.success(), "mkfifo {}", path.display());
}

/// The `task-foreground-success` tree of the shared corpus, when it is beside the checkout.
pub fn corpus_good() -> Option<PathBuf> {
    let p = crate_root()
        .join("..")
        .join("shared")
        .join("corpus")
        .join("plugin-generated")
        .join("task-foreground-success");
    p.is_dir().then_some(p)
}

/// Copies a tree of regular files and directories.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}
