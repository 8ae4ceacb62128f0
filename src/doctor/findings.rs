//! What the facts mean: known-bad configurations (problems) and the catalogued signatures the
//! setup is exposed to.

use super::*;

pub(super) fn problems(f: &Facts, rules: &RuleSet) -> Vec<Problem> {
    let has = |id: &str| rules.get(id).is_some().then(|| id.to_string());
    let windows = f.os.platform == "windows";
    let mut out = Vec::new();
    if let Some(a) = &f.pwsh_alias
        && a.stub
    {
        out.push(Problem {
            id: "pwsh-windowsapps-stub".into(),
            message: format!(
                "{} is a 0-byte App Execution Alias stub{}",
                a.path,
                if a.first_on_path == Some(true) {
                    ", and PATH resolves pwsh.exe to it"
                } else {
                    ""
                }
            ),
            hint: "the Codex sandbox cannot spawn the Store alias (CreateProcessAsUserW 1312/1920); install PowerShell 7 from the MSI or winget (`winget install Microsoft.PowerShell`) and check `where.exe pwsh` lists C:\\Program Files\\PowerShell\\7\\pwsh.exe first".into(),
            signature: has("win-sandbox-createprocessasuser-1312-pwsh-stub"),
        });
    }
    let sandbox = f
        .codex_config
        .as_ref()
        .and_then(|c| c.keys.get("windows.sandbox"))
        .map(|s| s.trim_matches('"').to_string());
    if windows {
        match sandbox.as_deref() {
            Some("elevated") => out.push(Problem {
                id: "windows-sandbox-elevated".into(),
                message: "`[windows] sandbox = \"elevated\"` in ~/.codex/config.toml".into(),
                hint: "the elevated runner is where CreateProcessAsUserW 1920 and setup-refresh failures are reported; `sandbox = \"unelevated\"` is the reported workaround".into(),
                signature: has("win-sandbox-createprocessasuser-1920"),
            }),
            None => out.push(Problem {
                id: "windows-sandbox-unset".into(),
                message: "no `[windows] sandbox` in ~/.codex/config.toml".into(),
                hint: "without a Windows sandbox, the plugin's read-only threads reject shell commands (\"blocked by policy\"); add `[windows]` `sandbox = \"unelevated\"`".into(),
                signature: has("win-sandbox-blocked-by-policy"),
            }),
            Some(_) => {}
        }
    }
    if f.plugins.len() > 1 {
        out.push(Problem {
            id: "several-plugin-copies".into(),
            message: format!(
                "{} copies of the plugin in the cache ({})",
                f.plugins.len(),
                f.plugins
                    .iter()
                    .map(|p| p.version.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            hint: "a stale copy can keep running old code after an update (see the ENOENT reports on later CLIs); remove the old version folders and restart Claude Code".into(),
            signature: None,
        });
    }
    let tmp = f
        .data_dirs
        .iter()
        .any(|d| d.origin == "tmp-fallback" && d.jobs > 0);
    let data = f
        .data_dirs
        .iter()
        .any(|d| d.origin != "tmp-fallback" && d.jobs > 0);
    if tmp && data {
        out.push(Problem {
            id: "state-split".into(),
            message: "job records both under the plugin data dir and the $TMPDIR/codex-companion fallback".into(),
            hint: "commands started without CLAUDE_PLUGIN_DATA (a plain shell, a hook) see other jobs than the slash commands".into(),
            signature: has("plugin-state-dir-mismatch"),
        });
    }
    if f.node.path.is_none() && f.probed {
        out.push(Problem {
            id: "node-not-on-path".into(),
            message: "`node` is not on PATH".into(),
            hint: "the plugin's scripts run with Node.js; install it or make it visible to Claude Code's shell".into(),
            signature: has("node-not-on-path"),
        });
    }
    if f.codex.path.is_none() && f.probed {
        out.push(Problem {
            id: "codex-not-on-path".into(),
            message: "`codex` is not on PATH".into(),
            hint: "install the Codex CLI (`npm install -g @openai/codex`) and run /codex:setup"
                .into(),
            signature: has("codex-cli-missing-or-unrunnable"),
        });
    }
    if !f.hooks.missing.is_empty() {
        out.push(Problem {
            id: "triage-hooks-missing".into(),
            message: format!(
                "triage's capture hook is not installed for {}",
                f.hooks.missing.join(", ")
            ),
            hint: "the plugin deletes job records at SessionEnd and prunes beyond 50; `triage hook install` keeps a history of them".into(),
            signature: None,
        });
    }
    out
}

pub(super) fn exposure(f: &Facts, rules: &RuleSet) -> (Vec<Exposure>, usize) {
    use affected::Verdict;
    let mut out = Vec::new();
    let mut not_exposed = 0;
    let from_problems: BTreeMap<&str, &Problem> = f
        .problems
        .iter()
        .filter_map(|p| p.signature.as_deref().map(|s| (s, p)))
        .collect();
    for r in &rules.rules {
        let file = &r.file;
        if file.status == crate::rules::model::RuleStatus::Deprecated {
            continue;
        }
        let mut because = Vec::new();
        let mut named = false;
        if !file.platforms.is_empty() {
            if !file.platforms.iter().any(|p| p.as_str() == f.os.platform) {
                not_exposed += 1;
                continue;
            }
            because.push(format!("platform {}", f.os.platform));
            named = true;
        }
        let a = file.affected.clone().unwrap_or_default();
        let mut out_by_version = false;
        for (what, text, version) in [
            ("plugin", a.plugin.as_deref(), f.active_plugin.as_deref()),
            ("Codex CLI", a.cli.as_deref(), f.codex.version.as_deref()),
        ] {
            let Some(text) = text else { continue };
            match affected::verdict(text, version) {
                Verdict::In => {
                    because.push(format!("{what} {} in {text}", version.unwrap_or("unknown")));
                    named = true;
                }
                Verdict::Out => out_by_version = true,
                Verdict::Unknown if version.is_none() => {
                    because.push(format!("{what} version unknown (affected: {text})"))
                }
                Verdict::Any | Verdict::Unknown => {}
            }
        }
        let problem = from_problems.get(r.id());
        if out_by_version && problem.is_none() {
            not_exposed += 1;
            continue;
        }
        if let Some(p) = problem {
            because.insert(0, p.message.clone());
        }
        // Platform alone says little for a rule that lists one platform and no versions; a
        // problem found here, or a named version range, says much.
        let certainty =
            if problem.is_some() || (named && because.iter().any(|b| b.contains(" in "))) {
                Certainty::Exposed
            } else {
                Certainty::Possible
            };
        out.push(Exposure {
            signature: r.id().to_string(),
            title: file.title.clone(),
            severity: file.severity.as_str().into(),
            certainty,
            because,
        });
    }
    out.sort_by(|a, b| {
        a.certainty
            .cmp(&b.certainty)
            .then_with(|| {
                crate::vocab::Severity::parse(&b.severity)
                    .cmp(&crate::vocab::Severity::parse(&a.severity))
            })
            .then_with(|| a.signature.cmp(&b.signature))
    });
    (out, not_exposed)
}
