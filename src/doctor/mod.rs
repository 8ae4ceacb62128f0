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
mod render;

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

/// Config keys worth a bug report: sandbox and approval settings, models, providers,
/// features, profiles. Anything else (MCP server commands, env tables) stays out.
const CONFIG_PREFIXES: &[&str] = &[
    "model",
    "model_provider",
    "model_reasoning_effort",
    "model_reasoning_summary",
    "review_model",
    "sandbox_mode",
    "approval_policy",
    "profile",
    "preferred_auth_method",
    "forced_login_method",
    "windows.",
    "features.",
    "sandbox_workspace_write.",
    "shell_environment_policy.inherit",
    "model_providers.",
    "profiles.",
];

/// Key names whose values are secrets whatever they look like.
fn secret_key(k: &str) -> bool {
    let k = k.to_ascii_lowercase();
    [
        "token",
        "secret",
        "password",
        "passwd",
        "api_key",
        "apikey",
        "bearer",
        "auth_header",
    ]
    .iter()
    .any(|s| k.contains(s))
        || k.ends_with(".headers")
        || k.contains(".http_headers")
}

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

fn os_facts(i: &Inputs) -> OsFacts {
    let arch = std::env::consts::ARCH.to_string();
    if !i.own_home {
        // A tree from another machine says what it is by its layout.
        let h = &i.home;
        let platform = if h.join("AppData").is_dir() {
            Some(Platform::Windows)
        } else if h.join("Library").is_dir() {
            Some(Platform::Macos)
        } else {
            None
        };
        if let Some(p) = platform {
            return OsFacts {
                platform: p.as_str().into(),
                source: "home layout".into(),
                name: None,
                arch,
            };
        }
    }
    let p = host_platform();
    let name = match p {
        Platform::Linux | Platform::Wsl => std::fs::read_to_string("/etc/os-release")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                    .map(|v| v.trim_matches('"').to_string())
            }),
        Platform::Macos => {
            std::fs::read_to_string("/System/Library/CoreServices/SystemVersion.plist")
                .ok()
                .and_then(|s| {
                    let i = s.find("<key>ProductVersion</key>")?;
                    let rest = &s[i..];
                    let a = rest.find("<string>")? + 8;
                    let b = rest[a..].find("</string>")?;
                    Some(format!("macOS {}", &rest[a..a + b]))
                })
        }
        Platform::Windows => None,
    };
    OsFacts {
        platform: p.as_str().into(),
        source: "host".into(),
        name,
        arch,
    }
}

/// The first file named `name` (or `name` + a Windows extension) on `PATH`.
fn which(path: Option<&OsString>, name: &str) -> Option<PathBuf> {
    let path = path?;
    let exts: &[&str] = if cfg!(windows) {
        &["", ".exe", ".cmd", ".bat", ".ps1"]
    } else {
        &[""]
    };
    for dir in std::env::split_paths(path) {
        for ext in exts {
            let p = dir.join(format!("{name}{ext}"));
            if std::fs::symlink_metadata(&p).is_ok_and(|m| !m.is_dir()) {
                return Some(p);
            }
        }
    }
    None
}

/// Runs `program --version` with a timeout; the first line of its output.
fn probe_version(program: &Path) -> Result<String, String> {
    use std::io::Read;
    let mut child = std::process::Command::new(program)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("could not run: {e}"))?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("timed out after 10 s".into());
            }
        }
    }
    let mut out = String::new();
    if let Some(mut s) = child.stdout.take() {
        let _ = s.by_ref().take(64 * 1024).read_to_string(&mut out);
    }
    out.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_string)
        .ok_or_else(|| "printed no version".into())
}

fn tool(i: &Inputs, name: &str) -> Tool {
    let found = which(i.path.as_ref(), name);
    let path = found.as_ref().map(|p| display(&i.home, p));
    if !i.probe {
        return Tool {
            path,
            version: None,
            version_source: "not run (pass --probe to run `--version`)".into(),
        };
    }
    match found {
        None => Tool {
            path,
            version: None,
            version_source: "not on PATH".into(),
        },
        Some(p) => match probe_version(&p) {
            Ok(v) => Tool {
                path,
                version: Some(
                    crate::versions::cli_version_in(v.as_bytes())
                        .unwrap_or_else(|| v.trim_start_matches('v').to_string()),
                ),
                version_source: format!("`{name} --version`"),
            },
            Err(e) => Tool {
                path,
                version: None,
                version_source: format!("`{name} --version` {e}"),
            },
        },
    }
}

