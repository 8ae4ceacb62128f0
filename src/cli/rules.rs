//! `triage rules …`: list, show, validate, test, new, draft, patterns.

use super::args::{RuleArgs, RulesCommand, ScanArgs, TextFormat};
use super::scan::emit_warnings;
use super::{CmdResult, EXIT_FINDINGS, EXIT_OK, Exit, resolve};
use crate::report::{self, out::Output};
use crate::rules::{self, RuleSources, selftest, template};
use crate::term_safe;
use std::path::PathBuf;

/// One function per `rules` subcommand.
pub(crate) fn rules(ra: &RuleArgs, cmd: RulesCommand) -> CmdResult {
    match cmd {
        RulesCommand::List { format } => list(ra, format),
        RulesCommand::Show { id } => show(ra, &id),
        RulesCommand::Validate { dirs } => validate(ra, dirs),
        RulesCommand::Test { dirs } => test(ra, dirs),
        RulesCommand::New { id, family, dir } => {
            let path = template::write_new(&dir, &id, &family)
                .map_err(|e| Exit::Refused(e.to_string()))?;
            println!(
                "wrote {}\nedit it, then run: triage rules test --rules {}",
                path.display(),
                dir.display()
            );
            Ok(EXIT_OK)
        }
        RulesCommand::Draft {
            cluster,
            paths,
            family,
            id,
            dir,
            scan,
        } => {
            let req = crate::mine::draft::DraftRequest {
                cluster,
                family,
                id,
                dir,
            };
            draft(ra, req, &paths, &scan)
        }
        RulesCommand::Patterns => {
            let set = resolve::rules(ra, &[])?;
            Output::Stdout.text(&report::rules::patterns(&set))?;
            Ok(EXIT_OK)
        }
    }
}

/// `triage rules list`.
fn list(ra: &RuleArgs, format: TextFormat) -> CmdResult {
    let set = resolve::rules(ra, &[])?;
    match format {
        TextFormat::Json => Output::Stdout.json(&report::rules::list_json(&set))?,
        TextFormat::Human => {
            Output::Stdout.text(&term_safe::block(&report::rules::list_human(&set)))?
        }
    }
    Ok(EXIT_OK)
}

/// `triage rules show ID`: the rule's file as written (built-in or on disk).
fn show(ra: &RuleArgs, id: &str) -> CmdResult {
    let set = resolve::rules(ra, &[])?;
    let rule = set
        .get(id)
        .ok_or_else(|| Exit::Refused(format!("no rule `{id}`")))?;
    let text = rules::builtin_files()
        .iter()
        .find(|(p, _)| format!("builtin:{p}") == rule.source)
        .map(|(_, t)| t.to_string())
        .or_else(|| std::fs::read_to_string(&rule.source).ok())
        .unwrap_or_else(|| toml::to_string_pretty(&rule.file).unwrap_or_default());
    Output::Stdout.text(&format!("# {}\n{text}", rule.source))?;
    Ok(EXIT_OK)
}

/// `triage rules validate [DIR]...`: loads without running tests; lint notes on stderr.
fn validate(ra: &RuleArgs, dirs: Vec<PathBuf>) -> CmdResult {
    let dirs: Vec<PathBuf> = if dirs.is_empty() {
        resolve::checkout_rules(ra).into_iter().collect()
    } else {
        dirs
    };
    let src = RuleSources {
        builtin: !ra.no_builtin_rules && dirs.is_empty(),
        dirs: if dirs.is_empty() {
            ra.rules.clone()
        } else {
            dirs
        },
    };
    let set = rules::RuleSet::load_checked(&src).map_err(Exit::InvalidRules)?;
    for l in &set.lint {
        eprintln!("triage: lint: {l}");
    }
    println!(
        "{} rules valid ({} lint note{}).",
        set.rules.len(),
        set.lint.len(),
        if set.lint.len() == 1 { "" } else { "s" }
    );
    Ok(EXIT_OK)
}

/// `triage rules test [DIR]...`: every rule's own tests (only those of DIR when given), then
/// the cross-check against the other rules' examples.
fn test(ra: &RuleArgs, dirs: Vec<PathBuf>) -> CmdResult {
    let extra: Vec<PathBuf> = if dirs.is_empty() {
        resolve::checkout_rules(ra).into_iter().collect()
    } else {
        dirs.clone()
    };
    let set = resolve::rules(ra, &extra)?;
    let only: Option<Vec<String>> = if dirs.is_empty() {
        None
    } else {
        let (files, _) = rules::read_sources(&RuleSources {
            builtin: false,
            dirs,
        });
        Some(files.into_iter().map(|(n, _)| n).collect())
    };
    // The free-text tests see the context vocabulary `match` would: the built-in one plus
    // each rule folder's `_vocab/context.toml`.
    let folders: Vec<&PathBuf> = ra.rules.iter().chain(extra.iter()).collect();
    let vocab = crate::matchtext::context::Vocabulary::with_dirs(&folders)
        .map_err(|e| Exit::Refused(e.to_string()))?;
    let report = selftest::run(
        &set,
        only.as_deref(),
        &crate::testjob::WithVocabulary(&vocab),
    );
    print!("{}", report.render());
    Ok(if report.passed() {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    })
}

/// `triage rules draft CLUSTER [PATH]...`: scans, then writes an experimental rule from the
/// unclassified cluster.
fn draft(
    ra: &RuleArgs,
    req: crate::mine::draft::DraftRequest,
    paths: &[PathBuf],
    sa: &ScanArgs,
) -> CmdResult {
    let set = resolve::rules(ra, &[])?;
    let res = crate::scan::scan(&resolve::scan_options(paths, sa)?, &set);
    emit_warnings(&res.warnings);
    let d =
        crate::mine::draft::write_draft(&req, &res.clusters, &res.runs, &resolve::sources(ra, &[]))
            .map_err(|e| Exit::Refused(e.to_string()))?;
    println!(
        "wrote {} (pattern: {})\nfill in its title, description, fix and references, then run: triage rules test --rules {}",
        d.path.display(),
        d.regex,
        req.dir.display()
    );
    Ok(EXIT_OK)
}
