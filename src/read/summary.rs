//! Putting a read run's summary together: the [`Run`] fields from the record, the cited
//! evidence lines, the workspace, platform and versions.

use super::{Cited, DirContext, Ended, Evidence, ExtraFacts, Loaded, ReadEnv, ReadRun};
use crate::classify::pass::{self, HitCollector};
use crate::outcome::LogEnding;
use crate::platform::{self, CommandPlatform};
use crate::record::JobRecord;
use crate::redact::model::cap;
use crate::run::{
    EVIDENCE_CHARS, ErrorLine, ErrorSource, LineRef, Run, SharedPath, Sources, Workspace,
};
use crate::versions;
use crate::vocab::Platform;

/// Puts the summary of a read run together from what was read and decided.
pub(super) fn assemble(
    id: String,
    ctx: &DirContext,
    env: &ReadEnv<'_>,
    loaded: &Loaded,
    cited: Cited,
    evidence: Evidence<'_>,
    ended: Ended,
) -> ReadRun {
    let rec = &loaded.rec;
    let paths = [cited.record.as_deref(), cited.log.as_deref()];
    let plugin_version = plugin_version(&evidence.hits, paths, rec);
    let cli_version = evidence.hits.versions.cli_version.clone().or_else(|| {
        let sessions = env.codex_sessions?;
        versions::cli_version_from_rollout(sessions, rec.thread_id.as_deref()?, ended.created_at)
    });
    let log_display = cited.log_display();
    let cite = |(line, text): &(u64, String)| LineRef {
        file: log_display.clone(),
        line: Some(*line),
        text: cap(env.redactor, text, EVIDENCE_CHARS),
    };
    let ending = &evidence.ending;
    let decisive = decisive_line(
        rec,
        &cited.rec_file,
        evidence.error_line,
        ending,
        &cite,
        env.redactor,
    );
    let error_lines = error_lines(decisive.as_ref(), rec, evidence.errors, &cite);
    let run = Run {
        id,
        workspace: run_workspace(ctx, rec),
        state_root: ctx.root_kind,
        kind: rec.kind.clone(),
        title: rec.title.clone(),
        status: rec.status.clone(),
        phase: rec.phase.clone(),
        outcome: ended.outcome,
        outcome_reason: ended.outcome_reason,
        created_at: ended.created_at,
        started_at: rec.started_at,
        completed_at: rec.completed_at,
        updated_at: rec.updated_at,
        last_activity_at: ended.last_activity_at,
        pid: rec.pid,
        pid_alive: ended.pid_alive,
        plugin_version,
        cli_version,
        platform: run_platform(rec, ctx, &evidence.cmd_platform),
        thread_id: rec.thread_id.clone(),
        turn_id: rec.turn_id.clone(),
        session_id: rec.session_id.clone(),
        summary: rec.summary.as_deref().map(|s| cap(env.redactor, s, 200)),
        error_message: rec
            .error_message
            .as_deref()
            .map(|e| cap(env.redactor, e, 500)),
        model: rec.request_model.clone(),
        last_entry: ending.last_entry.as_ref().map(cite),
        decisive,
        error_lines,
        sources: Sources {
            index: cited.index,
            record: cited.record,
            log: cited.log,
        },
        findings: Vec::new(),
    };
    ReadRun {
        run,
        hits: evidence.hits.hits,
        extra: ExtraFacts::of(ctx, rec),
    }
}

/// The line that best says what went wrong: the error message, else the last `Codex error:`,
/// else the last message or entry of the log.
fn decisive_line(
    rec: &JobRecord,
    rec_file: &SharedPath,
    error_line: Option<u64>,
    ending: &LogEnding,
    cite: &dyn Fn(&(u64, String)) -> LineRef,
    redactor: Option<&crate::redact::Redactor>,
) -> Option<LineRef> {
    match &rec.error_message {
        Some(e) => Some(LineRef {
            file: rec_file.clone(),
            line: error_line,
            text: cap(redactor, e.lines().next().unwrap_or(""), EVIDENCE_CHARS),
        }),
        None => ending
            .last_error
            .as_ref()
            .or(ending.last_message.as_ref())
            .or(ending.last_entry.as_ref())
            .map(cite),
    }
}

/// The run's error lines: the record's message (as the decisive line cites it), then the
/// log's, without final-output statements that only repeat an error line.
fn error_lines(
    decisive: Option<&LineRef>,
    rec: &JobRecord,
    errors: pass::ErrorLines,
    cite: &dyn Fn(&(u64, String)) -> LineRef,
) -> Vec<ErrorLine> {
    let mut out = Vec::new();
    if rec.error_message.is_some()
        && let Some(d) = decisive
    {
        out.push(ErrorLine {
            source: ErrorSource::Record,
            line: d.clone(),
        });
    }
    let repeats = |text: &str, lines: &[(ErrorSource, u64, String)]| {
        lines
            .iter()
            .any(|(s, _, t)| *s != ErrorSource::FinalOutput && t.contains(text))
            || rec
                .error_message
                .as_deref()
                .is_some_and(|e| e.contains(text))
    };
    for (source, number, text) in &errors.lines {
        if *source == ErrorSource::FinalOutput && repeats(text, &errors.lines) {
            continue;
        }
        out.push(ErrorLine {
            source: *source,
            line: cite(&(*number, text.clone())),
        });
    }
    out
}

/// The directory's workspace with the recorded root. Without a `<slug>-<hash>` folder
/// (per-run layout, copied files) it is named after its recorded root, as the plugin's slug
/// would be.
fn run_workspace(ctx: &DirContext, rec: &JobRecord) -> Workspace {
    let mut workspace = ctx.workspace.clone();
    workspace.root = rec.workspace_root.clone();
    if workspace.hash.is_none()
        && let Some(base) = rec
            .workspace_root
            .as_deref()
            .and_then(|r| r.trim_end_matches(['/', '\\']).rsplit(['/', '\\']).next())
            .filter(|b| !b.is_empty())
    {
        workspace.slug = base.to_string();
    }
    workspace
}

/// Recorded paths first, then the broker endpoint, then the shells of the log.
fn run_platform(rec: &JobRecord, ctx: &DirContext, cmd: &CommandPlatform) -> Option<Platform> {
    [
        rec.workspace_root.as_deref(),
        rec.log_file.as_deref(),
        rec.request_cwd.as_deref(),
    ]
    .into_iter()
    .flatten()
    .find_map(platform::platform_of_path)
    .or(ctx.broker_platform)
    .or(cmd.get())
}

/// From the text, else from the paths of the files read (log first), else `logFile`.
fn plugin_version(
    hits: &HitCollector<'_>,
    [record, log]: [Option<&str>; 2],
    rec: &JobRecord,
) -> Option<String> {
    hits.versions.plugin_version.clone().or_else(|| {
        [log, record, rec.log_file.as_deref()]
            .into_iter()
            .flatten()
            .find_map(|p| versions::plugin_version_in(p.as_bytes()))
    })
}
