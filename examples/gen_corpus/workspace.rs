//! One workspace: its OS, language, paths as the plugin stores them, and its state directory
//! name `<slug>-<sha256(realpath)[:16]>` (§1.2 of `docs/plugin-format.md`).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use crate::js::{J, s};
use crate::rng::{B36, B62, Rng};
use crate::text::pascal;
use crate::vocab::{REPO_A, REPO_B, USERS};

/// The main language of a workspace's code (file paths, commands, code blocks).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ts,
    Py,
    Rust,
    Go,
    Java,
    CSharp,
}

/// The user's OS: decides path separators, the shell and the broker endpoint.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Os {
    Linux,
    Mac,
    Windows,
}

/// A workspace and the paths the plugin writes for it.
pub struct Workspace {
    pub os: Os,
    pub lang: Lang,
    /// `workspaceRoot` as stored (git toplevel).
    pub root: String,
    /// `<slug>-<hash>`.
    pub dir_name: String,
    /// CLAUDE_PLUGIN_DATA as an absolute path on the user's machine.
    data_dir: String,
    sep: char,
    shell: String,
    pub broker_tmp: String,
}

/// Paths and shell that depend on the OS.
struct OsPaths {
    root: String,
    canonical: String,
    data_dir: String,
    sep: char,
    shell: String,
    broker_tmp: String,
}

/// A new workspace whose directory name is not in `used` yet (and is then added to it).
pub fn make_workspace(rng: &mut Rng, used: &mut BTreeSet<String>) -> Workspace {
    loop {
        let os = match rng.weighted(&[55, 30, 15]) {
            0 => Os::Linux,
            1 => Os::Mac,
            _ => Os::Windows,
        };
        let mut lang = match rng.weighted(&[34, 20, 14, 14, 9, 9]) {
            0 => Lang::Ts,
            1 => Lang::Py,
            2 => Lang::Rust,
            3 => Lang::Go,
            4 => Lang::Java,
            _ => Lang::CSharp,
        };
        if os == Os::Windows && rng.chance(0.35) {
            lang = Lang::CSharp;
        }
        let mut name = format!("{}-{}", rng.pick(REPO_A), rng.pick(REPO_B));
        if rng.chance(0.1) {
            name.push_str(rng.pk(&["-v2", "-next", "-legacy", "-2", "_old", ".wt"]));
        }
        if rng.chance(0.05) {
            name = pascal(&name.replace('-', ""));
        }
        let user = (*rng.pick(USERS)).to_string();
        let parent = *rng.pick(&["src", "code", "work", "projects", "repos", "git"]);
        let paths = os_paths(rng, os, &user, parent, &name);
        let dir_name = state_dir_name(&name, &paths.canonical);
        if !used.insert(dir_name.clone()) {
            continue;
        }
        return Workspace {
            os,
            lang,
            root: paths.root,
            dir_name,
            data_dir: paths.data_dir,
            sep: paths.sep,
            shell: paths.shell,
            broker_tmp: paths.broker_tmp,
        };
    }
}

fn os_paths(rng: &mut Rng, os: Os, user: &str, parent: &str, name: &str) -> OsPaths {
    match os {
        Os::Linux => {
            let root = format!("/home/{user}/{parent}/{name}");
            OsPaths {
                root: root.clone(),
                canonical: root,
                data_dir: format!("/home/{user}/.claude/plugins/data/codex-openai-codex"),
                sep: '/',
                shell: "/bin/bash -lc".to_string(),
                broker_tmp: "/tmp".to_string(),
            }
        }
        Os::Mac => {
            let root = format!("/Users/{user}/{parent}/{name}");
            let sh = if rng.chance(0.85) {
                "/bin/zsh -lc"
            } else {
                "/bin/bash -lc"
            };
            let tmp = format!(
                "/var/folders/{}/{}/T",
                rng.alnum(2, B36),
                rng.alnum(30, B36)
            );
            OsPaths {
                root: root.clone(),
                canonical: root,
                data_dir: format!("/Users/{user}/.claude/plugins/data/codex-openai-codex"),
                sep: '/',
                shell: sh.to_string(),
                broker_tmp: tmp,
            }
        }
        Os::Windows => {
            let root = format!("C:/Users/{user}/{parent}/{name}");
            let canonical = root.replace('/', "\\");
            let sh = if rng.chance(0.7) {
                "\"C:\\WINDOWS\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\" -Command"
            } else {
                "\"C:\\Program Files\\PowerShell\\7\\pwsh.exe\" -Command"
            };
            OsPaths {
                root,
                canonical,
                data_dir: format!("C:\\Users\\{user}\\.claude\\plugins\\data\\codex-openai-codex"),
                sep: '\\',
                shell: sh.to_string(),
                broker_tmp: format!("C:\\Users\\{user}\\AppData\\Local\\Temp"),
            }
        }
    }
}

/// `<slug>-<first 16 hex digits of sha256(canonical path)>`, the plugin's state dir name.
fn state_dir_name(name: &str, canonical: &str) -> String {
    let mut slug = String::new();
    let mut last_dash = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-' {
            slug.push(c);
            last_dash = false;
        } else if !last_dash {
            slug.push('-');
            last_dash = true;
        }
    }
    let slug = slug.trim_matches('-').to_string();
    let slug = if slug.is_empty() {
        "workspace".to_string()
    } else {
        slug
    };
    let digest = Sha256::digest(canonical.as_bytes());
    let mut hash = String::with_capacity(16);
    for b in &digest[..8] {
        let _ = write!(hash, "{b:02x}");
    }
    format!("{slug}-{hash}")
}

impl Workspace {
    /// The job's `logFile` as the plugin stores it (absolute, native separators).
    pub fn log_file(&self, id: &str) -> String {
        let s = self.sep;
        format!(
            "{}{s}state{s}{}{s}jobs{s}{id}.log",
            self.data_dir, self.dir_name
        )
    }
    /// A command as the app-server reports it: wrapped in the workspace's shell.
    pub fn wrap_cmd(&self, inner: &str) -> String {
        format!("{} '{inner}'", self.shell)
    }
    /// `broker.json` (§7).
    pub fn broker_json(&self, rng: &mut Rng) -> String {
        let tag = rng.alnum(6, B62);
        let pid = rng.range(1200, 64000);
        let (endpoint, dir) = match self.os {
            Os::Windows => (
                format!("pipe:\\\\.\\pipe\\cxc-{tag}-codex-app-server"),
                format!("{}\\cxc-{tag}", self.broker_tmp),
            ),
            _ => {
                let d = format!("{}/cxc-{tag}", self.broker_tmp);
                (format!("unix:{d}/broker.sock"), d)
            }
        };
        let sep = if self.os == Os::Windows { '\\' } else { '/' };
        J::Obj(vec![
            ("endpoint", s(endpoint)),
            ("pidFile", s(format!("{dir}{sep}broker.pid"))),
            ("logFile", s(format!("{dir}{sep}broker.log"))),
            ("sessionDir", s(dir)),
            ("pid", J::Int(pid)),
        ])
        .pretty()
    }
}
