//! The scan pipeline: discover → read each job (record + index merge, log grammar, one
//! matching pass) in parallel → classify → cluster.

use crate::classify;
use crate::cluster::{self, Cluster};
use crate::discover::{self, JobFiles, StateDir};
use crate::log::{self, LineKind, LogGrammar};
use crate::record::{self, JobRecord};
use crate::rules::RuleSet;
use crate::run::{
    self, EVIDENCE_CHARS, Finding, LineRef, Run, SharedPath, Sources, Workspace, cap_text,
};
use crate::timefmt::{Millis, format_iso, human_span};
use crate::versions::{self, VersionFacts};
use crate::vocab::{
    Outcome, Platform, SCOPE_COMMAND, SCOPE_ERROR, SCOPE_OUTPUT, ScopeSet, StateRoot, Status,
};
use crate::warn::{Warning, Warnings};
use memchr::memmem;
use rayon::prelude::*;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// Matched lines kept per pattern per run.
const LINES_PER_PATTERN: usize = 3;

/// What to scan and how.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Paths given by the user; empty = default roots.
    pub paths: Vec<PathBuf>,
    /// An active run idle this long is stalled.
    pub stall_after: Millis,
    /// The reference time ("now").
    pub now: Millis,
    /// Only runs created at or after this time.
    pub since: Option<Millis>,
    /// Worker threads (None = one per core).
    pub threads: Option<usize>,
    /// Draw a progress bar (only honoured on a terminal).
    pub progress: bool,
    /// Check recorded pids on this machine (only for records written here).
    pub check_pids: bool,
    /// `~/.codex/sessions`, for CLI versions from rollout files.
    pub codex_sessions: Option<PathBuf>,
}

impl ScanOptions {
    /// Options with the defaults of the command line.
    pub fn new(paths: Vec<PathBuf>, now: Millis) -> ScanOptions {
        ScanOptions {
            paths,
            stall_after: 30 * 60_000,
            now,
            since: None,
            threads: None,
            progress: false,
            check_pids: true,
            codex_sessions: versions::default_sessions_dir(),
        }
    }
}

/// Totals of what was read.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Scanned {
    /// Roots scanned.
    pub roots: Vec<String>,
    /// Jobs (runs) reported.
    pub jobs: u64,
    /// Files read.
    pub files: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Distinct workspaces.
    pub workspaces: u64,
}

/// Everything a scan produced.
#[derive(Debug)]
pub struct ScanResult {
    /// Totals.
    pub scanned: Scanned,
    /// Runs, sorted by creation time then id.
    pub runs: Vec<Run>,
    /// Clusters, largest and most severe first.
    pub clusters: Vec<Cluster>,
    /// Problems met.
    pub warnings: Vec<Warning>,
    /// The reference time used.
    pub now: Millis,
}

struct DirContext {
    dir: StateDir,
    workspace: Workspace,
    broker_platform: Option<Platform>,
    /// The index file as cited in runs.
    index_shared: Option<SharedPath>,
    /// The data tree the directory belongs to (see `Run::origin`).
    origin: SharedPath,
}

struct JobTask {
    id: String,
    files: JobFiles,
    index_entry: Option<JobRecord>,
}

