//! Intent: is a free text a failure report, or a feature request, a question or a change
//! log? Read from the title (the first line), the first lines and template headings. A text
//! that is not a report gets at most low-confidence matches, even when it quotes an error.
//! The cues are data: `rules/_vocab/intent.toml`, embedded in the binary.

use serde::Deserialize;
use std::sync::OnceLock;

/// What the text is, as far as its title and template say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// A failure report (the default).
    Report,
    /// A feature request or proposal.
    Request,
    /// A question.
    Question,
    /// A change log or release notes.
    Changelog,
}

impl Intent {
    /// Lower-case name, for notes.
    pub fn as_str(self) -> &'static str {
        match self {
            Intent::Report => "report",
            Intent::Request => "feature request",
            Intent::Question => "question",
            Intent::Changelog => "change log",
        }
    }
}

/// The intent cues, read from `rules/_vocab/intent.toml` (embedded in the binary).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cues {
    /// Title words of a request.
    pub request_title: Vec<String>,
    /// Headings of request templates.
    pub request_template: Vec<String>,
    /// How a question's title starts.
    pub question_title: Vec<String>,
    /// Title words of a change log.
    pub changelog_title: Vec<String>,
    /// Title words that make a text a failure report.
    pub failure_title: Vec<String>,
    /// Headings of bug-report templates.
    pub report_template: Vec<String>,
}

/// The cue file inside a rule folder.
pub const CUES_FILE: &str = "_vocab/intent.toml";

impl Cues {
    /// Parses a cue file (entries are lower-cased).
    pub fn parse(text: &str) -> Result<Cues, String> {
        let mut c: Cues = toml::from_str(text).map_err(|e| e.to_string())?;
        for list in [
            &mut c.request_title,
            &mut c.request_template,
            &mut c.question_title,
            &mut c.changelog_title,
            &mut c.failure_title,
            &mut c.report_template,
        ] {
            for w in list.iter_mut() {
                *w = w.to_lowercase();
            }
            list.retain(|w| !w.is_empty());
        }
        Ok(c)
    }

    /// The built-in cues (empty, so every text is a report, only if the embedded file were
    /// broken; a unit test keeps it parsing).
    pub fn builtin() -> &'static Cues {
        static C: OnceLock<Cues> = OnceLock::new();
        C.get_or_init(|| {
            crate::rules::builtin_support_files()
                .iter()
                .find(|(p, _)| p.ends_with(CUES_FILE))
                .and_then(|(_, t)| Cues::parse(t).ok())
                .unwrap_or_default()
        })
    }
}

fn any_in(words: &[String], hay: &str) -> bool {
    words.iter().any(|w| hay.contains(w.as_str()))
}

/// The text's title: its first non-blank line, without `#`, `Title:` and brackets.
fn title(text: &str) -> String {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let t = first.trim().trim_start_matches('#').trim();
    let t = t
        .strip_prefix("Title:")
        .or_else(|| t.strip_prefix("title:"))
        .unwrap_or(t);
    t.trim().to_lowercase()
}

/// The intent of `text`.
pub fn detect(text: &str) -> Intent {
    let t = title(text);
    let head: String = text
        .lines()
        .take(60)
        .collect::<Vec<_>>()
        .join("\n")
        .to_lowercase();
    let c = Cues::builtin();
    let failure_title = any_in(&c.failure_title, &t);
    let report_template = any_in(&c.report_template, &head);
    if any_in(&c.changelog_title, &t) || version_headings(text) >= 2 {
        return Intent::Changelog;
    }
    if !failure_title && any_in(&c.request_title, &t) {
        return Intent::Request;
    }
    if !failure_title && !report_template && any_in(&c.request_template, &head) {
        return Intent::Request;
    }
    if !failure_title
        && !report_template
        && c.question_title.iter().any(|w| t.starts_with(w.as_str()))
    {
        return Intent::Question;
    }
    Intent::Report
}

/// Headings that are version numbers (`## 1.0.5`, `## [1.0.5] - 2026-…`).
fn version_headings(text: &str) -> usize {
    text.lines()
        .filter(|l| {
            let t = l.trim();
            if !t.starts_with('#') {
                return false;
            }
            let h = t
                .trim_start_matches('#')
                .trim()
                .trim_start_matches(['[', 'v']);
            h.starts_with(|c: char| c.is_ascii_digit())
                && h.split(|c: char| !c.is_ascii_digit())
                    .filter(|s| !s.is_empty())
                    .count()
                    >= 2
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_cue_file_parses_and_is_complete() {
        let text = crate::rules::builtin_support_files()
            .iter()
            .find(|(p, _)| p.ends_with(CUES_FILE))
            .map(|(_, t)| *t)
            .expect("rules/_vocab/intent.toml is embedded");
        let c = Cues::parse(text).expect("intent.toml parses");
        for (name, list) in [
            ("request_title", &c.request_title),
            ("request_template", &c.request_template),
            ("question_title", &c.question_title),
            ("changelog_title", &c.changelog_title),
            ("failure_title", &c.failure_title),
            ("report_template", &c.report_template),
        ] {
            assert!(!list.is_empty(), "{name} is empty");
        }
    }

    #[test]
    fn titles_and_templates_decide() {
        assert_eq!(
            detect("Feature request: warn before the usage limit\n\nbody"),
            Intent::Request
        );
        assert_eq!(
            detect("Title: Add support for custom sandbox profiles\n"),
            Intent::Request
        );
        assert_eq!(
            detect("Title: Support for X fails with ENOENT\n"),
            Intent::Report,
            "a failure word in the title makes it a report"
        );
        assert_eq!(
            detect("# Changelog\n\n## 1.0.2\n- fixed\n"),
            Intent::Changelog
        );
        assert_eq!(
            detect("How do I use review with a proxy?\n"),
            Intent::Question
        );
        assert_eq!(
            detect("Review hangs\n\n### Steps to reproduce\n1. run\n"),
            Intent::Report
        );
    }
}
