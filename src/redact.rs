//! Redaction of text bound for an issue tracker.
//!
//! Job records and logs of the codex plugin are full of absolute paths (which
//! leak the user's login name), and occasionally of credentials that a tool
//! echoed. Exports are public by nature, so redaction is on by default and errs
//! on the side of hiding: home directories become `~`, other user names become
//! `<user>`, and secrets become `<redacted>`.
//!
//! Design notes:
//! - Every rule is a regex plus a small Rust check (`Redactor::decide`), because
//!   the `regex` crate has no look-around: boundary conditions ("not preceded
//!   by a letter", "not `Users\Public`") are checked on the haystack instead.
//! - A `RegexSet` over all rules is the prefilter: most text contains nothing
//!   to redact and is returned as `Cow::Borrowed` after a single scan.
//! - The replacement markers (`~`, `<user>`, `<redacted>`) are chosen so that no
//!   rule matches them again, which is what makes redaction idempotent; a short
//!   fix-point loop in [`Redactor::redact`] guards against the remaining corner
//!   cases where a replacement glues two fragments into a new match.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Captures, Regex, RegexSet};

/// Replacement for a home directory, e.g. `/home/dev` -> `~`.
const HOME_MARK: &str = "~";
/// Replacement for a user name that is not part of a home directory prefix.
const USER_MARK: &str = "<user>";
/// Replacement for a secret (token, key, password).
const SECRET_MARK: &str = "<redacted>";

/// How many extra passes [`Redactor::redact`] may run to reach a fixed point.
/// One pass is almost always enough; the bound keeps pathological input cheap.
const MAX_EXTRA_PASSES: usize = 3;

/// A path separator as it appears in raw text: `/`, `\`, or a run of
/// backslashes (`\\` is a JSON-escaped backslash, `\\\\` a doubly escaped one).
const SEP: &str = r"(?:\\+|/)";

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
/// redacted inside home paths.
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

/// Values of `key=value` pairs that are placeholders or literals, not secrets.
const NON_SECRET_VALUES: &[&str] = &[
    "bearer",
    "basic",
    "false",
    "none",
    "null",
    "redacted",
    "true",
    "undefined",
];

/// What a rule's match means, i.e. which check and replacement applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// The whole match is a secret (token with a recognisable prefix).
    Secret,
    /// `Bearer <token>`: group `v` is the token, redacted when it looks random.
    Bearer,
    /// Group `v` / `v1` / `v2` / `v3` is a secret value (key=value, URL password).
    SecretValue,
    /// The whole match is this machine's home directory.
    KnownHome,
    /// The whole match is a home directory of the user in group `name`.
    Home,
    /// Group `name` is a user name inside a path that is not a home prefix.
    UserInPath,
    /// The whole match is this machine's user name, as a free-standing word.
    UserWord,
}

/// One compiled redaction rule.
#[derive(Clone, Debug)]
struct Rule {
    kind: Kind,
    re: Regex,
}

/// Redacts home directories, user names and secrets from text bound for an issue tracker.
#[derive(Clone, Debug)]
pub struct Redactor {
    /// Rules in the order they are applied: secrets first (so that a token
    /// containing a path is hidden whole), then homes, then user names.
    rules: Vec<Rule>,
    /// The same patterns as `rules`, index for index: one scan tells which
    /// rules can fire at all.
    set: RegexSet,
    /// Known user names, lowercased, for comparing path components.
    users: Vec<String>,
}

