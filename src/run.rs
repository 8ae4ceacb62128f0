//! A run: one job, merged from its index entry, job file and log, with triage's own outcome
//! and the facts a report needs. Runs are small summaries: a run's full text is never kept.

use crate::timefmt::{Millis, human_span};
use crate::vocab::{Kind, Outcome, Platform, Severity, StateRoot, Status};
use serde::{Deserialize, Serialize};

/// A workspace: the `<slug>-<hash>` state directory name and the recorded root.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
pub struct Workspace {
    /// Sanitised basename.
    pub slug: String,
    /// First 16 hex digits of sha256(realpath); `None` when the directory name has none.
    pub hash: Option<String>,
    /// `workspaceRoot` as recorded.
    pub root: Option<String>,
}

impl Workspace {
    /// Splits a state directory name on its last `-` (the slug may contain dashes).
    pub fn from_dir_name(name: &str) -> Workspace {
        if let Some((slug, hash)) = name.rsplit_once('-')
            && hash.len() == 16
            && hash
                .bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
        {
            return Workspace {
                slug: slug.to_string(),
                hash: Some(hash.to_string()),
                root: None,
            };
        }
        Workspace {
            slug: name.to_string(),
            hash: None,
            root: None,
        }
    }

    /// A stable key: the hash when known (docs/format.md §1.2: key workspaces by hash).
    pub fn key(&self) -> String {
        self.hash
            .clone()
            .unwrap_or_else(|| format!("slug:{}", self.slug))
    }
}

/// A line of a file, cited as evidence.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LineRef {
    /// File path (shared: every line cited from one file points at one string).
    pub file: SharedPath,
    /// 1-based line, when known.
    pub line: Option<u64>,
    /// The text, capped.
    pub text: String,
}

/// A file path held once and shared by every reference to it: a large scan keeps many runs,
/// each citing its files several times.
pub type SharedPath = std::sync::Arc<str>;

/// Longest evidence text kept, in characters.
pub const EVIDENCE_CHARS: usize = 240;

/// Cuts text to `max` characters on a character boundary, marking the cut.
pub fn cap_text(s: &str, max: usize) -> String {
    let s = s.trim_end();
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((i, _)) => format!("{}…", &s[..i]),
    }
}

/// A signature found in a run, with the lines that prove it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Rule id.
    pub signature: String,
    /// Rule severity.
    pub severity: Severity,
    /// Decisive lines.
    pub evidence: Vec<LineRef>,
}

/// Where an error line of a run was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorSource {
    /// The record's `errorMessage` (its first line).
    Record,
    /// A `Codex error:` or `Codex turn interrupt failed:` log entry.
    CodexError,
    /// A line of the `Final output` block that states a failure.
    FinalOutput,
    /// A `Command failed: … (exit N)` log entry.
    CommandFailed,
}

impl ErrorSource {
    /// All sources, strongest first.
    pub const ALL: [ErrorSource; 4] = [
        ErrorSource::Record,
        ErrorSource::CodexError,
        ErrorSource::FinalOutput,
        ErrorSource::CommandFailed,
    ];

    /// The word used in exports.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorSource::Record => "record",
            ErrorSource::CodexError => "codex-error",
            ErrorSource::FinalOutput => "final-output",
            ErrorSource::CommandFailed => "command-failed",
        }
    }

    /// Parses [`ErrorSource::as_str`].
    pub fn parse(s: &str) -> Option<ErrorSource> {
        ErrorSource::ALL.into_iter().find(|e| e.as_str() == s)
    }

    /// How strongly a line of this source says why a run failed: a run is clustered by the
    /// lines of its strongest tier only, so a failed test command does not split the runs
    /// that one `Codex error:` explains. The record's message and `Codex error:` lines are
    /// one tier (a run has one or the other); final-output statements come next (they often
    /// repeat the error); failed commands last.
    pub fn tier(self) -> u8 {
        match self {
            ErrorSource::Record | ErrorSource::CodexError => 0,
            ErrorSource::FinalOutput => 1,
            ErrorSource::CommandFailed => 2,
        }
    }
}

