//! `triage hook install | uninstall | status`: Claude Code command hooks that run
//! `triage capture --quiet` on `Stop`, `SubagentStop` and `SessionEnd`.
//!
//! The settings file is the user's: it is parsed into an order-keeping tree (not the crate's
//! `serde_json::Value`, whose maps sort keys), changed only where triage's own entries are,
//! backed up beside itself, and replaced atomically. A file that is not valid JSON, or whose
//! `hooks` has an unexpected shape, is refused and left alone.

pub use super::ojson::Json;
use anyhow::{Context, bail};
use indexmap::IndexMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The events triage hooks. The last `Stop` before the plugin's own `SessionEnd` cleanup is
/// what saves a session's jobs: hooks of one event run in parallel, so `SessionEnd` alone
/// would race the plugin deleting them.
pub const EVENTS: [&str; 3] = ["Stop", "SubagentStop", "SessionEnd"];

/// Seconds Claude Code gives the hook before cancelling it.
const HOOK_TIMEOUT: u64 = 30;

/// Which settings file.
#[derive(Debug, Clone)]
pub struct SettingsTarget {
    /// The file.
    pub path: PathBuf,
}

impl SettingsTarget {
    /// `--settings FILE`, else `--project` (`.claude/settings.json` here), else
    /// `~/.claude/settings.json`.
    pub fn resolve(settings: Option<PathBuf>, project: bool) -> anyhow::Result<SettingsTarget> {
        if let Some(p) = settings {
            return Ok(SettingsTarget { path: p });
        }
        if project {
            return Ok(SettingsTarget {
                path: PathBuf::from(".claude").join("settings.json"),
            });
        }
        let home = directories::BaseDirs::new()
            .map(|d| d.home_dir().to_path_buf())
            .context("cannot tell the home directory; give --settings FILE")?;
        Ok(SettingsTarget {
            path: home.join(".claude").join("settings.json"),
        })
    }
}

/// The hook command: this binary, by absolute path (hooks run with Claude Code's `PATH`,
/// which may not hold it), with the store when one was chosen explicitly.
pub fn hook_command(exe: &Path, db: Option<&Path>) -> String {
    let mut c = shell_quote(&exe.display().to_string());
    if let Some(db) = db {
        c.push_str(" --db ");
        c.push_str(&shell_quote(&db.display().to_string()));
    }
    c.push_str(" capture --quiet");
    c
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+:=@%,".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Splits a command line into words (POSIX quoting, enough to recognise our own).
fn words(cmd: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = cmd.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    cur.push(c);
                }
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        // In double quotes a backslash escapes only these.
                        '\\' => match chars.clone().next() {
                            Some(n @ ('"' | '\\' | '$' | '`')) => {
                                chars.next();
                                cur.push(n);
                            }
                            _ => cur.push('\\'),
                        },
                        c => cur.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

/// Is this hook command one triage installed? Its program is a `triage` binary and it runs
/// `capture`.
pub fn is_triage_command(cmd: &str) -> bool {
    let w = words(cmd);
    let Some(prog) = w.first() else {
        return false;
    };
    let name = prog.rsplit(['/', '\\']).next().unwrap_or(prog);
    let stem = name.strip_suffix(".exe").unwrap_or(name);
    stem == "triage" && w.iter().skip(1).any(|a| a == "capture")
}

/// Reads the settings file: `None` when it does not exist; an error (nothing changed) when it
/// is not a JSON object.
pub fn read_settings(path: &Path) -> anyhow::Result<Option<(Json, String)>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => bail!("cannot read {}: {e}", path.display()),
    };
    let v: Json = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}: not valid JSON ({e}); refusing to change it",
            path.display()
        )
    })?;
    if !matches!(v, Json::Object(_)) {
        bail!(
            "{}: the settings are not a JSON object; refusing to change it",
            path.display()
        );
    }
    check_shape(&v, path)?;
    Ok(Some((v, text)))
}

