//! The rule library: TOML files (one signature each) loaded, validated and compiled into one
//! [`matcher::Matcher`]. Built-in rules are embedded at build time; `--rules DIR` adds more.
//!
//! The stages: [`load`](mod@load) reads the files, [`model`] is their schema (with [`state`], the
//! structural conditions, each fact written once), [`validate`] checks identity fields,
//! [`compile`] builds the [`RuleSet`] (conditions parsed by [`condition`]), [`selftest`] runs
//! the rules' own tests through a harness the pipeline provides. The engine reads no records.

pub mod compile;
pub mod condition;
pub mod load;
pub mod matcher;
pub mod model;
pub mod selftest;
pub mod state;
pub mod template;
pub mod validate;
pub mod window;

pub use compile::{Checks, compile_files, compile_files_with};
pub use load::{MAX_RULE_FILE_BYTES, load, load_checked, read_sources};
pub use state::{RunFacts, State};
pub use validate::is_reference;

use crate::vocab::Scope;
use crate::vocab::ScopeSet;
use condition::Expr;
use matcher::Matcher;
use model::{RuleFile, RuleStatus};
use std::path::PathBuf;

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));
}

/// The embedded rule files: (path relative to the crate, TOML text).
pub fn builtin_files() -> &'static [(&'static str, &'static str)] {
    builtin::BUILTIN_RULES
}

/// The embedded support files of the library (`rules/_vocab/…`): (path, TOML text).
pub fn builtin_support_files() -> &'static [(&'static str, &'static str)] {
    builtin::BUILTIN_SUPPORT
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
    /// `[when]`: a guard every match needs.
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

impl RuleSet {
    /// Loads the rules or returns every problem (see [`load()`]).
    pub fn load(src: &RuleSources) -> Result<RuleSet, Vec<RuleProblem>> {
        load(src)
    }

    /// Loads the rules with every regex checked, the embedded ones too (see [`load_checked`]).
    pub fn load_checked(src: &RuleSources) -> Result<RuleSet, Vec<RuleProblem>> {
        load_checked(src)
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
        // `last` patterns count in free text only where the text shows a log's last line
        // (the end of a pasted log block); the caller counts them there.
        let var = |v: usize| {
            v < np && {
                let p = &r.patterns[v];
                counts(p.global) >= p.min_count
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
    fn embedded_library_checks_in_full() {
        // What lets `load` skip the embedded regexes: every one of them compiles.
        let set = load_checked(&RuleSources {
            builtin: true,
            dirs: vec![],
        });
        if let Err(p) = &set {
            panic!("built-in rules must load with every regex checked: {p:?}");
        }
        let lazy = load(&RuleSources {
            builtin: true,
            dirs: vec![],
        })
        .unwrap();
        let full = set.unwrap();
        assert_eq!(lazy.rules.len(), full.rules.len());
        assert_eq!(lazy.hash, full.hash);
        assert_eq!(lazy.lint, full.lint);
    }

    #[test]
    fn only_the_embedded_library_is_trusted() {
        let bad = GOOD.replace(r"retry \d+/\d+", "retry (");
        for name in [
            "mine/sandbox/demo-sig.toml",
            "builtin:rules/sandbox/demo-sig.toml",
        ] {
            let err = compile_files(&files(&[(name, &bad)])).unwrap_err();
            assert!(
                err.iter().any(|p| p.message.contains("invalid regex")),
                "{err:?}"
            );
        }
        let err = compile_files_with(
            &files(&[("mine/sandbox/demo-sig.toml", &bad)]),
            Checks::TrustEmbedded,
        )
        .unwrap_err();
        assert!(
            err.iter().any(|p| p.message.contains("invalid regex")),
            "{err:?}"
        );
        // Were an embedded regex ever invalid, its pattern would match nothing, not panic.
        let set = compile_files_with(
            &files(&[("builtin:rules/sandbox/demo-sig.toml", &bad)]),
            Checks::TrustEmbedded,
        )
        .unwrap();
        let b = set.rules[0].patterns[1].global;
        assert!(!set.matcher.is_match(b, b"retry ("));
        assert!(
            set.matcher
                .is_match(set.rules[0].patterns[0].global, b"boom happened")
        );
    }
}
