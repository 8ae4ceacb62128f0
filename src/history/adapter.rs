//! The one place where the history store meets the scan pipeline: running a scan, turning a
//! scanned `Run` into what the store keeps ([`RunData`] plus findings), turning stored rows
//! back into `Run`s so that clustering (`cluster::build`) and the reports
//! (`report::json`, `report::markdown`) are the scan's own, and building the export
//! document. When the pipeline's types move, this file is what changes.

use super::ojson::Json;
use crate::cluster::{self, Cluster};
use crate::report;
use crate::rules::RuleSet;
use crate::run::{ErrorLine, ErrorSource, Finding, LineRef, Run, SharedPath, Sources, Workspace};
use crate::scan::{self, ScanOptions, ScanResult, Scanned};
use crate::timefmt::{Millis, format_iso, parse_timestamp};
use crate::vocab::Severity;
use crate::vocab::StateRoot;
use crate::vocab::{Kind, Status};
use crate::vocab::{Outcome, Platform};
use crate::warn::Warning;
use serde::{Deserialize, Serialize};
use std::path::Path;

// The data types below deserialise documents of older or partial shape: a missing `Option`
// field reads as `None` without `#[serde(default)]`; other fields say their default.

/// A cited line as the store and the export keep it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineData {
    /// File path.
    #[serde(default)]
    pub file: String,
    /// 1-based line.
    pub line: Option<u64>,
    /// Text, capped as in the scan.
    #[serde(default)]
    pub text: String,
}

/// An error line as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorLineData {
    /// `record`, `codex-error`, `final-output` or `command-failed`.
    pub source: String,
    /// The line.
    #[serde(flatten)]
    pub line: LineData,
}

/// Workspace as exported.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceData {
    /// Slug.
    #[serde(default)]
    pub slug: String,
    /// Hash.
    pub hash: Option<String>,
    /// Root.
    pub root: Option<String>,
}

/// Files a run was read from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceData {
    /// `state.json`.
    pub index: Option<String>,
    /// Job JSON.
    pub record: Option<String>,
    /// Job log.
    pub log: Option<String>,
}

/// Everything the store keeps of one run besides its findings: the fields of a run in the
/// export document (schema v1, times as ISO strings) plus the few a scan knows that the export
/// leaves out. Deserialising a run of an export document gives one of these too (`import`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunData {
    /// Job id.
    pub id: String,
    /// Workspace.
    #[serde(default)]
    pub workspace: WorkspaceData,
    /// Layout.
    pub state_root: Option<String>,
    /// Kind.
    pub kind: Option<String>,
    /// Title.
    pub title: Option<String>,
    /// Plugin status.
    pub status: Option<String>,
    /// Plugin phase.
    pub phase: Option<String>,
    /// Triage outcome.
    pub outcome: Option<String>,
    /// Why.
    pub outcome_reason: Option<String>,
    /// Creation time.
    pub created_at: Option<String>,
    /// Start.
    pub started_at: Option<String>,
    /// End.
    pub completed_at: Option<String>,
    /// Last index update (not in the export).
    pub updated_at: Option<String>,
    /// Last activity.
    pub last_activity_at: Option<String>,
    /// Plugin version.
    pub plugin_version: Option<String>,
    /// CLI version.
    pub cli_version: Option<String>,
    /// Platform.
    pub platform: Option<String>,
    /// Thread id.
    pub thread_id: Option<String>,
    /// Turn id (not in the export).
    pub turn_id: Option<String>,
    /// Claude session id (not in the export).
    pub session_id: Option<String>,
    /// Recorded pid.
    pub pid: Option<i64>,
    /// Error message.
    pub error_message: Option<String>,
    /// Summary.
    pub summary: Option<String>,
    /// Model of a background task (not in the export).
    pub model: Option<String>,
    /// Decisive line.
    pub decisive: Option<LineData>,
    /// Last log entry (not in the export).
    pub last_entry: Option<LineData>,
    /// Error lines, what unexplained runs are clustered by (not in the export).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub error_lines: Vec<ErrorLineData>,
    /// Files.
    #[serde(default)]
    pub source: SourceData,
}

