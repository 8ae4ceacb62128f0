//! Rule self-test jobs (`[[tests]]` with a `job`): the test's fields built into a job record
//! and log in memory and read through the same reader and classifier as a scan, with no
//! temporary folder. Free-text tests go through `triage match`'s classifier.

use crate::classify;
use crate::matchtext;
use crate::matchtext::context::Vocabulary;
use crate::outcome::Clock;
use crate::read::{self, Counters, DirContext, Input, JobTask, ReadEnv};
use crate::record::JobRecord;
use crate::rules::RuleSet;
use crate::rules::model::{TestJob, TestSpec};
use crate::rules::selftest::Harness;
use crate::run::Workspace;
use crate::timefmt::{Millis, format_iso, parse_duration};
use crate::vocab::{Kind, StateRoot, Status};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The pipeline as a rule-test harness, with the built-in product-context vocabulary.
#[derive(Debug, Clone, Copy)]
pub struct Pipeline;

impl Harness for Pipeline {
    fn matches(&self, set: &RuleSet, t: &TestSpec) -> Result<BTreeSet<String>, String> {
        WithVocabulary(Vocabulary::builtin()).matches(set, t)
    }
}

/// The pipeline with a given product-context vocabulary for free-text tests: `rules test
/// DIR` reads `DIR/_vocab/context.toml` as `match --rules DIR` does, so a rule folder's
/// `needs_context` tests see the terms that folder adds.
#[derive(Debug, Clone, Copy)]
pub struct WithVocabulary<'a>(pub &'a Vocabulary);

impl Harness for WithVocabulary<'_> {
    fn matches(&self, set: &RuleSet, t: &TestSpec) -> Result<BTreeSet<String>, String> {
        if let Some(text) = &t.text {
            // A rule's free-text tests are about the rule stage: `exact` matches only.
            return Ok(matchtext::classify_with(text, set, self.0, false)
                .matches
                .into_iter()
                .filter(|m| m.confidence == matchtext::Confidence::Exact)
                .map(|m| m.signature)
                .collect());
        }
        let job = t.job.as_ref().ok_or("test has neither `text` nor `job`")?;
        run_job(set, job)
    }
}

const BASE_TS: &str = "2026-09-01T10:00:00.000Z";
const TEST_ID: &str = "task-mf0x1a2b-test01";
const TEST_WORKSPACE: &str = "demo-app-70de7e731d0d286f";

fn run_job(set: &RuleSet, job: &TestJob) -> Result<BTreeSet<String>, String> {
    let base = crate::timefmt::parse_timestamp(BASE_TS).unwrap_or(0);
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
    let root_kind = job.state_root.unwrap_or(StateRoot::PluginData);
    let folder = match root_kind {
        StateRoot::TmpFallback => "codex-companion",
        StateRoot::PluginData => "state",
        _ => "elsewhere",
    };
    let state = Path::new("/triage-selftest")
        .join(folder)
        .join(TEST_WORKSPACE);
    let jobs = state.join("jobs");
    let rec = record_json(&jobs, job, base, last);
    let text = serde_json::to_string_pretty(&rec).map_err(|e| e.to_string())? + "\n";
    let index = state.join("state.json");
    let index_entry = rec
        .as_object()
        .map(|o| JobRecord::from_object(o, &index, None, &mut Vec::new()));
    let ctx = DirContext {
        root_kind,
        workspace: Workspace::from_dir_name(TEST_WORKSPACE),
        broker_platform: None,
        index_shared: Some(index.display().to_string().into()),
        stop_review_gate: Some(job.stop_review_gate.unwrap_or(false)),
        workspace_split: job.workspace_split == Some(true),
    };
    let task = JobTask {
        id: TEST_ID.into(),
        record: Some(Input::Memory(
            jobs.join(format!("{TEST_ID}.json")),
            text.into_bytes(),
        )),
        log: Some(Input::Memory(
            jobs.join(format!("{TEST_ID}.log")),
            log.into_bytes(),
        )),
        index_entry,
    };
    let now = last + idle;
    let env = ReadEnv {
        rules: set,
        clock: Clock {
            now,
            stall_after: 30 * 60_000,
        },
        since: None,
        check_pids: false,
        codex_sessions: None,
        redactor: None,
        scan_roots: &[],
    };
    let read = read::read_run(task, &ctx, &env, &mut Vec::new(), &Counters::default())
        .ok_or("the test job was not read back")?;
    let run = classify::finish(read, set, now);
    Ok(run.findings.into_iter().map(|f| f.signature).collect())
}

/// The job record the plugin would write for these test fields.
fn record_json(jobs: &Path, job: &TestJob, created: Millis, last: Millis) -> serde_json::Value {
    let kind = job.kind.clone().unwrap_or(Kind::Task);
    let title = job.title.clone().unwrap_or_else(|| match kind {
        Kind::Review => "Codex Review".into(),
        Kind::AdversarialReview => "Codex Adversarial Review".into(),
        _ => "Codex Task".into(),
    });
    let status = job.status.clone().unwrap_or(Status::Completed);
    let terminal = matches!(
        status,
        Status::Completed | Status::Failed | Status::Cancelled
    );
    let phase = job.phase.clone().unwrap_or_else(|| {
        match status {
            Status::Completed => "done",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
            Status::Queued => "queued",
            _ => "running",
        }
        .into()
    });
    let (kind, status) = (kind.as_str(), status.as_str());
    let log_file: PathBuf = jobs.join(format!("{TEST_ID}.log"));
    let mut rec = serde_json::json!({
        "id": TEST_ID, "kind": kind, "title": title, "workspaceRoot": "/home/dev/src/demo-app",
        "jobClass": if kind == "task" { "task" } else { "review" }, "summary": "test job", "write": job.write.unwrap_or(false),
        "createdAt": format_iso(created), "startedAt": format_iso(created), "status": status, "phase": phase,
        "pid": if terminal { serde_json::Value::Null } else { serde_json::json!(999_999_999) },
        "logFile": log_file.display().to_string(),
    });
    if job.completed.unwrap_or(terminal) {
        rec["completedAt"] = serde_json::json!(format_iso(last));
    }
    if let Some(e) = &job.error_message {
        rec["errorMessage"] = serde_json::json!(e);
    }
    if let Some(r) = &job.rendered {
        rec["rendered"] = serde_json::json!(r);
        rec["result"] = serde_json::json!({ "status": if status == "completed" { 0 } else { 1 }, "rawOutput": r });
    }
    rec
}

#[cfg(test)]
mod tests {
    use crate::rules::model::TestJob;
    use crate::vocab::{Kind, StateRoot, Status};

    #[test]
    fn test_job_fields_are_the_vocabulary() {
        let j: TestJob = toml::from_str(
            "kind = \"adversarial-review\"\nstatus = \"running\"\nstate_root = \"tmp-fallback\"",
        )
        .unwrap();
        assert_eq!(j.kind, Some(Kind::AdversarialReview));
        assert_eq!(j.status, Some(Status::Running));
        assert_eq!(j.state_root, Some(StateRoot::TmpFallback));
        // A status no plugin writes stays testable; a layout that does not exist is an error.
        let odd: TestJob = toml::from_str("status = \"paused\"").unwrap();
        assert_eq!(odd.status, Some(Status::Other("paused".into())));
        let err = toml::from_str::<TestJob>("state_root = \"plugin_data\"").unwrap_err();
        assert!(err.to_string().contains("plugin-data"), "{err}");
    }
}
