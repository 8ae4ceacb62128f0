//! The Environment section: this machine (from `triage doctor`) and what the records say.

use super::{Ctx, code};
use crate::cluster::Cluster;
use crate::doctor;
use crate::run::Run;
use std::collections::BTreeSet;
use std::fmt::Write as _;

fn tool_text(x: &Ctx, t: &doctor::Tool) -> String {
    let source = x.prose(&t.version_source, &[]);
    match (&t.version, &t.path) {
        (Some(v), _) => format!("{} ({source})", x.code(v)),
        (None, Some(p)) => format!("unknown, {} on PATH ({source})", x.code(p)),
        // The source already says why ("not run (pass --probe …)"): no second parenthesis.
        (None, None) => format!("unknown: {source}"),
    }
}

/// The section: this machine when `triage doctor`'s facts are given, then the records'.
pub(super) fn environment(o: &mut String, x: &Ctx, c: &Cluster, runs: &[&Run]) {
    let _ = writeln!(o, "### Environment\n");
    if let Some(f) = x.opts.environment {
        this_machine(o, x, f);
    }
    from_the_records(o, x, c, runs);
}

/// This machine, from `triage doctor`'s facts.
fn this_machine(o: &mut String, x: &Ctx, f: &doctor::Facts) {
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

/// What the cluster's records say: versions, platforms, job kinds and layouts.
fn from_the_records(o: &mut String, x: &Ctx, c: &Cluster, runs: &[&Run]) {
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