/// Runs the whole pipeline.
pub fn scan(opts: &ScanOptions, rules: &RuleSet) -> ScanResult {
    let found = discover::discover(&opts.paths);
    let warnings = Warnings::default();
    warnings.extend(found.warnings);
    let files_read = AtomicU64::new(0);
    let bytes_read = AtomicU64::new(0);

    // One state directory at a time per worker: its index is read, its jobs are read and
    // classified, and only their summaries are kept. Nothing of a directory waits in memory
    // for its turn (the index entries of every job would otherwise be held at once).
    let dirs = found.state_dirs;
    let bar = progress_bar(
        opts.progress,
        dirs.iter().map(|d| d.jobs.len() as u64).sum(),
    );
    let work = || {
        dirs.into_par_iter()
            .flat_map_iter(|dir| {
                let (ctx, tasks) = prepare_dir(dir, &warnings, &files_read);
                let runs: Vec<(Run, Option<Vec<Finding>>)> = tasks
                    .into_par_iter()
                    .filter_map(|mut t| {
                        let mut w = Vec::new();
                        let r =
                            read_run(&mut t, &ctx, rules, opts, &mut w, &files_read, &bytes_read);
                        if !w.is_empty() {
                            warnings.extend(w);
                        }
                        if let Some(b) = &bar {
                            b.inc(1);
                        }
                        r.map(|r| classify_early(r, rules, opts.now))
                    })
                    .collect();
                runs
            })
            .collect::<Vec<(Run, Option<Vec<Finding>>)>>()
    };
    let read = match opts.threads {
        Some(n) => match rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build()
        {
            Ok(pool) => pool.install(work),
            Err(_) => work(),
        },
        None => work(),
    };
    if let Some(b) = bar {
        b.finish_and_clear();
    }

    let split = split_workspaces(read.iter().map(|(r, _)| r));
    // In place: the runs are most of the memory a scan holds.
    let mut runs: Vec<Run> = read
        .into_iter()
        .map(|(mut r, alt)| {
            let is_split = r.workspace.hash.as_ref().is_some_and(|h| split.contains(h));
            if is_split && let Some(f) = alt {
                r.findings = f;
            }
            r
        })
        .collect();
    runs.sort_by(|a, b| {
        a.created_at
            .cmp(&b.created_at)
            .then_with(|| a.id.cmp(&b.id))
    });
    let clusters = cluster::build(&runs, rules);
    let mut ws: Vec<String> = runs.iter().map(|r| r.workspace.key()).collect();
    ws.sort();
    ws.dedup();
    ScanResult {
        scanned: Scanned {
            roots: found
                .roots
                .iter()
                .map(|r| r.display().to_string())
                .collect(),
            jobs: runs.len() as u64,
            files: files_read.load(Ordering::Relaxed),
            bytes: bytes_read.load(Ordering::Relaxed),
            workspaces: ws.len() as u64,
        },
        runs,
        clusters,
        warnings: warnings.into_sorted(),
        now: opts.now,
    }
}

/// Reads a state directory's index and broker file and lists its jobs (files and index
/// entries, merged by id).
fn prepare_dir(
    mut dir: StateDir,
    warnings: &Warnings,
    files_read: &AtomicU64,
) -> (DirContext, Vec<JobTask>) {
    let mut w = Vec::new();
    let index = match &dir.index {
        Some(p) => {
            files_read.fetch_add(1, Ordering::Relaxed);
            record::read_index(p, &mut w)
        }
        None => record::Index::default(),
    };
    let broker_platform = dir.broker.as_ref().and_then(|b| {
        files_read.fetch_add(1, Ordering::Relaxed);
        broker_platform(b, &mut w)
    });
    warnings.extend(w);
    let name = dir.path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let workspace = if dir.root_kind == StateRoot::PerRun {
        Workspace {
            slug: name.to_string(),
            hash: None,
            root: None,
        }
    } else {
        Workspace::from_dir_name(name)
    };
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
        .map(|id| JobTask {
            // Moved, not cloned: the task owns its files until it is read.
            files: dir.jobs.remove(&id).unwrap_or_default(),
            index_entry: entries.remove(&id),
            id,
        })
        .collect();
    let origin: SharedPath = dir
        .path
        .parent()
        .and_then(Path::parent)
        .map(|p| p.display().to_string())
        .unwrap_or_default()
        .into();
    let index_shared = dir
        .index
        .as_ref()
        .map(|p| SharedPath::from(p.display().to_string()));
    let ctx = DirContext {
        index_shared,
        origin,
        dir,
        workspace,
        broker_platform,
    };
    (ctx, tasks)
}

/// Classifies a run as soon as it is read, so its raw hits and their lines (the bulk of a
/// run in memory) are dropped before the next runs are read. Whether its workspace is split
/// is only known once every run is read: the findings for a split workspace are kept too,
/// when they differ.
fn classify_early(mut r: Run, rules: &RuleSet, now: Millis) -> (Run, Option<Vec<Finding>>) {
    let alone = classify::findings(&r, rules, now, false);
    let split = classify::findings(&r, rules, now, true);
    let alt = (split != alone).then_some(split);
    r.findings = alone;
    r.hits = BTreeMap::new();
    r.hit_lines = BTreeMap::new();
    (r, alt)
}

