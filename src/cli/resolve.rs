//! Flags resolved into the pipeline's options. Every flag error is raised here, as
//! [`Exit::Usage`], so the command functions only see values that can be used.

use super::args::{ColorWhen, RuleArgs, ScanArgs};
use super::{Exit, MAX_THREADS};
use crate::report::style::{self, ColorChoice, Style};
use crate::rules::{RuleSet, RuleSources};
use crate::scan::ScanOptions;
use crate::timefmt::{self, Millis};
use crate::vocab::Severity;
use std::path::{Path, PathBuf};

/// The rule set of `--rules`/`--no-builtin-rules`, plus `extra` directories.
pub(crate) fn rules(r: &RuleArgs, extra: &[PathBuf]) -> Result<RuleSet, Exit> {
    RuleSet::load(&sources(r, extra)).map_err(Exit::InvalidRules)
}

/// Where the rules come from: the built-in set (unless `--no-builtin-rules`), `--rules` and
/// `extra`.
pub(crate) fn sources(r: &RuleArgs, extra: &[PathBuf]) -> RuleSources {
    let mut dirs = r.rules.clone();
    dirs.extend(extra.iter().cloned());
    RuleSources {
        builtin: !r.no_builtin_rules,
        dirs,
    }
}

/// `./rules` when `rules test`/`rules validate` run with no directory in a checkout that has
/// one: the rule author's edits are what they mean to test (rules/README.md's steps), not
/// the copy built into the binary.
pub(crate) fn checkout_rules(ra: &RuleArgs) -> Option<PathBuf> {
    let dir = PathBuf::from("rules");
    let has_toml = walkdir::WalkDir::new(&dir)
        .max_depth(2)
        .into_iter()
        .filter_map(Result::ok)
        .any(|e| e.path().extension().is_some_and(|x| x == "toml"));
    if !ra.rules.is_empty() || !has_toml {
        return None;
    }
    if !crate::report::out::is_quiet() {
        eprintln!("triage: note: using ./rules (this folder's rule files) over the built-in copy");
    }
    Some(dir)
}

/// `--now`, or the clock.
pub(crate) fn now(flag: Option<&str>) -> Result<Millis, Exit> {
    match flag {
        Some(n) => timefmt::parse_timestamp(n)
            .ok_or_else(|| Exit::Usage(format!("--now: `{n}` is not an ISO timestamp"))),
        None => Ok(timefmt::now_millis()),
    }
}

/// `--since` (a date or a duration back from `now`).
pub(crate) fn since(flag: Option<&str>, now: Millis) -> Result<Option<Millis>, Exit> {
    flag.map(|s| timefmt::parse_since(s, now).map_err(|e| Exit::Usage(format!("--since: {e}"))))
        .transpose()
}

/// A duration flag such as `--stall-after 30m` or `--older-than 90d`; `name` is the flag.
pub(crate) fn duration(name: &str, value: &str) -> Result<Millis, Exit> {
    timefmt::parse_flag_duration(value).map_err(|e| Exit::Usage(format!("{name}: {e}")))
}

/// `--fail-on SEVERITY`.
pub(crate) fn fail_on(flag: Option<&str>) -> Result<Option<Severity>, Exit> {
    flag.map(|s| {
        Severity::parse(s).ok_or_else(|| {
            Exit::Usage(format!(
                "--fail-on: `{s}` is not one of info, low, medium, high, critical"
            ))
        })
    })
    .transpose()
}

/// `-j N`, capped at [`MAX_THREADS`] with a note.
fn threads(n: Option<usize>) -> Option<usize> {
    n.map(|n| {
        if n > MAX_THREADS {
            eprintln!(
                "triage: note: -j {n} is more than useful; using {MAX_THREADS} worker threads"
            );
            MAX_THREADS
        } else {
            n
        }
    })
}

/// The scan options of the shared scan flags, for `paths`.
pub(crate) fn scan_options(paths: &[PathBuf], a: &ScanArgs) -> Result<ScanOptions, Exit> {
    let now = now(a.now.as_deref())?;
    let mut o = ScanOptions::new(paths.to_vec(), now);
    o.stall_after = duration("--stall-after", &a.stall_after)?;
    o.since = since(a.since.as_deref(), now)?;
    o.threads = threads(a.threads);
    o.progress = !a.no_progress;
    Ok(o)
}

/// `--history` reads the store, so it takes no PATH.
pub(crate) fn no_paths_with_history(paths: &[PathBuf]) -> Result<(), Exit> {
    if paths.is_empty() {
        Ok(())
    } else {
        Err(Exit::Usage(
            "--history reads the history store; it takes no PATH".into(),
        ))
    }
}

/// The bundle's file name when `-o` is not given: dated, in the current directory.
pub(crate) fn bundle_output(flag: Option<PathBuf>, now: Millis) -> PathBuf {
    flag.unwrap_or_else(|| {
        PathBuf::from(format!(
            "triage-bundle-{}.tar.gz",
            &timefmt::format_iso(now)[..10]
        ))
    })
}

/// Is `p` the `-` that means standard input or output?
pub(crate) fn is_dash(p: &Path) -> bool {
    p == Path::new("-")
}

/// The human report's style: colour from `--color` (with `NO_COLOR` and `TERM`, and whether
/// the output is a terminal: `-o FILE` is not), the width from `COLUMNS` or the terminal,
/// and `--summary`.
pub(crate) fn human_style(color: ColorWhen, summary: bool, output: Option<&Path>) -> Style {
    use std::io::IsTerminal;
    let to_stdout = output.is_none_or(is_dash);
    let terminal = to_stdout && std::io::stdout().is_terminal();
    let choice = match color {
        ColorWhen::Auto => ColorChoice::Auto,
        ColorWhen::Always => ColorChoice::Always,
        ColorWhen::Never => ColorChoice::Never,
    };
    let no_color = std::env::var("NO_COLOR").ok();
    let term = std::env::var("TERM").ok();
    let columns = std::env::var("COLUMNS").ok();
    let term_width = terminal
        .then(|| terminal_size::terminal_size().map(|(w, _)| w.0 as usize))
        .flatten();
    Style {
        color: choice.colors(terminal, no_color.as_deref(), term.as_deref()),
        width: style::width(columns.as_deref(), term_width),
        summary,
    }
}
