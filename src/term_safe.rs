//! Terminal-safe text: record and input text printed to a terminal has its control
//! characters made visible, the way `git` and `ls` quote names, so that a crafted record
//! cannot clear the screen, recolour it, set the window title, plant an OSC 8 hyperlink,
//! or overwrite what was printed with backspaces and carriage returns.
//!
//! `ESC` is shown as `\e` (so `\e[2J`), the usual C escapes as `\a \b \f \v \r`, other C0
//! characters and DEL as `\xNN`, C1 characters and the Unicode bidirectional overrides
//! (which reorder what a terminal shows) as `\u{NNNN}`. JSON output keeps text exact: JSON
//! escapes control characters itself.

use std::borrow::Cow;

/// Whether a character must be shown escaped (tab and newline are decided by the caller).
fn is_unsafe(c: char) -> bool {
    matches!(c, '\0'..='\x1f' | '\x7f' | '\u{80}'..='\u{9f}')
        || matches!(
            c,
            '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\x1b' => out.push_str("\\e"),
        '\x07' => out.push_str("\\a"),
        '\x08' => out.push_str("\\b"),
        '\x0c' => out.push_str("\\f"),
        '\x0b' => out.push_str("\\v"),
        '\r' => out.push_str("\\r"),
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
        c => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
    }
}

fn escape(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    let needs = |c: char| is_unsafe(c) && !(c == '\t' || (keep_newlines && c == '\n'));
    let Some(first) = s.find(needs) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str(&s[..first]);
    let mut chars = s[first..].chars().peekable();
    while let Some(c) = chars.next() {
        // A CR that ends a line (CRLF) is harmless: drop it rather than show `\r`.
        if keep_newlines && c == '\r' && chars.peek() == Some(&'\n') {
            continue;
        }
        if needs(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Multi-line text (a report, a timeline, a message block): newlines and tabs stay, every
/// other control character is shown escaped; CRLF line ends become LF.
pub fn block(s: &str) -> Cow<'_, str> {
    escape(s, true)
}

/// One-line text (a file name, a job id, a warning): newlines are shown as `\n` too, so
/// that a name cannot forge a line of its own. Tabs stay.
pub fn line(s: &str) -> Cow<'_, str> {
    escape(s, false)
}

/// Whether `s` holds a byte that [`block`] would escape (for tests of output).
pub fn has_control(s: &str) -> bool {
    s.chars().any(|c| is_unsafe(c) && c != '\n' && c != '\t')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escape_sequences_are_visible() {
        assert_eq!(block("a\x1b[2Jb"), "a\\e[2Jb");
        assert_eq!(block("\x1b]0;title\x07"), "\\e]0;title\\a");
        assert_eq!(
            block("\x1b]8;;http://evil\x1b\\x\x1b]8;;\x1b\\"),
            "\\e]8;;http://evil\\e\\x\\e]8;;\\e\\"
        );
        assert_eq!(block("abc\x08\x08X"), "abc\\b\\bX");
        assert_eq!(block("ok\rFAKE"), "ok\\rFAKE");
        assert_eq!(block("\u{9b}31m"), "\\u{009b}31m");
        assert_eq!(block("\x7f\x00"), "\\x7f\\x00");
        assert_eq!(block("a\u{202e}b"), "a\\u{202e}b");
    }

    #[test]
    fn newlines_and_tabs() {
        assert_eq!(block("a\n\tb\r\n"), "a\n\tb\n");
        assert!(matches!(block("plain\ntext"), Cow::Borrowed(_)));
        assert_eq!(line("job\nfake line"), "job\\nfake line");
        assert_eq!(line("a\tb"), "a\tb");
    }

    proptest! {
        #[test]
        fn no_control_survives(s in "\\PC*|[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}a-z]{0,40}") {
            let b = block(&s);
            prop_assert!(!has_control(&b));
            let l = line(&s);
            prop_assert!(!has_control(&l) && !l.contains('\n'));
        }
    }
}