/// Secret rules: independent of the machine, compiled once per process.
static SECRET_RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let kv_keys = concat!(
        r"[a-z0-9_-]*?(?:",
        r"api[_-]?key|secret[_-]?key|access[_-]?key(?:[_-]?id)?|secret|password|passwd",
        r"|(?:access|auth|refresh|id|session|bearer)[_-]?token|private[_-]?key",
        r")",
    );
    // A value is double-quoted (possibly with a JSON-escaped quote), single-quoted
    // or bare; bare values stop at characters that delimit them in URLs, JSON and
    // shell, and may not start with `=` (as in `secret == x`).
    let kv_value = concat!(
        r#"(?:\\?"(?P<v1>(?:[^"\\\n]|\\[^"\n])*)"#,
        r#"|'(?P<v2>[^'\n]*)"#,
        r#"|(?P<v3>[^\s"'<>,;&\\)\]}=][^\s"'<>,;&\\)\]}]*))"#,
    );
    let patterns: Vec<(Kind, String)> = vec![
        (
            Kind::Secret,
            r"(?s)-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?-----END [A-Z0-9 ]*PRIVATE KEY-----"
                .into(),
        ),
        // OpenAI / Anthropic style keys: sk-…, sk-proj-…, sk-ant-….
        (Kind::Secret, r"(?-u:\b)sk-[A-Za-z0-9_-]{20,}".into()),
        // GitHub tokens.
        (
            Kind::Secret,
            r"(?-u:\b)(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})".into(),
        ),
        // AWS access key ids (long-lived and temporary).
        (
            Kind::Secret,
            r"(?-u:\b)(?:AKIA|ASIA)[0-9A-Z]{16}(?-u:\b)".into(),
        ),
        // Slack tokens.
        (Kind::Secret, r"(?-u:\b)xox[abposr]-[A-Za-z0-9-]{10,}".into()),
        // Google API keys.
        (Kind::Secret, r"(?-u:\b)AIza[0-9A-Za-z_-]{35}".into()),
        // JWTs: base64url(JSON header) always starts with `eyJ` (`{"`).
        (
            Kind::Secret,
            r"(?-u:\b)eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}".into(),
        ),
        (
            Kind::Bearer,
            r"(?i)(?-u:\b)bearer[ \t]+(?P<v>[A-Za-z0-9._~+/=-]{8,})".into(),
        ),
        // `Authorization: Basic …` / `Authorization: token …` headers.
        (
            Kind::SecretValue,
            r#"(?i)(?-u:\b)authorization\\?["']?[ \t]*[:=][ \t]*\\?["']?(?:basic|token)[ \t]+(?P<v>[A-Za-z0-9._~+/=-]{6,})"#
                .into(),
        ),
        // Passwords in URLs: scheme://user:password@host.
        (
            Kind::SecretValue,
            r#"(?i)(?-u:\b)[a-z][a-z0-9+.-]*://[^\s/:@"'<>]+:(?P<v>[^\s/@"'<>]+)@"#.into(),
        ),
        // api_key=…, "apiKey": "…", OPENAI_API_KEY=…, password: …
        (
            Kind::SecretValue,
            format!(r#"(?i)(?-u:\b){kv_keys}(?-u:\b)\\?["']?[ \t]*[:=][ \t]*{kv_value}"#),
        ),
        // A bare "token" key is too common in prose and error messages
        // ("unexpected token: }"), so only its quoted JSON/YAML form counts.
        (
            Kind::SecretValue,
            r#"(?i)\\?["']token\\?["'][ \t]*:[ \t]*\\?"(?P<v1>[A-Za-z0-9._~+/=-]{12,})"#.into(),
        ),
    ];
    patterns
        .into_iter()
        .map(|(kind, p)| Rule {
            kind,
            re: Regex::new(&p).expect("static redaction pattern compiles"),
        })
        .collect()
});

