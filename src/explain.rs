//! `triage explain JOB`: finds one run and prints its timeline (rendered by
//! `report::timeline`). Each entry with its time and the gap since the
//! previous one, blocks folded to their first line (unfolded with `-v`), the lines that
//! proved a signature marked, then where the run stopped, its outcome and why.

use crate::report::timeline::render;
use crate::rules::RuleSet;
use crate::run::Run;
use crate::scan::{self, ScanOptions};
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
    let exact: Vec<&Run> = res.runs.iter().filter(|r| r.id == job).collect();
    let found: Vec<&Run> = if exact.is_empty() {
        res.runs.iter().filter(|r| r.id.starts_with(job)).collect()
    } else {
        exact
    };
    let run = match found.as_slice() {
        [r] => *r,
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
                        .map(|r| r.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            );
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
