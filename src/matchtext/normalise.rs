//! Normalisation of free text before matching: every raw line becomes one or more
//! *segments* of clean text (quote markers, list bullets, prompt and TUI prefixes, inline
//! markdown dropped; JSON and HTML escapes decoded; typographic quotes folded to ASCII), and
//! neighbouring segments of one block are offered to the matcher joined, so a message that a
//! terminal or a reporter hard-wrapped still matches.

use super::normalise_line;
use crate::matchtext_support::{LineRole, analyse};

/// One piece of clean text, from one raw line.
#[derive(Debug, Clone)]
pub struct Segment {
    /// 1-based raw line it came from.
    pub line: u64,
    /// The cleaned text matched.
    pub text: String,
    /// The raw line's role.
    pub role: LineRole,
    /// Paragraph / fence block number: joins never cross blocks.
    pub block: usize,
}

/// Splits and cleans `text` into segments; lines that are blank after cleaning are dropped.
pub fn segments(text: &str) -> Vec<Segment> {
    let roles = analyse(text);
    let mut out = Vec::new();
    let mut block = 0usize;
    let mut in_fence = false;
    for (i, (raw, role)) in text.lines().zip(roles).enumerate() {
        let t = raw.trim();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
            block += 1;
            continue;
        }
        if t.trim_start_matches(['>', ' ']).is_empty() || (!in_fence && t.starts_with('#')) {
            block += 1;
            if t.is_empty() || t.trim_start_matches(['>', ' ']).is_empty() {
                continue;
            }
        }
        for piece in split_escaped_newlines(raw) {
            let clean = clean(piece);
            if clean.is_empty() {
                continue;
            }
            out.push(Segment {
                line: i as u64 + 1,
                text: clean,
                role,
                block,
            });
        }
        if role == LineRole::Skip && !in_fence {
            block += 1;
        }
    }
    out
}

/// A JSON string pasted raw carries its line breaks as `\n`: split there (only on lines
/// that look like JSON, so a Windows path such as `C:\new` stays whole).
fn split_escaped_newlines(raw: &str) -> Vec<&str> {
    let jsonish = raw.contains('"') && (raw.contains("\\n") || raw.contains("\\r\\n"));
    if !jsonish {
        return vec![raw];
    }
    let mut out = Vec::new();
    let mut rest = raw;
    while let Some(i) = rest.find("\\n") {
        let piece = rest[..i].strip_suffix("\\r").unwrap_or(&rest[..i]);
        out.push(piece);
        rest = &rest[i + 2..];
    }
    out.push(rest);
    out
}

/// Cleans one line: decodes escapes, folds typography, drops wrappers.
pub fn clean(raw: &str) -> String {
    let decoded = decode(raw);
    let mut s = strip_wrappers(&decoded);
    // Emphasis markers say nothing about the message. Code-span backticks stay: messages
    // quote names in backticks themselves (`unknown variant `xhigh``).
    s = s.replace("**", "");
    // Runs of blanks (terminal indentation, alignment) become one space.
    let mut out = String::with_capacity(s.len());
    let mut blank = false;
    for c in s.chars() {
        if c.is_whitespace() {
            if !blank && !out.is_empty() {
                out.push(' ');
            }
            blank = true;
        } else {
            out.push(c);
            blank = false;
        }
    }
    out.trim_end().to_string()
}

/// Drops what wraps a message on a line: quote markers, `[codex]`, timestamps, list bullets,
/// TUI glyphs (`│ ■ ⎿ └ • ✗ ⚠`), shell prompts, repeatedly.
fn strip_wrappers(line: &str) -> String {
    let mut s: &str = line;
    loop {
        let before = s.len();
        s = normalise_line(s);
        s = s.trim_start_matches([
            '│', '┃', '|', '■', '▌', '⎿', '└', '├', '•', '●', '⏺', '✗', '✘', '×', '⚠', '❌', '❗',
            '▶', '→',
        ]);
        for b in ["- ", "* ", "+ ", "-> ", "=> "] {
            if let Some(r) = s.strip_prefix(b) {
                s = r;
            }
        }
        s = s.trim_start_matches('\u{fe0f}').trim_start();
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0
            && digits < 3
            && (s[digits..].starts_with(". ") || s[digits..].starts_with(") "))
        {
            s = s[digits + 1..].trim_start();
        }
        if let Some(r) = s.strip_prefix("$ ").or_else(|| s.strip_prefix("❯ ")) {
            s = r;
        }
        if let Some(r) = windows_prompt(s) {
            s = r;
        }
        if s.len() == before {
            break;
        }
    }
    s.trim().to_string()
}

