//! `triage history`: the clusters over every captured run, with when they were seen, how
//! often per day, on which versions and platforms, and the regressions across versions.

use super::adapter;
use super::ojson::Json;
use super::store::{LastCapture, StoredRun};
use crate::cluster::Cluster;
use crate::report::plural;
use crate::rules::RuleSet;
use crate::run::Run;
use crate::timefmt::{Millis, format_iso};
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet, HashMap};

mod import;
mod regress;
mod render;

pub use import::runs_of_export;
use regress::regressions;

/// A signature that came back, or first appeared, after a version change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Regression {
    /// `reappeared` (seen again after a version change had made it disappear) or
    /// `new-after-upgrade` (first seen after an upgrade).
    pub kind: &'static str,
    /// `plugin` or `cli`.
    pub component: &'static str,
    /// The version it was seen on.
    pub version: String,
    /// The version before: the last one it was seen on (`reappeared`) or the newest older one
    /// runs had used without it (`new-after-upgrade`).
    pub previous_version: Option<String>,
    /// The version on which it had disappeared (`reappeared` only).
    pub absent_on: Option<String>,
    /// Runs without it in between.
    pub runs_without: u64,
    /// When it was seen (the run's creation time).
    #[serde(serialize_with = "crate::timefmt::serialize_iso_opt")]
    pub at: Option<Millis>,
    /// The run.
    pub run: String,
}

/// What `history` computed over the store.
pub struct History {
    /// Stored runs, oldest first.
    pub stored: Vec<StoredRun>,
    /// The same runs as pipeline runs.
    pub runs: Vec<Run>,
    /// Clusters over them.
    pub clusters: Vec<Cluster>,
    /// Per cluster id: indices into `runs`.
    pub members: HashMap<String, Vec<usize>>,
    /// Per cluster id: regressions.
    pub regressions: HashMap<String, Vec<Regression>>,
}

fn when(s: &StoredRun, r: &Run) -> Millis {
    r.created_at.unwrap_or(s.first_seen)
}

fn day_of(t: Millis) -> String {
    format_iso(t).get(..10).unwrap_or("unknown").to_string()
}

/// A version as a sortable key: numeric parts as numbers, the rest as text.
fn version_key(v: &str) -> Vec<(u64, String)> {
    v.split(['.', '-', '+'])
        .map(|p| match p.parse::<u64>() {
            Ok(n) => (n, String::new()),
            Err(_) => (u64::MAX, p.to_string()),
        })
        .collect()
}

impl History {
    /// Per cluster (by the id `redacted` gives it), the log excerpts of its runs read from
    /// this history's recorded runs and redacted by `r` before they are capped; call it
    /// before the runs are replaced by their redacted copies.
    pub fn redacted_excerpts(
        &self,
        redacted: &[Cluster],
        r: &crate::redact::Redactor,
    ) -> HashMap<String, crate::report::markdown::Excerpts> {
        self.clusters
            .iter()
            .zip(redacted)
            .filter_map(|(c, shown)| {
                let idx = self.members.get(&c.id)?;
                let runs: Vec<&Run> = idx.iter().filter_map(|&i| self.runs.get(i)).collect();
                let ex = crate::report::markdown::Excerpts::for_cluster_runs(&runs, Some(r));
                Some((shown.id.clone(), ex))
            })
            .collect()
    }

