//! One matcher for every pattern of every rule.
//!
//! Each pattern contributes its longest required literal (lowercased ASCII: matching ignores
//! ASCII case, so it finds a superset) to two literal sets: one over the literals of the
//! patterns that read job lines and record fields (the scanner's prefilter) and one over
//! every literal (free text, which `text`-scope patterns read too). The scanner asks the scan
//! set for the next candidate position in a whole chunk of log, so lines without any literal
//! are never looked at again; a candidate line is then checked for every literal in it
//! (overlapping) and only the patterns owning a found literal run their full regex on that
//! line. Patterns with no usable literal (under 3 bytes) are checked on every line: the
//! linter warns about them.
//!
//! A literal set is searched with a hashed-window filter ([`super::window`]): one bitmap test
//! per byte at memory speed, then an exact comparison where a bit is set. A set that the
//! filter cannot represent (a literal with a line break) is searched with an Aho-Corasick
//! automaton instead, which starts as a contiguous NFA, quick to build, and becomes a DFA
//! once it has searched a few MiB, when the literal set is small enough (a few hundred
//! literals): one table lookup per byte, about three times the NFA's speed, but ten times
//! its build time, which a hook's capture of a few small logs would never win back
//! (`docs/performance.md`).

use super::window::WindowFilter;
use crate::vocab::{SCAN_SCOPES, ScopeSet};
#[cfg(test)]
use crate::vocab::{SCOPE_COMMAND, SCOPE_ERROR, SCOPE_LOG, SCOPE_OUTPUT};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex::bytes::{Regex, RegexBuilder};
use regex_syntax::hir::{Class, Hir, HirKind};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// Literal bytes up to which the automata are built as DFAs (beyond: the crate's choice,
/// which bounds memory for very large rule sets).
const DFA_LITERAL_BYTES: usize = 64 * 1024;

/// Shortest literal worth prefiltering on.
pub const MIN_LITERAL: usize = 3;
/// Compiled size limit of one pattern (hostile rule files must not exhaust memory).
pub const REGEX_SIZE_LIMIT: usize = 2 << 20;
/// Lazy-DFA cache of one pattern's regex, per thread.
pub const REGEX_DFA_CACHE: usize = 64 << 10;

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

/// Bytes a prefilter searches with its quick-to-build NFA before it builds its DFA: about
/// where the DFA's build time (~10 ms for the built-in library) is repaid by its speed
/// (~3× the NFA's), so a hook's small capture never pays for it and a big scan soon does.
const DFA_AFTER_BYTES: u64 = 2 << 20;

/// A literal set and, for each literal, the patterns that own it, with the search that
/// finds its literals.
#[derive(Debug)]
struct Prefilter {
    search: Search,
    owners: Vec<Vec<u32>>,
}

/// How a literal set is searched.
#[derive(Debug)]
enum Search {
    /// The hashed-window filter (every literal fits it).
    Window(WindowFilter),
    /// An Aho-Corasick automaton, for a set the filter cannot represent.
    Automaton(Automaton),
}

/// A literal automaton. It starts as a contiguous NFA (about a tenth of the DFA's build time)
/// and switches to a DFA, with the same literals in the same order (so the same pattern ids
/// and matches), once it has searched [`DFA_AFTER_BYTES`].
#[derive(Debug)]
struct Automaton {
    nfa: AhoCorasick,
    /// Built on demand; `None` inside when the literal set is too large for a DFA.
    dfa: OnceLock<Option<AhoCorasick>>,
    searched: AtomicU64,
    literals: Vec<Vec<u8>>,
}

fn build_automaton(lits: &[Vec<u8>], kind: Option<AhoCorasickKind>) -> Result<AhoCorasick, String> {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .kind(kind)
        .build(lits)
        .map_err(|e| e.to_string())
}

impl Automaton {
    fn build(literals: Vec<Vec<u8>>) -> Result<Automaton, String> {
        let nfa = build_automaton(&literals, Some(AhoCorasickKind::ContiguousNFA))
            .or_else(|_| build_automaton(&literals, None))?;
        Ok(Automaton {
            nfa,
            dfa: OnceLock::new(),
            searched: AtomicU64::new(0),
            literals,
        })
    }

