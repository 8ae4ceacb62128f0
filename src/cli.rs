//! The command line (design-notes §1). Thin: parse, call the pipeline, print.
//!
//! Exit codes: 0 done; 1 a finding at or above `--fail-on` (only when given) or a failing
//! rule test; 2 usage error, no readable input, or an invalid rule file.

use crate::explain;
use crate::matchtext;
use crate::redact::Redactor;
use crate::report;
use crate::rules::model::Severity;
use crate::rules::{self, RuleSet, RuleSources, selftest, template};
use crate::scan::{self, ScanOptions, ScanResult};
use crate::term_safe;
use crate::timefmt;
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
    Scan {
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
    },
    /// Show one run's timeline: entries, gaps, where it stopped, its outcome and signatures.
    Explain {
        /// Job id (or a unique prefix).
        job: String,
        /// Where to look (default: the plugin's usual locations).
        paths: Vec<PathBuf>,
        /// Unfold blocks (assistant messages, output) instead of showing first lines.
        #[arg(short, long)]
        verbose: bool,
        #[command(flatten)]
        scan: ScanArgs,
    },
    /// Export the issues for a tracker: JSON (published schema) or a Markdown issue body.
    Export {
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
    },
    /// Classify free text (a pasted log, an issue body) against the signatures.
    Match {
        /// A file, or - (default) for standard input.
        file: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: TextFormat,
    },
    /// Work with the rule library.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
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

/// Writes to a file or stdout; a closed pipe is not an error.
/// `EXIT_FINDINGS` when a finding is at or above `fail_on`.
fn exit_for(res: &scan::ScanResult, fail_on: Option<Severity>) -> i32 {
    let failing = fail_on.is_some_and(|min| {
        res.runs
            .iter()
            .any(|r| r.findings.iter().any(|f| f.severity >= min))
    });
    if failing { EXIT_FINDINGS } else { EXIT_OK }
}

/// Writes `value` as pretty JSON plus a newline, streamed (same bytes as `write_out` of
/// `to_string_pretty`).
fn write_json_file(path: &Path, value: &impl serde::Serialize) -> anyhow::Result<()> {
    let cannot =
        |e: &dyn std::fmt::Display| anyhow::anyhow!("cannot write {}: {e}", path.display());
    let file = std::fs::File::create(path).map_err(|e| cannot(&e))?;
    let mut w = std::io::BufWriter::with_capacity(256 * 1024, file);
    serde_json::to_writer_pretty(&mut w, value).map_err(|e| cannot(&e))?;
    w.write_all(b"\n").map_err(|e| cannot(&e))?;
    w.flush().map_err(|e| cannot(&e))?;
    Ok(())
}

/// Streams JSON to stdout; a closed pipe (`| head`) is not an error.
fn write_json_stdout(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let out = std::io::stdout().lock();
    let mut w = std::io::BufWriter::with_capacity(256 * 1024, out);
    let res = serde_json::to_writer_pretty(&mut w, value)
        .map_err(std::io::Error::from)
        .and_then(|_| w.write_all(b"\n"))
        .and_then(|_| w.flush());
    match res {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

fn write_out(output: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match output {
        Some(p) => std::fs::write(p, text)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display())),
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
                _ => Ok(()),
            }
        }
    }
}

