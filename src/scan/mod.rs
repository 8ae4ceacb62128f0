//! The scan pipeline, wiring only: discover → read each job (record + index merge, one pass
//! over its text) in parallel → classify → cluster. Each stage lives in its own module; see
//! the "Source layout" section of the README.

mod spill;

pub use crate::report::human::Tally;
pub use spill::Spill;

use crate::classify;
use crate::cluster::{self, Cluster, Order};
use crate::discover::{self, StateDir};
use crate::outcome::Clock;
use crate::read::{self, Counters, ReadEnv};
use crate::rules::RuleSet;
use crate::run::Run;
use crate::timefmt::Millis;
use crate::versions;
use crate::vocab::{Outcome, Severity, StateRoot};
use crate::warn::{Warning, Warnings};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::Ordering;

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
    /// When the output will be redacted: evidence is redacted before it is capped.
    pub redactor: Option<crate::redact::Redactor>,
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
            redactor: None,
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
    /// Runs read but left out because they were created before `--since`.
    pub left_out_by_since: u64,
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

impl ScanOptions {
    /// The reading environment these options give.
    pub(crate) fn env<'a>(&'a self, rules: &'a RuleSet) -> ReadEnv<'a> {
        ReadEnv {
            rules,
            clock: Clock {
                now: self.now,
                stall_after: self.stall_after,
            },
            since: self.since,
            check_pids: self.check_pids,
            codex_sessions: self.codex_sessions.as_deref(),
            redactor: self.redactor.as_ref(),
            scan_roots: &self.paths,
        }
    }
}

/// The runs of a scan, read and classified but not clustered: all `triage capture` stores
/// (it clusters nothing, so a hook does not pay for it).
#[derive(Debug)]
pub struct RunsRead {
    /// Totals.
    pub scanned: Scanned,
    /// Runs, sorted by creation time then id.
    pub runs: Vec<Run>,
    /// Problems met.
    pub warnings: Vec<Warning>,
}

/// Runs the whole pipeline, keeping every run (for the consumers that need the list:
/// export to Markdown, bundle, explain, doctor, rules draft). `scan` and `export --format
/// json` use [`stream`] instead.
pub fn scan(opts: &ScanOptions, rules: &RuleSet) -> ScanResult {
    let RunsRead {
        scanned,
        runs,
        warnings,
    } = read_runs(opts, rules);
    let clusters = cluster::build(&runs, rules);
    ScanResult {
        scanned,
        runs,
        clusters,
        warnings,
        now: opts.now,
    }
}

/// Discovers, reads and classifies every run: the pipeline up to clustering.
pub fn read_runs(opts: &ScanOptions, rules: &RuleSet) -> RunsRead {
    let runs = Mutex::new(Vec::new());
    let totals = read_each(opts, rules, &|run, order| {
        if let Ok(mut v) = runs.lock() {
            v.push((order, run));
        }
    });
    let mut runs = runs.into_inner().unwrap_or_default();
    runs.sort_by(|a, b| a.0.cmp(&b.0));
    let runs: Vec<Run> = runs.into_iter().map(|(_, r)| r).collect();
    let mut ws: Vec<String> = runs.iter().map(|r| r.workspace.key()).collect();
    ws.sort();
    ws.dedup();
    RunsRead {
        scanned: totals.scanned(runs.len() as u64, ws.len() as u64),
        runs,
        warnings: totals.warnings,
    }
}

/// A scan whose runs left memory as they were finished: serialised to a [`Spill`] (when
/// asked for), counted into a [`Tally`] (the human summary, bounded) and into the cluster
/// accumulator (`cluster::Accumulator`). Memory does not grow with the number of runs, only with the clustered
/// ones (a member record each) and the spill's index (an id and an offset each).
#[derive(Debug)]
pub struct Streamed {
    /// Totals.
    pub scanned: Scanned,
    /// The runs, serialised, in the reports' order (`None` unless asked for).
    pub runs: Option<Spill>,
    /// Counts, the oldest run and the first runs needing attention.
    pub tally: Tally,
    /// Clusters, largest and most severe first.
    pub clusters: Vec<Cluster>,
    /// Problems met.
    pub warnings: Vec<Warning>,
    /// The reference time used.
    pub now: Millis,
}

/// What the sink of [`stream`] keeps.
struct Sinks {
    spill: Option<Spill>,
    spill_error: Option<std::io::Error>,
    tally: Tally,
    clusters: cluster::Accumulator,
    workspaces: HashSet<String>,
}

/// Runs the whole pipeline without keeping the runs: each finished run is spilled (when
/// `spill`), tallied and clustered, then dropped. An error only when the spill file could
/// not be written or read.
pub fn stream(opts: &ScanOptions, rules: &RuleSet, spill: bool) -> std::io::Result<Streamed> {
    let sinks = Mutex::new(Sinks {
        spill: spill.then(|| Spill::new(&opts.paths)),
        spill_error: None,
        tally: Tally::default(),
        clusters: cluster::Accumulator::new(),
        workspaces: HashSet::new(),
    });
    let totals = read_each(opts, rules, &|run, order| {
        // The costly parts (masking a decisive line) outside the lock.
        let member = cluster::Member::of(&run);
        let key = run.workspace.key();
        let Ok(mut s) = sinks.lock() else { return };
        if let Some(m) = member {
            s.clusters.push(m, order.clone());
        }
        if !s.workspaces.contains(&key) {
            s.workspaces.insert(key);
        }
        if let Some(sp) = s.spill.as_mut()
            && let Err(e) = sp.push(&run, order.clone())
        {
            s.spill_error.get_or_insert(e);
        }
        s.tally.add(run, order);
    });
    let Sinks {
        spill,
        spill_error,
        tally,
        clusters,
        workspaces,
    } = sinks
        .into_inner()
        .map_err(|_| std::io::Error::other("a scan thread panicked"))?;
    if let Some(e) = spill_error {
        return Err(std::io::Error::new(
            e.kind(),
            format!("cannot write the temporary run file: {e}"),
        ));
    }
    let mut spill = spill;
    if let Some(s) = spill.as_mut() {
        s.sort()?;
    }
    Ok(Streamed {
        scanned: totals.scanned(tally.total as u64, workspaces.len() as u64),
        runs: spill,
        tally,
        clusters: clusters.finish(rules),
        warnings: totals.warnings,
        now: opts.now,
    })
}

