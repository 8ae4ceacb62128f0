//! The JSON document of docs/format.md §11 (`schema_version` 1), shared by `scan --format json`
//! and `export --format json`. Field names are a contract with users' scripts: extend, never
//! rename; bump `SCHEMA_VERSION` on a breaking change. The schema is `schema/export.schema.json`.

use crate::cluster::Cluster;
use crate::rules::RuleSet;
use crate::run::{LineRef, Run};
use crate::scan::ScanResult;
use crate::timefmt::{Millis, format_iso};
use crate::warn::Warning;
use serde::Serialize;
use std::io::Write;

/// Version of the document layout.
pub const SCHEMA_VERSION: u32 = 1;

/// `tool`.
#[derive(Debug, Serialize)]
pub struct Tool {
    /// `triage`.
    pub name: &'static str,
    /// Crate version.
    pub version: &'static str,
}

/// `ruleset`.
#[derive(Debug, Serialize)]
pub struct Ruleset {
    /// Rules loaded.
    pub rules: usize,
    /// Hash of the rule files.
    pub hash: String,
}

/// `scanned`.
#[derive(Debug, Serialize)]
pub struct ScannedDoc {
    /// Roots.
    pub roots: Vec<String>,
    /// Jobs.
    pub jobs: u64,
    /// Files read.
    pub files: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Workspaces.
    pub workspaces: u64,
    /// Runs older than `--since`, left out of the document (absent when none were).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left_out_by_since: Option<u64>,
}

/// `workspace`.
#[derive(Debug, Serialize)]
pub struct WorkspaceDoc {
    /// Slug.
    pub slug: String,
    /// Hash.
    pub hash: Option<String>,
    /// Root.
    pub root: Option<String>,
}

/// One evidence line.
#[derive(Debug, Serialize)]
pub struct EvidenceDoc {
    /// Signature id.
    pub signature: String,
    /// File.
    pub file: String,
    /// Line.
    pub line: Option<u64>,
    /// Text.
    pub text: String,
}

/// `source`.
#[derive(Debug, Serialize)]
pub struct SourceDoc {
    /// Index file.
    pub index: Option<String>,
    /// Job JSON.
    pub record: Option<String>,
    /// Job log.
    pub log: Option<String>,
}

/// One run.
#[derive(Debug, Serialize)]
pub struct RunDoc {
    /// Job id.
    pub id: String,
    /// Workspace.
    pub workspace: WorkspaceDoc,
    /// Layout.
    pub state_root: String,
    /// Kind.
    pub kind: Option<String>,
    /// Title.
    pub title: Option<String>,
    /// Plugin status.
    pub status: Option<String>,
    /// Plugin phase.
    pub phase: Option<String>,
    /// Triage outcome.
    pub outcome: String,
    /// Why.
    pub outcome_reason: String,
    /// Times (ISO).
    pub created_at: Option<String>,
    /// Start.
    pub started_at: Option<String>,
    /// End.
    pub completed_at: Option<String>,
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
    /// Recorded pid.
    pub pid: Option<i64>,
    /// Error message.
    pub error_message: Option<String>,
    /// Summary.
    pub summary: Option<String>,
    /// The decisive line.
    pub decisive: Option<LineRef>,
    /// Signature ids, most severe first.
    pub signatures: Vec<String>,
    /// Evidence.
    pub evidence: Vec<EvidenceDoc>,
    /// Files.
    pub source: SourceDoc,
}

/// The runs of a document, turned into [`RunDoc`]s one at a time while serialising: a
/// second copy of every run would double a large scan's memory.
#[derive(Debug)]
pub struct RunsDoc<'a>(pub &'a [Run]);

impl Serialize for RunsDoc<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(run_doc))
    }
}

/// The whole document.
#[derive(Debug, Serialize)]
pub struct Document<'a> {
    /// Layout version.
    pub schema_version: u32,
    /// Tool.
    pub tool: Tool,
    /// Rules.
    pub ruleset: Ruleset,
    /// Generation time.
    pub generated_at: String,
    /// Totals.
    pub scanned: ScannedDoc,
    /// Warnings.
    pub warnings: Vec<Warning>,
    /// Runs.
    pub runs: RunsDoc<'a>,
    /// Clusters.
    /// Clusters, serialised as they are (times as ISO strings).
    pub clusters: &'a [Cluster],
}

fn iso(t: Option<Millis>) -> Option<String> {
    t.map(format_iso)
}

