//! Reading every stored run back, with its findings and outcome transitions.

use super::open::sql_err;
use super::{FindingData, RunData, Store, StoredRun};
use crate::timefmt::Millis;
use anyhow::Context;
use rusqlite::params;
use std::collections::HashMap;

/// One outcome transition: when, the plugin status (or `gone`), triage's outcome.
type Transition = (Millis, Option<String>, String);

impl Store {
    /// Every stored run (created at or after `since`, when given), oldest first.
    pub fn load(&self, since: Option<Millis>) -> anyhow::Result<Vec<StoredRun>> {
        let e = sql_err(&self.path);
        let mut findings = self.findings_by_run()?;
        let mut transitions = self.transitions_by_run()?;
        let mut st = self
            .conn
            .prepare(
                "SELECT id, state_dir, data, first_seen, last_seen, gone_at, origin FROM runs
                 WHERE ?1 IS NULL OR coalesce(created_at, first_seen) >= ?1
                 ORDER BY coalesce(created_at, first_seen), job_id, id",
            )
            .map_err(&e)?;
        let rows = st
            .query_map(params![since], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, Option<i64>>(5)?,
                    r.get::<_, String>(6)?,
                ))
            })
            .map_err(&e)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, state_dir, data, first_seen, last_seen, gone_at, origin) = row.map_err(&e)?;
            let data: RunData = serde_json::from_str(&data).with_context(|| {
                format!(
                    "history store {}: run row {id} holds damaged JSON",
                    self.path.display()
                )
            })?;
            let mut f = findings.remove(&id).unwrap_or_default();
            f.sort_by(|a, b| {
                severity_rank(&b.severity)
                    .cmp(&severity_rank(&a.severity))
                    .then_with(|| a.signature.cmp(&b.signature))
            });
            out.push(StoredRun {
                row: id,
                state_dir,
                data,
                findings: f,
                first_seen,
                last_seen,
                gone_at,
                origin,
                transitions: transitions.remove(&id).unwrap_or_default(),
            });
        }
        Ok(out)
    }

    /// Every run's findings, by run row.
    fn findings_by_run(&self) -> anyhow::Result<HashMap<i64, Vec<FindingData>>> {
        let e = sql_err(&self.path);
        let mut findings: HashMap<i64, Vec<FindingData>> = HashMap::new();
        let mut st = self
            .conn
            .prepare("SELECT run, signature, severity, evidence FROM findings")
            .map_err(&e)?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .map_err(&e)?;
        for row in rows {
            let (run, signature, severity, ev) = row.map_err(&e)?;
            let evidence = serde_json::from_str(&ev).unwrap_or_default();
            findings.entry(run).or_default().push(FindingData {
                signature,
                severity,
                evidence,
            });
        }
        Ok(findings)
    }

    /// Every run's outcome transitions in time order, by run row.
    fn transitions_by_run(&self) -> anyhow::Result<HashMap<i64, Vec<Transition>>> {
        let e = sql_err(&self.path);
        let mut transitions: HashMap<i64, Vec<Transition>> = HashMap::new();
        let mut st = self
            .conn
            .prepare("SELECT run, at, status, outcome FROM transitions ORDER BY run, at, rowid")
            .map_err(&e)?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .map_err(&e)?;
        for row in rows {
            let (run, at, status, outcome) = row.map_err(&e)?;
            transitions
                .entry(run)
                .or_default()
                .push((at, status, outcome));
        }
        Ok(transitions)
    }
}

fn severity_rank(s: &str) -> u8 {
    match s {
        "critical" => 4,
        "high" => 3,
        "medium" => 2,
        "low" => 1,
        _ => 0,
    }
}
