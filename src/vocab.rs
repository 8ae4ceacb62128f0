//! The words every stage shares: where a line sits (scopes), how bad a signature is
//! (severity), how a run ended (outcome), what the plugin recorded (status, kind), where the
//! records were found (layout) and where the job ran (platform).
//!
//! Everything here is plain data with its one spelling (`as_str`, serde). Stages import these
//! words from here, never from each other, so `rules` knows nothing of the reader and the
//! reader nothing of the rule engine.

use serde::{Deserialize, Serialize};

/// Bit set of the scopes a line belongs to (see `rules/README.md`).
pub type ScopeSet = u8;
/// Every line of the job log.
pub const SCOPE_LOG: ScopeSet = 1;
/// `Running command:` and `Command <status>:` lines.
pub const SCOPE_COMMAND: ScopeSet = 2;
/// `Codex error:` lines and their continuations, error fields of the record.
pub const SCOPE_ERROR: ScopeSet = 4;
/// Bodies of output blocks and the record's output fields.
pub const SCOPE_OUTPUT: ScopeSet = 8;
/// Free text (`triage match`): a scope bit no job line has.
pub const SCOPE_TEXT: ScopeSet = 16;
/// Scope bits of job lines and record fields: everything the scanner gives a line.
pub const SCAN_SCOPES: ScopeSet = SCOPE_LOG | SCOPE_COMMAND | SCOPE_ERROR | SCOPE_OUTPUT;
/// Every scope bit: what a line of free text carries.
pub const SCOPE_ALL_TEXT: ScopeSet = SCAN_SCOPES | SCOPE_TEXT;

/// Where a rule pattern looks (see `rules/README.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Every log line.
    Log,
    /// Command lines.
    Command,
    /// Error lines and error fields.
    Error,
    /// Output blocks and output fields.
    Output,
    /// The last log entry.
    Last,
    /// Everything in a job record.
    #[default]
    Any,
    /// Free text only.
    Text,
}

impl Scope {
    /// The scope bits a pattern of this scope is checked on (`last` is checked apart, on
    /// the last entry only).
    pub fn mask(self) -> ScopeSet {
        match self {
            Scope::Log => SCOPE_LOG,
            Scope::Command => SCOPE_COMMAND,
            Scope::Error => SCOPE_ERROR,
            Scope::Output => SCOPE_OUTPUT,
            Scope::Last => 0,
            Scope::Any => SCAN_SCOPES,
            Scope::Text => SCOPE_TEXT,
        }
    }
}

/// How bad a signature is; ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing, nothing broke.
    Info,
    /// Minor.
    Low,
    /// Some work lost or degraded.
    Medium,
    /// The run's work could not be done.
    High,
    /// Data loss or all runs broken.
    Critical,
}

impl Severity {
    /// The rule-file spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Parses the rule-file spelling.
    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s {
            "info" => Severity::Info,
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            _ => return None,
        })
    }
}

/// Triage's verdict on how a run ended (docs/format.md §10; see `src/outcome.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Completed (the turn; not necessarily the work).
    Ok,
    /// Failed.
    Failed,
    /// Cancelled by the user.
    Cancelled,
    /// Active, but its process is gone or nothing was logged for `--stall-after`.
    Stalled,
    /// Active and recently busy.
    InProgress,
}

impl Outcome {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Failed => "failed",
            Outcome::Cancelled => "cancelled",
            Outcome::Stalled => "stalled",
            Outcome::InProgress => "in-progress",
        }
    }

    /// Every outcome, in report order.
    pub const ALL: [Outcome; 5] = [
        Outcome::Failed,
        Outcome::Stalled,
        Outcome::InProgress,
        Outcome::Cancelled,
        Outcome::Ok,
    ];
}

/// The plugin's job status (the `status` field of a record).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Background task waiting for its worker.
    Queued,
    /// A process is (or was) running the job.
    Running,
    /// The turn completed (not necessarily the work).
    Completed,
    /// The runner threw or the turn did not complete.
    Failed,
    /// `/codex:cancel` ran.
    Cancelled,
    /// A value no plugin version writes.
    #[serde(untagged)]
    Other(String),
}

impl Status {
    /// Parses the plugin's string.
    pub fn parse(s: &str) -> Status {
        match s {
            "queued" => Status::Queued,
            "running" => Status::Running,
            "completed" => Status::Completed,
            "failed" => Status::Failed,
            "cancelled" => Status::Cancelled,
            other => Status::Other(other.to_string()),
        }
    }

    /// The plugin's string.
    pub fn as_str(&self) -> &str {
        match self {
            Status::Queued => "queued",
            Status::Running => "running",
            Status::Completed => "completed",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
            Status::Other(s) => s,
        }
    }
}