/// One error line of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorLine {
    /// Where it was read.
    pub source: ErrorSource,
    /// The line (text redacted and capped like evidence).
    pub line: LineRef,
}

/// Where a run's data came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sources {
    /// `state.json`, when it had an entry for this job.
    pub index: Option<SharedPath>,
    /// The job JSON.
    pub record: Option<SharedPath>,
    /// The job log.
    pub log: Option<SharedPath>,
}

/// One run, summarised.
/// Runs serialise and deserialise losslessly: a large scan spills them to a temporary file
/// ([`crate::scan::Spill`]) instead of keeping them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Run {
    /// Job id.
    pub id: String,
    /// Workspace.
    pub workspace: Workspace,
    /// Layout the run was found in.
    pub state_root: StateRoot,
    /// Job kind.
    pub kind: Option<Kind>,
    /// Job title.
    pub title: Option<String>,
    /// Plugin status as recorded.
    pub status: Option<Status>,
    /// Plugin phase as recorded.
    pub phase: Option<String>,
    /// Triage's outcome.
    pub outcome: Outcome,
    /// Why that outcome, in words.
    pub outcome_reason: String,
    /// Creation time.
    pub created_at: Option<Millis>,
    /// Start time.
    pub started_at: Option<Millis>,
    /// Terminal time.
    pub completed_at: Option<Millis>,
    /// Last index update.
    pub updated_at: Option<Millis>,
    /// Latest timestamp seen anywhere in the run.
    pub last_activity_at: Option<Millis>,
    /// Recorded pid.
    pub pid: Option<i64>,
    /// Whether that pid is alive (only known on the machine that ran the job).
    pub pid_alive: Option<bool>,
    /// Plugin version, when the records tell.
    pub plugin_version: Option<String>,
    /// Codex CLI version, when the records tell.
    pub cli_version: Option<String>,
    /// Platform, when the records tell.
    pub platform: Option<Platform>,
    /// Codex thread id.
    pub thread_id: Option<String>,
    /// Codex turn id.
    pub turn_id: Option<String>,
    /// Claude Code session id.
    pub session_id: Option<String>,
    /// Summary (index: first output line).
    pub summary: Option<String>,
    /// `errorMessage`, capped.
    pub error_message: Option<String>,
    /// `request.model`, for background tasks.
    pub model: Option<String>,
    /// The last log entry (first line).
    pub last_entry: Option<LineRef>,
    /// The line that best says what went wrong (error message, last `Codex error:`, or last
    /// entry).
    pub decisive: Option<LineRef>,
    /// The run's error lines (`errorMessage`, `Codex error:`, `Command failed:`, failure
    /// statements of the final output), a few per source: what unexplained runs are
    /// clustered by.
    pub error_lines: Vec<ErrorLine>,
    /// Files read.
    pub sources: Sources,
    /// Signatures, most severe first (filled by classification).
    pub findings: Vec<Finding>,
}

impl Run {
    /// Time since the last activity, at `now`.
    pub fn idle(&self, now: Millis) -> Option<Millis> {
        self.last_activity_at.map(|t| now - t)
    }

    /// A short age such as `3h 12m ago` for reports.
    pub fn age(&self, now: Millis) -> String {
        match self.last_activity_at.or(self.created_at) {
            Some(t) => format!("{} ago", human_span(now - t)),
            None => "unknown time".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_from_dir_name() {
        let w = Workspace::from_dir_name("My-Project-v2-0123456789abcdef");
        assert_eq!(w.slug, "My-Project-v2");
        assert_eq!(w.hash.as_deref(), Some("0123456789abcdef"));
        let w = Workspace::from_dir_name("demo-app");
        assert_eq!((w.slug.as_str(), w.hash), ("demo-app", None));
    }

    #[test]
    fn caps_text_on_char_boundaries() {
        assert_eq!(cap_text("héllo wörld", 5), "héllo…");
        assert_eq!(cap_text("short", 10), "short");
    }
}
