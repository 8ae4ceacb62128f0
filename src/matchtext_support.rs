//! Helpers for free-text classification: what kind of text each line of a pasted report is.
//!
//! `triage match` must not fire on text that merely *talks about* a failure: a feature
//! request about usage limits, a question about the sandbox, a changelog that names the error
//! it fixed, the "distinct from #57" paragraph of a bug report, or the same error string
//! printed by an unrelated tool (npm, docker). [`analyse`] gives every line a
//! [`LineRole`]: lines that show output (code fences, log prefixes, `[codex]` stderr) count as
//! evidence; prose counts too, with less weight, unless its paragraph, its section or the
//! whole document is a mention (cue words below); output printed under another tool's shell
//! prompt never counts.

/// Whether a line of an issue body looks like tool output rather than prose: a log
/// timestamp, a `[codex]` prefix, an indented code line, a JSON fragment, an error prefix.
pub fn is_loglike(raw: &str) -> bool {
    let t = raw.trim_start_matches(['>', ' ']);
    raw.starts_with("    ")
        || raw.starts_with('\t')
        || t.starts_with("[codex]")
        || crate::log::split_timestamp(t.as_bytes()).is_some()
        || t.starts_with('{')
        || t.starts_with('"')
        || t.starts_with("Error")
        || t.starts_with("ERROR")
        || t.starts_with("error:")
        || t.starts_with("Command ")
        || t.starts_with("Codex error")
}

/// What a line of free text is, for matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineRole {
    /// A fence marker, a blank line or a heading: never matched.
    Skip,
    /// Output: inside a code fence, or log-like. Full weight.
    Output,
    /// Prose that may describe the failure the reporter has. Reduced weight.
    Prose,
    /// Prose that only talks about a failure (a request, a question, a changelog entry, a
    /// comparison with another issue). Not evidence.
    Mention,
    /// Output of another tool (under a `$ npm …` / `$ docker …` prompt, `npm ERR!`). Not
    /// evidence for the plugin's signatures.
    Foreign,
}

impl LineRole {
    /// Whether matches on this line count.
    pub fn counts(self) -> bool {
        matches!(self, LineRole::Output | LineRole::Prose)
    }
}

/// Phrases that make a prose paragraph a mention rather than a report (lower case).
const MENTION_CUES: &[&str] = &[
    // comparison with other issues
    "distinct from",
    "not a duplicate",
    "not the same as",
    "different from",
    "unlike ",
    "duplicate of",
    "similar to",
    "see also",
    "related:",
    "not related to",
    // "this is not #277", "isn't #57": a comparison with another issue
    "not #",
    "isn't #",
    // change logs, release notes, fixed issues
    "which fixes",
    "this fixes",
    "fixes `",
    "fixed in ",
    "fixed by ",
    "documented ",
    // requests, questions, hypotheticals
    "feature request",
    "please add",
    "would be great",
    "would be nice",
    "it would be",
    "would like",
    "i'd like",
    "wondering",
    "i read that",
    "not sure whether",
    "not sure if",
    // Hedges such as "might" or "could be" are left out on purpose: real reports use them
    // ("it might be PATH related") and dropping their evidence costs more than it saves.
    "is there a way",
    "suggest",
];

/// Headings (lower case) whose whole section is a mention.
const SECTION_CUES: &[&str] = &[
    "duplicate",
    "distinct",
    "related",
    "similar",
    "see also",
    "alternatives",
    "proposal",
    "proposed",
    "feature",
    "motivation",
];

/// First-heading / title words (lower case) that make every prose line of the document a
/// mention: change logs, release notes, feature requests, questions.
const DOCUMENT_CUES: &[&str] = &[
    "changelog",
    "change log",
    "release notes",
    "what's new",
    "feature request",
    "[feature]",
    "enhancement",
    "question",
];

