//! The programs doctor reports: the OS, Node, npm and the Codex CLI (from rollout files,
//! or `--version` when probing).

use super::*;

pub(super) fn os_facts(i: &Inputs) -> OsFacts {
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
pub(super) fn which(path: Option<&OsString>, name: &str) -> Option<PathBuf> {
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
pub(super) fn probe_version(program: &Path) -> Result<String, String> {
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

pub(super) fn tool(i: &Inputs, name: &str) -> Tool {
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
pub(super) fn codex_home(i: &Inputs) -> PathBuf {
    match (&i.codex_home, i.own_home) {
        (Some(c), true) => c.clone(),
        _ => i.home.join(".codex"),
    }
}

/// The newest rollout file's `cli_version`: the CLI that last ran here.
pub(super) fn rollout_cli_version(sessions: &Path) -> Option<(String, PathBuf)> {
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

pub(super) fn codex_tool(i: &Inputs) -> Tool {
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

pub(super) fn cmp_versions(a: &str, b: &str) -> std::cmp::Ordering {
    let parse = |s: &str| -> Vec<u64> {
        s.split(['.', '-', '+'])
            .map(|p| p.parse().unwrap_or(0))
            .collect()
    };
    parse(a).cmp(&parse(b)).then_with(|| a.cmp(b))
}
