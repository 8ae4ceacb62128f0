//! The Markdown issue body: the report a user would otherwise write by hand. Per cluster: the
//! upstream issue it is already tracked as (first, with the workaround), Environment (this
//! machine, from `triage doctor`, and what the records say), Summary, a Steps-to-reproduce
//! placeholder, Evidence (signature lines, failing commands, the last log lines), Timeline,
//! Bisection, Distinct from, Related, Workaround and references. An unclassified cluster has a
//! Templates section after its Summary: the mined templates of its runs' error lines.
//!
//! GitHub-flavoured and safe to paste: record text only ever appears in code spans and fenced
//! blocks, rule prose goes through [`mdsafe::prose`], and the body holds no raw HTML.
//!
//! The renderer redacts nothing and reads nothing from disk: it is given the model redacted
//! before ([`super::Prepared`]) and the log excerpts read and redacted before
//! ([`Excerpts`]), so `<redacted>` markers land inside code, not as tags, and no text reaches
//! the body without having passed the redactor.
//!
//! Sections live in submodules: [`environment`], [`evidence`] (with the excerpts),
//! [`bisection`], [`related`] and [`templates`].

mod bisection;
mod environment;
mod evidence;
mod related;
mod templates;

pub use evidence::Excerpts;

use super::attempts::{self, Attempt};
use super::mdsafe::{self, cell_code, code, fenced, prose};
use super::plural;
use crate::cluster::Cluster;
use crate::doctor::Facts;
use crate::rules::RuleSet;
use crate::run::Run;
use crate::scan::ScanResult;
use crate::timefmt::format_iso;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Runs whose evidence is shown per cluster.
const RUNS_SHOWN: usize = 3;
/// Signature lines per run.
const LINES_SHOWN: usize = 4;
/// Failing commands per run.
const COMMANDS_SHOWN: usize = 5;
/// Last log entries per run.
const TAIL_SHOWN: usize = 5;
/// Timeline rows.
const TIMELINE_SHOWN: usize = 20;
/// Upstream references listed.
const REFERENCES_SHOWN: usize = 12;

/// What the body is rendered with.
#[derive(Default, Clone, Copy)]
pub struct Options<'a> {
    /// This machine's setup, for the Environment section (redacted before, when asked).
    pub environment: Option<&'a Facts>,
    /// The log excerpts of the runs shown (failing commands, last lines), read from the
    /// recorded paths and redacted before; `None` shows none.
    pub excerpts: Option<&'a Excerpts>,
}

/// `owner/repo#N` → a Markdown link.
pub fn reference_link(r: &str) -> String {
    match r.split_once('#') {
        Some((repo, n)) if crate::rules::is_reference(r) => {
            format!("[{r}](https://github.com/{repo}/issues/{n})")
        }
        // Not a reference triage can link: shown as code, never as Markdown.
        _ => code(r),
    }
}

struct Ctx<'a> {
    opts: Options<'a>,
}

impl Ctx<'_> {
    /// Record text as a code span.
    fn code(&self, s: &str) -> String {
        code(s)
    }
    /// Record text as a table-cell code span.
    fn cell(&self, s: &str) -> String {
        cell_code(s)
    }
    /// Rule prose.
    fn prose(&self, s: &str, refs: &[String]) -> String {
        prose(s, refs)
    }
    /// Record text as a fenced block.
    fn fenced(&self, body: &str) -> String {
        fenced(body, "text")
    }
}

fn day(t: Option<i64>) -> String {
    t.map(|t| format_iso(t).get(..10).unwrap_or("unknown").to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// `a, b and c`.
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// `3 stalled, 1 failed` for a set of runs (`ok` is said as `completed`: the plugin's word,
/// not a claim that the work succeeded).
fn outcome_counts<'a>(runs: impl Iterator<Item = &'a Run>) -> BTreeMap<&'static str, usize> {
    let mut m = BTreeMap::new();
    for r in runs {
        let o = match r.outcome.as_str() {
            "ok" => "completed",
            o => o,
        };
        *m.entry(o).or_default() += 1;
    }
    m
}