/// What [`read_each`] counted besides the runs.
struct Totals {
    roots: Vec<String>,
    files: u64,
    bytes: u64,
    left_out: u64,
    warnings: Vec<Warning>,
}

impl Totals {
    fn scanned(&self, jobs: u64, workspaces: u64) -> Scanned {
        Scanned {
            roots: self.roots.clone(),
            jobs,
            files: self.files,
            bytes: self.bytes,
            workspaces,
            left_out_by_since: self.left_out,
        }
    }
}

/// Discovers, reads and classifies every run in parallel, handing each finished run to
/// `each` with its place in the order (creation time, id, then discovery order).
fn read_each(opts: &ScanOptions, rules: &RuleSet, each: &(dyn Fn(Run, Order) + Sync)) -> Totals {
    let found = discover::discover_lazily(&opts.paths);
    let warnings = Warnings::default();
    warnings.extend(found.warnings);
    let counters = Counters::default();
    let env = opts.env(rules);
    // Known before any run is read, so each run is classified once.
    let split = split_workspaces(&found.state_dirs);

    // One state directory at a time per worker: its jobs are listed, its index is read, its
    // jobs are read and classified, and handed on. Nothing of a directory waits in memory
    // for its turn (the job files and index entries of every job would otherwise be held
    // at once); its place in the order is its place in discovery's sorted list, and its
    // jobs' places are those of the listing, as if all had been listed up front.
    let dirs = found.state_dirs;
    let bar = progress_bar(opts.progress, dirs.len() as u64);
    let left_out = std::sync::atomic::AtomicU64::new(0);
    let work = || {
        dirs.into_par_iter().enumerate().for_each(|(d, mut dir)| {
            dir.list_jobs();
            let (ctx, tasks) = read::prepare_dir(dir, &split, &warnings, &counters);
            tasks.into_par_iter().enumerate().for_each(|(t, task)| {
                let mut w = Vec::new();
                let r = read::read_run(task, &ctx, &env, &mut w, &counters);
                warnings.extend(w);
                let Some(r) = r else {
                    left_out.fetch_add(1, Ordering::Relaxed);
                    return;
                };
                let run = classify::finish(r, rules, opts.now);
                let order = Order {
                    created_at: run.created_at,
                    id: run.id.clone(),
                    seq: ((d as u64) << 32) | t as u64,
                };
                each(run, order);
            });
            if let Some(b) = &bar {
                b.inc(1);
            }
        });
    };
    match opts.threads {
        Some(n) => match rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build()
        {
            Ok(pool) => pool.install(work),
            Err(_) => work(),
        },
        None => work(),
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Totals {
        roots: found
            .roots
            .iter()
            .map(|r| r.display().to_string())
            .collect(),
        files: counters.files.load(Ordering::Relaxed),
        bytes: counters.bytes.load(Ordering::Relaxed),
        left_out: left_out.load(Ordering::Relaxed),
        warnings: warnings.into_sorted(),
    }
}

fn progress_bar(wanted: bool, total: u64) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    // Small scans finish before a bar would be readable (counted in state directories,
    // whose jobs are listed only when a worker takes them).
    if !wanted || total < 50 || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} scanning {pos}/{len} workspace folders {wide_bar} {eta}",
    ) {
        bar.set_style(style);
    }
    Some(bar)
}

/// Workspace hashes with records under both a plugin-data root and a tmp-fallback root of
/// the same machine: either the same data tree (both folders side by side) or different
/// scan roots (the default roots, or several paths given). One given folder holding many
/// unpacked trees is many machines, so its trees are not paired with each other. Decided
/// from what discovery found (directories holding jobs), before any run is read.
fn split_workspaces(dirs: &[StateDir]) -> HashSet<String> {
    type Origins<'a> = Vec<(usize, &'a Path)>;
    let mut by_hash: HashMap<String, (Origins, Origins)> = HashMap::new();
    for d in dirs {
        if !d.has_jobs() && d.index.is_none() {
            continue;
        }
        let Some(hash) = read::dir_workspace(d).hash else {
            continue;
        };
        // The data tree: the folder holding `state/` or `codex-companion/`.
        let origin = (
            d.scan_root,
            d.path
                .parent()
                .and_then(Path::parent)
                .unwrap_or(Path::new("")),
        );
        let e = by_hash.entry(hash).or_default();
        match d.root_kind {
            StateRoot::PluginData => e.0.push(origin),
            StateRoot::TmpFallback => e.1.push(origin),
            _ => {}
        }
    }
    by_hash
        .into_iter()
        .filter(|(_, (data, tmp))| {
            data.iter()
                .any(|a| tmp.iter().any(|b| a.1 == b.1 || a.0 != b.0))
        })
        .map(|(h, _)| h)
        .collect()
}

/// Whether a run needs a person's attention.
pub fn needs_attention(r: &Run) -> bool {
    r.outcome != Outcome::Ok || r.findings.iter().any(|f| f.severity >= Severity::Low)
}

/// The default roots, for the "nothing found" message.
pub fn default_roots_display() -> Vec<String> {
    discover::default_roots()
        .iter()
        .map(|r| r.display().to_string())
        .collect()
}
