//! Reading one job: its index entry and job file merged ([`record`]), its record fields and
//! log checked in one pass ([`classify::pass`]), then the facts a report needs: outcome
//! ([`outcome`]), platform ([`platform`]), versions ([`crate::versions`]), pid ([`pid`]). The
//! result is a [`ReadRun`]: a [`Run`] summary (put together in `summary`) plus the raw hits
//! classification turns into findings.

use crate::classify::pass::{self, HitCollector, RawHits};
use crate::discover::{JobFiles, StateDir};
use crate::log::LineSink;
use crate::outcome::{self, Clock, LogEnding};
use crate::pid;
use crate::platform::{self, CommandPlatform};
use crate::record::{self, JobRecord};
use crate::rules::RuleSet;
use crate::run::{Run, SharedPath, Workspace};
use crate::timefmt::Millis;
use crate::vocab::{Outcome, Platform, SCOPE_ERROR, SCOPE_OUTPUT, StateRoot};
use crate::warn::{Warning, Warnings};
use serde_json::Value;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

mod summary;
use summary::assemble;

/// A run that has been read but not yet classified.
#[derive(Debug)]
pub struct ReadRun {
    /// The summary (its `findings` still empty).
    pub run: Run,
    /// Pattern hits of its text.
    pub hits: RawHits,
    /// Facts rule states read that the summary does not keep.
    pub extra: ExtraFacts,
}

/// Facts of a run that only rule states read.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExtraFacts {
    /// The workspace also has records under the other kind of root in this scan.
    pub workspace_split: bool,
    /// The record's `write` flag.
    pub write: Option<bool>,
    /// The index's `config.stopReviewGate`.
    pub stop_review_gate: Option<bool>,
}

impl ExtraFacts {
    /// The facts of a run read from `rec` in the state directory `ctx`: where a new
    /// structural rule fact that the summary does not keep is read.
    fn of(ctx: &DirContext, rec: &JobRecord) -> ExtraFacts {
        ExtraFacts {
            workspace_split: ctx.workspace_split,
            write: rec.write,
            stop_review_gate: ctx.stop_review_gate,
        }
    }
}

/// Files and bytes read, counted across threads.
#[derive(Debug, Default)]
pub struct Counters {
    /// Files read.
    pub files: AtomicU64,
    /// Bytes read.
    pub bytes: AtomicU64,
}

impl Counters {
    fn file(&self, bytes: u64) {
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }
}

/// How to read: the rules, the clock and the options of the scan.
pub struct ReadEnv<'a> {
    /// The rules whose patterns the pass checks.
    pub rules: &'a RuleSet,
    /// Reference time and stall threshold.
    pub clock: Clock,
    /// Only runs created at or after this time.
    pub since: Option<Millis>,
    /// Check recorded pids on this machine.
    pub check_pids: bool,
    /// `~/.codex/sessions`, for CLI versions from rollout files.
    pub codex_sessions: Option<&'a Path>,
    /// Redacts evidence before it is capped, when the output will be redacted.
    pub redactor: Option<&'a crate::redact::Redactor>,
    /// The scanned roots: a record's `logFile` outside its own folder is read only when it
    /// lies under one of them (never a file the user did not point the scan at).
    pub scan_roots: &'a [PathBuf],
}

/// Where the bytes of a job's file come from: disk, or memory (rule self-tests).
#[derive(Debug)]
pub enum Input {
    /// A file on disk.
    File(PathBuf),
    /// Bytes in memory, cited under this path.
    Memory(PathBuf, Vec<u8>),
}

impl Input {
    fn path(&self) -> &Path {
        match self {
            Input::File(p) | Input::Memory(p, _) => p,
        }
    }
}

/// What a state directory tells all its runs.
#[derive(Debug, Clone)]
pub struct DirContext {
    /// Layout it was found in.
    pub root_kind: StateRoot,
    /// Workspace from the directory name.
    pub workspace: Workspace,
    /// Platform from `broker.json`.
    pub broker_platform: Option<Platform>,
    /// The index file as cited in runs.
    pub index_shared: Option<SharedPath>,
    /// The index's `config.stopReviewGate`.
    pub stop_review_gate: Option<bool>,
    /// Whether this workspace is split across layouts in this scan.
    pub workspace_split: bool,
}

/// One job to read.
#[derive(Debug)]
pub struct JobTask {
    /// Job id.
    pub id: String,
    /// The job JSON.
    pub record: Option<Input>,
    /// The job log.
    pub log: Option<Input>,
    /// Its `state.json` entry.
    pub index_entry: Option<JobRecord>,
}

