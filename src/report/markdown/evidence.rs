//! The Evidence section: per run its signature lines, failing commands and last log lines,
//! and the [`Excerpts`] of the logs it shows, read and redacted before rendering.

use super::{COMMANDS_SHOWN, Ctx, LINES_SHOWN, RUNS_SHOWN, TAIL_SHOWN, cluster_runs, join_and};
use crate::cluster::Cluster;
use crate::redact::Redactor;
use crate::report::evidence::{self, LogDetail};
use crate::run::{LineRef, Run};
use crate::scan::ScanResult;
use crate::timefmt::format_iso;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

/// The log excerpts of the runs a report shows, by run id as the rendered model has it (the
/// redacted id when redacting). Read from the recorded log paths, which the redacted model
/// may no longer hold, and redacted before they are capped
/// ([`crate::report::evidence::read_log`]).
#[derive(Debug, Clone, Default)]
pub struct Excerpts {
    by_run: BTreeMap<String, LogDetail>,
}

impl Excerpts {
    /// The excerpts of the runs each cluster of `recorded` (the scan before redaction)
    /// shows, redacted by `redactor` (the one that redacted the model) when given.
    pub fn for_result(recorded: &ScanResult, redactor: Option<&Redactor>) -> Excerpts {
        let mut ex = Excerpts::default();
        for c in &recorded.clusters {
            ex.add_runs(&cluster_runs(recorded, c), redactor);
        }
        ex
    }

    /// The excerpts of the runs a cluster shows, in the order it shows them.
    pub fn for_cluster_runs(runs: &[&Run], redactor: Option<&Redactor>) -> Excerpts {
        let mut ex = Excerpts::default();
        ex.add_runs(runs, redactor);
        ex
    }

    fn add_runs(&mut self, runs: &[&Run], redactor: Option<&Redactor>) {
        for r in runs.iter().take(RUNS_SHOWN) {
            let id = redactor.map_or_else(|| r.id.clone(), |x| x.redact(&r.id).into_owned());
            if self.by_run.contains_key(&id) {
                continue;
            }
            let detail = r.sources.log.as_deref().and_then(|p| {
                evidence::read_log(Path::new(p), COMMANDS_SHOWN, TAIL_SHOWN, redactor)
            });
            if let Some(d) = detail {
                self.by_run.insert(id, d);
            }
        }
    }

    /// The excerpt of run `id`.
    pub fn get(&self, id: &str) -> Option<&LogDetail> {
        self.by_run.get(id)
    }
}

/// Evidence lines of one run for this cluster: each distinct text once, first place cited.
/// Also returns how many distinct lines were left out.
fn evidence_lines(c: &Cluster, r: &Run) -> (Vec<String>, usize) {
    let refs: Vec<&LineRef> = match c.signature.as_deref() {
        Some(s) => r
            .findings
            .iter()
            .filter(|f| f.signature == s)
            .flat_map(|f| f.evidence.iter())
            .collect(),
        None => r.decisive.iter().collect(),
    };
    // The decisive line stands in when the signature cites no line of its own.
    let refs = if refs.is_empty() {
        r.decisive.iter().collect()
    } else {
        refs
    };
    let mut seen = BTreeSet::new();
    let distinct: Vec<&LineRef> = refs
        .into_iter()
        .filter(|e| seen.insert(e.text.as_str()))
        .collect();
    let more = distinct.len().saturating_sub(LINES_SHOWN);
    let lines = distinct
        .into_iter()
        .take(LINES_SHOWN)
        .map(|e| match e.line {
            Some(l) => format!("{}:{l}: {}", short_path(&e.file), e.text),
            None => format!("{}: {}", short_path(&e.file), e.text),
        })
        .collect();
    (lines, more)
}

fn short_path(p: &str) -> String {
    // Evidence paths are long; the job file name is what identifies them.
    let parts: Vec<&str> = p.split(['/', '\\']).collect();
    if parts.len() > 2 {
        parts[parts.len() - 2..].join("/")
    } else {
        p.to_string()
    }
}

pub(super) fn evidence(o: &mut String, x: &Ctx, c: &Cluster, runs: &[&Run]) {
    let _ = writeln!(o, "### Evidence\n");
    for r in runs.iter().take(RUNS_SHOWN) {
        let mut facts = Vec::new();
        if let Some(k) = &r.kind {
            facts.push(k.as_str().to_string());
        }
        facts.push(format!("workspace {}", x.code(&r.workspace.slug)));
        facts.push(format!(
            "status {}",
            x.code(r.status.as_ref().map(|s| s.as_str()).unwrap_or("unknown"))
        ));
        facts.push(format!("outcome {}", x.code(r.outcome.as_str())));
        if let Some(t) = r.created_at {
            facts.push(format!("created {}", format_iso(t)));
        }
        let _ = writeln!(o, "**{}** ({})\n", x.code(&r.id), facts.join(", "));
        let (lines, more) = evidence_lines(c, r);
        if lines.is_empty() {
            let _ = writeln!(
                o,
                "No line-level evidence: {}.\n",
                x.code(&r.outcome_reason)
            );
        } else {
            o.push_str(&x.fenced(&lines.join("\n")));
            if more > 0 {
                let _ = writeln!(
                    o,
                    "\n+{more} more matching lines ({}).",
                    x.code(&format!("triage explain {}", r.id))
                );
            }
            o.push('\n');
        }
        let Some(d) = x.opts.excerpts.and_then(|e| e.get(&r.id)) else {
            continue;
        };
        if d.failing_total > 0 {
            let _ = writeln!(
                o,
                "Failing commands ({} of {}):\n",
                d.failing.len(),
                d.failing_total
            );
            let body: Vec<String> = d.failing.iter().map(|(l, t)| format!("{l}: {t}")).collect();
            o.push_str(&x.fenced(&body.join("\n")));
            if d.failing_total > d.failing.len() {
                let _ = writeln!(
                    o,
                    "\n+{} more failing commands.",
                    d.failing_total - d.failing.len()
                );
            }
            o.push('\n');
        }
        if !d.tail.is_empty() {
            let _ = writeln!(
                o,
                "Last log lines before the end ({} of {} entries):\n",
                d.tail.len(),
                d.entries
            );
            let body: Vec<String> = d
                .tail
                .iter()
                .map(|(l, t)| {
                    if *l == 0 {
                        t.clone()
                    } else {
                        format!("{l}: {t}")
                    }
                })
                .collect();
            o.push_str(&x.fenced(&body.join("\n")));
            o.push('\n');
        }
    }
    if runs.len() > RUNS_SHOWN {
        let rest: Vec<String> = runs[RUNS_SHOWN..].iter().map(|r| x.code(&r.id)).collect();
        let _ = writeln!(
            o,
            "+{} more runs: {}. `triage explain RUN-ID` shows a run's timeline.\n",
            rest.len(),
            join_and(&rest)
        );
    }
}
