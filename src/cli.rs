//! The command line (design-notes §1). Thin: parse, call the pipeline, print.
//!
//! Exit codes: 0 done; 1 a finding at or above `--fail-on` (only when given) or a failing
//! rule test; 2 usage error, no readable input, or an invalid rule file.

use crate::explain;
use crate::matchtext;
use crate::redact::Redactor;
use crate::report::{self, out::Output};
use crate::rules::{self, RuleSet, RuleSources, selftest, template};
use crate::scan::{self, ScanOptions, ScanResult};
use crate::term_safe;
use crate::timefmt;
use crate::vocab::Severity;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Exit code: success.
pub const EXIT_OK: i32 = 0;
/// Exit code: a finding at or above `--fail-on`, or a failing rule test.
pub const EXIT_FINDINGS: i32 = 1;
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
    /// Classify free text (a pasted log, an issue body) against the signatures.
    Match(MatchCmd),
    /// Work with the rule library.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
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
    /// Write here instead of stdout.
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
}

/// Parses arguments and runs; returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("triage: error: {e:#}");
            EXIT_USAGE
        }
    }
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
    o.stall_after = timefmt::parse_duration(&a.stall_after)
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
        Command::Export(a) => cmd_export(ra, a),
        Command::Match(a) => cmd_match(ra, a),
        Command::Rules { command } => rules_command(ra, command),
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
    let (rules, res) = match scan_paths(ra, &paths, &sa)? {
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
    let redactor = redact.then(Redactor::from_env);
    let out = Output::from_flag(output.as_deref());
    report::scan_result(&res, &rules, format, redactor.as_ref(), &out)?;
    Ok(exit_for(&res, fail_on))
}

/// Loads the rules and scans `paths`, printing warnings; `Err(exit code)` when the rules are
/// invalid or none of the given paths could be read.
fn scan_paths(
    ra: &RuleArgs,
    paths: &[PathBuf],
    sa: &ScanArgs,
) -> anyhow::Result<Result<(RuleSet, ScanResult), i32>> {
    let rules = match load_rules(ra, &[]) {
        Ok(r) => r,
        Err(code) => return Ok(Err(code)),
    };
    let opts = scan_options(paths, sa)?;
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
        scan: sa,
    } = a;
    let rules = match load_rules(ra, &[]) {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    let opts = scan_options(&paths, &sa)?;
    explain::explain(&job, &opts, &rules, verbose)
}

/// `triage export`.
fn cmd_export(ra: &RuleArgs, a: ExportCmd) -> anyhow::Result<i32> {
    let ExportCmd {
        paths,
        format,
        cluster,
        no_redact,
        output,
        scan: sa,
    } = a;
    let (rules, mut res) = match scan_paths(ra, &paths, &sa)? {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    if let Some(id) = &cluster {
        if !res.clusters.iter().any(|c| &c.id == id) {
            eprintln!(
                "triage: no cluster `{id}` in this scan; clusters: {}",
                res.clusters
                    .iter()
                    .map(|c| c.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            return Ok(EXIT_USAGE);
        }
        res.clusters.retain(|c| &c.id == id);
        let keep: std::collections::HashSet<String> = res
            .clusters
            .iter()
            .flat_map(|c| c.runs.iter().cloned())
            .collect();
        res.runs.retain(|r| keep.contains(&r.id));
    }
    let format = match format {
        ExportFormat::Json => report::Format::Json,
        ExportFormat::Markdown => report::Format::Markdown,
    };
    let redactor = (!no_redact).then(Redactor::from_env);
    let out = Output::from_flag(output.as_deref());
    report::scan_result(&res, &rules, format, redactor.as_ref(), &out)?;
    Ok(EXIT_OK)
}

/// `triage match`.
fn cmd_match(ra: &RuleArgs, a: MatchCmd) -> anyhow::Result<i32> {
    let MatchCmd { file, format } = a;
    let rules = match load_rules(ra, &[]) {
        Ok(r) => r,
        Err(code) => return Ok(code),
    };
    let text = read_input(file.as_deref())?;
    let matches = matchtext::classify_text(&text, &rules);
    match format {
        TextFormat::Json => Output::Stdout.json(&report::text_match::json_doc(&matches))?,
        // Input text reaches the terminal: control characters are shown escaped.
        TextFormat::Human => write_out(&term_safe::block(&report::text_match::render_human(
            &matches, &rules,
        )))?,
    }
    Ok(EXIT_OK)
}

fn read_input(file: Option<&Path>) -> anyhow::Result<String> {
    let mut buf = Vec::new();
    match file {
        None => {
            std::io::stdin().read_to_end(&mut buf)?;
        }
        Some(p) if p == Path::new("-") => {
            std::io::stdin().read_to_end(&mut buf)?;
        }
        Some(p) => {
            let meta = std::fs::metadata(p)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", p.display()))?;
            if !meta.is_file() {
                anyhow::bail!("{} is not a regular file", p.display());
            }
            std::fs::File::open(p)
                .and_then(|f| f.take(64 << 20).read_to_end(&mut buf))
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", p.display()))?;
        }
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
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
            let set = match load_rules(ra, &dirs) {
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
