//! Redaction of text bound for an issue tracker.
//!
//! Job records and logs of the codex plugin are full of absolute paths (which
//! leak the user's login name), and occasionally of credentials that a tool
//! echoed. Exports are public by nature, so redaction is on by default and errs
//! on the side of hiding: home directories become `~`, other user names become
//! `<user>`, e-mail addresses `<email>`, and secrets become `<redacted>`.
//!
//! The detectors are data: `redactors/detectors.toml`, embedded in the binary,
//! each with its own must-redact and must-keep tests (see [`detectors`]). Two
//! more detectors are built per machine: its home directories (`$HOME`,
//! `$USERPROFILE`) and its user names (`$USER`, `$USERNAME`), as words and as
//! workspace slugs (`alice-0123456789abcdef`).
//!
//! Design notes:
//! - Every detector is a regex plus a small Rust check (`Redactor::decide`),
//!   because the `regex` crate has no look-around: boundary conditions ("not
//!   preceded by a letter", "not `Users\Public`") and the extent of a quoted
//!   value are read from the haystack instead.
//! - A `RegexSet` over all detectors is the prefilter: most text contains
//!   nothing to redact and is returned as `Cow::Borrowed` after a single scan.
//! - The replacement markers are chosen so that no detector matches them again,
//!   which is what makes redaction idempotent; a short fix-point loop in
//!   [`Redactor::redact`] guards against the remaining corner cases where a
//!   replacement glues two fragments into a new match.

pub mod detectors;
pub mod json;
pub mod lines;
pub mod model;
mod value;

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Captures, Regex, RegexSet};

use detectors::{Check, Extent, Kind};

/// Replacement for a home directory, e.g. `/home/dev` -> `~`.
pub const HOME_MARK: &str = "~";
/// Replacement for a user name that is not part of a home directory prefix.
pub const USER_MARK: &str = "<user>";
/// Replacement for a secret (token, key, password).
pub const SECRET_MARK: &str = "<redacted>";
/// Replacement for an e-mail address.
pub const EMAIL_MARK: &str = "<email>";

/// How many extra passes [`Redactor::redact`] may run to reach a fixed point.
/// One pass is almost always enough; the bound keeps pathological input cheap.
const MAX_EXTRA_PASSES: usize = 3;

/// A path separator as it appears in raw text: `/`, `\`, a run of backslashes
/// (`\\` is a JSON-escaped backslash, `\\\\` a doubly escaped one), or their
/// URL encodings.
const SEP: &str = r"(?:\\+|/|%2[Ff]|%5[Cc])";

/// A user name as a path component. It may contain dots (`dev.DOMAIN`) and
/// tildes (8.3 short names such as `RUNNER~1`), but must not end with a dot so
/// that a sentence-ending period after a path is not swallowed. `<`, `>` and
/// `%` are excluded so that `<user>` and `%USERNAME%` are never taken for names.
const NAME: &str = r"[\p{L}\p{N}_](?:[\p{L}\p{N}._~-]*[\p{L}\p{N}_-])?";

/// Path components right under `Users`/`home` that are not personal:
/// shared/system profiles on Windows and macOS, and Homebrew's Linux prefix.
/// (`All Users`, `Default User` and `Deleted Users` stop at the space, hence
/// their first words.)
const NON_USER_DIRS: &[&str] = &[
    "all",
    "default",
    "default.migrated",
    "defaultuser0",
    "deleted",
    "linuxbrew",
    "public",
    "shared",
];

/// Login names that are also ordinary words or well-known service accounts.
/// Redacting them as free-standing words would mangle unrelated text ("dev
/// server", "test runner"), and they identify nobody anyway. They are still
/// redacted inside home paths and workspace slugs.
const COMMON_NAMES: &[&str] = &[
    "admin",
    "administrator",
    "app",
    "build",
    "builder",
    "centos",
    "claude",
    "code",
    "codespace",
    "codex",
    "daemon",
    "data",
    "debian",
    "default",
    "dev",
    "developer",
    "docker",
    "ec2-user",
    "error",
    "fedora",
    "git",
    "github",
    "gitpod",
    "guest",
    "home",
    "info",
    "jenkins",
    "job",
    "local",
    "main",
    "master",
    "node",
    "nobody",
    "operator",
    "owner",
    "public",
    "redacted",
    "root",
    "runner",
    "server",
    "service",
    "shared",
    "system",
    "task",
    "test",
    "tester",
    "ubuntu",
    "user",
    "users",
    "vagrant",
    "vscode",
    "web",
    "work",
    "worker",
];

