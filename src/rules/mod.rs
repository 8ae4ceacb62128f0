//! The rule library: TOML files (one signature each) loaded, validated and compiled into one
//! [`matcher::Matcher`]. Built-in rules are embedded at build time; `--rules DIR` adds more.
//!
//! Why this module is long (~770 lines before its tests): loading, validation and compiling
//! share the problem list and the name tables of one rule; splitting them apart is the next
//! step (see the README's notes), not yet done.

pub mod condition;
pub mod matcher;
pub mod model;
pub mod selftest;
pub mod template;

use crate::timefmt::{Millis, parse_duration};
use crate::vocab::Scope;
use crate::vocab::ScopeSet;
use condition::Expr;
use matcher::{Matcher, PatternSource};
use model::{Presence, RuleFile, RuleStatus, StateSpec};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));
}

/// The embedded rule files: (path relative to the crate, TOML text).
pub fn builtin_files() -> &'static [(&'static str, &'static str)] {
    builtin::BUILTIN_RULES
}

/// A problem with a rule file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RuleProblem {
    /// The file (`builtin:rules/…` for embedded ones).
    pub file: String,
    /// What is wrong, naming the field.
    pub message: String,
}

impl std::fmt::Display for RuleProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

/// A structural condition, compiled.
#[derive(Debug, Clone, Default)]
pub struct State {
    /// The spec as written.
    pub spec: StateSpec,
    /// `idle_for` in milliseconds.
    pub idle_for: Option<Millis>,
}

/// Facts of one run that states are checked against.
#[derive(Debug, Clone, Default)]
pub struct RunFacts<'a> {
    /// Plugin status.
    pub status: Option<&'a str>,
    /// Plugin phase.
    pub phase: Option<&'a str>,
    /// Job kind.
    pub kind: Option<&'a str>,
    /// Job title.
    pub title: Option<&'a str>,
    /// Triage outcome.
    pub outcome: &'a str,
    /// `completedAt` set.
    pub completed: bool,
    /// `errorMessage` set.
    pub error_message: bool,
    /// Time since last activity.
    pub idle: Option<Millis>,
    /// Layout name.
    pub state_root: &'a str,
    /// Workspace split across roots.
    pub workspace_split: bool,
    /// The record's `write` flag, when recorded.
    pub write: Option<bool>,
    /// The index's `config.stopReviewGate`, when recorded.
    pub stop_review_gate: Option<bool>,
}

impl State {
    /// Whether every given key holds for `f`.
    pub fn holds(&self, f: &RunFacts<'_>) -> bool {
        let s = &self.spec;
        let any_of = |want: &Option<Vec<String>>, got: Option<&str>| match want {
            None => true,
            Some(list) => got.is_some_and(|g| list.iter().any(|w| w == g)),
        };
        let presence = |want: Option<Presence>, got: bool| match want {
            None => true,
            Some(Presence::Present) => got,
            Some(Presence::Absent) => !got,
        };
        any_of(&s.status, f.status)
            && any_of(&s.phase, f.phase)
            && any_of(&s.kind, f.kind)
            && any_of(&s.title, f.title)
            && any_of(&s.outcome, Some(f.outcome))
            && presence(s.completed_at, f.completed)
            && presence(s.error_message, f.error_message)
            && self
                .idle_for
                .is_none_or(|min| f.idle.is_some_and(|i| i >= min))
            && any_of(&s.state_root, Some(f.state_root))
            && s.workspace_split.is_none_or(|w| w == f.workspace_split)
            && s.write.is_none_or(|w| Some(w) == f.write)
            && s.stop_review_gate
                .is_none_or(|g| Some(g) == f.stop_review_gate)
    }
}

/// A pattern of a rule, as the rule sees it.
#[derive(Debug, Clone)]
pub struct RulePattern {
    /// Name in the rule.
    pub name: String,
    /// Index in the matcher.
    pub global: usize,
    /// Scope.
    pub scope: Scope,
    /// Lines needed.
    pub min_count: u32,
    /// Free-text weight.
    pub weight: f64,
}

