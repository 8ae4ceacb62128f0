//! Plugin and Codex CLI versions, from what the records really say (never guessed):
//! install paths `plugins/cache/<marketplace>/<plugin>/<version>/`, strings like
//! `codex-cli 0.128.0`, and Codex rollout files (`~/.codex/sessions/YYYY/MM/DD/
//! rollout-<ts>-<threadId>.jsonl`, whose first line carries `payload.cli_version`).

use crate::timefmt::Millis;
use regex::bytes::Regex;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

static CLI: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bcodex[- ]cli[ v]+(\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)").expect("valid regex")
});
static PLUGIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"plugins[/\\]+cache[/\\]+[^/\\\s"']+[/\\]+codex[/\\]+(\d+\.\d+\.\d+[0-9A-Za-z.+-]*)"#,
    )
    .expect("valid regex")
});

/// Where [`VersionFacts::next_marker`] last found each marker in one haystack (`None`: not
/// searched yet; `Some(None)`: none left).
#[derive(Debug, Clone, Copy, Default)]
pub struct MarkerCursor {
    cli: Option<Option<usize>>,
    cache: Option<Option<usize>>,
}

/// Versions seen in a run's text.
#[derive(Debug, Clone, Default)]
pub struct VersionFacts {
    /// First `codex-cli X.Y.Z` seen.
    pub cli_version: Option<String>,
    /// First plugin install path version seen.
    pub plugin_version: Option<String>,
}

impl VersionFacts {
    /// Looks at one line of text (cheap when neither marker is present).
    pub fn observe(&mut self, text: &[u8]) {
        if self.cli_version.is_none() && CLI_MARK.find(text).is_some() {
            self.cli_version = cli_version_in(text);
        }
        if self.plugin_version.is_none() && CACHE_MARK.find(text).is_some() {
            self.plugin_version = plugin_version_in(text);
        }
    }

    /// Whether `text` holds a marker of a still-unknown version (a line worth observing).
    pub fn wants(&self, text: &[u8]) -> bool {
        (self.cli_version.is_none() && CLI_MARK.find(text).is_some())
            || (self.plugin_version.is_none() && CACHE_MARK.find(text).is_some())
    }

    /// Where the next line that could give a still-unknown version starts to matter: the
    /// next `cli` or `cache` at or after `from` (the markers [`VersionFacts::observe`] looks
    /// for). Lets the log pass skip whole stretches of a chunk. `cursor` keeps each marker's
    /// last position in this haystack, so a marker found far ahead is not searched for again
    /// after every line of the other (start a new [`MarkerCursor`] for each haystack).
    pub fn next_marker(&self, cursor: &mut MarkerCursor, hay: &[u8], from: usize) -> Option<usize> {
        let refresh =
            |slot: &mut Option<Option<usize>>, wanted: bool, mark: &memchr::memmem::Finder| {
                if !wanted {
                    *slot = Some(None);
                } else if slot.is_none_or(|p| p.is_some_and(|p| p < from)) {
                    *slot = Some(hay.get(from..).and_then(|h| mark.find(h)).map(|p| from + p));
                }
                slot.flatten()
            };
        let cli = refresh(&mut cursor.cli, self.cli_version.is_none(), &CLI_MARK);
        let cache = refresh(
            &mut cursor.cache,
            self.plugin_version.is_none(),
            &CACHE_MARK,
        );
        match (cli, cache) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

static CLI_MARK: LazyLock<memchr::memmem::Finder<'static>> =
    LazyLock::new(|| memchr::memmem::Finder::new("cli"));
static CACHE_MARK: LazyLock<memchr::memmem::Finder<'static>> =
    LazyLock::new(|| memchr::memmem::Finder::new("cache"));

/// `codex-cli 0.128.0` → `0.128.0`.
pub fn cli_version_in(text: &[u8]) -> Option<String> {
    CLI.captures(text)
        .and_then(|c| c.get(1))
        .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
}

/// `…/plugins/cache/openai-codex/codex/1.0.4/…` → `1.0.4`.
pub fn plugin_version_in(text: &[u8]) -> Option<String> {
    PLUGIN
        .captures(text)
        .and_then(|c| c.get(1))
        .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
}

/// `~/.codex/sessions` (or `$CODEX_HOME/sessions`), when it exists.
pub fn default_sessions_dir() -> Option<PathBuf> {
    let base = std::env::var_os("CODEX_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .or_else(|| std::env::var_os("USERPROFILE"))
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".codex"))
        })?;
    let s = base.join("sessions");
    s.is_dir().then_some(s)
}

