//! The scan pipeline, wiring only: discover → read each job (record + index merge, one pass
//! over its text) in parallel → classify → cluster. Each stage lives in its own module; see
//! the "Source layout" section of the README.

use crate::classify;
use crate::cluster::{self, Cluster};
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

/// Runs the whole pipeline.
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
    let found = discover::discover(&opts.paths);
    let warnings = Warnings::default();
    warnings.extend(found.warnings);
    let counters = Counters::default();
    let env = opts.env(rules);
    // Known before any run is read, so each run is classified once.
    let split = split_workspaces(&found.state_dirs);

    // One state directory at a time per worker: its index is read, its jobs are read and
    // classified, and only their summaries are kept. Nothing of a directory waits in memory
    // for its turn (the index entries of every job would otherwise be held at once).
    let dirs = found.state_dirs;
    let bar = progress_bar(
        opts.progress,
        dirs.iter().map(|d| d.jobs.len() as u64).sum(),
    );
    let left_out = std::sync::atomic::AtomicU64::new(0);
    let work = || {
        dirs.into_par_iter()
            .flat_map_iter(|dir| {
                let (ctx, tasks) = read::prepare_dir(dir, &split, &warnings, &counters);
                let runs: Vec<Run> = tasks
                    .into_par_iter()
                    .filter_map(|t| {
                        let mut w = Vec::new();
                        let r = read::read_run(t, &ctx, &env, &mut w, &counters);
                        warnings.extend(w);
                        if r.is_none() {
                            left_out.fetch_add(1, Ordering::Relaxed);
                        }
                        if let Some(b) = &bar {
                            b.inc(1);
                        }
                        r.map(|r| classify::finish(r, rules, opts.now))
                    })
                    .collect();
                runs
            })
            .collect::<Vec<Run>>()
    };
    let mut runs = match opts.threads {
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
    runs.sort_by(|a, b| {
        a.created_at
            .cmp(&b.created_at)
            .then_with(|| a.id.cmp(&b.id))
    });
    let mut ws: Vec<String> = runs.iter().map(|r| r.workspace.key()).collect();
    ws.sort();
    ws.dedup();
    RunsRead {
        scanned: Scanned {
            roots: found
                .roots
                .iter()
                .map(|r| r.display().to_string())
                .collect(),
            jobs: runs.len() as u64,
            files: counters.files.load(Ordering::Relaxed),
            bytes: counters.bytes.load(Ordering::Relaxed),
            workspaces: ws.len() as u64,
            left_out_by_since: left_out.load(Ordering::Relaxed),
        },
        runs,
        warnings: warnings.into_sorted(),
    }
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

/// Workspace hashes with records under both a plugin-data root and a tmp-fallback root of
/// the same machine: either the same data tree (both folders side by side) or different
/// scan roots (the default roots, or several paths given). One given folder holding many
/// unpacked trees is many machines, so its trees are not paired with each other. Decided
/// from what discovery found (directories holding jobs), before any run is read.
fn split_workspaces(dirs: &[StateDir]) -> HashSet<String> {
    type Origins<'a> = Vec<(usize, &'a Path)>;
    let mut by_hash: HashMap<String, (Origins, Origins)> = HashMap::new();
    for d in dirs {
        if d.jobs.is_empty() && d.index.is_none() {
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
