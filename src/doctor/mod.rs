//! `triage doctor`: a read-only look at this machine's setup (or a given home tree) for the
//! facts a bug report needs and the configurations known to fail: plugin versions in the
//! Claude Code cache and which is active, the Codex CLI version, Node/npm, OS and shell, the
//! relevant `~/.codex/config.toml` keys (redacted), the plugin data dirs, the WindowsApps
//! `pwsh.exe` alias stub, triage's own hooks; then which catalogued signatures the setup is
//! exposed to, from each rule's `platforms` and `affected` versions.
//!
//! Nothing here writes, and nothing runs a program unless `probe` is set (`--probe`): then
//! `codex --version`, `node --version` and `npm --version` are run with a timeout.

pub mod affected;
mod config;
mod findings;
mod install;
mod render;
mod tools;

use config::*;
use findings::*;
use install::*;
use tools::*;

pub use render::render_human;

use crate::redact::Redactor;
use crate::rules::RuleSet;
use crate::vocab::Platform;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// What doctor looks at.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// The home tree examined.
    pub home: PathBuf,
    /// True when the home is the user's own (not `--home`): then this process's environment
    /// (`CODEX_HOME`, `$TMPDIR`, the OS files) describes the same machine.
    pub own_home: bool,
    /// Run programs for their versions.
    pub probe: bool,
    /// `PATH` to resolve programs on.
    pub path: Option<OsString>,
    /// `$SHELL` / `%ComSpec%`.
    pub shell: Option<String>,
    /// `CLAUDE_PLUGIN_DATA`.
    pub plugin_data_env: Option<String>,
    /// `CODEX_HOME`, used only for the own home.
    pub codex_home: Option<PathBuf>,
}

impl Inputs {
    /// From this process's environment; `home` overrides the user's home (`--home`).
    pub fn from_env(home: Option<PathBuf>, probe: bool) -> anyhow::Result<Inputs> {
        let var = |n: &str| std::env::var(n).ok().filter(|v| !v.trim().is_empty());
        let own = var("HOME")
            .or_else(|| var("USERPROFILE"))
            .map(PathBuf::from);
        let (home, own_home) = match home {
            Some(h) => {
                if !h.is_dir() {
                    anyhow::bail!("--home {}: not a directory", h.display());
                }
                (h, false)
            }
            None => (
                own.ok_or_else(|| anyhow::anyhow!("no home directory: set HOME or pass --home"))?,
                true,
            ),
        };
        Ok(Inputs {
            home,
            own_home,
            probe,
            path: std::env::var_os("PATH"),
            shell: var("SHELL").or_else(|| var("ComSpec")),
            plugin_data_env: var("CLAUDE_PLUGIN_DATA"),
            codex_home: var("CODEX_HOME").map(PathBuf::from),
        })
    }
}

/// A program and its version.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Tool {
    /// Where `PATH` resolves it, when it does.
    pub path: Option<String>,
    /// Its version, when known.
    pub version: Option<String>,
    /// Where the version came from (`--version`, a rollout file), or why it is unknown.
    pub version_source: String,
}

/// The operating system.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OsFacts {
    /// `windows`, `macos`, `linux`, `wsl`.
    pub platform: String,
    /// How the platform was decided: `host`, or `home layout` for a `--home` tree.
    pub source: String,
    /// Distribution or product name and version, when an OS file says.
    pub name: Option<String>,
    /// CPU architecture of this host.
    pub arch: String,
}

/// One installed copy of the plugin in Claude Code's cache.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PluginInstall {
    /// Marketplace folder (`openai-codex`).
    pub marketplace: String,
    /// Version folder.
    pub version: String,
    /// Install path (home-relative).
    pub path: String,
    /// The copy Claude Code runs.
    pub active: bool,
}

/// A plugin data directory.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DataDir {
    /// The directory (home-relative).
    pub path: String,
    /// Where it was found: `plugins/data`, `CLAUDE_PLUGIN_DATA`, `tmp-fallback`.
    pub origin: String,
    /// Whether it exists.
    pub exists: bool,
    /// Workspace state directories in it.
    pub workspaces: usize,
    /// Job records (`jobs/*.json`) in it.
    pub jobs: usize,
}

/// `~/.codex/config.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodexConfig {
    /// The file (home-relative).
    pub path: String,
    /// Relevant keys, dotted, values redacted.
    pub keys: BTreeMap<String, String>,
    /// Why it could not be read, when it could not.
    pub error: Option<String>,
}

/// The WindowsApps `pwsh.exe` App Execution Alias.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PwshAlias {
    /// The alias path (home-relative).
    pub path: String,
    /// Its size as the file system reports it.
    pub size: u64,
    /// A 0-byte alias stub: spawning it from a sandbox fails (1312/1920).
    pub stub: bool,
    /// `PATH` resolves `pwsh.exe` to this alias before any real install.
    pub first_on_path: Option<bool>,
}

/// triage's capture hooks in `~/.claude/settings.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Hooks {
    /// The settings file (home-relative), when it exists.
    pub settings: Option<String>,
    /// Events that run `triage capture`.
    pub installed: Vec<String>,
    /// Events triage's hook install covers that have none.
    pub missing: Vec<String>,
    /// Whether the codex plugin is enabled in `enabledPlugins` (when the file says).
    pub plugin_enabled: Option<bool>,
}

