//! The scan's options and what it gives back: the words the stages and the commands share
//! about one scan (the wiring that fills them is `scan/mod.rs`).

use super::{Spill, Tally};
use crate::cluster::Cluster;
use crate::outcome::Clock;
use crate::read::ReadEnv;
use crate::rules::RuleSet;
use crate::run::Run;
use crate::timefmt::Millis;
use crate::versions;
use crate::warn::Warning;
use std::path::PathBuf;

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
