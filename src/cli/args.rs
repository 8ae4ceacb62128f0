//! The command line's vocabulary: every clap type, and nothing that acts on it. What a flag
//! means once parsed is decided in `resolve.rs`; what a command does, in its own file.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Find out why Codex plugin runs failed: scans the codex plugin's job records, matches them
/// against known failure signatures and groups them into issues with their fixes.
#[derive(Debug, Parser)]
#[command(name = "triage", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub(crate) rules: RuleArgs,
    /// History store (default: the platform's data directory, see `triage hook status`).
    #[arg(long, value_name = "FILE", env = "TRIAGE_DB", global = true)]
    pub(crate) db: Option<PathBuf>,
    /// Print nothing on stdout and no warnings; the exit code says the result (errors are
    /// still printed). For `capture`: problems go to the store's log and it exits 0.
    #[arg(short, long, global = true)]
    pub(crate) quiet: bool,
    /// Colour severities and outcomes: auto (on a terminal, unless NO_COLOR is set), always,
    /// never.
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        default_value = "auto",
        global = true
    )]
    pub(crate) color: ColorWhen,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Rule selection, accepted by every command.
#[derive(Debug, Args, Clone)]
pub(crate) struct RuleArgs {
    /// Extra rule directory (repeatable); built-in rules stay on.
    #[arg(long = "rules", value_name = "DIR", global = true)]
    pub(crate) rules: Vec<PathBuf>,
    /// Use only the --rules directories.
    #[arg(long, global = true)]
    pub(crate) no_builtin_rules: bool,
}