/// Redacts a whole document: user names seen in its home paths are learned first, so
/// that they are also hidden where they appear alone (a workspace slug, a word).
fn redact_document(text: &str) -> String {
    let mut r = Redactor::from_env();
    r.learn(text);
    r.redact(text).into_owned()
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

fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Scan {
            paths,
            format,
            fail_on,
            output,
            redact,
            scan: sa,
        } => {
            let fail_on = match fail_on.as_deref().map(|s| Severity::parse(s).ok_or(s)) {
                Some(Err(s)) => anyhow::bail!(
                    "--fail-on: `{s}` is not one of info, low, medium, high, critical"
                ),
                Some(Ok(s)) => Some(s),
                None => None,
            };
            let rules = match load_rules(&cli.rules, &[]) {
                Ok(r) => r,
                Err(code) => return Ok(code),
            };
            let opts = scan_options(&paths, &sa)?;
            let res = scan::scan(&opts, &rules);
            emit_warnings(&res);
            if !paths.is_empty() && res.scanned.roots.is_empty() {
                eprintln!("triage: no readable input among the given paths");
                return Ok(EXIT_USAGE);
            }
            if paths.is_empty()
                && let Some(msg) = nothing_found(&res)
            {
                eprint!("{msg}");
                return Ok(EXIT_OK);
            }
            // A large JSON report goes straight to its file: building the text first would
            // hold it (and its growth) in memory on top of the runs.
            if format == ScanFormat::Json && !redact {
                let doc = report::json::document(&res, &rules, timefmt::now_millis());
                match output.as_deref() {
                    Some(path) => write_json_file(path, &doc)?,
                    None => write_json_stdout(&doc)?,
                }
                return Ok(exit_for(&res, fail_on));
            }
            let text = match format {
                // Record text reaches the terminal: control characters are shown escaped.
                ScanFormat::Human => term_safe::block(&report::human::render(&res)).into_owned(),
                ScanFormat::Json => {
                    let doc = report::json::document(&res, &rules, timefmt::now_millis());
                    serde_json::to_string_pretty(&doc)? + "\n"
                }
                ScanFormat::Ndjson => {
                    let mut s = String::new();
                    for r in &res.runs {
                        s.push_str(&serde_json::to_string(&report::json::run_doc(r))?);
                        s.push('\n');
                    }
                    s
                }
            };
            let text = if redact { redact_document(&text) } else { text };
            write_out(output.as_deref(), &text)?;
            Ok(exit_for(&res, fail_on))
        }
        Command::Explain {
            job,
            paths,
            verbose,
            scan: sa,
        } => {
            let rules = match load_rules(&cli.rules, &[]) {
                Ok(r) => r,
                Err(code) => return Ok(code),
            };
            let opts = scan_options(&paths, &sa)?;
            explain::explain(&job, &opts, &rules, verbose)
        }
        Command::Export {
            paths,
            format,
            cluster,
            no_redact,
            output,
            scan: sa,
        } => {
            let rules = match load_rules(&cli.rules, &[]) {
                Ok(r) => r,
                Err(code) => return Ok(code),
            };
            let opts = scan_options(&paths, &sa)?;
            let mut res = scan::scan(&opts, &rules);
            emit_warnings(&res);
            if !paths.is_empty() && res.scanned.roots.is_empty() {
                eprintln!("triage: no readable input among the given paths");
                return Ok(EXIT_USAGE);
            }
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
            let text = match format {
                ExportFormat::Json => {
                    let doc = report::json::document(&res, &rules, timefmt::now_millis());
                    serde_json::to_string_pretty(&doc)? + "\n"
                }
                ExportFormat::Markdown => report::markdown::render(&res, &rules),
            };
            let text = if no_redact {
                text
            } else {
                redact_document(&text)
            };
            write_out(output.as_deref(), &text)?;
            Ok(EXIT_OK)
        }
        Command::Match { file, format } => {
            let rules = match load_rules(&cli.rules, &[]) {
                Ok(r) => r,
                Err(code) => return Ok(code),
            };
            let text = read_input(file.as_deref())?;
            let matches = matchtext::classify_text(&text, &rules);
            let out = match format {
                TextFormat::Json => {
                    serde_json::to_string_pretty(&matchtext::json_doc(&matches))? + "\n"
                }
                TextFormat::Human => {
                    term_safe::block(&matchtext::render_human(&matches, &rules)).into_owned()
                }
            };
            write_out(None, &out)?;
            Ok(EXIT_OK)
        }
        Command::Rules { command } => rules_command(&cli.rules, command),
    }
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
            let out = match format {
                TextFormat::Json => {
                    let rules: Vec<serde_json::Value> = set
                        .rules
                        .iter()
                        .map(|r| {
                            serde_json::json!({
                                "id": r.id(), "title": r.file.title, "family": r.file.family,
                                "severity": r.file.severity.as_str(), "status": r.file.status,
                                "platforms": r.file.platforms, "references": r.file.references,
                                "related": r.file.related, "fix": r.file.fix, "source": r.source,
                                "tests": r.file.tests.len(),
                            })
                        })
                        .collect();
                    serde_json::to_string_pretty(
                        &serde_json::json!({ "rules": rules, "hash": set.hash }),
                    )? + "\n"
                }
                TextFormat::Human => {
                    let mut s = String::new();
                    let w = set.rules.iter().map(|r| r.id().len()).max().unwrap_or(0);
                    for r in &set.rules {
                        s.push_str(&format!(
                            "{:<w$}  {:<8}  {:<18}  {}\n",
                            r.id(),
                            r.file.severity.as_str(),
                            r.file.family,
                            r.file.title
                        ));
                    }
                    s.push_str(&format!("{} rules (hash {})\n", set.rules.len(), set.hash));
                    s
                }
            };
            write_out(None, &out)?;
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
            write_out(None, &format!("# {}\n{text}", rule.source))?;
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
            let report = selftest::run(&set, only.as_deref());
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
            let mut out = String::new();
            for r in &set.rules {
                for (name, p) in &r.file.matcher.patterns {
                    let re = match (&p.regex, &p.literal) {
                        (Some(re), _) => re.clone(),
                        (None, Some(l)) => regex::escape(l),
                        _ => continue,
                    };
                    let _ = name;
                    if p.case_insensitive {
                        out.push_str(&format!("(?i:{re})\n"));
                    } else {
                        out.push_str(&re);
                        out.push('\n');
                    }
                }
            }
            write_out(None, &out)?;
            Ok(EXIT_OK)
        }
    }
}
