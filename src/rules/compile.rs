//! Compiling parsed rule files into one [`RuleSet`]: every pattern of every rule goes into one
//! table ([`PatternSource`]s, compiled together into the [`Matcher`]), conditions are parsed
//! against each rule's names, and what is legal but suspicious becomes lint.
//!
//! Loading is on the path of every command, including `triage capture` run by a hook after
//! each Claude turn, so it does no work a scan may not need: each pattern's regex is checked
//! once here (syntax and size, without building a matcher for it) and compiled for matching
//! only when a line first reaches it (`docs/performance.md`, "Capture").

use super::condition::{self, Expr};
use super::matcher::{self, Matcher, PatternSource};
use super::model::RuleFile;
use super::validate::validate_identity;
use super::{Rule, RulePattern, RuleProblem, RuleSet};
use crate::vocab::Scope;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};

/// The global pattern table being built: what the matcher compiles, and for each entry the
/// (rule index, pattern index in the rule) that owns it.
#[derive(Default)]
struct PatternTable {
    sources: Vec<PatternSource>,
    owners: Vec<(usize, usize)>,
}

/// How much checking the regexes of the embedded library get at load time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checks {
    /// Every regex of every file is compiled once to prove it valid (syntax, size limit).
    Full,
    /// As `Full`, except for the embedded files (`builtin:…`): their text is the crate's own
    /// `rules/`, compiled into the binary and proved valid by its test suite
    /// (`embedded_library_checks_in_full`), so re-proving it on every start would only
    /// cost time; each of their regexes is compiled when a line first needs it.
    TrustEmbedded,
}

/// Parses, validates and compiles rule files given as (name, text), every regex checked.
pub fn compile_files(files: &[(String, String)]) -> Result<RuleSet, Vec<RuleProblem>> {
    compile_files_with(files, Checks::Full)
}

/// [`compile_files`] with the given regex [`Checks`].
pub fn compile_files_with(
    files: &[(String, String)],
    checks: Checks,
) -> Result<RuleSet, Vec<RuleProblem>> {
    let mut problems = Vec::new();
    let mut lint = Vec::new();
    let parsed = parse_files(files, &mut problems, &mut lint);
    lint_links(&parsed, &mut lint);
    let mut table = PatternTable::default();
    let mut rules = Vec::new();
    for (ri, (name, rf)) in parsed.into_iter().enumerate() {
        let check_regexes = checks == Checks::Full || !name.starts_with("builtin:");
        match compile_rule(&name, rf, ri, check_regexes, &mut table, &mut lint) {
            Ok(r) => rules.push(r),
            Err(mut p) => problems.append(&mut p),
        }
    }
    if !problems.is_empty() {
        problems.sort();
        return Err(problems);
    }
    // Every regex was checked by `compile_rule` (or is the embedded library's).
    let matcher = Matcher::from_checked(&table.sources).map_err(|e| {
        vec![RuleProblem {
            file: String::new(),
            message: format!("the literal prefilter does not build: {e}"),
        }]
    })?;
    lint_slow_patterns(&table, &matcher, &rules, &mut lint);
    let last_patterns = table
        .owners
        .iter()
        .enumerate()
        .filter(|(_, (r, p))| rules[*r].patterns[*p].scope == Scope::Last)
        .map(|(g, _)| g)
        .collect();
    lint.sort();
    Ok(RuleSet {
        rules,
        matcher,
        owners: table.owners,
        last_patterns,
        hash: files_hash(files),
        lint,
    })
}

/// Parses every file, drops duplicates (a rule folder may override a built-in id) and sorts
/// the rest by id.
fn parse_files(
    files: &[(String, String)],
    problems: &mut Vec<RuleProblem>,
    lint: &mut Vec<RuleProblem>,
) -> Vec<(String, RuleFile)> {
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
        validate_identity(name, &rf, problems, lint);
        parsed.push((name.clone(), rf));
    }
    parsed.sort_by(|a, b| a.1.id.cmp(&b.1.id));
    parsed
}

/// `yields_to`, `explained_by` and `related` naming no loaded rule.
fn lint_links(parsed: &[(String, RuleFile)], lint: &mut Vec<RuleProblem>) {
    let ids: HashSet<&str> = parsed.iter().map(|(_, r)| r.id.as_str()).collect();
    for (name, rf) in parsed {
        let missing = rf
            .yields_to
            .iter()
            .map(|y| ("yields_to", y))
            .chain(rf.explained_by.iter().map(|y| ("explained_by", y)))
            .chain(rf.related.iter().map(|r| ("related", &r.id)));
        for (field, id) in missing {
            if !ids.contains(id.as_str()) {
                lint.push(RuleProblem {
                    file: name.clone(),
                    message: format!("{field} id `{id}` is not a loaded rule"),
                });
            }
        }
    }
}