fn counts_text(m: &BTreeMap<&str, usize>) -> String {
    m.iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The first reference of the rule, which the catalogue lists as the tracking issue.
fn tracking(c: &Cluster) -> Option<&str> {
    c.references
        .iter()
        .map(String::as_str)
        .find(|r| crate::rules::is_reference(r))
}

fn known_upstream(o: &mut String, x: &Ctx, c: &Cluster) {
    let Some(t) = tracking(c) else { return };
    let _ = writeln!(
        o,
        "> **Known upstream as {}** — add your details there rather than opening a new issue; the workaround follows.",
        reference_link(t)
    );
    o.push('\n');
    workaround(o, x, c);
}

fn workaround(o: &mut String, x: &Ctx, c: &Cluster) {
    if let Some(fix) = c.fix.as_deref().filter(|f| !f.trim().is_empty()) {
        let _ = writeln!(
            o,
            "### Workaround\n\n{}\n",
            x.prose(fix.trim(), &c.references)
        );
    }
}

fn summary(o: &mut String, x: &Ctx, c: &Cluster, runs: &[&Run]) {
    let _ = writeln!(o, "### Summary\n");
    let outcomes = outcome_counts(runs.iter().copied());
    let outcome_text = match outcomes.len() {
        0 => "outcome unknown".to_string(),
        1 if runs.len() == 1 => outcomes.keys().next().copied().unwrap_or_default().into(),
        1 => format!(
            "all {}",
            outcomes.keys().next().copied().unwrap_or_default()
        ),
        _ => counts_text(&outcomes),
    };
    let when = match (day(c.first_seen), day(c.last_seen)) {
        (a, b) if a == b => format!("on {a}"),
        (a, b) => format!("between {a} and {b}"),
    };
    let ws: Vec<String> = c.workspaces.iter().map(|w| x.code(w)).collect();
    let _ = writeln!(
        o,
        "{} ({outcome_text}) {when}, in {}{}.\n",
        plural(c.count as usize, "run", "runs"),
        plural(c.workspaces.len(), "workspace", "workspaces"),
        if ws.is_empty() {
            String::new()
        } else {
            format!(": {}", join_and(&ws))
        }
    );
    match &c.description {
        Some(d) => {
            let _ = writeln!(o, "{}\n", x.prose(d.trim(), &c.references));
        }
        None if !c.templates.is_empty() => {
            let _ = writeln!(
                o,
                "No known signature explains these runs; they {} the error-line templates below.\n",
                if runs.len() == 1 { "end with" } else { "share" }
            );
        }
        None => {
            let _ = writeln!(
                o,
                "No known signature explains these runs; they {} the decisive line shown under Evidence.\n",
                if runs.len() == 1 { "end with" } else { "share" }
            );
        }
    }
}

fn steps(o: &mut String) {
    let _ = writeln!(
        o,
        "### Steps to reproduce\n\n_To fill in before filing: what you ran (for example `/codex:rescue …` or `/codex:review --background`), in what kind of repository, and whether it happens every time._\n\n1. …\n"
    );
}

/// The Timeline section from any list of attempts (a scan's runs, or the history store's).
pub fn render_timeline(attempts: &[Attempt]) -> String {
    let x = Ctx {
        opts: Options::default(),
    };
    let attempts = attempts::sorted(attempts.to_vec());
    let mut o = String::new();
    let _ = writeln!(o, "### Timeline\n");
    let _ = writeln!(o, "{}.\n", attempts::span_line(&attempts));
    let _ = writeln!(
        o,
        "| started | run | workspace | kind | outcome | plugin | Codex CLI |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|");
    for a in attempts.iter().take(TIMELINE_SHOWN) {
        let opt = |v: &Option<String>| v.as_deref().map(|s| x.cell(s)).unwrap_or("unknown".into());
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} |",
            a.at.map(format_iso).unwrap_or_else(|| "unknown".into()),
            x.cell(&a.run),
            x.cell(&a.workspace),
            opt(&a.kind),
            a.outcome,
            opt(&a.plugin_version),
            opt(&a.cli_version),
        );
    }
    if attempts.len() > TIMELINE_SHOWN {
        let _ = writeln!(o, "\n+{} more runs.", attempts.len() - TIMELINE_SHOWN);
    }
    o.push('\n');
    o
}