/// The kind of job (the `kind` field of a record).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// `/codex:rescue` and background tasks.
    Task,
    /// Native `/codex:review`.
    Review,
    /// `/codex:adversarial-review`.
    AdversarialReview,
    /// Unknown kind string.
    #[serde(untagged)]
    Other(String),
}

impl Kind {
    /// Parses the plugin's string.
    pub fn parse(s: &str) -> Kind {
        match s {
            "task" => Kind::Task,
            "review" => Kind::Review,
            "adversarial-review" => Kind::AdversarialReview,
            other => Kind::Other(other.to_string()),
        }
    }

    /// The plugin's string.
    pub fn as_str(&self) -> &str {
        match self {
            Kind::Task => "task",
            Kind::Review => "review",
            Kind::AdversarialReview => "adversarial-review",
            Kind::Other(s) => s,
        }
    }
}

/// How a state directory was laid out (the layout), which tells how the plugin was run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StateRoot {
    /// `$CLAUDE_PLUGIN_DATA/state/<slug>-<hash>/`.
    PluginData,
    /// `$TMPDIR/codex-companion/<slug>-<hash>/` (no `CLAUDE_PLUGIN_DATA`).
    TmpFallback,
    /// `…/jobs/<run-id>/turn.log`, the per-run layout some users describe.
    PerRun,
    /// A state directory found somewhere else (copied, unpacked).
    Other,
}

impl StateRoot {
    /// The name used in rule files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            StateRoot::PluginData => "plugin-data",
            StateRoot::TmpFallback => "tmp-fallback",
            StateRoot::PerRun => "per-run",
            StateRoot::Other => "other",
        }
    }
}

/// The platform a run ran on, as far as its records tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// Windows.
    Windows,
    /// macOS.
    Macos,
    /// Linux.
    Linux,
    /// Windows Subsystem for Linux.
    Wsl,
}

impl Platform {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Windows => "windows",
            Platform::Macos => "macos",
            Platform::Linux => "linux",
            Platform::Wsl => "wsl",
        }
    }
}

/// A word of the vocabulary with a fixed set of known spellings, so a rule file naming an
/// unknown value is refused when it is loaded (see `rules::state`).
pub trait Word: Sized + Clone + 'static {
    /// Every value a rule may name, in documentation order.
    const KNOWN: &'static [Self];

    /// The spelling used in rule files, records and reports.
    fn word(&self) -> &str;

    /// The known value spelt `s`, if any.
    fn known(s: &str) -> Option<Self> {
        Self::KNOWN.iter().find(|w| w.word() == s).cloned()
    }

    /// The known spellings, comma-separated (for error messages).
    fn known_list() -> String {
        let words: Vec<&str> = Self::KNOWN.iter().map(|w| w.word()).collect();
        words.join(", ")
    }
}

impl Word for Status {
    const KNOWN: &'static [Status] = &[
        Status::Queued,
        Status::Running,
        Status::Completed,
        Status::Failed,
        Status::Cancelled,
    ];
    fn word(&self) -> &str {
        self.as_str()
    }
}

impl Word for Kind {
    const KNOWN: &'static [Kind] = &[Kind::Task, Kind::Review, Kind::AdversarialReview];
    fn word(&self) -> &str {
        self.as_str()
    }
}

impl Word for Outcome {
    const KNOWN: &'static [Outcome] = &[
        Outcome::Ok,
        Outcome::Failed,
        Outcome::Cancelled,
        Outcome::Stalled,
        Outcome::InProgress,
    ];
    fn word(&self) -> &str {
        self.as_str()
    }
}

impl Word for StateRoot {
    const KNOWN: &'static [StateRoot] = &[
        StateRoot::PluginData,
        StateRoot::TmpFallback,
        StateRoot::PerRun,
        StateRoot::Other,
    ];
    fn word(&self) -> &str {
        self.as_str()
    }
}

impl Word for Platform {
    const KNOWN: &'static [Platform] = &[
        Platform::Windows,
        Platform::Macos,
        Platform::Linux,
        Platform::Wsl,
    ];
    fn word(&self) -> &str {
        self.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serde_spelling<T: Serialize>(v: &T) -> String {
        serde_json::to_value(v)
            .ok()
            .and_then(|j| j.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    fn check<T: Word + Serialize + for<'de> Deserialize<'de>>() {
        for w in T::KNOWN {
            // A rule file, a record and a report must spell a word alike.
            assert_eq!(serde_spelling(w), w.word());
            assert_eq!(
                T::known(w.word()).map(|k| k.word().to_string()),
                Some(w.word().into())
            );
        }
        assert!(T::known("no-such-word").is_none());
    }

    #[test]
    fn known_words_are_spelt_as_serde_spells_them() {
        check::<Status>();
        check::<Kind>();
        check::<Outcome>();
        check::<StateRoot>();
        check::<Platform>();
        assert_eq!(
            Status::known_list(),
            "queued, running, completed, failed, cancelled"
        );
    }
}