/// The CLI version from the rollout file of `thread_id`, looked up in the day folders around
/// the job's creation (rollouts are filed by local date).
pub fn cli_version_from_rollout(
    sessions: &Path,
    thread_id: &str,
    created: Option<Millis>,
) -> Option<String> {
    if thread_id.is_empty() || thread_id.contains(['/', '\\']) {
        return None;
    }
    let suffix = format!("-{thread_id}.jsonl");
    let mut dirs = Vec::new();
    if let Some(t) = created {
        for delta in [0i64, -1, 1] {
            if let Some(d) = chrono::DateTime::from_timestamp_millis(t + delta * 86_400_000) {
                dirs.push(sessions.join(d.format("%Y/%m/%d").to_string()));
            }
        }
    }
    for dir in dirs {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with("rollout-")
                && name.ends_with(&suffix)
                && e.file_type().is_ok_and(|t| t.is_file())
            {
                return first_line_cli_version(&e.path());
            }
        }
    }
    None
}

/// The `cli_version` of a rollout file's first line (`session_meta`).
pub fn first_line_cli_version(path: &Path) -> Option<String> {
    let f = std::fs::File::open(path).ok()?;
    let mut line = Vec::new();
    std::io::BufReader::new(f.take_capped())
        .read_until(b'\n', &mut line)
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&line).ok()?;
    let cv = v
        .get("payload")
        .and_then(|p| p.get("cli_version"))
        .or_else(|| v.get("cli_version"))?;
    cv.as_str().map(str::to_string)
}

trait TakeCapped {
    fn take_capped(self) -> std::io::Take<std::fs::File>;
}

impl TakeCapped for std::fs::File {
    /// The first line of a rollout is small; never read more than 1 MiB of it.
    fn take_capped(self) -> std::io::Take<std::fs::File> {
        use std::io::Read;
        self.take(1 << 20)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_versions_in_text() {
        assert_eq!(
            cli_version_in(b"codex-cli 0.128.0").as_deref(),
            Some("0.128.0")
        );
        assert_eq!(
            cli_version_in(b"Codex CLI v0.131.0-alpha.2 on Windows").as_deref(),
            Some("0.131.0-alpha.2")
        );
        assert_eq!(cli_version_in(b"codex-cli test"), None);
        assert_eq!(
            plugin_version_in(br"C:\Users\x\.claude\plugins\cache\openai-codex\codex\1.0.4\scripts\codex-companion.mjs").as_deref(),
            Some("1.0.4")
        );
        assert_eq!(
            plugin_version_in(b"~/.claude/plugins/cache/openai-codex/codex/1.0.5/jobs/r1/turn.log")
                .as_deref(),
            Some("1.0.5")
        );
        assert_eq!(
            plugin_version_in(b"~/.claude/plugins/data/codex-openai-codex/state"),
            None
        );
    }

    #[test]
    fn reads_rollout_cli_version() {
        let t = tempfile::tempdir().unwrap();
        let day = t.path().join("2026/09/08");
        std::fs::create_dir_all(&day).unwrap();
        std::fs::write(
            day.join("rollout-2026-09-08T07-41-14-01a07ff6-c653-75c1-8586-4f31b49195cd.jsonl"),
            "{\"type\":\"session_meta\",\"payload\":{\"id\":\"x\",\"cli_version\":\"0.128.0\"}}\n{}\n",
        )
        .unwrap();
        let created = crate::timefmt::parse_timestamp("2026-09-08T07:41:12.141Z");
        assert_eq!(
            cli_version_from_rollout(t.path(), "01a07ff6-c653-75c1-8586-4f31b49195cd", created)
                .as_deref(),
            Some("0.128.0")
        );
        assert_eq!(cli_version_from_rollout(t.path(), "other", created), None);
    }
}
