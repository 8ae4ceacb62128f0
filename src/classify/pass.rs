//! The one pass over a run's text: every log line goes through the grammar once and into
//! the [`LineSink`]s (log-ending facts, platform); one prefilter search per chunk finds the
//! next line that holds a rule literal, and only those lines are verified against the
//! patterns of their scopes. Record fields go through the same verification.

use crate::log::{self, LineSink, LogGrammar};
use crate::redact::{Redactor, model::cap};
use crate::rules::RuleSet;
use crate::run::{EVIDENCE_CHARS, LineRef, SharedPath};
use crate::versions::VersionFacts;
use crate::vocab::ScopeSet;
use std::collections::BTreeMap;
use std::io::Read;

/// Matched lines kept per pattern per run.
const LINES_PER_PATTERN: usize = 3;

/// The raw pattern hits of a run being read: consumed by classification.
#[derive(Debug, Clone, Default)]
pub struct RawHits {
    /// Lines matched per matcher pattern (pattern id → count).
    pub counts: BTreeMap<usize, u32>,
    /// A few matched lines per matcher pattern.
    pub lines: BTreeMap<usize, Vec<LineRef>>,
}

impl RawHits {
    fn add(&mut self, pattern: usize, line: impl FnOnce() -> LineRef, cap: bool) {
        *self.counts.entry(pattern).or_insert(0) += 1;
        let v = self.lines.entry(pattern).or_default();
        if !cap || v.len() < LINES_PER_PATTERN {
            v.push(line());
        }
    }
}

/// Per-run matching state while its text is read.
pub struct HitCollector<'a> {
    rules: &'a RuleSet,
    /// Redacts evidence before it is capped, when the output will be redacted.
    redactor: Option<&'a Redactor>,
    /// What matched so far.
    pub hits: RawHits,
    /// Versions seen in the text so far.
    pub versions: VersionFacts,
    seen: Vec<u32>,
    found: Vec<usize>,
}

impl<'a> HitCollector<'a> {
    /// An empty collector for one run.
    pub fn new(rules: &'a RuleSet, redactor: Option<&'a Redactor>) -> HitCollector<'a> {
        HitCollector {
            rules,
            redactor,
            hits: RawHits::default(),
            versions: VersionFacts::default(),
            seen: Vec::new(),
            found: Vec::new(),
        }
    }

    /// Checks one line of text in the given scopes; cites `file:line` on a hit.
    pub fn check(&mut self, text: &[u8], scopes: ScopeSet, file: &SharedPath, line: Option<u64>) {
        let mut found = std::mem::take(&mut self.found);
        found.clear();
        self.rules
            .matcher
            .verify_line(text, scopes, &mut self.seen, &mut |p| found.push(p));
        let redactor = self.redactor;
        for &p in &found {
            let cite = || LineRef {
                file: file.clone(),
                line,
                text: cap(redactor, &String::from_utf8_lossy(text), EVIDENCE_CHARS),
            };
            self.hits.add(p, cite, true);
        }
        self.found = found;
    }

    /// Checks every line of a record field.
    pub fn check_field(
        &mut self,
        value: &str,
        scopes: ScopeSet,
        file: &SharedPath,
        line: Option<u64>,
    ) {
        self.versions.observe(value.as_bytes());
        // Fields are read in scan scopes only: without a scan literal no line can match.
        let matcher = &self.rules.matcher;
        if matcher.next_scan_candidate(value.as_bytes(), 0).is_none() && !matcher.has_unfiltered() {
            return;
        }
        // A field is one JSON line however many lines its value has: cite the key's line.
        for l in value.lines() {
            self.check(l.as_bytes(), scopes, file, line);
        }
    }

    /// `last`-scope patterns read only the last log entry.
    pub fn check_last(&mut self, last_entry: Option<&(u64, String)>, file: &SharedPath) {
        let Some((line, text)) = last_entry else {
            return;
        };
        for &g in &self.rules.last_patterns {
            if self.rules.matcher.is_match(g, text.as_bytes()) {
                let cite = || LineRef {
                    file: file.clone(),
                    line: Some(*line),
                    text: cap(self.redactor, text, EVIDENCE_CHARS),
                };
                self.hits.add(g, cite, false);
            }
        }
    }

    /// Versions are read from every line that holds a literal of some pattern (of any
    /// scope; the scan prefilter only covers scan scopes). For a line the scan prefilter
    /// skipped, only a line with a version marker in its text can change the facts.
    fn observe_versions(&mut self, raw_line: &[u8], text: &[u8]) {
        if self.versions.wants(text) && self.rules.matcher.has_literal(raw_line) {
            self.versions.observe(text);
        }
    }
}

/// What reading a log gave besides hits and sink facts.
#[derive(Debug, Default)]
pub struct LogRead {
    /// Bytes read.
    pub bytes: u64,
    /// Some bytes were not valid UTF-8.
    pub lossy: bool,
    /// Lines cut at [`log::MAX_LINE_BYTES`].
    pub truncated: Vec<u64>,
}

