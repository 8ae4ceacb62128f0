//! `triage export` and `triage bundle`: what goes to an issue tracker, redacted by default.

use super::args::{BundleCmd, ExportCmd, ExportFormat, RuleArgs};
use super::scan::{scan_paths, stream_paths};
use super::{CmdResult, EXIT_OK, Exit, resolve};
use crate::doctor;
use crate::history;
use crate::redact::Redactor;
use crate::report::{self, out::Output};
use crate::scan::ScanResult;
use anyhow::Context;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// `triage export`.
pub(crate) fn export(ra: &RuleArgs, db: Option<&Path>, a: ExportCmd) -> CmdResult {
    if a.history {
        return export_history(ra, db, a);
    }
    let redactor = (!a.no_redact).then(Redactor::from_env);
    let out = Output::from_flag(a.output.as_deref());
    if matches!(a.format, ExportFormat::Json) && !a.title_only {
        // Streamed: the runs wait in a spill file, not in memory.
        let (rules, mut res) = stream_paths(ra, &a.paths, &a.scan, redactor.as_ref(), true)?;
        let keep = match a.cluster.as_deref() {
            Some(id) => {
                pick_cluster(&mut res.clusters, id)?;
                Some(clustered_ids(&res.clusters))
            }
            None => None,
        };
        let format = report::Format::Json;
        report::streamed(res, &rules, format, redactor.as_ref(), keep.as_ref(), &out)?;
        return Ok(EXIT_OK);
    }
    let (rules, mut res) = scan_paths(ra, &a.paths, &a.scan, redactor.as_ref())?;
    select_cluster(&mut res, a.cluster.as_deref())?;
    if a.title_only {
        let prep = report::Prepared::new(&res, redactor.as_ref());
        out.text(&format!("{}\n", report::markdown::title(prep.result())))?;
        return Ok(EXIT_OK);
    }
    match a.format {
        ExportFormat::Json => {
            report::scan_result(&res, &rules, report::Format::Json, redactor.as_ref(), &out)?
        }
        ExportFormat::Markdown => {
            // The environment is this machine's (or --home's), as `triage doctor` sees it
            // without running programs; redacted like everything else.
            let facts = doctor::gather(&doctor::Inputs::from_env(a.home, false)?, &rules);
            let facts = match &redactor {
                Some(r) => facts.redacted(r),
                None => Some(facts),
            };
            let format = report::Format::Markdown {
                environment: facts.as_ref(),
            };
            report::scan_result(&res, &rules, format, redactor.as_ref(), &out)?;
        }
    }
    Ok(EXIT_OK)
}

/// `triage export --history`: the tracker export from the store, not from a scan.
fn export_history(ra: &RuleArgs, db: Option<&Path>, a: ExportCmd) -> CmdResult {
    resolve::no_paths_with_history(&a.paths)?;
    let rules = resolve::rules(ra, &[])?;
    let opts = resolve::scan_options(&a.paths, &a.scan)?;
    let req = history::ReportRequest {
        db,
        since: opts.since,
        cluster: a.cluster.as_deref(),
        format: match a.format {
            ExportFormat::Json => history::Format::Json,
            ExportFormat::Markdown => history::Format::Markdown,
        },
        output: a.output.as_deref(),
        redact: !a.no_redact,
        now: opts.now,
    };
    Ok(history::history(&req, &rules)?)
}

/// Keeps only cluster `id` and its runs; an unknown id is refused with the list of clusters.
fn select_cluster(res: &mut ScanResult, id: Option<&str>) -> Result<(), Exit> {
    let Some(id) = id else { return Ok(()) };
    pick_cluster(&mut res.clusters, id)?;
    keep_clustered_runs(res);
    Ok(())
}

/// Keeps only cluster `id`; an unknown id is refused with the list of clusters.
fn pick_cluster(clusters: &mut Vec<crate::cluster::Cluster>, id: &str) -> Result<(), Exit> {
    if !clusters.iter().any(|c| c.id == id) {
        return Err(Exit::Refused(format!(
            "no cluster `{id}` in this scan; clusters: {}",
            clusters
                .iter()
                .map(|c| c.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    clusters.retain(|c| c.id == id);
    Ok(())
}

/// The ids of the runs in `clusters`.
fn clustered_ids(clusters: &[crate::cluster::Cluster]) -> HashSet<String> {
    clusters
        .iter()
        .flat_map(|c| c.runs.iter().cloned())
        .collect()
}

/// Drops the runs that are in no cluster (healthy runs without a signature).
fn keep_clustered_runs(res: &mut ScanResult) {
    // By membership, not id: the same id can also be a healthy run in another workspace.
    let keep: HashSet<*const crate::run::Run> = res
        .clusters
        .iter()
        .flat_map(|c| crate::select::members(&res.runs, c))
        .map(|r| r as *const _)
        .collect();
    let flags: Vec<bool> = res
        .runs
        .iter()
        .map(|r| keep.contains(&(r as *const _)))
        .collect();
    let mut flag = flags.into_iter();
    res.runs.retain(|_| flag.next().unwrap_or(false));
}

/// `triage bundle`.
pub(crate) fn bundle(ra: &RuleArgs, a: BundleCmd) -> CmdResult {
    let redactor = (!a.no_redact).then(Redactor::from_env);
    let (rules, mut res) = scan_paths(ra, &a.paths, &a.scan, redactor.as_ref())?;
    if res.scanned.roots.is_empty() {
        return Err(Exit::Refused("no job records to bundle".into()));
    }
    select_cluster(&mut res, a.cluster.as_deref())?;
    if !a.all {
        keep_clustered_runs(&mut res);
    }
    if res.runs.is_empty() {
        return Err(Exit::Refused(
            "no run to bundle (no failed, stalled or flagged run; --all takes every run)".into(),
        ));
    }
    let out = resolve::bundle_output(a.output, res.now);
    let roots: Vec<PathBuf> = if a.paths.is_empty() {
        crate::discover::default_roots()
    } else {
        a.paths.clone()
    };
    crate::bundle::check_output(&out, &roots)?;
    let facts = doctor::gather(&doctor::Inputs::from_env(a.home, false)?, &rules);
    // The export is redacted on the model; the bundle redacts every file (records too).
    let prep = report::Prepared::new(&res, redactor.as_ref());
    let doc = report::json::document(prep.result(), &rules, res.now);
    let contents = crate::bundle::Contents {
        runs: &res.runs,
        export_json: serde_json::to_string_pretty(&doc).context("export document")? + "\n",
        doctor: Some(&facts),
        redactor: redactor.as_ref(),
        mtime: (res.now / 1000).max(0) as u64,
    };
    let file =
        std::fs::File::create(&out).with_context(|| format!("cannot write {}", out.display()))?;
    let names = crate::bundle::write(std::io::BufWriter::new(file), &contents)?;
    eprintln!(
        "triage: wrote {} ({} runs, {} files{})",
        crate::term_safe::line(&out.display().to_string()),
        res.runs.len(),
        names.len(),
        if a.no_redact {
            ", NOT redacted"
        } else {
            ", redacted"
        }
    );
    Ok(EXIT_OK)
}
