//! `triage match`: classify free text — a pasted job log, `[codex] `-prefixed stderr, or a
//! whole issue body with prose, code fences and quoted JSON — against the signatures.
//!
//! How a text is decided (README, "How `match` decides"):
//! 1. [`normalise`]: every line is cleaned (quotes, bullets, prompts, TUI glyphs, markdown,
//!    escapes) and neighbouring lines of one block are also tried joined, so hard-wrapped
//!    messages match; [`variants`] tries each line's other contraction/spelling forms;
//!    `crate::matchtext_support` gives each line a role (output, prose, mention, another
//!    tool's output); `negation` drops strings a prose sentence negates.
//! 2. Rules: the one-pass matcher runs in the free-text scope; a rule matches when its
//!    free-text condition holds. A rule that `yields_to` another loses the lines the other
//!    matched (the envelope `stream disconnected before completion: <payload>` yields to the
//!    payload's signature). These are `exact` matches.
//! 3. [`context`]: a rule with `needs_context` is reported only when the text names the
//!    product (vocabulary in `rules/_vocab/context.toml`); else it is `low`.
//! 4. [`intent`]: a feature request, question or change log gets at most `low` matches.
//! 5. [`retrieval`]: when no rule fires, BM25 over the rules' own words may propose one
//!    rule as `similar`, with a margin over the runner-up, or abstain.
//! 6. Failure-looking text in context that nothing explains is `unclassified`, with the
//!    fingerprint the scan gives unexplained failures.

pub mod context;
pub mod intent;
mod negation;
pub mod normalise;
pub mod retrieval;
pub mod variants;

use crate::log::split_timestamp;
use crate::matchtext_support::LineRole;
use crate::rules::RuleSet;
use crate::run::{EVIDENCE_CHARS, cap_text};
use crate::vocab::SCOPE_ALL_TEXT;
use context::Vocabulary;
use intent::Intent;
use normalise::Segment;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Evidence lines kept per match.
const EVIDENCE_PER_MATCH: usize = 5;

pub use retrieval::{SIMILAR_MARGIN, SIMILAR_MIN_SCORE, SimilarThresholds};

/// How sure a match is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// A rule's patterns matched, in context, in a failure report.
    Exact,
    /// No rule matched; ranked retrieval found this rule clearly closest.
    Similar,
    /// A rule matched, but the text is not a failure report or lacks product context.
    Low,
}

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
    /// Score, 0–100.
    pub score: u32,
    /// `exact`, `similar` or `low`.
    pub confidence: Confidence,
    /// Why the confidence is not `exact`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
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

/// Failure-looking text that no signature explains.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Unclassified {
    /// `unclassified:<fingerprint>`, as the scan names such clusters.
    pub id: String,
    /// Fingerprint of the normalised line (`cluster::fingerprint`).
    pub fingerprint: String,
    /// The line.
    pub line: u64,
    /// Its text, capped.
    pub text: String,
    /// Its template (`cluster::template_of_line`): ids, numbers, paths and secrets masked,
    /// what a rule for it would match; capped.
    pub template: String,
    /// The values the template's variables took in the line.
    pub variables: Vec<crate::cluster::TemplateVariable>,
}

/// What `triage match` found in a text.
#[derive(Debug, Clone, Default)]
pub struct TextResult {
    /// Every match, `exact` and `similar` first (best first), then `low`.
    pub matches: Vec<TextMatch>,
    /// Failure-looking text nothing explains, when there is no `exact` or `similar` match.
    pub unclassified: Option<Unclassified>,
    /// Product term found, if any.
    pub context: Option<String>,
    /// The text's intent.
    pub intent: Option<&'static str>,
}

