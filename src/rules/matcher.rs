//! One matcher for every pattern of every rule.
//!
//! Each pattern contributes its longest required literal to a single Aho-Corasick automaton
//! (case-insensitive, so it finds a superset). The scanner asks the automaton for the next
//! candidate position in a whole chunk of log, so lines without any literal are never looked
//! at again; a candidate line is then checked literal by literal (overlapping) and only the
//! patterns owning a found literal run their full regex on that line. Patterns with no usable
//! literal (under 3 bytes) are checked on every line: the linter warns about them.

use crate::log::{SCOPE_COMMAND, SCOPE_ERROR, SCOPE_LOG, SCOPE_OUTPUT, ScopeSet};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::bytes::{Regex, RegexBuilder};
use regex_syntax::hir::{Class, Hir, HirKind};

/// Free text (`triage match`): a scope bit no job line has.
pub const SCOPE_TEXT: ScopeSet = 16;
/// Every scope bit: what a line of free text carries.
pub const SCOPE_ALL_TEXT: ScopeSet =
    SCOPE_LOG | SCOPE_COMMAND | SCOPE_ERROR | SCOPE_OUTPUT | SCOPE_TEXT;

/// Shortest literal worth prefiltering on.
pub const MIN_LITERAL: usize = 3;
/// Compiled size limit of one pattern (hostile rule files must not exhaust memory).
pub const REGEX_SIZE_LIMIT: usize = 2 << 20;

/// One pattern to compile.
#[derive(Debug, Clone)]
pub struct PatternSource {
    /// The regex text (a literal already escaped).
    pub regex: String,
    /// Case-insensitive.
    pub case_insensitive: bool,
    /// Scope bits a line must have one of (0 = never in line scanning).
    pub scope_mask: ScopeSet,
}

/// The compiled matcher.
#[derive(Debug)]
pub struct Matcher {
    ac: Option<AhoCorasick>,
    literal_owners: Vec<Vec<u32>>,
    unfiltered: Vec<u32>,
    regexes: Vec<Regex>,
    masks: Vec<ScopeSet>,
    literals: Vec<Option<Vec<u8>>>,
}

/// Compiles one regex the way the matcher does (for validation messages).
pub fn compile_regex(src: &str, case_insensitive: bool) -> Result<Regex, String> {
    RegexBuilder::new(src)
        .case_insensitive(case_insensitive)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| e.to_string())
}

/// The best literal set one of whose members every match must contain, lowercased ASCII.
pub fn required_literals(src: &str, case_insensitive: bool) -> Option<Vec<Vec<u8>>> {
    // ASCII case folding keeps `(?i)k` a two-letter class (Unicode folding adds the Kelvin
    // sign), so case-insensitive words stay literals; the Unicode parse is the fallback.
    let parse = |unicode: bool| {
        regex_syntax::ParserBuilder::new()
            .case_insensitive(case_insensitive)
            .unicode(unicode)
            .utf8(false)
            .build()
            .parse(src)
            .ok()
    };
    let hir = parse(false).or_else(|| parse(true))?;
    let set = required(&hir)?;
    let set: Vec<Vec<u8>> = set.into_iter().map(|l| l.to_ascii_lowercase()).collect();
    (score(&set) >= MIN_LITERAL).then_some(set)
}

fn score(set: &[Vec<u8>]) -> usize {
    set.iter().map(Vec::len).min().unwrap_or(0)
}

/// A node that matches exactly one short byte string, ignoring ASCII case.
fn fixed_bytes(h: &Hir) -> Option<Vec<u8>> {
    match h.kind() {
        HirKind::Literal(l) => Some(l.0.to_vec()),
        HirKind::Class(Class::Unicode(c)) => {
            let chars: Vec<char> = c.iter().flat_map(|r| r.start()..=r.end()).take(3).collect();
            match chars.as_slice() {
                [a] => Some(a.to_string().into_bytes()),
                [a, b] if a.is_ascii() && a.eq_ignore_ascii_case(b) => {
                    Some(vec![a.to_ascii_lowercase() as u8])
                }
                _ => None,
            }
        }
        HirKind::Class(Class::Bytes(c)) => {
            let bytes: Vec<u8> = c.iter().flat_map(|r| r.start()..=r.end()).take(3).collect();
            match bytes.as_slice() {
                [a] => Some(vec![*a]),
                [a, b] if a.eq_ignore_ascii_case(b) => Some(vec![a.to_ascii_lowercase()]),
                _ => None,
            }
        }
        _ => None,
    }
}

