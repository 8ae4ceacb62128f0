//! The Bisection section: the version × platform matrix with outcomes, and the known
//! affected versions checked against this machine.

use super::{Ctx, code, counts_text, join_and, outcome_counts};
use crate::cluster::Cluster;
use crate::doctor;
use crate::run::Run;
use std::fmt::Write as _;

pub(super) fn bisection(o: &mut String, x: &Ctx, c: &Cluster, runs: &[&Run]) {
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