fn progress_bar(wanted: bool, total: u64) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    // Small scans finish before a bar would be readable.
    if !wanted || total < 500 || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} scanning {pos}/{len} jobs {wide_bar} {eta}",
    ) {
        bar.set_style(style);
    }
    Some(bar)
}

/// Workspace hashes with runs under both a plugin-data root and a tmp-fallback root of the
/// same machine: either the same data tree (both folders side by side) or different scan
/// roots (the default roots, or several paths given). One given folder holding many unpacked
/// trees is many machines, so its trees are not paired with each other.
fn split_workspaces<'r>(runs: impl Iterator<Item = &'r Run>) -> std::collections::HashSet<String> {
    type Origins<'a> = Vec<&'a (usize, SharedPath)>;
    let mut by_hash: HashMap<&str, (Origins, Origins)> = HashMap::new();
    for r in runs {
        if let Some(h) = &r.workspace.hash {
            let e = by_hash.entry(h).or_default();
            match r.state_root {
                StateRoot::PluginData => e.0.push(&r.origin),
                StateRoot::TmpFallback => e.1.push(&r.origin),
                _ => {}
            }
        }
    }
    by_hash
        .into_iter()
        .filter(|(_, (data, tmp))| {
            data.iter()
                .any(|a| tmp.iter().any(|b| a.1 == b.1 || a.0 != b.0))
        })
        .map(|(h, _)| h.to_string())
        .collect()
}

fn broker_platform(path: &Path, w: &mut Vec<Warning>) -> Option<Platform> {
    let f = record::read_json(path, w);
    let ep = f.value?.get("endpoint")?.as_str()?.to_string();
    if ep.starts_with("pipe:") {
        Some(Platform::Windows)
    } else if ep.starts_with("unix:") {
        run::platform_of_path(ep.trim_start_matches("unix:"))
    } else {
        None
    }
}

/// Per-run matching state while its files are read.
struct Collect<'a> {
    rules: &'a RuleSet,
    hits: BTreeMap<usize, u32>,
    lines: BTreeMap<usize, Vec<LineRef>>,
    seen: Vec<u32>,
    found: Vec<usize>,
    facts: VersionFacts,
}

