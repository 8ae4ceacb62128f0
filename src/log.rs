//! The job log grammar (docs/format.md §5): `[ISO] message` lines, blocks (a blank line, then
//! `[ISO] Title`, then a body up to the next timestamped line), continuation lines.
//!
//! [`LogGrammar`] is a line-at-a-time state machine so the scanner can classify each line in
//! the same pass that matches it; [`parse_log`] builds whole entries for `triage explain`.
//! [`for_each_line`] streams a file in fixed-size chunks so a log of any size, including one
//! enormous line, is read in bounded memory.

use crate::timefmt::{Millis, parse_iso_millis};
use crate::vocab::{SCOPE_COMMAND, SCOPE_ERROR, SCOPE_LOG, SCOPE_OUTPUT, ScopeSet};
use std::io::{self, Read};

/// Longest line the scanner looks at; the rest of a longer line is skipped (and reported).
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// What role a line plays in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// `[ISO] message`: a simple entry.
    Entry,
    /// `[ISO] Title` after a blank line: starts a block.
    BlockHeader,
    /// A line inside a block's body.
    BlockBody,
    /// An untimestamped line after a simple entry (multi-line error texts).
    Continuation,
    /// An empty line between entries.
    Blank,
    /// Text before the first timestamped line: not written by the plugin.
    Stray,
}

/// One classified line.
#[derive(Debug, Clone, Copy)]
pub struct LineInfo<'a> {
    /// The line's role.
    pub kind: LineKind,
    /// The entry timestamp for `Entry` and `BlockHeader` lines.
    pub ts: Option<Millis>,
    /// The text patterns see: the message without `[ISO] ` for entries and headers, else the
    /// whole line.
    pub text: &'a [u8],
    /// The scopes this line belongs to.
    pub scopes: ScopeSet,
}

/// A consumer of classified log lines, the way ripgrep's searcher pushes matches into a
/// `Sink`: the log pass reads each line once, runs it through the grammar and hands it to
/// every sink (the outcome's log-ending facts, the command-line platform, …).
pub trait LineSink {
    /// One line, 1-based `number`, as the grammar classified it.
    fn line(&mut self, number: u64, info: &LineInfo<'_>);
}

/// Kinds of block, by title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BlockClass {
    Output,
    Other,
}

/// The line-at-a-time grammar state.
#[derive(Debug, Default)]
pub struct LogGrammar {
    prev_blank: bool,
    seen_entry: bool,
    block: Option<BlockClass>,
    entry_scopes: ScopeSet,
}

/// Splits `[YYYY-MM-DDTHH:MM:SS.sssZ] rest` into the timestamp and the rest.
pub fn split_timestamp(line: &[u8]) -> Option<(Millis, &[u8])> {
    if line.len() < 26 || line[0] != b'[' || line[25] != b']' {
        return None;
    }
    let ts = parse_iso_millis(&line[1..25])?;
    match line.get(26) {
        None => Some((ts, &line[26..])),
        Some(b' ') => Some((ts, &line[27..])),
        Some(_) => None,
    }
}

/// Scopes of a simple entry's message, from the plugin's message templates (§5.1).
pub fn message_scopes(msg: &[u8]) -> ScopeSet {
    let mut s = SCOPE_LOG;
    if msg.starts_with(b"Running command: ") || is_command_result(msg) {
        s |= SCOPE_COMMAND;
    }
    if msg.starts_with(b"Codex error:") || msg.starts_with(b"Codex turn interrupt failed") {
        s |= SCOPE_ERROR;
    }
    s
}

/// `Command completed: …`, `Command failed: …`, `Command declined: …` (any status word).
fn is_command_result(msg: &[u8]) -> bool {
    let Some(rest) = msg.strip_prefix(b"Command ") else {
        return false;
    };
    let word = rest.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    word > 0 && rest[word..].starts_with(b": ")
}

fn block_class(title: &[u8]) -> BlockClass {
    let output = title == b"Final output"
        || title == b"Assistant message"
        || title == b"Review output"
        || (title.starts_with(b"Subagent ") && title.ends_with(b" message"));
    if output {
        BlockClass::Output
    } else {
        BlockClass::Other
    }
}

impl LogGrammar {
    /// A grammar at the start of a file.
    pub fn new() -> LogGrammar {
        LogGrammar::default()
    }

