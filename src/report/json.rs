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

/// `schema_version` of the document: bumped only when a field changes meaning or goes
/// (adding a field does not), so a consumer can refuse a layout it does not know.
pub const SCHEMA_VERSION: u32 = 1;

/// `tool`: which program wrote the document.
#[derive(Debug, Serialize)]
pub struct Tool {
    /// Always `triage`.
    pub name: &'static str,
    /// This triage's version (`CARGO_PKG_VERSION`).
    pub version: &'static str,
}

/// `ruleset`: the rule library the findings come from, so two documents can be compared.
#[derive(Debug, Serialize)]
pub struct Ruleset {
    /// Number of rules loaded (built-in plus `--rules` folders).
    pub rules: usize,
    /// SHA-256 over the rule files' names and texts, as `triage --version` prints it.
    pub hash: String,
}

/// `scanned`: how much the scan read, to tell an empty result from an empty input.
#[derive(Debug, Serialize)]
pub struct ScannedDoc {
    /// The roots searched: the given PATHs, or the default plugin data locations.
    pub roots: Vec<String>,
    /// Runs in the document (jobs read, after `--since`).
    pub jobs: u64,
    /// Files opened and read (records, logs, indexes, broker files).
    pub files: u64,
    /// Bytes of job records and logs read (indexes and broker files are not counted).
    pub bytes: u64,
    /// Workspace state directories seen.
    pub workspaces: u64,
    /// Runs older than `--since`, left out of the document (absent when none were).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left_out_by_since: Option<u64>,
}

/// `workspace`: the project a run belongs to, from its state directory name
/// (`<slug>-<hash>`) and the record's `workspaceRoot`.
#[derive(Debug, Serialize)]
pub struct WorkspaceDoc {
    /// The sanitised folder name of the project (the state directory name before `-<hash>`).
    pub slug: String,
    /// The 16 hex digits after the slug (sha256 of the real path), when the name has them.
    pub hash: Option<String>,
    /// `workspaceRoot` as the record says (a path on the user's machine; redacted in exports).
    pub root: Option<String>,
}

/// One line that made a signature match: where it is and what it says (capped, redacted in
/// exports).
#[derive(Debug, Serialize)]
pub struct EvidenceDoc {
    /// The signature this line is evidence for.
    pub signature: String,
    /// The file it was read from (log, record or index).
    pub file: String,
    /// 1-based line number in that file; `null` for a record field.
    pub line: Option<u64>,
    /// The line's text, capped as in the scan.
    pub text: String,
}

/// `source`: the files a run was read from, so a reader can open them (and a history import
/// can tell where a deleted run was).
#[derive(Debug, Serialize)]
pub struct SourceDoc {
    /// The workspace's `state.json` that lists the job, if any.
    pub index: Option<String>,
    /// The job record `jobs/<id>.json`, if it exists.
    pub record: Option<String>,
    /// The job log `jobs/<id>.log`, if it exists.
    pub log: Option<String>,
}

/// One run in `runs`: the plugin's own fields, triage's outcome and why, versions, and the
/// signatures with their evidence.
#[derive(Debug, Serialize)]
pub struct RunDoc {
    /// The plugin's job id (unique within a workspace only; see `workspace`).
    pub id: String,
    /// The project the job ran in.
    pub workspace: WorkspaceDoc,
    /// Which on-disk layout the run was found in: `plugin-data`, `tmp-fallback`, `per-run`,
    /// `other`.
    pub state_root: String,
    /// Job kind as recorded (`task`, `review`, `adversarial-review`).
    pub kind: Option<String>,
    /// The record's title (`Codex Task`, …).
    pub title: Option<String>,
    /// The plugin's `status` as recorded (`queued`, `running`, `completed`, `failed`,
    /// `cancelled`); says nothing about whether the work succeeded.
    pub status: Option<String>,
    /// The plugin's `phase` as recorded (free text such as `starting`, `done`).
    pub phase: Option<String>,
    /// Triage's verdict: `ok`, `failed`, `cancelled`, `stalled` or `in-progress`.
    pub outcome: String,
    /// One sentence saying why triage decided that outcome.
    pub outcome_reason: String,
    /// `createdAt` (ISO 8601, UTC, milliseconds), as are the other times.
    pub created_at: Option<String>,
    /// `startedAt`.
    pub started_at: Option<String>,
    /// `completedAt`; absent while the job has not finished.
    pub completed_at: Option<String>,
    /// The latest time anything was written for the job (last log entry or record update).
    pub last_activity_at: Option<String>,
    /// Plugin version, only from what the records say (install path); `null` when unknown.
    pub plugin_version: Option<String>,
    /// Codex CLI version, from `codex-cli X.Y.Z` text or the thread's rollout file.
    pub cli_version: Option<String>,
    /// `windows`, `macos`, `linux` or `wsl`, from paths and text in the records.
    pub platform: Option<String>,
    /// The Codex thread id, linking the run to its rollout in `~/.codex/sessions`.
    pub thread_id: Option<String>,
    /// The pid the record names (for a running job, whether it is alive decides `stalled`).
    pub pid: Option<i64>,
    /// The record's `errorMessage`.
    pub error_message: Option<String>,
    /// The record's `summary` (first words of the prompt or result).
    pub summary: Option<String>,
    /// The line that says most about how the run ended (the error, the last entry).
    pub decisive: Option<LineRef>,
    /// Signature ids, most severe first.
    pub signatures: Vec<String>,
    /// The lines behind each signature, most severe signature first.
    pub evidence: Vec<EvidenceDoc>,
    /// The files the run was read from.
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

/// The whole document of `scan --format json`, `export --format json` and `history --format
/// json` (which adds its own fields): `schema/export.schema.json`.
#[derive(Debug, Serialize)]
pub struct Document<'a> {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The program that wrote it.
    pub tool: Tool,
    /// The rule library used.
    pub ruleset: Ruleset,
    /// When the document was made (`--now` when given, for reproducible output).
    pub generated_at: String,
    /// What the scan read.
    pub scanned: ScannedDoc,
    /// Every problem met reading the input (file, line, message); none stops a scan.
    pub warnings: Vec<Warning>,
    /// Every run, by creation time then id.
    pub runs: RunsDoc<'a>,
    /// The runs grouped by signature (and unclassified failures by their last line), most
    /// severe and largest first; serialised as they are (times as ISO strings).
    pub clusters: &'a [Cluster],
}

fn iso(t: Option<Millis>) -> Option<String> {
    t.map(format_iso)
}

/// The [`RunDoc`] of a run (its fields copied; the run itself is not changed).
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