/// `PS C:\repo> cmd` or `C:\repo> cmd`: the command.
fn windows_prompt(s: &str) -> Option<&str> {
    let rest = s.strip_prefix("PS ").unwrap_or(s);
    let b = rest.as_bytes();
    if b.len() > 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'\\' {
        let gt = rest.find('>')?;
        // A path followed by `>` and nothing path-like before it.
        if rest[..gt].contains(' ') && !s.starts_with("PS ") {
            return None;
        }
        return Some(rest[gt + 1..].trim_start());
    }
    None
}

/// After an ESC: skips a `[ … letter` control sequence (an ANSI colour code).
fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    if chars.peek() == Some(&'[') {
        chars.next();
        for n in chars.by_ref() {
            if n.is_ascii_alphabetic() {
                break;
            }
        }
    }
}

/// Decodes ANSI colour codes, JSON string escapes, HTML entities and typographic quotes.
pub fn decode(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_csi(&mut chars),
            '\\' => match chars.peek().copied() {
                Some('"') => {
                    chars.next();
                    out.push('"');
                }
                Some('\\') => {
                    chars.next();
                    out.push('\\');
                }
                Some('t') => {
                    chars.next();
                    out.push(' ');
                }
                Some('u') => {
                    let mut look = chars.clone();
                    look.next();
                    let hex: String = look.by_ref().take(4).collect();
                    match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                        Some(d) if hex.len() == 4 => {
                            chars = look;
                            if d == '\u{1b}' {
                                // `\u001b[31m`: skip the colour code.
                                skip_csi(&mut chars);
                            } else {
                                out.push(fold(d));
                            }
                        }
                        _ => out.push('\\'),
                    }
                }
                _ => out.push('\\'),
            },
            '&' => {
                let rest: String = chars.clone().take(7).collect();
                let ents = [
                    ("quot;", '"'),
                    ("#39;", '\''),
                    ("#x27;", '\''),
                    ("apos;", '\''),
                    ("amp;", '&'),
                    ("lt;", '<'),
                    ("gt;", '>'),
                    ("nbsp;", ' '),
                ];
                match ents.iter().find(|(e, _)| rest.starts_with(e)) {
                    Some((e, ch)) => {
                        for _ in 0..e.chars().count() {
                            chars.next();
                        }
                        out.push(*ch);
                    }
                    None => out.push('&'),
                }
            }
            c => out.push(fold(c)),
        }
    }
    out
}

/// Typographic characters to their ASCII forms.
fn fold(c: char) -> char {
    match c {
        '\u{2018}' | '\u{2019}' | '\u{201b}' | '\u{2032}' | '\u{ff07}' => '\'',
        '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{ff02}' => '"',
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2212}' => '-',
        '\u{a0}' | '\u{2007}' | '\u{202f}' | '\u{3000}' => ' ',
        '\u{ff1a}' => ':',
        c => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_typography_and_wrappers_are_normalised() {
        assert_eq!(
            clean(r#"  > - **Error:** spawn codex ENOENT \u0027x\u0027"#),
            "Error: spawn codex ENOENT 'x'"
        );
        assert_eq!(clean("│ ■ stream disconnected"), "stream disconnected");
        assert_eq!(
            clean("Your refresh token was already used\u{2019}s"),
            "Your refresh token was already used's"
        );
        assert_eq!(clean("\u{1b}[31merror\u{1b}[0m: boom"), "error: boom");
        assert_eq!(clean("PS C:\\repo> codex exec hi"), "codex exec hi");
        assert_eq!(clean("&quot;model&quot; not found"), "\"model\" not found");
        assert_eq!(clean("1. step one"), "step one");
    }

    #[test]
    fn json_newlines_split_and_blocks_separate_paragraphs() {
        let s = segments("{\"message\": \"line one\\nline two\"}\n\nnext para\n");
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].line, 1);
        assert_eq!(s[1].line, 1);
        assert!(s[1].text.starts_with("line two"));
        assert_ne!(s[1].block, s[2].block);
        // a Windows path is not split
        let s = segments("C:\\new\\codex.exe failed\n");
        assert_eq!(s.len(), 1);
    }
}
