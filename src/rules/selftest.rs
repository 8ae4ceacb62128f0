//! `triage rules test`: every rule's own tests, then every rule against every other rule's
//! `match` examples, reporting overlaps the two rules do not declare as related.
//!
//! Free-text tests go through `triage match`'s classifier; job tests are built into a job
//! record and log in memory and read by the same reader and classifier a scan uses (see
//! `src/testjob.rs`), so a rule test exercises exactly what a scan does.

use super::model::{Expect, TestSpec};
use super::{Rule, RuleSet};
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// One failed test.
#[derive(Debug, Clone)]
pub struct Failure {
    /// Rule id.
    pub rule: String,
    /// Test index and name.
    pub test: String,
    /// What went wrong.
    pub message: String,
}

/// A match of another rule on a rule's example that neither declares.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Overlap {
    /// The rule whose example it is.
    pub rule: String,
    /// The test.
    pub test: String,
    /// The other rule that matched.
    pub other: String,
}

/// The results.
#[derive(Debug, Default)]
pub struct Report {
    /// Rules tested.
    pub rules: usize,
    /// Tests run.
    pub tests: usize,
    /// Failures.
    pub failures: Vec<Failure>,
    /// Undeclared overlaps.
    pub overlaps: Vec<Overlap>,
    /// Rules without a match or no-match test (stable ones).
    pub untested: Vec<String>,
}

impl Report {
    /// True when every test passed and every stable rule has both kinds of test.
    pub fn passed(&self) -> bool {
        self.failures.is_empty() && self.untested.is_empty()
    }

    /// Text for the terminal.
    pub fn render(&self) -> String {
        let mut o = String::new();
        for f in &self.failures {
            let _ = writeln!(o, "FAIL {} {}: {}", f.rule, f.test, f.message);
        }
        for u in &self.untested {
            let _ = writeln!(
                o,
                "FAIL {u}: a stable rule needs at least one match and one no-match test"
            );
        }
        for ov in &self.overlaps {
            let _ = writeln!(
                o,
                "overlap: {} also matches {} {} (declare it in `related` if intended)",
                ov.other, ov.rule, ov.test
            );
        }
        let _ = writeln!(
            o,
            "{} rules, {} tests: {} passed, {} failed; {} undeclared overlap{}",
            self.rules,
            self.tests,
            self.tests - self.failures.len(),
            self.failures.len() + self.untested.len(),
            self.overlaps.len(),
            if self.overlaps.len() == 1 { "" } else { "s" }
        );
        o
    }
}

/// Runs one test input through the pipeline and says which rules matched it. Implemented
/// outside the rule engine (`crate::testjob::Pipeline`), so `rules` reads no records itself.
pub trait Harness {
    /// Rule ids matched by one test input (text or job).
    fn matches(&self, set: &RuleSet, t: &TestSpec) -> Result<BTreeSet<String>, String>;
}

fn declared(a: &Rule, b: &str) -> bool {
    a.file.related.iter().any(|r| r.id == b)
}

/// Runs the tests of the rules whose source is in `only` (all when `None`).
pub fn run(set: &RuleSet, only: Option<&[String]>, harness: &dyn Harness) -> Report {
    let mut rep = Report::default();
    for rule in &set.rules {
        if let Some(only) = only
            && !only.iter().any(|s| s == &rule.source)
        {
            continue;
        }
        rep.rules += 1;
        if rule.file.status == super::model::RuleStatus::Stable {
            let m = rule.file.tests.iter().any(|t| t.expect == Expect::Match);
            let n = rule.file.tests.iter().any(|t| t.expect == Expect::NoMatch);
            if !m || !n {
                rep.untested.push(rule.id().to_string());
            }
        }
        for (i, t) in rule.file.tests.iter().enumerate() {
            rep.tests += 1;
            let label = match &t.name {
                Some(n) => format!("tests[{i}] ({n})"),
                None => format!("tests[{i}]"),
            };
            let got = match harness.matches(set, t) {
                Ok(g) => g,
                Err(e) => {
                    rep.failures.push(Failure {
                        rule: rule.id().into(),
                        test: label,
                        message: e,
                    });
                    continue;
                }
            };
            let hit = got.contains(rule.id());
            match (t.expect, hit) {
                (Expect::Match, false) => rep.failures.push(Failure {
                    rule: rule.id().into(),
                    test: label.clone(),
                    message: format!(
                        "expected a match; matched: {}",
                        if got.is_empty() {
                            "nothing".into()
                        } else {
                            got.iter().cloned().collect::<Vec<_>>().join(", ")
                        }
                    ),
                }),
                (Expect::NoMatch, true) => rep.failures.push(Failure {
                    rule: rule.id().into(),
                    test: label.clone(),
                    message: "expected no match, but it matched".into(),
                }),
                _ => {}
            }
            if t.expect == Expect::Match {
                for other in got.iter().filter(|o| o.as_str() != rule.id()) {
                    let o = set.get(other);
                    if !declared(rule, other) && !o.is_some_and(|o| declared(o, rule.id())) {
                        rep.overlaps.push(Overlap {
                            rule: rule.id().into(),
                            test: label.clone(),
                            other: other.clone(),
                        });
                    }
                }
            }
        }
    }
    rep.overlaps.sort();
    rep
}