impl TextResult {
    /// The `exact` and `similar` matches.
    pub fn confident(&self) -> impl Iterator<Item = &TextMatch> {
        self.matches
            .iter()
            .filter(|m| m.confidence != Confidence::Low)
    }
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

/// Pattern hits of a text: per matcher pattern, the segments it matched (a joined window
/// counts at its first segment).
struct Hits {
    per_pattern: BTreeMap<usize, BTreeSet<usize>>,
}

/// Windows of segments tried joined, beyond single segments: (segments, separator).
const JOINS: &[(usize, &str)] = &[(2, " "), (2, ""), (3, " ")];

fn find_hits(segs: &[Segment], rules: &RuleSet) -> Hits {
    let mut per_pattern: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    let mut single: Vec<Vec<usize>> = vec![Vec::new(); segs.len()];
    let mut seen = Vec::new();
    for (i, s) in segs.iter().enumerate() {
        if !s.role.counts() {
            continue;
        }
        // The segment as written, then its other contraction/spelling forms.
        let forms: Vec<String> = std::iter::once(s.text.clone())
            .chain(variants::variants(&s.text))
            .collect();
        for form in &forms {
            let mut found = Vec::new();
            rules
                .matcher
                .verify_line(form.as_bytes(), SCOPE_ALL_TEXT, &mut seen, &mut |p| {
                    found.push(p)
                });
            for p in found {
                if single[i].contains(&p) {
                    continue;
                }
                single[i].push(p);
                // In prose, a string right after a negation is what the failure is *not*
                // ("the error is not "blocked by policy" but …").
                if s.role == LineRole::Prose && negation::negated(rules, p, form) {
                    continue;
                }
                per_pattern.entry(p).or_default().insert(i);
            }
        }
    }
    // A pasted job log's last entry is the last line of its code block: `last`-scope
    // patterns read it (a log that "stops at `Turn started (…)`").
    for (i, s) in segs.iter().enumerate() {
        let block_end = segs.get(i + 1).is_none_or(|n| n.block != s.block);
        if s.role != LineRole::Output || !block_end {
            continue;
        }
        for &g in &rules.last_patterns {
            if rules.matcher.is_match(g, s.text.as_bytes()) {
                per_pattern.entry(g).or_default().insert(i);
            }
        }
    }
    for &(n, sep) in JOINS {
        for i in 0..segs.len().saturating_sub(n - 1) {
            let w = &segs[i..i + n];
            if w.iter().any(|s| !s.role.counts() || s.block != w[0].block) {
                continue;
            }
            let joined = w
                .iter()
                .map(|s| s.text.as_str())
                .collect::<Vec<_>>()
                .join(sep);
            let mut found = Vec::new();
            rules
                .matcher
                .verify_line(joined.as_bytes(), SCOPE_ALL_TEXT, &mut seen, &mut |p| {
                    found.push(p)
                });
            for p in found {
                // Only what no single segment of the window shows: a match across a wrap.
                if (i..i + n).all(|k| !single[k].contains(&p)) {
                    per_pattern.entry(p).or_default().insert(i);
                }
            }
        }
    }
    Hits { per_pattern }
}

/// Classifies `text`: rules, then context and intent, then retrieval and `unclassified`.
pub fn classify_text(text: &str, rules: &RuleSet) -> TextResult {
    classify_with(text, rules, Vocabulary::builtin(), true)
}

/// Only the rule stage: the matches rules make on `text`, with their confidence
/// (`exact` or `low`), no retrieval. What rule self-tests check.
pub fn rule_matches(text: &str, rules: &RuleSet) -> Vec<TextMatch> {
    classify_with(text, rules, Vocabulary::builtin(), false).matches
}

/// [`classify_text`] with a given vocabulary; `second_stage` enables retrieval and
/// `unclassified`.
pub fn classify_with(
    text: &str,
    rules: &RuleSet,
    vocab: &Vocabulary,
    second_stage: bool,
) -> TextResult {
    classify_tuned(
        text,
        rules,
        vocab,
        second_stage.then_some(SimilarThresholds::DEFAULT),
    )
}

/// The retrieval stage's raw best rule for `text` (no floor, no margin), when the stage
/// runs at all: no rule matched, the text is a report and in context. What threshold
/// tuning and cross-validation read (`scripts/match-folds.sh`).
pub fn similar_candidate(
    text: &str,
    rules: &RuleSet,
    vocab: &Vocabulary,
) -> Option<retrieval::Proposal> {
    let segs = normalise::segments(text);
    let input = Input {
        hits: find_hits(&segs, rules),
        segs,
        raw_lines: text.lines().collect(),
    };
    let intent = intent::detect(text);
    let matched = matching_rules(rules, &input);
    let in_context =
        vocab.find(text).is_some() || matched.iter().any(|(ri, _)| specific(rules, *ri));
    if intent != Intent::Report || !in_context {
        return None;
    }
    let any_rule = matched
        .into_iter()
        .any(|(ri, blocked)| rule_match(rules, &input, ri, &blocked, intent, in_context).is_some());
    if any_rule {
        return None;
    }
    let query = similar_query(&input);
    let any = SimilarThresholds::ANY;
    retrieval::Index::of(rules).propose(&query, any.min_score, any.margin)
}

/// [`classify_with`] with given retrieval thresholds; `None` disables retrieval and
/// `unclassified` (the rule stage only).
pub fn classify_tuned(
    text: &str,
    rules: &RuleSet,
    vocab: &Vocabulary,
    similar: Option<SimilarThresholds>,
) -> TextResult {
    let second_stage = similar.is_some();
    let segs = normalise::segments(text);
    let input = Input {
        hits: find_hits(&segs, rules),
        segs,
        raw_lines: text.lines().collect(),
    };
    let context = vocab.find(text);
    let intent = intent::detect(text);
    let matched = matching_rules(rules, &input);
    // A product-specific signature (a rule that does not declare `needs_context`) is itself
    // evidence that the text is about Codex: a thread from the Codex tracker often never names
    // the product, but `Sandbox(LandlockRestrict)` next to a bwrap error says whose it is.
    let in_context = context.is_some() || matched.iter().any(|(ri, _)| specific(rules, *ri));

    let mut out: Vec<TextMatch> = matched
        .into_iter()
        .filter_map(|(ri, blocked)| rule_match(rules, &input, ri, &blocked, intent, in_context))
        .collect();
    let mut unclassified = None;
    if second_stage && out.is_empty() && intent == Intent::Report && in_context {
        out.extend(similar_match(
            rules,
            &input,
            similar.unwrap_or(SimilarThresholds::DEFAULT),
        ));
        if out.is_empty() {
            unclassified = find_unclassified(&input.segs, &input.raw_lines);
        }
    }
    sort_matches(&mut out, rules);
    TextResult {
        matches: out,
        unclassified,
        context,
        intent: Some(intent.as_str()),
    }
}

/// Whether rule `ri` is built on product-specific text (it does not declare `needs_context`).
fn specific(rules: &RuleSet, ri: usize) -> bool {
    !rules.rules[ri].file.needs_context
}

/// A text prepared for the rule stage: its segments, their pattern hits, its raw lines
/// (for evidence).
struct Input<'t> {
    segs: Vec<Segment>,
    hits: Hits,
    raw_lines: Vec<&'t str>,
}

