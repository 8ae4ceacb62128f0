//! `triage rules draft CLUSTER_ID`: a new experimental rule written from a cluster of runs
//! that no rule explains.
//!
//! The draft's pattern is the cluster's template turned into a regex: constant text escaped,
//! each variable a class bounded to what the mask stood for (digits for `<n>`, hex for
//! `<hex>`, one whitespace-free word for `<path>` and `<*>`). Its scope is where the decisive
//! lines came from (`error` for error messages and `Codex error:` lines, `log` otherwise),
//! and a state holds the status, phase and outcome every run of the cluster shared. It
//! carries a must-match job test for each distinct example (up to [`MAX_EXAMPLES`]), a
//! free-text test, and a must-not-match test from the nearest run outside the cluster (the
//! healthy or other-signature text with most words in common). The draft is compiled and
//! self-tested with the loaded rules before it is written.

use crate::cluster::Cluster;
use crate::rules::{RuleSet, RuleSources, compile_files, read_sources, selftest};
use crate::run::{ErrorSource, Run};
use crate::vocab::Outcome;
use regex::Regex;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Most distinct examples that become must-match tests.
pub const MAX_EXAMPLES: usize = 3;

/// What the caller asks for.
#[derive(Debug, Clone)]
pub struct DraftRequest {
    /// The unclassified cluster's id.
    pub cluster: String,
    /// Family (folder); guessed from the template's words when absent.
    pub family: Option<String>,
    /// Rule id; `draft-<fingerprint>` when absent.
    pub id: Option<String>,
    /// Rule directory to write into.
    pub dir: PathBuf,
}

/// A written draft.
#[derive(Debug, Clone)]
pub struct Draft {
    /// The file written.
    pub path: PathBuf,
    /// Its id.
    pub id: String,
    /// The pattern's regex.
    pub regex: String,
    /// The TOML text.
    pub text: String,
}

/// Most templates of a cluster that become patterns (all must match, as all the cluster's
/// runs share them).
pub const MAX_PATTERNS: usize = 3;

/// One pattern of the draft: a template of the cluster and where its lines were read.
struct Pattern {
    template: String,
    regex: String,
    re: Regex,
    scope: &'static str,
}

/// Writes a draft rule for `req.cluster` from a scan's runs and clusters; `sources` are the
/// rules the draft must coexist with (its tests are run against them before writing).
pub fn write_draft(
    req: &DraftRequest,
    clusters: &[Cluster],
    runs: &[Run],
    sources: &RuleSources,
) -> Result<Draft, String> {
    let cluster = find_cluster(req, clusters)?;
    let members: Vec<&Run> = runs
        .iter()
        .filter(|r| cluster.runs.contains(&r.id))
        .collect();
    if members.is_empty() {
        return Err(format!("cluster `{}` has no runs", req.cluster));
    }
    let patterns = patterns_of(cluster, &members)?;
    let examples: Vec<&Run> = {
        let mut seen = BTreeSet::new();
        members
            .iter()
            .copied()
            .filter(|r| seen.insert(run_lines(r).join("\n")))
            .collect()
    };
    let fp = req
        .cluster
        .strip_prefix("unclassified:")
        .unwrap_or(&req.cluster);
    let id = req.id.clone().unwrap_or_else(|| format!("draft-{fp}"));
    let family = req
        .family
        .clone()
        .unwrap_or_else(|| guess_family(&cluster.title).to_string());
    let near = nearest_outsider(&patterns, runs, cluster);
    let text = render(&RuleText {
        id: &id,
        family: &family,
        patterns: &patterns,
        members: &members,
        examples: &examples[..examples.len().min(MAX_EXAMPLES)],
        near,
        cluster,
    });
    let path = req.dir.join(&family).join(format!("{id}.toml"));
    check_and_write(&path, &text, sources)?;
    Ok(Draft {
        path,
        id,
        regex: patterns
            .iter()
            .map(|p| p.regex.as_str())
            .collect::<Vec<_>>()
            .join(" + "),
        text,
    })
}

