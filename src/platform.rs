//! Platform facts: where a job ran, from the paths it recorded, the shells it ran and the
//! broker endpoint of its state directory (docs/format.md §8: `C:\\…` and `pipe:` mean
//! Windows, `/mnt/<drive>/` WSL, `/Users/` macOS, `/home/` Linux).

use crate::log::{LineInfo, LineKind, LineSink};
use crate::record;
use crate::vocab::{Platform, SCOPE_COMMAND};
use crate::warn::Warning;
use memchr::memmem;
use std::path::Path;
use std::sync::LazyLock;

/// Infers a platform from a path as the plugin recorded it (docs/format.md §8).
pub fn platform_of_path(p: &str) -> Option<Platform> {
    let b = p.as_bytes();
    if p.starts_with("/mnt/") && b.len() > 6 && b[5].is_ascii_alphabetic() && b[6] == b'/' {
        return Some(Platform::Wsl);
    }
    if b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && (b[2] == b'\\' || b[2] == b'/')
    {
        return Some(Platform::Windows);
    }
    if p.starts_with("\\\\") {
        return Some(Platform::Windows);
    }
    if p.starts_with("/Users/") || p.starts_with("/var/folders/") || p.starts_with("/private/var/")
    {
        return Some(Platform::Macos);
    }
    if p.starts_with("/home/") || p.starts_with("/root/") || p.starts_with("/tmp/") {
        return Some(Platform::Linux);
    }
    None
}

/// Infers a platform from the shell in a command line: strong for Windows shells, weak for
/// zsh (macOS default) and bash (Linux default).
pub fn platform_of_command(cmd: &[u8]) -> Option<(Platform, bool)> {
    let has = |n: &[u8]| memchr::memmem::find(cmd, n).is_some();
    if has(b"powershell.exe") || has(b"pwsh.exe") || has(b"cmd.exe") || has(b"\\WindowsApps\\") {
        Some((Platform::Windows, true))
    } else if has(b"/bin/zsh") {
        Some((Platform::Macos, false))
    } else if has(b"/bin/bash") {
        Some((Platform::Linux, false))
    } else {
        None
    }
}

static WINDOWS_MARKS: LazyLock<[memmem::Finder<'static>; 4]> = LazyLock::new(|| {
    [
        memmem::Finder::new("powershell.exe"),
        memmem::Finder::new("pwsh.exe"),
        memmem::Finder::new("cmd.exe"),
        memmem::Finder::new("\\WindowsApps\\"),
    ]
});

/// The platform the command lines of a log name: the first one found, upgraded once by a
/// strong (Windows) marker. Same result as applying [`platform_of_command`] to every command
/// line, without searching for the weak markers once one was seen.
#[derive(Debug, Default)]
pub struct CommandPlatform(Option<(Platform, bool)>);

impl CommandPlatform {
    /// The platform seen, if any.
    pub fn get(&self) -> Option<Platform> {
        self.0.map(|p| p.0)
    }
}

impl LineSink for CommandPlatform {
    fn line(&mut self, _number: u64, info: &LineInfo<'_>) {
        let entry = matches!(info.kind, LineKind::Entry | LineKind::BlockHeader);
        if !entry || info.scopes & SCOPE_COMMAND == 0 {
            return;
        }
        let cmd = info.text;
        match self.0 {
            None => self.0 = platform_of_command(cmd),
            Some((_, false)) => {
                if WINDOWS_MARKS.iter().any(|f| f.find(cmd).is_some()) {
                    self.0 = Some((Platform::Windows, true));
                }
            }
            Some((_, true)) => {}
        }
    }
}

/// The platform a state directory's `broker.json` endpoint names (`pipe:` is Windows).
pub fn broker_platform(path: &Path, w: &mut Vec<Warning>) -> Option<Platform> {
    let f = record::read_json(path, w);
    let ep = f.value?.get("endpoint")?.as_str()?.to_string();
    if ep.starts_with("pipe:") {
        Some(Platform::Windows)
    } else if ep.starts_with("unix:") {
        platform_of_path(ep.trim_start_matches("unix:"))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_from_paths_and_commands() {
        assert_eq!(
            platform_of_path("C:/Users/dev/src/x"),
            Some(Platform::Windows)
        );
        assert_eq!(platform_of_path("C:\\Users\\dev"), Some(Platform::Windows));
        assert_eq!(platform_of_path("/Users/dev/src"), Some(Platform::Macos));
        assert_eq!(platform_of_path("/home/dev/src"), Some(Platform::Linux));
        assert_eq!(platform_of_path("/mnt/c/Users/dev"), Some(Platform::Wsl));
        assert_eq!(platform_of_path("relative/path"), None);
        assert_eq!(
            platform_of_command(b"Running command: \"C:\\x\\pwsh.exe\" -Command 'ls'"),
            Some((Platform::Windows, true))
        );
        assert_eq!(
            platform_of_command(b"Running command: /bin/zsh -lc 'ls'"),
            Some((Platform::Macos, false))
        );
    }
}