/// Single-component "home directories" that are really shared system
/// directories; treating them as a known home would redact unrelated paths.
const SHARED_DIRS: &[&str] = &[
    "bin", "etc", "home", "mnt", "opt", "srv", "tmp", "usr", "users", "var",
];

/// One compiled detector.
#[derive(Clone, Debug)]
struct Rule {
    kind: Kind,
    re: Regex,
    check: Check,
    extent: Extent,
    mark: &'static str,
}

/// Redacts home directories, user names and secrets from text bound for an issue tracker.
#[derive(Clone, Debug)]
pub struct Redactor {
    /// Detectors in the order they are applied: secrets first (so that a token
    /// containing a path is hidden whole), then homes, then user names.
    rules: Vec<Rule>,
    /// The same patterns as `rules`, index for index: one scan tells which
    /// rules can fire at all.
    set: RegexSet,
    /// Known user names, lowercased, for comparing path components.
    users: Vec<String>,
    /// The homes and users this redactor was built from (to rebuild it in [`Redactor::learn`]).
    homes_given: Vec<String>,
    users_given: Vec<String>,
}

/// The embedded detectors, compiled once per process.
static DATA_RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    detectors::builtin()
        .iter()
        .map(|d| d.compile().expect("embedded detector compiles (tested)"))
        .collect()
});

/// The organisation in a OneDrive for Business folder (`OneDrive - Contoso`).
static ONEDRIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"OneDrive - (?P<org>[^\\/\n"'<>:%]+)"#).expect("static pattern compiles")
});

/// Index in `DATA_RULES` where the home / user detectors start: the machine's
/// known homes go right before them.
fn first_path_rule() -> usize {
    DATA_RULES
        .iter()
        .position(|r| matches!(r.kind, Kind::Home | Kind::UserInPath))
        .unwrap_or(DATA_RULES.len())
}

impl Redactor {
    /// A redactor that also knows this machine's home directory and user name (from $HOME / $USERPROFILE / $USER / $USERNAME), when set.
    pub fn from_env() -> Redactor {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        // Both variables may be set (Git Bash on Windows sets HOME next to
        // USERPROFILE, sometimes to a different spelling), so keep both.
        let homes: Vec<String> = [var("HOME"), var("USERPROFILE")]
            .into_iter()
            .flatten()
            .collect();
        let users: Vec<String> = [var("USER"), var("USERNAME"), var("LOGNAME")]
            .into_iter()
            .flatten()
            .collect();
        Self::build(&homes, &users)
    }

