//! What is installed where: plugin versions in the Claude Code cache, the plugin data dirs,
//! the WindowsApps `pwsh.exe` alias stub, triage's own hooks.

use super::*;

/// The plugin's copies in the cache, and which one Claude Code runs.
pub(super) fn plugins(i: &Inputs) -> (Vec<PluginInstall>, Option<String>, Option<String>) {
    let cache = i.home.join(".claude/plugins/cache");
    let mut out = Vec::new();
    for mkt in std::fs::read_dir(&cache).into_iter().flatten().flatten() {
        let codex = mkt.path().join("codex");
        for v in std::fs::read_dir(&codex).into_iter().flatten().flatten() {
            if !v.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            out.push(PluginInstall {
                marketplace: mkt.file_name().to_string_lossy().into_owned(),
                version: v.file_name().to_string_lossy().into_owned(),
                path: display(&i.home, &v.path()),
                active: false,
            });
        }
    }
    out.sort_by(|a, b| cmp_versions(&b.version, &a.version));
    // Claude Code records installs in installed_plugins.json (v1: object per plugin; v2: a
    // list of installs per plugin, each with `version` and `installPath`).
    let installed = std::fs::read_to_string(i.home.join(".claude/plugins/installed_plugins.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
    let mut active: Option<(String, String)> = None;
    if let Some(map) = installed
        .as_ref()
        .and_then(|v| v.get("plugins"))
        .and_then(|p| p.as_object())
    {
        {
            for (k, v) in map {
                if !k.starts_with("codex@") {
                    continue;
                }
                let entries: Vec<&serde_json::Value> = match v {
                    serde_json::Value::Array(a) => a.iter().collect(),
                    o => vec![o],
                };
                for e in entries {
                    let path_ver = e
                        .get("installPath")
                        .and_then(|p| p.as_str())
                        .and_then(|p| crate::versions::plugin_version_in(p.as_bytes()));
                    if let Some(ver) = e
                        .get("version")
                        .and_then(|x| x.as_str())
                        .map(str::to_string)
                        .or(path_ver)
                    {
                        active = Some((ver, "installed_plugins.json".into()));
                    }
                }
            }
        }
    }
    if active.is_none()
        && let Some(p) = out.first()
    {
        active = Some((
            p.version.clone(),
            if out.len() > 1 {
                "newest copy in the cache (no installed_plugins.json entry)".into()
            } else {
                "only copy in the cache".into()
            },
        ));
    }
    if let Some((v, _)) = &active {
        for p in out.iter_mut() {
            p.active = &p.version == v;
        }
    }
    let (v, s) = active.unzip();
    (out, v, s)
}

pub(super) fn count_dir(state: &Path) -> (usize, usize) {
    let mut workspaces = 0;
    let mut jobs = 0;
    for ws in std::fs::read_dir(state).into_iter().flatten().flatten() {
        if !ws.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        workspaces += 1;
        jobs += std::fs::read_dir(ws.path().join("jobs"))
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
            .count();
    }
    (workspaces, jobs)
}

pub(super) fn data_dirs(i: &Inputs) -> Vec<DataDir> {
    let mut out = Vec::new();
    let mut push = |dir: PathBuf, state: PathBuf, origin: &str| {
        let (workspaces, jobs) = count_dir(&state);
        out.push(DataDir {
            path: display(&i.home, &dir),
            origin: origin.into(),
            exists: dir.is_dir(),
            workspaces,
            jobs,
        });
    };
    let data = i.home.join(".claude/plugins/data");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&data)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("state").is_dir())
        .collect();
    found.sort();
    for d in found {
        push(d.clone(), d.join("state"), "plugins/data");
    }
    if i.own_home {
        if let Some(env) = &i.plugin_data_env {
            let d = PathBuf::from(env);
            push(d.clone(), d.join("state"), "CLAUDE_PLUGIN_DATA");
        }
        let mut tmps = vec![std::env::temp_dir().join("codex-companion")];
        let slash_tmp = PathBuf::from("/tmp/codex-companion");
        if !tmps.contains(&slash_tmp) && cfg!(unix) {
            tmps.push(slash_tmp);
        }
        for t in tmps {
            if t.is_dir() {
                push(t.clone(), t, "tmp-fallback");
            }
        }
    }
    out
}

pub(super) fn pwsh_alias(i: &Inputs) -> Option<PwshAlias> {
    let alias = i.home.join("AppData/Local/Microsoft/WindowsApps/pwsh.exe");
    let meta = std::fs::symlink_metadata(&alias).ok()?;
    let first_on_path = i.own_home.then(|| {
        which(i.path.as_ref(), "pwsh.exe")
            .or_else(|| which(i.path.as_ref(), "pwsh"))
            .is_some_and(|p| {
                p.to_string_lossy()
                    .to_ascii_lowercase()
                    .contains("windowsapps")
            })
    });
    Some(PwshAlias {
        path: display(&i.home, &alias),
        size: meta.len(),
        stub: meta.len() == 0,
        first_on_path,
    })
}

pub(super) fn hooks(i: &Inputs) -> Hooks {
    let path = i.home.join(".claude/settings.json");
    let Some(v) = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
    else {
        return Hooks {
            settings: path.is_file().then(|| display(&i.home, &path)),
            installed: Vec::new(),
            missing: HOOK_EVENTS.iter().map(|s| s.to_string()).collect(),
            plugin_enabled: None,
        };
    };
    let runs_capture = |groups: &serde_json::Value| {
        groups.as_array().into_iter().flatten().any(|g| {
            g.get("hooks")
                .and_then(|h| h.as_array())
                .into_iter()
                .flatten()
                .any(|h| {
                    h.get("command")
                        .and_then(|c| c.as_str())
                        .is_some_and(|c| c.contains("triage capture"))
                })
        })
    };
    let mut installed = Vec::new();
    if let Some(h) = v.get("hooks").and_then(|h| h.as_object()) {
        for (event, groups) in h {
            if runs_capture(groups) {
                installed.push(event.clone());
            }
        }
    }
    let missing = HOOK_EVENTS
        .iter()
        .filter(|e| !installed.iter().any(|i| i == *e))
        .map(|s| s.to_string())
        .collect();
    let plugin_enabled = v
        .get("enabledPlugins")
        .and_then(|e| e.as_object())
        .and_then(|m| {
            m.iter()
                .find(|(k, _)| k.starts_with("codex@"))
                .map(|(_, v)| v.as_bool().unwrap_or(false))
        });
    Hooks {
        settings: Some(display(&i.home, &path)),
        installed,
        missing,
        plugin_enabled,
    }
}
