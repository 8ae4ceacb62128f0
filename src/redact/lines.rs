//! Redaction of text that is kept as lines (a log, the entries of a timeline, `match` input):
//! each line is redacted on its own, and the line count never changes, so line numbers
//! stay right. What one line cannot tell is carried from line to line: inside a private-key
//! block every line is key material, although none of them looks like a secret alone.

use super::{Redactor, SECRET_MARK};

/// The line that opens a PEM private-key block (`-----BEGIN … PRIVATE KEY-----`).
fn opens_key(line: &str) -> Option<usize> {
    let at = line.find("-----BEGIN ")?;
    let rest = &line[at + 11..];
    let head = rest.find("-----")?;
    rest[..head]
        .contains("PRIVATE KEY")
        .then_some(at + 11 + head + 5)
}

/// Where the closing line of a private-key block ends (after `-----END … PRIVATE KEY-----`).
fn closes_key(line: &str) -> Option<usize> {
    let at = line.find("-----END ")?;
    let rest = &line[at + 9..];
    let tail = rest.find("-----")?;
    rest[..tail]
        .contains("PRIVATE KEY")
        .then_some(at + 9 + tail + 5)
}

/// Redacts a sequence of lines, one at a time, remembering whether a private-key block is
/// open.
#[derive(Debug)]
pub struct LineRedactor<'r> {
    r: &'r Redactor,
    in_key: bool,
}

impl<'r> LineRedactor<'r> {
    /// A line redactor in its initial state (no key block open).
    pub fn new(r: &'r Redactor) -> LineRedactor<'r> {
        LineRedactor { r, in_key: false }
    }

    /// The redacted line (`line` holds no line break).
    pub fn line(&mut self, line: &str) -> String {
        if self.in_key {
            return match closes_key(line) {
                Some(end) => {
                    self.in_key = false;
                    format!("{SECRET_MARK}{}", self.line(&line[end..]))
                }
                // Key material, or a line break inside it: nothing of it is kept.
                None if line.trim().is_empty() => line.to_string(),
                None => SECRET_MARK.to_string(),
            };
        }
        let out = self.r.redact(line).into_owned();
        // A block opened on this line and not closed on it: the next lines are the key.
        if let Some(open) = opens_key(line)
            && closes_key(&line[open..]).is_none()
        {
            self.in_key = true;
        }
        out
    }
}

/// `text` redacted line by line (`\n` and `\r\n` kept as they are).
pub fn redact_text(r: &Redactor, text: &str) -> String {
    let mut lr = LineRedactor::new(r);
    let mut out = String::with_capacity(text.len());
    for piece in text.split_inclusive('\n') {
        let body = piece.trim_end_matches('\n');
        let body = body.strip_suffix('\r').unwrap_or(body);
        out.push_str(&lr.line(body));
        out.push_str(&piece[body.len()..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_block_lines_are_hidden_and_the_line_count_kept() {
        let r = Redactor::new(None, None);
        let text = "before\nkey: -----BEGIN OPENSSH PRIVATE KEY-----\r\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n\nAAAAC3NzaC1lZDI1NTE5\n-----END OPENSSH PRIVATE KEY----- after sk-abcdefghijklmnop0123\nlast\n";
        let out = redact_text(&r, text);
        assert_eq!(out.lines().count(), text.lines().count());
        assert!(!out.contains("b3Bl"), "{out}");
        assert!(!out.contains("AAAAC3"), "{out}");
        assert!(!out.contains("sk-abc"), "{out}");
        assert!(out.starts_with("before\nkey: <redacted>\r\n<redacted>\n\n<redacted>\n<redacted> after <redacted>\nlast\n"), "{out:?}");
        // A block closed on its own line leaves the next lines alone.
        let one = "-----BEGIN RSA PRIVATE KEY-----MIIE-----END RSA PRIVATE KEY-----\nplain line\n";
        assert_eq!(redact_text(&r, one), "<redacted>\nplain line\n");
        // Public keys and certificates are not secrets.
        let cert = "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIE\n";
        assert_eq!(redact_text(&r, cert), cert);
    }
}