    /// A shared redactor that knows no machine home or user: for text that must not
    /// carry secrets whatever the output (cluster fingerprints and titles).
    pub fn machine_independent() -> &'static Redactor {
        static PLAIN: LazyLock<Redactor> = LazyLock::new(|| Redactor::new(None, None));
        &PLAIN
    }

    /// A redactor that knows only the given home directory and user name (for tests and reproducibility).
    pub fn new(home: Option<&str>, user: Option<&str>) -> Redactor {
        let homes: Vec<&str> = home.into_iter().collect();
        let users: Vec<&str> = user.into_iter().collect();
        Self::build(&homes, &users)
    }

    /// Learns the user names of the home directories that appear in `text`
    /// (`/home/bob/x` -> `bob`), so that the same names are also redacted where
    /// they appear alone: as a workspace slug (`bob-0123456789abcdef`), a word,
    /// in a prompt. Call it on every text of a document before redacting any.
    pub fn learn(&mut self, text: &str) {
        let mut found: Vec<String> = Vec::new();
        let add = |name: &str, found: &mut Vec<String>| {
            let lower = name.to_lowercase();
            if name.chars().count() >= 2
                && !self.users.contains(&lower)
                && !found.iter().any(|f| f.to_lowercase() == lower)
            {
                found.push(name.to_string());
            }
        };
        for rule in DATA_RULES
            .iter()
            .filter(|r| matches!(r.kind, Kind::Home | Kind::UserInPath))
        {
            for caps in rule.re.captures_iter(text) {
                let (Some(whole), Some(name)) = (caps.get(0), caps.name("name")) else {
                    continue;
                };
                let ambiguous = caps.name("root").is_some_and(|r| r.as_str() == "home");
                if (rule.kind == Kind::Home && !starts_path(text, whole.start()))
                    || (rule.kind == Kind::UserInPath && ambiguous)
                    || is_non_user_dir(name.as_str())
                {
                    continue;
                }
                // `C:\Users\First Last`: the whole name and each of its words, since
                // text that cut the path (a normalised message) may keep only a part.
                let full = &text[name.start()..spaced_name_end(text, name.end())];
                add(full, &mut found);
                if full.contains(' ') {
                    for w in full.split(' ').filter(|w| w.chars().count() >= 3) {
                        add(w, &mut found);
                    }
                }
            }
        }
        // A OneDrive for Business folder names the organisation.
        for caps in ONEDRIVE.captures_iter(text) {
            if let Some(org) = caps.name("org") {
                add(org.as_str().trim(), &mut found);
            }
        }
        if found.is_empty() {
            return;
        }
        let mut users = self.users_given.clone();
        users.extend(found);
        *self = Self::build(&self.homes_given, &users);
    }

    /// Returns the text with every home path, user name and secret replaced.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let Some(mut current) = self.pass(text) else {
            return Cow::Borrowed(text);
        };
        // A replacement can (rarely) join two fragments into something that a
        // rule matches; re-running until nothing changes keeps redaction
        // idempotent, which exports rely on when re-redacting stored reports.
        for _ in 0..MAX_EXTRA_PASSES {
            match self.pass(&current) {
                Some(next) if next != current => current = next,
                _ => break,
            }
        }
        if current == text {
            Cow::Borrowed(text)
        } else {
            Cow::Owned(current)
        }
    }

    /// Compiles the machine-specific rules and the prefilter set.
    fn build<H: AsRef<str>, U: AsRef<str>>(homes: &[H], users: &[U]) -> Redactor {
        let split = first_path_rule();
        let mut rules: Vec<Rule> = DATA_RULES[..split].to_vec();
        let machine = |kind, re| Rule {
            kind,
            re,
            check: Check::None,
            extent: Extent::Word,
            mark: match kind {
                Kind::KnownHome => HOME_MARK,
                _ => USER_MARK,
            },
        };

        let mut seen = Vec::new();
        for home in homes {
            if let Some(pattern) = known_home_pattern(home.as_ref()) {
                if seen.contains(&pattern) {
                    continue;
                }
                if let Ok(re) = Regex::new(&pattern) {
                    seen.push(pattern);
                    rules.push(machine(Kind::KnownHome, re));
                }
            }
        }

        rules.extend(DATA_RULES[split..].iter().cloned());

        let mut known_users: Vec<String> = Vec::new();
        for user in users {
            let user = user.as_ref().trim();
            let lower = user.to_lowercase();
            if user.is_empty() || known_users.contains(&lower) {
                continue;
            }
            known_users.push(lower);
            // As the plugin's workspace slug: `basename(workspaceRoot)-<16 hex>`,
            // which is the user name when the workspace is the home directory.
            let slug = format!(r"(?i)(?P<name>{})-[0-9a-f]{{16}}", regex::escape(user));
            if let Ok(re) = Regex::new(&slug) {
                rules.push(machine(Kind::UserSlug, re));
            }
            if is_distinctive_name(user) {
                // Case-insensitive: Windows treats `Dev` and `dev` as the same account.
                if let Ok(re) = Regex::new(&format!("(?i){}", regex::escape(user))) {
                    rules.push(machine(Kind::UserWord, re));
                }
            }
        }

        let set = RegexSet::new(rules.iter().map(|r| r.re.as_str()))
            .expect("patterns that compiled individually compile as a set");
        Redactor {
            rules,
            set,
            users: known_users,
            homes_given: homes.iter().map(|h| h.as_ref().to_string()).collect(),
            users_given: users.iter().map(|u| u.as_ref().to_string()).collect(),
        }
    }

    /// One pass of every rule over `text`; `None` when nothing was replaced.
    fn pass(&self, text: &str) -> Option<String> {
        let hits = self.set.matches(text);
        if !hits.matched_any() {
            return None;
        }
        let mut current = Cow::Borrowed(text);
        for (index, rule) in self.rules.iter().enumerate() {
            // Rules that did not match the original text are skipped; should a
            // replacement create a match for them, the next pass catches it.
            if hits.matched(index) {
                current = self.apply(rule, current);
            }
        }
        match current {
            Cow::Borrowed(_) => None,
            Cow::Owned(s) => Some(s),
        }
    }

    /// Applies one rule to every match in `text`, leaving it borrowed when no
    /// match is accepted.
    fn apply<'a>(&self, rule: &Rule, text: Cow<'a, str>) -> Cow<'a, str> {
        let mut out: Option<String> = None;
        let mut copied_to = 0;
        {
            let hay: &str = &text;
            let mut pos = 0;
            while pos <= hay.len() {
                let Some(caps) = rule.re.captures_at(hay, pos) else {
                    break;
                };
                let Some(whole) = caps.get(0) else {
                    break;
                };
                match self
                    .decide(rule, hay, &caps)
                    .filter(|&(start, end, _)| start >= copied_to && end >= start)
                {
                    Some((start, end, mark)) => {
                        let buf = out.get_or_insert_with(|| String::with_capacity(hay.len()));
                        buf.push_str(&hay[copied_to..start]);
                        buf.push_str(mark);
                        copied_to = end;
                        pos = if whole.end() > whole.start() {
                            whole.end().max(end)
                        } else {
                            next_boundary(hay, whole.end().max(end))
                        };
                    }
                    // A rejected candidate may hide a valid match that starts
                    // inside it, so resume one character later, not after it.
                    None => pos = next_boundary(hay, whole.start()),
                }
            }
        }
        match out {
            None => text,
            Some(mut buf) => {
                buf.push_str(&text[copied_to..]);
                Cow::Owned(buf)
            }
        }
    }

    /// Decides whether a candidate match is redacted, and which byte range of
    /// the haystack is replaced by which marker.
    fn decide(
        &self,
        rule: &Rule,
        hay: &str,
        caps: &Captures<'_>,
    ) -> Option<(usize, usize, &'static str)> {
        let whole = caps.get(0)?;
        let mark = rule.mark;
        match rule.kind {
            Kind::Token => {
                let target = caps.name("v").unwrap_or(whole);
                passes(rule.check, target.as_str()).then_some((target.start(), target.end(), mark))
            }
            Kind::Value => {
                let quote = caps.name("q").map_or("", |q| q.as_str());
                let (start, end) = value::extent(hay, whole.end(), quote, rule.extent);
                let v = &hay[start..end];
                (end > start && passes(rule.check, v)).then_some((start, end, mark))
            }
            Kind::Email => {
                let t = whole.as_str();
                let (local, domain) = t.split_once('@')?;
                let kept_local = matches!(
                    local.to_ascii_lowercase().as_str(),
                    "git" | "noreply" | "no-reply"
                );
                // `icon@2x.png`: a retina image name, not an address.
                let image = domain
                    .split('.')
                    .next()
                    .is_some_and(|d| d.len() <= 2 && d.ends_with('x'));
                (!kept_local && !image).then_some((whole.start(), whole.end(), mark))
            }
            Kind::Entropy => {
                let (start, end) = value::random_word_after(hay, whole.end())?;
                Some((start, end, mark))
            }
            Kind::KnownHome => (starts_path(hay, whole.start())
                && !continues_name(&hay[whole.end()..]))
            .then_some((whole.start(), whole.end(), mark)),
            Kind::Home => {
                if !starts_path(hay, whole.start()) {
                    return None;
                }
                let end = match caps.name("name") {
                    Some(name) => {
                        if is_non_user_dir(name.as_str()) {
                            return None;
                        }
                        spaced_name_end(hay, name.end())
                    }
                    None => whole.end(),
                };
                (!continues_name(&hay[end..])).then_some((whole.start(), end, mark))
            }
            Kind::UserInPath => {
                let name = caps.name("name")?;
                if is_non_user_dir(name.as_str()) {
                    return None;
                }
                // `Users` (capitalised) only exists as the profile root on
                // Windows and macOS. A lowercase `home` is a common directory
                // name in source trees (`pages/home/index.tsx`), so there we
                // only redact the known user or a directory holding dotfiles.
                let ambiguous = caps.name("root").is_some_and(|r| r.as_str() == "home");
                let end = spaced_name_end(hay, name.end());
                let redact = !ambiguous
                    || self.users.contains(&name.as_str().to_lowercase())
                    || holds_dotfile(&hay[name.end()..]);
                redact.then_some((name.start(), end, mark))
            }
            Kind::UserWord => {
                let before = hay[..whole.start()].chars().next_back();
                let after = hay[whole.end()..].chars().next();
                let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
                // Our own `<user>` marker must not be redacted again.
                let is_marker = before == Some('<') && after == Some('>');
                (!is_word(before) && !is_word(after) && !is_marker).then_some((
                    whole.start(),
                    whole.end(),
                    mark,
                ))
            }
            Kind::UserSlug => {
                let name = caps.name("name")?;
                let before = hay[..whole.start()].chars().next_back();
                let after = hay[whole.end()..].chars().next();
                let is_word =
                    |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || matches!(c, '_'));
                (!is_word(before) && !is_word(after) && before != Some('-')).then_some((
                    name.start(),
                    name.end(),
                    mark,
                ))
            }
        }
    }
}