/// `hooks` must be an object of arrays of objects whose `hooks` are arrays: anything else is
/// a file triage does not understand, and leaves alone.
fn check_shape(v: &Json, path: &Path) -> anyhow::Result<()> {
    let Json::Object(top) = v else { return Ok(()) };
    let Some(hooks) = top.get("hooks") else {
        return Ok(());
    };
    let refuse = |what: &str| anyhow::anyhow!("{}: {what}; refusing to change it", path.display());
    let Json::Object(events) = hooks else {
        return Err(refuse("`hooks` is not an object"));
    };
    for (ev, groups) in events {
        let Json::Array(groups) = groups else {
            return Err(refuse(&format!("`hooks.{ev}` is not an array")));
        };
        for g in groups {
            let Json::Object(g) = g else {
                return Err(refuse(&format!(
                    "an entry of `hooks.{ev}` is not an object"
                )));
            };
            if let Some(h) = g.get("hooks")
                && !matches!(h, Json::Array(_))
            {
                return Err(refuse(&format!("a `hooks.{ev}[].hooks` is not an array")));
            }
        }
    }
    Ok(())
}

fn command_of(h: &Json) -> Option<&str> {
    match h {
        Json::Object(o) => match o.get("command") {
            Some(Json::String(c)) => Some(c),
            _ => None,
        },
        _ => None,
    }
}

/// The events whose hooks include a triage capture.
pub fn hooked_events(v: &Json) -> Vec<String> {
    let Json::Object(top) = v else { return vec![] };
    let Some(Json::Object(events)) = top.get("hooks") else {
        return vec![];
    };
    events
        .iter()
        .filter(|(_, groups)| {
            let Json::Array(groups) = groups else {
                return false;
            };
            groups.iter().any(|g| match g {
                Json::Object(g) => match g.get("hooks") {
                    Some(Json::Array(hs)) => hs
                        .iter()
                        .any(|h| command_of(h).is_some_and(is_triage_command)),
                    _ => false,
                },
                _ => false,
            })
        })
        .map(|(k, _)| k.clone())
        .collect()
}

/// Adds triage's hook to each event that lacks one. Returns the events added.
pub fn install(v: &mut Json, command: &str) -> Vec<String> {
    let already = hooked_events(v);
    let Json::Object(top) = v else { return vec![] };
    let hooks = top
        .entry("hooks".to_string())
        .or_insert_with(|| Json::Object(IndexMap::new()));
    let Json::Object(events) = hooks else {
        return vec![];
    };
    let mut added = Vec::new();
    for ev in EVENTS {
        if already.iter().any(|a| a == ev) {
            continue;
        }
        let groups = events
            .entry(ev.to_string())
            .or_insert_with(|| Json::Array(Vec::new()));
        if let Json::Array(groups) = groups {
            let mut hook = IndexMap::new();
            hook.insert("type".to_string(), Json::String("command".into()));
            hook.insert("command".to_string(), Json::String(command.to_string()));
            hook.insert("timeout".to_string(), Json::Number(HOOK_TIMEOUT.into()));
            let mut group = IndexMap::new();
            group.insert("matcher".to_string(), Json::String(String::new()));
            group.insert("hooks".to_string(), Json::Array(vec![Json::Object(hook)]));
            groups.push(Json::Object(group));
            added.push(ev.to_string());
        }
    }
    added
}

/// Removes triage's hooks (from every event), and the groups, events and `hooks` object that
/// this leaves empty. Returns the events changed.
pub fn uninstall(v: &mut Json) -> Vec<String> {
    let Json::Object(top) = v else { return vec![] };
    let Some(Json::Object(events)) = top.get_mut("hooks") else {
        return vec![];
    };
    let mut changed = Vec::new();
    for (ev, groups) in events.iter_mut() {
        let Json::Array(groups) = groups else {
            continue;
        };
        let before = groups.len();
        let mut touched = false;
        groups.retain_mut(|g| {
            let Json::Object(g) = g else { return true };
            let Some(Json::Array(hs)) = g.get_mut("hooks") else {
                return true;
            };
            let n = hs.len();
            hs.retain(|h| !command_of(h).is_some_and(is_triage_command));
            if hs.len() != n {
                touched = true;
                return !hs.is_empty();
            }
            true
        });
        if touched || groups.len() != before {
            changed.push(ev.clone());
        }
    }
    events.retain(|ev, groups| {
        !(changed.contains(ev) && matches!(groups, Json::Array(g) if g.is_empty()))
    });
    if !changed.is_empty() && events.is_empty() {
        top.shift_remove("hooks");
    }
    changed
}

