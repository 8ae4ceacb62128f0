//! The Markdown issue body: per cluster a title, a summary, the bisection matrix, evidence,
//! known upstream issues as links, "distinct from" with how to tell, the fix, and the
//! environment triage could infer. GitHub-flavoured; meant to be pasted as is.

use crate::cluster::Cluster;
use crate::rules::RuleSet;
use crate::run::{LineRef, Run};
use crate::scan::ScanResult;
use crate::timefmt::format_iso;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Runs whose evidence is shown per cluster.
const RUNS_SHOWN: usize = 3;
/// Evidence lines per run.
const LINES_SHOWN: usize = 4;

/// `owner/repo#N` → a Markdown link.
pub fn reference_link(r: &str) -> String {
    match r.split_once('#') {
        Some((repo, n)) if crate::rules::is_reference(r) => {
            format!("[{r}](https://github.com/{repo}/issues/{n})")
        }
        _ => r.to_string(),
    }
}

/// Escapes `|` for table cells.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

fn fence(text: &str) -> String {
    // A fence longer than any backtick run inside the text.
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
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
fn evidence_lines(c: &Cluster, r: &Run) -> Vec<String> {
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
    refs.into_iter()
        .filter(|e| seen.insert(e.text.as_str()))
        .take(LINES_SHOWN)
        .map(|e| match e.line {
            Some(l) => format!("{}:{l}: {}", short_path(&e.file), e.text),
            None => format!("{}: {}", short_path(&e.file), e.text),
        })
        .collect()
}

/// Renders one cluster.
pub fn render_cluster(c: &Cluster, runs: &[&Run], rules: &RuleSet) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "## {}\n", c.title.trim());

    // Identity line.
    let mut ident = vec![
        format!("`{}`", c.id),
        format!("severity **{}**", c.severity.as_str()),
    ];
    if let Some(f) = &c.family {
        ident.push(format!("family {f}"));
    }
    let _ = writeln!(o, "{}\n", ident.join(" · "));

    // Summary: how many runs, how they ended, when, where.
    let mut outcomes: BTreeMap<&str, usize> = BTreeMap::new();
    for r in runs {
        // `ok` is triage's word for "the plugin says completed"; not success of the work.
        let o = match r.outcome.as_str() {
            "ok" => "completed",
            o => o,
        };
        *outcomes.entry(o).or_default() += 1;
    }
    let outcome_text = match outcomes.len() {
        0 => "outcome unknown".to_string(),
        1 if runs.len() == 1 => outcomes
            .keys()
            .next()
            .copied()
            .unwrap_or_default()
            .to_string(),
        1 => format!(
            "all {}",
            outcomes.keys().next().copied().unwrap_or_default()
        ),
        _ => outcomes
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect::<Vec<_>>()
            .join(", "),
    };
    let when = match (day(c.first_seen), day(c.last_seen)) {
        (a, b) if a == b => format!("on {a}"),
        (a, b) => format!("between {a} and {b}"),
    };
    let ws: Vec<String> = c.workspaces.iter().map(|w| format!("`{w}`")).collect();
    let _ = writeln!(
        o,
        "**Summary:** {} ({outcome_text}) {when}, in {}{}.\n",
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
            let _ = writeln!(o, "### What happens\n\n{}\n", d.trim());
        }
        None => {
            let _ = writeln!(
                o,
                "No known signature explains these runs; they {} the decisive line shown below.\n",
                if runs.len() == 1 { "end with" } else { "share" }
            );
        }
    }

    let _ = writeln!(o, "### Bisection matrix\n");
    let _ = writeln!(
        o,
        "| plugin version | Codex CLI version | platform | runs |"
    );
    let _ = writeln!(o, "|---|---|---|---:|");
    for m in &c.matrix {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} |",
            cell(&m.plugin_version),
            cell(&m.cli_version),
            cell(&m.platform),
            m.count
        );
    }
    o.push('\n');
    if c.matrix
        .iter()
        .any(|m| m.plugin_version == "unknown" || m.cli_version == "unknown")
    {
        let _ = writeln!(
            o,
            "`unknown`: the records do not say (triage reads plugin versions from install paths, CLI versions from `codex-cli X.Y.Z` strings and `~/.codex/sessions` rollouts; it never guesses).\n"
        );
    }
    if let Some(a) = &c.affected {
        let mut parts = Vec::new();
        if let Some(p) = &a.plugin {
            parts.push(format!("plugin {p}"));
        }
        if let Some(cli) = &a.cli {
            parts.push(format!("Codex CLI {cli}"));
        }
        if !parts.is_empty() {
            let _ = writeln!(o, "Known affected versions: {}.\n", parts.join("; "));
        }
    }

    let _ = writeln!(o, "### Evidence\n");
    for r in runs.iter().take(RUNS_SHOWN) {
        let mut facts = Vec::new();
        if let Some(k) = &r.kind {
            facts.push(k.as_str().to_string());
        }
        facts.push(format!("workspace `{}`", r.workspace.slug));
        facts.push(format!(
            "status `{}`",
            r.status.as_ref().map(|s| s.as_str()).unwrap_or("unknown")
        ));
        facts.push(format!("outcome `{}`", r.outcome.as_str()));
        if let Some(t) = r.created_at {
            facts.push(format!("created {}", format_iso(t)));
        }
        let _ = writeln!(o, "**`{}`** ({})\n", r.id, facts.join(", "));
        let lines = evidence_lines(c, r);
        if lines.is_empty() {
            let _ = writeln!(o, "_No line-level evidence: {}._\n", r.outcome_reason);
            continue;
        }
        let body = lines.join("\n");
        let f = fence(&body);
        let _ = writeln!(o, "{f}text\n{body}\n{f}\n");
    }
    if runs.len() > RUNS_SHOWN {
        let rest: Vec<String> = runs[RUNS_SHOWN..]
            .iter()
            .map(|r| format!("`{}`", r.id))
            .collect();
        let _ = writeln!(
            o,
            "Also affected: {}. `triage explain <run-id>` shows a run's timeline.\n",
            join_and(&rest)
        );
    }

    if !c.references.is_empty() {
        let _ = writeln!(o, "### Known upstream issues\n");
        for r in &c.references {
            let _ = writeln!(o, "- {}", reference_link(r));
        }
        o.push('\n');
    }
    let distinct: Vec<_> = c
        .related
        .iter()
        .filter(|r| r.relation == "distinct-from")
        .collect();
    if !distinct.is_empty() {
        let _ = writeln!(o, "### Distinct from\n");
        for d in distinct {
            let title = rules.get(&d.id).map(|r| r.file.title.trim().to_string());
            let how = d
                .note
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .unwrap_or("a different signature with a similar symptom");
            match title {
                Some(t) => {
                    let _ = writeln!(o, "- `{}` ({t}): {how}", d.id);
                }
                None => {
                    let _ = writeln!(o, "- `{}`: {how}", d.id);
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
                "- `{}` ({}){}",
                d.id,
                d.relation,
                d.note
                    .as_ref()
                    .map(|n| format!(": {}", n.trim()))
                    .unwrap_or_default()
            );
        }
        o.push('\n');
    }
    if let Some(fix) = &c.fix {
        let _ = writeln!(o, "### Fix or workaround\n\n{}\n", fix.trim());
    }

    let _ = writeln!(o, "### Environment (inferred from the records)\n");
    let list = |v: &[String]| {
        if v.is_empty() {
            "unknown".to_string()
        } else {
            v.join(", ")
        }
    };
    let _ = writeln!(o, "- plugin version: {}", list(&c.plugin_versions));
    let _ = writeln!(o, "- Codex CLI version: {}", list(&c.cli_versions));
    let _ = writeln!(o, "- platform: {}", list(&c.platforms));
    let kinds: BTreeSet<&str> = runs
        .iter()
        .filter_map(|r| r.kind.as_ref().map(|k| k.as_str()))
        .collect();
    let _ = writeln!(
        o,
        "- job kinds: {}",
        if kinds.is_empty() {
            "unknown".into()
        } else {
            kinds.into_iter().collect::<Vec<_>>().join(", ")
        }
    );
    let roots: BTreeSet<&str> = runs.iter().map(|r| r.state_root.as_str()).collect();
    let _ = writeln!(
        o,
        "- record layout: {}",
        roots.into_iter().collect::<Vec<_>>().join(", ")
    );
    o
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

/// Renders every cluster of a scan as one document.
pub fn render(res: &ScanResult, rules: &RuleSet) -> String {
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
            let _ = writeln!(o, "- {} ({} runs, `{}`)", c.title, c.count, c.id);
        }
        o.push('\n');
    }
    for c in &res.clusters {
        let runs: Vec<&Run> = c
            .runs
            .iter()
            .filter_map(|id| res.runs.iter().find(|r| &r.id == id))
            .collect();
        o.push_str(&render_cluster(c, &runs, rules));
        o.push_str("\n---\n\n");
    }
    let _ = writeln!(
        o,
        "<sub>Generated by triage {} (rules {}).</sub>",
        env!("CARGO_PKG_VERSION"),
        rules.hash
    );
    o
}