/// A loaded, compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The file as written.
    pub file: RuleFile,
    /// Where it came from.
    pub source: String,
    /// Patterns; their indices are the first variables of the conditions.
    pub patterns: Vec<RulePattern>,
    /// States; variables `patterns.len()..`.
    pub states: Vec<(String, State)>,
    /// The job condition.
    pub condition: Expr,
    /// The free-text condition, when one applies.
    pub text_condition: Option<Expr>,
    /// `[when]`.
    pub when: Option<State>,
}

impl Rule {
    /// The rule id.
    pub fn id(&self) -> &str {
        &self.file.id
    }

    /// Whether the rule is retired.
    pub fn deprecated(&self) -> bool {
        self.file.status == RuleStatus::Deprecated
    }
}

/// Every rule, compiled together.
#[derive(Debug)]
pub struct RuleSet {
    /// Rules sorted by id.
    pub rules: Vec<Rule>,
    /// The one matcher.
    pub matcher: Matcher,
    /// For each matcher pattern: (rule index, pattern index in the rule).
    pub owners: Vec<(usize, usize)>,
    /// Matcher patterns in `last` scope.
    pub last_patterns: Vec<usize>,
    /// Short hash of every loaded file (path and contents).
    pub hash: String,
    /// Non-fatal findings of validation (lint).
    pub lint: Vec<RuleProblem>,
}

/// Where rules come from.
#[derive(Debug, Clone, Default)]
pub struct RuleSources {
    /// Include the embedded library.
    pub builtin: bool,
    /// Extra directories (or single files).
    pub dirs: Vec<PathBuf>,
}

/// Scope bits a pattern scope accepts.
pub fn scope_mask(s: Scope) -> ScopeSet {
    s.mask()
}

/// Reads the rule files of the given sources: (display name, text). Unreadable files and
/// directories are problems.
pub fn read_sources(src: &RuleSources) -> (Vec<(String, String)>, Vec<RuleProblem>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    if src.builtin {
        for (p, t) in builtin_files() {
            files.push((format!("builtin:{p}"), t.to_string()));
        }
    }
    for dir in &src.dirs {
        collect_dir(dir, &mut files, &mut problems);
    }
    // The same folder named twice (`--rules D` and `rules test D`) is one set of files.
    let mut seen = std::collections::HashSet::new();
    files.retain(|(name, _)| seen.insert(name.clone()));
    (files, problems)
}

/// Largest rule file read (rules are a few KiB; a hostile one must not exhaust memory).
pub const MAX_RULE_FILE_BYTES: u64 = 1 << 20;

fn collect_dir(dir: &Path, files: &mut Vec<(String, String)>, problems: &mut Vec<RuleProblem>) {
    let meta = match std::fs::metadata(dir) {
        Ok(m) => m,
        Err(e) => {
            problems.push(RuleProblem {
                file: dir.display().to_string(),
                message: format!("cannot read: {e}"),
            });
            return;
        }
    };
    if meta.is_file() && meta.len() > MAX_RULE_FILE_BYTES {
        problems.push(RuleProblem {
            file: dir.display().to_string(),
            message: format!(
                "{} bytes is more than the {} KiB a rule file can be; not read",
                meta.len(),
                MAX_RULE_FILE_BYTES >> 10
            ),
        });
        return;
    }
    if meta.is_file() {
        match std::fs::read(dir) {
            Ok(b) => match String::from_utf8(b) {
                Ok(t) => files.push((dir.display().to_string(), t)),
                Err(_) => problems.push(RuleProblem {
                    file: dir.display().to_string(),
                    message: "not UTF-8 text".into(),
                }),
            },
            Err(e) => problems.push(RuleProblem {
                file: dir.display().to_string(),
                message: format!("cannot read: {e}"),
            }),
        }
        return;
    }
    if !meta.is_dir() {
        problems.push(RuleProblem {
            file: dir.display().to_string(),
            message: "not a regular file or directory (FIFO, socket or device); not read".into(),
        });
        return;
    }
    let mut paths = Vec::new();
    for e in walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
    {
        match e {
            Ok(e)
                if e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "toml") =>
            {
                paths.push(e.path().to_path_buf())
            }
            // A linked or special `.toml` (or a linked folder) would be a silently missing
            // rule: report it. `is_dir` only stats, so a FIFO cannot block here.
            Ok(e)
                if e.depth() > 0
                    && !e.file_type().is_file()
                    && !e.file_type().is_dir()
                    && (e.path().extension().is_some_and(|x| x == "toml") || e.path().is_dir()) =>
            {
                problems.push(RuleProblem {
                    file: e.path().display().to_string(),
                    message: "not a regular file (symbolic link, FIFO or device); not read".into(),
                })
            }
            Ok(_) => {}
            Err(e) => problems.push(RuleProblem {
                file: e.path().unwrap_or(dir).display().to_string(),
                message: format!("cannot read: {e}"),
            }),
        }
    }
    for p in paths {
        collect_dir(&p, files, problems);
    }
}

