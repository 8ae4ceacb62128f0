//! The command line (docs/format.md §9). Thin: parse, call the pipeline, print.
//!
//! Exit codes: 0 done; 1 a finding at or above `--fail-on` (only when given), a failing
//! rule test, or `match` with no signature matching; 2 usage error, no readable input, or an invalid rule file.

use crate::doctor;
use crate::explain;
use crate::history;
use crate::matchtext;
use crate::redact::Redactor;
use crate::report::{self, out::Output};
use crate::rules::{self, RuleSet, RuleSources, selftest, template};
use crate::scan::{self, ScanOptions, ScanResult};
use crate::term_safe;
use crate::timefmt;
use crate::vocab::Severity;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

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

/// Find out why Codex plugin runs failed: scans the codex plugin's job records, matches them
/// against known failure signatures and groups them into issues with their fixes.
#[derive(Debug, Parser)]
#[command(name = "triage", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    rules: RuleArgs,
    /// History store (default: the platform's data directory, see `triage hook status`).
    #[arg(long, value_name = "FILE", env = "TRIAGE_DB", global = true)]
    db: Option<PathBuf>,
    /// Print nothing on stdout and no warnings; the exit code says the result (errors are
    /// still printed). For `capture`: problems go to the store's log and it exits 0.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

/// Rule selection, accepted by every command.
#[derive(Debug, Args, Clone)]
struct RuleArgs {
    /// Extra rule directory (repeatable); built-in rules stay on.
    #[arg(long = "rules", value_name = "DIR", global = true)]
    rules: Vec<PathBuf>,
    /// Use only the --rules directories.
    #[arg(long, global = true)]
    no_builtin_rules: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
enum ScanFormat {
    Human,
    Json,
    Ndjson,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
enum ExportFormat {
    Json,
    Markdown,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
enum TextFormat {
    Human,
    Json,
}

/// Options shared by commands that scan.
#[derive(Debug, Args, Clone)]
struct ScanArgs {
    /// Only runs created since (2026-11-01, 7d, 12h).
    #[arg(long, value_name = "DATE|DURATION")]
    since: Option<String>,
    /// An active run idle this long is `stalled`.
    #[arg(long, value_name = "DURATION", default_value = "30m")]
    stall_after: String,
    /// Worker threads (default: one per core).
    #[arg(short = 'j', long, value_name = "N")]
    threads: Option<usize>,
    /// Never draw the progress bar.
    #[arg(long)]
    no_progress: bool,
    /// Reference time instead of the clock (ISO timestamp), for reproducible reports.
    #[arg(long, value_name = "TIMESTAMP", hide = true)]
    now: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan job records and report every run, grouped into issues.
    Scan(ScanCmd),
    /// Show one run's timeline: entries, gaps, where it stopped, its outcome and signatures.
    Explain(ExplainCmd),
    /// Export the issues for a tracker: JSON (published schema) or a Markdown issue body.
    Export(ExportCmd),
    /// Inspect this machine's setup (read-only): plugin and Codex CLI versions, config,
    /// known-bad configurations, and the signatures it is exposed to.
    Doctor(DoctorCmd),
    /// Write one redacted .tar.gz for an issue: the selected runs' records, the doctor facts
    /// and the JSON export.
    Bundle(BundleCmd),
    /// Scan job records and keep every run in the history store (what the hooks run).
    Capture(CaptureCmd),
    /// Claude Code hooks that capture runs after every turn: install, uninstall, status.
    Hook {
        #[command(subcommand)]
        action: HookCommand,
    },
    /// Report over the history store: clusters across days and versions, regressions.
    #[command(args_conflicts_with_subcommands = true)]
    History(HistoryCmd),
    /// Classify free text (a pasted log, an issue body) against the signatures.
    Match(MatchCmd),
    /// Mine log templates: the constant text of messages, with `<*>` for the variables.
    Mine(MineCmd),
    /// Work with the rule library.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Print a shell completion script (e.g. `triage completions bash > ~/.local/share/bash-completion/completions/triage`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `triage man > triage.1`.
    Man,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
enum HistoryFormat {
    Human,
    Json,
    Ndjson,
    Markdown,
}

/// Which Claude Code settings file `triage hook` edits.
#[derive(Debug, Args, Clone)]
struct SettingsArgs {
    /// This settings file instead of ~/.claude/settings.json.
    #[arg(long, value_name = "FILE")]
    settings: Option<PathBuf>,
    /// The project's .claude/settings.json (in the current directory).
    #[arg(long, conflicts_with = "settings")]
    project: bool,
}

#[derive(Debug, Subcommand)]
enum HookCommand {
    /// Add `triage capture --quiet` on Stop, SubagentStop and SessionEnd.
    Install(SettingsArgs),
    /// Remove triage's hooks (and nothing else).
    Uninstall(SettingsArgs),
    /// Which events are hooked, and when the store last captured.
    Status(SettingsArgs),
}

#[derive(Debug, Subcommand)]
enum HistoryCommand {
    /// Delete runs last seen longer ago than a duration.
    Prune {
        /// e.g. 90d.
        #[arg(long, value_name = "DURATION")]
        older_than: String,
        /// Reference time instead of the clock (ISO timestamp).
        #[arg(long, value_name = "TIMESTAMP", hide = true)]
        now: Option<String>,
    },
    /// Merge exported JSON documents (or NDJSON runs) into the store, deduplicated by run.
    Import {
        /// Export files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Debug, Args)]
struct ScanCmd {
    /// Data roots, state directories, or single .json/.log files (default: the plugin's
    /// usual locations).
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: ScanFormat,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_name = "SEVERITY")]
    fail_on: Option<String>,
    /// Write the report here instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Redact home paths, user names and tokens (exports do this by default).
    #[arg(long)]
    redact: bool,
    #[command(flatten)]
    scan: ScanArgs,
}

#[derive(Debug, Args)]
struct ExplainCmd {
    /// Job id (or a unique prefix).
    job: String,
    /// Where to look (default: the plugin's usual locations).
    paths: Vec<PathBuf>,
    /// Unfold blocks (assistant messages, output) instead of showing first lines.
    #[arg(short, long)]
    verbose: bool,
    /// Redact home paths, user names and tokens.
    #[arg(long)]
    redact: bool,
    #[command(flatten)]
    scan: ScanArgs,
}

#[derive(Debug, Args)]
struct ExportCmd {
    /// Where to look (default: the plugin's usual locations).
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "json")]
    format: ExportFormat,
    /// Only this cluster (its id, e.g. a signature id or unclassified:<fingerprint>).
    #[arg(long, value_name = "ID")]
    cluster: Option<String>,
    /// Keep home paths, user names and tokens.
    #[arg(long)]
    no_redact: bool,
    /// Print only a one-line issue title (for `gh issue create --title "$(…)"`).
    #[arg(long)]
    title_only: bool,
    /// Home tree whose setup the Markdown Environment section describes (default: yours).
    #[arg(long, value_name = "DIR")]
    home: Option<PathBuf>,
    /// Export from the history store (every captured run, also those deleted since)
    /// instead of scanning.
    #[arg(long)]
    history: bool,
    /// Write here instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    scan: ScanArgs,
}

/// `triage capture`'s arguments.
#[derive(Debug, Args)]
struct CaptureCmd {
    /// Where to look (default: the plugin's usual locations).
    paths: Vec<PathBuf>,
    #[command(flatten)]
    scan: ScanArgs,
}

/// `triage history`'s arguments.
#[derive(Debug, Args)]
struct HistoryCmd {
    #[command(subcommand)]
    command: Option<HistoryCommand>,
    /// Only runs created since (2026-11-01, 7d, 12h).
    #[arg(long, value_name = "DATE|DURATION")]
    since: Option<String>,
    /// Only this cluster, with its runs.
    #[arg(long, value_name = "ID")]
    cluster: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: HistoryFormat,
    /// Write here instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Redact home paths, user names and tokens.
    #[arg(long)]
    redact: bool,
    /// Reference time instead of the clock (ISO timestamp).
    #[arg(long, value_name = "TIMESTAMP", hide = true)]
    now: Option<String>,
}

/// `triage doctor`'s arguments.
#[derive(Debug, Args)]
struct DoctorCmd {
    /// Examine this home tree instead of yours (e.g. one a user sent).
    #[arg(long, value_name = "DIR")]
    home: Option<PathBuf>,
    /// Run `codex --version`, `node --version`, `npm --version` (otherwise nothing is run).
    #[arg(long)]
    probe: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: TextFormat,
    /// Redact home paths, user names and tokens.
    #[arg(long)]
    redact: bool,
}

/// `triage bundle`'s arguments.
#[derive(Debug, Args)]
struct BundleCmd {
    /// Where to look (default: the plugin's usual locations).
    paths: Vec<PathBuf>,
    /// Only this cluster's runs.
    #[arg(long, value_name = "ID")]
    cluster: Option<String>,
    /// Every run, not only those in an issue cluster (failed, stalled or with a signature).
    #[arg(long)]
    all: bool,
    /// Home tree for the doctor facts (default: yours).
    #[arg(long, value_name = "DIR")]
    home: Option<PathBuf>,
    /// Keep home paths, user names and tokens (check before sharing).
    #[arg(long)]
    no_redact: bool,
    /// The archive to write (default: triage-bundle-<date>.tar.gz here).
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    scan: ScanArgs,
}

#[derive(Debug, Args)]
struct MatchCmd {
    /// A file, or - (default) for standard input.
    file: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: TextFormat,
    /// Redact home paths, user names and tokens.
    #[arg(long)]
    redact: bool,
}

#[derive(Debug, Args)]
struct MineCmd {
    /// Text files (one message a line), - for standard input (the default), or plugin data
    /// trees and job logs (their entries' messages, without timestamps).
    inputs: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: TextFormat,
    /// Write here instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum RulesCommand {
    /// List the rules.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: TextFormat,
    },
    /// Show one rule as TOML.
    Show {
        /// Rule id.
        id: String,
    },
    /// Check rule files without running their tests.
    Validate {
        /// Directories or files (default: the loaded rules).
        dirs: Vec<PathBuf>,
    },
    /// Run every rule's tests, then cross-check every rule against the others' examples.
    Test {
        /// Directories or files to test (default: every loaded rule).
        dirs: Vec<PathBuf>,
    },
    /// Write a commented template for a new rule.
    New {
        /// The new rule's id.
        id: String,
        /// Its family (folder).
        #[arg(long, default_value = "sandbox")]
        family: String,
        /// Rule directory to write into.
        #[arg(long, value_name = "DIR", default_value = "rules")]
        dir: PathBuf,
    },
    /// Every rule pattern as a regex, one per line (usable as `rg -f`).
    Patterns,
    /// Write an experimental rule from an unclassified cluster of a scan.
    Draft {
        /// The cluster's id, as `scan` shows it (`unclassified:<fingerprint>`).
        cluster: String,
        /// Where to scan (default: the plugin's usual locations).
        paths: Vec<PathBuf>,
        /// Its family (folder); guessed from the template when absent.
        #[arg(long)]
        family: Option<String>,
        /// The new rule's id (default: draft-<fingerprint>).
        #[arg(long)]
        id: Option<String>,
        /// Rule directory to write into.
        #[arg(long, value_name = "DIR", default_value = "rules")]
        dir: PathBuf,
        #[command(flatten)]
        scan: ScanArgs,
    },
}

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
            eprintln!("triage: error: {e:#}");
            EXIT_USAGE
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

/// Every problem of an invalid rule set, on stderr.
fn print_rule_problems(problems: &[rules::RuleProblem]) {
    let n = problems.len();
    eprintln!(
        "triage: invalid rules ({n} problem{}):",
        if n == 1 { "" } else { "s" }
    );
    for p in problems {
        eprintln!("  {}", term_safe::line(&p.to_string()));
    }
}

fn load_rules(r: &RuleArgs, extra: &[PathBuf]) -> Result<RuleSet, i32> {
    let mut dirs = r.rules.clone();
    dirs.extend(extra.iter().cloned());
    let src = RuleSources {
        builtin: !r.no_builtin_rules,
        dirs,
    };
    match RuleSet::load(&src) {
        Ok(set) => Ok(set),
        Err(problems) => {
            print_rule_problems(&problems);
            Err(EXIT_USAGE)
        }
    }
}

fn scan_options(paths: &[PathBuf], a: &ScanArgs) -> anyhow::Result<ScanOptions> {
    let now = match &a.now {
        Some(n) => timefmt::parse_timestamp(n)
            .ok_or_else(|| anyhow::anyhow!("--now: `{n}` is not an ISO timestamp"))?,
        None => timefmt::now_millis(),
    };
    let mut o = ScanOptions::new(paths.to_vec(), now);
    o.stall_after = timefmt::parse_flag_duration(&a.stall_after)
        .map_err(|e| anyhow::anyhow!("--stall-after: {e}"))?;
    o.since = match &a.since {
        Some(s) => Some(timefmt::parse_since(s, now).map_err(|e| anyhow::anyhow!("--since: {e}"))?),
        None => None,
    };
    o.threads = a.threads.map(|n| {
        if n > MAX_THREADS {
            eprintln!(
                "triage: note: -j {n} is more than useful; using {MAX_THREADS} worker threads"
            );
            MAX_THREADS
        } else {
            n
        }
    });
    o.progress = !a.no_progress;
    Ok(o)
}

fn emit_warnings(res: &ScanResult) {
    if crate::report::out::is_quiet() {
        return;
    }
    let mut err = std::io::stderr().lock();
    for w in &res.warnings {
        let _ = writeln!(err, "triage: warning: {}", term_safe::line(&w.to_string()));
    }
}

/// `EXIT_FINDINGS` when a finding is at or above `fail_on`.
fn exit_for(res: &scan::ScanResult, fail_on: Option<Severity>) -> i32 {
    let failing = fail_on.is_some_and(|min| {
        res.runs
            .iter()
            .any(|r| r.findings.iter().any(|f| f.severity >= min))
    });
    if failing { EXIT_FINDINGS } else { EXIT_OK }
}

/// Writes text to stdout; a closed pipe is not an error.
fn write_out(text: &str) -> anyhow::Result<()> {
    Output::Stdout.text(text)
}

/// When nothing was found at the default locations: say where we looked.
fn nothing_found(res: &ScanResult) -> Option<String> {
    if !res.runs.is_empty() || !res.scanned.roots.is_empty() {
        return None;
    }
    let mut s = String::from("triage: no codex plugin job records found. Looked in:\n");
    for r in scan::default_roots_display() {
        s.push_str(&format!("  {r}\n"));
    }
    // The sample data ships in the repository; name it where this binary was built from.
    let built = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join("sample");
    let sample = if built.is_dir() {
        built.display().to_string()
    } else {
        "testdata/sample".into()
    };
    s.push_str(&format!(
        "\nPoint triage at records with `triage scan PATH`, or try the sample data:\n  triage scan {sample}\n"
    ));
    Some(s)
}

/// One arm per command; each command is one function below.
fn run(cli: Cli) -> anyhow::Result<i32> {
    let ra = &cli.rules;
    match cli.command {
        Command::Scan(a) => cmd_scan(ra, a),
        Command::Explain(a) => cmd_explain(ra, a),
        Command::Export(a) => cmd_export(ra, cli.db.as_deref(), a),
        Command::Doctor(a) => cmd_doctor(ra, a),
        Command::Bundle(a) => cmd_bundle(ra, a),
        Command::Match(a) => cmd_match(ra, a),
        Command::Mine(a) => cmd_mine(a),
        Command::Capture(a) => cmd_capture(ra, cli.db.as_deref(), cli.quiet, a),
        Command::Hook { action } => cmd_hook(cli.db.as_deref(), action),
        Command::History(a) => cmd_history(ra, cli.db.as_deref(), a),
        Command::Rules { command } => rules_command(ra, command),
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "triage", &mut buf);
            Output::Stdout.text(&String::from_utf8_lossy(&buf))?;
            Ok(EXIT_OK)
        }
        Command::Man => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(Cli::command()).render(&mut buf)?;
            Output::Stdout.text(&String::from_utf8_lossy(&buf))?;
            Ok(EXIT_OK)
        }
    }
}