impl RunData {
    /// Creation time in milliseconds.
    pub fn created_ms(&self) -> Option<Millis> {
        self.created_at.as_deref().and_then(parse_timestamp)
    }

    /// The state directory the run's files live in: the folder holding `state.json` and
    /// `jobs/`, named after its source files. Part of the run identity.
    pub fn state_dir(&self) -> String {
        if let Some(i) = &self.source.index
            && let Some(p) = parent_of(i)
        {
            return p;
        }
        for f in [&self.source.record, &self.source.log]
            .into_iter()
            .flatten()
        {
            // `<dir>/jobs/<id>.json` and the per-run `…/jobs/<id>/turn.log`: up to `jobs`.
            let parts: Vec<&str> = f.split(['/', '\\']).collect();
            if let Some(j) = parts.iter().rposition(|p| *p == "jobs")
                && j > 0
            {
                return f[..parts[..j].iter().map(|p| p.len() + 1).sum::<usize>() - 1].to_string();
            }
            if let Some(p) = parent_of(f) {
                return p;
            }
        }
        format!(
            "workspace:{}",
            self.workspace
                .hash
                .clone()
                .unwrap_or_else(|| self.workspace.slug.clone())
        )
    }
}

fn parent_of(path: &str) -> Option<String> {
    let cut = path.rfind(['/', '\\'])?;
    (cut > 0).then(|| path[..cut].to_string())
}

/// One finding as the store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingData {
    /// Signature id.
    pub signature: String,
    /// Severity word.
    pub severity: String,
    /// Evidence lines.
    pub evidence: Vec<LineData>,
}

/// A scanned run, ready for the store.
#[derive(Debug, Clone)]
pub struct Captured {
    /// The run's fields.
    pub data: RunData,
    /// Its findings, most severe first.
    pub findings: Vec<FindingData>,
}

/// The result of one scan for capture: its runs and its warnings.
pub struct CaptureScan {
    /// Runs, converted.
    pub runs: Vec<Captured>,
    /// Scan warnings.
    pub warnings: Vec<Warning>,
    /// Roots scanned.
    pub roots: Vec<String>,
}

/// Runs the scan's discovery and classification for `triage capture`. Paths are made
/// absolute so that a run captured from a relative path and later from the default roots is
/// one identity, and so that `history` can say where its files were.
pub fn scan_for_capture(opts: &ScanOptions, rules: &RuleSet) -> CaptureScan {
    let mut opts = opts.clone();
    opts.progress = false;
    let res = scan::read_runs(&opts, rules);
    let runs = res
        .runs
        .iter()
        .map(|r| {
            let mut data = run_data(r);
            absolutise(&mut data);
            let mut findings = findings_data(r);
            for f in &mut findings {
                for e in &mut f.evidence {
                    e.file = absolute(&e.file);
                }
            }
            Captured { data, findings }
        })
        .collect();
    CaptureScan {
        runs,
        warnings: res.warnings,
        roots: res.scanned.roots,
    }
}

fn absolute(p: &str) -> String {
    if p.is_empty() {
        return String::new();
    }
    std::path::absolute(Path::new(p))
        .map(|a| a.display().to_string())
        .unwrap_or_else(|_| p.to_string())
}

fn absolutise(d: &mut RunData) {
    for p in [&mut d.source.index, &mut d.source.record, &mut d.source.log]
        .into_iter()
        .flatten()
    {
        *p = absolute(p);
    }
    for l in [&mut d.decisive, &mut d.last_entry].into_iter().flatten() {
        l.file = absolute(&l.file);
    }
    for e in &mut d.error_lines {
        e.line.file = absolute(&e.line.file);
    }
}

fn line_data(l: &LineRef) -> LineData {
    LineData {
        file: l.file.to_string(),
        line: l.line,
        text: l.text.clone(),
    }
}

fn iso(t: Option<Millis>) -> Option<String> {
    t.map(format_iso)
}