/// The Codex home of the examined tree.
fn codex_home(i: &Inputs) -> PathBuf {
    match (&i.codex_home, i.own_home) {
        (Some(c), true) => c.clone(),
        _ => i.home.join(".codex"),
    }
}

/// The newest rollout file's `cli_version`: the CLI that last ran here.
fn rollout_cli_version(sessions: &Path) -> Option<(String, PathBuf)> {
    // sessions/YYYY/MM/DD/rollout-*.jsonl: walk the newest day folders first.
    fn sorted_dirs(p: &Path) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(p)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .collect();
        v.sort();
        v.reverse();
        v
    }
    let mut days_checked = 0;
    for y in sorted_dirs(sessions) {
        for m in sorted_dirs(&y) {
            for d in sorted_dirs(&m) {
                days_checked += 1;
                if days_checked > 60 {
                    return None;
                }
                let mut files: Vec<PathBuf> = std::fs::read_dir(&d)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| {
                        p.file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.starts_with("rollout-") && n.ends_with(".jsonl"))
                    })
                    .collect();
                files.sort();
                for f in files.iter().rev() {
                    if let Some(v) = crate::versions::first_line_cli_version(f) {
                        return Some((v, f.clone()));
                    }
                }
            }
        }
    }
    None
}

fn codex_tool(i: &Inputs) -> Tool {
    let mut t = tool(i, "codex");
    if t.version.is_none() {
        let sessions = codex_home(i).join("sessions");
        if let Some((v, f)) = rollout_cli_version(&sessions) {
            t.version = Some(v);
            t.version_source = format!("newest rollout {}", display(&i.home, &f));
        } else if !i.probe {
            t.version_source =
                "unknown: no rollout under ~/.codex/sessions (pass --probe to run `codex --version`)"
                    .into();
        }
    }
    t
}

fn cmp_versions(a: &str, b: &str) -> std::cmp::Ordering {
    let parse = |s: &str| -> Vec<u64> {
        s.split(['.', '-', '+'])
            .map(|p| p.parse().unwrap_or(0))
            .collect()
    };
    parse(a).cmp(&parse(b)).then_with(|| a.cmp(b))
}

/// The plugin's copies in the cache, and which one Claude Code runs.
fn plugins(i: &Inputs) -> (Vec<PluginInstall>, Option<String>, Option<String>) {
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

fn count_dir(state: &Path) -> (usize, usize) {
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

fn data_dirs(i: &Inputs) -> Vec<DataDir> {
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

fn flatten(prefix: &str, v: &toml::Value, out: &mut BTreeMap<String, toml::Value>) {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        other => {
            out.insert(prefix.to_string(), other.clone());
        }
    }
}

fn codex_config(i: &Inputs, redactor: &Redactor) -> Option<CodexConfig> {
    let path = codex_home(i).join("config.toml");
    let shown = display(&i.home, &path);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            return Some(CodexConfig {
                path: shown,
                keys: BTreeMap::new(),
                error: Some(format!("cannot read: {e}")),
            });
        }
    };
    let table: toml::Table = match text.parse() {
        Ok(t) => t,
        Err(e) => {
            return Some(CodexConfig {
                path: shown,
                keys: BTreeMap::new(),
                error: Some(format!(
                    "not valid TOML: {}",
                    e.to_string().lines().next().unwrap_or("")
                )),
            });
        }
    };
    let mut flat = BTreeMap::new();
    flatten("", &toml::Value::Table(table), &mut flat);
    let keys = flat
        .into_iter()
        .filter(|(k, _)| {
            CONFIG_PREFIXES.iter().any(|p| {
                if p.ends_with('.') {
                    k.starts_with(p)
                } else {
                    k == p
                }
            })
        })
        .map(|(k, v)| {
            let shown = match &v {
                toml::Value::String(s) => format!("{s:?}"),
                other => other.to_string(),
            };
            let shown = if secret_key(&k) {
                "<redacted>".to_string()
            } else {
                redactor.redact(&shown).into_owned()
            };
            (k, shown)
        })
        .collect();
    Some(CodexConfig {
        path: shown,
        keys,
        error: None,
    })
}

fn pwsh_alias(i: &Inputs) -> Option<PwshAlias> {
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

fn hooks(i: &Inputs) -> Hooks {
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

fn problems(f: &Facts, rules: &RuleSet) -> Vec<Problem> {
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

fn exposure(f: &Facts, rules: &RuleSet) -> (Vec<Exposure>, usize) {
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