/// The unclassified cluster the request names, or why not.
fn find_cluster<'c>(req: &DraftRequest, clusters: &'c [Cluster]) -> Result<&'c Cluster, String> {
    let cluster = clusters
        .iter()
        .find(|c| c.id == req.cluster)
        .ok_or_else(|| {
            let ids: Vec<&str> = clusters
                .iter()
                .filter(|c| c.signature.is_none())
                .map(|c| c.id.as_str())
                .collect();
            if ids.is_empty() {
                format!(
                    "no cluster `{}` (this scan has no unclassified clusters)",
                    req.cluster
                )
            } else {
                format!(
                    "no cluster `{}` (unclassified clusters: {})",
                    req.cluster,
                    ids.join(", ")
                )
            }
        })?;
    if cluster.signature.is_some() {
        return Err(format!(
            "`{}` is explained by a rule already; drafts are for unclassified clusters",
            req.cluster
        ));
    }
    Ok(cluster)
}

/// The cluster's templates as patterns; each must match a line of every run.
fn patterns_of(cluster: &Cluster, members: &[&Run]) -> Result<Vec<Pattern>, String> {
    let mut out = Vec::new();
    for t in cluster.templates.iter().take(MAX_PATTERNS) {
        let regex = template_regex(&t.template);
        let re = Regex::new(&regex)
            .map_err(|e| format!("the template's regex does not compile: {e}"))?;
        let mut scopes = BTreeSet::new();
        for r in members {
            let Some((source, _)) = line_for(r, &re) else {
                return Err(format!(
                    "the template's regex `{regex}` matches no error line of run {}",
                    r.id
                ));
            };
            scopes.insert(scope_of_source(source, r));
        }
        let scope = if scopes.len() == 1 {
            scopes.into_iter().next().unwrap_or("any")
        } else {
            "any"
        };
        out.push(Pattern {
            template: t.template.clone(),
            regex,
            re,
            scope,
        });
    }
    if out.is_empty() {
        return Err(format!("cluster `{}` has no template", cluster.id));
    }
    Ok(out)
}

/// The draft must load and pass its tests among the rules it will live with; then it is
/// written (never over an existing file).
fn check_and_write(path: &Path, text: &str, sources: &RuleSources) -> Result<(), String> {
    if path.exists() {
        return Err(format!("{} already exists", path.display()));
    }
    let name = path.display().to_string();
    let (mut files, problems) = read_sources(sources);
    if let Some(p) = problems.first() {
        return Err(p.to_string());
    }
    files.push((name.clone(), text.to_string()));
    let set: RuleSet = compile_files(&files).map_err(|ps| {
        ps.iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    let report = selftest::run(
        &set,
        Some(std::slice::from_ref(&name)),
        &crate::testjob::Pipeline,
    );
    if !report.passed() {
        return Err(format!(
            "the draft does not pass its own tests:\n{}",
            report.render()
        ));
    }
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)
            .map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// A run's clustered lines (raw text).
fn run_lines(r: &Run) -> Vec<String> {
    crate::cluster::unexplained_lines(r)
        .map(|u| u.lines.into_iter().map(|(_, raw, _)| raw).collect())
        .unwrap_or_else(|| vec![decisive(r).to_string()])
}

/// The line of a run a pattern matches, with its source word.
fn line_for(r: &Run, re: &Regex) -> Option<(&'static str, String)> {
    let lines = crate::cluster::unexplained_lines(r)
        .map(|u| u.lines)
        .unwrap_or_default();
    lines
        .into_iter()
        .map(|(source, raw, _)| (source, raw))
        .chain(
            r.error_lines
                .iter()
                .map(|e| (e.source.as_str(), e.line.text.clone())),
        )
        .find(|(_, raw)| re.is_match(raw))
}

fn decisive(r: &Run) -> &str {
    r.decisive.as_ref().map(|d| d.text.as_str()).unwrap_or("")
}

/// The rule scope of a line read from `source` (a decisive line: where it came from).
fn scope_of_source(source: &str, r: &Run) -> &'static str {
    match ErrorSource::parse(source) {
        Some(ErrorSource::Record | ErrorSource::CodexError) => "error",
        Some(ErrorSource::FinalOutput) => "output",
        Some(ErrorSource::CommandFailed) => "log",
        None => {
            let text = decisive(r);
            if text.starts_with("Codex error:") || text.starts_with("Codex turn interrupt failed:")
            {
                "error"
            } else {
                "log"
            }
        }
    }
}

pub use super::pattern::template_regex;

/// A family for the draft from the template's words (the author checks it).
fn guess_family(template: &str) -> &'static str {
    let t = template.to_ascii_lowercase();
    let table: [(&[&str], &str); 10] = [
        (&["sandbox", "landlock", "bwrap", "seatbelt"], "sandbox"),
        (&["auth", "login", "token", "401", "unauthorized"], "auth"),
        (&["limit", "quota", "429"], "limits"),
        (&["model"], "models"),
        (&["broker"], "broker"),
        (
            &["econn", "network", "stream", "timed out", "dns"],
            "network",
        ),
        (&["git "], "git"),
        (&["powershell", "cmd.exe", "bash"], "windows-shell"),
        (&["stalled at", "still running"], "hang-job-state"),
        (
            &["spawn", "enoent", "not found", "configuration"],
            "spawn-install",
        ),
    ];
    for (words, family) in table {
        if words.iter().any(|w| t.contains(w)) {
            return family;
        }
    }
    "app-server"
}

