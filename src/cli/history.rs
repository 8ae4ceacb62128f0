//! `triage capture`, `triage hook` and `triage history`: the history store's commands.

use super::args::{CaptureCmd, HistoryCmd, HistoryCommand, HistoryFormat, HookCommand, RuleArgs};
use super::{CmdResult, EXIT_OK, Exit, resolve};
use crate::history;
use crate::rules::RuleSet;
use crate::timefmt;
use std::path::Path;

/// `triage capture`: a hook never fails the session, so with --quiet every problem is
/// logged to the store's log and the exit code is 0.
pub(crate) fn capture(ra: &RuleArgs, db: Option<&Path>, quiet: bool, a: CaptureCmd) -> CmdResult {
    let prepared = resolve::scan_options(&a.paths, &a.scan).and_then(|o| {
        RuleSet::load(&resolve::sources(ra, &[]))
            .map(|r| (o, r))
            .map_err(Exit::InvalidRules)
    });
    match prepared {
        Ok((opts, rules)) => Ok(history::capture(&opts, db, quiet, &rules)?),
        Err(e) if quiet => {
            if let Ok(db) = history::db_path(db) {
                let why = match &e {
                    Exit::InvalidRules(p) => format!(
                        "invalid rules: {}",
                        p.iter()
                            .map(|x| x.to_string())
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                    other => format!("{other:#}"),
                };
                history::log_problem(&db, &format!("capture failed: {why}"));
            }
            Ok(EXIT_OK)
        }
        Err(e) => Err(e),
    }
}

/// `triage hook`.
pub(crate) fn hook(db: Option<&Path>, action: HookCommand) -> CmdResult {
    let (action, s) = match action {
        HookCommand::Install(s) => (history::HookAction::Install, s),
        HookCommand::Uninstall(s) => (history::HookAction::Uninstall, s),
        HookCommand::Status(s) => (history::HookAction::Status, s),
    };
    Ok(history::hook_command(action, s.settings, s.project, db)?)
}

/// `triage history` and its `prune` / `import`.
pub(crate) fn history(ra: &RuleArgs, db: Option<&Path>, a: HistoryCmd) -> CmdResult {
    let rules = resolve::rules(ra, &[])?;
    match a.command {
        Some(HistoryCommand::Prune { older_than, now }) => {
            let age = resolve::duration("--older-than", &older_than)?;
            Ok(history::prune(db, age, resolve::now(now.as_deref())?)?)
        }
        Some(HistoryCommand::Import { files }) => {
            Ok(history::import(db, &files, timefmt::now_millis(), &rules)?)
        }
        None => {
            let now = resolve::now(a.now.as_deref())?;
            let req = history::ReportRequest {
                db,
                since: resolve::since(a.since.as_deref(), now)?,
                cluster: a.cluster.as_deref(),
                format: match a.format {
                    HistoryFormat::Human => history::Format::Human,
                    HistoryFormat::Json => history::Format::Json,
                    HistoryFormat::Ndjson => history::Format::Ndjson,
                    HistoryFormat::Markdown => history::Format::Markdown,
                },
                output: a.output.as_deref(),
                redact: a.redact,
                now,
            };
            Ok(history::history(&req, &rules)?)
        }
    }
}
