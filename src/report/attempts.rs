//! The timeline of a report: one row per attempt (a run of the same failure), oldest first.
//! Built from runs of one scan today; the history store can feed the same rows for runs the
//! plugin has since deleted ("6 runs across 5 days").

use crate::run::Run;
use crate::timefmt::{Millis, format_iso};
use std::collections::BTreeSet;

/// One attempt of a failing job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// When it started (creation time).
    pub at: Option<Millis>,
    /// Run id (`workspace/id` where needed).
    pub run: String,
    /// Workspace slug.
    pub workspace: String,
    /// Job kind.
    pub kind: Option<String>,
    /// Triage outcome.
    pub outcome: String,
    /// Plugin version.
    pub plugin_version: Option<String>,
    /// Codex CLI version.
    pub cli_version: Option<String>,
}

impl Attempt {
    /// The attempt a scanned run is.
    pub fn from_run(r: &Run) -> Attempt {
        Attempt {
            at: r.created_at.or(r.last_activity_at),
            run: r.id.clone(),
            workspace: r.workspace.slug.clone(),
            kind: r.kind.as_ref().map(|k| k.as_str().to_string()),
            outcome: r.outcome.as_str().to_string(),
            plugin_version: r.plugin_version.clone(),
            cli_version: r.cli_version.clone(),
        }
    }
}

/// `6 runs across 5 days (2026-09-02 to 2026-11-04)`.
pub fn span_line(attempts: &[Attempt]) -> String {
    let days: BTreeSet<String> = attempts
        .iter()
        .filter_map(|a| a.at.map(|t| format_iso(t)[..10].to_string()))
        .collect();
    let n = attempts.len();
    let runs = format!("{n} run{}", if n == 1 { "" } else { "s" });
    let undated = attempts.iter().filter(|a| a.at.is_none()).count();
    let undated = if undated > 0 {
        format!(", {undated} without a date")
    } else {
        String::new()
    };
    match (days.first(), days.last()) {
        (Some(a), Some(b)) if a == b => format!("{runs} on {a}{undated}"),
        (Some(a), Some(b)) => format!("{runs} across {} days ({a} to {b}){undated}", days.len()),
        _ => format!("{runs}, dates unknown"),
    }
}

/// Attempts sorted oldest first (undated last), ties by run id.
pub fn sorted(mut attempts: Vec<Attempt>) -> Vec<Attempt> {
    attempts.sort_by(|a, b| (a.at.is_none(), a.at, &a.run).cmp(&(b.at.is_none(), b.at, &b.run)));
    attempts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str, run: &str) -> Attempt {
        Attempt {
            at: crate::timefmt::parse_timestamp(s),
            run: run.into(),
            workspace: "w".into(),
            kind: None,
            outcome: "failed".into(),
            plugin_version: None,
            cli_version: None,
        }
    }

    #[test]
    fn counts_days() {
        let a = sorted(vec![
            at("2026-11-04T10:00:00Z", "b"),
            at("2026-09-02T10:00:00Z", "a"),
            at("2026-09-02T12:00:00Z", "c"),
        ]);
        assert_eq!(a[0].run, "a");
        assert_eq!(
            span_line(&a),
            "3 runs across 2 days (2026-09-02 to 2026-11-04)"
        );
        assert_eq!(span_line(&a[..1]), "1 run on 2026-09-02");
    }
}