/// The stored fields of a scanned run.
pub fn run_data(r: &Run) -> RunData {
    RunData {
        id: r.id.clone(),
        workspace: WorkspaceData {
            slug: r.workspace.slug.clone(),
            hash: r.workspace.hash.clone(),
            root: r.workspace.root.clone(),
        },
        state_root: Some(r.state_root.as_str().to_string()),
        kind: r.kind.as_ref().map(|k| k.as_str().to_string()),
        title: r.title.clone(),
        status: r.status.as_ref().map(|s| s.as_str().to_string()),
        phase: r.phase.clone(),
        outcome: Some(r.outcome.as_str().to_string()),
        outcome_reason: Some(r.outcome_reason.clone()),
        created_at: iso(r.created_at),
        started_at: iso(r.started_at),
        completed_at: iso(r.completed_at),
        updated_at: iso(r.updated_at),
        last_activity_at: iso(r.last_activity_at),
        plugin_version: r.plugin_version.clone(),
        cli_version: r.cli_version.clone(),
        platform: r.platform.map(|p| p.as_str().to_string()),
        thread_id: r.thread_id.clone(),
        turn_id: r.turn_id.clone(),
        session_id: r.session_id.clone(),
        pid: r.pid,
        error_message: r.error_message.clone(),
        summary: r.summary.clone(),
        model: r.model.clone(),
        decisive: r.decisive.as_ref().map(line_data),
        last_entry: r.last_entry.as_ref().map(line_data),
        error_lines: r
            .error_lines
            .iter()
            .map(|e| ErrorLineData {
                source: e.source.as_str().to_string(),
                line: line_data(&e.line),
            })
            .collect(),
        source: SourceData {
            index: r.sources.index.as_deref().map(str::to_string),
            record: r.sources.record.as_deref().map(str::to_string),
            log: r.sources.log.as_deref().map(str::to_string),
        },
    }
}

/// The findings of a scanned run.
pub fn findings_data(r: &Run) -> Vec<FindingData> {
    r.findings
        .iter()
        .map(|f| FindingData {
            signature: f.signature.clone(),
            severity: f.severity.as_str().to_string(),
            evidence: f.evidence.iter().map(line_data).collect(),
        })
        .collect()
}

fn outcome_of(s: Option<&str>) -> Outcome {
    Outcome::ALL
        .into_iter()
        .find(|o| Some(o.as_str()) == s)
        .unwrap_or(Outcome::InProgress)
}

fn platform_of(s: Option<&str>) -> Option<Platform> {
    [
        Platform::Windows,
        Platform::Macos,
        Platform::Linux,
        Platform::Wsl,
    ]
    .into_iter()
    .find(|p| Some(p.as_str()) == s)
}

fn state_root_of(s: Option<&str>) -> StateRoot {
    [
        StateRoot::PluginData,
        StateRoot::TmpFallback,
        StateRoot::PerRun,
    ]
    .into_iter()
    .find(|r| Some(r.as_str()) == s)
    .unwrap_or(StateRoot::Other)
}

fn line_ref(l: &LineData) -> LineRef {
    LineRef {
        file: SharedPath::from(l.file.as_str()),
        line: l.line,
        text: l.text.clone(),
    }
}

/// A stored run as a pipeline `Run`, so clustering and the reports treat it like a
/// scanned one.
pub fn to_run(d: &RunData, findings: &[FindingData]) -> Run {
    let t = |s: &Option<String>| s.as_deref().and_then(parse_timestamp);
    Run {
        id: d.id.clone(),
        workspace: Workspace {
            slug: d.workspace.slug.clone(),
            hash: d.workspace.hash.clone(),
            root: d.workspace.root.clone(),
        },
        state_root: state_root_of(d.state_root.as_deref()),
        kind: d.kind.as_deref().map(Kind::parse),
        title: d.title.clone(),
        status: d.status.as_deref().map(Status::parse),
        phase: d.phase.clone(),
        outcome: outcome_of(d.outcome.as_deref()),
        outcome_reason: d.outcome_reason.clone().unwrap_or_default(),
        created_at: t(&d.created_at),
        started_at: t(&d.started_at),
        completed_at: t(&d.completed_at),
        updated_at: t(&d.updated_at),
        last_activity_at: t(&d.last_activity_at),
        pid: d.pid,
        pid_alive: None,
        plugin_version: d.plugin_version.clone(),
        cli_version: d.cli_version.clone(),
        platform: platform_of(d.platform.as_deref()),
        thread_id: d.thread_id.clone(),
        turn_id: d.turn_id.clone(),
        session_id: d.session_id.clone(),
        summary: d.summary.clone(),
        error_message: d.error_message.clone(),
        model: d.model.clone(),
        last_entry: d.last_entry.as_ref().map(line_ref),
        decisive: d.decisive.as_ref().map(line_ref),
        error_lines: d
            .error_lines
            .iter()
            .filter_map(|e| {
                Some(ErrorLine {
                    source: ErrorSource::parse(&e.source)?,
                    line: line_ref(&e.line),
                })
            })
            .collect(),
        sources: Sources {
            index: d.source.index.as_deref().map(SharedPath::from),
            record: d.source.record.as_deref().map(SharedPath::from),
            log: d.source.log.as_deref().map(SharedPath::from),
        },
        findings: findings
            .iter()
            .map(|f| Finding {
                signature: f.signature.clone(),
                severity: Severity::parse(&f.severity).unwrap_or(Severity::Medium),
                evidence: f.evidence.iter().map(line_ref).collect(),
            })
            .collect(),
    }
}