/// Whether a candidate passes a detector's value check.
fn passes(check: Check, v: &str) -> bool {
    match check {
        Check::None => true,
        Check::Value => value::looks_like_secret_value(v),
        Check::Random => value::looks_like_secret_value(v) && value::looks_random(v),
    }
}

/// Builds the pattern for a known home directory, or `None` when the value is
/// too generic to be redacted safely (`/`, `C:\`, `/tmp`, `~`).
fn known_home_pattern(home: &str) -> Option<String> {
    let trimmed = home.trim().trim_end_matches(['/', '\\']);
    let parts: Vec<&str> = trimmed
        .split(['/', '\\'])
        .filter(|p| !p.is_empty())
        .collect();
    let first = *parts.first()?;
    let drive = first.len() == 2
        && first.ends_with(':')
        && first.starts_with(|c: char| c.is_ascii_alphabetic());
    let windows = drive || trimmed.contains('\\');
    if windows {
        if drive && !trimmed.starts_with(first) {
            return None;
        }
        let rest: Vec<String> = parts
            .iter()
            .skip(usize::from(drive))
            .map(|p| regex::escape(p))
            .collect();
        if rest.is_empty() || (!drive && rest.len() < 2) {
            return None;
        }
        let head = if drive {
            let letter = regex::escape(&first[..1]);
            // The same directory as seen from WSL, Cygwin or Git Bash, and URL-encoded.
            format!(r"(?:{letter}(?::|%3[Aa]){SEP}|/(?:mnt/|cygdrive/)?{letter}/)")
        } else {
            SEP.to_string()
        };
        // Windows paths are case-insensitive and either slash style works.
        Some(format!("(?i:{head}{})", rest.join(SEP)))
    } else {
        if !trimmed.starts_with('/') {
            return None;
        }
        if parts.len() == 1 && SHARED_DIRS.contains(&parts[0].to_lowercase().as_str()) {
            return None;
        }
        let escaped: Vec<String> = parts.iter().map(|p| regex::escape(p)).collect();
        Some(format!("(?:/|%2[Ff]){}", escaped.join("(?:/|%2[Ff])")))
    }
}

