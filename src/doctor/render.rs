//! `triage doctor`'s human report.

use super::{Certainty, Facts, Tool};
use std::fmt::Write as _;

fn tool_line(name: &str, t: &Tool) -> String {
    let path = t.path.as_deref().unwrap_or("not on PATH");
    match &t.version {
        Some(v) => format!("{name:<14} {v} ({path}; from {})", t.version_source),
        None => format!("{name:<14} version unknown ({path}; {})", t.version_source),
    }
}

/// The report as text; `exposure_limit` caps the "possibly exposed" list.
pub fn render_human(f: &Facts, exposure_limit: usize) -> String {
    let mut o = String::new();
    setup(&mut o, f);
    problems(&mut o, f);
    exposure(&mut o, f, exposure_limit);
    if !f.probed {
        let _ = writeln!(
            o,
            "\nNo program was run; `triage doctor --probe` runs `codex --version`, `node --version` and `npm --version`."
        );
    }
    o
}

/// The facts, one per line: OS, shell, tools, plugin installs, data dirs, config, hooks.
fn setup(o: &mut String, f: &Facts) {
    let _ = writeln!(o, "triage doctor: {}", f.home);
    let _ = writeln!(o);
    let os = match &f.os.name {
        Some(n) => format!("{} ({n}, {})", f.os.platform, f.os.arch),
        None => format!("{} ({})", f.os.platform, f.os.arch),
    };
    let _ = writeln!(
        o,
        "{:<14} {os}{}",
        "OS",
        if f.os.source == "host" {
            ""
        } else {
            " [from the home layout]"
        }
    );
    let _ = writeln!(
        o,
        "{:<14} {}",
        "shell",
        f.shell.as_deref().unwrap_or("unknown")
    );
    let _ = writeln!(o, "{}", tool_line("Node.js", &f.node));
    let _ = writeln!(o, "{}", tool_line("npm", &f.npm));
    let _ = writeln!(o, "{}", tool_line("Codex CLI", &f.codex));
    plugins_and_data(o, f);
}

/// The plugin installs, its data dirs, the Codex config keys, the pwsh alias and the hooks.
fn plugins_and_data(o: &mut String, f: &Facts) {
    match (&f.active_plugin, f.plugins.is_empty()) {
        (_, true) => {
            let _ = writeln!(o, "{:<14} none in ~/.claude/plugins/cache", "plugin");
        }
        (active, false) => {
            let _ = writeln!(
                o,
                "{:<14} {} active ({})",
                "plugin",
                active.as_deref().unwrap_or("unknown"),
                f.active_source.as_deref().unwrap_or("")
            );
            for p in &f.plugins {
                let _ = writeln!(
                    o,
                    "{:<14}   {} {}{}",
                    "",
                    p.version,
                    p.path,
                    if p.active { "  [active]" } else { "" }
                );
            }
        }
    }
    let _ = writeln!(
        o,
        "{:<14} {}",
        "CLAUDE_PLUGIN_DATA",
        f.claude_plugin_data.as_deref().unwrap_or("unset")
    );
    if f.data_dirs.is_empty() {
        let _ = writeln!(o, "{:<14} none found", "plugin data");
    }
    for d in &f.data_dirs {
        let _ = writeln!(
            o,
            "{:<14} {} [{}]: {}",
            "plugin data",
            d.path,
            d.origin,
            if d.exists {
                format!("{} workspaces, {} job records", d.workspaces, d.jobs)
            } else {
                "missing".into()
            }
        );
    }
    match &f.codex_config {
        None => {
            let _ = writeln!(o, "{:<14} no ~/.codex/config.toml", "config");
        }
        Some(c) => {
            let _ = writeln!(
                o,
                "{:<14} {}{}",
                "config",
                c.path,
                c.error
                    .as_ref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            );
            for (k, v) in &c.keys {
                let _ = writeln!(o, "{:<14}   {k} = {v}", "");
            }
        }
    }
    if let Some(a) = &f.pwsh_alias {
        let _ = writeln!(
            o,
            "{:<14} {} ({} bytes{})",
            "pwsh alias",
            a.path,
            a.size,
            if a.stub {
                ", App Execution Alias stub"
            } else {
                ""
            }
        );
    }
    let _ = writeln!(
        o,
        "{:<14} {}",
        "triage hooks",
        if f.hooks.missing.is_empty() {
            format!("installed ({})", f.hooks.installed.join(", "))
        } else if f.hooks.installed.is_empty() {
            "not installed".into()
        } else {
            format!("missing for {}", f.hooks.missing.join(", "))
        }
    );
}

/// Known-bad configurations found, with their hints.
fn problems(o: &mut String, f: &Facts) {
    let _ = writeln!(o);
    if f.problems.is_empty() {
        let _ = writeln!(o, "No known-bad configuration found.");
    } else {
        let _ = writeln!(o, "Problems ({}):", f.problems.len());
        for p in &f.problems {
            let _ = writeln!(o, "  - {}", p.message);
            let _ = writeln!(o, "    {}", p.hint);
            if let Some(s) = &p.signature {
                let _ = writeln!(o, "    signature: {s} (`triage rules show {s}`)");
            }
        }
    }
}

/// Which catalogued signatures the setup is exposed to, and which it possibly is.
fn exposure(o: &mut String, f: &Facts, exposure_limit: usize) {
    let exposed: Vec<_> = f
        .exposure
        .iter()
        .filter(|e| e.certainty == Certainty::Exposed)
        .collect();
    let possible: Vec<_> = f
        .exposure
        .iter()
        .filter(|e| e.certainty == Certainty::Possible)
        .collect();
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "Exposed to {} catalogued signature{} ({} possibly, {} excluded by platform or version):",
        exposed.len(),
        if exposed.len() == 1 { "" } else { "s" },
        possible.len(),
        f.not_exposed
    );
    for e in &exposed {
        let _ = writeln!(
            o,
            "  {:<8} {}: {}",
            e.severity,
            e.signature,
            e.because.join("; ")
        );
    }
    if !possible.is_empty() {
        let _ = writeln!(o, "Possibly (nothing here names or excludes them):");
        for e in possible.iter().take(exposure_limit) {
            let _ = writeln!(o, "  {:<8} {}", e.severity, e.signature);
        }
        if possible.len() > exposure_limit {
            let _ = writeln!(
                o,
                "  +{} more (`triage doctor --format json` lists all)",
                possible.len() - exposure_limit
            );
        }
    }
}
