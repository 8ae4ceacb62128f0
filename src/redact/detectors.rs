//! The redaction detectors as data: `redactors/detectors.toml`, embedded in the binary.
//!
//! Each detector carries its own tests (`redact`: input and expected output; `keep`:
//! inputs left alone), run by `cargo test` through [`self_test`], the same way signature
//! rules carry theirs.

use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;

use super::{EMAIL_MARK, HOME_MARK, NAME, Redactor, Rule, SECRET_MARK, SEP, USER_MARK};

/// The embedded detector file.
pub const BUILTIN_TOML: &str = include_str!("../../redactors/detectors.toml");

/// What a match of a detector means (see the header of `redactors/detectors.toml`). The
/// last three are built per machine, never written in the file.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The match (or group `v`) is the secret.
    Token,
    /// The match ends where a quote-aware value starts; its extent is read by the redactor.
    Value,
    /// An e-mail address.
    Email,
    /// A secret-like word; the next high-entropy word is the secret.
    Entropy,
    /// A home directory, replaced by `~` up to the end of group `name`.
    Home,
    /// Group `name` is a user name inside a path.
    UserInPath,
    /// This machine's home directory (`$HOME`, `$USERPROFILE`).
    #[serde(skip)]
    KnownHome,
    /// This machine's user name as a free-standing word.
    #[serde(skip)]
    UserWord,
    /// Group `name` is this machine's user name as a workspace slug (`<name>-<16 hex>`).
    #[serde(skip)]
    UserSlug,
}

/// Which test a candidate secret must pass before it is replaced.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// Always replaced.
    #[default]
    None,
    /// Not a placeholder (`$VAR`, `<x>`, `%X%`, `***`, `null`, `true`, empty).
    Value,
    /// Not a placeholder, and random-looking (a digit and 8+ chars, or 20+ chars).
    Random,
}

/// How far a value runs.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Extent {
    /// One word (bare) or one quoted string.
    #[default]
    Word,
    /// The rest of the line (or the quoted string).
    Line,
}

/// One detector as written in the TOML file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Detector {
    /// Unique id, kebab-case.
    pub id: String,
    /// One line saying what it finds.
    pub what: String,
    /// What a match means.
    pub kind: Kind,
    /// The pattern (`<<sep>>` and `<<name>>` are expanded).
    pub regex: String,
    /// The value check (default: none for tokens, value for values).
    pub check: Option<Check>,
    /// How far a value runs (kind `value` only).
    #[serde(default)]
    pub extent: Extent,
    /// The replacement, when not the kind's default.
    pub mark: Option<String>,
    /// Tests: (input, expected output).
    #[serde(default)]
    pub redact: Vec<(String, String)>,
    /// Tests: inputs left exactly as they are.
    #[serde(default)]
    pub keep: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DetectorFile {
    detector: Vec<Detector>,
}

static BUILTIN: LazyLock<Vec<Detector>> =
    LazyLock::new(|| parse(BUILTIN_TOML).expect("embedded detectors parse (tested)"));

/// The embedded detectors, in application order.
pub fn builtin() -> &'static [Detector] {
    &BUILTIN
}

/// Parses a detector file.
pub fn parse(text: &str) -> Result<Vec<Detector>, String> {
    toml::from_str::<DetectorFile>(text)
        .map(|f| f.detector)
        .map_err(|e| e.to_string())
}

impl Detector {
    /// The regex with `<<sep>>` and `<<name>>` expanded.
    pub fn pattern(&self) -> String {
        self.regex.replace("<<sep>>", SEP).replace("<<name>>", NAME)
    }

    /// Compiles the detector into a rule of the redactor.
    pub(super) fn compile(&self) -> Result<Rule, String> {
        let re = Regex::new(&self.pattern()).map_err(|e| format!("{}: {e}", self.id))?;
        let (default_check, default_mark) = match self.kind {
            Kind::Value => (Check::Value, SECRET_MARK),
            Kind::Email => (Check::None, EMAIL_MARK),
            Kind::Home | Kind::KnownHome => (Check::None, HOME_MARK),
            Kind::UserInPath | Kind::UserWord | Kind::UserSlug => (Check::None, USER_MARK),
            Kind::Token | Kind::Entropy => (Check::None, SECRET_MARK),
        };
        let kind = self.kind;
        // Marks live as long as the process (the rule set is built once).
        let mark: &'static str = match &self.mark {
            Some(m) => Box::leak(m.clone().into_boxed_str()),
            None => default_mark,
        };
        Ok(Rule {
            kind,
            re,
            check: self.check.unwrap_or(default_check),
            extent: self.extent,
            mark,
        })
    }
}