/// A shell prompt: `$ cmd`, `❯ cmd`, `PS C:\x> cmd`, `C:\x> cmd`. Returns the command line.
fn prompt_command(line: &str) -> Option<&str> {
    let t = line.trim_start();
    if let Some(r) = t.strip_prefix("$ ").or_else(|| t.strip_prefix("❯ ")) {
        return Some(r);
    }
    let rest = t.strip_prefix("PS ").unwrap_or(t);
    let b = rest.as_bytes();
    if b.len() > 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'\\' {
        let gt = rest.find('>')?;
        return Some(rest[gt + 1..].trim_start());
    }
    None
}

/// Whether a command line runs the plugin, Codex or Claude Code.
fn is_codex_command(cmd: &str) -> bool {
    let c = cmd.to_ascii_lowercase();
    c.contains("codex") || c.contains("claude")
}

/// A line another tool printed by its own prefix, whatever the context.
fn is_foreign_prefix(t: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "npm ERR!",
        "npm error ",
        "npm warn ",
        "yarn error ",
        "pnpm ERR",
        "Error response from daemon:",
        "docker: ",
        "fatal: ",
        "remote: ",
        "pip: ",
        "ERROR: Could not",
    ];
    PREFIXES.iter().any(|p| t.starts_with(p))
}

fn is_heading(t: &str) -> bool {
    let h = t.trim_start_matches('#');
    h.len() < t.len() && t.len() - h.len() <= 6 && (h.is_empty() || h.starts_with(' '))
}

fn is_list_item(t: &str) -> bool {
    let t = t.trim_start_matches('>').trim_start();
    if t.starts_with("- ") || t.starts_with("* ") || t.starts_with("+ ") {
        return true;
    }
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && (t[digits..].starts_with(". ") || t[digits..].starts_with(") "))
}

fn has_cue(text_lower: &str, cues: &[&str]) -> bool {
    cues.iter().any(|c| text_lower.contains(c))
}

/// Which lines of one prose paragraph are a mention: a cue makes its own sentence a
/// mention (the sentence may run over several lines), and a line is a mention when every
/// sentence it has a part of is. So "… stays `running`. Distinct from #391 (…) and" keeps
/// the report's first sentence as evidence while the comparison that follows is dropped.
fn mention_lines(para: &[&str]) -> Vec<bool> {
    // The paragraph joined, with each line's byte range.
    let mut joined = String::new();
    let mut ranges = Vec::with_capacity(para.len());
    for l in para {
        if !joined.is_empty() {
            joined.push(' ');
        }
        let start = joined.len();
        joined.push_str(&l.to_ascii_lowercase());
        ranges.push(start..joined.len());
    }
    // Sentence ranges: a break after `.`, `?`, `!` or `;` followed by whitespace, where the
    // character before is not a digit (`v1.0. `, `1. ` list numbers stay inside).
    let bytes = joined.as_bytes();
    let mut sentences = Vec::new();
    let mut from = 0;
    for i in 1..bytes.len() {
        let brk = matches!(bytes[i - 1], b'.' | b'?' | b'!' | b';')
            && bytes[i].is_ascii_whitespace()
            && !(i >= 2 && bytes[i - 2].is_ascii_digit());
        if brk {
            sentences.push((from..i, has_cue(&joined[from..i], MENTION_CUES)));
            from = i;
        }
    }
    sentences.push((from..joined.len(), has_cue(&joined[from..], MENTION_CUES)));
    ranges
        .iter()
        .map(|r| {
            let mut touched = sentences.iter().filter(|(s, _)| {
                s.start < r.end && r.start < s.end && !joined[s.clone()].trim().is_empty()
            });
            let mut any = false;
            let all = touched.all(|(s, m)| {
                // Only the part of the sentence on this line decides whether it touches it.
                let lo = s.start.max(r.start);
                let hi = s.end.min(r.end);
                let part = joined[lo..hi].trim();
                any |= !part.is_empty() && !part.chars().all(|c| c.is_ascii_punctuation());
                *m || part.is_empty() || part.chars().all(|c| c.is_ascii_punctuation())
            });
            all && any
        })
        .collect()
}

