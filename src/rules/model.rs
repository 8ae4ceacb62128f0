//! The rule-file schema (`rules/README.md`), as serde types. Unknown fields are errors.

use super::state::State;
use crate::vocab::{Kind, Platform, Scope, Severity, StateRoot, Status};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Maturity of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleStatus {
    /// New, may misfire.
    Experimental,
    /// Tested on real data.
    #[default]
    Stable,
    /// Kept for history; never matches.
    Deprecated,
}

/// How two signatures relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Relation {
    /// Often confused, different cause.
    DistinctFrom,
    /// Same root cause, other symptom.
    SameCause,
    /// This is a symptom of the other.
    SymptomOf,
    /// This causes the other.
    CauseOf,
    /// Worth reading together.
    SeeAlso,
}

impl Relation {
    /// The rule-file spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::DistinctFrom => "distinct-from",
            Relation::SameCause => "same-cause",
            Relation::SymptomOf => "symptom-of",
            Relation::CauseOf => "cause-of",
            Relation::SeeAlso => "see-also",
        }
    }
}

/// A `related` entry.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Related {
    /// The other rule's id.
    pub id: String,
    /// How they relate.
    pub relation: Relation,
    /// How to tell them apart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Affected versions, free text.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Affected {
    /// Plugin versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    /// Codex CLI versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cli: Option<String>,
}

/// One named pattern.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PatternSpec {
    /// A regular expression (Rust syntax).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// Exact text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub literal: Option<String>,
    /// Scope.
    #[serde(default, rename = "in")]
    pub scope: Scope,
    /// Case-insensitive match.
    #[serde(default)]
    pub case_insensitive: bool,
    /// Lines needed to count as matched.
    #[serde(default = "one")]
    pub min_count: u32,
    /// Weight in free-text scoring.
    #[serde(default = "unit")]
    pub weight: f64,
}

fn one() -> u32 {
    1
}
fn unit() -> f64 {
    1.0
}

/// `[match]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MatchSpec {
    /// Boolean expression over pattern and state names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// Expression for free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_condition: Option<String>,
    /// Named patterns.
    #[serde(default)]
    pub patterns: BTreeMap<String, PatternSpec>,
    /// Named states.
    #[serde(default)]
    pub states: BTreeMap<String, State>,
}

/// `match` or `no-match`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Expect {
    /// The rule must match.
    Match,
    /// The rule must not match.
    NoMatch,
}

/// A run built for a test.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TestJob {
    /// Job kind (default `task`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    /// Job title (default from the kind: `Codex Task`, `Codex Review`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Plugin status (default `completed`; a string no plugin writes is kept as such).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Plugin phase (default from the status).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// Whether `completedAt` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed: Option<bool>,
    /// `errorMessage`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// `rendered`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rendered: Option<String>,
    /// Time from the last activity to the test's "now" (a duration, default `1m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle: Option<String>,
    /// The layout the run is found in (default `plugin-data`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_root: Option<StateRoot>,
    /// Whether the workspace's jobs are split across state directories (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_split: Option<bool>,
    /// The record's `write` flag (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write: Option<bool>,
    /// The index's `config.stopReviewGate` (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_review_gate: Option<bool>,
    /// The job log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
}

/// One inline test.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TestSpec {
    /// Expected result.
    pub expect: Expect,
    /// Optional name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// A job record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<TestJob>,
}

/// A whole rule file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Family.
    pub family: String,
    /// Severity.
    pub severity: Severity,
    /// Maturity.
    #[serde(default)]
    pub status: RuleStatus,
    /// The platforms the signature occurs on (empty: all).
    #[serde(default)]
    pub platforms: Vec<Platform>,
    /// Cause.
    pub description: String,
    /// Fix or workaround.
    pub fix: String,
    /// Upstream references.
    #[serde(default)]
    pub references: Vec<String>,
    /// Related rules.
    #[serde(default)]
    pub related: Vec<Related>,
    /// Affected versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affected: Option<Affected>,
    /// Rules that win over this one: where one of them matches the same line (free text) or
    /// the same run (job records), this rule's match there is dropped. A generic carrier
    /// (`stream disconnected before completion: <payload>`) yields to the specific signature
    /// of its payload.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub yields_to: Vec<String>,
    /// Rules that explain this rule's symptom by its cause: where one of them matches
    /// anywhere in the same text (free text) or the same run (job records), this rule is
    /// dropped. For a symptom row (`No job found`) whose cause another row names
    /// (the plugin looked in another workspace's state directory); `yields_to` is the
    /// same-line form for envelopes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub explained_by: Vec<String>,
    /// The rule is built on a generic string (an OS error code, `ENOBUFS`, `command not
    /// found`): in free text it is reported only when the text has product context (the
    /// vocabulary of `rules/_vocab/context.toml`). Job records are always in context.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub needs_context: bool,
    /// Matching.
    #[serde(rename = "match")]
    pub matcher: MatchSpec,
    /// Extra structural guard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<State>,
    /// Inline tests.
    #[serde(default)]
    pub tests: Vec<TestSpec>,
}

/// The families a rule may belong to.
pub const FAMILIES: &[&str] = &[
    "spawn-install",
    "windows-shell",
    "sandbox",
    "hang-job-state",
    "claude-integration",
    "app-server",
    "broker",
    "auth",
    "limits",
    "models",
    "network",
    "review-output",
    "git",
    "transfer",
];