/// The workspace a state directory's name gives (per-run folders carry no hash).
pub fn dir_workspace(dir: &StateDir) -> Workspace {
    let name = dir.path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if dir.root_kind == StateRoot::PerRun {
        Workspace {
            slug: name.to_string(),
            hash: None,
            root: None,
        }
    } else {
        Workspace::from_dir_name(name)
    }
}

/// Reads a state directory's index and broker file and lists its jobs (files and index
/// entries, merged by id).
pub fn prepare_dir(
    mut dir: StateDir,
    split: &HashSet<String>,
    warnings: &Warnings,
    counters: &Counters,
) -> (DirContext, Vec<JobTask>) {
    let mut w = Vec::new();
    let index = match &dir.index {
        Some(p) => {
            counters.file(0);
            record::read_index(p, &mut w)
        }
        None => record::Index::default(),
    };
    let broker_platform = dir.broker.as_ref().and_then(|b| {
        counters.file(0);
        platform::broker_platform(b, &mut w)
    });
    warnings.extend(w);
    let workspace = dir_workspace(&dir);
    let mut ids: Vec<String> = dir.jobs.keys().cloned().collect();
    for id in &index.order {
        if !dir.jobs.contains_key(id) {
            ids.push(id.clone());
        }
    }
    if let Some(only) = &dir.only {
        ids.retain(|i| only.contains(i));
    }
    let mut entries = index.entries;
    let tasks = ids
        .into_iter()
        .map(|id| {
            // Moved, not cloned: the task owns its files until it is read.
            let JobFiles { record, log } = dir.jobs.remove(&id).unwrap_or_default();
            JobTask {
                record: record.map(|r| Input::File(dir.file(&r))),
                log: log.map(|l| Input::File(dir.file(&l))),
                index_entry: entries.remove(&id),
                id,
            }
        })
        .collect();
    let ctx = DirContext {
        root_kind: dir.root_kind,
        workspace_split: workspace.hash.as_ref().is_some_and(|h| split.contains(h)),
        workspace,
        broker_platform,
        index_shared: dir.index.as_ref().map(|p| p.display().to_string().into()),
        stop_review_gate: index.stop_review_gate,
    };
    (ctx, tasks)
}

/// The merged record of a job and where its fields were read from.
struct Loaded {
    rec: JobRecord,
    /// The job file's bytes, for `file:line` lookups.
    raw: Vec<u8>,
    from_file: bool,
    had_index: bool,
}

fn load_record(t: &mut JobTask, w: &mut Vec<Warning>, counters: &Counters) -> Loaded {
    let mut raw = Vec::new();
    let file_job = t.record.take().and_then(|input| {
        let f = match input {
            Input::File(p) => {
                let f = record::read_json(&p, w);
                t.record = Some(Input::File(p));
                f
            }
            Input::Memory(p, bytes) => {
                let f = record::parse_json(&p, bytes, w);
                t.record = Some(Input::Memory(p, Vec::new()));
                f
            }
        };
        counters.file(f.raw.len() as u64);
        raw = f.raw;
        let p = t.record.as_ref().map(Input::path)?;
        match f.value {
            Some(Value::Object(o)) => Some(JobRecord::from_object(&o, p, Some(&raw), w)),
            Some(_) => {
                w.push(Warning::new(p, "job record is not a JSON object; ignored"));
                None
            }
            None => None,
        }
    });
    let had_index = t.index_entry.is_some();
    let from_file = file_job.is_some();
    let rec = JobRecord::merge(t.index_entry.take(), file_job);
    if let Some(rid) = &rec.id
        && rid != &t.id
        && let Some(p) = &t.record
    {
        w.push(Warning::new(
            p.path(),
            format!(
                "record id `{rid}` differs from the file name; using `{}`",
                t.id
            ),
        ));
    }
    Loaded {
        rec,
        raw,
        from_file,
        had_index,
    }
}

/// The file a record's `logFile` names, when the job has no log beside its record and that
/// file exists under one of the scanned roots (a job whose log another plugin's data dir
/// holds). Its evidence is then read like any job log.
fn log_file_in_roots(log_file: Option<&str>, roots: &[PathBuf]) -> Option<PathBuf> {
    let p = Path::new(log_file?);
    if !p.is_absolute() || !p.is_file() {
        return None;
    }
    let canon = p.canonicalize().ok()?;
    roots
        .iter()
        .filter_map(|r| r.canonicalize().ok())
        .any(|r| canon.starts_with(&r))
        .then_some(canon)
}

