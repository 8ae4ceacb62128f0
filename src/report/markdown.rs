//! The Markdown issue body: the report a user would otherwise write by hand. Per cluster: the
//! upstream issue it is already tracked as (first, with the workaround), Environment (this
//! machine, from `triage doctor`, and what the records say), Summary, a Steps-to-reproduce
//! placeholder, Evidence (signature lines, failing commands, the last log lines), Timeline,
//! Bisection, Distinct from, Related, Workaround and references.
//!
//! GitHub-flavoured and safe to paste: record text only ever appears in code spans and fenced
//! blocks, rule prose goes through [`mdsafe::prose`], every string is redacted before it is
//! escaped (so `<redacted>` markers land inside code, not as tags), and the body holds no raw
//! HTML.

use super::attempts::{self, Attempt};
use super::evidence::{self, LogDetail};
use super::mdsafe::{self, cell_code, code, fenced, prose};
use crate::cluster::Cluster;
use crate::doctor::{self, Facts};
use crate::redact::Redactor;
use crate::rules::RuleSet;
use crate::run::{LineRef, Run};
use crate::scan::ScanResult;
use crate::timefmt::format_iso;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

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
    /// This machine's setup, for the Environment section.
    pub environment: Option<&'a Facts>,
    /// Applied to every string before it is escaped, needed for the text the renderer reads
    /// itself (log excerpts): the model is redacted before ([`super::Prepared`]).
    pub redactor: Option<&'a Redactor>,
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
    fn red<'t>(&self, s: &'t str) -> Cow<'t, str> {
        match self.opts.redactor {
            Some(r) => r.redact(s),
            None => Cow::Borrowed(s),
        }
    }
    /// Record text as a code span.
    fn code(&self, s: &str) -> String {
        code(&self.red(s))
    }
    /// Record text as a table-cell code span.
    fn cell(&self, s: &str) -> String {
        cell_code(&self.red(s))
    }
    /// Rule prose.
    fn prose(&self, s: &str, refs: &[String]) -> String {
        prose(&self.red(s), refs)
    }
    /// Record text as a fenced block.
    fn fenced(&self, body: &str) -> String {
        fenced(&self.red(body), "text")
    }
}