impl Input<'_> {
    /// On how many segments outside `blocked` pattern `g` matched.
    fn count(&self, g: usize, blocked: &BTreeSet<usize>) -> u32 {
        self.hits
            .per_pattern
            .get(&g)
            .map(|s| s.iter().filter(|i| !blocked.contains(i)).count() as u32)
            .unwrap_or(0)
    }

    /// The segments any pattern of rule `ri` matched.
    fn segments_of(&self, rules: &RuleSet, ri: usize) -> BTreeSet<usize> {
        rules.rules[ri]
            .patterns
            .iter()
            .flat_map(|p| self.hits.per_pattern.get(&p.global).into_iter().flatten())
            .copied()
            .collect()
    }

    /// Evidence for input line `n` (1-based): the raw line, cleaned and capped; `None`
    /// when nothing is left.
    fn evidence(&self, n: u64) -> Option<TextEvidence> {
        let raw = self
            .raw_lines
            .get((n as usize).wrapping_sub(1))
            .copied()
            .unwrap_or("");
        let text = cap_text(normalise_line(raw), EVIDENCE_CHARS);
        (!text.is_empty()).then_some(TextEvidence { line: n, text })
    }
}

/// The rules whose free-text condition holds, each with the segments it lost to a rule it
/// `yields_to`; a rule `explained_by` another that holds is left out. Declared precedence: a rule loses the segments (and the one before each,
/// where an envelope's carrier precedes its wrapped payload) that a rule it yields to
/// matched, and must still match without them.
fn matching_rules(rules: &RuleSet, input: &Input) -> Vec<(usize, BTreeSet<usize>)> {
    let matched_with = |ri: usize, blocked: &BTreeSet<usize>| {
        rules.rule_matches_text(ri, &|g: usize| input.count(g, blocked))
    };
    let none = BTreeSet::new();
    let first: Vec<usize> = (0..rules.rules.len())
        .filter(|&ri| matched_with(ri, &none))
        .collect();
    let mut out = Vec::new();
    for &ri in &first {
        // A symptom whose cause another matching rule names is explained by it (text-wide).
        let explained = &rules.rules[ri].file.explained_by;
        if first
            .iter()
            .any(|&o| explained.iter().any(|e| e == rules.rules[o].id()))
        {
            continue;
        }
        let ys = &rules.rules[ri].file.yields_to;
        let mut blocked = BTreeSet::new();
        for &other in &first {
            if !ys.iter().any(|y| y == rules.rules[other].id()) {
                continue;
            }
            for i in input.segments_of(rules, other) {
                blocked.insert(i);
                if i > 0 && input.segs[i - 1].block == input.segs[i].block {
                    blocked.insert(i - 1);
                }
            }
        }
        if blocked.is_empty() || matched_with(ri, &blocked) {
            out.push((ri, blocked));
        }
    }
    out
}