/// Whether a user name is distinctive enough to redact as a free-standing word.
fn is_distinctive_name(user: &str) -> bool {
    user.chars().count() >= 3
        && user.chars().any(char::is_alphanumeric)
        && !COMMON_NAMES.contains(&user.to_lowercase().as_str())
}

/// Whether a path may start at byte `start`: the previous character must not
/// continue a word or a relative path component (`/backup/home/dev` is not a
/// home, `xC:\Users` is not a drive). Our own markers count as word
/// characters, because they replaced one: otherwise `alice/home/x` would be
/// kept on the first pass but become `<user>~` on the second. A URL-encoded
/// separator or colon before the path (`file%3A%2F%2F`) is a separator.
fn starts_path(hay: &str, start: usize) -> bool {
    let before = &hay[..start];
    if before.ends_with(USER_MARK) || before.ends_with(SECRET_MARK) {
        return false;
    }
    // `scheme://root:pw@host`: after `//` comes a host or user name, not a path (a
    // `file:///home/x` URL has its path after the third slash).
    if before.ends_with(":/") && !before.ends_with("//") {
        return false;
    }
    let b = before.as_bytes();
    if b.len() >= 3 && b[b.len() - 3] == b'%' {
        let code = before[before.len() - 2..].to_ascii_uppercase();
        if matches!(
            code.as_str(),
            "2F" | "5C" | "3A" | "20" | "22" | "27" | "3D"
        ) {
            return true;
        }
    }
    before
        .chars()
        .next_back()
        .is_none_or(|c| !(c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '~')))
}

