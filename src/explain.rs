//! `triage explain JOB`: finds one run (an id, a prefix, `WORKSPACE/ID` or a job file's
//! path: `select.rs`) and prints its timeline (rendered by
//! `report::timeline`). Each entry with its time and the gap since the
//! previous one, blocks folded to their first line (unfolded with `-v`), the lines that
//! proved a signature marked, then where the run stopped, its outcome and why.

use crate::redact::model;
use crate::report::timeline::{read_log, render};
use crate::rules::RuleSet;
use crate::run::Run;
use crate::scan::{self, ScanOptions};
use crate::select::{self, NoSingleRun};
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
    // Looked up among the recorded runs (what the user typed); shown as redacted. The model
    // pass keeps the order of runs, so an index names the same run in both.
    let index_of = |r: &Run| recorded.runs.iter().position(|x| std::ptr::eq(x, r));
    let index = match select::pick(&recorded.runs, job) {
        Ok(r) => index_of(r),
        Err(NoSingleRun::None) => {
            eprintln!(
                "triage: no run `{}` among {} runs scanned",
                term_safe::line(job),
                res.runs.len()
            );
            return Ok(2);
        }
        Err(NoSingleRun::Ambiguous(many)) => {
            eprintln!(
                "triage: `{}` matches {} runs; name one as WORKSPACE/ID or by its file:",
                term_safe::line(job),
                many.len()
            );
            for r in many {
                let r = index_of(r).and_then(|i| res.runs.get(i)).unwrap_or(r);
                eprintln!(
                    "  {}  {}",
                    term_safe::line(&select::qualified(r)),
                    term_safe::line(select::file_of(r).unwrap_or("(index entry only)"))
                );
            }
            return Ok(2);
        }
    };
    let Some(index) = index else { return Ok(2) };
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