/// Whether the document as a whole only talks about failures: its title (first heading or
/// first line) names a change log, release notes, a feature request or a question, or it
/// has at least two version headings (`## 1.0.5`, `## [1.0.5] - 2026-…`).
fn document_is_mention(lines: &[&str]) -> bool {
    let mut in_fence = false;
    let mut first = None;
    let mut version_headings = 0;
    for l in lines {
        let t = l.trim();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence || t.is_empty() {
            continue;
        }
        if first.is_none() {
            first = Some(t.to_ascii_lowercase());
        }
        if is_heading(t) {
            let h = t
                .trim_start_matches('#')
                .trim()
                .trim_start_matches(['[', 'v']);
            if h.split(|c: char| !c.is_ascii_digit())
                .filter(|s| !s.is_empty())
                .count()
                >= 2
                && h.starts_with(|c: char| c.is_ascii_digit())
            {
                version_headings += 1;
            }
        }
    }
    version_headings >= 2
        || first
            .as_deref()
            .is_some_and(|f| DOCUMENT_CUES.iter().any(|c| f.contains(c)))
}

/// The role of every line of `text` (as split by `str::lines`).
pub fn analyse(text: &str) -> Vec<LineRole> {
    let lines: Vec<&str> = text.lines().collect();
    let doc_mention = document_is_mention(&lines);
    let mut roles = vec![LineRole::Skip; lines.len()];
    let mut in_fence = false;
    let mut foreign = false;
    let mut section_mention = false;
    // Prose paragraph being collected: its line indexes.
    let mut para: Vec<usize> = Vec::new();
    let flush = |para: &mut Vec<usize>, roles: &mut [LineRole], section: bool| {
        if para.is_empty() {
            return;
        }
        let whole = doc_mention || section;
        let mentions = if whole {
            vec![true; para.len()]
        } else {
            mention_lines(&para.iter().map(|&i| lines[i]).collect::<Vec<_>>())
        };
        for (&i, mention) in para.iter().zip(mentions) {
            if roles[i] == LineRole::Prose && mention {
                roles[i] = LineRole::Mention;
            }
        }
        para.clear();
    };
    for (i, raw) in lines.iter().enumerate() {
        let t = raw.trim();
        let unquoted = t.trim_start_matches(['>', ' ']);
        if t.starts_with("```") || t.starts_with("~~~") {
            flush(&mut para, &mut roles, section_mention);
            in_fence = !in_fence;
            foreign = false;
            continue;
        }
        if !in_fence && (t.is_empty() || unquoted.is_empty()) {
            flush(&mut para, &mut roles, section_mention);
            continue;
        }
        if !in_fence && is_heading(t) {
            flush(&mut para, &mut roles, section_mention);
            section_mention = has_cue(&t.to_ascii_lowercase(), SECTION_CUES);
            foreign = false;
            // An issue title often names the error ("# spawn codex ENOENT on Windows"): it
            // counts as prose of its own, unless it heads a mention section.
            if !section_mention {
                roles[i] = LineRole::Prose;
                para.push(i);
                flush(&mut para, &mut roles, section_mention);
            }
            continue;
        }
        if let Some(cmd) = prompt_command(unquoted) {
            foreign = !is_codex_command(cmd);
            roles[i] = LineRole::Skip;
            continue;
        }
        if foreign || is_foreign_prefix(unquoted) {
            roles[i] = LineRole::Foreign;
            continue;
        }
        if in_fence || is_loglike(raw) {
            flush(&mut para, &mut roles, section_mention);
            roles[i] = LineRole::Output;
            continue;
        }
        if is_list_item(t) {
            flush(&mut para, &mut roles, section_mention);
        }
        roles[i] = LineRole::Prose;
        para.push(i);
    }
    flush(&mut para, &mut roles, section_mention);
    roles
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_are_recognised() {
        assert!(is_loglike("[codex] Command failed: x (exit -1)"));
        assert!(is_loglike("> [2026-11-26T13:16:35.549Z] Turn started (t)."));
        assert!(is_loglike("    at spawn (node:internal)"));
        assert!(!is_loglike(
            "I think the usage limit setting should be configurable."
        ));
    }

    #[test]
    fn a_comparison_cue_drops_only_its_own_sentence() {
        let para = [
            "the companion never exits, and the job record stays at",
            "`status: \"running\"` with `pid: null`. Distinct from #391 (Codex drops",
            "terminal events): here an error arrives and is discarded.",
        ];
        // line 2 still carries the report's sentence; line 3 is only the comparison
        assert_eq!(mention_lines(&para), vec![false, false, true]);
        assert_eq!(
            mention_lines(&["This is similar to #57, the same Initializing hang."]),
            vec![true]
        );
        assert_eq!(
            mention_lines(&["Codex hangs at Initializing.", "See also #57."]),
            vec![false, true]
        );
    }

    fn roles(text: &str) -> Vec<LineRole> {
        analyse(text)
    }

    #[test]
    fn fenced_output_counts_and_comparison_paragraphs_do_not() {
        let r = roles(
            "It fails every time.\n\n```\nwindows sandbox: runner error\n```\n\n### Not a duplicate\n\nUnlike #57 the commands are not blocked by policy.\n",
        );
        assert_eq!(r[0], LineRole::Prose);
        assert_eq!(r[3], LineRole::Output);
        assert_eq!(r[8], LineRole::Mention);
    }

    #[test]
    fn cue_in_one_paragraph_does_not_leak_into_the_next() {
        let r = roles("This is distinct from #277\nand from #57.\n\nThe job fails with X.\n");
        assert_eq!(r[0], LineRole::Mention);
        assert_eq!(r[1], LineRole::Mention);
        assert_eq!(r[3], LineRole::Prose);
        // list items are paragraphs of their own
        let r = roles("- this fixes `ENOBUFS`\n- fails with spawn codex ENOENT\n");
        assert_eq!(r, vec![LineRole::Mention, LineRole::Prose]);
    }

    #[test]
    fn change_logs_and_requests_are_mentions_throughout() {
        let r = roles("# Changelog\n\n## 1.0.2\n\n- Fixed spawn codex ENOENT on Windows.\n");
        assert_eq!(r[4], LineRole::Mention);
        let r = roles("## Release 2\n\n## 1.0.5\n\nFixed X.\n\n## 1.0.4\n\nFixed Y.\n");
        assert_eq!(r[4], LineRole::Mention);
        let r = roles("Feature request: warn before the usage limit\n\nShow it in status.\n");
        assert_eq!(r[2], LineRole::Mention);
        // but output pasted into such a document still counts
        let r = roles("Question: why this?\n\n```\nError: spawn codex ENOENT\n```\n");
        assert_eq!(r[3], LineRole::Output);
    }

    #[test]
    fn other_tools_output_is_foreign() {
        let r = roles(
            "$ docker push x\nError: 401 Unauthorized\nPS C:\\repo> codex exec hi\nError: 401 Unauthorized\nnpm ERR! enoent spawn vite ENOENT\n",
        );
        assert_eq!(
            r,
            vec![
                LineRole::Skip,
                LineRole::Foreign,
                LineRole::Skip,
                LineRole::Output,
                LineRole::Foreign
            ]
        );
        // a prompt inside a fence ends with the fence
        let r = roles("```\n$ npm test\nfailed\n```\nError: x\n");
        assert_eq!(r[2], LineRole::Foreign);
        assert_eq!(r[4], LineRole::Output);
        assert!(!LineRole::Foreign.counts() && !LineRole::Mention.counts());
        assert!(LineRole::Prose.counts() && LineRole::Output.counts());
    }

    #[test]
    fn titles_and_hedged_reports_still_count() {
        let roles = analyse(
            "# spawn codex ENOENT on Windows\n\nIt might be a PATH problem: spawn codex ENOENT\n\n## Related\n\nspawn codex ENOENT in #46\n",
        );
        assert_eq!(roles[0], LineRole::Prose, "an issue title names the error");
        assert_eq!(
            roles[2],
            LineRole::Prose,
            "a hedge does not turn a report into a mention"
        );
        assert_eq!(
            roles[6],
            LineRole::Mention,
            "a Related section only mentions"
        );
    }
}