/// `--color`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub(crate) enum ColorWhen {
    /// On a terminal, unless NO_COLOR is set or TERM is dumb.
    Auto,
    /// Also into files and pipes, and despite NO_COLOR.
    Always,
    /// Never.
    Never,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub(crate) enum ScanFormat {
    Human,
    Json,
    Ndjson,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub(crate) enum ExportFormat {
    Json,
    Markdown,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub(crate) enum TextFormat {
    Human,
    Json,
}

/// Options shared by commands that scan.
#[derive(Debug, Args, Clone)]
pub(crate) struct ScanArgs {
    /// Only runs created since (2026-11-01, 7d, 12h).
    #[arg(long, value_name = "DATE|DURATION")]
    pub(crate) since: Option<String>,
    /// An active run idle this long is `stalled`.
    #[arg(long, value_name = "DURATION", default_value = "30m")]
    pub(crate) stall_after: String,
    /// Worker threads (default: one per core).
    #[arg(short = 'j', long, value_name = "N")]
    pub(crate) threads: Option<usize>,
    /// Never draw the progress bar.
    #[arg(long)]
    pub(crate) no_progress: bool,
    /// Reference time instead of the clock (ISO timestamp), for reproducible reports.
    #[arg(long, value_name = "TIMESTAMP", hide = true)]
    pub(crate) now: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
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
pub(crate) enum HistoryFormat {
    Human,
    Json,
    Ndjson,
    Markdown,
}

/// Which Claude Code settings file `triage hook` edits.
#[derive(Debug, Args, Clone)]
pub(crate) struct SettingsArgs {
    /// This settings file instead of ~/.claude/settings.json.
    #[arg(long, value_name = "FILE")]
    pub(crate) settings: Option<PathBuf>,
    /// The project's .claude/settings.json (in the current directory).
    #[arg(long, conflicts_with = "settings")]
    pub(crate) project: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum HookCommand {
    /// Add `triage capture --quiet` on Stop, SubagentStop and SessionEnd.
    Install(SettingsArgs),
    /// Remove triage's hooks (and nothing else).
    Uninstall(SettingsArgs),
    /// Which events are hooked, and when the store last captured.
    Status(SettingsArgs),
}

#[derive(Debug, Subcommand)]
pub(crate) enum HistoryCommand {
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
pub(crate) struct ScanCmd {
    /// Data roots, state directories, or single .json/.log files (default: the plugin's
    /// usual locations).
    pub(crate) paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub(crate) format: ScanFormat,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_name = "SEVERITY")]
    pub(crate) fail_on: Option<String>,
    /// Write the report here instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Redact home paths, user names and tokens (exports do this by default).
    #[arg(long)]
    pub(crate) redact: bool,
    /// Compact human report for large scans: the summary and one line per issue.
    #[arg(long)]
    pub(crate) summary: bool,
    #[command(flatten)]
    pub(crate) scan: ScanArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ExplainCmd {
    /// Job id (or a unique prefix).
    pub(crate) job: String,
    /// Where to look (default: the plugin's usual locations).
    pub(crate) paths: Vec<PathBuf>,
    /// Unfold blocks (assistant messages, output) instead of showing first lines.
    #[arg(short, long)]
    pub(crate) verbose: bool,
    /// Redact home paths, user names and tokens.
    #[arg(long)]
    pub(crate) redact: bool,
    #[command(flatten)]
    pub(crate) scan: ScanArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ExportCmd {
    /// Where to look (default: the plugin's usual locations).
    pub(crate) paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "json")]
    pub(crate) format: ExportFormat,
    /// Only this cluster (its id, e.g. a signature id or unclassified:<fingerprint>).
    #[arg(long, value_name = "ID")]
    pub(crate) cluster: Option<String>,
    /// Keep home paths, user names and tokens.
    #[arg(long)]
    pub(crate) no_redact: bool,
    /// Print only a one-line issue title (for `gh issue create --title "$(…)"`).
    #[arg(long)]
    pub(crate) title_only: bool,
    /// Home tree whose setup the Markdown Environment section describes (default: yours).
    #[arg(long, value_name = "DIR")]
    pub(crate) home: Option<PathBuf>,
    /// Export from the history store (every captured run, also those deleted since)
    /// instead of scanning.
    #[arg(long)]
    pub(crate) history: bool,
    /// Write here instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) scan: ScanArgs,
}

/// `triage capture`'s arguments.
#[derive(Debug, Args)]
pub(crate) struct CaptureCmd {
    /// Where to look (default: the plugin's usual locations).
    pub(crate) paths: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) scan: ScanArgs,
}

/// `triage history`'s arguments.
#[derive(Debug, Args)]
pub(crate) struct HistoryCmd {
    #[command(subcommand)]
    pub(crate) command: Option<HistoryCommand>,
    /// Only runs created since (2026-11-01, 7d, 12h).
    #[arg(long, value_name = "DATE|DURATION")]
    pub(crate) since: Option<String>,
    /// Only this cluster, with its runs.
    #[arg(long, value_name = "ID")]
    pub(crate) cluster: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub(crate) format: HistoryFormat,
    /// Write here instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Redact home paths, user names and tokens.
    #[arg(long)]
    pub(crate) redact: bool,
    /// Reference time instead of the clock (ISO timestamp).
    #[arg(long, value_name = "TIMESTAMP", hide = true)]
    pub(crate) now: Option<String>,
}

/// `triage doctor`'s arguments.
#[derive(Debug, Args)]
pub(crate) struct DoctorCmd {
    /// Examine this home tree instead of yours (e.g. one a user sent).
    #[arg(long, value_name = "DIR")]
    pub(crate) home: Option<PathBuf>,
    /// Run `codex --version`, `node --version`, `npm --version` (otherwise nothing is run).
    #[arg(long)]
    pub(crate) probe: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub(crate) format: TextFormat,
    /// Redact home paths, user names and tokens.
    #[arg(long)]
    pub(crate) redact: bool,
}

/// `triage bundle`'s arguments.
#[derive(Debug, Args)]
pub(crate) struct BundleCmd {
    /// Where to look (default: the plugin's usual locations).
    pub(crate) paths: Vec<PathBuf>,
    /// Only this cluster's runs.
    #[arg(long, value_name = "ID")]
    pub(crate) cluster: Option<String>,
    /// Every run, not only those in an issue cluster (failed, stalled or with a signature).
    #[arg(long)]
    pub(crate) all: bool,
    /// Home tree for the doctor facts (default: yours).
    #[arg(long, value_name = "DIR")]
    pub(crate) home: Option<PathBuf>,
    /// Keep home paths, user names and tokens (check before sharing).
    #[arg(long)]
    pub(crate) no_redact: bool,
    /// The archive to write (default: triage-bundle-<date>.tar.gz here).
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) scan: ScanArgs,
}

#[derive(Debug, Args)]
pub(crate) struct MatchCmd {
    /// A file, or - (default) for standard input.
    pub(crate) file: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub(crate) format: TextFormat,
    /// Redact home paths, user names and tokens.
    #[arg(long)]
    pub(crate) redact: bool,
}

#[derive(Debug, Args)]
pub(crate) struct MineCmd {
    /// Text files (one message a line), - for standard input (the default), or plugin data
    /// trees and job logs (their entries' messages, without timestamps).
    pub(crate) inputs: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub(crate) format: TextFormat,
    /// Write here instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum RulesCommand {
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