impl<'a> Collect<'a> {
    fn new(rules: &'a RuleSet) -> Collect<'a> {
        Collect {
            rules,
            hits: BTreeMap::new(),
            lines: BTreeMap::new(),
            seen: Vec::new(),
            found: Vec::new(),
            facts: VersionFacts::default(),
        }
    }

    /// Checks one line of text in the given scopes; cites `file:line` on a hit.
    fn check(&mut self, text: &[u8], scopes: ScopeSet, file: &SharedPath, line: Option<u64>) {
        let mut found = std::mem::take(&mut self.found);
        found.clear();
        self.rules
            .matcher
            .verify_line(text, scopes, &mut self.seen, &mut |p| found.push(p));
        for &p in &found {
            *self.hits.entry(p).or_insert(0) += 1;
            let v = self.lines.entry(p).or_default();
            if v.len() < LINES_PER_PATTERN {
                v.push(LineRef {
                    file: file.clone(),
                    line,
                    text: cap_text(&String::from_utf8_lossy(text), EVIDENCE_CHARS),
                });
            }
        }
        self.found = found;
    }

    /// Checks every line of a record field.
    fn check_field(&mut self, value: &str, scopes: ScopeSet, file: &SharedPath, line: Option<u64>) {
        self.facts.observe(value.as_bytes());
        // Fields are read in scan scopes only: without a scan literal no line can match.
        if self
            .rules
            .matcher
            .next_scan_candidate(value.as_bytes(), 0)
            .is_none()
            && !self.rules.matcher.has_unfiltered()
        {
            return;
        }
        // A field is one JSON line however many lines its value has: cite the key's line.
        for l in value.lines() {
            self.check(l.as_bytes(), scopes, file, line);
        }
    }
}

/// What the log pass learned besides pattern hits.
#[derive(Default)]
struct LogFacts {
    first_ts: Option<Millis>,
    last_ts: Option<Millis>,
    last_entry: Option<(u64, String)>,
    last_message: Option<(u64, String)>,
    last_error: Option<(u64, String)>,
    cancelled: bool,
    final_output: bool,
    turn_failed: bool,
    platform: Option<(Platform, bool)>,
    lossy: bool,
    truncated: Vec<u64>,
}

fn scan_log(
    path: &Path,
    display: &SharedPath,
    c: &mut Collect<'_>,
    w: &mut Vec<Warning>,
) -> Option<(LogFacts, u64)> {
    let file = match open_regular(path) {
        Ok(f) => f,
        Err(e) => {
            w.push(Warning::new(path, e));
            return None;
        }
    };
    let mut g = LogGrammar::new();
    let mut lf = LogFacts::default();
    let matcher = &c.rules.matcher;
    let unfiltered = matcher.has_unfiltered();
    let res = log::for_each_chunk(file, |first, chunk, truncated| {
        if truncated {
            lf.truncated.push(first);
        }
        if !lf.lossy && std::str::from_utf8(chunk).is_err() {
            lf.lossy = true;
        }
        // One search of the whole chunk finds the next line worth verifying; the lines
        // before it only go through the grammar.
        let mut cand = matcher.next_scan_candidate(chunk, 0);
        // Lines that may name a version: see `observe_versions`.
        let mut version_cand = next_version_marker(&c.facts, chunk, 0);
        let mut pos = 0usize;
        for (number, line) in (first..).zip(log::lines_of(chunk)) {
            let line_end = pos + line.len();
            let info = g.step(line);
            match info.kind {
                LineKind::Entry | LineKind::BlockHeader => {
                    if let Some(ts) = info.ts {
                        lf.first_ts.get_or_insert(ts);
                        lf.last_ts = Some(lf.last_ts.map_or(ts, |l| l.max(ts)));
                    }
                    let text = info.text;
                    if info.kind == LineKind::BlockHeader {
                        if text == b"Final output" {
                            lf.final_output = true;
                        }
                    } else if info.scopes & SCOPE_ERROR != 0 {
                        lf.last_error = Some((number, String::from_utf8_lossy(text).into_owned()));
                    } else if text == b"Cancelled by user." {
                        lf.cancelled = true;
                    } else if text == b"Turn failed." || text == b"Turn interrupted." {
                        lf.turn_failed = true;
                    }
                    if info.scopes & SCOPE_COMMAND != 0 {
                        observe_platform(&mut lf.platform, text);
                    }
                    if info.kind == LineKind::Entry {
                        set_line(&mut lf.last_message, number, text);
                    }
                    set_line(&mut lf.last_entry, number, text);
                }
                _ => {}
            }
            let hit = cand.is_some_and(|c| c <= line_end);
            if hit || unfiltered {
                c.facts.observe(info.text);
                c.check(info.text, info.scopes, display, Some(number));
            } else if version_cand.is_some_and(|v| v <= line_end) {
                observe_versions(c, line, info.text);
            }
            if hit {
                cand = matcher.next_scan_candidate(chunk, line_end + 1);
            }
            if version_cand.is_some_and(|v| v <= line_end) {
                version_cand = next_version_marker(&c.facts, chunk, line_end + 1);
            }
            pos = line_end + 1;
        }
        true
    });
    match res {
        Ok(bytes) => {
            if lf.lossy {
                w.push(Warning::new(path, "not valid UTF-8; decoded lossily"));
            }
            for l in &lf.truncated {
                w.push(Warning::at_line(
                    path,
                    *l,
                    format!(
                        "line longer than {} MiB; only its start was read",
                        log::MAX_LINE_BYTES >> 20
                    ),
                ));
            }
            Some((lf, bytes))
        }
        Err(e) => {
            w.push(Warning::new(path, format!("read error: {e}")));
            Some((lf, 0))
        }
    }
}

static CLI_MARK: LazyLock<memmem::Finder<'static>> = LazyLock::new(|| memmem::Finder::new("cli"));
static CACHE_MARK: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new("cache"));
static WINDOWS_MARKS: LazyLock<[memmem::Finder<'static>; 4]> = LazyLock::new(|| {
    [
        memmem::Finder::new("powershell.exe"),
        memmem::Finder::new("pwsh.exe"),
        memmem::Finder::new("cmd.exe"),
        memmem::Finder::new("\\WindowsApps\\"),
    ]
});