/// Reads one job into a [`ReadRun`]; `None` when it is older than `--since`.
pub fn read_run(
    mut t: JobTask,
    ctx: &DirContext,
    env: &ReadEnv<'_>,
    w: &mut Vec<Warning>,
    counters: &Counters,
) -> Option<ReadRun> {
    let loaded = load_record(&mut t, w, counters);
    if t.log.is_none() {
        t.log = log_file_in_roots(loaded.rec.log_file.as_deref(), env.scan_roots).map(Input::File);
    }
    let created_at = loaded
        .rec
        .created_at
        .or_else(|| record::time_from_id(&t.id));
    if let (Some(since), Some(created)) = (env.since, created_at)
        && created < since
    {
        return None;
    }
    let cited = Cited::new(&t, ctx, &loaded);
    let evidence = read_evidence(t.log.take(), &loaded, &cited, env, w, counters);
    let ended = decide_ending(&loaded.rec, &evidence.ending, created_at, &cited, env);
    Some(assemble(t.id, ctx, env, &loaded, cited, evidence, ended))
}

/// How a run's files are cited in its summary and findings.
struct Cited {
    /// The job file.
    record: Option<SharedPath>,
    /// The job log.
    log: Option<SharedPath>,
    /// The index, when the record came (partly) from it.
    index: Option<SharedPath>,
    /// The file record fields are cited in: the job file, else the index.
    rec_file: SharedPath,
}

impl Cited {
    fn new(t: &JobTask, ctx: &DirContext, loaded: &Loaded) -> Cited {
        let shared = |i: &Option<Input>| -> Option<SharedPath> {
            i.as_ref().map(|i| i.path().display().to_string().into())
        };
        let record = shared(&t.record);
        let index = ctx.index_shared.clone().filter(|_| loaded.had_index);
        let rec_file = record
            .clone()
            .filter(|_| loaded.from_file)
            .or(index.clone())
            .unwrap_or_default();
        Cited {
            record,
            log: shared(&t.log),
            index,
            rec_file,
        }
    }

    /// The log as cited, empty when the run has none.
    fn log_display(&self) -> SharedPath {
        self.log.clone().unwrap_or_default()
    }
}

/// What the one pass over a run's record fields and log found.
struct Evidence<'a> {
    hits: HitCollector<'a>,
    ending: LogEnding,
    cmd_platform: CommandPlatform,
    errors: pass::ErrorLines,
    /// The job file's line of `errorMessage`.
    error_line: Option<u64>,
}

/// Checks the record's fields, then reads the log through the pass and the ending, platform
/// and error-line sinks.
fn read_evidence<'a>(
    log: Option<Input>,
    loaded: &Loaded,
    cited: &Cited,
    env: &ReadEnv<'a>,
    w: &mut Vec<Warning>,
    counters: &Counters,
) -> Evidence<'a> {
    let key_line = |k: &str| {
        if loaded.from_file {
            record::line_of_key(&loaded.raw, k)
        } else {
            None
        }
    };
    let mut hits = HitCollector::new(env.rules, env.redactor);
    check_record_fields(&loaded.rec, &cited.rec_file, &key_line, &mut hits);
    let log_display = cited.log_display();
    let mut ending = LogEnding::default();
    let mut cmd_platform = CommandPlatform::default();
    let mut errors = pass::ErrorLines::default();
    if let Some(input) = log {
        read_log(
            input,
            &log_display,
            &mut hits,
            &mut [&mut ending, &mut cmd_platform, &mut errors],
            w,
            counters,
        );
    }
    hits.check_last(ending.last_entry.as_ref(), &log_display);
    Evidence {
        hits,
        ending,
        cmd_platform,
        errors,
        error_line: key_line("errorMessage"),
    }
}

/// A run's times, pid liveness and outcome.
struct Ended {
    created_at: Option<Millis>,
    last_activity_at: Option<Millis>,
    pid_alive: Option<bool>,
    outcome: Outcome,
    outcome_reason: String,
}

/// Decides how a run ended from its record, its log's ending and its pid.
fn decide_ending(
    rec: &JobRecord,
    ending: &LogEnding,
    created_at: Option<Millis>,
    cited: &Cited,
    env: &ReadEnv<'_>,
) -> Ended {
    let last_activity_at = [ending.last_ts, rec.updated_at, rec.completed_at]
        .into_iter()
        .chain([rec.started_at, created_at])
        .flatten()
        .max();
    // Pids are only meaningful where the job ran: when the record's logFile is the log read.
    let actual_log = cited
        .log
        .as_deref()
        .filter(|_| env.check_pids)
        .map(Path::new);
    let pid_alive = pid::alive(rec.pid, rec.log_file.as_deref(), actual_log);
    let (outcome, outcome_reason) = outcome::decide(
        rec,
        ending,
        last_activity_at,
        pid_alive,
        env.clock,
        env.redactor,
    );
    Ended {
        created_at,
        last_activity_at,
        pid_alive,
        outcome,
        outcome_reason,
    }
}