/// Renders one cluster.
pub fn render_cluster(c: &Cluster, runs: &[&Run], rules: &RuleSet, opts: Options) -> String {
    let x = Ctx { opts };
    let mut o = String::new();
    let heading = match &c.signature {
        Some(_) => x.prose(c.title.trim(), &c.references).replace('\n', " "),
        // An unclassified cluster's title is a normalised log line: record text.
        None => x.code(c.title.trim()),
    };
    let _ = writeln!(o, "## {heading}\n");
    let mut ident = vec![code(&c.id), format!("severity **{}**", c.severity.as_str())];
    if let Some(f) = &c.family {
        ident.push(format!("family {}", code(f)));
    }
    let _ = writeln!(o, "{}\n", ident.join(" · "));

    known_upstream(&mut o, &x, c);
    environment::environment(&mut o, &x, c, runs);
    summary(&mut o, &x, c, runs);
    templates::templates(&mut o, &x, c);
    steps(&mut o);
    evidence::evidence(&mut o, &x, c, runs);
    // Rows name a run as the evidence does: `workspace/id` where a bare id is ambiguous.
    let attempts: Vec<Attempt> = runs
        .iter()
        .zip(crate::select::names(runs))
        .map(|(r, run)| Attempt {
            run,
            ..Attempt::from_run(r)
        })
        .collect();
    o.push_str(&render_timeline(&attempts));
    bisection::bisection(&mut o, &x, c, runs);
    related::distinct_and_related(&mut o, &x, c, rules);
    // With an upstream issue the workaround came first, under the pointer to it.
    if tracking(c).is_none() {
        workaround(&mut o, &x, c);
    }
    let refs: Vec<&String> = c
        .references
        .iter()
        .filter(|r| crate::rules::is_reference(r))
        .collect();
    if !refs.is_empty() {
        let _ = writeln!(o, "### Upstream references\n");
        for r in refs.iter().take(REFERENCES_SHOWN) {
            let _ = writeln!(o, "- {}", reference_link(r));
        }
        if refs.len() > REFERENCES_SHOWN {
            let _ = writeln!(
                o,
                "- +{} more (`triage rules show {}`)",
                refs.len() - REFERENCES_SHOWN,
                c.id
            );
        }
        o.push('\n');
    }
    o
}

/// The runs `c` lists, each found by id and membership (the same id can be several runs).
fn cluster_runs<'a>(res: &'a ScanResult, c: &Cluster) -> Vec<&'a Run> {
    crate::select::members(&res.runs, c)
}

/// A one-line issue title for the export (`--title-only`): the top cluster, with counts.
pub fn title(res: &ScanResult) -> String {
    let t = match res.clusters.as_slice() {
        [] => format!("triage: no failure in {} runs", res.runs.len()),
        [c] => format!(
            "{} ({})",
            c.title.trim(),
            plural(c.count as usize, "run", "runs")
        ),
        [c, rest @ ..] => format!(
            "{} ({}), and {} more",
            c.title.trim(),
            plural(c.count as usize, "run", "runs"),
            plural(rest.len(), "issue", "issues")
        ),
    };
    // A title is one line; control characters have no place in it.
    t.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Renders every cluster of a scan as one document.
pub fn render(res: &ScanResult, rules: &RuleSet, opts: Options) -> String {
    let x = Ctx { opts };
    let mut o = String::new();
    if res.clusters.is_empty() {
        let _ = writeln!(
            o,
            "# triage report\n\nNo failure signature and no failed or stalled run in {} runs.",
            res.runs.len()
        );
        return o;
    }
    if res.clusters.len() > 1 {
        let _ = writeln!(
            o,
            "# triage report: {} issues in {} runs\n",
            res.clusters.len(),
            res.runs.len()
        );
        for c in &res.clusters {
            let title = match &c.signature {
                Some(_) => x.prose(c.title.trim(), &c.references).replace('\n', " "),
                None => x.code(c.title.trim()),
            };
            let _ = writeln!(
                o,
                "- {title} ({}, {})",
                plural(c.count as usize, "run", "runs"),
                code(&c.id)
            );
        }
        o.push('\n');
    }
    for c in &res.clusters {
        o.push_str(&render_cluster(c, &cluster_runs(res, c), rules, opts));
        o.push_str("---\n\n");
    }
    let _ = writeln!(
        o,
        "_Generated by triage {} (rules {}); bare issue numbers are qualified as {}._",
        env!("CARGO_PKG_VERSION"),
        rules.hash,
        code(&format!("{}#N", mdsafe::DEFAULT_REPO))
    );
    o
}
