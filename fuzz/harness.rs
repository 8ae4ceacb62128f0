//! Entry points shared by the cargo-fuzz targets (`fuzz/fuzz_targets/*.rs`) and the
//! regression replay test (`tests/fuzz_regressions.rs`): each takes the raw fuzz input, drives
//! one part of `triage` with it and asserts the invariants that must hold for any input.
//! A panic (or a stack overflow, or a hang) is a bug.
//!
//! Included with `#[path]` from both places, so it may only use crates that are normal
//! dependencies of `triage` (serde_json, toml, tempfile).
#![allow(dead_code)]

use std::io::{self, Read};
use std::path::Path;
use std::sync::OnceLock;
use triage::log::{LineKind, LogGrammar, MAX_LINE_BYTES, for_each_chunk, for_each_line, parse_log};
use triage::record::JobRecord;
use triage::rules::RuleSet;

/// A reader that hands out `data` (optionally repeated) in pieces of varying size, so chunk
/// boundaries fall everywhere, including inside a `\r\n` and inside over-long lines.
struct Pieces<'a> {
    data: &'a [u8],
    pos: usize,
    repeats: usize,
    big: bool,
    seed: u32,
}

impl Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.data.is_empty() || buf.is_empty() {
            return Ok(0);
        }
        // xorshift: piece sizes from 1 byte to the whole buffer.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 17;
        self.seed ^= self.seed << 5;
        // Small pieces only for small streams: `for_each_chunk` searches the whole partial
        // line again after each read, so tiny reads of a 1 MiB line are quadratic (harmless
        // with real files and pipes, which return at least 64 KiB, but slow under ASan).
        let want = match self.seed % 4 {
            0 if self.big => 64 << 10,
            _ if self.big => usize::MAX,
            0 => 1 + (self.seed as usize >> 8) % 7,
            1 => 1 + (self.seed as usize >> 8) % 4096,
            _ => usize::MAX,
        };
        let want = want.min(buf.len());
        let mut n = 0;
        while n < want {
            if self.pos == self.data.len() {
                if self.repeats == 0 {
                    break;
                }
                self.repeats -= 1;
                self.pos = 0;
            }
            let k = (want - n).min(self.data.len() - self.pos);
            buf[n..n + k].copy_from_slice(&self.data[self.pos..self.pos + k]);
            self.pos += k;
            n += k;
        }
        Ok(n)
    }
}

/// The lines `for_each_line` must report for `data`: split at `\n` (a final `\n` ends the
/// last line rather than starting an empty one), lines of `MAX_LINE_BYTES` or more cut to
/// that length and flagged.
fn reference_lines(data: &[u8]) -> impl Iterator<Item = (u64, bool, &[u8])> {
    let body = data.strip_suffix(b"\n").unwrap_or(data);
    body.split(|&c| c == b'\n')
        .filter(move |_| !data.is_empty())
        .enumerate()
        .map(|(i, l)| {
            let cut = l.len() >= MAX_LINE_BYTES;
            (
                i as u64 + 1,
                cut,
                if cut { &l[..MAX_LINE_BYTES] } else { l },
            )
        })
}

