//! `triage explain JOB`: finds one run and prints its timeline (rendered by
//! `report::timeline`). Each entry with its time and the gap since the
//! previous one, blocks folded to their first line (unfolded with `-v`), the lines that
//! proved a signature marked, then where the run stopped, its outcome and why.

use crate::redact::model;
use crate::report::timeline::{read_log, render};
use crate::rules::RuleSet;
use crate::scan::{self, ScanOptions};
use crate::term_safe;

/// Finds the run and prints its timeline; returns the exit code. With `opts.redactor`
/// (`--redact`) the scan redacts evidence before capping it, and the run, the warnings and
/// the log entries are redacted on the model before the timeline is rendered.
pub fn explain(
    job: &str,
    opts: &ScanOptions,
    rules: &RuleSet,
    verbose: bool,
) -> anyhow::Result<i32> {
    let recorded = scan::scan(opts, rules);
    let redacted = opts
        .redactor
        .as_ref()
        .map(|base| model::redacted(&recorded, base));
    let res = redacted.as_ref().map_or(&recorded, |(r, _)| r);
    for w in &res.warnings {
        eprintln!("triage: warning: {}", term_safe::line(&w.to_string()));
    }
    // Looked up among the recorded ids (what the user typed); shown as redacted. The model
    // pass keeps the order of runs.
    let exact: Vec<usize> = (0..recorded.runs.len())
        .filter(|&i| recorded.runs[i].id == job)
        .collect();
    let found: Vec<usize> = if exact.is_empty() {
        (0..recorded.runs.len())
            .filter(|&i| recorded.runs[i].id.starts_with(job))
            .collect()
    } else {
        exact
    };
    let index = match found.as_slice() {
        [i] => *i,
        [] => {
            eprintln!(
                "triage: no run `{}` among {} runs scanned",
                term_safe::line(job),
                res.runs.len()
            );
            return Ok(2);
        }
        many => {
            eprintln!(
                "triage: `{}` matches {} runs: {}",
                term_safe::line(job),
                many.len(),
                term_safe::line(
                    &many
                        .iter()
                        .filter_map(|&i| res.runs.get(i).map(|r| r.id.as_str()))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            );
            return Ok(2);
        }
    };
    let (Some(recorded_run), Some(run)) = (recorded.runs.get(index), res.runs.get(index)) else {
        return Ok(2);
    };
    let mut log = read_log(recorded_run);
    if let (Some(l), Some((_, r))) = (log.as_mut(), redacted.as_ref()) {
        l.entries = model::redacted_entries(&l.entries, r);
    }
    // Record text reaches the terminal: control characters are shown escaped.
    print!(
        "{}",
        term_safe::block(&render(run, log.as_ref(), res.now, rules, verbose))
    );
    Ok(0)
}