/// Whether `rest` continues the path component that just ended, i.e. the
/// match was only a prefix of a longer name (`/home/dev` in `/home/developer`).
fn continues_name(rest: &str) -> bool {
    let mut chars = rest.chars();
    let is_name = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-');
    match chars.next() {
        Some(c) if is_name(c) => true,
        Some('.' | '~') => chars.next().is_some_and(is_name),
        _ => false,
    }
}

/// Where a user-name path component ends when it may contain spaces (`C:\Users\John
/// Smith\x`): further space-separated words count only when a separator follows them.
fn spaced_name_end(hay: &str, mut end: usize) -> usize {
    for _ in 0..3 {
        let rest = &hay[end..];
        let Some(word) = rest.strip_prefix(' ') else {
            break;
        };
        let len = word
            .find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.')))
            .unwrap_or(word.len());
        if len == 0 {
            break;
        }
        let after = &word[len..];
        if after.starts_with(['/', '\\']) || after.starts_with("%2F") || after.starts_with("%5C") {
            end += 1 + len;
        } else {
            break;
        }
    }
    end
}

/// Whether the path continues with a separator and a dot-directory or
/// dotfile (`/.ssh`, `\.codex`), which marks the preceding directory as a home.
fn holds_dotfile(rest: &str) -> bool {
    let after_sep = rest.trim_start_matches('\\');
    let after_sep = if after_sep.len() == rest.len() {
        match rest.strip_prefix('/') {
            Some(r) => r,
            None => return false,
        }
    } else {
        after_sep
    };
    let mut chars = after_sep.chars();
    chars.next() == Some('.')
        && chars
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// Whether a directory under `Users`/`home` is a shared profile, not a user.
fn is_non_user_dir(name: &str) -> bool {
    NON_USER_DIRS.contains(&name.to_lowercase().as_str())
}

/// The byte index just after the character at `index` (or past the end).
fn next_boundary(hay: &str, index: usize) -> usize {
    hay[index..]
        .chars()
        .next()
        .map_or(hay.len() + 1, |c| index + c.len_utf8())
}

#[cfg(test)]
mod tests;