/// Log grammar: chunked line reading, the line state machine and `parse_log`.
///
/// The first byte picks how the input is fed: in pieces of random size, and in 1 of 32 cases
/// repeated until the stream is just over 1 MiB, so lines can reach [`MAX_LINE_BYTES`] and
/// cross the reader's 256 KiB chunks and buffer growth.
pub fn log_grammar(data: &[u8]) {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    let seed = u32::from(mode).wrapping_mul(0x9E37_79B9) | 1;
    let repeats = if mode & 31 == 31 && !body.is_empty() {
        // A little over MAX_LINE_BYTES in total.
        (MAX_LINE_BYTES + (MAX_LINE_BYTES >> 3)) / body.len()
    } else {
        0
    };
    let whole: Vec<u8>;
    let stream: &[u8] = if repeats > 0 {
        whole = body.repeat(repeats + 1);
        &whole
    } else {
        body
    };
    let reader = || Pieces {
        data: body,
        pos: 0,
        repeats,
        big: repeats > 0,
        seed,
    };

    // 1. for_each_line agrees with a plain split.
    let mut expected = reference_lines(stream);
    let (mut lines_seen, mut truncated_seen) = (0usize, 0usize);
    let n = for_each_line(reader(), |m, l| {
        let e = expected
            .next()
            .expect("for_each_line reported an extra line");
        assert_eq!(
            (m.number, m.truncated),
            (e.0, e.1),
            "line number / truncated flag"
        );
        assert!(l == e.2, "content of line {}", e.0);
        lines_seen += 1;
        truncated_seen += usize::from(m.truncated);
        true
    })
    .expect("reading from memory cannot fail");
    assert!(expected.next().is_none(), "for_each_line missed lines");
    assert_eq!(n, stream.len() as u64, "bytes read");

    // 2. for_each_chunk: chunks are whole lines, numbered consecutively; stopping early works.
    let mut next = 1u64;
    let stop_after = usize::from(mode >> 3);
    let mut calls = 0usize;
    for_each_chunk(reader(), |first, chunk, truncated| {
        assert_eq!(first, next, "chunk numbering");
        assert!(!chunk.is_empty(), "empty chunk");
        if truncated {
            assert_eq!(chunk.len(), MAX_LINE_BYTES);
            next += 1;
        } else {
            next += triage::log::lines_of(chunk).count() as u64;
        }
        calls += 1;
        calls <= stop_after
    })
    .expect("reading from memory cannot fail");

    // 3. The line state machine over every line (parse_log below covers the big streams).
    if repeats == 0 {
        let mut g = LogGrammar::new();
        for (_, _, line) in reference_lines(stream) {
            let info = g.step(line);
            match info.kind {
                LineKind::Entry | LineKind::BlockHeader => assert!(info.ts.is_some()),
                _ => assert!(info.ts.is_none()),
            }
            assert!(info.text.len() <= line.len());
            assert!(info.scopes & triage::vocab::SCOPE_LOG != 0);
        }
    }

    // 4. parse_log: entries in order, every line accounted for at most once.
    let parsed = parse_log(reader()).expect("reading from memory cannot fail");
    let mut last = 0u64;
    let mut lines = 0usize;
    for e in &parsed.entries {
        assert!(e.line > last, "entries out of order");
        last = e.line;
        lines += 1;
        for (n, _) in &e.more {
            assert!(*n > last, "continuation before its entry");
            last = *n;
            lines += 1;
        }
        assert_eq!(
            e.block.is_some(),
            e.block.as_deref() == Some(e.text.as_str())
        );
    }
    assert!(lines <= lines_seen);
    assert_eq!(parsed.truncated_lines.len(), truncated_seen);
}

fn records_of(value: &serde_json::Value, raw: &[u8], path: &Path) -> Vec<JobRecord> {
    let mut warnings = Vec::new();
    let mut out = Vec::new();
    match value {
        serde_json::Value::Object(top) => match top.get("jobs") {
            Some(serde_json::Value::Array(jobs)) => {
                for job in jobs {
                    if let serde_json::Value::Object(o) = job {
                        out.push(JobRecord::from_object(o, path, None, &mut warnings));
                    }
                }
            }
            _ => out.push(JobRecord::from_object(top, path, Some(raw), &mut warnings)),
        },
        serde_json::Value::Array(items) => {
            for item in items {
                if let serde_json::Value::Object(o) = item {
                    out.push(JobRecord::from_object(o, path, Some(raw), &mut warnings));
                }
            }
        }
        _ => {}
    }
    for w in &warnings {
        assert_eq!(w.path, path.display().to_string());
        if let Some(l) = w.line {
            assert!(l >= 1 && l <= raw.iter().filter(|&&c| c == b'\n').count() as u64 + 1);
        }
    }
    out
}

fn temp_dir() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("temporary folder"))
}