/// Rule `ri`'s match: score and evidence from its patterns' hits outside `blocked`, and its
/// confidence from the text's intent and context. `None` when no evidence line is left.
fn rule_match(
    rules: &RuleSet,
    input: &Input,
    ri: usize,
    blocked: &BTreeSet<usize>,
    intent: Intent,
    in_context: bool,
) -> Option<TextMatch> {
    let rule = &rules.rules[ri];
    // Score: 1 - Π(1 - s) over matched patterns, s = weight × (0.6 prose, 0.85 output).
    let mut miss = 1.0f64;
    let mut evidence: Vec<TextEvidence> = Vec::new();
    for p in &rule.patterns {
        let Some(set) = input.hits.per_pattern.get(&p.global) else {
            continue;
        };
        let at: Vec<usize> = set
            .iter()
            .copied()
            .filter(|i| !blocked.contains(i))
            .collect();
        if (at.len() as u32) < p.min_count {
            continue;
        }
        let output = at.iter().any(|&i| input.segs[i].role == LineRole::Output);
        let s = (p.weight * if output { 0.85 } else { 0.6 }).min(0.97);
        miss *= 1.0 - s;
        for &i in at.iter().take(3) {
            let n = input.segs[i].line;
            if !evidence.iter().any(|e| e.line == n) {
                evidence.extend(input.evidence(n));
            }
        }
    }
    evidence.sort_by_key(|e| e.line);
    evidence.truncate(EVIDENCE_PER_MATCH);
    if evidence.is_empty() {
        return None;
    }
    let score = ((1.0 - miss) * 100.0).round().clamp(1.0, 99.0) as u32;
    let (confidence, note) = if intent != Intent::Report {
        (
            Confidence::Low,
            Some(format!(
                "the text is a {}, not a failure report",
                intent.as_str()
            )),
        )
    } else if rule.file.needs_context && !in_context {
        (
            Confidence::Low,
            Some("generic error text, and nothing in the text names Codex or the plugin".into()),
        )
    } else {
        (Confidence::Exact, None)
    };
    Some(to_match(rules, ri, score, confidence, note, evidence))
}

