//! Tokenising and masking: one byte scan per message.
//!
//! A message is split on whitespace. In each token, numbers (digit runs, with a sign and
//! `.`/`:`/`,` separators: `-42`, `1.16`, `10.0.0.1`, `00:02:13`) and hex words (`0x1f`,
//! `e820`, `a3f9c2d1`) that stand on their own, not glued to letters, become `<*>`; a letter
//! next to a digit keeps the word (`SOCKS5`, `IPv4`, `ext3` are names, not values). A token
//! that is a path, a URL or a quoted string is a variable as a whole, and so is a token that
//! masks down to nothing but `<*>` and punctuation.

/// One token of a message: a byte range of the masked text and whether it is a variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Start byte in the masked text.
    pub start: u32,
    /// End byte (exclusive).
    pub end: u32,
    /// The token is a variable as a whole.
    pub wild: bool,
    /// The token has a masked part (`blk_<*>`): the tree keys it as a variable and a
    /// similarity merge may generalise it.
    pub masked: bool,
    /// FxHash of the masked text: the miner compares words by it first.
    pub hash: u64,
}

/// The hash [`Span::hash`] holds for a word.
pub fn word_hash(w: &str) -> u64 {
    use std::hash::Hasher as _;
    let mut h = super::FxHasher::default();
    h.write(w.as_bytes());
    h.finish()
}

/// A message split into masked tokens; reusable from one message to the next.
#[derive(Debug, Default, Clone)]
pub struct Tokens {
    /// The masked tokens, concatenated.
    pub masked: String,
    /// The tokens, as ranges of `masked`.
    pub spans: Vec<Span>,
}