/// Record reading and merging. Input: `index JSON` NUL `job file JSON` (either part may be
/// missing or broken). The index part is also written to a file and read with `read_index`,
/// which must agree with reading the parsed value in memory.
pub fn record_merge(data: &[u8]) {
    let mut parts = data.splitn(2, |&c| c == 0);
    let index_raw = parts.next().unwrap_or_default();
    let file_raw = parts.next().unwrap_or_default();
    let index_path = Path::new("state.json");
    let file_path = Path::new("jobs/task-fuzz.json");

    let index_value = serde_json::from_slice::<serde_json::Value>(index_raw).ok();
    let file_value = serde_json::from_slice::<serde_json::Value>(file_raw).ok();
    let index_recs = index_value
        .as_ref()
        .map(|v| records_of(v, index_raw, index_path))
        .unwrap_or_default();
    let file_recs = file_value
        .as_ref()
        .map(|v| records_of(v, file_raw, file_path))
        .unwrap_or_default();

    for r in index_recs.iter().chain(&file_recs) {
        if let Some(s) = &r.status {
            assert_eq!(&triage::vocab::Status::parse(s.as_str()), s);
        }
        if let Some(k) = &r.kind {
            assert_eq!(&triage::vocab::Kind::parse(k.as_str()), k);
        }
        if let Some(id) = &r.id {
            let _ = triage::record::time_from_id(id);
        }
        for t in [r.created_at, r.started_at, r.completed_at, r.updated_at]
            .into_iter()
            .flatten()
        {
            let _ = triage::timefmt::format_iso(t);
        }
    }

    // Merge every pairing (bounded), including the one-sided and empty cases.
    let dbg = |r: &JobRecord| format!("{r:?}");
    let empty = dbg(&JobRecord::default());
    assert_eq!(dbg(&JobRecord::merge(None, None)), empty);
    for i in index_recs.iter().take(8) {
        assert_eq!(dbg(&JobRecord::merge(Some(i.clone()), None)), dbg(i));
        assert_eq!(dbg(&JobRecord::merge(None, Some(i.clone()))), dbg(i));
        for f in file_recs.iter().take(8) {
            let m = JobRecord::merge(Some(i.clone()), Some(f.clone()));
            assert_eq!(m.status, i.status.clone().or(f.status.clone()));
            assert_eq!(m.phase, i.phase.clone().or(f.phase.clone()));
            assert_eq!(m.rendered, f.rendered.clone().or(i.rendered.clone()));
            assert_eq!(m.result, f.result.clone().or(i.result.clone()));
            assert_eq!(m.id, f.id.clone().or(i.id.clone()));
            // Merging with itself changes nothing.
            assert_eq!(
                dbg(&JobRecord::merge(Some(m.clone()), Some(m.clone()))),
                dbg(&m)
            );
        }
    }

    // read_index on the same bytes, from a file.
    let p = temp_dir().path().join("state.json");
    std::fs::write(&p, index_raw).expect("write temporary file");
    let mut warnings = Vec::new();
    let idx = triage::record::read_index(&p, &mut warnings);
    assert_eq!(idx.order.len(), idx.entries.len());
    for id in &idx.order {
        assert_eq!(idx.entries[id].id.as_deref(), Some(id.as_str()));
    }
    let json = triage::record::read_json(&p, &mut Vec::new());
    assert_eq!(
        json.value, index_value,
        "read_json disagrees with serde_json"
    );
    if let Some(serde_json::Value::Object(top)) = &index_value
        && let Some(serde_json::Value::Array(jobs)) = top.get("jobs")
    {
        let with_id = jobs
            .iter()
            .filter(|j| j.get("id").is_some_and(|v| v.is_string()))
            .count();
        assert!(idx.entries.len() <= with_id);
        if with_id > 0 {
            assert!(!idx.entries.is_empty());
        }
    } else {
        assert!(idx.entries.is_empty());
    }
}