    /// Classifies the next line (without its `\n`; a trailing `\r` is ignored).
    pub fn step<'a>(&mut self, line: &'a [u8]) -> LineInfo<'a> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some((ts, rest)) = split_timestamp(line) {
            let header = self.prev_blank && self.seen_entry;
            self.prev_blank = false;
            self.seen_entry = true;
            if header {
                self.block = Some(block_class(rest));
                self.entry_scopes = SCOPE_LOG;
                return LineInfo {
                    kind: LineKind::BlockHeader,
                    ts: Some(ts),
                    text: rest,
                    scopes: SCOPE_LOG,
                };
            }
            self.block = None;
            self.entry_scopes = message_scopes(rest);
            return LineInfo {
                kind: LineKind::Entry,
                ts: Some(ts),
                text: rest,
                scopes: self.entry_scopes,
            };
        }
        let blank = line.iter().all(|c| c.is_ascii_whitespace());
        self.prev_blank = blank;
        if !self.seen_entry {
            let kind = if blank {
                LineKind::Blank
            } else {
                LineKind::Stray
            };
            return LineInfo {
                kind,
                ts: None,
                text: line,
                scopes: SCOPE_LOG,
            };
        }
        match self.block {
            Some(class) => {
                let scopes = match class {
                    BlockClass::Output => SCOPE_LOG | SCOPE_OUTPUT,
                    BlockClass::Other => SCOPE_LOG,
                };
                LineInfo {
                    kind: LineKind::BlockBody,
                    ts: None,
                    text: line,
                    scopes,
                }
            }
            None if blank => LineInfo {
                kind: LineKind::Blank,
                ts: None,
                text: line,
                scopes: SCOPE_LOG,
            },
            None => LineInfo {
                kind: LineKind::Continuation,
                ts: None,
                text: line,
                scopes: self.entry_scopes,
            },
        }
    }
}

/// What the chunked reader reports about a line.
#[derive(Debug, Clone, Copy)]
pub struct LineMeta {
    /// 1-based line number.
    pub number: u64,
    /// True when the line was longer than [`MAX_LINE_BYTES`] and only its start is given.
    pub truncated: bool,
}

/// Streams `reader` line by line through `f` in bounded memory (one chunk plus at most
/// [`MAX_LINE_BYTES`] of a line). Lines are given without their `\n`. `f` returns `false` to
/// stop early. Returns the number of bytes read.
pub fn for_each_line<R: Read>(
    reader: R,
    mut f: impl FnMut(LineMeta, &[u8]) -> bool,
) -> io::Result<u64> {
    for_each_chunk(reader, |first, chunk, truncated| {
        if truncated {
            return f(
                LineMeta {
                    number: first,
                    truncated: true,
                },
                chunk,
            );
        }
        (first..).zip(lines_of(chunk)).all(|(number, line)| {
            f(
                LineMeta {
                    number,
                    truncated: false,
                },
                line,
            )
        })
    })
}

/// The lines of a chunk of whole lines, without their `\n`.
pub fn lines_of(chunk: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = chunk.strip_suffix(b"\n").unwrap_or(chunk);
    let empty = chunk.is_empty();
    body.split(|&c| c == b'\n').filter(move |_| !empty)
}

/// Streams `reader` as chunks of whole lines: `f(first_line_number, chunk, truncated)`.
/// A chunk ends with `\n` except at the end of the file. A line longer than
/// [`MAX_LINE_BYTES`] comes alone with `truncated` set, cut to that length; the rest of it is
/// skipped. The scanner searches a whole chunk at once, so most lines are never visited.
pub fn for_each_chunk<R: Read>(
    reader: R,
    f: impl FnMut(u64, &[u8], bool) -> bool,
) -> io::Result<u64> {
    // One buffer per thread, reused from file to file: a fresh 256 KiB buffer is a fresh
    // mapping the kernel zeroes page by page, for every log of a scan. A buffer that grew
    // for a long line is dropped, so each thread keeps at most CHUNK.
    thread_local! {
        static BUFFER: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
    }
    let mut buf = BUFFER.take();
    if buf.len() != CHUNK {
        buf = vec![0; CHUNK];
    }
    let read = chunks_in(&mut buf, reader, f);
    if buf.len() == CHUNK {
        BUFFER.set(buf);
    }
    read
}

/// Bytes of the buffer [`for_each_chunk`] reads into (it grows for longer lines).
const CHUNK: usize = 256 * 1024;