/// A known-bad configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Problem {
    /// Short id.
    pub id: String,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub hint: String,
    /// The signature it leads to, when catalogued.
    pub signature: Option<String>,
}

/// How sure an exposure is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Certainty {
    /// The platform and a named version range (or a problem found here) match.
    Exposed,
    /// Nothing excludes it, but nothing names this setup either.
    Possible,
}

/// A signature this setup is exposed to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Exposure {
    /// Rule id.
    pub signature: String,
    /// Rule title.
    pub title: String,
    /// Rule severity.
    pub severity: String,
    /// How sure.
    pub certainty: Certainty,
    /// Why, in words.
    pub because: Vec<String>,
}

/// Everything doctor found.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Facts {
    /// Version of this document's shape.
    pub schema_version: u32,
    /// The home examined (`~` when it is the user's own).
    pub home: String,
    /// Whether programs were run (`--probe`).
    pub probed: bool,
    /// Operating system.
    pub os: OsFacts,
    /// The shell Claude Code would use (`$SHELL`, `%ComSpec%`).
    pub shell: Option<String>,
    /// Node.js.
    pub node: Tool,
    /// npm.
    pub npm: Tool,
    /// Codex CLI.
    pub codex: Tool,
    /// Plugin copies in the cache, newest first.
    pub plugins: Vec<PluginInstall>,
    /// Version of the active copy.
    pub active_plugin: Option<String>,
    /// How the active copy was decided.
    pub active_source: Option<String>,
    /// `CLAUDE_PLUGIN_DATA` of this process.
    pub claude_plugin_data: Option<String>,
    /// Plugin data directories.
    pub data_dirs: Vec<DataDir>,
    /// `~/.codex/config.toml`.
    pub codex_config: Option<CodexConfig>,
    /// The WindowsApps `pwsh.exe` alias, when present in the tree.
    pub pwsh_alias: Option<PwshAlias>,
    /// triage's capture hooks.
    pub hooks: Hooks,
    /// Known-bad configurations.
    pub problems: Vec<Problem>,
    /// Signatures this setup is exposed to, surest and most severe first.
    pub exposure: Vec<Exposure>,
    /// Catalogued signatures excluded by platform or version.
    pub not_exposed: usize,
}

impl Facts {
    /// Every string redacted with `r` (for exports and bundles): the facts go through their
    /// JSON form, which is what the redactor is built and tested for. `None` if the redacted
    /// text no longer parses (then the facts must not be shown at all).
    pub fn redacted(&self, r: &Redactor) -> Option<Facts> {
        let text = serde_json::to_string(self).ok()?;
        serde_json::from_str(&r.redact(&text)).ok()
    }
}

/// Hook events `triage hook install` covers.
pub const HOOK_EVENTS: [&str; 3] = ["Stop", "SubagentStop", "SessionEnd"];

/// Shows `p` relative to the home (`~/…`) so facts carry no user name.
fn display(home: &Path, p: &Path) -> String {
    match p.strip_prefix(home) {
        Ok(rel) if rel.as_os_str().is_empty() => "~".into(),
        Ok(rel) => format!("~/{}", rel.to_string_lossy().replace('\\', "/")),
        Err(_) => p.to_string_lossy().into_owned(),
    }
}

fn host_platform() -> Platform {
    match std::env::consts::OS {
        "windows" => Platform::Windows,
        "macos" => Platform::Macos,
        _ => {
            let wsl = std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|s| s.to_ascii_lowercase().contains("microsoft"))
                .unwrap_or(false);
            if wsl { Platform::Wsl } else { Platform::Linux }
        }
    }
}

/// Looks at the setup. Never writes; runs programs only when `inputs.probe`.
pub fn gather(inputs: &Inputs, rules: &RuleSet) -> Facts {
    let redactor = Redactor::from_env();
    let (plugins, active_plugin, active_source) = plugins(inputs);
    let mut f = Facts {
        schema_version: 1,
        home: if inputs.own_home {
            "~".into()
        } else {
            inputs.home.to_string_lossy().into_owned()
        },
        probed: inputs.probe,
        os: os_facts(inputs),
        shell: inputs.shell.clone(),
        node: tool(inputs, "node"),
        npm: tool(inputs, "npm"),
        codex: codex_tool(inputs),
        plugins,
        active_plugin,
        active_source,
        claude_plugin_data: inputs.plugin_data_env.clone(),
        data_dirs: data_dirs(inputs),
        codex_config: codex_config(inputs, &redactor),
        pwsh_alias: pwsh_alias(inputs),
        hooks: hooks(inputs),
        problems: Vec::new(),
        exposure: Vec::new(),
        not_exposed: 0,
    };
    f.problems = problems(&f, rules);
    let (e, n) = exposure(&f, rules);
    f.exposure = e;
    f.not_exposed = n;
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_config_keys_are_hidden() {
        assert!(secret_key("model_providers.corp.experimental_bearer_token"));
        assert!(secret_key("model_providers.corp.http_headers.X-Key"));
        assert!(!secret_key("windows.sandbox"));
    }

    #[test]
    fn paths_are_shown_home_relative() {
        let h = Path::new("/home/dev");
        assert_eq!(
            display(h, Path::new("/home/dev/.codex/config.toml")),
            "~/.codex/config.toml"
        );
        assert_eq!(display(h, Path::new("/opt/x")), "/opt/x");
    }
}