/// Reads a log once: each line through the grammar into every sink; candidate lines (and
/// every line when some pattern has no literal) verified into `hits`.
pub fn search_log<R: Read>(
    reader: R,
    display: &SharedPath,
    hits: &mut HitCollector<'_>,
    sinks: &mut [&mut dyn LineSink],
) -> std::io::Result<LogRead> {
    let mut g = LogGrammar::new();
    let mut out = LogRead::default();
    let rules = hits.rules;
    let matcher = &rules.matcher;
    let unfiltered = matcher.has_unfiltered();
    out.bytes = log::for_each_chunk(reader, |first, chunk, truncated| {
        if truncated {
            out.truncated.push(first);
        }
        if !out.lossy && !chunk.is_ascii() && std::str::from_utf8(chunk).is_err() {
            out.lossy = true;
        }
        // One search of the whole chunk finds the next line worth verifying; the lines
        // before it only go through the grammar.
        let mut cand = matcher.next_scan_candidate(chunk, 0);
        // Lines that may name a version: see `observe_versions`.
        let mut markers = crate::versions::MarkerCursor::default();
        let mut version_cand = hits.versions.next_marker(&mut markers, chunk, 0);
        let mut pos = 0usize;
        for (number, line) in (first..).zip(log::lines_of(chunk)) {
            let line_end = pos + line.len();
            let info = g.step(line);
            for s in sinks.iter_mut() {
                s.line(number, &info);
            }
            let hit = cand.is_some_and(|c| c <= line_end);
            let version_line = version_cand.is_some_and(|v| v <= line_end);
            if hit || unfiltered {
                hits.versions.observe(info.text);
                hits.check(info.text, info.scopes, display, Some(number));
            } else if version_line {
                hits.observe_versions(line, info.text);
            }
            if hit {
                cand = matcher.next_scan_candidate(chunk, line_end + 1);
            }
            if version_line {
                version_cand = hits.versions.next_marker(&mut markers, chunk, line_end + 1);
            }
            pos = line_end + 1;
        }
        true
    })?;
    Ok(out)
}

/// Error lines kept per source per run: the first ones and the latest (the last slot is
/// overwritten), so a run that retries a hundred times costs what one that fails once does.
pub const ERROR_LINES_PER_SOURCE: usize = 3;

/// Longest error line kept, in bytes (before the evidence cap, which redacts first).
const ERROR_LINE_BYTES: usize = 1024;

/// Longest final-output line tested for a failure statement: a failure statement is short.
const FINAL_STATEMENT_BYTES: usize = 400;

/// Words of a final-output line that states a failure (`Codex review failed.`, `Codex did not
/// return a final message.`, a task's failure message).
static FAILURE_WORDS: std::sync::LazyLock<Option<aho_corasick::AhoCorasick>> =
    std::sync::LazyLock::new(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build([
                "fail",
                "error",
                "did not",
                "cannot",
                "can't",
                "unable",
                "not found",
                "denied",
                "refused",
                "timed out",
                "exception",
                "panic",
                "not supported",
            ])
            .ok()
    });

/// Collects a run's error lines during the log pass: `Codex error:` and `Codex turn
/// interrupt failed` entries, `Command failed:` entries, and the failure statements of
/// `Final output` blocks, at most [`ERROR_LINES_PER_SOURCE`] of each (first line of an
/// entry only).
#[derive(Debug, Default)]
pub struct ErrorLines {
    in_final_output: bool,
    /// (source, 1-based line, text), in the order read per source.
    pub lines: Vec<(crate::run::ErrorSource, u64, String)>,
}

impl ErrorLines {
    fn push(&mut self, source: crate::run::ErrorSource, number: u64, text: &[u8]) {
        let text = text.trim_ascii();
        if text.is_empty() {
            return;
        }
        let cut = text.len().min(ERROR_LINE_BYTES);
        let text = String::from_utf8_lossy(&text[..cut]).into_owned();
        let same: Vec<usize> = (0..self.lines.len())
            .filter(|&i| self.lines[i].0 == source)
            .collect();
        if same.len() < ERROR_LINES_PER_SOURCE {
            self.lines.push((source, number, text));
        } else if let Some(&last) = same.last() {
            self.lines[last] = (source, number, text);
        }
    }
}

impl LineSink for ErrorLines {
    fn line(&mut self, number: u64, info: &log::LineInfo<'_>) {
        use crate::run::ErrorSource;
        let text = info.text;
        match info.kind {
            log::LineKind::BlockHeader => self.in_final_output = text == b"Final output",
            log::LineKind::Entry => {
                self.in_final_output = false;
                if text.starts_with(b"Codex error:")
                    || text.starts_with(b"Codex turn interrupt failed")
                {
                    self.push(ErrorSource::CodexError, number, text);
                } else if text.starts_with(b"Command failed:") {
                    self.push(ErrorSource::CommandFailed, number, text);
                }
            }
            log::LineKind::BlockBody
                if self.in_final_output
                    && text.len() <= FINAL_STATEMENT_BYTES
                    && FAILURE_WORDS.as_ref().is_some_and(|ac| ac.is_match(text)) =>
            {
                self.push(ErrorSource::FinalOutput, number, text);
            }
            _ => {}
        }
    }
}
