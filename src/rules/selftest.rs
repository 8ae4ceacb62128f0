//! `triage rules test`: every rule's own tests, then every rule against every other rule's
//! `match` examples, reporting overlaps the two rules do not declare as related.
//!
//! Free-text tests go through `triage match`'s classifier; job tests are written as a real
//! state directory in a temporary folder and read by the real scanner, so a rule test
//! exercises exactly what a scan does.

use super::model::{Expect, TestJob, TestSpec};
use super::{Rule, RuleSet};
use crate::scan::{self, ScanOptions};
use crate::timefmt::{Millis, format_iso, parse_duration};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

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

/// Rule ids matched by one test input (text or job).
pub fn matches_of(set: &RuleSet, t: &TestSpec) -> Result<BTreeSet<String>, String> {
    if let Some(text) = &t.text {
        // A rule's free-text tests are about the rule stage: `exact` matches only.
        return Ok(crate::matchtext::rule_matches(text, set)
            .into_iter()
            .filter(|m| m.confidence == crate::matchtext::Confidence::Exact)
            .map(|m| m.signature)
            .collect());
    }
    let job = t.job.as_ref().ok_or("test has neither `text` nor `job`")?;
    run_job(set, job)
}

const BASE_TS: &str = "2026-09-01T10:00:00.000Z";

fn run_job(set: &RuleSet, job: &TestJob) -> Result<BTreeSet<String>, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("cannot create a temporary folder: {e}"))?;
    let base = crate::timefmt::parse_timestamp(BASE_TS).unwrap_or(0);
    let id = "task-mf0x1a2b-test01";
    let log = job.log.clone().unwrap_or_default();
    // Last activity: the last log timestamp, else the base time.
    let mut last = base;
    for line in log.lines() {
        if let Some((ts, _)) = crate::log::split_timestamp(line.as_bytes()) {
            last = last.max(ts);
        }
    }
    let idle = match &job.idle {
        Some(d) => parse_duration(d)?,
        None => 60_000,
    };
    let now = last + idle;
    let root_kind = job.state_root.as_deref().unwrap_or("plugin-data");
    let (root, other) = match root_kind {
        "tmp-fallback" => ("codex-companion", "state"),
        "plugin-data" => ("state", "codex-companion"),
        "per-run" | "other" => ("elsewhere", "codex-companion"),
        x => return Err(format!("unknown state_root `{x}`")),
    };
    let ws = "demo-app-70de7e731d0d286f";
    let state = dir.path().join(root).join(ws);
    write_job(&state, id, job, base, last, &log)?;
    if job.workspace_split == Some(true) {
        let healthy = TestJob {
            status: Some("completed".into()),
            ..TestJob::default()
        };
        write_job(
            &dir.path().join(other).join(ws),
            "task-mf0x0000-other1",
            &healthy,
            base - 3_600_000,
            base - 3_500_000,
            "",
        )?;
    }
    let mut opts = ScanOptions::new(vec![dir.path().to_path_buf()], now);
    opts.check_pids = false;
    opts.codex_sessions = None;
    opts.threads = Some(1);
    let res = scan::scan(&opts, set);
    let run = res
        .runs
        .iter()
        .find(|r| r.id == id)
        .ok_or("the test job was not read back")?;
    Ok(run.findings.iter().map(|f| f.signature.clone()).collect())
}

fn write_job(
    state: &Path,
    id: &str,
    job: &TestJob,
    created: Millis,
    last: Millis,
    log: &str,
) -> Result<(), String> {
    let jobs = state.join("jobs");
    std::fs::create_dir_all(&jobs).map_err(|e| e.to_string())?;
    let kind = job.kind.clone().unwrap_or_else(|| "task".into());
    let title = job.title.clone().unwrap_or_else(|| match kind.as_str() {
        "review" => "Codex Review".into(),
        "adversarial-review" => "Codex Adversarial Review".into(),
        _ => "Codex Task".into(),
    });
    let status = job.status.clone().unwrap_or_else(|| "completed".into());
    let terminal = matches!(status.as_str(), "completed" | "failed" | "cancelled");
    let phase = job.phase.clone().unwrap_or_else(|| {
        match status.as_str() {
            "completed" => "done",
            "failed" => "failed",
            "cancelled" => "cancelled",
            "queued" => "queued",
            _ => "running",
        }
        .into()
    });
    let mut rec = serde_json::json!({
        "id": id, "kind": kind, "title": title, "workspaceRoot": "/home/dev/src/demo-app",
        "jobClass": if kind == "task" { "task" } else { "review" }, "summary": "test job", "write": false,
        "createdAt": format_iso(created), "startedAt": format_iso(created), "status": status, "phase": phase,
        "pid": if terminal { serde_json::Value::Null } else { serde_json::json!(999_999_999) },
        "logFile": jobs.join(format!("{id}.log")).display().to_string(),
    });
    let completed = job.completed.unwrap_or(terminal);
    if completed {
        rec["completedAt"] = serde_json::json!(format_iso(last));
    }
    if let Some(e) = &job.error_message {
        rec["errorMessage"] = serde_json::json!(e);
    }
    if let Some(r) = &job.rendered {
        rec["rendered"] = serde_json::json!(r);
        rec["result"] = serde_json::json!({ "status": if status == "completed" { 0 } else { 1 }, "rawOutput": r });
    }
    let text = serde_json::to_string_pretty(&rec).map_err(|e| e.to_string())? + "\n";
    std::fs::write(jobs.join(format!("{id}.json")), text).map_err(|e| e.to_string())?;
    std::fs::write(jobs.join(format!("{id}.log")), log).map_err(|e| e.to_string())?;
    let index =
        serde_json::json!({ "version": 1, "config": { "stopReviewGate": false }, "jobs": [ rec ] });
    std::fs::write(
        state.join("state.json"),
        serde_json::to_string_pretty(&index).map_err(|e| e.to_string())? + "\n",
    )
    .map_err(|e| e.to_string())?;
    Ok(())
}

fn declared(a: &Rule, b: &str) -> bool {
    a.file.related.iter().any(|r| r.id == b)
}

/// Runs the tests of the rules whose source is in `only` (all when `None`).
pub fn run(set: &RuleSet, only: Option<&[String]>) -> Report {
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
            let got = match matches_of(set, t) {
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
