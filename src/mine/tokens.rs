//! Tokenising and masking: one byte scan per message.

/// One token of a message: a byte range and whether it looks like a variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Start byte.
    pub start: u32,
    /// End byte (exclusive).
    pub end: u32,
    /// Masked: the token is a variable (number, id, hex, path, URL, quoted string, …).
    pub wild: bool,
}

impl Span {
    /// The token's text in `msg`.
    pub fn text<'a>(&self, msg: &'a str) -> &'a str {
        &msg[self.start as usize..self.end as usize]
    }
}

/// Splits `msg` on whitespace into `out` (cleared first), masking variables.
pub fn tokenize(msg: &str, out: &mut Vec<Span>) {
    out.clear();
    let b = msg.as_bytes();
    let n = b.len().min(u32::MAX as usize);
    let mut i = 0;
    while i < n {
        while i < n && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= n {
            break;
        }
        let start = i;
        let mut digit = false;
        while i < n && !b[i].is_ascii_whitespace() {
            digit |= b[i].is_ascii_digit();
            i += 1;
        }
        let wild = digit || is_variable_word(&b[start..i]);
        out.push(Span {
            start: start as u32,
            end: i as u32,
            wild,
        });
    }
}

/// Whether one whitespace-free token is a variable.
pub fn is_variable(tok: &str) -> bool {
    let b = tok.as_bytes();
    b.iter().any(u8::is_ascii_digit) || is_variable_word(b)
}

/// The digit-free variable classes: paths, URLs, quoted strings.
fn is_variable_word(b: &[u8]) -> bool {
    if b.len() < 2 {
        return false;
    }
    let first = b[0];
    let last = b[b.len() - 1];
    if (first == b'"' || first == b'\'') && last == first {
        return true;
    }
    let slashes = memchr::memchr_iter(b'/', b).count();
    if first == b'/' || slashes >= 2 || memchr::memchr(b'\\', b).is_some() {
        return true;
    }
    memchr::memmem::find(b, b"://").is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(msg: &str) -> Vec<(String, bool)> {
        let mut v = Vec::new();
        tokenize(msg, &mut v);
        v.iter().map(|s| (s.text(msg).to_string(), s.wild)).collect()
    }

    #[test]
    fn masks_variable_classes() {
        let w = words("user 'root' read /etc/passwd from http://x.org at 0x1f in 12ms ok");
        let wild: Vec<&str> = w
            .iter()
            .filter(|(_, v)| *v)
            .map(|(t, _)| t.as_str())
            .collect();
        assert_eq!(
            wild,
            ["'root'", "/etc/passwd", "http://x.org", "0x1f", "12ms"]
        );
        assert!(!is_variable("I/O"));
        assert!(is_variable("C:\\Users\\me"));
        assert!(words("  \t ").is_empty());
    }
}
