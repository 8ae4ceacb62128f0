//! The relevant `~/.codex/config.toml` keys, with secret values redacted.

use super::*;

/// Config keys worth a bug report: sandbox and approval settings, models, providers,
/// features, profiles. Anything else (MCP server commands, env tables) stays out.
pub(super) const CONFIG_PREFIXES: &[&str] = &[
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
pub(super) fn secret_key(k: &str) -> bool {
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

pub(super) fn flatten(prefix: &str, v: &toml::Value, out: &mut BTreeMap<String, toml::Value>) {
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

pub(super) fn codex_config(i: &Inputs, redactor: &Redactor) -> Option<CodexConfig> {
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