/// [`for_each_chunk`] with the buffer given (`CHUNK` bytes; its contents are overwritten).
fn chunks_in<R: Read>(
    buf: &mut Vec<u8>,
    mut reader: R,
    mut f: impl FnMut(u64, &[u8], bool) -> bool,
) -> io::Result<u64> {
    let mut end = 0usize; // end of valid data; buf[..end] holds no complete line's tail
    let mut number = 1u64; // number of the first line in buf
    let mut total = 0u64;
    // While skipping the tail of an over-long line we drop bytes up to the next newline.
    let mut skipping = false;
    loop {
        let n = loop {
            match reader.read(&mut buf[end..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        total += n as u64;
        let eof = n == 0;
        let mut start = 0usize;
        if skipping && n > 0 {
            match memchr::memchr(b'\n', &buf[end..end + n]) {
                Some(pos) => {
                    // The skipped line ends here; its bytes before `end` were already dropped.
                    buf.copy_within(end + pos + 1..end + n, 0);
                    end = n - pos - 1;
                    skipping = false;
                    number += 1;
                }
                None => {
                    end = 0;
                    continue;
                }
            }
        } else {
            end += n;
        }
        if eof {
            if end > start && !skipping {
                f(number, &buf[start..end], false);
            }
            return Ok(total);
        }
        if let Some(last_nl) = memchr::memrchr(b'\n', &buf[start..end]) {
            let chunk = &buf[start..start + last_nl + 1];
            let lines = memchr::memchr_iter(b'\n', chunk).count() as u64;
            if !f(number, chunk, false) {
                return Ok(total);
            }
            number += lines;
            start += last_nl + 1;
        }
        // Keep the partial line; make room.
        if start > 0 {
            buf.copy_within(start..end, 0);
            end -= start;
        }
        if end == buf.len() {
            if buf.len() < MAX_LINE_BYTES {
                let new_len = (buf.len() * 2).min(MAX_LINE_BYTES);
                buf.resize(new_len, 0);
            } else {
                // An over-long line: report its first MAX_LINE_BYTES, skip to its end.
                if !f(number, &buf[..end], true) {
                    return Ok(total);
                }
                skipping = true;
                end = 0;
            }
        }
    }
}

/// One entry of a parsed log, for timelines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// 1-based line number of the entry's first line.
    pub line: u64,
    /// Entry timestamp (`None` only for stray text before the first entry).
    pub ts: Option<Millis>,
    /// `Some(title)` for blocks.
    pub block: Option<String>,
    /// The message (first line), without the timestamp.
    pub text: String,
    /// Following lines: continuation or block body, with their line numbers.
    pub more: Vec<(u64, String)>,
    /// Scopes of the entry's first line.
    pub scopes: ScopeSet,
}

/// A whole log parsed into entries.
#[derive(Debug, Clone, Default)]
pub struct ParsedLog {
    /// Entries in file order.
    pub entries: Vec<Entry>,
    /// True when some bytes were not valid UTF-8 (decoded lossily).
    pub lossy: bool,
    /// Lines cut at [`MAX_LINE_BYTES`].
    pub truncated_lines: Vec<u64>,
}

/// Parses a log from a reader into entries (for `explain`; the scanner streams instead).
pub fn parse_log<R: Read>(reader: R) -> io::Result<ParsedLog> {
    let mut g = LogGrammar::new();
    let mut out = ParsedLog::default();
    for_each_line(reader, |meta, raw| {
        if meta.truncated {
            out.truncated_lines.push(meta.number);
        }
        let info = g.step(raw);
        let text = match std::str::from_utf8(info.text) {
            Ok(s) => s.to_string(),
            Err(_) => {
                out.lossy = true;
                String::from_utf8_lossy(info.text).into_owned()
            }
        };
        match info.kind {
            LineKind::Entry | LineKind::BlockHeader => out.entries.push(Entry {
                line: meta.number,
                ts: info.ts,
                block: (info.kind == LineKind::BlockHeader).then(|| text.clone()),
                text,
                more: Vec::new(),
                scopes: info.scopes,
            }),
            LineKind::Stray => out.entries.push(Entry {
                line: meta.number,
                ts: None,
                block: None,
                text,
                more: Vec::new(),
                scopes: info.scopes,
            }),
            LineKind::BlockBody | LineKind::Continuation => {
                if let Some(e) = out.entries.last_mut() {
                    e.more.push((meta.number, text));
                }
            }
            LineKind::Blank => {
                // Blank lines inside a block body are part of it; between entries they are
                // separators. Keep them in bodies so unfolded blocks read as written.
                if let Some(e) = out.entries.last_mut()
                    && e.block.is_some()
                {
                    e.more.push((meta.number, String::new()));
                }
            }
        }
        true
    })?;
    // A blank line right before a block header was kept as trailing body text of the
    // previous block; drop trailing empties.
    for e in &mut out.entries {
        while e.more.last().is_some_and(|(_, t)| t.is_empty()) {
            e.more.pop();
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "[2026-11-26T13:16:35.549Z] Turn started (turn_1).\n\
[2026-11-26T13:16:35.582Z] Review output captured.\n\
\n\
[2026-11-26T13:16:35.582Z] Review output\n\
Reviewed uncommitted changes.\n\
\n\
- [high] something\n\
[2026-11-26T13:16:35.599Z] Codex error: first line\n\
second line of the error\n\
[2026-11-26T13:16:35.600Z] Command failed: /bin/bash -lc 'npm test' (exit 1)\n\
\n\
[2026-11-26T13:16:35.612Z] Final output\n\
# Codex Review\n";

    #[test]
    fn classifies_lines_and_scopes() {
        let mut g = LogGrammar::new();
        let kinds: Vec<(LineKind, ScopeSet)> = SAMPLE
            .lines()
            .map(|l| {
                let i = g.step(l.as_bytes());
                (i.kind, i.scopes)
            })
            .collect();
        use LineKind::*;
        assert_eq!(
            kinds,
            vec![
                (Entry, SCOPE_LOG),
                (Entry, SCOPE_LOG),
                (Blank, SCOPE_LOG),
                (BlockHeader, SCOPE_LOG),
                (BlockBody, SCOPE_LOG | SCOPE_OUTPUT),
                (BlockBody, SCOPE_LOG | SCOPE_OUTPUT),
                (BlockBody, SCOPE_LOG | SCOPE_OUTPUT),
                (Entry, SCOPE_LOG | SCOPE_ERROR),
                (Continuation, SCOPE_LOG | SCOPE_ERROR),
                (Entry, SCOPE_LOG | SCOPE_COMMAND),
                (Blank, SCOPE_LOG),
                (BlockHeader, SCOPE_LOG),
                (BlockBody, SCOPE_LOG | SCOPE_OUTPUT),
            ]
        );
    }

    #[test]
    fn parses_entries_with_line_numbers() {
        let log = parse_log(SAMPLE.as_bytes()).unwrap();
        let e: Vec<(u64, Option<&str>, &str, usize)> = log
            .entries
            .iter()
            .map(|e| (e.line, e.block.as_deref(), e.text.as_str(), e.more.len()))
            .collect();
        assert_eq!(
            e,
            vec![
                (1, None, "Turn started (turn_1).", 0),
                (2, None, "Review output captured.", 0),
                (4, Some("Review output"), "Review output", 3),
                (8, None, "Codex error: first line", 1),
                (
                    10,
                    None,
                    "Command failed: /bin/bash -lc 'npm test' (exit 1)",
                    0
                ),
                (12, Some("Final output"), "Final output", 1),
            ]
        );
        assert_eq!(
            log.entries[3].more[0],
            (9, "second line of the error".to_string())
        );
    }

    #[test]
    fn crlf_and_invalid_utf8() {
        let data = b"[2026-11-26T13:16:35.549Z] Turn started (t).\r\n[2026-11-26T13:16:35.550Z] Codex error: bad \xff byte\r\n";
        let log = parse_log(&data[..]).unwrap();
        assert_eq!(log.entries.len(), 2);
        assert_eq!(log.entries[0].text, "Turn started (t).");
        assert!(log.lossy);
        assert!(log.entries[1].text.contains('\u{fffd}'));
    }

    #[test]
    fn a_blank_first_line_does_not_make_a_block() {
        let log = parse_log(&b"\n[2026-11-26T13:16:35.549Z] Starting Codex Task.\n"[..]).unwrap();
        assert_eq!(log.entries.len(), 1);
        assert_eq!(log.entries[0].block, None);
    }

    #[test]
    fn stray_text_before_first_entry_is_kept() {
        let log =
            parse_log(&b"garbage\n[2026-11-26T13:16:35.549Z] Starting Codex Task.\n"[..]).unwrap();
        assert_eq!(log.entries.len(), 2);
        assert_eq!(log.entries[0].ts, None);
    }

    #[test]
    fn command_result_lines_are_command_scope() {
        assert_eq!(
            message_scopes(b"Command declined: x (exit ?)"),
            SCOPE_LOG | SCOPE_COMMAND
        );
        assert_eq!(message_scopes(b"Command: x"), SCOPE_LOG);
        assert_eq!(
            message_scopes(b"Running command: ls"),
            SCOPE_LOG | SCOPE_COMMAND
        );
        assert_eq!(
            message_scopes(b"Codex turn interrupt failed."),
            SCOPE_LOG | SCOPE_ERROR
        );
    }

    #[test]
    fn streams_long_lines_in_bounded_memory() {
        let mut data = vec![b'a'; MAX_LINE_BYTES * 3];
        data.extend_from_slice(b"\nshort\nlast");
        let mut seen = Vec::new();
        for_each_line(&data[..], |m, l| {
            seen.push((m.number, m.truncated, l.len()));
            true
        })
        .unwrap();
        assert_eq!(
            seen,
            vec![(1, true, MAX_LINE_BYTES), (2, false, 5), (3, false, 4)]
        );
    }

    #[test]
    fn lines_split_across_chunks_are_whole() {
        let mut data = Vec::new();
        for i in 0..100_000 {
            data.extend_from_slice(format!("line number {i}\n").as_bytes());
        }
        let mut n = 0u64;
        let mut ok = true;
        for_each_line(&data[..], |m, l| {
            n += 1;
            ok &= l == format!("line number {}", m.number - 1).as_bytes();
            true
        })
        .unwrap();
        assert_eq!(n, 100_000);
        assert!(ok);
    }
}