/// Loads and compiles rules. Any invalid file makes the whole load fail (a scan must never
/// run with silently missing rules); the error lists every problem.
pub fn load(src: &RuleSources) -> Result<RuleSet, Vec<RuleProblem>> {
    let (files, mut problems) = read_sources(src);
    let set = compile_files(&files);
    match set {
        Ok(set) if problems.is_empty() => Ok(set),
        Ok(_) => Err(problems),
        Err(mut p) => {
            problems.append(&mut p);
            problems.sort();
            Err(problems)
        }
    }
}

fn file_stem(name: &str) -> &str {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.strip_suffix(".toml").unwrap_or(base)
}

fn parent_dir(name: &str) -> Option<&str> {
    let mut it = name.rsplit(['/', '\\']);
    it.next()?;
    it.next()
}

/// Parses, validates and compiles rule files given as (name, text).
pub fn compile_files(files: &[(String, String)]) -> Result<RuleSet, Vec<RuleProblem>> {
    let mut problems = Vec::new();
    let mut lint = Vec::new();
    let mut parsed: Vec<(String, RuleFile)> = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for (name, text) in files {
        let mut err = |message: String| {
            problems.push(RuleProblem {
                file: name.clone(),
                message,
            })
        };
        let rf: RuleFile = match toml::from_str(text) {
            Ok(r) => r,
            Err(e) => {
                err(format!("invalid rule file: {}", e.to_string().trim_end()));
                continue;
            }
        };
        if let Some(prev) = seen.get(&rf.id).cloned() {
            // A rule directory may override a built-in rule of the same id (a rule author
            // editing a copy of the library); two files outside the library may not clash.
            if prev.starts_with("builtin:") && !name.starts_with("builtin:") {
                lint.push(RuleProblem {
                    file: name.clone(),
                    message: format!("overrides the built-in rule `{}`", rf.id),
                });
                parsed.retain(|(n, _)| n != &prev);
            } else {
                err(format!("duplicate id `{}` (also in {prev})", rf.id));
                continue;
            }
        }
        seen.insert(rf.id.clone(), name.clone());
        validate_identity(name, &rf, &mut problems, &mut lint);
        parsed.push((name.clone(), rf));
    }
    let ids: std::collections::HashSet<&str> = parsed.iter().map(|(_, r)| r.id.as_str()).collect();
    for (name, rf) in &parsed {
        for rel in &rf.related {
            if !ids.contains(rel.id.as_str()) {
                lint.push(RuleProblem {
                    file: name.clone(),
                    message: format!("related id `{}` is not a loaded rule", rel.id),
                });
            }
        }
    }
    parsed.sort_by(|a, b| a.1.id.cmp(&b.1.id));

    let mut sources = Vec::new();
    let mut owners = Vec::new();
    let mut rules = Vec::new();
    for (ri, (name, rf)) in parsed.into_iter().enumerate() {
        match compile_rule(&name, rf, ri, &mut sources, &mut owners, &mut lint) {
            Ok(r) => rules.push(r),
            Err(mut p) => problems.append(&mut p),
        }
    }
    if !problems.is_empty() {
        problems.sort();
        return Err(problems);
    }
    let matcher = match Matcher::new(&sources) {
        Ok(m) => m,
        Err((i, e)) => {
            let file = owners
                .get(i)
                .map(|&(r, _): &(usize, usize)| rules[r].source.clone())
                .unwrap_or_default();
            return Err(vec![RuleProblem {
                file,
                message: format!("pattern does not compile: {e}"),
            }]);
        }
    };
    for (g, &(r, p)) in owners.iter().enumerate() {
        if sources[g].scope_mask != 0 && matcher.literal_of(g).is_none() {
            lint.push(RuleProblem {
                file: rules[r].source.clone(),
                message: format!(
                    "pattern `{}` has no literal of {} bytes or more: it is checked on every line (slow path)",
                    rules[r].patterns[p].name,
                    matcher::MIN_LITERAL
                ),
            });
        }
    }
    let last_patterns = owners
        .iter()
        .enumerate()
        .filter(|(_, (r, p))| rules[*r].patterns[*p].scope == Scope::Last)
        .map(|(g, _)| g)
        .collect();
    let mut h = Sha256::new();
    let mut sorted: Vec<&(String, String)> = files.iter().collect();
    sorted.sort();
    for (n, t) in sorted {
        h.update(n.as_bytes());
        h.update([0]);
        h.update(t.as_bytes());
        h.update([0]);
    }
    let hash = h
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    lint.sort();
    Ok(RuleSet {
        rules,
        matcher,
        owners,
        last_patterns,
        hash,
        lint,
    })
}