/// Record fields, each in its scope: error fields `error`, output fields `output`.
fn check_record_fields(
    rec: &JobRecord,
    rec_file: &SharedPath,
    key_line: &dyn Fn(&str) -> Option<u64>,
    c: &mut HitCollector<'_>,
) {
    if let Some(e) = &rec.error_message {
        c.check_field(e, SCOPE_ERROR, rec_file, key_line("errorMessage"));
    }
    if let Some(r) = &rec.rendered {
        c.check_field(r, SCOPE_OUTPUT, rec_file, key_line("rendered"));
    }
    let Some(result) = &rec.result else {
        return;
    };
    let field = |path: &[&str]| -> Option<&str> {
        let mut cur = result;
        for k in path {
            cur = cur.get(k)?;
        }
        cur.as_str()
    };
    for (path, scope, key) in [
        (&["rawOutput"][..], SCOPE_OUTPUT, "rawOutput"),
        (&["codex", "stdout"][..], SCOPE_OUTPUT, "stdout"),
        (&["codex", "stderr"][..], SCOPE_ERROR, "stderr"),
        (&["parseError"][..], SCOPE_ERROR, "parseError"),
    ] {
        if let Some(s) = field(path) {
            c.check_field(s, scope, rec_file, key_line(key));
        }
    }
    if let Some(inner) = result.get("result") {
        let mut strings = Vec::new();
        collect_strings(inner, &mut strings, 0);
        let line = key_line("result");
        for s in strings {
            c.check_field(s, SCOPE_OUTPUT, rec_file, line);
        }
    }
}

/// The log, in one pass; warnings name the file.
fn read_log(
    input: Input,
    display: &SharedPath,
    hits: &mut HitCollector<'_>,
    sinks: &mut [&mut dyn LineSink],
    w: &mut Vec<Warning>,
    counters: &Counters,
) {
    let path = input.path().to_path_buf();
    counters.file(0);
    let res = match input {
        Input::File(p) => match crate::fsutil::open_regular(&p) {
            Ok(f) => pass::search_log(f, display, hits, sinks),
            Err(e) => {
                w.push(Warning::new(&p, e));
                return;
            }
        },
        Input::Memory(_, bytes) => pass::search_log(&bytes[..], display, hits, sinks),
    };
    match res {
        Ok(read) => {
            counters.bytes.fetch_add(read.bytes, Ordering::Relaxed);
            if read.lossy {
                w.push(Warning::new(&path, "not valid UTF-8; decoded lossily"));
            }
            for l in &read.truncated {
                w.push(Warning::at_line(
                    &path,
                    *l,
                    format!(
                        "line longer than {} MiB; only its start was read",
                        crate::log::MAX_LINE_BYTES >> 20
                    ),
                ));
            }
        }
        Err(e) => {
            w.push(Warning::new(&path, format!("read error: {e}")));
        }
    }
}

/// Strings of `result.result` (adversarial findings), depth-limited.
fn collect_strings<'v>(v: &'v Value, out: &mut Vec<&'v str>, depth: usize) {
    if depth > 8 {
        return;
    }
    match v {
        Value::String(s) => out.push(s),
        Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out, depth + 1)),
        Value::Object(o) => o.values().for_each(|x| collect_strings(x, out, depth + 1)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_file_is_followed_only_inside_the_scanned_roots() {
        let root = tempfile::tempdir().expect("temp dir");
        let other = tempfile::tempdir().expect("temp dir");
        let inside = root.path().join("other-plugin/state/jobs/task-x.log");
        std::fs::create_dir_all(inside.parent().unwrap()).unwrap();
        std::fs::write(&inside, "[codex] Turn started (t).\n").unwrap();
        let outside = other.path().join("task-y.log");
        std::fs::write(&outside, "x\n").unwrap();
        let roots = [root.path().to_path_buf()];
        let s = |p: &Path| p.display().to_string();
        assert_eq!(
            log_file_in_roots(Some(&s(&inside)), &roots),
            Some(inside.canonicalize().unwrap())
        );
        assert_eq!(log_file_in_roots(Some(&s(&outside)), &roots), None);
        assert_eq!(
            log_file_in_roots(Some(&s(&root.path().join("missing.log"))), &roots),
            None
        );
        assert_eq!(log_file_in_roots(Some("jobs/task-x.log"), &roots), None);
        assert_eq!(log_file_in_roots(None, &roots), None);
    }
}