    /// The automaton to search with now.
    fn current(&self) -> &AhoCorasick {
        match self.dfa.get() {
            Some(Some(dfa)) => dfa,
            _ => &self.nfa,
        }
    }

    /// Counts `len` searched bytes; past [`DFA_AFTER_BYTES`], builds the DFA.
    fn charge(&self, len: usize) {
        if self.dfa.get().is_some() {
            return;
        }
        let searched = self.searched.fetch_add(len as u64, Ordering::Relaxed) + len as u64;
        if searched >= DFA_AFTER_BYTES {
            self.dfa.get_or_init(|| {
                let bytes: usize = self.literals.iter().map(Vec::len).sum();
                (bytes <= DFA_LITERAL_BYTES)
                    .then(|| build_automaton(&self.literals, Some(AhoCorasickKind::DFA)).ok())
                    .flatten()
            });
        }
    }

    fn next(&self, hay: &[u8], from: usize) -> Option<usize> {
        let found = self
            .current()
            .find(aho_corasick::Input::new(hay).range(from..));
        // Charged what the search read: up to the match, or the rest of the haystack.
        self.charge(found.map_or(hay.len(), |m| m.end()) - from);
        found.map(|m| m.start())
    }

    fn for_each_occurrence(&self, hay: &[u8], found: &mut dyn FnMut(usize)) {
        self.charge(hay.len());
        for m in self.current().find_overlapping_iter(hay) {
            found(m.pattern().as_usize());
        }
    }
}

impl Prefilter {
    /// Builds the search over `(literal, owners)`; `None` when there is no literal.
    fn build(literals: Vec<(Vec<u8>, Vec<u32>)>) -> Result<Option<Prefilter>, String> {
        if literals.is_empty() {
            return Ok(None);
        }
        let (literals, owners): (Vec<Vec<u8>>, Vec<Vec<u32>>) = literals.into_iter().unzip();
        let search = match WindowFilter::build(&literals) {
            Some(window) => Search::Window(window),
            None => Search::Automaton(Automaton::build(literals)?),
        };
        Ok(Some(Prefilter { search, owners }))
    }

    /// Start of a literal occurrence in the first line at or after `from` that holds one.
    fn next(&self, hay: &[u8], from: usize) -> Option<usize> {
        if from >= hay.len() {
            return None;
        }
        match &self.search {
            Search::Window(w) => w.next(hay, from),
            Search::Automaton(a) => a.next(hay, from),
        }
    }

    /// Calls `found(literal)` for every literal occurrence in `hay` (overlapping).
    fn for_each_occurrence(&self, hay: &[u8], found: &mut dyn FnMut(usize)) {
        match &self.search {
            Search::Window(w) => w.for_each_occurrence(hay, found),
            Search::Automaton(a) => a.for_each_occurrence(hay, found),
        }
    }
}

/// The compiled matcher.
#[derive(Debug)]
pub struct Matcher {
    /// Every literal (free text; "is this line a candidate at all").
    all: Option<Prefilter>,
    /// Literals of the patterns that read job lines and record fields.
    scan: Option<Prefilter>,
    unfiltered: Vec<u32>,
    /// Compiled on first use: most patterns never see a candidate line in a scan, and the
    /// compiled forms of a few hundred regexes are most of a rule set's memory.
    regexes: Vec<OnceLock<Regex>>,
    sources: Vec<(String, bool)>,
    masks: Vec<ScopeSet>,
    literals: Vec<Option<Vec<u8>>>,
}

/// Compiles one regex the way the matcher does (for validation messages).
pub fn compile_regex(src: &str, case_insensitive: bool) -> Result<Regex, String> {
    RegexBuilder::new(src)
        .case_insensitive(case_insensitive)
        .size_limit(REGEX_SIZE_LIMIT)
        // Each regex keeps a lazy-DFA cache per thread, and there are hundreds of them; they
        // only ever verify one short candidate line, so a small cache costs no speed and keeps
        // peak memory flat however large the corpus.
        .dfa_size_limit(REGEX_DFA_CACHE)
        .build()
        .map_err(|e| e.to_string())
}

