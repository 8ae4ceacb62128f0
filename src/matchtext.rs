//! `triage match`: classify free text — a pasted job log, `[codex] `-prefixed stderr, or a
//! whole issue body with prose, code fences and quoted JSON — against the signatures.
//!
//! Every line is normalised (quote markers, `[codex] ` and `[ISO] ` prefixes dropped) and
//! checked with the same one-pass matcher as job records, in the free-text scope. A rule
//! matches when its free-text condition holds; its score (0–100) grows with the weight of the
//! patterns that matched and with how much the matching lines look like real output (code
//! fences, log prefixes) rather than prose.

use crate::log::split_timestamp;
use crate::matchtext_support::{LineRole, analyse};
use crate::rules::RuleSet;
use crate::run::{EVIDENCE_CHARS, cap_text};
use crate::vocab::SCOPE_ALL_TEXT;
use serde::Serialize;
use std::collections::BTreeMap;

/// Evidence lines kept per match.
const EVIDENCE_PER_MATCH: usize = 5;

/// One line of evidence in the input.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TextEvidence {
    /// 1-based line in the input.
    pub line: u64,
    /// The line, capped.
    pub text: String,
}

/// A signature found in the text.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TextMatch {
    /// Rule id.
    pub signature: String,
    /// Rule title.
    pub title: String,
    /// Confidence, 0–100.
    pub score: u32,
    /// Severity.
    pub severity: String,
    /// Lines that matched.
    pub evidence: Vec<TextEvidence>,
    /// Upstream references.
    pub references: Vec<String>,
    /// Related signatures.
    pub related: Vec<crate::cluster::RelatedRef>,
    /// Fix.
    pub fix: String,
}

/// Strips what wraps a log line in an issue body: quote markers, list bullets, `[codex] `,
/// `[ISO] ` timestamps.
pub fn normalise_line(line: &str) -> &str {
    let mut s = line.trim_start();
    loop {
        let before = s.len();
        s = s.trim_start_matches(['>', '#']).trim_start();
        if let Some(r) = s
            .strip_prefix("[codex] ")
            .or_else(|| s.strip_prefix("[codex]"))
        {
            s = r.trim_start();
        }
        if let Some((_, rest)) = split_timestamp(s.as_bytes()) {
            s = &s[s.len() - rest.len()..];
        }
        if s.len() == before {
            break;
        }
    }
    s.trim_end()
}

/// Classifies `text`; best matches first.
pub fn classify_text(text: &str, rules: &RuleSet) -> Vec<TextMatch> {
    let mut counts: BTreeMap<usize, u32> = BTreeMap::new();
    let mut lines: BTreeMap<usize, Vec<(u64, String, bool)>> = BTreeMap::new();
    let mut seen = Vec::new();
    let roles = analyse(text);
    for ((i, raw), role) in text.lines().enumerate().zip(roles) {
        if !role.counts() {
            continue;
        }
        let line = normalise_line(raw);
        if line.is_empty() {
            continue;
        }
        let loglike = role == LineRole::Output;
        let mut found = Vec::new();
        rules
            .matcher
            .verify_line(line.as_bytes(), SCOPE_ALL_TEXT, &mut seen, &mut |p| {
                found.push(p)
            });
        for p in found {
            *counts.entry(p).or_insert(0) += 1;
            let v = lines.entry(p).or_default();
            if v.len() < 3 {
                v.push((i as u64 + 1, cap_text(line, EVIDENCE_CHARS), loglike));
            }
        }
    }
    let count = |g: usize| counts.get(&g).copied().unwrap_or(0);
    let mut out = Vec::new();
    for (ri, rule) in rules.rules.iter().enumerate() {
        if !rules.rule_matches_text(ri, &count) {
            continue;
        }
        // Score: 1 - Π(1 - s) over matched patterns, s = weight × (0.6 prose, 0.85 log-like).
        let mut miss = 1.0f64;
        let mut evidence: Vec<TextEvidence> = Vec::new();
        for p in &rule.patterns {
            if count(p.global) < p.min_count {
                continue;
            }
            let ls = &lines[&p.global];
            let loglike = ls.iter().any(|(_, _, l)| *l);
            let s = (p.weight * if loglike { 0.85 } else { 0.6 }).min(0.97);
            miss *= 1.0 - s;
            for (n, t, _) in ls {
                if !evidence.iter().any(|e| e.line == *n) {
                    evidence.push(TextEvidence {
                        line: *n,
                        text: t.clone(),
                    });
                }
            }
        }
        evidence.sort_by_key(|e| e.line);
        evidence.truncate(EVIDENCE_PER_MATCH);
        let score = ((1.0 - miss) * 100.0).round().clamp(1.0, 99.0) as u32;
        out.push(TextMatch {
            signature: rule.id().to_string(),
            title: rule.file.title.clone(),
            score,
            severity: rule.file.severity.as_str().to_string(),
            evidence,
            references: rule.file.references.clone(),
            related: rule
                .file
                .related
                .iter()
                .map(|r| crate::cluster::RelatedRef {
                    id: r.id.clone(),
                    relation: r.relation.as_str().into(),
                    note: r.note.clone(),
                })
                .collect(),
            fix: rule.file.fix.trim().to_string(),
        });
    }
    out.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then_with(|| {
                rules
                    .get(&b.signature)
                    .map(|r| r.file.severity)
                    .cmp(&rules.get(&a.signature).map(|r| r.file.severity))
            })
            .then_with(|| a.signature.cmp(&b.signature))
    });
    out
}

// The renderers of `triage match` live in `src/report/text_match.rs`; re-exported here
// for the harnesses that call them by these paths.
pub use crate::report::text_match::{MATCH_SCHEMA_VERSION, MatchDoc, json_doc, render_human};