/// The run outside the cluster whose lines share most words with the first template and
/// that the draft's patterns do not all match: the near miss for the must-not-match test.
fn nearest_outsider<'a>(
    patterns: &[Pattern],
    runs: &'a [Run],
    cluster: &Cluster,
) -> Option<&'a Run> {
    let words: BTreeSet<&str> = patterns
        .first()
        .map(|p| {
            p.template
                .split_whitespace()
                .filter(|w| !w.contains('<'))
                .collect()
        })
        .unwrap_or_default();
    runs.iter()
        .filter(|r| !cluster.runs.contains(&r.id))
        .filter(|r| !outsider_lines(r).is_empty())
        .filter(|r| {
            let lines = outsider_lines(r);
            !patterns
                .iter()
                .all(|p| lines.iter().any(|(_, t)| p.re.is_match(t)))
        })
        .map(|r| {
            let shared: usize = outsider_lines(r)
                .iter()
                .map(|(_, t)| t.split_whitespace().filter(|w| words.contains(w)).count())
                .sum();
            (shared, r)
        })
        .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.id.cmp(&a.1.id)))
        .map(|(_, r)| r)
}

/// An outside run's lines as a test rebuilds them: its error lines, else its decisive line.
fn outsider_lines(r: &Run) -> Vec<(&'static str, String)> {
    let mut v: Vec<(&'static str, String)> = r
        .error_lines
        .iter()
        .map(|e| (e.source.as_str(), e.line.text.clone()))
        .collect();
    if v.is_empty() && !decisive(r).is_empty() {
        let source = if r.error_message.is_some() {
            ErrorSource::Record.as_str()
        } else {
            "decisive"
        };
        v.push((source, decisive(r).to_string()));
    }
    v
}

struct RuleText<'a> {
    id: &'a str,
    family: &'a str,
    patterns: &'a [Pattern],
    members: &'a [&'a Run],
    examples: &'a [&'a Run],
    near: Option<&'a Run>,
    cluster: &'a Cluster,
}

impl RuleText<'_> {
    fn matches_all(&self, text: &str) -> bool {
        self.patterns.iter().all(|p| p.re.is_match(text))
    }

    /// The pattern names: `message`, or `message_1` … for several templates.
    fn name(&self, i: usize) -> String {
        if self.patterns.len() == 1 {
            "message".to_string()
        } else {
            format!("message_{}", i + 1)
        }
    }
}

fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn list(v: &BTreeSet<String>) -> String {
    let items: Vec<String> = v.iter().map(|s| q(s)).collect();
    format!("[{}]", items.join(", "))
}