/// Writes the settings: a backup of the old file beside it first (`.triage-backup`, and the
/// first such backup ever as `.triage-original`), then the new text through
/// a temporary file renamed over the old one (a crash leaves the old or the new, never half).
///
/// A settings file that is a symbolic link (dotfiles managers keep them so) is written
/// through the link: the rename replaces the file it points to, and the link stays.
pub fn write_settings(path: &Path, v: &Json, old: Option<&str>) -> anyhow::Result<Option<PathBuf>> {
    let resolved = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path)
            .with_context(|| format!("{}: the link points nowhere", path.display()))?,
        _ => path.to_path_buf(),
    };
    let named = path;
    let path = resolved.as_path();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let backup = match old {
        Some(text) => {
            // Beside the name the user knows (the link, when it is one).
            let b = PathBuf::from(format!("{}.triage-backup", named.display()));
            std::fs::write(&b, text)
                .with_context(|| format!("cannot write the backup {}", b.display()))?;
            // The backup above is the file before this write; the first one triage ever took
            // (before it first touched the file) is kept apart and never overwritten, so an
            // install followed by an uninstall still leaves the original to go back to.
            let first = PathBuf::from(format!("{}.triage-original", named.display()));
            if !first.exists() {
                std::fs::write(&first, text)
                    .with_context(|| format!("cannot write the backup {}", first.display()))?;
            }
            Some(b)
        }
        None => None,
    };
    let mut text = serde_json::to_string_pretty(v)?;
    text.push('\n');
    let mut tmp = crate::fsutil::TempFile::new_in(&dir, ".settings-", ".tmp")
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    tmp.write_all(text.as_bytes())
        .and_then(|_| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", tmp.path().display()))?;
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(tmp.path(), meta.permissions());
    }
    tmp.persist(path)
        .map_err(|e| anyhow::anyhow!("cannot replace {}: {e}", path.display()))?;
    Ok(backup)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_own_commands_only() {
        assert!(is_triage_command("/usr/local/bin/triage capture --quiet"));
        assert!(is_triage_command(
            "'/home/a b/.cargo/bin/triage' --db '/x/h.db' capture --quiet"
        ));
        assert!(is_triage_command(
            "\"C:\\tools\\triage.exe\" capture --quiet"
        ));
        assert!(!is_triage_command("triage-notify capture"));
        assert!(!is_triage_command("/usr/bin/triage scan"));
        assert!(!is_triage_command("echo triage capture"));
    }

    #[test]
    fn quoting_round_trips() {
        let c = hook_command(
            Path::new("/home/it's me/triage"),
            Some(Path::new("/tmp/h.db")),
        );
        let w = words(&c);
        assert_eq!(w[0], "/home/it's me/triage");
        assert_eq!(&w[1..], ["--db", "/tmp/h.db", "capture", "--quiet"]);
    }

    #[test]
    fn keeps_key_order_and_other_hooks() {
        let text = r#"{"z": 1, "hooks": {"Stop": [{"matcher": "", "hooks": [{"type": "command", "command": "say done"}]}]}, "a": [1.5, {"y": null, "b": true}]}"#;
        let mut v: Json = serde_json::from_str(text).unwrap();
        let added = install(&mut v, "/bin/triage capture --quiet");
        assert_eq!(added, EVENTS.to_vec());
        assert!(install(&mut v, "/bin/triage capture --quiet").is_empty());
        let out = serde_json::to_string(&v).unwrap();
        assert!(out.starts_with(r#"{"z":1,"hooks":{"Stop":[{"matcher":"","hooks":[{"type":"command","command":"say done"}]},"#));
        assert!(out.ends_with(r#""a":[1.5,{"y":null,"b":true}]}"#));
        let removed = uninstall(&mut v);
        assert_eq!(removed, EVENTS.to_vec());
        let back: Json = serde_json::from_str(text).unwrap();
        assert_eq!(v, back);
    }
}
