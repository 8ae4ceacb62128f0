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
use crate::run::Run;
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

/// Writes a draft rule for `req.cluster` from a scan's runs and clusters; `sources` are the
/// rules the draft must coexist with (its tests are run against them before writing).
pub fn write_draft(
    req: &DraftRequest,
    clusters: &[Cluster],
    runs: &[Run],
    sources: &RuleSources,
) -> Result<Draft, String> {
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
    let members: Vec<&Run> = runs
        .iter()
        .filter(|r| cluster.runs.contains(&r.id))
        .collect();
    if members.is_empty() {
        return Err(format!("cluster `{}` has no runs", req.cluster));
    }
    let template = cluster
        .title
        .strip_prefix("stalled at: ")
        .unwrap_or(&cluster.title)
        .to_string();
    let regex = template_regex(&template);
    let re =
        Regex::new(&regex).map_err(|e| format!("the template's regex does not compile: {e}"))?;
    let examples: Vec<&Run> = {
        let mut seen = BTreeSet::new();
        members
            .iter()
            .copied()
            .filter(|r| seen.insert(decisive(r).to_string()))
            .collect()
    };
    if let Some(r) = examples.iter().find(|r| !re.is_match(decisive(r))) {
        return Err(format!(
            "the template's regex `{regex}` does not match run {}'s line `{}`",
            r.id,
            decisive(r)
        ));
    }
    let scope = scope_of(&members);
    let fp = req
        .cluster
        .strip_prefix("unclassified:")
        .unwrap_or(&req.cluster);
    let id = req.id.clone().unwrap_or_else(|| format!("draft-{fp}"));
    let family = req
        .family
        .clone()
        .unwrap_or_else(|| guess_family(&template).to_string());
    let near = nearest_outsider(&template, &re, runs, cluster);
    let text = render(&RuleText {
        id: &id,
        family: &family,
        template: &template,
        regex: &regex,
        scope,
        members: &members,
        examples: &examples[..examples.len().min(MAX_EXAMPLES)],
        near,
        cluster,
        re: &re,
    });
    let folder = req.dir.join(&family);
    let path = folder.join(format!("{id}.toml"));
    if path.exists() {
        return Err(format!("{} already exists", path.display()));
    }
    // The draft must load and pass its tests among the rules it will live with.
    let name = path.display().to_string();
    let (mut files, problems) = read_sources(sources);
    if let Some(p) = problems.first() {
        return Err(p.to_string());
    }
    files.push((name.clone(), text.clone()));
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
    std::fs::create_dir_all(&folder)
        .map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    std::fs::write(&path, &text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(Draft {
        path,
        id,
        regex,
        text,
    })
}

fn decisive(r: &Run) -> &str {
    r.decisive.as_ref().map(|d| d.text.as_str()).unwrap_or("")
}

/// Where a run's decisive line came from, as a rule scope.
fn line_scope(r: &Run) -> &'static str {
    let text = decisive(r);
    let from_record = r
        .error_message
        .as_deref()
        .and_then(|e| e.lines().next())
        .is_some_and(|first| first.starts_with(text) || text.starts_with(first));
    if from_record
        || text.starts_with("Codex error:")
        || text.starts_with("Codex turn interrupt failed:")
    {
        "error"
    } else {
        "log"
    }
}

fn scope_of(members: &[&Run]) -> &'static str {
    let scopes: BTreeSet<&str> = members.iter().map(|r| line_scope(r)).collect();
    if scopes.len() == 1 {
        scopes.into_iter().next().unwrap_or("any")
    } else {
        "any"
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

/// The run outside the cluster whose line shares most words with the template and that
/// the draft's regex does not match: the near miss for the must-not-match test.
fn nearest_outsider<'a>(
    template: &str,
    re: &Regex,
    runs: &'a [Run],
    cluster: &Cluster,
) -> Option<&'a Run> {
    let words: BTreeSet<&str> = template
        .split_whitespace()
        .filter(|w| !w.contains('<'))
        .collect();
    runs.iter()
        .filter(|r| !cluster.runs.contains(&r.id))
        .filter(|r| !decisive(r).is_empty() && !re.is_match(decisive(r)))
        .map(|r| {
            let shared = decisive(r)
                .split_whitespace()
                .filter(|w| words.contains(w))
                .count();
            (shared, r)
        })
        .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.id.cmp(&a.1.id)))
        .map(|(_, r)| r)
}