/// One failed detector test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The detector.
    pub id: String,
    /// What went wrong.
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.id, self.message)
    }
}

/// Runs every detector's tests against the full redactor (no machine home or user):
/// each `redact` input must match its own detector and become exactly the expected
/// output, redaction must be idempotent on it, and each `keep` input must stay as it is.
/// Also checks the file: unique ids, at least one test of each sort, patterns compile.
pub fn self_test(detectors: &[Detector]) -> Vec<Failure> {
    let r = Redactor::new(None, None);
    let mut out = Vec::new();
    let mut fail = |id: &str, message: String| {
        out.push(Failure {
            id: id.to_string(),
            message,
        })
    };
    let mut ids = std::collections::HashSet::new();
    for d in detectors {
        if !ids.insert(d.id.as_str()) {
            fail(&d.id, "duplicate id".into());
        }
        if d.redact.is_empty() || d.keep.is_empty() {
            fail(
                &d.id,
                "needs at least one `redact` and one `keep` test".into(),
            );
        }
        let re = match Regex::new(&d.pattern()) {
            Ok(re) => re,
            Err(e) => {
                fail(&d.id, format!("regex does not compile: {e}"));
                continue;
            }
        };
        for (input, expected) in &d.redact {
            if !re.is_match(input) {
                fail(
                    &d.id,
                    format!("its regex does not match its test {input:?}"),
                );
            }
            let got = r.redact(input);
            if got != expected.as_str() {
                fail(
                    &d.id,
                    format!("{input:?} became {got:?}, expected {expected:?}"),
                );
            }
            let again = r.redact(&got);
            if again != got {
                fail(&d.id, format!("not idempotent: {got:?} became {again:?}"));
            }
        }
        for input in &d.keep {
            let got = r.redact(input);
            if got != input.as_str() {
                fail(&d.id, format!("must keep {input:?}, became {got:?}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_detector_passes_its_tests() {
        let failures = self_test(builtin());
        let text: Vec<String> = failures.iter().map(ToString::to_string).collect();
        assert!(
            failures.is_empty(),
            "{} failure(s):\n{}",
            failures.len(),
            text.join("\n")
        );
    }

    #[test]
    fn self_test_catches_a_broken_detector() {
        let broken = parse(
            r#"
[[detector]]
id = "x"
what = "x"
kind = "token"
regex = 'zzz[0-9]+'
redact = [["zzz1 and qqq", "<redacted> and <redacted>"]]
keep = ["zzz2"]
"#,
        )
        .expect("parses");
        let failures = self_test(&broken);
        // Its redact test expects too much, and its keep input is not part of the
        // built-in set so stays: one failure, about the redact test.
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert!(failures[0].message.contains("expected"));
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err = parse("[[detector]]\nid='x'\nwhat='x'\nkind='token'\nregex='x'\nbogus=1\n")
            .unwrap_err();
        assert!(err.contains("bogus"), "{err}");
    }

    #[test]
    fn marks_never_match_a_detector() {
        let r = Redactor::new(Some("/home/alice"), Some("alice"));
        for mark in [SECRET_MARK, USER_MARK, EMAIL_MARK, "<org>"] {
            for ctx in [
                "{m}",
                "password={m}",
                "\"token\": \"{m}\"",
                "Authorization: {m}",
                "/home/{m}/x",
                "C:\\Users\\{m}\\x",
                "--token {m}",
                "{m}@example.net",
            ] {
                let s = ctx.replace("{m}", mark);
                assert_eq!(r.redact(&s), s.as_str(), "mark {mark} in {ctx}");
            }
        }
    }
}