fn validate_identity(
    name: &str,
    rf: &RuleFile,
    problems: &mut Vec<RuleProblem>,
    lint: &mut Vec<RuleProblem>,
) {
    let mut err = |message: String| {
        problems.push(RuleProblem {
            file: name.to_string(),
            message,
        })
    };
    let id_ok = !rf.id.is_empty()
        && rf
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && rf
            .id
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
    if !id_ok {
        err(format!(
            "field `id`: `{}` must be lowercase letters, digits and dashes",
            rf.id
        ));
    }
    if file_stem(name) != rf.id {
        err(format!(
            "field `id`: `{}` differs from the file name `{}.toml`",
            rf.id,
            file_stem(name)
        ));
    }
    if !model::FAMILIES.contains(&rf.family.as_str()) {
        err(format!(
            "field `family`: unknown family `{}` (known: {})",
            rf.family,
            model::FAMILIES.join(", ")
        ));
    } else if let Some(dir) = parent_dir(name)
        && model::FAMILIES.contains(&dir)
        && dir != rf.family
    {
        err(format!(
            "field `family`: `{}` but the file is in the `{dir}` folder",
            rf.family
        ));
    }
    for p in &rf.platforms {
        if !model::PLATFORMS.contains(&p.as_str()) {
            err(format!(
                "field `platforms`: unknown platform `{p}` (known: {})",
                model::PLATFORMS.join(", ")
            ));
        }
    }
    for r in &rf.references {
        if !is_reference(r) {
            err(format!(
                "field `references`: `{r}` is not of the form owner/repo#N"
            ));
        }
    }
    if rf.title.trim().is_empty() {
        err("field `title` is empty".into());
    }
    if rf.fix.trim().is_empty() {
        err("field `fix` is empty".into());
    }
    for (i, t) in rf.tests.iter().enumerate() {
        if t.text.is_some() == t.job.is_some() {
            err(format!("tests[{i}]: give exactly one of `text` and `job`"));
        }
    }
    if rf.status == RuleStatus::Stable {
        let m = rf.tests.iter().any(|t| t.expect == model::Expect::Match);
        let n = rf.tests.iter().any(|t| t.expect == model::Expect::NoMatch);
        if !m || !n {
            lint.push(RuleProblem {
                file: name.to_string(),
                message: "a stable rule needs at least one `match` and one `no-match` test".into(),
            });
        }
    }
}