/// Generic home and user-name-in-path rules, compiled once per process.
static PATH_RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let home = format!(
        concat!(
            r"(?:",
            // C:\Users\dev, C:/Users/dev, c:\\users\\dev (any drive, any case).
            r"[A-Za-z]:{sep}(?i:users){sep}",
            // WSL (/mnt/c/Users/dev), Cygwin and Git Bash (/c/Users/dev).
            r"|/(?:mnt/|cygdrive/)?[A-Za-z]/Users/",
            // A WSL home seen from Windows: \\wsl$\Ubuntu\home\dev.
            r#"|{sep}wsl(?:\$|\.localhost){sep}[^\\/\s"'<>]+{sep}home{sep}"#,
            r"|/home/|/Users/",
            r")(?P<name>{name})",
        ),
        sep = SEP,
        name = NAME
    );
    let in_path = format!(r"{SEP}(?P<root>Users|home){SEP}(?P<name>{NAME})");
    vec![
        Rule {
            kind: Kind::Home,
            re: Regex::new(&home).expect("home pattern compiles"),
        },
        Rule {
            kind: Kind::UserInPath,
            re: Regex::new(&in_path).expect("user-in-path pattern compiles"),
        },
    ]
});

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
        let users: Vec<String> = [var("USER"), var("USERNAME")]
            .into_iter()
            .flatten()
            .collect();
        Self::build(&homes, &users)
    }

    /// A redactor that knows only the given home directory and user name (for tests and reproducibility).
    pub fn new(home: Option<&str>, user: Option<&str>) -> Redactor {
        let homes: Vec<&str> = home.into_iter().collect();
        let users: Vec<&str> = user.into_iter().collect();
        Self::build(&homes, &users)
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
        let mut rules: Vec<Rule> = SECRET_RULES.clone();

        let mut seen = Vec::new();
        for home in homes {
            if let Some(pattern) = known_home_pattern(home.as_ref()) {
                if seen.contains(&pattern) {
                    continue;
                }
                if let Ok(re) = Regex::new(&pattern) {
                    seen.push(pattern);
                    rules.push(Rule {
                        kind: Kind::KnownHome,
                        re,
                    });
                }
            }
        }

        rules.extend(PATH_RULES.iter().cloned());

        let mut known_users: Vec<String> = Vec::new();
        for user in users {
            let user = user.as_ref().trim();
            let lower = user.to_lowercase();
            if user.is_empty() || known_users.contains(&lower) {
                continue;
            }
            known_users.push(lower);
            if is_distinctive_name(user) {
                // Case-insensitive: Windows treats `Dev` and `dev` as the same account.
                if let Ok(re) = Regex::new(&format!("(?i){}", regex::escape(user))) {
                    rules.push(Rule {
                        kind: Kind::UserWord,
                        re,
                    });
                }
            }
        }

        let set = RegexSet::new(rules.iter().map(|r| r.re.as_str()))
            .expect("patterns that compiled individually compile as a set");
        Redactor {
            rules,
            set,
            users: known_users,
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
                match self.decide(rule.kind, hay, &caps) {
                    Some((start, end, mark)) => {
                        let buf = out.get_or_insert_with(|| String::with_capacity(hay.len()));
                        buf.push_str(&hay[copied_to..start]);
                        buf.push_str(mark);
                        copied_to = end;
                        pos = if whole.end() > whole.start() {
                            whole.end()
                        } else {
                            next_boundary(hay, whole.end())
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
        kind: Kind,
        hay: &str,
        caps: &Captures<'_>,
    ) -> Option<(usize, usize, &'static str)> {
        let whole = caps.get(0)?;
        match kind {
            Kind::Secret => Some((whole.start(), whole.end(), SECRET_MARK)),
            Kind::Bearer => {
                let token = caps.name("v")?;
                let t = token.as_str();
                // "Bearer authentication" is prose; real tokens are long or
                // contain digits.
                let looks_random = t.len() >= 24 || t.bytes().any(|b| b.is_ascii_digit());
                looks_random.then_some((token.start(), token.end(), SECRET_MARK))
            }
            Kind::SecretValue => {
                let value = ["v", "v1", "v2", "v3"]
                    .iter()
                    .find_map(|name| caps.name(name))?;
                looks_like_secret_value(value.as_str()).then_some((
                    value.start(),
                    value.end(),
                    SECRET_MARK,
                ))
            }
            Kind::KnownHome => (starts_path(hay, whole.start())
                && !continues_name(&hay[whole.end()..]))
            .then_some((whole.start(), whole.end(), HOME_MARK)),
            Kind::Home => {
                let name = caps.name("name")?;
                (starts_path(hay, whole.start()) && !is_non_user_dir(name.as_str())).then_some((
                    whole.start(),
                    whole.end(),
                    HOME_MARK,
                ))
            }
            Kind::UserInPath => {
                let name = caps.name("name")?;
                let root = caps.name("root")?;
                if is_non_user_dir(name.as_str()) {
                    return None;
                }
                // `Users` (capitalised) only exists as the profile root on
                // Windows and macOS. A lowercase `home` is a common directory
                // name in source trees (`pages/home/index.tsx`), so there we
                // only redact the known user or a directory holding dotfiles.
                let redact = root.as_str() == "Users"
                    || self.users.contains(&name.as_str().to_lowercase())
                    || holds_dotfile(&hay[name.end()..]);
                redact.then_some((name.start(), name.end(), USER_MARK))
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
                    USER_MARK,
                ))
            }
        }
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
            // The same directory as seen from WSL, Cygwin or Git Bash.
            format!(r"(?:{letter}:{SEP}|/(?:mnt/|cygdrive/)?{letter}/)")
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
        Some(format!("/{}", escaped.join("/")))
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
/// kept on the first pass but become `<user>~` on the second.
fn starts_path(hay: &str, start: usize) -> bool {
    let before = &hay[..start];
    if before.ends_with(USER_MARK) || before.ends_with(SECRET_MARK) {
        return false;
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

/// Whether a `key=value` value is worth hiding: placeholders, variable
/// references and literals are kept so that configuration stays readable.
fn looks_like_secret_value(value: &str) -> bool {
    let value = value.trim();
    let Some(first) = value.chars().next() else {
        return false;
    };
    !matches!(first, '<' | '$' | '%' | '{' | '*')
        && !NON_SECRET_VALUES.contains(&value.to_lowercase().as_str())
}

/// The byte index just after the character at `index` (or past the end).
fn next_boundary(hay: &str, index: usize) -> usize {
    hay[index..]
        .chars()
        .next()
        .map_or(hay.len() + 1, |c| index + c.len_utf8())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A redactor that knows nothing about the machine, so results do not
    /// depend on who runs the tests.
    fn plain() -> Redactor {
        Redactor::new(None, None)
    }

    fn linux() -> Redactor {
        Redactor::new(Some("/home/alice"), Some("alice"))
    }

    fn windows() -> Redactor {
        Redactor::new(Some(r"C:\Users\alice"), Some("alice"))
    }

    /// Redactors shared by the property tests: building one compiles a
    /// `RegexSet`, which would dominate the run time if done per case.
    static SHARED: LazyLock<[Redactor; 3]> = LazyLock::new(|| [plain(), linux(), windows()]);

    /// Asserts the redaction and that it is a fixed point.
    #[track_caller]
    fn check(r: &Redactor, input: &str, expected: &str) {
        let once = r.redact(input);
        assert_eq!(once, expected, "input: {input:?}");
        let twice = r.redact(&once);
        assert_eq!(twice, once, "not idempotent for input: {input:?}");
        assert!(
            matches!(twice, Cow::Borrowed(_)),
            "second pass allocated: {input:?}"
        );
    }

    /// Asserts the text is left alone, without allocating.
    #[track_caller]
    fn keep(r: &Redactor, input: &str) {
        let out = r.redact(input);
        assert!(
            matches!(out, Cow::Borrowed(_)),
            "changed {input:?} to {out:?}"
        );
    }

    // ---- home directories -------------------------------------------------

    #[test]
    fn linux_home() {
        check(&plain(), "/home/dev/src/app", "~/src/app");
        check(&plain(), "cwd=/home/dev", "cwd=~");
        check(&plain(), r#"{"cwd":"/home/dev/x"}"#, r#"{"cwd":"~/x"}"#);
    }

    #[test]
    fn macos_home() {
        check(&plain(), "/Users/dev/Library/Logs", "~/Library/Logs");
    }

    #[test]
    fn windows_home_backslash() {
        check(
            &plain(),
            r"C:\Users\dev\AppData\Local\Temp",
            r"~\AppData\Local\Temp",
        );
    }

    #[test]
    fn windows_home_forward_slash() {
        check(&plain(), "C:/Users/dev/project/a.rs", "~/project/a.rs");
    }

    #[test]
    fn windows_home_json_escaped() {
        check(&plain(), r"C:\\Users\\dev\\x", r"~\\x");
        check(
            &plain(),
            r#"{"cwd":"C:\\Users\\dev\\repo"}"#,
            r#"{"cwd":"~\\repo"}"#,
        );
        // Doubly escaped JSON (a JSON string inside a JSON string).
        check(&plain(), r"C:\\\\Users\\\\dev\\\\x", r"~\\\\x");
    }

    #[test]
    fn windows_home_lowercase_drive_and_other_letters() {
        check(&plain(), r"c:\\Users\\dev\\x", r"~\\x");
        check(&plain(), r"c:\users\dev\x", r"~\x");
        check(&plain(), r"D:\Users\dev\x", r"~\x");
    }

    #[test]
    fn windows_home_short_name() {
        check(
            &plain(),
            r"C:\Users\RUNNER~1\AppData\Local\Temp\x",
            r"~\AppData\Local\Temp\x",
        );
    }

    #[test]
    fn wsl_cygwin_and_git_bash_homes() {
        check(&plain(), "/mnt/c/Users/dev/code", "~/code");
        check(&plain(), "/cygdrive/c/Users/dev/code", "~/code");
        check(&plain(), "/c/Users/dev/code", "~/code");
        check(&plain(), r"\\wsl$\Ubuntu\home\dev\code", r"~\code");
        check(&plain(), r"\\wsl.localhost\Ubuntu\home\dev\code", r"~\code");
    }

    #[test]
    fn file_url_and_unc_prefixes() {
        check(&plain(), "file:///home/dev/a.txt", "file://~/a.txt");
        check(&plain(), r"\\?\C:\Users\dev\a.txt", r"\\?\~\a.txt");
    }

    #[test]
    fn home_in_path_lists_and_quotes() {
        check(
            &plain(),
            "PATH=/usr/bin:/home/dev/.cargo/bin:/Users/eve/bin",
            "PATH=/usr/bin:~/.cargo/bin:~/bin",
        );
        check(&plain(), "'/home/dev' and (/home/ops)", "'~' and (~)");
    }

    #[test]
    fn home_followed_by_sentence_period() {
        check(&plain(), "see /home/dev.", "see ~.");
        check(
            &plain(),
            "user dev.DOMAIN: C:\\Users\\dev.DOMAIN\\x",
            "user dev.DOMAIN: ~\\x",
        );
    }

    #[test]
    fn unicode_user_names() {
        check(&plain(), "/home/jürgen/x", "~/x");
        check(&plain(), r"C:\Users\Łukasz\x", r"~\x");
    }

    #[test]
    fn known_unix_home_outside_home() {
        let r = Redactor::new(Some("/var/lib/jenkins/"), None);
        check(&r, "/var/lib/jenkins/workspace/x", "~/workspace/x");
        check(&r, "/var/lib/jenkins", "~");
        // Only whole components: a longer sibling directory is not the home.
        keep(&r, "/var/lib/jenkinsfile");
        keep(&r, "/opt/var/lib/jenkins");
    }

    #[test]
    fn known_root_home() {
        let r = Redactor::new(Some("/root"), Some("root"));
        check(&r, "/root/.codex/jobs", "~/.codex/jobs");
        // "root" is a common word, not redacted outside paths.
        keep(&r, "the root cause");
        keep(&r, "/srv/root/x");
    }

    #[test]
    fn known_windows_home_both_slash_styles_and_wsl() {
        let r = Redactor::new(Some(r"D:\Profiles\alice"), None);
        check(&r, r"D:\Profiles\alice\x", r"~\x");
        check(&r, "d:/profiles/alice/x", "~/x");
        check(&r, r"D:\\Profiles\\alice\\x", r"~\\x");
        check(&r, "/mnt/d/Profiles/alice/x", "~/x");
        keep(&r, r"D:\Profiles\alicex");
    }

    #[test]
    fn known_home_is_ignored_when_too_generic() {
        for home in ["/", "C:\\", "~", "/tmp", "/home/", "relative/dir", ""] {
            let r = Redactor::new(Some(home), None);
            keep(&r, "/tmp/x and /home and C:\\Windows and relative/dir/x ~");
        }
    }

    // ---- user names -------------------------------------------------------

    #[test]
    fn user_in_non_home_windows_path() {
        check(
            &plain(),
            r"E:\\backup\\Users\\dev\\x",
            r"E:\\backup\\Users\\<user>\\x",
        );
        check(&plain(), r"E:\backup\Users\dev", r"E:\backup\Users\<user>");
    }

    #[test]
    fn user_in_non_home_unix_path() {
        // A lowercase `home` directory only counts with dotfiles below it...
        check(
            &plain(),
            "/mnt/disk/home/dev/.ssh/id",
            "/mnt/disk/home/<user>/.ssh/id",
        );
        check(
            &plain(),
            "/mnt/disk/Users/dev/x",
            "/mnt/disk/Users/<user>/x",
        );
        // ...or when it is the known user.
        let r = Redactor::new(None, Some("dev"));
        check(&r, "/var/home/dev/x", "/var/home/<user>/x");
    }

    #[test]
    fn source_tree_home_directory_is_kept() {
        keep(&plain(), "src/pages/home/index.tsx");
        keep(&plain(), "https://example.com/home/about");
        keep(&plain(), "app/users/models.py");
    }

    #[test]
    fn known_user_as_word() {
        check(&linux(), "ssh alice@host", "ssh <user>@host");
        check(
            &linux(),
            "owner: Alice, group: alice-admins",
            "owner: <user>, group: <user>-admins",
        );
        check(
            &windows(),
            r"DESKTOP-1\alice logged in",
            r"DESKTOP-1\<user> logged in",
        );
    }

    #[test]
    fn known_user_inside_longer_word_is_kept() {
        keep(&linux(), "malice and alicetools and alice_x");
        let r = Redactor::new(None, Some("dev"));
        keep(&r, "devtools dev server");
        let r = Redactor::new(None, Some("bo"));
        keep(&r, "bo is too short to redact as a word");
    }

    #[test]
    fn known_user_with_regex_metacharacters() {
        let r = Redactor::new(None, Some("a.b+c"));
        check(&r, "by a.b+c today", "by <user> today");
        keep(&r, "by aXb+c today");
    }

    #[test]
    fn user_named_like_a_marker_is_stable() {
        for user in ["user", "redacted", "acted", "use"] {
            let r = Redactor::new(Some(&format!("/home/{user}")), Some(user));
            let once = r.redact("/home/x sk-abcdefghijklmnopqrstuvwxyz0123 /opt/Users/y");
            assert_eq!(r.redact(&once), once, "user {user}");
        }
    }

    #[test]
    fn generic_placeholders_are_kept() {
        keep(
            &plain(),
            r"%USERPROFILE%\AppData and C:\Users\%USERNAME%\x and $HOME/x",
        );
        keep(&plain(), "/home/<user>/x and ~/x and /home/$USER/x");
    }

    #[test]
    fn shared_profiles_are_kept() {
        keep(&plain(), r"C:\Users\Public\Documents");
        keep(&plain(), "/Users/Shared/x");
        keep(&plain(), r"C:\Users\Default\NTUSER.DAT");
        keep(&plain(), r"C:\Users\All Users\x");
        keep(&plain(), "/home/linuxbrew/.linuxbrew/bin/gh");
    }

    #[test]
    fn home_alone_is_kept() {
        keep(&plain(), "/home");
        keep(&plain(), "/home/");
        keep(&plain(), "/Users and C:\\Users\\ and /home/ x");
    }

    #[test]
    fn macos_temp_dir_is_kept() {
        keep(&plain(), "/var/folders/xy/abc123_def/T/tmp.x");
    }

    #[test]
    fn home_after_relative_prefix_is_not_a_home() {
        check(
            &plain(),
            "backup/home/dev/.config",
            "backup/home/<user>/.config",
        );
    }

    // ---- secrets ----------------------------------------------------------

    #[test]
    fn openai_keys() {
        check(
            &plain(),
            "key sk-abcdefghijklmnopqrstuvwxyz012345 end",
            "key <redacted> end",
        );
        check(
            &plain(),
            "sk-proj-AbC_dEf-0123456789abcdefghij",
            "<redacted>",
        );
        keep(&plain(), "sk-short123");
    }

    #[test]
    fn bearer_tokens() {
        check(
            &plain(),
            "Authorization: Bearer abc123def456ghi789",
            "Authorization: Bearer <redacted>",
        );
        check(
            &plain(),
            "bearer Zm9vYmFyYmF6cXV4cXV1eHh4eHh4",
            "bearer <redacted>",
        );
        keep(&plain(), "Bearer authentication failed");
    }

    #[test]
    fn basic_auth_and_url_passwords() {
        check(
            &plain(),
            "Authorization: Basic dXNlcjpwYXNz",
            "Authorization: Basic <redacted>",
        );
        check(
            &plain(),
            "postgres://app:hunter2@db:5432/x",
            "postgres://app:<redacted>@db:5432/x",
        );
        keep(&plain(), "http://localhost:8080/x");
    }

    #[test]
    fn jwt() {
        let jwt =
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        check(&plain(), &format!("token={jwt}"), "token=<redacted>");
        keep(&plain(), "eyJ alone, and a.b.c");
    }

    #[test]
    fn github_tokens() {
        for prefix in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"] {
            let input = format!("t {prefix}ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 t");
            check(&plain(), &input, "t <redacted> t");
        }
        check(
            &plain(),
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
            "<redacted>",
        );
    }

    #[test]
    fn aws_access_key_id() {
        check(&plain(), "AKIAIOSFODNN7EXAMPLE", "<redacted>");
        check(&plain(), "id=ASIAIOSFODNN7EXAMPLE,", "id=<redacted>,");
        keep(&plain(), "AKIAshort");
    }

    #[test]
    fn slack_and_google_tokens() {
        check(&plain(), "xoxb-1234567890-abcdefghij", "<redacted>");
        check(&plain(), "xoxp-1234-5678-abcdefgh", "<redacted>");
        check(
            &plain(),
            "AIzaSyA-abcdefghijklmnopqrstuvwxyz01234",
            "<redacted>",
        );
    }

    #[test]
    fn key_value_secrets() {
        check(&plain(), "api_key=abc123", "api_key=<redacted>");
        check(
            &plain(),
            "OPENAI_API_KEY=abc123 next",
            "OPENAI_API_KEY=<redacted> next",
        );
        check(
            &plain(),
            r#"{"apiKey": "abc 123", "n": 1}"#,
            r#"{"apiKey": "<redacted>", "n": 1}"#,
        );
        check(
            &plain(),
            r#"{\"client_secret\":\"s3cr3t\"}"#,
            r#"{\"client_secret\":\"<redacted>\"}"#,
        );
        check(&plain(), "password: 'p@ss word'", "password: '<redacted>'");
        check(&plain(), "x-api-key: abc123", "x-api-key: <redacted>");
        check(
            &plain(),
            "?access_token=abc123&x=1",
            "?access_token=<redacted>&x=1",
        );
        check(
            &plain(),
            "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG",
            "AWS_SECRET_ACCESS_KEY=<redacted>",
        );
        check(
            &plain(),
            r#""token": "abcdef0123456789xyz""#,
            r#""token": "<redacted>""#,
        );
    }

    #[test]
    fn key_value_placeholders_are_kept() {
        keep(
            &plain(),
            "api_key=$OPENAI_API_KEY password: <your password> secret=%SECRET% apiKey: null",
        );
        keep(&plain(), r#"{"api_key": "", "password": true}"#);
        keep(
            &plain(),
            "unexpected token: } and max_tokens=100 input_tokens: 5",
        );
        keep(
            &plain(),
            "password_hash_algorithm is bcrypt; secret == other",
        );
    }

    #[test]
    fn private_key_block() {
        check(
            &plain(),
            "a -----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\nbnNz\n-----END OPENSSH PRIVATE KEY----- b",
            "a <redacted> b",
        );
        check(
            &plain(),
            r"-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----",
            "<redacted>",
        );
    }

    #[test]
    fn secret_containing_a_home_path_is_hidden_whole() {
        check(&plain(), "password=/home/dev/pw.txt", "password=<redacted>");
    }

    #[test]
    fn ordinary_ids_are_kept() {
        let r = linux();
        keep(&r, "550e8400-e29b-41d4-a716-446655440000");
        keep(&r, "commit 9fceb02d0ae598e95dc970b74767f19372d61af8");
        keep(&r, "deadbeefcafebabe0123456789abcdef");
        keep(
            &r,
            "job task-mwxkt4cj-5g20dl finished; thread 019a8f2e-7c4b-7d1e",
        );
        keep(&r, "task-abcdefghijklmnopqrstuvwxyz0123456789");
        keep(
            &r,
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        );
    }

    #[test]
    fn mixed_record() {
        let r = windows();
        let input = r#"{"cwd":"C:\\Users\\alice\\repo","env":{"OPENAI_API_KEY":"sk-proj-abcdefghijklmnopqrstuvwx"},"log":"alice ran /home/bob/x with Bearer tok_123456789"}"#;
        let expected = r#"{"cwd":"~\\repo","env":{"OPENAI_API_KEY":"<redacted>"},"log":"<user> ran ~/x with Bearer <redacted>"}"#;
        check(&r, input, expected);
    }

    // ---- API properties ---------------------------------------------------

    #[test]
    fn unchanged_text_is_borrowed() {
        keep(&linux(), "");
        keep(&linux(), "nothing to see here: ~/x, <user>, <redacted>");
    }

    #[test]
    fn redaction_is_idempotent_on_samples() {
        let r = windows();
        for input in [
            "/home/a/home/b/home/c",
            "xC:/Users/dev",
            "Bearer /home/alice/abcdefg1",
            "api_key=Bearer abc123456789",
            "/home/sk-abcdefghijklmnopqrstuvwxyz0/x",
            "https://alice:pw@host/home/alice",
            r"C:\Users\C:\Users\dev\x",
        ] {
            let once = r.redact(input);
            assert_eq!(r.redact(&once), once, "input {input:?}");
        }
    }

    #[test]
    fn from_env_does_not_panic() {
        let r = Redactor::from_env();
        let _ = r.redact("/home/dev/x sk-abcdefghijklmnopqrstuvwxyz0");
    }

    /// Fragments that combine into (near-)matches of every rule, so that
    /// random concatenations exercise the interactions between rules.
    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("/home/".to_string()),
            Just("/Users/".to_string()),
            Just("C:".to_string()),
            Just("\\".to_string()),
            Just("\\\\".to_string()),
            Just("/".to_string()),
            Just("Users".to_string()),
            Just("home".to_string()),
            Just("alice".to_string()),
            Just("dev".to_string()),
            Just("Public".to_string()),
            Just(".ssh".to_string()),
            Just("/mnt/c".to_string()),
            Just("~".to_string()),
            Just("<".to_string()),
            Just(">".to_string()),
            Just("<user>".to_string()),
            Just("<redacted>".to_string()),
            Just(" ".to_string()),
            Just(".".to_string()),
            Just("-".to_string()),
            Just("\"".to_string()),
            Just("'".to_string()),
            Just(": ".to_string()),
            Just("=".to_string()),
            Just("@".to_string()),
            Just("://".to_string()),
            Just("sk-".to_string()),
            Just("abcdefghij0123456789".to_string()),
            Just("Bearer ".to_string()),
            Just("api_key".to_string()),
            Just("password".to_string()),
            Just("\"token\"".to_string()),
            Just("eyJabcd.efgh.ijkl".to_string()),
            Just("ghp_".to_string()),
            Just("AKIA".to_string()),
            Just("-----BEGIN PRIVATE KEY-----".to_string()),
            Just("-----END PRIVATE KEY-----".to_string()),
            "[a-zA-Z0-9_]{1,6}",
            ".{0,3}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn never_panics_and_is_idempotent(input in ".{0,200}") {
            for r in SHARED.iter() {
                let once = r.redact(&input);
                let twice = r.redact(&once);
                prop_assert_eq!(&twice, &once);
                prop_assert!(matches!(twice, Cow::Borrowed(_)));
            }
        }

        #[test]
        fn idempotent_on_path_and_secret_fragments(
            parts in proptest::collection::vec(fragment(), 0..24)
        ) {
            let input = parts.concat();
            for r in SHARED.iter() {
                let once = r.redact(&input);
                let twice = r.redact(&once);
                prop_assert_eq!(&twice, &once, "input {:?}", input);
                prop_assert!(matches!(twice, Cow::Borrowed(_)));
                if let Some(p1) = r.pass(&input) {
                    prop_assert_eq!(r.pass(&p1), None, "a single pass is not a fixed point for {:?}", input);
                }
                if once == input {
                    prop_assert!(matches!(once, Cow::Borrowed(_)));
                }
            }
        }
    }
}