/// Patterns with no literal to prefilter on: checked on every line.
fn lint_slow_patterns(
    table: &PatternTable,
    matcher: &Matcher,
    rules: &[Rule],
    lint: &mut Vec<RuleProblem>,
) {
    for (g, &(r, p)) in table.owners.iter().enumerate() {
        if table.sources[g].scope_mask != 0 && matcher.literal_of(g).is_none() {
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
}

/// Short hash of every loaded file (path and contents), order-independent.
fn files_hash(files: &[(String, String)]) -> String {
    let mut h = Sha256::new();
    let mut sorted: Vec<&(String, String)> = files.iter().collect();
    sorted.sort();
    for (n, t) in sorted {
        h.update(n.as_bytes());
        h.update([0]);
        h.update(t.as_bytes());
        h.update([0]);
    }
    h.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn compile_rule(
    name: &str,
    rf: RuleFile,
    rule_index: usize,
    check_regexes: bool,
    table: &mut PatternTable,
    lint: &mut Vec<RuleProblem>,
) -> Result<Rule, Vec<RuleProblem>> {
    let mut problems = Vec::new();
    let mut err = |message: String| {
        problems.push(RuleProblem {
            file: name.to_string(),
            message,
        })
    };
    let first_global = table.sources.len();
    let patterns = compile_patterns(&rf, rule_index, check_regexes, table, &mut err);
    // Conditions name patterns (variables `0..patterns.len()`) and then states.
    let mut names: Vec<String> = patterns.iter().map(|p| p.name.clone()).collect();
    for sname in rf.matcher.states.keys() {
        if rf.matcher.patterns.contains_key(sname) {
            err(format!("match.states.{sname}: a pattern has the same name"));
        }
        names.push(sname.clone());
    }
    // Judged on what was written, so a rule whose only pattern is invalid gets one problem.
    if rf.matcher.patterns.is_empty() && rf.matcher.states.is_empty() {
        err("match: a rule needs at least one pattern or state".into());
    }
    let (condition, text_condition) = compile_conditions(&rf, &patterns, &names, &mut err);
    if rf.matcher.condition.is_some() {
        lint_unused(name, &names, &patterns, &condition, &text_condition, lint);
    }
    if !problems.is_empty() {
        // Keep the global pattern table consistent with what compiled.
        table.sources.truncate(first_global);
        table.owners.truncate(first_global);
        return Err(problems);
    }
    let states = rf
        .matcher
        .states
        .iter()
        .map(|(n, s)| (n.clone(), s.clone()))
        .collect();
    Ok(Rule {
        when: rf.when.clone(),
        file: rf,
        source: name.to_string(),
        patterns,
        states,
        condition,
        text_condition,
    })
}

/// Checks each pattern of `rf` and adds the valid ones to the global table.
fn compile_patterns(
    rf: &RuleFile,
    rule_index: usize,
    check_regexes: bool,
    table: &mut PatternTable,
    err: &mut dyn FnMut(String),
) -> Vec<RulePattern> {
    let mut patterns = Vec::new();
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
        let checked = if check_regexes {
            matcher::check_regex(&regex, p.case_insensitive)
        } else {
            Ok(())
        };
        if let Err(e) = checked {
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
        let global = table.sources.len();
        table.sources.push(PatternSource {
            regex,
            case_insensitive: p.case_insensitive,
            scope_mask: p.scope.mask(),
        });
        table.owners.push((rule_index, patterns.len()));
        patterns.push(RulePattern {
            name: pname.clone(),
            global,
            scope: p.scope,
            min_count: p.min_count,
            weight: p.weight,
        });
    }
    patterns
}

/// The job condition (by default: any pattern outside `text` scope) and the free-text one.
fn compile_conditions(
    rf: &RuleFile,
    patterns: &[RulePattern],
    names: &[String],
    err: &mut dyn FnMut(String),
) -> (Expr, Option<Expr>) {
    let resolve = |n: &str| names.iter().position(|x| x == n);
    let condition = match &rf.matcher.condition {
        Some(c) => condition::parse(c, &resolve).unwrap_or_else(|e| {
            err(format!("match.condition: {e}"));
            Expr::False
        }),
        None => Expr::Or(
            patterns
                .iter()
                .enumerate()
                .filter(|(_, p)| p.scope != Scope::Text)
                .map(|(i, _)| Expr::Var(i))
                .collect(),
        ),
    };
    let text_condition = rf.matcher.text_condition.as_ref().and_then(|c| {
        condition::parse(c, &resolve)
            .map_err(|e| err(format!("match.text_condition: {e}")))
            .ok()
    });
    (condition, text_condition)
}

/// Names a written condition does not use (`text`-scope patterns are for free text).
fn lint_unused(
    file: &str,
    names: &[String],
    patterns: &[RulePattern],
    condition: &Expr,
    text_condition: &Option<Expr>,
    lint: &mut Vec<RuleProblem>,
) {
    let mut used = Vec::new();
    condition.vars(&mut used);
    if let Some(t) = text_condition {
        t.vars(&mut used);
    }
    for (i, n) in names.iter().enumerate() {
        let text_only = patterns.get(i).is_some_and(|p| p.scope == Scope::Text);
        if !used.contains(&i) && !text_only {
            lint.push(RuleProblem {
                file: file.to_string(),
                message: format!("`{n}` is not used in the condition"),
            });
        }
    }
}