fn render(d: &RuleText<'_>) -> String {
    let mut s = header(d);
    s.push_str(&match_section(d));
    s.push_str(&tests_section(d));
    s
}

/// The comment for the author and the rule's own fields.
fn header(d: &RuleText<'_>) -> String {
    let versions = |v: &[String]| {
        if v.is_empty() {
            "unknown".to_string()
        } else {
            v.join(", ")
        }
    };
    let when = |t: Option<crate::timefmt::Millis>| {
        t.map(crate::timefmt::format_iso)
            .unwrap_or_else(|| "unknown".into())
    };
    let templates: String = d
        .patterns
        .iter()
        .map(|p| format!("# Template: {}\n", p.template))
        .collect();
    format!(
        r#"# DRAFT written by `triage rules draft {cluster}` from {n} run(s) no rule explained.
{templates}# Seen {first} .. {last}; plugin {pv}; CLI {cv}; platforms {pl}.
# Still to fill in by the rule author before this rule can be `stable`:
#   - title: one line naming the failure (now the template)
#   - description: the cause; fix: the workaround or fixed version
#   - references: the upstream threads (owner/repo#N)
#   - family: check it (guessed from the template's words)
#   - widen or narrow the pattern and add the near-miss tests you know of
# Then run: triage rules test --rules <this folder's parent>

id = {id}
title = {title}
family = {family}
severity = "medium"
status = "experimental"
platforms = []
description = """
TODO: the cause of this failure.
"""
fix = """
TODO: what the user does now.
"""
references = []
"#,
        cluster = d.cluster.id,
        n = d.members.len(),
        first = when(d.cluster.first_seen),
        last = when(d.cluster.last_seen),
        pv = versions(&d.cluster.plugin_versions),
        cv = versions(&d.cluster.cli_versions),
        pl = versions(&d.cluster.platforms),
        id = q(d.id),
        title = q(&d.cluster.title),
        family = q(d.family),
    )
}

/// `[match]`: every template's pattern and the state the runs shared.
fn match_section(d: &RuleText<'_>) -> String {
    let statuses: BTreeSet<String> = d
        .members
        .iter()
        .filter_map(|r| r.status.as_ref().map(|s| s.as_str().to_string()))
        .collect();
    let phases: BTreeSet<String> = d.members.iter().filter_map(|r| r.phase.clone()).collect();
    let outcomes: BTreeSet<String> = d
        .members
        .iter()
        .map(|r| r.outcome.as_str().to_string())
        .collect();
    let mut state = Vec::new();
    if !statuses.is_empty() {
        state.push(format!("status = {}", list(&statuses)));
    }
    if !phases.is_empty() {
        state.push(format!("phase = {}", list(&phases)));
    }
    state.push(format!("outcome = {}", list(&outcomes)));
    let names: Vec<String> = (0..d.patterns.len()).map(|i| d.name(i)).collect();
    let mut s = format!(
        "\n[match]\ncondition = {}\ntext_condition = {}\n\n[match.patterns]\n",
        q(&format!("{} and seen", names.join(" and "))),
        q(&names.join(" or ")),
    );
    for (p, name) in d.patterns.iter().zip(&names) {
        s.push_str(&format!(
            "{name} = {{ regex = {}, in = {} }}\n",
            literal(&p.regex),
            q(p.scope)
        ));
    }
    s.push_str(&format!(
        "\n[match.states]\nseen = {{ {} }}\n",
        state.join(", ")
    ));
    s
}

