//! The job log writer (the §5 grammar of `docs/plugin-format.md`: `[ISO] message` lines and
//! blank-line-led blocks) and the plugin's text helpers.

use crate::js::iso;
use crate::rng::Rng;

/// A job log being written, with its clock (ms since the epoch).
pub struct Log {
    pub buf: String,
    pub t: i64,
}

impl Log {
    /// `[ISO] message` (the message trimmed).
    pub fn line(&mut self, msg: &str) {
        self.buf.push('[');
        self.buf.push_str(&iso(self.t));
        self.buf.push_str("] ");
        self.buf.push_str(msg.trim());
        self.buf.push('\n');
    }
    /// A block: blank line, `[ISO] title`, the body trimmed at its end.
    pub fn block(&mut self, title: &str, body: &str) {
        self.buf.push_str("\n[");
        self.buf.push_str(&iso(self.t));
        self.buf.push_str("] ");
        self.buf.push_str(title);
        self.buf.push('\n');
        self.buf.push_str(body.trim_end());
        self.buf.push('\n');
    }
    /// Advances the clock by `lo..=hi` ms.
    pub fn adv(&mut self, rng: &mut Rng, lo: i64, hi: i64) {
        self.t += rng.range(lo, hi);
    }
}

/// Whitespace-collapsed, as the plugin does for commands, queries and previews.
pub fn collapse(x: &str) -> String {
    x.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `<text≤96>` of the log grammar: collapsed, cut to 93 characters plus `...`.
pub fn short96(x: &str) -> String {
    let c = collapse(x);
    if c.chars().count() > 96 {
        let mut t: String = c.chars().take(93).collect();
        t.push_str("...");
        t
    } else {
        c
    }
}

/// First non-empty trimmed line (the plugin's index summary).
pub fn first_line(x: &str) -> Option<String> {
    x.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_string)
}