fn day(t: Option<i64>) -> String {
    t.map(|t| format_iso(t).get(..10).unwrap_or("unknown").to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// `n thing` / `n things`.
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `a, b and c`.
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Evidence lines of one run for this cluster: each distinct text once, first place cited.
/// Also returns how many distinct lines were left out.
fn evidence_lines(c: &Cluster, r: &Run) -> (Vec<String>, usize) {
    let refs: Vec<&LineRef> = match c.signature.as_deref() {
        Some(s) => r
            .findings
            .iter()
            .filter(|f| f.signature == s)
            .flat_map(|f| f.evidence.iter())
            .collect(),
        None => r.decisive.iter().collect(),
    };
    // The decisive line stands in when the signature cites no line of its own.
    let refs = if refs.is_empty() {
        r.decisive.iter().collect()
    } else {
        refs
    };
    let mut seen = BTreeSet::new();
    let distinct: Vec<&LineRef> = refs
        .into_iter()
        .filter(|e| seen.insert(e.text.as_str()))
        .collect();
    let more = distinct.len().saturating_sub(LINES_SHOWN);
    let lines = distinct
        .into_iter()
        .take(LINES_SHOWN)
        .map(|e| match e.line {
            Some(l) => format!("{}:{l}: {}", short_path(&e.file), e.text),
            None => format!("{}: {}", short_path(&e.file), e.text),
        })
        .collect();
    (lines, more)
}

fn short_path(p: &str) -> String {
    // Evidence paths are long; the job file name is what identifies them.
    let parts: Vec<&str> = p.split(['/', '\\']).collect();
    if parts.len() > 2 {
        parts[parts.len() - 2..].join("/")
    } else {
        p.to_string()
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

fn tool_text(x: &Ctx, t: &doctor::Tool) -> String {
    let source = x.prose(&t.version_source, &[]);
    match (&t.version, &t.path) {
        (Some(v), _) => format!("{} ({source})", x.code(v)),
        (None, Some(p)) => format!("unknown, {} on PATH ({source})", x.code(p)),
        (None, None) => format!("unknown ({source})"),
    }
}

fn environment(o: &mut String, x: &Ctx, c: &Cluster, runs: &[&Run]) {
    let _ = writeln!(o, "### Environment\n");
    if let Some(f) = x.opts.environment {
        let _ = writeln!(o, "This machine (`triage doctor`):\n");
        let os = match &f.os.name {
            Some(n) => format!("{} ({}, {})", f.os.platform, x.code(n), f.os.arch),
            None => format!("{} ({})", f.os.platform, f.os.arch),
        };
        let _ = writeln!(o, "- OS: {os}");
        let _ = writeln!(
            o,
            "- shell: {}",
            f.shell
                .as_deref()
                .map(|s| x.code(s))
                .unwrap_or("unknown".into())
        );
        let _ = writeln!(o, "- Node.js: {}", tool_text(x, &f.node));
        let _ = writeln!(o, "- npm: {}", tool_text(x, &f.npm));
        let _ = writeln!(o, "- Codex CLI: {}", tool_text(x, &f.codex));
        match &f.active_plugin {
            Some(v) => {
                let path = f
                    .plugins
                    .iter()
                    .find(|p| p.active)
                    .map(|p| format!(" at {}", x.code(&p.path)))
                    .unwrap_or_default();
                let others: Vec<String> = f
                    .plugins
                    .iter()
                    .filter(|p| !p.active)
                    .map(|p| code(&p.version))
                    .collect();
                let _ = writeln!(
                    o,
                    "- plugin: {}{path}{}",
                    code(v),
                    if others.is_empty() {
                        String::new()
                    } else {
                        format!(" (also in the cache: {})", others.join(", "))
                    }
                );
            }
            None => {
                let _ = writeln!(o, "- plugin: not found in the Claude Code plugin cache");
            }
        }
        let _ = writeln!(
            o,
            "- `CLAUDE_PLUGIN_DATA`: {}",
            f.claude_plugin_data
                .as_deref()
                .map(|s| x.code(s))
                .unwrap_or("unset".into())
        );
        if let Some(cfg) = &f.codex_config {
            if cfg.keys.is_empty() {
                let _ = writeln!(o, "- {}: no relevant keys", x.code(&cfg.path));
            } else {
                let keys: Vec<String> = cfg
                    .keys
                    .iter()
                    .map(|(k, v)| x.code(&format!("{k} = {v}")))
                    .collect();
                let _ = writeln!(o, "- {}: {}", x.code(&cfg.path), keys.join(", "));
            }
        }
        if let Some(a) = &f.pwsh_alias
            && a.stub
        {
            let _ = writeln!(
                o,
                "- {} is a 0-byte App Execution Alias stub (check with `where.exe pwsh`)",
                x.code(&a.path)
            );
        }
        o.push('\n');
    }
    let _ = writeln!(o, "From the records:\n");
    let list = |v: &[String]| {
        if v.is_empty() {
            "unknown".to_string()
        } else {
            v.iter().map(|s| x.code(s)).collect::<Vec<_>>().join(", ")
        }
    };
    let _ = writeln!(o, "- plugin version: {}", list(&c.plugin_versions));
    let _ = writeln!(o, "- Codex CLI version: {}", list(&c.cli_versions));
    let _ = writeln!(o, "- platform: {}", list(&c.platforms));
    let kinds: Vec<String> = runs
        .iter()
        .filter_map(|r| r.kind.as_ref().map(|k| k.as_str().to_string()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let _ = writeln!(o, "- job kinds: {}", list(&kinds));
    let roots: Vec<String> = runs
        .iter()
        .map(|r| r.state_root.as_str().to_string())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let _ = writeln!(o, "- record layout: {}\n", list(&roots));
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

fn evidence(o: &mut String, x: &Ctx, c: &Cluster, runs: &[&Run]) {
    let _ = writeln!(o, "### Evidence\n");
    for r in runs.iter().take(RUNS_SHOWN) {
        let mut facts = Vec::new();
        if let Some(k) = &r.kind {
            facts.push(k.as_str().to_string());
        }
        facts.push(format!("workspace {}", x.code(&r.workspace.slug)));
        facts.push(format!(
            "status {}",
            x.code(r.status.as_ref().map(|s| s.as_str()).unwrap_or("unknown"))
        ));
        facts.push(format!("outcome {}", x.code(r.outcome.as_str())));
        if let Some(t) = r.created_at {
            facts.push(format!("created {}", format_iso(t)));
        }
        let _ = writeln!(o, "**{}** ({})\n", x.code(&r.id), facts.join(", "));
        let (lines, more) = evidence_lines(c, r);
        if lines.is_empty() {
            let _ = writeln!(
                o,
                "No line-level evidence: {}.\n",
                x.code(&r.outcome_reason)
            );
        } else {
            o.push_str(&x.fenced(&lines.join("\n")));
            if more > 0 {
                let _ = writeln!(
                    o,
                    "\n+{more} more matching lines ({}).",
                    x.code(&format!("triage explain {}", r.id))
                );
            }
            o.push('\n');
        }
        let detail: Option<LogDetail> = r
            .sources
            .log
            .as_deref()
            .and_then(|p| evidence::read_log(Path::new(p), COMMANDS_SHOWN, TAIL_SHOWN));
        let Some(d) = detail else { continue };
        if d.failing_total > 0 {
            let _ = writeln!(
                o,
                "Failing commands ({} of {}):\n",
                d.failing.len(),
                d.failing_total
            );
            let body: Vec<String> = d.failing.iter().map(|(l, t)| format!("{l}: {t}")).collect();
            o.push_str(&x.fenced(&body.join("\n")));
            if d.failing_total > d.failing.len() {
                let _ = writeln!(
                    o,
                    "\n+{} more failing commands.",
                    d.failing_total - d.failing.len()
                );
            }
            o.push('\n');
        }
        if !d.tail.is_empty() {
            let _ = writeln!(
                o,
                "Last log lines before the end ({} of {} entries):\n",
                d.tail.len(),
                d.entries
            );
            let body: Vec<String> = d
                .tail
                .iter()
                .map(|(l, t)| {
                    if *l == 0 {
                        t.clone()
                    } else {
                        format!("{l}: {t}")
                    }
                })
                .collect();
            o.push_str(&x.fenced(&body.join("\n")));
            o.push('\n');
        }
    }
    if runs.len() > RUNS_SHOWN {
        let rest: Vec<String> = runs[RUNS_SHOWN..].iter().map(|r| x.code(&r.id)).collect();
        let _ = writeln!(
            o,
            "+{} more runs: {}. `triage explain RUN-ID` shows a run's timeline.\n",
            rest.len(),
            join_and(&rest)
        );
    }
}

/// The Timeline section from any list of attempts (a scan's runs, or the history store's).
pub fn render_timeline(attempts: &[Attempt], redactor: Option<&Redactor>) -> String {
    let x = Ctx {
        opts: Options {
            environment: None,
            redactor,
        },
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

fn bisection(o: &mut String, x: &Ctx, c: &Cluster, runs: &[&Run]) {
    let _ = writeln!(o, "### Bisection\n");
    let _ = writeln!(
        o,
        "| plugin version | Codex CLI version | platform | outcome | runs |"
    );
    let _ = writeln!(o, "|---|---|---|---|---:|");
    let key = |r: &Run| {
        (
            r.plugin_version.clone().unwrap_or_else(|| "unknown".into()),
            r.cli_version.clone().unwrap_or_else(|| "unknown".into()),
            r.platform
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "unknown".into()),
        )
    };
    for m in &c.matrix {
        let k = (
            m.plugin_version.clone(),
            m.cli_version.clone(),
            m.platform.clone(),
        );
        let outcomes = outcome_counts(runs.iter().copied().filter(|r| key(r) == k));
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} |",
            x.cell(&m.plugin_version),
            x.cell(&m.cli_version),
            x.cell(&m.platform),
            counts_text(&outcomes),
            m.count
        );
    }
    o.push('\n');
    let unknown: Vec<&str> = [
        c.matrix
            .iter()
            .any(|m| m.plugin_version == "unknown")
            .then_some("plugin version"),
        c.matrix
            .iter()
            .any(|m| m.cli_version == "unknown")
            .then_some("Codex CLI version"),
        c.matrix
            .iter()
            .any(|m| m.platform == "unknown")
            .then_some("platform"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !unknown.is_empty() {
        let _ = writeln!(
            o,
            "`unknown`: the records do not say the {} (triage reads plugin versions from install paths, Codex CLI versions from `codex-cli X.Y.Z` strings and `~/.codex/sessions` rollouts, platforms from paths and shells; it never guesses).\n",
            join_and(&unknown.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        );
    }
    if let Some(a) = &c.affected {
        let mut parts = Vec::new();
        if let Some(p) = &a.plugin {
            parts.push(format!("plugin {}", x.prose(p, &c.references)));
        }
        if let Some(cli) = &a.cli {
            parts.push(format!("Codex CLI {}", x.prose(cli, &c.references)));
        }
        if !parts.is_empty() {
            let _ = writeln!(o, "Known affected versions: {}.\n", parts.join("; "));
        }
        if let Some(f) = x.opts.environment {
            use doctor::affected::{Verdict, verdict};
            let say = |what: &str, text: Option<&String>, v: Option<&String>| -> Option<String> {
                let v = v?;
                let t = text?;
                Some(match verdict(t, Some(v)) {
                    Verdict::In => format!("{what} {} is in the affected range", code(v)),
                    Verdict::Out => format!("{what} {} is outside the affected range", code(v)),
                    Verdict::Any => format!("{what} {} (any version affected)", code(v)),
                    Verdict::Unknown => format!("{what} {}", code(v)),
                })
            };
            let parts: Vec<String> = [
                say("plugin", a.plugin.as_ref(), f.active_plugin.as_ref()),
                say("Codex CLI", a.cli.as_ref(), f.codex.version.as_ref()),
            ]
            .into_iter()
            .flatten()
            .collect();
            if !parts.is_empty() {
                let _ = writeln!(o, "This machine: {}.\n", parts.join("; "));
            }
        }
    }
}

fn distinct_and_related(o: &mut String, x: &Ctx, c: &Cluster, rules: &RuleSet) {
    let distinct: Vec<_> = c
        .related
        .iter()
        .filter(|r| r.relation == "distinct-from")
        .collect();
    if !distinct.is_empty() {
        let _ = writeln!(o, "### Distinct from\n");
        for d in distinct {
            let rule = rules.get(&d.id);
            let refs = rule.map(|r| r.file.references.clone()).unwrap_or_default();
            // A note compares the two signatures: its bare numbers may be either's.
            let both: Vec<String> = c.references.iter().chain(&refs).cloned().collect();
            let how = d
                .note
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(|n| x.prose(n, &both))
                .unwrap_or_else(|| "a different signature with a similar symptom".into());
            let tracked = refs
                .iter()
                .find(|r| crate::rules::is_reference(r))
                .map(|r| format!(", tracked as {}", reference_link(r)))
                .unwrap_or_default();
            match rule {
                Some(r) => {
                    let _ = writeln!(
                        o,
                        "- {} ({}{tracked}): {how}",
                        code(&d.id),
                        x.prose(r.file.title.trim(), &refs)
                    );
                }
                None => {
                    let _ = writeln!(o, "- {}: {how}", code(&d.id));
                }
            }
        }
        o.push('\n');
    }
    let others: Vec<_> = c
        .related
        .iter()
        .filter(|r| r.relation != "distinct-from")
        .collect();
    if !others.is_empty() {
        let _ = writeln!(o, "### Related\n");
        for d in others {
            let _ = writeln!(
                o,
                "- {} ({}){}",
                code(&d.id),
                d.relation,
                d.note
                    .as_ref()
                    .map(|n| format!(": {}", x.prose(n.trim(), &c.references)))
                    .unwrap_or_default()
            );
        }
        o.push('\n');
    }
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
    environment(&mut o, &x, c, runs);
    summary(&mut o, &x, c, runs);
    steps(&mut o);
    evidence(&mut o, &x, c, runs);
    let attempts: Vec<Attempt> = runs.iter().map(|r| Attempt::from_run(r)).collect();
    o.push_str(&render_timeline(&attempts, opts.redactor));
    bisection(&mut o, &x, c, runs);
    distinct_and_related(&mut o, &x, c, rules);
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

fn cluster_runs<'a>(res: &'a ScanResult, c: &Cluster) -> Vec<&'a Run> {
    c.runs
        .iter()
        .filter_map(|id| res.runs.iter().find(|r| &r.id == id))
        .collect()
}

/// A one-line issue title for the export (`--title-only`): the top cluster, with counts.
pub fn title(res: &ScanResult, opts: Options) -> String {
    let x = Ctx { opts };
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
    x.red(&t)
        .chars()
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