/// The severity of a signature in the loaded rules, for imported findings.
pub fn rule_severity(rules: &RuleSet, signature: &str) -> Option<String> {
    rules
        .get(signature)
        .map(|r| r.file.severity.as_str().to_string())
}

/// Clusters over stored runs, exactly as a scan clusters.
pub fn clusters(runs: &[Run], rules: &RuleSet) -> Vec<Cluster> {
    cluster::build(runs, rules)
}

/// A scan result made of stored runs, for the renderers that take one.
pub fn as_scan_result(
    runs: Vec<Run>,
    clusters: Vec<Cluster>,
    now: Millis,
    store: &str,
) -> ScanResult {
    let mut ws: Vec<String> = runs.iter().map(|r| r.workspace.key()).collect();
    ws.sort();
    ws.dedup();
    ScanResult {
        scanned: Scanned {
            roots: vec![store.to_string()],
            jobs: runs.len() as u64,
            files: 0,
            bytes: 0,
            workspaces: ws.len() as u64,
            left_out_by_since: 0,
        },
        runs,
        clusters,
        warnings: Vec::new(),
        now,
    }
}

/// The export document (schema/export.schema.json) of a scan result, in the scan's own key
/// order, with per-run and per-cluster history fields added after the scan's own and a
/// top-level `history` object.
pub fn document(
    res: &ScanResult,
    rules: &RuleSet,
    generated_at: Millis,
    run_extra: &dyn Fn(usize) -> Json,
    cluster_extra: &dyn Fn(&Cluster) -> Json,
    history: Json,
) -> anyhow::Result<Json> {
    let doc = report::json::document(res, rules, generated_at);
    let mut v = Json::from_serialize(&doc)?;
    if let Json::Object(top) = &mut v {
        if let Some(Json::Array(runs)) = top.get_mut("runs") {
            for (i, r) in runs.iter_mut().enumerate() {
                r.extend_object(run_extra(i));
            }
        }
        if let Some(Json::Array(cs)) = top.get_mut("clusters") {
            for (c, cv) in res.clusters.iter().zip(cs.iter_mut()) {
                cv.extend_object(cluster_extra(c));
            }
        }
        top.insert("history".into(), history);
    }
    Ok(v)
}

/// One run as an NDJSON line's object (the scan's run document).
pub fn run_json(r: &Run) -> anyhow::Result<Json> {
    Ok(Json::from_serialize(&report::json::run_doc(r))?)
}

/// The scan's Markdown for one cluster. `excerpts`, when given, are the log excerpts the
/// caller read from the recorded runs and redacted (a redacted run's log path may no longer
/// be readable); else they are read from `runs` as they are.
pub fn markdown_cluster(
    c: &Cluster,
    runs: &[&Run],
    rules: &RuleSet,
    excerpts: Option<&report::markdown::Excerpts>,
) -> String {
    let read;
    let excerpts = match excerpts {
        Some(e) => e,
        None => {
            read = report::markdown::Excerpts::for_cluster_runs(runs, None);
            &read
        }
    };
    let opts = report::markdown::Options {
        environment: None,
        excerpts: Some(excerpts),
    };
    report::markdown::render_cluster(c, runs, rules, opts)
}
