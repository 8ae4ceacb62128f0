//! `triage explain JOB`: finds one run (an id, a prefix, `WORKSPACE/ID` or a job file's
//! path: `select.rs`) and prints its timeline (rendered by
//! `report::timeline`). Each entry with its time and the gap since the
//! previous one, blocks folded to their first line (unfolded with `-v`), the lines that
//! proved a signature marked, then where the run stopped, its outcome and why.

use crate::report::timeline::render;
use crate::rules::RuleSet;
use crate::scan::{self, ScanOptions};
use crate::select::{self, NoSingleRun};
use crate::term_safe;

/// Finds the run and prints its timeline; returns the exit code.
pub fn explain(
    job: &str,
    opts: &ScanOptions,
    rules: &RuleSet,
    verbose: bool,
) -> anyhow::Result<i32> {
    let res = scan::scan(opts, rules);
    for w in &res.warnings {
        eprintln!("triage: warning: {}", term_safe::line(&w.to_string()));
    }
    let run = match select::pick(&res.runs, job) {
        Ok(r) => r,
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
                eprintln!(
                    "  {}  {}",
                    term_safe::line(&select::qualified(r)),
                    term_safe::line(select::file_of(r).unwrap_or("(index entry only)"))
                );
            }
            return Ok(2);
        }
    };
    // Record text reaches the terminal: control characters are shown escaped.
    print!(
        "{}",
        term_safe::block(&render(run, res.now, rules, verbose))
    );
    Ok(0)
}