/// The second stage: BM25 over the rules' own words proposes one rule as `similar`, with
/// the lines that carry the shared terms as evidence, or abstains.
fn similar_match(rules: &RuleSet, input: &Input, t: SimilarThresholds) -> Option<TextMatch> {
    let counted = || input.segs.iter().filter(|s| s.role.counts());
    let query = similar_query(input);
    let p = retrieval::Index::of(rules).propose(&query, t.min_score, t.margin)?;
    let mut evidence: Vec<TextEvidence> = Vec::new();
    for s in counted() {
        let toks = retrieval::tokens(&s.text);
        if p.terms.iter().take(3).any(|t| toks.contains(t))
            && !evidence.iter().any(|e| e.line == s.line)
        {
            evidence.extend(input.evidence(s.line));
        }
        if evidence.len() >= 3 {
            break;
        }
    }
    if evidence.is_empty() {
        return None;
    }
    let score = (100.0 * (1.0 - p.runner_up / p.score))
        .round()
        .clamp(1.0, 60.0) as u32;
    let note = format!(
        "no rule matched; closest by shared terms ({}), {:.1} vs {:.1} for the runner-up",
        p.terms.join(", "),
        p.score,
        p.runner_up
    );
    Some(to_match(
        rules,
        p.rule,
        score,
        Confidence::Similar,
        Some(note),
        evidence,
    ))
}

/// The retrieval query: the word tokens of the counted segments.
fn similar_query(input: &Input) -> Vec<String> {
    input
        .segs
        .iter()
        .filter(|s| s.role.counts())
        .flat_map(|s| retrieval::tokens(&s.text))
        .collect()
}

/// `exact` and `similar` first, then `low`; within each, higher score, then higher
/// severity, then id.
fn sort_matches(out: &mut [TextMatch], rules: &RuleSet) {
    let severity = |id: &str| rules.get(id).map(|r| r.file.severity);
    out.sort_by(|a, b| {
        a.confidence
            .cmp(&b.confidence)
            .then(b.score.cmp(&a.score))
            .then_with(|| severity(&b.signature).cmp(&severity(&a.signature)))
            .then_with(|| a.signature.cmp(&b.signature))
    });
}

fn to_match(
    rules: &RuleSet,
    ri: usize,
    score: u32,
    confidence: Confidence,
    note: Option<String>,
    evidence: Vec<TextEvidence>,
) -> TextMatch {
    let rule = &rules.rules[ri];
    TextMatch {
        signature: rule.id().to_string(),
        title: rule.file.title.clone(),
        score,
        confidence,
        note,
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
    }
}

/// Words that make a line look like a failure (lower case).
const FAILURE_WORDS: &[&str] = &[
    "error",
    "failed",
    "failure",
    "panic",
    "exception",
    "fatal",
    "denied",
    "not found",
    "cannot ",
    "can't ",
    "unable to",
    "timed out",
    "exit code",
    "exited with",
    "crash",
    "traceback",
    "refused",
    "invalid",
];

/// The first output line (else prose line) that looks like a failure.
fn find_unclassified(segs: &[Segment], raw_lines: &[&str]) -> Option<Unclassified> {
    let looks = |s: &&Segment| {
        let l = s.text.to_lowercase();
        s.text.len() >= 12 && FAILURE_WORDS.iter().any(|w| l.contains(w))
    };
    let pick = segs
        .iter()
        .filter(|s| s.role == LineRole::Output)
        .find(looks)
        .or_else(|| {
            segs.iter()
                .filter(|s| s.role == LineRole::Prose)
                .find(looks)
        })?;
    let norm = crate::cluster::normalise(&pick.text);
    let fp = crate::cluster::fingerprint(&norm);
    let raw = raw_lines.get(pick.line as usize - 1).copied().unwrap_or("");
    let (template, variables) = crate::cluster::template_of_line(&pick.text);
    Some(Unclassified {
        id: format!("unclassified:{fp}"),
        fingerprint: fp,
        line: pick.line,
        text: cap_text(normalise_line(raw), EVIDENCE_CHARS),
        template: cap_text(&template, EVIDENCE_CHARS),
        variables,
    })
}

pub use crate::report::text_match::{MATCH_SCHEMA_VERSION, MatchDoc, json_doc, render_human};