impl Tokens {
    /// The masked text of token `i`.
    pub fn text(&self, i: usize) -> &str {
        let s = self.spans[i];
        &self.masked[s.start as usize..s.end as usize]
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// No tokens.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Splits and masks `msg`, replacing what was held before.
    pub fn parse(&mut self, msg: &str) {
        self.masked.clear();
        self.spans.clear();
        for tok in msg.split_ascii_whitespace() {
            let start = self.masked.len();
            let (wild, masked) = if is_variable_word(tok.as_bytes()) {
                self.masked.push_str("<*>");
                (true, true)
            } else {
                let replaced = mask_into(tok, &mut self.masked);
                // A `<*>` already in the input counts as masked, as one the scan put there.
                let masked = replaced
                    || (memchr::memchr(b'<', tok.as_bytes()).is_some()
                        && self.masked[start..].contains("<*>"));
                (
                    masked && only_wild_and_punct(&self.masked.as_bytes()[start..]),
                    masked,
                )
            };
            if wild {
                self.masked.truncate(start);
                self.masked.push_str("<*>");
            }
            let end = self.masked.len();
            if end > u32::MAX as usize {
                break;
            }
            self.spans.push(Span {
                start: start as u32,
                end: end as u32,
                wild,
                masked,
                hash: word_hash(&self.masked[start..end]),
            });
        }
    }
}

/// Whether one whitespace-free token is, or masks to, a variable.
pub fn is_variable(tok: &str) -> bool {
    let mut t = Tokens::default();
    t.parse(tok);
    t.spans.len() == 1 && t.spans[0].wild
}

/// The masked form of one token (`blk_-42` → `blk_<*>`).
pub fn mask_token(tok: &str) -> String {
    let mut s = String::new();
    mask_into(tok, &mut s);
    s
}

fn only_wild_and_punct(b: &[u8]) -> bool {
    let mut i = 0;
    let mut any = false;
    while i < b.len() {
        if b[i..].starts_with(b"<*>") {
            any = true;
            i += 3;
        } else if b[i].is_ascii_alphanumeric() || b[i] >= 0x80 {
            return false;
        } else {
            i += 1;
        }
    }
    any
}

/// Appends `tok` with its numbers and hex words replaced by `<*>`; whether it replaced any.
fn mask_into(tok: &str, out: &mut String) -> bool {
    let b = tok.as_bytes();
    let n = b.len();
    let mut i = 0;
    let mut copied = 0;
    let mut any = false;
    while i < n {
        if !b[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        // An alphanumeric run b[i..j].
        let mut j = i;
        while j < n && b[j].is_ascii_alphanumeric() {
            j += 1;
        }
        let run = &b[i..j];
        let glued_before = i > 0 && b[i - 1] >= 0x80;
        let glued_after = j < n && b[j] >= 0x80;
        // `12ms`, `64bit`: a number with a unit; the number is the value.
        let digits = run.iter().take_while(|c| c.is_ascii_digit()).count();
        let j = if digits > 0 && digits < run.len() && !is_value_run(run) {
            i + digits
        } else {
            j
        };
        let run = &b[i..j];
        if !glued_before && !glued_after && is_value_run(run) {
            let mut s = i;
            // A sign before a number that starts a word belongs to it.
            if s > 0
                && matches!(b[s - 1], b'-' | b'+')
                && (s == 1 || !b[s - 2].is_ascii_alphanumeric())
            {
                s -= 1;
            }
            // Separators joining numbers (`1.16`, `10.0.0.1`, `00:02`) belong to them, and
            // dashes joining hex groups (UUIDs: `b9000564-fe1a-409b-bdcc-1e88b294cd1d`).
            let mut e = j;
            loop {
                if e + 1 < n
                    && matches!(b[e], b'.' | b':' | b',' | b'-')
                    && b[e + 1].is_ascii_alphanumeric()
                {
                    let mut k = e + 1;
                    while k < n && b[k].is_ascii_alphanumeric() {
                        k += 1;
                    }
                    let next = &b[e + 1..k];
                    let joins = if b[e] == b'-' {
                        next.iter().all(u8::is_ascii_hexdigit)
                    } else {
                        next.iter().all(u8::is_ascii_digit)
                    };
                    if joins && (k == n || b[k] < 0x80) {
                        e = k;
                        continue;
                    }
                }
                break;
            }
            out.push_str(&tok[copied..s]);
            out.push_str("<*>");
            copied = e;
            i = e;
            any = true;
        } else {
            i = j;
        }
    }
    out.push_str(&tok[copied..]);
    any
}

/// An alphanumeric run that is a value: all digits, `0x…` hex, hex with a digit in it, or a
/// generated id where letters and digits alternate (`mvz3s4x2`; a name such as `SOCKS5` or
/// `x86` switches between them once or twice).
fn is_value_run(run: &[u8]) -> bool {
    if run.iter().all(u8::is_ascii_digit) {
        return true;
    }
    let switches = run
        .windows(2)
        .filter(|w| w[0].is_ascii_digit() != w[1].is_ascii_digit())
        .count();
    if switches >= 3 {
        return true;
    }
    if run.len() > 2 && (run.starts_with(b"0x") || run.starts_with(b"0X")) {
        return run[2..].iter().all(u8::is_ascii_hexdigit);
    }
    run.iter().all(u8::is_ascii_hexdigit) && run.iter().any(u8::is_ascii_digit)
}

/// Month and weekday names: parts of a date written out (`Fri Jun 17 07:07:00 2005`).
const DATE_WORDS: [&[u8]; 19] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
    b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun",
];

/// The digit-free variable classes: paths, URLs, quoted strings, date words.
fn is_variable_word(b: &[u8]) -> bool {
    if b.len() < 2 {
        return false;
    }
    if b.len() == 3 && DATE_WORDS.contains(&b) {
        return true;
    }
    let first = b[0];
    let last = b[b.len() - 1];
    if (first == b'"' || first == b'\'') && last == first {
        return true;
    }
    // One scalar pass: tokens are short, and a URL's `://` already makes two slashes.
    let mut slashes = 0;
    for &c in b {
        if c == b'\\' {
            return true;
        }
        slashes += usize::from(c == b'/');
    }
    first == b'/' || slashes >= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(msg: &str) -> Vec<(String, bool)> {
        let mut t = Tokens::default();
        t.parse(msg);
        (0..t.len())
            .map(|i| (t.text(i).to_string(), t.spans[i].wild))
            .collect()
    }

    #[test]
    fn masks_variable_classes() {
        let w = words("user 'root' read /etc/passwd from http://x.org at 0x1f in 12ms ok");
        let wild: Vec<&str> = w
            .iter()
            .filter(|(_, v)| *v)
            .map(|(t, _)| t.as_str())
            .collect();
        assert_eq!(wild, ["<*>"; 4]);
        assert_eq!(w[9].0, "<*>ms");
        assert!(!is_variable("I/O"));
        assert!(is_variable("C:\\Users\\me"));
        assert!(is_variable("10.0.0.1:80,"));
        assert!(words("  \t ").is_empty());
    }

    #[test]
    fn keeps_names_with_digits() {
        assert_eq!(mask_token("SOCKS5"), "SOCKS5");
        assert_eq!(mask_token("IPv4"), "IPv4");
        assert_eq!(mask_token("blk_-6952295868487656571"), "blk_<*>");
        assert_eq!(mask_token("host.example.org:5070"), "host.example.org:<*>");
        assert_eq!(mask_token("(1.16"), "(<*>");
        assert_eq!(mask_token("BIOS-e820:"), "BIOS-<*>:");
        assert_eq!(mask_token("30546173_4261722401"), "<*>_<*>");
        assert_eq!(mask_token("task-mvz3s4x2-9kiqei"), "task-<*>-<*>kiqei");
        assert_eq!(
            mask_token("[instance: b9000564-fe1a-409b-bdcc-1e88b294cd1d]"),
            "[instance: <*>]"
        );
    }
}