/// Checks that a pattern compiles the way the matcher will compile it (syntax and size
/// limit), returning the regex error otherwise.
pub fn check_regex(src: &str, case_insensitive: bool) -> Result<(), String> {
    compile_regex(src, case_insensitive).map(drop)
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

/// Most variants a run of fixed text may grow to through small classes.
const MAX_VARIANTS: usize = 16;

/// The members of a class of two to four characters (other than one letter in two cases,
/// which [`fixed_bytes`] folds), as byte strings.
fn small_class(h: &Hir) -> Option<Vec<Vec<u8>>> {
    let members: Vec<Vec<u8>> = match h.kind() {
        HirKind::Class(Class::Unicode(c)) => {
            let chars: Vec<char> = c.iter().flat_map(|r| r.start()..=r.end()).take(5).collect();
            chars.iter().map(|ch| ch.to_string().into_bytes()).collect()
        }
        HirKind::Class(Class::Bytes(c)) => c
            .iter()
            .flat_map(|r| r.start()..=r.end())
            .take(5)
            .map(|b| vec![b])
            .collect(),
        _ => return None,
    };
    (2..=4).contains(&members.len()).then_some(members)
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
            // The current run of fixed text, as a small set of variants: a class such as
            // `[ _-]` between two words multiplies it (`a b`, `a_b`, `a-b`) instead of
            // cutting it, so the prefilter looks for both words together.
            let mut run: Vec<Vec<u8>> = vec![Vec::new()];
            let flush = |run: &mut Vec<Vec<u8>>, consider: &mut dyn FnMut(Vec<Vec<u8>>)| {
                if run.iter().all(|v| !v.is_empty()) {
                    consider(std::mem::replace(run, vec![Vec::new()]));
                } else {
                    *run = vec![Vec::new()];
                }
            };
            for s in subs {
                if let Some(b) = fixed_bytes(s) {
                    run.iter_mut().for_each(|v| v.extend_from_slice(&b));
                    continue;
                }
                if let Some(members) = small_class(s)
                    && run.len() * members.len() <= MAX_VARIANTS
                {
                    run = run
                        .iter()
                        .flat_map(|v| members.iter().map(move |m| [v.as_slice(), m].concat()))
                        .collect();
                    continue;
                }
                flush(&mut run, &mut consider);
                if let Some(set) = required(s) {
                    consider(set);
                }
            }
            flush(&mut run, &mut consider);
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
        for (i, p) in patterns.iter().enumerate() {
            check_regex(&p.regex, p.case_insensitive).map_err(|e| (i, e))?;
        }
        Matcher::from_checked(patterns).map_err(|e| (usize::MAX, e))
    }

    /// Builds the matcher over patterns each of which passed [`check_regex`]: regexes are
    /// compiled when a line first needs them, so only the prefilter is built here. The error
    /// is the literal automaton's.
    pub fn from_checked(patterns: &[PatternSource]) -> Result<Matcher, String> {
        let mut regexes = Vec::with_capacity(patterns.len());
        // (literal, owners) in first-seen order, for every literal and for the scan set.
        let mut all: Vec<(Vec<u8>, Vec<u32>)> = Vec::new();
        let mut scan: Vec<(Vec<u8>, Vec<u32>)> = Vec::new();
        let mut unfiltered = Vec::new();
        let mut literals = Vec::new();
        let mut index: std::collections::HashMap<Vec<u8>, (usize, Option<usize>)> =
            std::collections::HashMap::new();
        for (i, p) in patterns.iter().enumerate() {
            regexes.push(OnceLock::new());
            if p.scope_mask == 0 {
                literals.push(None);
                continue;
            }
            let scans = p.scope_mask & SCAN_SCOPES != 0;
            match required_literals(&p.regex, p.case_insensitive) {
                Some(set) => {
                    literals.push(set.iter().max_by_key(|l| l.len()).cloned());
                    for lit in set {
                        let slot = index.entry(lit.clone()).or_insert_with(|| {
                            all.push((lit.clone(), Vec::new()));
                            (all.len() - 1, None)
                        });
                        let owner = i as u32;
                        if !all[slot.0].1.contains(&owner) {
                            all[slot.0].1.push(owner);
                        }
                        if scans {
                            let s = *slot.1.get_or_insert_with(|| {
                                scan.push((lit, Vec::new()));
                                scan.len() - 1
                            });
                            if !scan[s].1.contains(&owner) {
                                scan[s].1.push(owner);
                            }
                        }
                    }
                }
                None => {
                    literals.push(None);
                    unfiltered.push(i as u32);
                }
            }
        }
        Ok(Matcher {
            all: Prefilter::build(all)?,
            scan: Prefilter::build(scan)?,
            unfiltered,
            regexes,
            sources: patterns
                .iter()
                .map(|p| (p.regex.clone(), p.case_insensitive))
                .collect(),
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

    /// Position of the next literal (of any pattern) in `hay` at or after `from`.
    pub fn next_candidate(&self, hay: &[u8], from: usize) -> Option<usize> {
        self.all.as_ref()?.next(hay, from)
    }

    /// Position of the next literal of a pattern that reads job lines or record fields
    /// ([`SCAN_SCOPES`]) in `hay` at or after `from`: the scanner's prefilter. A line with no
    /// such literal cannot match any pattern in those scopes (unfiltered patterns aside).
    pub fn next_scan_candidate(&self, hay: &[u8], from: usize) -> Option<usize> {
        self.scan.as_ref()?.next(hay, from)
    }

    /// Whether `line` holds a literal of any pattern (`next_candidate` would stop in it).
    pub fn has_literal(&self, line: &[u8]) -> bool {
        self.all.as_ref().is_some_and(|p| p.next(line, 0).is_some())
    }

    /// Checks one line: calls `found(pattern)` for each pattern whose scope admits `scopes`
    /// and whose regex matches `text`, in pattern order. `seen` is scratch space (reused to
    /// avoid allocating).
    pub fn verify_line(
        &self,
        text: &[u8],
        scopes: ScopeSet,
        seen: &mut Vec<u32>,
        found: &mut dyn FnMut(usize),
    ) {
        seen.clear();
        // Scan scopes only need the scan literals: the other patterns are out of scope.
        let pre = if scopes & !SCAN_SCOPES == 0 {
            &self.scan
        } else {
            &self.all
        };
        if let Some(pre) = pre {
            let mut owned = |literal: usize| {
                for &p in &pre.owners[literal] {
                    if !seen.contains(&p) {
                        seen.push(p);
                    }
                }
            };
            pre.for_each_occurrence(text, &mut owned);
        }
        seen.extend_from_slice(&self.unfiltered);
        seen.sort_unstable();
        seen.dedup();
        for &p in seen.iter() {
            let p = p as usize;
            if self.masks[p] & scopes != 0 && self.regex(p).is_match(text) {
                found(p);
            }
        }
    }

    /// Whether one pattern's regex matches `text` (no scope check; for `last`).
    pub fn is_match(&self, pattern: usize, text: &[u8]) -> bool {
        self.regex(pattern).is_match(text)
    }

    /// The compiled regex of a pattern (for captures).
    pub fn regex(&self, pattern: usize) -> &Regex {
        self.regexes[pattern].get_or_init(|| {
            let (src, ci) = &self.sources[pattern];
            // It compiled when the matcher was built; should it ever not, match nothing
            // rather than panic in the middle of a scan.
            compile_regex(src, *ci).unwrap_or_else(|_| {
                Regex::new(r"[^\s\S]").unwrap_or_else(|_| unreachable!("a constant regex compiles"))
            })
        })
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
        assert_eq!(
            lits(r"(?i)session[ _-]worker \d+", false),
            Some(vec![
                "session worker ".into(),
                "session-worker ".into(),
                "session_worker ".into()
            ]),
            "a small class multiplies the run instead of cutting it"
        );
    }

    /// A command-scope pattern and a case-insensitive error/output one.
    fn command_and_policy() -> [PatternSource; 2] {
        [
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
        ]
    }

    #[test]
    fn verifies_only_candidates_in_scope() {
        let mut patterns = command_and_policy().to_vec();
        patterns.push(PatternSource {
            regex: r"\d\d".into(),
            case_insensitive: false,
            scope_mask: SCOPE_LOG,
        });
        let m = Matcher::new(&patterns).unwrap();
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

    /// Candidate positions and the literals of each candidate line, by one prefilter.
    fn candidates(pre: &Prefilter, hay: &[u8]) -> Vec<(usize, Vec<usize>)> {
        let (mut at, mut out) = (0, Vec::new());
        while let Some(p) = pre.next(hay, at) {
            let start = hay[..p]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |n| n + 1);
            let end = p + hay[p..]
                .iter()
                .position(|&b| b == b'\n')
                .unwrap_or(hay.len() - p);
            let mut found = Vec::new();
            pre.for_each_occurrence(&hay[start..end], &mut |l| found.push(l));
            found.sort_unstable();
            out.push((start, found));
            at = end + 1;
        }
        out
    }

    #[test]
    fn the_automaton_becomes_a_dfa_with_the_same_matches() {
        let lits = vec![b"command failed: ".to_vec(), b"blocked\nby policy".to_vec()];
        assert!(
            WindowFilter::build(&lits).is_none(),
            "a line break needs the automaton"
        );
        let pre = Prefilter::build(lits.into_iter().map(|l| (l, vec![0])).collect())
            .unwrap()
            .unwrap();
        let Search::Automaton(auto) = &pre.search else {
            panic!("expected the automaton")
        };
        let hay =
            b"ok\nCommand failed: x (exit -1)\nrejected: BLOCKED\nBY POLICY\nCOMMAND FAILED: y\n";
        let before = candidates(&pre, hay);
        assert_eq!(before.len(), 3, "{before:?}");
        assert!(auto.dfa.get().is_none(), "a small search keeps the NFA");
        let big = vec![b'.'; DFA_AFTER_BYTES as usize + 1];
        assert_eq!(pre.next(&big, 0), None);
        assert!(
            matches!(auto.dfa.get(), Some(Some(_))),
            "then the DFA is built"
        );
        assert_eq!(candidates(&pre, hay), before);
    }

    /// The built-in library's literal sets, searched by the window filter and by the
    /// automaton, give the same candidate lines with the same literals in each, on the job
    /// logs shipped in testdata/ and on text that is mostly near misses of the literals.
    #[test]
    fn the_window_filter_finds_what_the_automaton_finds() {
        let rules = crate::rules::RuleSet::load(&crate::rules::RuleSources {
            builtin: true,
            dirs: Vec::new(),
        })
        .unwrap();
        let mut texts: Vec<Vec<u8>> =
            walkdir::WalkDir::new(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata"))
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file())
                .filter(|e| {
                    e.path()
                        .extension()
                        .is_some_and(|x| x == "log" || x == "json")
                })
                .filter_map(|e| std::fs::read(e.path()).ok())
                .collect();
        assert!(texts.len() > 10, "testdata holds job logs");
        for pre in [&rules.matcher.scan, &rules.matcher.all]
            .into_iter()
            .flatten()
        {
            let Search::Window(window) = &pre.search else {
                panic!("the built-in literals fit the window filter")
            };
            let literals = &window.literals_for_tests();
            // Each literal cut short, doubled, upper-cased and broken by a line break.
            let near: Vec<u8> = literals
                .iter()
                .flat_map(|l| {
                    let half = &l[..l.len() / 2];
                    [
                        half,
                        b" ",
                        &l.to_ascii_uppercase(),
                        b"\n",
                        half,
                        b"\n",
                        &l[1..],
                        l,
                        b"\n",
                    ]
                    .concat()
                })
                .collect();
            texts.push(near);
            let auto = Prefilter {
                search: Search::Automaton(Automaton::build(literals.clone()).unwrap()),
                owners: pre.owners.clone(),
            };
            for hay in &texts {
                assert_eq!(candidates(pre, hay), candidates(&auto, hay));
            }
            texts.pop();
        }
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