/// `owner/repo#123`.
pub fn is_reference(r: &str) -> bool {
    let Some((repo, num)) = r.split_once('#') else {
        return false;
    };
    let Some((owner, name)) = repo.split_once('/') else {
        return false;
    };
    let ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    };
    ok(owner) && ok(name) && !num.is_empty() && num.chars().all(|c| c.is_ascii_digit())
}

fn compile_state(spec: &StateSpec, what: &str, err: &mut dyn FnMut(String)) -> State {
    let check =
        |vals: &Option<Vec<String>>, allowed: &[&str], key: &str, err: &mut dyn FnMut(String)| {
            for v in vals.iter().flatten() {
                if !allowed.contains(&v.as_str()) {
                    err(format!(
                        "{what}: `{key}` value `{v}` is not one of {}",
                        allowed.join(", ")
                    ));
                }
            }
        };
    check(&spec.status, model::STATUSES, "status", err);
    check(&spec.outcome, model::OUTCOMES, "outcome", err);
    check(&spec.kind, model::KINDS, "kind", err);
    check(&spec.state_root, model::STATE_ROOTS, "state_root", err);
    let idle_for = spec
        .idle_for
        .as_deref()
        .and_then(|d| match parse_duration(d) {
            Ok(v) => Some(v),
            Err(e) => {
                err(format!("{what}: `idle_for`: {e}"));
                None
            }
        });
    State {
        spec: spec.clone(),
        idle_for,
    }
}

fn compile_rule(
    name: &str,
    rf: RuleFile,
    rule_index: usize,
    sources: &mut Vec<PatternSource>,
    owners: &mut Vec<(usize, usize)>,
    lint: &mut Vec<RuleProblem>,
) -> Result<Rule, Vec<RuleProblem>> {
    let mut problems = Vec::new();
    let mut err = |message: String| {
        problems.push(RuleProblem {
            file: name.to_string(),
            message,
        })
    };
    let mut patterns = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let first_global = sources.len();
    for (pname, p) in &rf.matcher.patterns {
        let regex = match (&p.regex, &p.literal) {
            (Some(r), None) => r.clone(),
            (None, Some(l)) => regex::escape(l),
            _ => {
                err(format!(
                    "match.patterns.{pname}: give exactly one of `regex` and `literal`"
                ));
                continue;
            }
        };
        if let Err(e) = matcher::compile_regex(&regex, p.case_insensitive) {
            err(format!(
                "match.patterns.{pname}: invalid regex: {}",
                e.lines().last().unwrap_or(&e)
            ));
            continue;
        }
        if p.min_count == 0 {
            err(format!(
                "match.patterns.{pname}: `min_count` must be at least 1"
            ));
        }
        if !(p.weight > 0.0 && p.weight <= 10.0) {
            err(format!(
                "match.patterns.{pname}: `weight` must be in (0, 10]"
            ));
        }
        let global = sources.len();
        sources.push(PatternSource {
            regex,
            case_insensitive: p.case_insensitive,
            scope_mask: scope_mask(p.scope),
        });
        owners.push((rule_index, patterns.len()));
        names.push(pname.clone());
        patterns.push(RulePattern {
            name: pname.clone(),
            global,
            scope: p.scope,
            min_count: p.min_count,
            weight: p.weight,
        });
    }
    let mut states = Vec::new();
    for (sname, s) in &rf.matcher.states {
        if rf.matcher.patterns.contains_key(sname) {
            err(format!("match.states.{sname}: a pattern has the same name"));
        }
        states.push((
            sname.clone(),
            compile_state(s, &format!("match.states.{sname}"), &mut err),
        ));
        names.push(sname.clone());
    }
    let when = rf.when.as_ref().map(|w| compile_state(w, "when", &mut err));
    // Judged on what was written, so a rule whose only pattern is invalid gets one problem.
    if rf.matcher.patterns.is_empty() && rf.matcher.states.is_empty() {
        err("match: a rule needs at least one pattern or state".into());
    }
    let resolve = |n: &str| names.iter().position(|x| x == n);
    let job_vars: Vec<usize> = patterns
        .iter()
        .enumerate()
        .filter(|(_, p)| p.scope != Scope::Text)
        .map(|(i, _)| i)
        .collect();
    let condition = match &rf.matcher.condition {
        Some(c) => match condition::parse(c, &resolve) {
            Ok(e) => e,
            Err(e) => {
                err(format!("match.condition: {e}"));
                Expr::False
            }
        },
        None => Expr::Or(job_vars.iter().map(|&i| Expr::Var(i)).collect()),
    };
    let text_condition = match &rf.matcher.text_condition {
        Some(c) => match condition::parse(c, &resolve) {
            Ok(e) => Some(e),
            Err(e) => {
                err(format!("match.text_condition: {e}"));
                None
            }
        },
        None => None,
    };
    let mut used = Vec::new();
    condition.vars(&mut used);
    if let Some(t) = &text_condition {
        t.vars(&mut used);
    }
    for (i, n) in names.iter().enumerate() {
        let text_only = i < patterns.len() && patterns[i].scope == Scope::Text;
        if !used.contains(&i) && !text_only && rf.matcher.condition.is_some() {
            lint.push(RuleProblem {
                file: name.to_string(),
                message: format!("`{n}` is not used in the condition"),
            });
        }
    }
    if !problems.is_empty() {
        // Keep the global pattern table consistent with what compiled.
        sources.truncate(first_global);
        owners.truncate(first_global);
        return Err(problems);
    }
    Ok(Rule {
        file: rf,
        source: name.to_string(),
        patterns,
        states,
        condition,
        text_condition,
        when,
    })
}

