//! The Markdown issue body: per cluster a title, a summary, the bisection matrix, evidence,
//! known upstream issues as links, "distinct from" with how to tell, the fix, and the
//! environment triage could infer. GitHub-flavoured; meant to be pasted as is.

use crate::cluster::Cluster;
use crate::rules::RuleSet;
use crate::run::Run;
use crate::scan::ScanResult;
use crate::timefmt::format_iso;
use std::collections::BTreeSet;
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
    t.map(|t| format_iso(t)[..10].to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Renders one cluster.
pub fn render_cluster(c: &Cluster, runs: &[&Run], rules: &RuleSet) -> String {
    let mut o = String::new();
    let sig = c.signature.as_deref();
    let _ = writeln!(o, "## {}\n", c.title);
    let _ = writeln!(
        o,
        "**Signature:** `{}` · **severity:** {} · **runs:** {} · **first seen:** {} · **last seen:** {} · **workspaces:** {}\n",
        c.id,
        c.severity.as_str(),
        c.count,
        day(c.first_seen),
        day(c.last_seen),
        if c.workspaces.is_empty() {
            "unknown".into()
        } else {
            c.workspaces.join(", ")
        }
    );
    if let Some(d) = &c.description {
        let _ = writeln!(o, "{}\n", d.trim());
    } else {
        let _ = writeln!(
            o,
            "No known signature explains these runs; they share the decisive line below.\n"
        );
    }
    let _ = writeln!(o, "### Bisection matrix\n");
    let _ = writeln!(
        o,
        "| plugin version | Codex CLI version | platform | runs |"
    );
    let _ = writeln!(o, "|---|---|---|---|");
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
    if let Some(a) = &c.affected {
        let mut parts = Vec::new();
        if let Some(p) = &a.plugin {
            parts.push(format!("plugin {p}"));
        }
        if let Some(cli) = &a.cli {
            parts.push(format!("CLI {cli}"));
        }
        if !parts.is_empty() {
            let _ = writeln!(o, "\nKnown affected versions: {}.", parts.join("; "));
        }
    }
    let _ = writeln!(o, "\n### Evidence\n");
    for r in runs.iter().take(RUNS_SHOWN) {
        let _ = writeln!(
            o,
            "**`{}`** ({}, {}, outcome `{}`, status `{}`, created {})\n",
            r.id,
            r.kind
                .as_ref()
                .map(|k| k.as_str())
                .unwrap_or("unknown kind"),
            r.workspace.slug,
            r.outcome.as_str(),
            r.status.as_ref().map(|s| s.as_str()).unwrap_or("unknown"),
            r.created_at
                .map(format_iso)
                .unwrap_or_else(|| "unknown".into())
        );
        let lines: Vec<String> = match sig {
            Some(s) => r
                .findings
                .iter()
                .filter(|f| f.signature == s)
                .flat_map(|f| f.evidence.iter())
                .take(LINES_SHOWN)
                .map(|e| match e.line {
                    Some(l) => format!("{}:{l}: {}", short_path(&e.file), e.text),
                    None => format!("{}: {}", short_path(&e.file), e.text),
                })
                .collect(),
            None => r
                .decisive
                .iter()
                .map(|d| {
                    format!(
                        "{}:{}: {}",
                        short_path(&d.file),
                        d.line.unwrap_or(0),
                        d.text
                    )
                })
                .collect(),
        };
        let body = lines.join("\n");
        let f = fence(&body);
        let _ = writeln!(o, "{f}text\n{body}\n{f}\n");
    }
    if runs.len() > RUNS_SHOWN {
        let rest: Vec<&str> = runs[RUNS_SHOWN..].iter().map(|r| r.id.as_str()).collect();
        let _ = writeln!(
            o,
            "Also: {}.\n",
            rest.iter()
                .map(|i| format!("`{i}`"))
                .collect::<Vec<_>>()
                .join(", ")
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
            let title = rules
                .get(&d.id)
                .map(|r| r.file.title.clone())
                .unwrap_or_default();
            let how = d
                .note
                .clone()
                .unwrap_or_else(|| "a different signature with a similar symptom".into());
            let _ = writeln!(o, "- `{}` ({}): {}", d.id, title, how.trim());
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
