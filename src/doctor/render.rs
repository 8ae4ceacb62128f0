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

/// One `label  value` line of the facts, the label padded to 14 columns.
fn row(o: &mut String, label: &str, value: impl std::fmt::Display) {
    let _ = writeln!(o, "{label:<14} {value}");
}

/// The plugin installs, its data dirs, the Codex config keys, the pwsh alias and the hooks.
fn plugins_and_data(o: &mut String, f: &Facts) {
    match (&f.active_plugin, f.plugins.is_empty()) {
        (_, true) => row(o, "plugin", "none in ~/.claude/plugins/cache"),
        (active, false) => {
            let active = active.as_deref().unwrap_or("unknown");
            let source = f.active_source.as_deref().unwrap_or("");
            row(o, "plugin", format_args!("{active} active ({source})"));
            for p in &f.plugins {
                let mark = if p.active { "  [active]" } else { "" };
                row(o, "", format_args!("  {} {}{mark}", p.version, p.path));
            }
        }
    }
    let plugin_data = f.claude_plugin_data.as_deref().unwrap_or("unset");
    row(o, "CLAUDE_PLUGIN_DATA", plugin_data);
    if f.data_dirs.is_empty() {
        row(o, "plugin data", "none found");
    }
    for d in &f.data_dirs {
        let found = if d.exists {
            format!("{} workspaces, {} job records", d.workspaces, d.jobs)
        } else {
            "missing".into()
        };
        row(
            o,
            "plugin data",
            format_args!("{} [{}]: {found}", d.path, d.origin),
        );
    }
    match &f.codex_config {
        None => row(o, "config", "no ~/.codex/config.toml"),
        Some(c) => {
            let error = c.error.as_ref().map(|e| format!(": {e}"));
            row(
                o,
                "config",
                format_args!("{}{}", c.path, error.unwrap_or_default()),
            );
            for (k, v) in &c.keys {
                row(o, "", format_args!("  {k} = {v}"));
            }
        }
    }
    if let Some(a) = &f.pwsh_alias {
        let stub = if a.stub {
            ", App Execution Alias stub"
        } else {
            ""
        };
        row(
            o,
            "pwsh alias",
            format_args!("{} ({} bytes{stub})", a.path, a.size),
        );
    }
    let hooks = if f.hooks.missing.is_empty() {
        format!("installed ({})", f.hooks.installed.join(", "))
    } else if f.hooks.installed.is_empty() {
        "not installed".into()
    } else {
        format!("missing for {}", f.hooks.missing.join(", "))
    };
    row(o, "triage hooks", hooks);
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
