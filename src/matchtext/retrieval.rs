//! The second stage of `triage match`: ranked retrieval for texts no rule matches.
//!
//! Every rule is one document: its title, description, fix, the text of its `match` tests
//! and the words of its patterns. A query (the counted lines of the input) is scored against
//! each with Okapi BM25 over distinct query terms. The best rule is proposed as `similar`
//! only when its score clears an absolute floor and beats the runner-up by a margin;
//! otherwise the stage abstains. It finds a signature whose *vocabulary* the text shares —
//! a paraphrase, a report in prose — and cannot tell two rules apart that are described in
//! the same words, nor read negation or intent.

use crate::rules::RuleSet;
use crate::rules::model::Expect;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// BM25 term-frequency saturation.
const K1: f64 = 1.2;
/// BM25 length normalisation.
const B: f64 = 0.75;

/// Words too common in the rule library and in reports to say anything (lower case).
const STOPWORDS: &[&str] = &[
    "the", "and", "for", "with", "that", "this", "was", "are", "not", "but", "you", "your", "from",
    "has", "have", "had", "its", "into", "when", "then", "than", "which", "what", "who", "will",
    "can", "all", "any", "one", "out", "our", "use", "used", "using", "via", "run", "runs",
    "running", "job", "jobs", "codex", "plugin", "claude", "code", "error", "errors", "failed",
    "fails", "fail", "failure", "issue", "also", "only", "same", "there", "here", "they", "them",
    "their", "does", "did", "doesn", "don", "isn", "it's", "get", "gets", "got", "see", "like",
    "just", "even", "still", "after", "before", "because", "would", "could", "should", "may",
    "might", "other", "some", "more", "most", "very", "each", "every", "been", "being", "were",
    "how", "why", "where", "about", "over", "under", "again", "new", "now", "way", "make", "made",
    "works", "work", "working", "version", "versions", "latest", "windows", "linux", "macos",
    "user", "users",
];

/// Retrieval: lowest BM25 score of a `similar` proposal. Chosen by 5-fold cross-validation
/// over `corpus/issues` (`tests/match_corpus.rs`, `kfold_retrieval_thresholds`): four of the
/// five training splits pick 35 / 1.4, and held-out folds score no worse than with 20 / 1.6.
pub const SIMILAR_MIN_SCORE: f64 = 35.0;
/// Retrieval: how many times the runner-up's score the best must reach.
pub const SIMILAR_MARGIN: f64 = 1.4;

/// When the retrieval stage may propose a rule: the best rule's BM25 score must reach
/// `min_score` and `margin` times the runner-up's, otherwise the stage abstains.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimilarThresholds {
    /// Lowest BM25 score of a proposal.
    pub min_score: f64,
    /// Ratio over the runner-up's score.
    pub margin: f64,
}

impl SimilarThresholds {
    /// The thresholds `triage match` uses ([`SIMILAR_MIN_SCORE`], [`SIMILAR_MARGIN`]).
    pub const DEFAULT: SimilarThresholds = SimilarThresholds {
        min_score: SIMILAR_MIN_SCORE,
        margin: SIMILAR_MARGIN,
    };
    /// Thresholds that accept the best-ranked rule whenever the stage runs (for measuring
    /// the stage's raw ranking, see [`super::similar_candidate`]).
    pub const ANY: SimilarThresholds = SimilarThresholds {
        min_score: 0.0,
        margin: 1.0,
    };
}

/// A term-weighted document per rule.
#[derive(Debug)]
pub struct Index {
    docs: Vec<HashMap<String, u32>>,
    lens: Vec<f64>,
    avg_len: f64,
    df: HashMap<String, u32>,
}

/// A proposed rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    /// Rule index in the set.
    pub rule: usize,
    /// BM25 score of the best rule.
    pub score: f64,
    /// BM25 score of the runner-up.
    pub runner_up: f64,
    /// Query terms the best rule's document shares, most telling first.
    pub terms: Vec<String>,
}

/// Lower-case word tokens of at least three characters (digits count), minus stopwords.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for w in text.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
        if w.chars().count() < 3 {
            continue;
        }
        let w = w.to_lowercase();
        if STOPWORDS.contains(&w.as_str()) {
            continue;
        }
        out.push(w);
    }
    out
}

