//! The command line (docs/format.md §9). Thin: parse (`args.rs`), resolve flags into the
//! pipeline's options (`resolve.rs`, where every flag error is raised), run one short function
//! per command (the other files here), and turn the result into an exit code in one place
//! ([`Exit`]). Output goes through `report::out::Output` (files, `-` for stdout, closed pipes).
//!
//! Exit codes: 0 done; 1 a finding at or above `--fail-on` (only when given), a failing
//! rule test, or `match` with no signature matching; 2 usage error, no readable input, or an
//! invalid rule file.

mod args;
mod export;
mod history;
mod resolve;
mod rules;
mod scan;
mod text;

pub use args::Cli;

use crate::report::out::Output;
use crate::rules::{RuleProblem, RuleSet, RuleSources};
use crate::term_safe;
use args::Command;
use clap::{CommandFactory, FromArgMatches};

/// Exit code: success.
pub const EXIT_OK: i32 = 0;
/// Exit code: a finding at or above `--fail-on`, or a failing rule test.
pub const EXIT_FINDINGS: i32 = 1;
/// Exit code of `match` when no signature matched the text (grep's convention).
pub const EXIT_NO_MATCH: i32 = 1;
/// Exit code: usage error, no readable input, invalid rules.
pub const EXIT_USAGE: i32 = 2;

/// Most worker threads a scan starts (`-j` above it is capped with a note): the work is
/// bound by cores and disks, and each thread costs a stack and a start-up.
pub const MAX_THREADS: usize = 64;

/// Why a command stopped without doing its job. Every variant exits 2; they differ in what
/// the user is told, which [`Exit::report`] prints, so no command prints its own error.
#[derive(Debug, thiserror::Error)]
pub enum Exit {
    /// A flag or argument value that cannot be used (`--since 30`, an unknown severity).
    #[error("{0}")]
    Usage(String),
    /// The input cannot be worked on: no readable path, an unknown cluster or rule id.
    #[error("{0}")]
    Refused(String),
    /// The rule set did not load; every problem is listed.
    #[error("invalid rules")]
    InvalidRules(Vec<RuleProblem>),
    /// Anything else that stopped the command (I/O, the history store).
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

impl Exit {
    /// The process exit code for this error.
    pub fn code(&self) -> i32 {
        EXIT_USAGE
    }

    /// Says on stderr why the command stopped (escaped: names and ids come from input).
    pub fn report(&self) {
        match self {
            Exit::Usage(m) => eprintln!("triage: error: {}", term_safe::line(m)),
            Exit::Refused(m) => eprintln!("triage: {}", term_safe::line(m)),
            Exit::InvalidRules(problems) => {
                let n = problems.len();
                eprintln!(
                    "triage: invalid rules ({n} problem{}):",
                    if n == 1 { "" } else { "s" }
                );
                for p in problems {
                    eprintln!("  {}", term_safe::line(&p.to_string()));
                }
            }
            Exit::Failed(e) => eprintln!("triage: error: {e:#}"),
        }
    }
}

/// What a command returns: its exit code when it ran to the end (0, or 1 for findings /
/// failed tests / no match), or why it stopped.
type CmdResult = Result<i32, Exit>;

/// Parses arguments and runs; returns the exit code.
pub fn main() -> i32 {
    let parsed = command_with_version()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    if cli.quiet {
        crate::report::out::set_quiet();
    }
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            e.report();
            e.code()
        }
    }
}

/// The clap command; when the version is asked for, it carries the built-in rule set's size
/// and hash, so a report can be matched to the rules that made it. The rules are only
/// loaded for `--version`, not on every start.
fn command_with_version() -> clap::Command {
    let cmd = Cli::command();
    let asked = std::env::args_os().any(|a| a == "--version" || a == "-V");
    if !asked {
        return cmd;
    }
    let rules = match RuleSet::load(&RuleSources {
        builtin: true,
        dirs: Vec::new(),
    }) {
        Ok(set) => format!("rules {} ({} built-in)", set.hash, set.rules.len()),
        Err(_) => "rules: built-in set invalid".to_string(),
    };
    let version = format!("{} ({rules})", env!("CARGO_PKG_VERSION"));
    // Built once per process, for the one `--version` it prints.
    let version: &'static str = Box::leak(version.into_boxed_str());
    cmd.version(version)
}

/// One arm per command; each command is one function in this folder.
fn run(cli: Cli) -> CmdResult {
    let ra = &cli.rules;
    let db = cli.db.as_deref();
    match cli.command {
        Command::Scan(a) => scan::scan(ra, cli.color, a),
        Command::Explain(a) => scan::explain(ra, a),
        Command::Export(a) => export::export(ra, db, a),
        Command::Bundle(a) => export::bundle(ra, a),
        Command::Doctor(a) => text::doctor(ra, a),
        Command::Match(a) => text::match_text(ra, a),
        Command::Mine(a) => text::mine(a),
        Command::Capture(a) => history::capture(ra, db, cli.quiet, a),
        Command::Hook { action } => history::hook(db, action),
        Command::History(a) => history::history(ra, db, a),
        Command::Rules { command } => rules::rules(ra, command),
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "triage", &mut buf);
            Output::Stdout.text(&String::from_utf8_lossy(&buf))?;
            Ok(EXIT_OK)
        }
        Command::Man => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut buf)
                .map_err(anyhow::Error::from)?;
            Output::Stdout.text(&String::from_utf8_lossy(&buf))?;
            Ok(EXIT_OK)
        }
    }
}