/// Rule file name for a text, so that a valid file passes the id/family checks: taken from
/// the text's own `id` and `family` when they parse.
fn rule_name(text: &str, n: usize) -> String {
    let table = toml::from_str::<toml::Table>(text).ok();
    let get = |k: &str| {
        table
            .as_ref()
            .and_then(|t| t.get(k))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    match (get("family"), get("id")) {
        (Some(f), Some(i)) if !i.contains(['/', '\\']) && !f.contains(['/', '\\']) => {
            format!("fuzz:rules/{f}/{i}.toml")
        }
        (None, Some(i)) if !i.contains(['/', '\\']) => format!("fuzz:{i}.toml"),
        _ => format!("fuzz:file{n}.toml"),
    }
}

/// Rule loading. Input: up to 4 rule files (TOML) separated by NUL bytes. A file set that
/// compiles must then classify its own test texts without panicking.
pub fn rule_loader(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let files: Vec<(String, String)> = text
        .split('\0')
        .take(4)
        .enumerate()
        .map(|(n, t)| (rule_name(t, n), t.to_string()))
        .collect();
    match triage::rules::compile_files(&files) {
        Ok(set) => {
            assert!(set.rules.len() <= files.len());
            assert_eq!(
                set.owners.len(),
                set.rules.iter().map(|r| r.patterns.len()).sum::<usize>()
            );
            for w in set.rules.windows(2) {
                assert!(w[0].id() < w[1].id(), "rules not sorted by id");
            }
            for r in &set.rules {
                for t in &r.file.tests {
                    if let Some(text) = &t.text {
                        check_matches(text, &set);
                    }
                }
            }
        }
        Err(problems) => {
            assert!(!problems.is_empty());
            for p in &problems {
                assert!(!p.message.is_empty());
            }
        }
    }
}

/// The built-in rule library, loaded once.
pub fn builtin_rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| {
        triage::rules::load(&triage::rules::RuleSources {
            builtin: true,
            dirs: vec![],
        })
        .expect("built-in rules load")
    })
}

fn check_matches(text: &str, rules: &RuleSet) {
    let result = triage::matchtext::classify_text(text, rules);
    let matches = &result.matches;
    let nlines = text.lines().count() as u64;
    for m in matches {
        assert!((1..=99).contains(&m.score), "score {}", m.score);
        assert!(rules.get(&m.signature).is_some());
        assert!(m.evidence.len() <= 5);
        for w in m.evidence.windows(2) {
            assert!(w[0].line < w[1].line);
        }
        for e in &m.evidence {
            assert!(e.line >= 1 && e.line <= nlines);
        }
    }
    for w in matches.windows(2) {
        assert!(
            w[0].confidence < w[1].confidence || w[0].score >= w[1].score,
            "matches not sorted by confidence, then score"
        );
    }
    let _ = triage::matchtext::render_human(&result, rules);
    serde_json::to_string(&triage::matchtext::json_doc(&result)).expect("match JSON serialises");
}

/// `triage match`: free text (lossily decoded) against the built-in rules.
pub fn match_text(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    check_matches(&text, builtin_rules());
    for line in text.lines() {
        let n = triage::matchtext::normalise_line(line);
        assert!(n.len() <= line.len());
    }
}

/// `redact_text`: redaction never panics, is idempotent, and terminal-safe text holds no
/// control character (and no newline in its one-line form).
pub fn redact_text(data: &[u8]) {
    static R: OnceLock<triage::redact::Redactor> = OnceLock::new();
    let r = R.get_or_init(|| triage::redact::Redactor::new(Some("/home/alice"), Some("alice")));
    let text = String::from_utf8_lossy(data);
    let once = r.redact(&text);
    let twice = r.redact(&once);
    assert_eq!(twice, once, "redaction is not idempotent");
    let block = triage::term_safe::block(&once);
    assert!(!triage::term_safe::has_control(&block));
    let line = triage::term_safe::line(&once);
    assert!(!triage::term_safe::has_control(&line) && !line.contains('\n'));
}
