//! The scan pipeline, wiring only: discover → read each job (record + index merge, one pass
//! over its text) in parallel → classify → cluster. Each stage lives in its own module; see
//! the "Source layout" section of the README.

mod spill;
mod split;
mod types;

pub use crate::report::human::Tally;
pub use spill::Spill;
pub use types::{RunsRead, ScanOptions, ScanResult, Scanned, Streamed};

use crate::classify;
use crate::cluster::{self, Order};
use crate::discover;
use crate::read::{self, Counters};
use crate::rules::RuleSet;
use crate::run::Run;
use crate::vocab::{Outcome, Severity};
use crate::warn::{Warning, Warnings};
use rayon::prelude::*;
use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::Ordering;

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
        s.workspaces.insert(key);
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
    let split = split::split_workspaces(&found.state_dirs);

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