/// Must-match tests for the examples (as jobs, and one as free text) and a must-not-match
/// test from the nearest outside run, else from an example without its longest word.
fn tests_section(d: &RuleText<'_>) -> String {
    let mut s = String::new();
    for r in d.examples {
        let lines: Vec<(&'static str, String)> = d
            .patterns
            .iter()
            .filter_map(|p| line_for(r, &p.re))
            .collect();
        s.push_str(&format!(
            "\n[[tests]]\nexpect = \"match\"\nname = {}\n{}",
            q(&format!("run {}", r.id)),
            job_test(r, &lines)
        ));
    }
    let first_line = d
        .examples
        .first()
        .and_then(|r| d.patterns.first().and_then(|p| line_for(r, &p.re)))
        .map(|(_, t)| t)
        .unwrap_or_default();
    if !first_line.is_empty() {
        s.push_str(&format!(
            "\n[[tests]]\nexpect = \"match\"\nname = \"free text\"\ntext = {}\n",
            q(&shareable(&first_line))
        ));
    }
    match d.near {
        Some(r) => s.push_str(&format!(
            "\n[[tests]]\nexpect = \"no-match\"\nname = {}\n{}",
            q(&format!("nearest run outside the cluster: {}", r.id)),
            job_test(r, &outsider_lines(r))
        )),
        None => {
            // No other run to learn from: the first example without its longest constant
            // word, a near miss that shares the rest of the text.
            let longest = d
                .patterns
                .first()
                .and_then(|p| {
                    p.template
                        .split_whitespace()
                        .filter(|w| !w.contains('<'))
                        .max_by_key(|w| w.len())
                })
                .unwrap_or("");
            let near: Vec<&str> = first_line
                .split_whitespace()
                .filter(|w| *w != longest)
                .collect();
            let near = near.join(" ");
            let text = if near.is_empty() || d.matches_all(&near) {
                "Turn completed.".to_string()
            } else {
                near
            };
            s.push_str(&format!(
                "\n[[tests]]\nexpect = \"no-match\"\nname = \"an example without its longest constant word\"\ntext = {}\n",
                q(&shareable(&text))
            ));
        }
    }
    s
}

/// A TOML literal string when the regex allows one (no `'`), else a basic string.
fn literal(re: &str) -> String {
    if !re.contains('\'') && !re.contains('\n') {
        format!("'{re}'")
    } else {
        q(re)
    }
}

/// A `[tests.job]` table that rebuilds the run's state and the given lines, each where it
/// was read: the record's message as `error_message`, log entries, final-output lines in a
/// `Final output` block.
fn job_test(r: &Run, lines: &[(&'static str, String)]) -> String {
    let mut s = String::from("[tests.job]\n");
    if let Some(k) = &r.kind {
        s.push_str(&format!("kind = {}\n", q(k.as_str())));
    }
    if let Some(st) = &r.status {
        s.push_str(&format!("status = {}\n", q(st.as_str())));
    }
    if let Some(p) = &r.phase {
        s.push_str(&format!("phase = {}\n", q(p)));
    }
    if r.outcome == Outcome::Stalled {
        s.push_str("completed = false\nidle = \"2h\"\n");
    }
    let mut log = String::new();
    let mut final_output = String::new();
    let mut error_message = None;
    for (source, text) in lines {
        let text = &shareable(text);
        match ErrorSource::parse(source) {
            Some(ErrorSource::Record) => {
                error_message = Some(
                    r.error_message
                        .as_deref()
                        .map(shareable)
                        .unwrap_or_else(|| text.clone()),
                );
            }
            Some(ErrorSource::FinalOutput) => {
                final_output.push_str(text);
                final_output.push('\n');
            }
            _ => log.push_str(&format!("[2026-01-01T00:00:00.000Z] {text}\n")),
        }
    }
    if !final_output.is_empty() {
        log.push_str(&format!(
            "\n[2026-01-01T00:00:01.000Z] Final output\n{final_output}"
        ));
    }
    if let Some(e) = error_message {
        s.push_str(&format!("error_message = {}\n", q(&e)));
    }
    if !log.is_empty() {
        s.push_str(&format!("log = {}\n", q(&log)));
    }
    s
}

/// Record text as a draft's tests keep it: a rule is meant to be shared, so secrets, e-mail
/// addresses and home paths are redacted (machine-independently, as the templates were, so
/// the pattern still matches: a redaction mark is matched by the class it stands for).
fn shareable(text: &str) -> String {
    crate::redact::Redactor::machine_independent()
        .redact(text)
        .into_owned()
}

/// The default rule directory of `rules draft`.
pub fn default_dir() -> &'static Path {
    Path::new("rules")
}