impl RuleSet {
    /// Loads the rules or returns every problem.
    pub fn load(src: &RuleSources) -> Result<RuleSet, Vec<RuleProblem>> {
        load(src)
    }

    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id() == id)
    }

    /// Whether rule `ri` matches a job run with these pattern counts and facts.
    pub fn rule_matches_job(
        &self,
        ri: usize,
        counts: &dyn Fn(usize) -> u32,
        facts: &RunFacts<'_>,
    ) -> bool {
        let r = &self.rules[ri];
        if r.deprecated() {
            return false;
        }
        if let Some(w) = &r.when
            && !w.holds(facts)
        {
            return false;
        }
        let np = r.patterns.len();
        r.condition.eval(&|v| {
            if v < np {
                let p = &r.patterns[v];
                p.scope != Scope::Text && counts(p.global) >= p.min_count
            } else {
                r.states[v - np].1.holds(facts)
            }
        })
    }

    /// Whether rule `ri` matches free text with these pattern counts.
    pub fn rule_matches_text(&self, ri: usize, counts: &dyn Fn(usize) -> u32) -> bool {
        let r = &self.rules[ri];
        if r.deprecated() {
            return false;
        }
        let np = r.patterns.len();
        let var = |v: usize| {
            v < np && {
                let p = &r.patterns[v];
                p.scope != Scope::Last && counts(p.global) >= p.min_count
            }
        };
        match &r.text_condition {
            Some(t) => t.eval(&var),
            None => {
                r.condition.eval(&var)
                    || r.patterns
                        .iter()
                        .enumerate()
                        .any(|(i, p)| p.scope == Scope::Text && var(i))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
id = "demo-sig"
title = "Demo"
family = "sandbox"
severity = "high"
description = "d"
fix = "f"
references = ["openai/codex#1"]
[match]
condition = "a and not b"
[match.patterns]
a = { literal = "boom happened", in = "error" }
b = { regex = 'retry \d+/\d+', in = "log" }
[[tests]]
expect = "match"
text = "boom happened"
[[tests]]
expect = "no-match"
text = "all fine"
"#;

    fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn write_and_stop_gate_are_state_facts() {
        let spec: StateSpec = toml::from_str("write = true\nstop_review_gate = false").unwrap();
        let st = State {
            spec,
            idle_for: None,
        };
        let mut f = RunFacts::default();
        assert!(!st.holds(&f), "unrecorded facts match neither value");
        f.write = Some(true);
        f.stop_review_gate = Some(false);
        assert!(st.holds(&f));
        f.stop_review_gate = Some(true);
        assert!(!st.holds(&f));
    }

    #[test]
    fn compiles_a_good_rule() {
        let set = compile_files(&files(&[("x/sandbox/demo-sig.toml", GOOD)])).unwrap();
        assert_eq!(set.rules.len(), 1);
        assert_eq!(set.rules[0].patterns.len(), 2);
        assert!(set.lint.is_empty(), "{:?}", set.lint);
        assert_eq!(set.hash.len(), 16);
    }

    #[test]
    fn rejects_bad_rules_naming_file_and_field() {
        let bad_regex = GOOD.replace(r"retry \d+/\d+", "retry (");
        let unknown = GOOD.replace(
            "severity = \"high\"",
            "severity = \"high\"\ncolour = \"red\"",
        );
        let wrong_type = GOOD.replace("severity = \"high\"", "severity = 3");
        let bad_cond = GOOD.replace("a and not b", "a and c");
        let err = compile_files(&files(&[
            ("r/sandbox/demo-sig.toml", &bad_regex),
            ("r2/sandbox/demo-sig.toml", GOOD),
            ("r/sandbox/u.toml", &unknown.replace("demo-sig", "u")),
            ("r/sandbox/w.toml", &wrong_type.replace("demo-sig", "w")),
            ("r/sandbox/c.toml", &bad_cond.replace("demo-sig", "c")),
            ("r/sandbox/g.toml", "this is not toml ]]"),
        ]))
        .unwrap_err();
        let text: Vec<String> = err.iter().map(|p| p.to_string()).collect();
        let all = text.join("\n");
        assert!(
            all.contains("r/sandbox/demo-sig.toml: match.patterns.b: invalid regex"),
            "{all}"
        );
        assert!(
            all.contains("r2/sandbox/demo-sig.toml: duplicate id"),
            "{all}"
        );
        assert!(
            all.contains("r/sandbox/u.toml: invalid rule file") && all.contains("colour"),
            "{all}"
        );
        assert!(all.contains("r/sandbox/w.toml: invalid rule file"), "{all}");
        assert!(
            all.contains("r/sandbox/c.toml: match.condition: `c` is not"),
            "{all}"
        );
        assert!(all.contains("r/sandbox/g.toml: invalid rule file"), "{all}");
    }

    #[test]
    fn a_rule_directory_overrides_the_builtin_of_the_same_id() {
        let edited = GOOD.replace("title = \"Demo\"", "title = \"Edited\"");
        let set = compile_files(&files(&[
            ("builtin:rules/sandbox/demo-sig.toml", GOOD),
            ("mine/sandbox/demo-sig.toml", &edited),
        ]))
        .unwrap();
        assert_eq!(set.rules.len(), 1);
        assert_eq!(set.rules[0].file.title, "Edited");
        assert!(set.lint.iter().any(|l| l.message.contains("overrides")));
    }

    #[test]
    fn references_are_checked() {
        assert!(is_reference("openai/codex-plugin-cc#295"));
        assert!(!is_reference("openai/codex-plugin-cc #295"));
        assert!(!is_reference("#295"));
        assert!(!is_reference("openai/codex#12 (PR)"));
    }

    #[test]
    fn embedded_library_loads() {
        let set = load(&RuleSources {
            builtin: true,
            dirs: vec![],
        });
        if let Err(p) = &set {
            panic!("built-in rules must load: {p:?}");
        }
    }
}
