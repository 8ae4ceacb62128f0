//! Intent: is a free text a failure report, or a feature request, a question or a change
//! log? Read from the title (the first line), the first lines and template headings. A text
//! that is not a report gets at most low-confidence matches, even when it quotes an error.

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

/// Title words of a request (lower case).
const REQUEST_TITLE: &[&str] = &[
    "feature request",
    "[feature",
    "feat:",
    "feat(",
    "enhancement",
    "proposal",
    "[rfc]",
    "rfc:",
    "suggestion",
    "request:",
    "add support",
    "support for ",
    "please add",
    "would be nice",
    "would be great",
    "allow ",
    "option to ",
    "ability to ",
    "make it possible",
    "expose ",
    "let users",
];

/// Headings of request templates (lower case).
const REQUEST_TEMPLATE: &[&str] = &[
    "is your feature request related",
    "describe the solution you'd like",
    "proposed solution",
    "feature description",
    "### motivation",
    "## motivation",
    "### proposal",
    "## proposal",
    "### use case",
];

/// Title words of a question (lower case, at the start).
const QUESTION_TITLE: &[&str] = &[
    "question:",
    "[question]",
    "how do i ",
    "how can i ",
    "how to ",
    "is it possible",
    "is there a way",
];

/// Words that say a title reports a failure (lower case).
const FAILURE_TITLE: &[&str] = &[
    "bug",
    "error",
    "fail",
    "crash",
    "broken",
    "not work",
    "doesn't work",
    "does not work",
    "hang",
    "stuck",
    "freez",
    "cannot",
    "can't",
    "unable",
    "exception",
    "panic",
    "denied",
    "regression",
    "timeout",
    "timed out",
    "never ",
    "invalid",
    "not found",
    "missing",
];

/// Headings of bug templates (lower case).
const REPORT_TEMPLATE: &[&str] = &[
    "steps to reproduce",
    "what happened",
    "actual behavior",
    "actual behaviour",
    "what steps can reproduce",
    "what issue are you seeing",
    "bug description",
];

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
    let failure_title = FAILURE_TITLE.iter().any(|w| t.contains(w));
    let report_template = REPORT_TEMPLATE.iter().any(|w| head.contains(w));
    if ["changelog", "change log", "release notes", "what's new"]
        .iter()
        .any(|w| t.contains(w))
        || version_headings(text) >= 2
    {
        return Intent::Changelog;
    }
    if !failure_title && REQUEST_TITLE.iter().any(|w| t.contains(w)) {
        return Intent::Request;
    }
    if !failure_title && !report_template && REQUEST_TEMPLATE.iter().any(|w| head.contains(w)) {
        return Intent::Request;
    }
    if !failure_title && !report_template && QUESTION_TITLE.iter().any(|w| t.starts_with(w)) {
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