fn required(h: &Hir) -> Option<Vec<Vec<u8>>> {
    match h.kind() {
        HirKind::Literal(_) | HirKind::Class(_) => fixed_bytes(h).map(|b| vec![b]),
        HirKind::Capture(c) => required(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => required(&r.sub),
        HirKind::Concat(subs) => {
            let mut best: Option<Vec<Vec<u8>>> = None;
            let mut consider = |cand: Vec<Vec<u8>>| {
                if best.as_ref().is_none_or(|b| score(&cand) > score(b)) {
                    best = Some(cand);
                }
            };
            let mut run: Vec<u8> = Vec::new();
            for s in subs {
                if let Some(b) = fixed_bytes(s) {
                    run.extend(b);
                    continue;
                }
                if !run.is_empty() {
                    consider(vec![std::mem::take(&mut run)]);
                }
                if let Some(set) = required(s) {
                    consider(set);
                }
            }
            if !run.is_empty() {
                consider(vec![run]);
            }
            best
        }
        HirKind::Alternation(subs) => {
            let mut all = Vec::new();
            for s in subs {
                all.extend(required(s)?);
                if all.len() > 64 {
                    return None;
                }
            }
            Some(all)
        }
        _ => None,
    }
}

impl Matcher {
    /// Compiles every pattern. Errors name the pattern index and the regex error.
    pub fn new(patterns: &[PatternSource]) -> Result<Matcher, (usize, String)> {
        let mut regexes = Vec::with_capacity(patterns.len());
        let mut literal_list: Vec<Vec<u8>> = Vec::new();
        let mut literal_owners: Vec<Vec<u32>> = Vec::new();
        let mut unfiltered = Vec::new();
        let mut literals = Vec::new();
        let mut index: std::collections::HashMap<Vec<u8>, usize> = std::collections::HashMap::new();
        for (i, p) in patterns.iter().enumerate() {
            regexes.push(compile_regex(&p.regex, p.case_insensitive).map_err(|e| (i, e))?);
            if p.scope_mask == 0 {
                literals.push(None);
                continue;
            }
            match required_literals(&p.regex, p.case_insensitive) {
                Some(set) => {
                    literals.push(set.iter().max_by_key(|l| l.len()).cloned());
                    for lit in set {
                        let slot = *index.entry(lit.clone()).or_insert_with(|| {
                            literal_list.push(lit);
                            literal_owners.push(Vec::new());
                            literal_list.len() - 1
                        });
                        if !literal_owners[slot].contains(&(i as u32)) {
                            literal_owners[slot].push(i as u32);
                        }
                    }
                }
                None => {
                    literals.push(None);
                    unfiltered.push(i as u32);
                }
            }
        }
        let ac = if literal_list.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .build(&literal_list)
                    .map_err(|e| (usize::MAX, e.to_string()))?,
            )
        };
        Ok(Matcher {
            ac,
            literal_owners,
            unfiltered,
            regexes,
            masks: patterns.iter().map(|p| p.scope_mask).collect(),
            literals,
        })
    }

    /// True when some pattern has no literal and must be tried on every line.
    pub fn has_unfiltered(&self) -> bool {
        !self.unfiltered.is_empty()
    }

    /// The prefilter literal of a pattern, if it has one.
    pub fn literal_of(&self, pattern: usize) -> Option<&[u8]> {
        self.literals.get(pattern).and_then(|l| l.as_deref())
    }

    /// Position of the next prefilter hit in `hay` at or after `from`.
    pub fn next_candidate(&self, hay: &[u8], from: usize) -> Option<usize> {
        let ac = self.ac.as_ref()?;
        if from >= hay.len() {
            return None;
        }
        ac.find(&hay[from..]).map(|m| from + m.start())
    }

    /// Checks one line: calls `found(pattern)` for each pattern whose scope admits `scopes`
    /// and whose regex matches `text`. `seen` is scratch space (reused to avoid allocating).
    pub fn verify_line(
        &self,
        text: &[u8],
        scopes: ScopeSet,
        seen: &mut Vec<u32>,
        found: &mut dyn FnMut(usize),
    ) {
        seen.clear();
        if let Some(ac) = &self.ac {
            for m in ac.find_overlapping_iter(text) {
                for &p in &self.literal_owners[m.pattern().as_usize()] {
                    if !seen.contains(&p) {
                        seen.push(p);
                    }
                }
            }
        }
        seen.extend_from_slice(&self.unfiltered);
        seen.sort_unstable();
        seen.dedup();
        for &p in seen.iter() {
            let p = p as usize;
            if self.masks[p] & scopes != 0 && self.regexes[p].is_match(text) {
                found(p);
            }
        }
    }

    /// Whether one pattern's regex matches `text` (no scope check; for `last`).
    pub fn is_match(&self, pattern: usize, text: &[u8]) -> bool {
        self.regexes[pattern].is_match(text)
    }

    /// The compiled regex of a pattern (for captures).
    pub fn regex(&self, pattern: usize) -> &Regex {
        &self.regexes[pattern]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lits(src: &str, ci: bool) -> Option<Vec<String>> {
        required_literals(src, ci).map(|v| {
            v.into_iter()
                .map(|b| String::from_utf8(b).unwrap())
                .collect()
        })
    }

    #[test]
    fn extracts_required_literals() {
        assert_eq!(
            lits(r"^Command failed: .* \(exit -1\)$", false),
            Some(vec!["command failed: ".into()])
        );
        assert_eq!(
            lits(r"spawn codex(\.cmd)? ENOENT", false),
            Some(vec!["spawn codex".into()])
        );
        assert_eq!(
            lits(r"(?i)blocked by policy", false),
            Some(vec!["blocked by policy".into()])
        );
        assert_eq!(
            lits(r"foo|barbaz", false),
            Some(vec!["foo".into(), "barbaz".into()])
        );
        assert_eq!(lits(r"a.b", false), None);
        assert_eq!(lits(r"(ab)?cde", false), Some(vec!["cde".into()]));
        assert_eq!(
            lits(r"exit (-1|4294967295)", false),
            Some(vec!["exit ".into()])
        );
    }

    #[test]
    fn verifies_only_candidates_in_scope() {
        let m = Matcher::new(&[
            PatternSource {
                regex: r"^Command failed: .* \(exit -1\)$".into(),
                case_insensitive: false,
                scope_mask: SCOPE_COMMAND,
            },
            PatternSource {
                regex: "blocked by policy".into(),
                case_insensitive: true,
                scope_mask: SCOPE_ERROR | SCOPE_OUTPUT,
            },
            PatternSource {
                regex: r"\d\d".into(),
                case_insensitive: false,
                scope_mask: SCOPE_LOG,
            },
        ])
        .unwrap();
        assert!(m.has_unfiltered());
        let mut seen = Vec::new();
        let mut got = Vec::new();
        m.verify_line(
            b"Command failed: pwsh -Command 'x' (exit -1)",
            SCOPE_LOG | SCOPE_COMMAND,
            &mut seen,
            &mut |p| got.push(p),
        );
        assert_eq!(got, vec![0]);
        got.clear();
        m.verify_line(
            b"rejected: BLOCKED by policy 42",
            SCOPE_LOG,
            &mut seen,
            &mut |p| got.push(p),
        );
        assert_eq!(
            got,
            vec![2],
            "pattern 1 is out of scope on a plain log line"
        );
        let hay = b"nothing here\nCommand failed: x (exit 1)\n";
        assert_eq!(m.next_candidate(hay, 0), Some(13));
        assert_eq!(m.next_candidate(hay, 14), None);
    }

    #[test]
    fn bad_regex_names_the_pattern() {
        let err = Matcher::new(&[
            PatternSource {
                regex: "ok".into(),
                case_insensitive: false,
                scope_mask: SCOPE_LOG,
            },
            PatternSource {
                regex: "(unclosed".into(),
                case_insensitive: false,
                scope_mask: SCOPE_LOG,
            },
        ])
        .unwrap_err();
        assert_eq!(err.0, 1);
    }
}
