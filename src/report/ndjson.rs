//! NDJSON: the JSON document as a stream a log pipeline can take whole, one object per line,
//! each with a `type` saying what it is — `run` (a run of `$defs/run`, as soon as it is
//! written), `cluster` (the document's clusters), `warning`, then one `summary` (tool, rule
//! set, totals, generation time) last, so a consumer knows the stream is complete.

use super::json::{self, SCHEMA_VERSION};
use crate::rules::RuleSet;
use crate::scan::ScanResult;
use crate::timefmt::{Millis, format_iso};
use serde::Serialize;
use std::io::Write;

/// What an NDJSON line holds: its `type` and the object's own fields beside it.
#[derive(Serialize)]
struct Line<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    body: &'a T,
}

/// The closing line: what the JSON document says outside its lists.
#[derive(Serialize)]
struct Summary {
    schema_version: u32,
    tool: json::Tool,
    ruleset: json::Ruleset,
    generated_at: String,
    scanned: json::ScannedDoc,
    runs: usize,
    clusters: usize,
    warnings: usize,
}

fn line<T: Serialize>(w: &mut dyn Write, kind: &'static str, body: &T) -> std::io::Result<()> {
    serde_json::to_writer(&mut *w, &Line { kind, body }).map_err(std::io::Error::from)?;
    w.write_all(b"\n")
}

/// Writes `res` as NDJSON: runs, clusters, warnings, then the summary.
pub fn write(
    w: &mut dyn Write,
    res: &ScanResult,
    rules: &RuleSet,
    generated_at: Millis,
) -> std::io::Result<()> {
    let rest = Rest {
        scanned: &res.scanned,
        clusters: &res.clusters,
        warnings: &res.warnings,
    };
    write_streamed(w, &rest, rules, generated_at, &mut |each| {
        res.runs.iter().try_for_each(&mut *each)
    })
}

/// What an NDJSON stream holds besides its runs.
#[derive(Debug, Clone, Copy)]
pub struct Rest<'a> {
    /// Totals.
    pub scanned: &'a crate::scan::Scanned,
    /// Clusters.
    pub clusters: &'a [crate::cluster::Cluster],
    /// Warnings.
    pub warnings: &'a [crate::warn::Warning],
}

/// [`write`] with the runs read one at a time from `runs`, which hands each to its argument.
pub fn write_streamed(
    w: &mut dyn Write,
    rest: &Rest<'_>,
    rules: &RuleSet,
    generated_at: Millis,
    runs: &mut json::EachRun<'_>,
) -> std::io::Result<()> {
    let mut n = 0;
    runs(&mut |r| {
        n += 1;
        line(w, "run", &json::run_doc(r))
    })?;
    for c in rest.clusters {
        line(w, "cluster", c)?;
    }
    for warning in rest.warnings {
        line(w, "warning", warning)?;
    }
    let summary = Summary {
        schema_version: SCHEMA_VERSION,
        tool: json::tool(),
        ruleset: json::ruleset(rules),
        generated_at: format_iso(generated_at),
        scanned: json::scanned_doc(rest.scanned),
        runs: n,
        clusters: rest.clusters.len(),
        warnings: rest.warnings.len(),
    };
    line(w, "summary", &summary)
}