struct RuleText<'a> {
    id: &'a str,
    family: &'a str,
    template: &'a str,
    regex: &'a str,
    scope: &'static str,
    members: &'a [&'a Run],
    examples: &'a [&'a Run],
    near: Option<&'a Run>,
    cluster: &'a Cluster,
    re: &'a Regex,
}

impl RuleText<'_> {
    fn matches(&self, text: &str) -> bool {
        self.re.is_match(text)
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
    let versions = |v: &[String]| {
        if v.is_empty() {
            "unknown".to_string()
        } else {
            v.join(", ")
        }
    };
    let mut s = format!(
        r#"# DRAFT written by `triage rules draft {cluster}` from {n} run(s) no rule explained.
# Template: {template}
# Seen {first} .. {last}; plugin {pv}; CLI {cv}; platforms {pl}.
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

[match]
condition = "message and seen"
text_condition = "message"

[match.patterns]
message = {{ regex = {regex}, in = {scope} }}

[match.states]
seen = {{ {state} }}
"#,
        cluster = d.cluster.id,
        n = d.members.len(),
        template = d.template,
        first = d
            .cluster
            .first_seen
            .map(crate::timefmt::format_iso)
            .unwrap_or_else(|| "unknown".into()),
        last = d
            .cluster
            .last_seen
            .map(crate::timefmt::format_iso)
            .unwrap_or_else(|| "unknown".into()),
        pv = versions(&d.cluster.plugin_versions),
        cv = versions(&d.cluster.cli_versions),
        pl = versions(&d.cluster.platforms),
        id = q(d.id),
        title = q(d.template),
        family = q(d.family),
        regex = literal(d.regex),
        scope = q(d.scope),
        state = state.join(", "),
    );
    for r in d.examples {
        s.push_str(&format!(
            "\n[[tests]]\nexpect = \"match\"\nname = {}\n{}",
            q(&format!("run {}", r.id)),
            job_test(r, d.scope)
        ));
    }
    if let Some(r) = d.examples.first() {
        s.push_str(&format!(
            "\n[[tests]]\nexpect = \"match\"\nname = \"free text\"\ntext = {}\n",
            q(decisive(r))
        ));
    }
    match d.near {
        Some(r) => s.push_str(&format!(
            "\n[[tests]]\nexpect = \"no-match\"\nname = {}\n{}",
            q(&format!("nearest run outside the cluster: {}", r.id)),
            job_test(r, line_scope(r))
        )),
        None => {
            // No other run to learn from: the first example without its longest constant
            // word, a near miss that shares the rest of the text.
            let example = d.examples.first().map(|r| decisive(r)).unwrap_or("");
            let longest = d
                .template
                .split_whitespace()
                .filter(|w| !w.contains('<'))
                .max_by_key(|w| w.len())
                .unwrap_or("");
            let near: Vec<&str> = example
                .split_whitespace()
                .filter(|w| *w != longest)
                .collect();
            let near = near.join(" ");
            let text = if near.is_empty() || d.matches(&near) {
                "Turn completed.".to_string()
            } else {
                near
            };
            s.push_str(&format!(
                "\n[[tests]]\nexpect = \"no-match\"\nname = \"an example without its longest constant word\"\ntext = {}\n",
                q(&text)
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

/// A `[tests.job]` table that rebuilds the run's state and its decisive line.
fn job_test(r: &Run, scope: &str) -> String {
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
    let line = decisive(r);
    if scope == "error"
        && let Some(e) = &r.error_message
    {
        s.push_str(&format!("error_message = {}\n", q(e)));
    } else {
        s.push_str(&format!(
            "log = {}\n",
            q(&format!("[2026-01-01T00:00:00.000Z] {line}\n"))
        ));
    }
    s
}

/// The default rule directory of `rules draft`.
pub fn default_dir() -> &'static Path {
    Path::new("rules")
}