/// Replaces the text of a remembered line, reusing its buffer (this runs for every entry).
fn set_line(slot: &mut Option<(u64, String)>, number: u64, text: &[u8]) {
    let s = match slot {
        Some((n, s)) => {
            *n = number;
            s.clear();
            s
        }
        None => &mut slot.insert((number, String::new())).1,
    };
    match std::str::from_utf8(text) {
        Ok(t) => s.push_str(t),
        Err(_) => s.push_str(&String::from_utf8_lossy(text)),
    }
}

/// The platform a command line names: the first one found, upgraded once by a strong
/// (Windows) marker. Same result as applying [`run::platform_of_command`] to every command
/// line, without searching for the weak markers once one was seen.
fn observe_platform(slot: &mut Option<(Platform, bool)>, cmd: &[u8]) {
    match slot {
        None => *slot = run::platform_of_command(cmd),
        Some((_, false)) => {
            if WINDOWS_MARKS.iter().any(|f| f.find(cmd).is_some()) {
                *slot = Some((Platform::Windows, true));
            }
        }
        Some((_, true)) => {}
    }
}

/// Where the next line that could give a still-unknown version starts to matter: the next
/// `cli` or `cache` at or after `from` (the markers [`VersionFacts::observe`] looks for).
fn next_version_marker(facts: &VersionFacts, hay: &[u8], from: usize) -> Option<usize> {
    let hay = hay.get(from..)?;
    let cli = facts
        .cli_version
        .is_none()
        .then(|| CLI_MARK.find(hay))
        .flatten();
    let cache = facts
        .plugin_version
        .is_none()
        .then(|| CACHE_MARK.find(hay))
        .flatten();
    match (cli, cache) {
        (Some(a), Some(b)) => Some(from + a.min(b)),
        (a, b) => a.or(b).map(|p| from + p),
    }
}

/// Versions are read from every line that holds a literal of some pattern (of any scope;
/// the scan prefilter only covers scan scopes). For a line the scan prefilter skipped, only
/// a line with a version marker in its text can change the facts: check those.
fn observe_versions(c: &mut Collect<'_>, raw_line: &[u8], text: &[u8]) {
    let wants = (c.facts.cli_version.is_none() && CLI_MARK.find(text).is_some())
        || (c.facts.plugin_version.is_none() && CACHE_MARK.find(text).is_some());
    if wants && c.rules.matcher.has_literal(raw_line) {
        c.facts.observe(text);
    }
}

/// Opens a file only if it is a regular file: a FIFO must never block the scan.
fn open_regular(path: &Path) -> Result<std::fs::File, String> {
    crate::fsutil::open_regular(path)
}

