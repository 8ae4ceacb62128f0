//! Classification: a run's pattern hits and record facts → its signatures, each with the
//! lines that prove it.

pub mod pass;

use crate::read::{ExtraFacts, ReadRun};
use crate::rules::{RuleSet, RunFacts};
use crate::run::{Finding, LineRef, Run};
use crate::timefmt::{Millis, format_iso};
use pass::RawHits;

/// Evidence lines kept per finding.
pub const EVIDENCE_PER_FINDING: usize = 5;

/// The facts of `run` that rule states read (the list is `rules::state`'s `facts!` table).
pub fn facts<'r>(run: &'r Run, extra: &ExtraFacts, now: Millis) -> RunFacts<'r> {
    RunFacts {
        status: run.status.as_ref(),
        phase: run.phase.as_deref(),
        kind: run.kind.as_ref(),
        title: run.title.as_deref(),
        outcome: run.outcome,
        completed_at: run.completed_at.is_some(),
        error_message: run.error_message.is_some(),
        idle_for: run.idle(now),
        state_root: run.state_root,
        workspace_split: extra.workspace_split,
        write: extra.write,
        stop_review_gate: extra.stop_review_gate,
    }
}

/// Classifies a run that has been read: its findings, most severe first; the raw hits are
/// consumed.
pub fn finish(read: ReadRun, rules: &RuleSet, now: Millis) -> Run {
    let ReadRun {
        mut run,
        hits,
        extra,
    } = read;
    run.findings = findings(&run, &hits, &extra, rules, now);
    run
}

/// The findings of `run` (most severe first), from its hits and facts.
pub fn findings(
    run: &Run,
    hits: &RawHits,
    extra: &ExtraFacts,
    rules: &RuleSet,
    now: Millis,
) -> Vec<Finding> {
    let f = facts(run, extra, now);
    let counts = |g: usize| hits.counts.get(&g).copied().unwrap_or(0);
    let mut findings = Vec::new();
    for (ri, rule) in rules.rules.iter().enumerate() {
        if !rules.rule_matches_job(ri, &counts, &f) {
            continue;
        }
        let mut evidence: Vec<LineRef> = Vec::new();
        let mut vars = Vec::new();
        rule.condition.positive_vars(&mut vars);
        for v in vars {
            if v < rule.patterns.len() {
                let p = &rule.patterns[v];
                if counts(p.global) >= p.min_count {
                    for l in hits.lines.get(&p.global).into_iter().flatten() {
                        if !evidence.contains(l) {
                            evidence.push(l.clone());
                        }
                    }
                }
            } else if rule.states[v - rule.patterns.len()].1.holds(&f) {
                let st = state_line(run);
                if !evidence.contains(&st) {
                    evidence.push(st);
                }
            }
        }
        if evidence.is_empty() {
            evidence.push(state_line(run));
        }
        evidence.sort_by(|a, b| a.file.cmp(&b.file).then(a.line.cmp(&b.line)));
        evidence.truncate(EVIDENCE_PER_FINDING);
        findings.push(Finding {
            signature: rule.id().to_string(),
            severity: rule.file.severity,
            evidence,
        });
    }
    // Declared precedence: a generic carrier yields to the specific signature of its payload,
    // a symptom to the rule that names its cause.
    let found: Vec<String> = findings.iter().map(|f| f.signature.clone()).collect();
    findings.retain(|f| {
        rules.get(&f.signature).is_none_or(|r| {
            !r.file
                .yields_to
                .iter()
                .chain(&r.file.explained_by)
                .any(|y| found.contains(y))
        })
    });
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.signature.cmp(&b.signature))
    });
    findings
}

/// A line of evidence stating the run's recorded state, for structural signatures.
fn state_line(run: &Run) -> LineRef {
    let mut parts = Vec::new();
    if let Some(s) = &run.status {
        parts.push(format!("status {}", s.as_str()));
    }
    if let Some(p) = &run.phase {
        parts.push(format!("phase {p}"));
    }
    if run.completed_at.is_none() {
        parts.push("no completedAt".into());
    }
    // An absolute time, not "idle 59m": exports must not change from one second to the next.
    if let Some(t) = run.last_activity_at {
        parts.push(format!("last activity {}", format_iso(t)));
    }
    if let Some(l) = &run.last_entry {
        parts.push(format!(
            "log ends at line {}: {}",
            l.line.unwrap_or(0),
            l.text
        ));
    }
    LineRef {
        file: run
            .sources
            .record
            .clone()
            .or_else(|| run.sources.index.clone())
            .or_else(|| run.sources.log.clone())
            .unwrap_or_default(),
        line: None,
        text: parts.join(", "),
    }
}
