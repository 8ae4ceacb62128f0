//! Markdown that survives GitHub: escaping for text that a pasted issue body would otherwise
//! turn into HTML, notifications, cross-repository links, images or headings.
//!
//! Two kinds of text reach the Markdown body:
//! - **record text** (log lines, job ids, workspace slugs, error messages, normalised
//!   fingerprints): untrusted. It only ever goes into a code span ([`code`], [`cell_code`]) or
//!   a fenced block ([`fenced`]) whose fence is longer than any backtick run inside it, so no
//!   character of it is read as Markdown or HTML.
//! - **rule prose** (titles, descriptions, fixes, notes; written by rule authors, Markdown with
//!   code spans): rendered by [`prose`], which keeps its code spans and, outside them, escapes
//!   what GitHub would act on: `<tag>`-like text (GitHub drops unknown tags such as `<path>`),
//!   `&`, `@mentions` and team mentions (put in code spans, which never notify), bare `#123`
//!   (qualified as `owner/repo#123`, so the link is right whichever tracker the body is pasted
//!   in), images and links, and line starts that would make a heading or a rule.

use regex::{Captures, Regex};
use std::sync::LazyLock;

/// The repository a bare `#N` in rule prose refers to when the rule's references do not say:
/// the plugin's, which the catalogue is about.
pub const DEFAULT_REPO: &str = "openai/codex-plugin-cc";

/// The longest run of backticks in `s`.
fn longest_backtick_run(s: &str) -> usize {
    let (mut longest, mut run) = (0, 0);
    for c in s.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    longest
}