/// One run as JSON.
pub fn run_doc(r: &Run) -> RunDoc {
    RunDoc {
        id: r.id.clone(),
        workspace: WorkspaceDoc {
            slug: r.workspace.slug.clone(),
            hash: r.workspace.hash.clone(),
            root: r.workspace.root.clone(),
        },
        state_root: r.state_root.as_str().into(),
        kind: r.kind.as_ref().map(|k| k.as_str().into()),
        title: r.title.clone(),
        status: r.status.as_ref().map(|s| s.as_str().into()),
        phase: r.phase.clone(),
        outcome: r.outcome.as_str().into(),
        outcome_reason: r.outcome_reason.clone(),
        created_at: iso(r.created_at),
        started_at: iso(r.started_at),
        completed_at: iso(r.completed_at),
        last_activity_at: iso(r.last_activity_at),
        plugin_version: r.plugin_version.clone(),
        cli_version: r.cli_version.clone(),
        platform: r.platform.map(|p| p.as_str().into()),
        thread_id: r.thread_id.clone(),
        pid: r.pid,
        error_message: r.error_message.clone(),
        summary: r.summary.clone(),
        decisive: r.decisive.clone(),
        signatures: r.findings.iter().map(|f| f.signature.clone()).collect(),
        evidence: r
            .findings
            .iter()
            .flat_map(|f| {
                f.evidence.iter().map(|e| EvidenceDoc {
                    signature: f.signature.clone(),
                    file: e.file.to_string(),
                    line: e.line,
                    text: e.text.clone(),
                })
            })
            .collect(),
        source: SourceDoc {
            index: r.sources.index.as_deref().map(str::to_string),
            record: r.sources.record.as_deref().map(str::to_string),
            log: r.sources.log.as_deref().map(str::to_string),
        },
    }
}

/// `tool`: this triage.
pub fn tool() -> Tool {
    Tool {
        name: "triage",
        version: env!("CARGO_PKG_VERSION"),
    }
}

/// `ruleset`: the rules the report was made with.
pub fn ruleset(rules: &RuleSet) -> Ruleset {
    Ruleset {
        rules: rules.rules.len(),
        hash: rules.hash.clone(),
    }
}

/// `scanned`: what the scan read, and how many runs `--since` left out.
pub fn scanned(res: &ScanResult) -> ScannedDoc {
    scanned_doc(&res.scanned)
}

/// [`scanned`] of the totals alone.
pub fn scanned_doc(s: &crate::scan::Scanned) -> ScannedDoc {
    ScannedDoc {
        roots: s.roots.clone(),
        jobs: s.jobs,
        files: s.files,
        bytes: s.bytes,
        workspaces: s.workspaces,
        left_out_by_since: (s.left_out_by_since > 0).then_some(s.left_out_by_since),
    }
}

/// Hands each run of a report, in order, to its argument: how a streamed report reads its
/// runs (from a spill, or from a list).
pub type EachRun<'a> =
    dyn FnMut(&mut dyn FnMut(&Run) -> std::io::Result<()>) -> std::io::Result<()> + 'a;

/// Writes the document of a streamed scan: the same bytes [`document`] gives for the same
/// runs, with the runs read one at a time from `runs` (each handed to `each`, e.g. to
/// redact it, before it is written). `head` is the document without runs.
pub fn write_streamed(
    w: &mut dyn Write,
    head: &Document<'_>,
    runs: &mut EachRun<'_>,
) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(head).map_err(std::io::Error::from)?;
    // A string value holds no raw newline, so this is the top-level key and nothing else.
    let key = "\n  \"runs\": [],\n";
    let Some(at) = text.find(key) else {
        return Err(std::io::Error::other("document without a runs key"));
    };
    let (before, after) = (&text[..at], &text[at + key.len() - 2..]);
    w.write_all(before.as_bytes())?;
    w.write_all(b"\n  \"runs\": [")?;
    let mut first = true;
    let mut buf = Vec::new();
    runs(&mut |r| {
        buf.clear();
        serde_json::to_writer_pretty(&mut buf, &run_doc(r)).map_err(std::io::Error::from)?;
        w.write_all(if first { b"\n    " } else { b",\n    " })?;
        first = false;
        // The run as an element of the array two levels down: every line indented by four.
        for (i, line) in buf.split(|b| *b == b'\n').enumerate() {
            if i > 0 {
                w.write_all(b"\n    ")?;
            }
            w.write_all(line)?;
        }
        Ok(())
    })?;
    w.write_all(if first { b"]" } else { b"\n  ]" })?;
    w.write_all(after.as_bytes())?;
    w.write_all(b"\n")
}

/// The document for a scan result.
pub fn document<'a>(res: &'a ScanResult, rules: &RuleSet, generated_at: Millis) -> Document<'a> {
    Document {
        schema_version: SCHEMA_VERSION,
        tool: tool(),
        ruleset: ruleset(rules),
        generated_at: format_iso(generated_at),
        scanned: scanned(res),
        warnings: res.warnings.clone(),
        runs: RunsDoc(&res.runs),
        clusters: &res.clusters,
    }
}
