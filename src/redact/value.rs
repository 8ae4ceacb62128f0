//! Reading a secret's extent and judging whether it is one: the parts of redaction that a
//! regex without look-around cannot express.

use super::detectors::Extent;

/// Values of `key=value` pairs that are placeholders or literals, not secrets.
const NON_SECRET_VALUES: &[&str] = &[
    "bearer",
    "basic",
    "false",
    "none",
    "null",
    "nil",
    "redacted",
    "true",
    "undefined",
    "required",
    "optional",
    "missing",
    "invalid",
    "empty",
];

/// Characters that end a bare (unquoted) value: the delimiters of URLs, JSON and shell.
fn ends_bare(c: char) -> bool {
    c.is_whitespace() || matches!(c, ',' | ';' | '&' | '<' | '>' | ')' | ']' | '}' | '|')
}

/// The byte range of the value that starts at `start`, opened by `quote` (`"`, `\"`, `'`
/// or nothing): the value runs to its closing quote (backslash escapes honoured; for a
/// JSON-escaped `\"` the closing `\"` is one whose backslash run is 1 mod 4), or for a
/// bare value to the first delimiter. `Extent::Line` takes the rest of the line instead
/// of one word. A value never crosses a line break.
pub fn extent(hay: &str, start: usize, quote: &str, mode: Extent) -> (usize, usize) {
    let b = hay.as_bytes();
    let line_end = hay[start..]
        .find(['\n', '\r'])
        .map_or(hay.len(), |i| start + i);
    let mut i = start;
    match quote {
        "\"" => {
            while i < line_end {
                match b[i] {
                    b'\\' => i += 2,
                    b'"' => break,
                    _ => i += 1,
                }
            }
            (start, i.min(line_end))
        }
        q if q.len() > 1 && q.ends_with('"') => {
            // Opened by k backslashes and a quote (JSON inside JSON, k = 1, 3, 7, …): the
            // closing quote has a backslash run of k modulo 2k + 2.
            let k = q.len() - 1;
            while i < line_end {
                if b[i] == b'"' {
                    let run = b[start..i]
                        .iter()
                        .rev()
                        .take_while(|&&c| c == b'\\')
                        .count();
                    if run % (2 * k + 2) == k {
                        return (start, i - k);
                    }
                }
                i += 1;
            }
            (start, line_end)
        }
        "'" => {
            while i < line_end {
                if b[i] == b'\'' {
                    // Shell's `'it'\''s'`: the quote closes, an escaped quote, and reopens.
                    if hay[i..].starts_with("'\\''") {
                        i += 4;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            (start, i.min(line_end))
        }
        _ => match mode {
            Extent::Word => bare_word(hay, start, line_end),
            Extent::Line => bare_line(hay, start, line_end),
        },
    }
}

/// A bare value: up to white space or a delimiter. A quote inside the value (`pa"ss`) is
/// part of it; a quote followed by a delimiter or the end closes the string the value sits
/// in (`{"cmd":"TOKEN=x"}`), as does a JSON-escaped `\"`.
fn bare_word(hay: &str, start: usize, line_end: usize) -> (usize, usize) {
    let s = &hay[start..line_end];
    let mut end = 0;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if ends_bare(c) {
            break;
        }
        if c == '\\' && s[i + 1..].starts_with('"') {
            break;
        }
        if c == '"' || c == '\'' {
            let next = chars.peek().map(|&(_, n)| n);
            if i == 0 || next.is_none_or(|n| ends_bare(n) || n == '"' || n == '\'' || n == ':') {
                break;
            }
        }
        end = i + c.len_utf8();
    }
    (start, start + end)
}

/// The rest of a line (headers, cookies): up to a literal `\n`, or a quote that closes the
/// string the value sits in (a quote followed by a delimiter or the end, when the quotes
/// seen so far are balanced).
fn bare_line(hay: &str, start: usize, line_end: usize) -> (usize, usize) {
    let s = &hay[start..line_end];
    let b = s.as_bytes();
    let mut double = 0usize;
    let mut single = 0usize;
    let mut end = s.len();
    for (i, c) in s.char_indices() {
        if c == '\\' && matches!(b.get(i + 1), Some(b'n' | b'r' | b'"')) {
            end = i;
            break;
        }
        if c == '"' || c == '\'' {
            let count = if c == '"' { &mut double } else { &mut single };
            let next = s[i + 1..].chars().next();
            if *count % 2 == 0 && next.is_none_or(|n| ends_bare(n) || n == ':') {
                end = i;
                break;
            }
            *count += 1;
        }
    }
    let trimmed = s[..end].trim_end();
    (start, start + trimmed.len())
}

/// Whether a value is worth hiding: placeholders, variable references, masks and literals
/// are kept so that configuration stays readable.
pub fn looks_like_secret_value(value: &str) -> bool {
    let value = value.trim();
    let Some(first) = value.chars().next() else {
        return false;
    };
    !matches!(first, '<' | '$' | '%' | '{' | '*' | '-' | '[' | '(' | '=')
        && !value
            .chars()
            .all(|c| c == 'x' || c == 'X' || c == '*' || c == '.')
        && !NON_SECRET_VALUES.contains(&value.to_lowercase().as_str())
}

/// Whether a word looks like a generated secret rather than prose: 8+ characters with a
/// digit and a letter, or 20+ characters.
pub fn looks_random(v: &str) -> bool {
    let n = v.chars().count();
    let digit = v.chars().any(|c| c.is_ascii_digit());
    let letter = v.chars().any(char::is_alphabetic);
    (n >= 8 && digit && letter) || n >= 20
}

/// Shannon entropy of a word, in bits per character.
pub fn entropy(word: &str) -> f64 {
    let mut counts = [0u32; 256];
    let mut n = 0u32;
    for b in word.bytes() {
        counts[usize::from(b)] += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    let n = f64::from(n);
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// How far after a secret-like word a random token may appear (bytes, same line).
const ENTROPY_WINDOW: usize = 80;
/// Minimum length of a high-entropy word.
const ENTROPY_MIN_LEN: usize = 20;
/// Minimum Shannon entropy (bits/char) of a high-entropy word.
const ENTROPY_MIN_BITS: f64 = 3.5;

/// The first long random-looking word within a short window after `start`, on the same
/// line: 20+ characters of a token alphabet, letters and digits, 3.5+ bits/char, and not a
/// UUID, a path, a URL or a file name.
pub fn random_word_after(hay: &str, start: usize) -> Option<(usize, usize)> {
    let line_end = hay[start..]
        .find(['\n', '\r'])
        .map_or(hay.len(), |i| start + i);
    let window_end = floor_boundary(hay, (start + ENTROPY_WINDOW).min(line_end));
    let mut i = start;
    while i < window_end {
        let rest = &hay[i..];
        // A secret already found after this word: the window ends there, so that a
        // second pass does not reach further than the first did.
        if rest.starts_with(super::SECRET_MARK) {
            return None;
        }
        let Some(c) = rest.chars().next() else { break };
        if !c.is_ascii_alphanumeric() && !starts_with_mark(rest) {
            i += c.len_utf8();
            continue;
        }
        let (len, marked) = token_word(rest);
        let word = &rest[..len];
        if marked {
            // Part of this word was replaced by another detector (a user name, an
            // address): the first pass saw it whole, with the original text in place,
            // and judged it then. Judging the rest now would make a second pass redact
            // what the first kept (`key.alice-<token>` → `key.<user>-<redacted>`).
            if word.contains(super::SECRET_MARK) {
                return None;
            }
            i += len.max(1);
            continue;
        }
        // A word glued to a dot is a file name.
        let preceded_by = hay[..i].chars().next_back();
        let followed_by = rest[len..].chars().next();
        if (ENTROPY_MIN_LEN..=4096).contains(&len)
            && preceded_by != Some('.')
            && followed_by != Some('.')
            && !word.starts_with('/')
            && !is_uuid(word)
            && word.bytes().any(|b| b.is_ascii_digit())
            && word.bytes().any(|b| b.is_ascii_alphabetic())
            && entropy(word) >= ENTROPY_MIN_BITS
        {
            return Some((i, i + len));
        }
        i += len.max(1);
    }
    None
}

/// The characters of a token alphabet (base64, base64url, hex, dashed ids).
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '_' | '=' | '-')
}

/// The replacement marks of the detectors that run before the entropy fallback.
const MARKS: &[&str] = &[
    super::USER_MARK,
    super::EMAIL_MARK,
    super::SECRET_MARK,
    "<org>",
];

fn starts_with_mark(s: &str) -> bool {
    MARKS.iter().any(|m| s.starts_with(m))
}

/// The length of the token word at the start of `s`, where a replacement mark counts as
/// part of the word (it stands for the text it replaced, which was), and whether it holds
/// one.
fn token_word(s: &str) -> (usize, bool) {
    let mut i = 0;
    let mut marked = false;
    while i < s.len() {
        let rest = &s[i..];
        if let Some(m) = MARKS.iter().find(|m| rest.starts_with(**m)) {
            i += m.len();
            marked = true;
            continue;
        }
        match rest.chars().next() {
            Some(c) if is_token_char(c) => i += c.len_utf8(),
            _ => break,
        }
    }
    (i, marked)
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// `8-4-4-4-12` hex: an id, not a secret.
fn is_uuid(w: &str) -> bool {
    let parts: Vec<&str> = w.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word<'a>(s: &'a str, q: &str) -> &'a str {
        let (a, b) = extent(s, 0, q, Extent::Word);
        &s[a..b]
    }

    #[test]
    fn quoted_extents() {
        assert_eq!(word(r#"pa\"ss\\w" x"#, "\""), r#"pa\"ss\\w"#);
        assert_eq!(word(r#"a\\\"b\" x"#, "\\\""), r#"a\\\"b"#);
        assert_eq!(word("it'\\''s' x", "'"), "it'\\''s");
        assert_eq!(word("unterminated\nnext", "\""), "unterminated");
    }

    #[test]
    fn bare_extents() {
        assert_eq!(word("abc def", ""), "abc");
        assert_eq!(word(r#"abc","x""#, ""), "abc");
        assert_eq!(word(r#"abc\",x"#, ""), "abc");
        assert_eq!(word(r#"pa"ss next"#, ""), r#"pa"ss"#);
        assert_eq!(word(r"C:\pw\x;y", ""), r"C:\pw\x");
        assert_eq!(word("a&b", ""), "a");
    }

    #[test]
    fn line_extents() {
        let l = |s: &str| {
            let (a, b) = extent(s, 0, "", Extent::Line);
            s[a..b].to_string()
        };
        assert_eq!(l("Basic abc' x"), "Basic abc");
        assert_eq!(l(r#"user="a", n="b""#), r#"user="a", n="b""#);
        assert_eq!(l("abc\\nHost: x"), "abc");
        assert_eq!(l("abc  \nx"), "abc");
    }

    #[test]
    fn entropy_window() {
        let s = "token is 4f9a8B7c6d5E4f3a2b1C0d9e8f7a6b5c!";
        let (a, b) = random_word_after(s, 5).unwrap();
        assert_eq!(&s[a..b], "4f9a8B7c6d5E4f3a2b1C0d9e8f7a6b5c");
        assert!(random_word_after("token aaaaaaaaaaaaaaaaaaaaaaaa1", 5).is_none());
        assert!(random_word_after("key 550e8400-e29b-41d4-a716-446655440000", 3).is_none());
    }
}
