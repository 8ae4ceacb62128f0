//! `triage scan` and `triage explain`, and the scan step the export commands share.

use super::args::{ColorWhen, ExplainCmd, RuleArgs, ScanArgs, ScanCmd, ScanFormat};
use super::{CmdResult, EXIT_FINDINGS, EXIT_OK, Exit, resolve};
use crate::redact::Redactor;
use crate::report::{self, out::Output};
use crate::rules::RuleSet;
use crate::scan::{self, ScanResult};
use crate::term_safe;
use crate::vocab::Severity;
use std::io::Write;
use std::path::{Path, PathBuf};

/// `triage scan`: streamed ([`scan::stream`]): runs are spilled to a temporary file as
/// they are finished and written from it, so memory does not grow with the corpus.
pub(crate) fn scan(ra: &RuleArgs, color: ColorWhen, a: ScanCmd) -> CmdResult {
    let fail_on = resolve::fail_on(a.fail_on.as_deref())?;
    let redactor = a.redact.then(Redactor::from_env);
    let format = match a.format {
        ScanFormat::Human => {
            report::Format::Human(resolve::human_style(color, a.summary, a.output.as_deref()))
        }
        ScanFormat::Json => report::Format::Json,
        ScanFormat::Ndjson => report::Format::Ndjson,
    };
    // The human report needs no run list, unless redaction must learn from every run.
    let spill = !matches!(format, report::Format::Human(_)) || redactor.is_some();
    let (rules, res) = stream_paths(ra, &a.paths, &a.scan, redactor.as_ref(), spill)?;
    if a.paths.is_empty()
        && let Some(msg) = nothing_found(res.tally.total, &res.scanned.roots)
    {
        eprint!("{msg}");
        return Ok(EXIT_OK);
    }
    let exit = exit_for(res.tally.worst, fail_on);
    let out = Output::from_flag(a.output.as_deref());
    report::streamed(res, &rules, format, redactor.as_ref(), None, &out)?;
    Ok(exit)
}

/// [`scan_paths`] streamed: the runs in a spill (when `spill`), not in memory.
pub(crate) fn stream_paths(
    ra: &RuleArgs,
    paths: &[PathBuf],
    sa: &ScanArgs,
    redactor: Option<&Redactor>,
    spill: bool,
) -> Result<(RuleSet, scan::Streamed), Exit> {
    let rules = resolve::rules(ra, &[])?;
    let mut opts = resolve::scan_options(paths, sa)?;
    opts.redactor = redactor.cloned();
    let res = scan::stream(&opts, &rules, spill).map_err(|e| Exit::Refused(e.to_string()))?;
    emit_warnings(&res.warnings);
    if !paths.is_empty() && res.scanned.roots.is_empty() {
        return Err(Exit::Refused(
            "no readable input among the given paths".into(),
        ));
    }
    Ok((rules, res))
}

/// `triage explain`.
pub(crate) fn explain(ra: &RuleArgs, a: ExplainCmd) -> CmdResult {
    let rules = resolve::rules(ra, &[])?;
    // `explain path/to/jobs/<id>.json` reads that file (and its log) when no PATH is given.
    let paths = if a.paths.is_empty() && Path::new(&a.job).is_file() {
        vec![PathBuf::from(&a.job)]
    } else {
        a.paths.clone()
    };
    let mut opts = resolve::scan_options(&paths, &a.scan)?;
    opts.redactor = a.redact.then(Redactor::from_env);
    Ok(crate::explain::explain(&a.job, &opts, &rules, a.verbose)?)
}

/// Loads the rules and scans `paths`, printing warnings; an error when the rules are invalid
/// or none of the given paths could be read. With a redactor, evidence is redacted before
/// it is capped.
pub(crate) fn scan_paths(
    ra: &RuleArgs,
    paths: &[PathBuf],
    sa: &ScanArgs,
    redactor: Option<&Redactor>,
) -> Result<(RuleSet, ScanResult), Exit> {
    let rules = resolve::rules(ra, &[])?;
    let mut opts = resolve::scan_options(paths, sa)?;
    opts.redactor = redactor.cloned();
    let res = scan::scan(&opts, &rules);
    emit_warnings(&res.warnings);
    if !paths.is_empty() && res.scanned.roots.is_empty() {
        return Err(Exit::Refused(
            "no readable input among the given paths".into(),
        ));
    }
    Ok((rules, res))
}

/// The scan's warnings on stderr (unless `--quiet`), control characters escaped.
pub(crate) fn emit_warnings(warnings: &[crate::warn::Warning]) {
    if crate::report::out::is_quiet() {
        return;
    }
    let mut err = std::io::stderr().lock();
    for w in warnings {
        let _ = writeln!(err, "triage: warning: {}", term_safe::line(&w.to_string()));
    }
}

/// `EXIT_FINDINGS` when a finding is at or above `fail_on`.
fn exit_for(worst: Option<Severity>, fail_on: Option<Severity>) -> i32 {
    let failing = fail_on.is_some_and(|min| worst.is_some_and(|w| w >= min));
    if failing { EXIT_FINDINGS } else { EXIT_OK }
}

/// When nothing was found at the default locations: say where we looked.
fn nothing_found(runs: usize, roots: &[String]) -> Option<String> {
    if runs > 0 || !roots.is_empty() {
        return None;
    }
    let mut s = String::from("triage: no codex plugin job records found. Looked in:\n");
    for r in scan::default_roots_display() {
        s.push_str(&format!("  {r}\n"));
    }
    // The sample data ships in the repository; name it where this binary was built from.
    let built = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join("sample");
    let sample = if built.is_dir() {
        built.display().to_string()
    } else {
        "testdata/sample".into()
    };
    s.push_str(&format!(
        "\nPoint triage at records with `triage scan PATH`, or try the sample data:\n  triage scan {sample}\n"
    ));
    Some(s)
}