/// Is `pid` alive on this machine? Only answerable on Linux via /proc; `None` elsewhere.
fn process_alive(pid: i64) -> Option<bool> {
    if cfg!(target_os = "linux") && pid > 0 {
        Some(Path::new("/proc").join(pid.to_string()).exists())
    } else {
        None
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

fn read_run(
    t: &mut JobTask,
    ctx: &DirContext,
    rules: &RuleSet,
    opts: &ScanOptions,
    w: &mut Vec<Warning>,
    files_read: &AtomicU64,
    bytes_read: &AtomicU64,
) -> Option<Run> {
    let mut c = Collect::new(rules);
    let mut raw = Vec::new();
    let file_rec = t.files.record.as_ref().and_then(|p| {
        files_read.fetch_add(1, Ordering::Relaxed);
        let f = record::read_json(p, w);
        bytes_read.fetch_add(f.raw.len() as u64, Ordering::Relaxed);
        raw = f.raw;
        match f.value {
            Some(Value::Object(o)) => Some((JobRecord::from_object(&o, p, Some(&raw), w), o)),
            Some(_) => {
                w.push(Warning::new(p, "job record is not a JSON object; ignored"));
                None
            }
            None => None,
        }
    });
    let (file_job, file_obj) = match file_rec {
        Some((j, o)) => (Some(j), Some(o)),
        None => (None, None),
    };
    let had_index = t.index_entry.is_some();
    let from_file = file_job.is_some();
    let rec = JobRecord::merge(t.index_entry.take(), file_job);
    if let Some(rid) = &rec.id
        && rid != &t.id
        && let Some(p) = &t.files.record
    {
        w.push(Warning::new(
            p,
            format!(
                "record id `{rid}` differs from the file name; using `{}`",
                t.id
            ),
        ));
    }
    let created_at = rec.created_at.or_else(|| record::time_from_id(&t.id));
    if let (Some(since), Some(created)) = (opts.since, created_at)
        && created < since
    {
        return None;
    }

    // Record fields, in their scopes.
    let record_shared: Option<SharedPath> = t
        .files
        .record
        .as_ref()
        .map(|p| p.display().to_string().into());
    let log_shared: Option<SharedPath> =
        t.files.log.as_ref().map(|p| p.display().to_string().into());
    let rec_file: SharedPath = record_shared
        .clone()
        .filter(|_| from_file)
        .or(ctx.index_shared.clone().filter(|_| had_index))
        .unwrap_or_default();
    let key_line = |k: &str| {
        if from_file {
            record::line_of_key(&raw, k)
        } else {
            None
        }
    };
    if let Some(e) = &rec.error_message {
        c.check_field(e, SCOPE_ERROR, &rec_file, key_line("errorMessage"));
    }
    if let Some(r) = &rec.rendered {
        c.check_field(r, SCOPE_OUTPUT, &rec_file, key_line("rendered"));
    }
    if let Some(result) = &rec.result {
        let field = |v: &Value, path: &[&str]| -> Option<String> {
            let mut cur = v;
            for k in path {
                cur = cur.get(k)?;
            }
            cur.as_str().map(str::to_string)
        };
        for (path, scope, key) in [
            (&["rawOutput"][..], SCOPE_OUTPUT, "rawOutput"),
            (&["codex", "stdout"][..], SCOPE_OUTPUT, "stdout"),
            (&["codex", "stderr"][..], SCOPE_ERROR, "stderr"),
            (&["parseError"][..], SCOPE_ERROR, "parseError"),
        ] {
            if let Some(s) = field(result, path) {
                c.check_field(&s, scope, &rec_file, key_line(key));
            }
        }
        if let Some(inner) = result.get("result") {
            let mut strings = Vec::new();
            collect_strings(inner, &mut strings, 0);
            let line = key_line("result");
            for s in strings {
                c.check_field(s, SCOPE_OUTPUT, &rec_file, line);
            }
        }
    }
    let error_line = key_line("errorMessage");
    drop(file_obj);
    drop(raw);

    // The log, in one pass.
    let log_facts = t.files.log.as_ref().and_then(|p| {
        files_read.fetch_add(1, Ordering::Relaxed);
        let (lf, bytes) = scan_log(p, log_shared.as_ref()?, &mut c, w)?;
        bytes_read.fetch_add(bytes, Ordering::Relaxed);
        Some(lf)
    });
    let lf = log_facts.unwrap_or_default();
    let log_display = log_shared;

    // `last`-scope patterns read only the last entry.
    if let Some((line, text)) = &lf.last_entry {
        for &g in &rules.last_patterns {
            if rules.matcher.is_match(g, text.as_bytes()) {
                *c.hits.entry(g).or_insert(0) += 1;
                c.lines.entry(g).or_default().push(LineRef {
                    file: log_display.clone().unwrap_or_default(),
                    line: Some(*line),
                    text: cap_text(text, EVIDENCE_CHARS),
                });
            }
        }
    }

    let last_activity_at = [
        lf.last_ts,
        rec.updated_at,
        rec.completed_at,
        rec.started_at,
        created_at,
    ]
    .into_iter()
    .flatten()
    .max();

    // Pids are only meaningful where the job ran: when the record's logFile is the log we read.
    let local = opts.check_pids
        && match (&rec.log_file, &t.files.log) {
            (Some(lf_path), Some(actual)) => {
                let a = std::fs::canonicalize(actual).ok();
                let b = std::fs::canonicalize(lf_path).ok();
                a.is_some() && a == b
            }
            _ => false,
        };
    let pid_alive = if local {
        rec.pid.and_then(process_alive)
    } else {
        None
    };

    let status = rec.status.clone();
    let (outcome, outcome_reason) = decide_outcome(
        &rec,
        status.as_ref(),
        &lf,
        last_activity_at,
        pid_alive,
        opts,
    );

    let mut workspace = ctx.workspace.clone();
    workspace.root = rec.workspace_root.clone();
    // No `<slug>-<hash>` folder (per-run layout, copied files): name the workspace after its
    // recorded root, as the plugin's slug would.
    if workspace.hash.is_none()
        && let Some(base) = rec
            .workspace_root
            .as_deref()
            .and_then(|r| r.trim_end_matches(['/', '\\']).rsplit(['/', '\\']).next())
            .filter(|b| !b.is_empty())
    {
        workspace.slug = base.to_string();
    }

    let platform = [
        rec.workspace_root.as_deref(),
        rec.log_file.as_deref(),
        rec.request_cwd.as_deref(),
    ]
    .into_iter()
    .flatten()
    .find_map(run::platform_of_path)
    .or(ctx.broker_platform)
    .or(lf.platform.map(|p| p.0));

    let mut plugin_version = c.facts.plugin_version.clone();
    for p in [t.files.log.as_deref(), t.files.record.as_deref()]
        .into_iter()
        .flatten()
    {
        if plugin_version.is_none() {
            plugin_version = versions::plugin_version_in(p.to_string_lossy().as_bytes());
        }
    }
    if plugin_version.is_none()
        && let Some(lfp) = &rec.log_file
    {
        plugin_version = versions::plugin_version_in(lfp.as_bytes());
    }
    let cli_version = c.facts.cli_version.clone().or_else(|| {
        let sessions = opts.codex_sessions.as_deref()?;
        versions::cli_version_from_rollout(sessions, rec.thread_id.as_deref()?, created_at)
    });

    let error_message = rec.error_message.as_deref().map(|e| cap_text(e, 500));
    let decisive = if let Some(e) = &rec.error_message {
        Some(LineRef {
            file: rec_file.clone(),
            line: error_line,
            text: cap_text(e.lines().next().unwrap_or(""), EVIDENCE_CHARS),
        })
    } else if let Some((line, text)) = &lf.last_error {
        Some(LineRef {
            file: log_display.clone().unwrap_or_default(),
            line: Some(*line),
            text: cap_text(text, EVIDENCE_CHARS),
        })
    } else {
        lf.last_message
            .as_ref()
            .or(lf.last_entry.as_ref())
            .map(|(line, text)| LineRef {
                file: log_display.clone().unwrap_or_default(),
                line: Some(*line),
                text: cap_text(text, EVIDENCE_CHARS),
            })
    };

    Some(Run {
        id: t.id.clone(),
        workspace,
        state_root: ctx.dir.root_kind,
        kind: rec.kind.clone(),
        title: rec.title.clone(),
        status,
        phase: rec.phase.clone(),
        outcome,
        outcome_reason,
        created_at,
        started_at: rec.started_at,
        completed_at: rec.completed_at,
        updated_at: rec.updated_at,
        last_activity_at,
        pid: rec.pid,
        pid_alive,
        plugin_version,
        cli_version,
        platform,
        thread_id: rec.thread_id.clone(),
        turn_id: rec.turn_id.clone(),
        session_id: rec.session_id.clone(),
        summary: rec.summary.as_deref().map(|s| cap_text(s, 200)),
        error_message,
        model: rec.request_model.clone(),
        last_entry: lf.last_entry.as_ref().map(|(line, text)| LineRef {
            file: log_display.clone().unwrap_or_default(),
            line: Some(*line),
            text: cap_text(text, EVIDENCE_CHARS),
        }),
        decisive,
        sources: Sources {
            index: ctx.index_shared.clone().filter(|_| had_index),
            record: record_shared,
            log: log_display,
        },
        hits: c.hits,
        hit_lines: c.lines,
        origin: (ctx.dir.scan_root, ctx.origin.clone()),
        findings: Vec::new(),
    })
}

/// Triage's outcome and the reason in words (design-notes §2).
fn decide_outcome(
    rec: &JobRecord,
    status: Option<&Status>,
    lf: &LogFacts,
    last_activity: Option<Millis>,
    pid_alive: Option<bool>,
    opts: &ScanOptions,
) -> (Outcome, String) {
    let idle = last_activity.map(|t| opts.now - t);
    let active = |what: &str| -> (Outcome, String) {
        let no_completed = if rec.completed_at.is_none() {
            ", no completedAt"
        } else {
            ""
        };
        if let (Some(false), Some(pid)) = (pid_alive, rec.pid) {
            return (
                Outcome::Stalled,
                format!("{what}{no_completed}, pid {pid} is not running: stalled"),
            );
        }
        match idle {
            Some(i) if i >= opts.stall_after => (
                Outcome::Stalled,
                // Absolute times and the threshold, not "59m 24s ago": exports must not
                // change from one second to the next.
                format!(
                    "{what}{no_completed}, no activity for over {} (last {}): stalled",
                    human_span(opts.stall_after),
                    last_activity.map(format_iso).unwrap_or_default()
                ),
            ),
            Some(_) => (
                Outcome::InProgress,
                format!(
                    "{what}, last activity {}",
                    last_activity.map(format_iso).unwrap_or_default()
                ),
            ),
            None => (Outcome::InProgress, format!("{what}, no timestamps")),
        }
    };
    match status {
        Some(Status::Completed) => (Outcome::Ok, "status completed".into()),
        Some(Status::Failed) => {
            let why = match &rec.error_message {
                Some(e) => format!(
                    "status failed: {}",
                    cap_text(e.lines().next().unwrap_or(""), 120)
                ),
                None if lf.last_error.is_some() => "status failed after a Codex error".into(),
                None => "status failed: the turn did not complete".into(),
            };
            (Outcome::Failed, why)
        }
        Some(Status::Cancelled) => (Outcome::Cancelled, "status cancelled".into()),
        Some(s @ (Status::Queued | Status::Running)) => active(&format!("status {}", s.as_str())),
        Some(Status::Other(s)) => infer_from_log(lf, &format!("unknown status `{s}`"), active),
        None => infer_from_log(lf, "no status recorded", active),
    }
}

/// For records without a usable status: read the log's ending (like the plugin's
/// `inferLegacyJobPhase`).
fn infer_from_log(
    lf: &LogFacts,
    what: &str,
    active: impl Fn(&str) -> (Outcome, String),
) -> (Outcome, String) {
    if lf.cancelled {
        (
            Outcome::Cancelled,
            format!("{what}; the log says `Cancelled by user.`"),
        )
    } else if lf.final_output && lf.turn_failed {
        (
            Outcome::Failed,
            format!("{what}; the log has a failed turn and a final output"),
        )
    } else if lf.final_output {
        (Outcome::Ok, format!("{what}; the log has a final output"))
    } else {
        active(what)
    }
}

/// Whether a run needs a person's attention.
pub fn needs_attention(r: &Run) -> bool {
    r.outcome != Outcome::Ok
        || r.findings
            .iter()
            .any(|f| f.severity >= crate::vocab::Severity::Low)
}

/// The default roots, for the "nothing found" message.
pub fn default_roots_display() -> Vec<String> {
    discover::default_roots()
        .iter()
        .map(|r| r.display().to_string())
        .collect()
}