/// The text of rule `ri` that the index reads.
fn document(rules: &RuleSet, ri: usize) -> String {
    let r = &rules.rules[ri];
    let f = &r.file;
    let mut s = format!("{}\n{}\n{}\n{}\n", f.title, f.title, f.description, f.fix);
    for t in &f.tests {
        if t.expect == Expect::Match
            && let Some(text) = &t.text
        {
            s.push_str(text);
            s.push('\n');
        }
    }
    for p in f.matcher.patterns.values() {
        let src = p.regex.as_deref().or(p.literal.as_deref()).unwrap_or("");
        // Regex escapes (`\d`, `\s`, `\(`) are not words.
        let mut cleaned = String::new();
        let mut esc = false;
        for c in src.chars() {
            if esc {
                esc = false;
                cleaned.push(' ');
                continue;
            }
            if c == '\\' {
                esc = true;
                continue;
            }
            cleaned.push(c);
        }
        s.push_str(&cleaned);
        s.push('\n');
    }
    s
}

impl Index {
    /// Builds the index of a rule set (cached per rule-set hash).
    pub fn of(rules: &RuleSet) -> Arc<Index> {
        static CACHE: Mutex<Option<(String, Arc<Index>)>> = Mutex::new(None);
        let mut g = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((h, idx)) = g.as_ref()
            && *h == rules.hash
            && idx.docs.len() == rules.rules.len()
        {
            return idx.clone();
        }
        let idx = Arc::new(Index::build(rules));
        *g = Some((rules.hash.clone(), idx.clone()));
        idx
    }

    fn build(rules: &RuleSet) -> Index {
        let mut docs = Vec::new();
        let mut df: HashMap<String, u32> = HashMap::new();
        let mut lens = Vec::new();
        for ri in 0..rules.rules.len() {
            let mut tf: HashMap<String, u32> = HashMap::new();
            let toks = if rules.rules[ri].deprecated() {
                Vec::new()
            } else {
                tokens(&document(rules, ri))
            };
            lens.push(toks.len() as f64);
            for t in toks {
                *tf.entry(t).or_insert(0) += 1;
            }
            for t in tf.keys() {
                *df.entry(t.clone()).or_insert(0) += 1;
            }
            docs.push(tf);
        }
        let avg_len = (lens.iter().sum::<f64>() / lens.len().max(1) as f64).max(1.0);
        Index {
            docs,
            lens,
            avg_len,
            df,
        }
    }

    fn idf(&self, term: &str) -> f64 {
        let n = self.docs.len() as f64;
        let df = f64::from(self.df.get(term).copied().unwrap_or(0));
        ((n - df + 0.5) / (df + 0.5) + 1.0).ln()
    }

    /// BM25 score of every rule for the distinct terms of `query`, best first.
    pub fn rank(&self, query: &[String]) -> Vec<(usize, f64)> {
        let terms: HashSet<&String> = query.iter().collect();
        let mut scores: Vec<(usize, f64)> = (0..self.docs.len())
            .map(|d| {
                let mut s = 0.0;
                for t in &terms {
                    let tf = f64::from(self.docs[d].get(*t).copied().unwrap_or(0));
                    if tf == 0.0 {
                        continue;
                    }
                    let norm = K1 * (1.0 - B + B * self.lens[d] / self.avg_len);
                    s += self.idf(t) * tf * (K1 + 1.0) / (tf + norm);
                }
                (d, s)
            })
            .collect();
        scores.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scores
    }

    /// The best rule for `query` when it clears `min_score` and beats the runner-up by
    /// `margin` (a ratio); `None` is the reject option.
    pub fn propose(&self, query: &[String], min_score: f64, margin: f64) -> Option<Proposal> {
        let ranked = self.rank(query);
        let (best, s1) = *ranked.first()?;
        let s2 = ranked.get(1).map(|r| r.1).unwrap_or(0.0);
        if s1 < min_score || s1 < margin * s2 {
            return None;
        }
        let mut shared: Vec<(f64, String)> = query
            .iter()
            .collect::<HashSet<_>>()
            .into_iter()
            .filter(|t| self.docs[best].contains_key(*t))
            .map(|t| (self.idf(t), t.clone()))
            .collect();
        shared.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        Some(Proposal {
            rule: best,
            score: s1,
            runner_up: s2,
            terms: shared.into_iter().take(6).map(|(_, t)| t).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{RuleSources, load};

    #[test]
    fn tokens_drop_short_words_and_stopwords() {
        assert_eq!(
            tokens("The broker.sock is STALE, code 1920"),
            vec!["broker", "sock", "stale", "1920"]
        );
    }

    #[test]
    fn a_paraphrase_finds_its_rule_and_noise_is_rejected() {
        let rules = load(&RuleSources {
            builtin: true,
            dirs: vec![],
        })
        .unwrap();
        let idx = Index::of(&rules);
        let q = tokens(
            "After the session ended an orphaned broker process stays alive and keeps \
             eating CPU; every app-server-broker is left behind with PPID 1.",
        );
        let ranked = idx.rank(&q);
        assert_eq!(rules.rules[ranked[0].0].id(), "broker-process-leak");
        assert!(idx.propose(&tokens("hello world"), 4.0, 1.3).is_none());
    }
}