    /// Clusters the stored runs (optionally only one cluster's).
    pub fn build(stored: Vec<StoredRun>, rules: &RuleSet) -> History {
        let runs: Vec<Run> = stored
            .iter()
            .map(|s| adapter::to_run(&s.data, &s.findings))
            .collect();
        let clusters = adapter::clusters(&runs, rules);
        let mut by_id: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, r) in runs.iter().enumerate() {
            by_id.entry(r.id.as_str()).or_default().push(i);
        }
        let mut members = HashMap::new();
        for c in &clusters {
            let mut m: Vec<usize> = c
                .runs
                .iter()
                .flat_map(|id| by_id.get(id.as_str()).cloned().unwrap_or_default())
                .collect();
            m.sort();
            m.dedup();
            members.insert(c.id.clone(), m);
        }
        let mut h = History {
            stored,
            runs,
            clusters,
            members,
            regressions: HashMap::new(),
        };
        let mut order: Vec<usize> = (0..h.runs.len()).collect();
        order.sort_by_key(|&i| (when(&h.stored[i], &h.runs[i]), i));
        for c in &h.clusters {
            let set: BTreeSet<usize> = h.members[&c.id].iter().copied().collect();
            let mut regs = Vec::new();
            for component in ["plugin", "cli"] {
                regs.extend(regressions(&h, &order, &set, component));
            }
            regs.sort_by(|a, b| a.at.cmp(&b.at).then(a.component.cmp(b.component)));
            h.regressions.insert(c.id.clone(), regs);
        }
        h
    }

    /// Keeps one cluster; `false` when there is no such cluster.
    pub fn only_cluster(&mut self, id: &str) -> bool {
        if !self.clusters.iter().any(|c| c.id == id) {
            return false;
        }
        self.clusters.retain(|c| c.id == id);
        let keep: BTreeSet<usize> = self.members[id].iter().copied().collect();
        let mut map = HashMap::new();
        let mut stored = Vec::new();
        let mut runs = Vec::new();
        for (i, (s, r)) in std::mem::take(&mut self.stored)
            .into_iter()
            .zip(std::mem::take(&mut self.runs))
            .enumerate()
        {
            if keep.contains(&i) {
                map.insert(i, runs.len());
                stored.push(s);
                runs.push(r);
            }
        }
        self.stored = stored;
        self.runs = runs;
        let m: Vec<usize> = self.members[id]
            .iter()
            .filter_map(|i| map.get(i).copied())
            .collect();
        self.members = HashMap::from([(id.to_string(), m)]);
        true
    }

    fn per_day(&self, c: &Cluster) -> BTreeMap<String, u64> {
        let mut m = BTreeMap::new();
        for &i in &self.members[&c.id] {
            *m.entry(day_of(when(&self.stored[i], &self.runs[i])))
                .or_default() += 1;
        }
        m
    }

    fn gone(&self, c: &Cluster) -> usize {
        self.members[&c.id]
            .iter()
            .filter(|&&i| self.stored[i].gone_at.is_some())
            .count()
    }

    fn run_extra(&self, i: usize) -> Json {
        let s = &self.stored[i];
        ordered(
            json!({
                "first_seen": format_iso(s.first_seen),
                "last_seen": format_iso(s.last_seen),
                "gone_at": s.gone_at.map(format_iso),
                "state_dir": s.state_dir,
                "transitions": s.transitions.iter().map(|(at, status, outcome)| json!({
                    "at": format_iso(*at), "status": status, "outcome": outcome,
                })).collect::<Vec<_>>(),
            }),
            &[
                "first_seen",
                "last_seen",
                "gone_at",
                "state_dir",
                "transitions",
            ],
        )
    }

    fn cluster_extra(&self, c: &Cluster) -> Json {
        let days = self.per_day(c);
        ordered(
            json!({
                "days": days.len(),
                "runs_per_day": days.iter().map(|(d, n)| json!({"day": d, "count": n})).collect::<Vec<_>>(),
                "gone": self.gone(c),
                "regressions": self.regressions.get(&c.id).cloned().unwrap_or_default(),
            }),
            &["days", "runs_per_day", "gone", "regressions"],
        )
    }

    /// The export document (schema/export.schema.json) with the history fields.
    pub fn json(
        &self,
        rules: &RuleSet,
        store: &str,
        last: Option<&LastCapture>,
        since: Option<Millis>,
        now: Millis,
    ) -> anyhow::Result<Json> {
        let res = adapter::as_scan_result(self.runs.clone(), self.clusters.clone(), now, store);
        let gone = self.stored.iter().filter(|s| s.gone_at.is_some()).count();
        let history = ordered(
            json!({
                "store": store,
                "runs": self.stored.len(),
                "gone": gone,
                "since": since.map(format_iso),
                "first_seen": self.stored.iter().map(|s| s.first_seen).min().map(format_iso),
                "last_capture": last.map(|l| format_iso(l.at)),
            }),
            &[
                "store",
                "runs",
                "gone",
                "since",
                "first_seen",
                "last_capture",
            ],
        );
        adapter::document(
            &res,
            rules,
            now,
            &|i| self.run_extra(i),
            &|c| self.cluster_extra(c),
            history,
        )
    }

    /// One run per line (`"type": "run"`, as the scan's NDJSON), each with its history fields.
    pub fn ndjson(&self) -> anyhow::Result<String> {
        let mut out = String::new();
        for (i, r) in self.runs.iter().enumerate() {
            let mut v = Json::Object(
                [("type".to_string(), Json::String("run".into()))]
                    .into_iter()
                    .collect(),
            );
            v.extend_object(adapter::run_json(r)?);
            v.extend_object(self.run_extra(i));
            out.push_str(&serde_json::to_string(&v)?);
            out.push('\n');
        }
        Ok(out)
    }
}

/// An object of `v`'s keys in the given order (the `json!` macro sorts them).
fn ordered(v: serde_json::Value, keys: &[&str]) -> Json {
    let mut m = indexmap::IndexMap::new();
    if let serde_json::Value::Object(mut o) = v {
        for k in keys {
            if let Some(x) = o.remove(*k) {
                m.insert(
                    k.to_string(),
                    Json::from_serialize(&x).unwrap_or(Json::Null),
                );
            }
        }
    }
    Json::Object(m)
}

fn describe(r: &Regression) -> String {
    let comp = if r.component == "plugin" {
        "plugin"
    } else {
        "Codex CLI"
    };
    let at = r.at.map(day_of).unwrap_or_else(|| "unknown day".into());
    match r.kind {
        "reappeared" => format!(
            "seen again on {comp} {} ({at}, run `{}`) after {} without it on {comp} {}{}",
            r.version,
            r.run,
            plural(r.runs_without, "run", "runs"),
            r.absent_on.as_deref().unwrap_or("?"),
            r.previous_version
                .as_deref()
                .map(|p| format!(" (last seen on {p})"))
                .unwrap_or_default()
        ),
        _ => format!(
            "first seen after an upgrade to {comp} {} ({at}, run `{}`); {} on {comp} {} did not have it",
            r.version,
            r.run,
            plural(r.runs_without, "earlier run", "earlier runs"),
            r.previous_version.as_deref().unwrap_or("?"),
        ),
    }
}