/// `triage scan`.
fn cmd_scan(ra: &RuleArgs, a: ScanCmd) -> anyhow::Result<i32> {
    let ScanCmd {
        paths,
        format,
        fail_on,
        output,
        redact,
        scan: sa,
    } = a;
    let fail_on = match fail_on.as_deref().map(|s| Severity::parse(s).ok_or(s)) {
        Some(Err(s)) => {
            anyhow::bail!("--fail-on: `{s}` is not one of info, low, medium, high, critical")
        }
        Some(Ok(s)) => Some(s),
        None => None,
    };
    let redactor = redact.then(Redactor::from_env);
    let (rules, res) = match scan_paths(ra, &paths, &sa, redactor.as_ref())? {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    if paths.is_empty()
        && let Some(msg) = nothing_found(&res)
    {
        eprint!("{msg}");
        return Ok(EXIT_OK);
    }
    let format = match format {
        ScanFormat::Human => report::Format::Human,
        ScanFormat::Json => report::Format::Json,
        ScanFormat::Ndjson => report::Format::Ndjson,
    };
    let out = Output::from_flag(output.as_deref());
    report::scan_result(&res, &rules, format, redactor.as_ref(), &out)?;
    Ok(exit_for(&res, fail_on))
}

/// Loads the rules and scans `paths`, printing warnings; `Err(exit code)` when the rules are
/// invalid or none of the given paths could be read. With a redactor, evidence is redacted
/// before it is capped.
fn scan_paths(
    ra: &RuleArgs,
    paths: &[PathBuf],
    sa: &ScanArgs,
    redactor: Option<&Redactor>,
) -> anyhow::Result<Result<(RuleSet, ScanResult), i32>> {
    let rules = match load_rules(ra, &[]) {
        Ok(r) => r,
        Err(code) => return Ok(Err(code)),
    };
    let mut opts = scan_options(paths, sa)?;
    opts.redactor = redactor.cloned();
    let res = scan::scan(&opts, &rules);
    emit_warnings(&res);
    if !paths.is_empty() && res.scanned.roots.is_empty() {
        eprintln!("triage: no readable input among the given paths");
        return Ok(Err(EXIT_USAGE));
    }
    Ok(Ok((rules, res)))
}

/// `triage explain`.
fn cmd_explain(ra: &RuleArgs, a: ExplainCmd) -> anyhow::Result<i32> {
    let ExplainCmd {
        job,
        paths,
        verbose,
        redact,
        scan: sa,
    } = a;
    let rules = match load_rules(ra, &[]) {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    let mut opts = scan_options(&paths, &sa)?;
    opts.redactor = redact.then(Redactor::from_env);
    explain::explain(&job, &opts, &rules, verbose)
}

/// `triage export`.
fn cmd_export(ra: &RuleArgs, db: Option<&Path>, a: ExportCmd) -> anyhow::Result<i32> {
    let ExportCmd {
        paths,
        format,
        cluster,
        no_redact,
        title_only,
        home,
        history: from_history,
        output,
        scan: sa,
    } = a;
    if from_history {
        if !paths.is_empty() {
            anyhow::bail!("--history reads the history store; it takes no PATH");
        }
        let rules = match load_rules(ra, &[]) {
            Ok(r) => r,
            Err(code) => return Ok(code),
        };
        let opts = scan_options(&paths, &sa)?;
        let req = history::ReportRequest {
            db,
            since: opts.since,
            cluster: cluster.as_deref(),
            format: match format {
                ExportFormat::Json => history::Format::Json,
                ExportFormat::Markdown => history::Format::Markdown,
            },
            output: output.as_deref(),
            redact: !no_redact,
            now: opts.now,
        };
        return history::history(&req, &rules);
    }
    let redactor = (!no_redact).then(Redactor::from_env);
    let (rules, mut res) = match scan_paths(ra, &paths, &sa, redactor.as_ref())? {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    if let Err(code) = select_cluster(&mut res, cluster.as_deref()) {
        return Ok(code);
    }
    let out = Output::from_flag(output.as_deref());
    if title_only {
        let prep = report::Prepared::new(&res, redactor.as_ref());
        out.text(&format!("{}\n", report::markdown::title(prep.result())))?;
        return Ok(EXIT_OK);
    }
    match format {
        ExportFormat::Json => {
            report::scan_result(&res, &rules, report::Format::Json, redactor.as_ref(), &out)?
        }
        ExportFormat::Markdown => {
            // The environment is this machine's (or --home's), as `triage doctor` sees it
            // without running programs; redacted like everything else.
            let facts = doctor::gather(&doctor::Inputs::from_env(home, false)?, &rules);
            let facts = match &redactor {
                Some(r) => facts.redacted(r),
                None => Some(facts),
            };
            // Redaction happens once, on the model, before anything is escaped.
            let prep = report::Prepared::new(&res, redactor.as_ref());
            // Log excerpts are read from the recorded paths and redacted before rendering too.
            let excerpts = prep.excerpts();
            let md = report::markdown::Options {
                environment: facts.as_ref(),
                excerpts: Some(&excerpts),
            };
            out.text(&report::markdown::render(prep.result(), &rules, md))?;
        }
    }
    Ok(EXIT_OK)
}

/// `triage capture`: a hook never fails the session, so with --quiet every problem is
/// logged to the store's log and the exit code is 0.
fn cmd_capture(
    ra: &RuleArgs,
    db: Option<&Path>,
    quiet: bool,
    a: CaptureCmd,
) -> anyhow::Result<i32> {
    let CaptureCmd { paths, scan: sa } = a;
    let prepared = scan_options(&paths, &sa).and_then(|o| {
        RuleSet::load(&RuleSources {
            builtin: !ra.no_builtin_rules,
            dirs: ra.rules.clone(),
        })
        .map(|r| (o, r))
        .map_err(|p| {
            anyhow::anyhow!(
                "invalid rules: {}",
                p.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        })
    });
    match prepared {
        Ok((opts, rules)) => history::capture(&opts, db, quiet, &rules),
        Err(e) if quiet => {
            if let Ok(db) = history::db_path(db) {
                history::log_problem(&db, &format!("capture failed: {e:#}"));
            }
            Ok(EXIT_OK)
        }
        Err(e) => Err(e),
    }
}

/// `triage hook`.
fn cmd_hook(db: Option<&Path>, action: HookCommand) -> anyhow::Result<i32> {
    let (action, s) = match action {
        HookCommand::Install(s) => (history::HookAction::Install, s),
        HookCommand::Uninstall(s) => (history::HookAction::Uninstall, s),
        HookCommand::Status(s) => (history::HookAction::Status, s),
    };
    history::hook_command(action, s.settings, s.project, db)
}

/// `triage history` and its `prune` / `import`.
fn cmd_history(ra: &RuleArgs, db: Option<&Path>, a: HistoryCmd) -> anyhow::Result<i32> {
    let HistoryCmd {
        command,
        since,
        cluster,
        format,
        output,
        redact,
        now,
    } = a;
    let rules = match load_rules(ra, &[]) {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    let now_of = |n: &Option<String>| match n {
        Some(n) => timefmt::parse_timestamp(n)
            .ok_or_else(|| anyhow::anyhow!("--now: `{n}` is not an ISO timestamp")),
        None => Ok(timefmt::now_millis()),
    };
    match command {
        Some(HistoryCommand::Prune { older_than, now }) => {
            let age = timefmt::parse_flag_duration(&older_than)
                .map_err(|e| anyhow::anyhow!("--older-than: {e}"))?;
            history::prune(db, age, now_of(&now)?)
        }
        Some(HistoryCommand::Import { files }) => {
            history::import(db, &files, timefmt::now_millis(), &rules)
        }
        None => {
            let now = now_of(&now)?;
            let since = match &since {
                Some(s) => Some(
                    timefmt::parse_since(s, now).map_err(|e| anyhow::anyhow!("--since: {e}"))?,
                ),
                None => None,
            };
            let req = history::ReportRequest {
                db,
                since,
                cluster: cluster.as_deref(),
                format: match format {
                    HistoryFormat::Human => history::Format::Human,
                    HistoryFormat::Json => history::Format::Json,
                    HistoryFormat::Ndjson => history::Format::Ndjson,
                    HistoryFormat::Markdown => history::Format::Markdown,
                },
                output: output.as_deref(),
                redact,
                now,
            };
            history::history(&req, &rules)
        }
    }
}

/// `triage doctor`.
fn cmd_doctor(ra: &RuleArgs, a: DoctorCmd) -> anyhow::Result<i32> {
    let DoctorCmd {
        home,
        probe,
        format,
        redact,
    } = a;
    let rules = match load_rules(ra, &[]) {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    let facts = doctor::gather(&doctor::Inputs::from_env(home, probe)?, &rules);
    let facts = if redact {
        facts
            .redacted(&Redactor::from_env())
            .ok_or_else(|| anyhow::anyhow!("redaction failed; nothing printed"))?
    } else {
        facts
    };
    match format {
        TextFormat::Json => Output::Stdout.json(&facts)?,
        TextFormat::Human => Output::Stdout.text(&doctor::render_human(&facts, 8))?,
    }
    Ok(EXIT_OK)
}

/// `triage bundle`.
fn cmd_bundle(ra: &RuleArgs, a: BundleCmd) -> anyhow::Result<i32> {
    let BundleCmd {
        paths,
        cluster,
        all,
        home,
        no_redact,
        output,
        scan: sa,
    } = a;
    let redactor = (!no_redact).then(Redactor::from_env);
    let (rules, mut res) = match scan_paths(ra, &paths, &sa, redactor.as_ref())? {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    if res.scanned.roots.is_empty() {
        eprintln!("triage: no job records to bundle");
        return Ok(EXIT_USAGE);
    }
    if let Err(code) = select_cluster(&mut res, cluster.as_deref()) {
        return Ok(code);
    }
    if !all {
        let keep: std::collections::HashSet<&str> = res
            .clusters
            .iter()
            .flat_map(|c| c.runs.iter().map(String::as_str))
            .collect();
        let ids: Vec<String> = res
            .runs
            .iter()
            .filter(|r| keep.contains(r.id.as_str()))
            .map(|r| r.id.clone())
            .collect();
        res.runs.retain(|r| ids.contains(&r.id));
    }
    if res.runs.is_empty() {
        eprintln!(
            "triage: no run to bundle (no failed, stalled or flagged run; --all takes every run)"
        );
        return Ok(EXIT_USAGE);
    }
    let out = output.unwrap_or_else(|| {
        PathBuf::from(format!(
            "triage-bundle-{}.tar.gz",
            &timefmt::format_iso(res.now)[..10]
        ))
    });
    let roots: Vec<PathBuf> = if paths.is_empty() {
        crate::discover::default_roots()
    } else {
        paths.clone()
    };
    crate::bundle::check_output(&out, &roots)?;
    let facts = doctor::gather(&doctor::Inputs::from_env(home, false)?, &rules);
    // The export is redacted on the model; the bundle redacts every file (records too).
    let prep = report::Prepared::new(&res, redactor.as_ref());
    let doc = report::json::document(prep.result(), &rules, res.now);
    let contents = crate::bundle::Contents {
        runs: &res.runs,
        export_json: serde_json::to_string_pretty(&doc)? + "\n",
        doctor: Some(&facts),
        redactor: redactor.as_ref(),
        mtime: (res.now / 1000).max(0) as u64,
    };
    let file = std::fs::File::create(&out)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))?;
    let names = crate::bundle::write(std::io::BufWriter::new(file), &contents)?;
    eprintln!(
        "triage: wrote {} ({} runs, {} files{})",
        out.display(),
        res.runs.len(),
        names.len(),
        if no_redact {
            ", NOT redacted"
        } else {
            ", redacted"
        }
    );
    Ok(EXIT_OK)
}

/// `triage match`.
fn cmd_match(ra: &RuleArgs, a: MatchCmd) -> anyhow::Result<i32> {
    let MatchCmd {
        file,
        format,
        redact,
    } = a;
    let rules = match load_rules(ra, &[]) {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    let text = read_input(file.as_deref())?;
    let matches = matchtext::classify_text(&text, &rules);
    // Matched on the text as given; redacted on the result, before any rendering.
    let matches = if redact {
        let mut r = Redactor::from_env();
        r.learn(&text);
        crate::redact::model::redacted_match(&matches, &text, &r)
    } else {
        matches
    };
    match format {
        TextFormat::Json => Output::Stdout.json(&report::text_match::json_doc(&matches))?,
        // Input text reaches the terminal: control characters are shown escaped.
        TextFormat::Human => write_out(&term_safe::block(&report::text_match::render_human(
            &matches, &rules,
        )))?,
    }
    // grep's convention: 1 when nothing matched, so `triage match f && …` reads naturally.
    Ok(if matches.matches.is_empty() {
        EXIT_NO_MATCH
    } else {
        EXIT_OK
    })
}

/// Keeps only cluster `id` and its runs; an unknown id is a usage error listing the clusters.
fn select_cluster(res: &mut ScanResult, id: Option<&str>) -> Result<(), i32> {
    let Some(id) = id else { return Ok(()) };
    if !res.clusters.iter().any(|c| c.id == id) {
        eprintln!(
            "triage: no cluster `{id}` in this scan; clusters: {}",
            res.clusters
                .iter()
                .map(|c| c.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Err(EXIT_USAGE);
    }
    res.clusters.retain(|c| c.id == id);
    let keep: std::collections::HashSet<String> = res
        .clusters
        .iter()
        .flat_map(|c| c.runs.iter().cloned())
        .collect();
    res.runs.retain(|r| keep.contains(&r.id));
    Ok(())
}

/// `triage mine`.
fn cmd_mine(a: MineCmd) -> anyhow::Result<i32> {
    let mined = crate::mine::input::mine_inputs(&a.inputs, Default::default());
    for w in &mined.warnings {
        eprintln!("triage: warning: {w}");
    }
    let out = Output::from_flag(a.output.as_deref());
    match a.format {
        TextFormat::Json => out.json(&mined)?,
        TextFormat::Human => out.text(&crate::mine::input::render_human(&mined))?,
    }
    Ok(EXIT_OK)
}

/// Most bytes `match` reads: a pasted log or an issue body, not a corpus.
const MATCH_INPUT_LIMIT: u64 = 64 << 20;

/// `match`'s input: a file, a pipe or FIFO (`<(cmd)`, `/dev/stdin`), or stdin for `-`/none.
/// Text is decoded from UTF-8 or, with a byte-order mark, UTF-16 (what Windows PowerShell's
/// `>` writes); a binary file is refused rather than matched as noise.
fn read_input(file: Option<&Path>) -> anyhow::Result<String> {
    let mut buf = Vec::new();
    let name = match file {
        None => "standard input".to_string(),
        Some(p) if p == Path::new("-") => "standard input".to_string(),
        Some(p) => p.display().to_string(),
    };
    match file {
        Some(p) if p != Path::new("-") => {
            // Anything that can be read is accepted: regular files, FIFOs, character devices
            // and the /dev/fd/N of process substitution. Only a directory is refused here.
            if std::fs::metadata(p).is_ok_and(|m| m.is_dir()) {
                anyhow::bail!(
                    "{name} is a directory; `match` reads one text (use `scan` for trees)"
                );
            }
            std::fs::File::open(p)
                .and_then(|f| f.take(MATCH_INPUT_LIMIT).read_to_end(&mut buf))
                .map_err(|e| anyhow::anyhow!("cannot read {name}: {e}"))?;
        }
        _ => {
            std::io::stdin()
                .take(MATCH_INPUT_LIMIT)
                .read_to_end(&mut buf)
                .map_err(|e| anyhow::anyhow!("cannot read {name}: {e}"))?;
        }
    }
    decode_text(&buf).ok_or_else(|| {
        anyhow::anyhow!(
            "{name} looks binary (NUL bytes, no UTF-16 byte-order mark); `match` reads text"
        )
    })
}

/// UTF-8 (a BOM is dropped) or BOM-marked UTF-16; `None` for binary data.
fn decode_text(buf: &[u8]) -> Option<String> {
    let utf16 = |be: bool| {
        let units: Vec<u16> = buf[2..]
            .chunks_exact(2)
            .map(|c| {
                if be {
                    u16::from_be_bytes([c[0], c[1]])
                } else {
                    u16::from_le_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16_lossy(&units)
    };
    match buf {
        [0xFF, 0xFE, ..] => Some(utf16(false)),
        [0xFE, 0xFF, ..] => Some(utf16(true)),
        [0xEF, 0xBB, 0xBF, rest @ ..] => Some(String::from_utf8_lossy(rest).into_owned()),
        // The same test as grep's: a NUL in the first block means binary.
        _ if memchr::memchr(0, &buf[..buf.len().min(8192)]).is_some() => None,
        _ => Some(String::from_utf8_lossy(buf).into_owned()),
    }
}

/// `./rules` when `rules test`/`rules validate` run with no directory in a checkout that has
/// one: the rule author's edits are what they mean to test (rules/README.md's steps), not
/// the copy built into the binary.
fn checkout_rules(ra: &RuleArgs) -> Option<PathBuf> {
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

fn rules_command(ra: &RuleArgs, cmd: RulesCommand) -> anyhow::Result<i32> {
    match cmd {
        RulesCommand::List { format } => {
            let set = match load_rules(ra, &[]) {
                Ok(s) => s,
                Err(c) => return Ok(c),
            };
            match format {
                TextFormat::Json => Output::Stdout.json(&report::rules::list_json(&set))?,
                TextFormat::Human => {
                    write_out(&term_safe::block(&report::rules::list_human(&set)))?
                }
            }
            Ok(EXIT_OK)
        }
        RulesCommand::Show { id } => {
            let set = match load_rules(ra, &[]) {
                Ok(s) => s,
                Err(c) => return Ok(c),
            };
            let Some(rule) = set.get(&id) else {
                eprintln!("triage: no rule `{id}`");
                return Ok(EXIT_USAGE);
            };
            let text = rules::builtin_files()
                .iter()
                .find(|(p, _)| format!("builtin:{p}") == rule.source)
                .map(|(_, t)| t.to_string())
                .or_else(|| std::fs::read_to_string(&rule.source).ok())
                .unwrap_or_else(|| toml::to_string_pretty(&rule.file).unwrap_or_default());
            write_out(&format!("# {}\n{text}", rule.source))?;
            Ok(EXIT_OK)
        }
        RulesCommand::Validate { dirs } => {
            let dirs = if dirs.is_empty() {
                checkout_rules(ra).into_iter().collect()
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
            match RuleSet::load(&src) {
                Ok(set) => {
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
                Err(problems) => {
                    print_rule_problems(&problems);
                    Ok(EXIT_USAGE)
                }
            }
        }
        RulesCommand::Test { dirs } => {
            let extra: Vec<PathBuf> = if dirs.is_empty() {
                checkout_rules(ra).into_iter().collect()
            } else {
                dirs.clone()
            };
            let set = match load_rules(ra, &extra) {
                Ok(s) => s,
                Err(c) => return Ok(c),
            };
            let only: Option<Vec<String>> = if dirs.is_empty() {
                None
            } else {
                let (files, _) = rules::read_sources(&RuleSources {
                    builtin: false,
                    dirs: dirs.clone(),
                });
                Some(files.into_iter().map(|(n, _)| n).collect())
            };
            let report = selftest::run(&set, only.as_deref(), &crate::testjob::Pipeline);
            print!("{}", report.render());
            Ok(if report.passed() {
                EXIT_OK
            } else {
                EXIT_FINDINGS
            })
        }
        RulesCommand::New { id, family, dir } => match template::write_new(&dir, &id, &family) {
            Ok(path) => {
                println!(
                    "wrote {}\nedit it, then run: triage rules test --rules {}",
                    path.display(),
                    dir.display()
                );
                Ok(EXIT_OK)
            }
            Err(e) => {
                eprintln!("triage: {e}");
                Ok(EXIT_USAGE)
            }
        },
        RulesCommand::Draft {
            cluster,
            paths,
            family,
            id,
            dir,
            scan: sa,
        } => {
            let set = match load_rules(ra, &[]) {
                Ok(s) => s,
                Err(c) => return Ok(c),
            };
            let res = scan::scan(&scan_options(&paths, &sa)?, &set);
            emit_warnings(&res);
            let req = crate::mine::draft::DraftRequest {
                cluster,
                family,
                id,
                dir: dir.clone(),
            };
            let sources = RuleSources {
                builtin: !ra.no_builtin_rules,
                dirs: ra.rules.clone(),
            };
            match crate::mine::draft::write_draft(&req, &res.clusters, &res.runs, &sources) {
                Ok(d) => {
                    println!(
                        "wrote {} (pattern: {})\nfill in its title, description, fix and references, then run: triage rules test --rules {}",
                        d.path.display(),
                        d.regex,
                        dir.display()
                    );
                    Ok(EXIT_OK)
                }
                Err(e) => {
                    eprintln!("triage: {e}");
                    Ok(EXIT_USAGE)
                }
            }
        }
        RulesCommand::Patterns => {
            let set = match load_rules(ra, &[]) {
                Ok(s) => s,
                Err(c) => return Ok(c),
            };
            write_out(&report::rules::patterns(&set))?;
            Ok(EXIT_OK)
        }
    }
}