/// Makes control characters visible (`\x1b`, `\r`): they have no business in a pasted body and
/// some renderers act on them. Tabs stay; newlines stay only when `keep_newlines`.
fn visible_controls(s: &str, keep_newlines: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' => out.push(c),
            '\n' if keep_newlines => out.push(c),
            '\n' => out.push(' '),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            // Bidirectional overrides reorder what a reader sees (Trojan Source).
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
                out.push_str(&format!("\\u{{{:04x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// Record text as an inline code span, on one line, verbatim otherwise.
pub fn code(text: &str) -> String {
    let t = visible_controls(text.trim_end(), false);
    if t.trim().is_empty() {
        return "_(empty)_".into();
    }
    let fence = "`".repeat(longest_backtick_run(&t) + 1);
    // A span that starts or ends with a backtick needs a space of padding (CommonMark strips
    // one space on each side when both are present).
    let pad = t.starts_with('`') || t.ends_with('`') || (t.starts_with(' ') && t.ends_with(' '));
    if pad {
        format!("{fence} {t} {fence}")
    } else {
        format!("{fence}{t}{fence}")
    }
}

/// Record text as a code span inside a table cell: GFM splits cells on `|` before it parses
/// code spans, so pipes are escaped (and shown as `|`).
pub fn cell_code(text: &str) -> String {
    code(text).replace('|', "\\|")
}

/// Record text as a fenced block with info string `info`.
pub fn fenced(body: &str, info: &str) -> String {
    let body = visible_controls(body.trim_end_matches('\n'), true);
    let fence = "`".repeat((longest_backtick_run(&body) + 1).max(3));
    format!("{fence}{info}\n{body}\n{fence}\n")
}

static MENTION: LazyLock<Regex> = LazyLock::new(|| {
    // `@user`, `@org/team`; not the middle of an e-mail address (checked by the caller).
    Regex::new(r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:/[A-Za-z0-9][A-Za-z0-9_.-]*)?")
        .expect("valid regex")
});
static BARE_REF: LazyLock<Regex> = LazyLock::new(|| {
    // `owner/repo#N` is fine as is; `#N` alone, `GH-N` are not.
    Regex::new(r"(?:[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)?#(\d+)\b|\bGH-(\d+)\b").expect("valid regex")
});

/// The repository a bare `#n` means: the one among `refs` that has issue `n`, else
/// [`DEFAULT_REPO`].
fn repo_for(n: &str, refs: &[String]) -> String {
    let mut repos = refs.iter().filter_map(|r| {
        let (repo, num) = r.split_once('#')?;
        let num: String = num.chars().take_while(char::is_ascii_digit).collect();
        (num == n).then_some(repo)
    });
    match (repos.next(), repos.next()) {
        (Some(one), None) => one.to_string(),
        _ => DEFAULT_REPO.to_string(),
    }
}

/// Escapes one stretch of prose that holds no code span.
fn escape_plain(s: &str, refs: &[String]) -> String {
    // Character-level escapes first: HTML, entities, images and links, emphasis-free.
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // `[text](url)`, `![img](url)` and reference links all start with `[`.
            '[' => out.push_str("\\["),
            ']' => out.push_str("\\]"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    let out = BARE_REF.replace_all(&out, |c: &Captures| {
        let whole = &c[0];
        // Already qualified, or part of an entity (`&#60;` never appears: `&` was escaped).
        if whole.contains('/') {
            return whole.to_string();
        }
        let n = c
            .get(1)
            .or_else(|| c.get(2))
            .map(|m| m.as_str())
            .unwrap_or("");
        format!("{}#{n}", repo_for(n, refs))
    });
    let mut res = String::with_capacity(out.len());
    let mut last = 0;
    for m in MENTION.find_iter(&out) {
        let before = out[..m.start()].chars().next_back();
        // `dev@example.com` is an address, not a mention.
        if before.is_some_and(|b| b.is_alphanumeric() || b == '`' || b == '_' || b == '.') {
            continue;
        }
        res.push_str(&out[last..m.start()]);
        res.push('`');
        res.push_str(m.as_str());
        res.push('`');
        last = m.end();
    }
    res.push_str(&out[last..]);
    res
}

/// Splits prose into (is_code, text) segments by CommonMark code-span rules: a run of N
/// backticks opens a span that the next run of exactly N closes; an unmatched run is text.
fn segments(s: &str) -> Vec<(bool, &str)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut text_start = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'`' {
            i += 1;
            continue;
        }
        let open = i;
        while i < b.len() && b[i] == b'`' {
            i += 1;
        }
        let n = i - open;
        // Find a closing run of exactly n.
        let mut j = i;
        let mut close = None;
        while j < b.len() {
            if b[j] == b'`' {
                let k = j;
                while j < b.len() && b[j] == b'`' {
                    j += 1;
                }
                if j - k == n {
                    close = Some((k, j));
                    break;
                }
            } else {
                j += 1;
            }
        }
        if let Some((_, end)) = close {
            if open > text_start {
                out.push((false, &s[text_start..open]));
            }
            out.push((true, &s[open..end]));
            text_start = end;
            i = end;
        }
    }
    if text_start < s.len() {
        out.push((false, &s[text_start..]));
    }
    out
}

/// Rule prose: code spans kept, everything else escaped (see the module notes). `refs` are
/// the rule's references, used to qualify a bare `#N`.
pub fn prose(text: &str, refs: &[String]) -> String {
    let text = visible_controls(text, true);
    let mut out = String::with_capacity(text.len() + 16);
    for (is_code, seg) in segments(&text) {
        if is_code {
            // A code span may not hold a blank line; keep it on one line.
            out.push_str(&seg.replace('\n', " "));
        } else {
            out.push_str(&escape_plain(seg, refs));
        }
    }
    // Line starts that would open a heading, a quote, an HTML block or a thematic break.
    out.lines()
        .map(|l| {
            let t = l.trim_start();
            let indent = &l[..l.len() - t.len()];
            let starts_block = t.starts_with('#')
                || t.starts_with('=')
                || (t.starts_with("---") && t.chars().all(|c| c == '-' || c == ' '))
                || (t.starts_with("***") && t.chars().all(|c| c == '*' || c == ' '));
            let indent = if indent.len() >= 4 { "" } else { indent };
            if starts_block {
                format!("{indent}\\{t}")
            } else {
                format!("{indent}{t}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_hold_any_backticks() {
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(code("two\nlines"), "`two lines`");
        assert_eq!(code("esc \x1b[2J"), "`esc \\x1b[2J`");
        assert_eq!(code("  "), "_(empty)_");
        assert_eq!(cell_code("a|b"), "`a\\|b`");
    }

    #[test]
    fn fences_are_longer_than_any_run_inside() {
        let f = fenced("x\n````\ny", "text");
        assert!(f.starts_with("`````text\n"));
        assert!(f.ends_with("\n`````\n"));
        assert!(fenced("plain", "").starts_with("```\n"));
    }

    #[test]
    fn prose_escapes_outside_code_spans() {
        let refs = vec!["openai/codex#20570".to_string()];
        assert_eq!(
            prose("run `ps -p <pid>` then see <path> & #20570, PR #178", &refs),
            "run `ps -p <pid>` then see &lt;path&gt; &amp; openai/codex#20570, PR openai/codex-plugin-cc#178"
        );
        assert_eq!(
            prose("ask @octocat or @org/team", &[]),
            "ask `@octocat` or `@org/team`"
        );
        assert_eq!(prose("mail dev@example.com", &[]), "mail dev@example.com");
        assert_eq!(prose("owner/repo#12 stays", &[]), "owner/repo#12 stays");
        assert_eq!(
            prose("![x](https://t.example/p.png)", &[]),
            "!\\[x\\](https://t.example/p.png)"
        );
        assert_eq!(
            prose("a\n# not a heading\n---", &[]),
            "a\n\\# not a heading\n\\---"
        );
        assert_eq!(
            prose("unclosed ` tick <b>", &[]),
            "unclosed ` tick &lt;b&gt;"
        );
    }
}
