//! `triage history`: the clusters over every captured run, with when they were seen, how
//! often per day, on which versions and platforms, and the regressions across versions.

use super::adapter::{self, Captured};
use super::ojson::Json;
use super::store::{LastCapture, StoredRun};
use crate::cluster::Cluster;
use crate::rules::RuleSet;
use crate::run::Run;
use crate::timefmt::{Millis, format_iso};
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

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

    /// The human report.
    pub fn human(&self, store: &str, last: Option<&LastCapture>, verbose_runs: bool) -> String {
        let mut o = String::new();
        let gone = self.stored.iter().filter(|s| s.gone_at.is_some()).count();
        let span = match (
            self.stored.iter().map(|s| s.first_seen).min(),
            self.stored.iter().map(|s| s.last_seen).max(),
        ) {
            (Some(a), Some(b)) => format!(", seen {} to {}", day_of(a), day_of(b)),
            _ => String::new(),
        };
        let _ = writeln!(
            o,
            "History: {} runs in {} clusters{span}; {gone} gone from disk and kept here.",
            self.runs.len(),
            self.clusters.len(),
        );
        let _ = writeln!(
            o,
            "Store: {store}{}",
            last.map(|l| format!(" (last {} {})", l.kind, format_iso(l.at)))
                .unwrap_or_default()
        );
        if self.runs.is_empty() {
            let _ = writeln!(
                o,
                "\nNothing captured yet: `triage hook install` captures after every Claude Code turn; `triage capture [PATH]` captures now."
            );
            return o;
        }
        for c in &self.clusters {
            let days = self.per_day(c);
            let _ = writeln!(
                o,
                "\n{:<8} {}  {}",
                c.severity.as_str().to_uppercase(),
                c.id,
                c.title.trim()
            );
            let _ = writeln!(
                o,
                "         {} across {} · first {} · last {}{}",
                plural(c.count, "run", "runs"),
                plural(days.len() as u64, "day", "days"),
                c.first_seen
                    .map(format_iso)
                    .unwrap_or_else(|| "unknown".into()),
                c.last_seen
                    .map(format_iso)
                    .unwrap_or_else(|| "unknown".into()),
                match self.gone(c) {
                    0 => String::new(),
                    n => format!(" · {n} gone from disk"),
                }
            );
            // An unclassified cluster: what its runs' error lines share and what varied.
            o.push_str(&crate::report::human::template_list(c, "         "));
            let per: Vec<String> = days.iter().map(|(d, n)| format!("{d} {n}")).collect();
            let _ = writeln!(o, "         per day: {}", per.join(" · "));
            let list = |v: &[String]| {
                if v.is_empty() {
                    "unknown".to_string()
                } else {
                    v.join(", ")
                }
            };
            let _ = writeln!(
                o,
                "         plugin {} · cli {} · platform {}",
                list(&c.plugin_versions),
                list(&c.cli_versions),
                list(&c.platforms)
            );
            for r in self.regressions.get(&c.id).into_iter().flatten() {
                let _ = writeln!(o, "         REGRESSION: {}", describe(r));
            }
            if let Some(f) = &c.fix {
                let first = f.lines().next().unwrap_or("").trim();
                let _ = writeln!(o, "         fix: {first}");
            }
            if verbose_runs {
                for &i in &self.members[&c.id] {
                    let (s, r) = (&self.stored[i], &self.runs[i]);
                    let states: Vec<String> = s
                        .transitions
                        .iter()
                        .map(|(at, st, oc)| {
                            format!("{} {}", st.as_deref().unwrap_or(oc), format_iso(*at))
                        })
                        .collect();
                    let _ = writeln!(
                        o,
                        "           {}  {}  {}  [{}]",
                        r.id,
                        r.outcome.as_str(),
                        r.created_at.map(format_iso).unwrap_or_default(),
                        states.join(" → ")
                    );
                    let _ = writeln!(o, "             in {}", s.state_dir);
                }
            }
        }
        o
    }

    /// The Markdown issue body: the scan's per-cluster body, each led by its history.
    pub fn markdown(&self, rules: &RuleSet) -> String {
        let mut o = String::new();
        let days: BTreeSet<String> = self
            .stored
            .iter()
            .zip(&self.runs)
            .map(|(s, r)| day_of(when(s, r)))
            .collect();
        if self.clusters.is_empty() {
            let _ = writeln!(
                o,
                "# triage history\n\nNo failure signature and no failed or stalled run in {} captured runs.",
                self.runs.len()
            );
            return o;
        }
        let _ = writeln!(
            o,
            "# triage history: {} in {} over {}\n",
            plural(self.clusters.len() as u64, "issue", "issues"),
            plural(self.runs.len() as u64, "captured run", "captured runs"),
            plural(days.len() as u64, "day", "days"),
        );
        if self.clusters.len() > 1 {
            for c in &self.clusters {
                let _ = writeln!(o, "- {} ({} runs, `{}`)", c.title.trim(), c.count, c.id);
            }
            o.push('\n');
        }
        for c in &self.clusters {
            let idx = &self.members[&c.id];
            let runs: Vec<&Run> = idx.iter().map(|&i| &self.runs[i]).collect();
            let per = self.per_day(c);
            let gone = self.gone(c);
            let sessions: BTreeSet<&str> = idx
                .iter()
                .filter_map(|&i| self.stored[i].data.session_id.as_deref())
                .collect();
            let body = adapter::markdown_cluster(c, &runs, rules);
            // The history goes right under the cluster's heading and identity line.
            let mut parts = body.splitn(3, "\n\n");
            let heading = parts.next().unwrap_or("");
            let ident = parts.next().unwrap_or("");
            let rest = parts.next().unwrap_or("");
            let _ = writeln!(o, "{heading}\n\n{ident}\n");
            let what = if c.signature.is_some() {
                "all with this signature"
            } else {
                "all ending at the same line"
            };
            let _ = write!(
                o,
                "**History:** {} across {}{} ({} to {}), {what}.",
                plural(c.count, "run", "runs"),
                plural(per.len() as u64, "day", "days"),
                match sessions.len() {
                    0 | 1 => String::new(),
                    n => format!(" and {n} sessions"),
                },
                per.keys()
                    .next()
                    .cloned()
                    .unwrap_or_else(|| "unknown".into()),
                per.keys()
                    .next_back()
                    .cloned()
                    .unwrap_or_else(|| "unknown".into()),
            );
            if gone > 0 {
                let _ = write!(
                    o,
                    " {} deleted by the plugin since; triage's history kept {}.",
                    if gone == 1 {
                        "One was".to_string()
                    } else {
                        format!("{gone} were")
                    },
                    if gone == 1 { "it" } else { "them" }
                );
            }
            o.push_str("\n\n");
            let _ = writeln!(o, "| day | runs |\n|---|---:|");
            for (d, n) in &per {
                let _ = writeln!(o, "| {d} | {n} |");
            }
            o.push('\n');
            let regs = self.regressions.get(&c.id).cloned().unwrap_or_default();
            if !regs.is_empty() {
                let _ = writeln!(o, "**Regressions:**\n");
                for r in &regs {
                    let _ = writeln!(o, "- {}", describe(r));
                }
                o.push('\n');
            }
            o.push_str(rest);
            o.push_str("\n---\n\n");
        }
        let _ = writeln!(
            o,
            "<sub>Generated by triage {} from its history store (rules {}).</sub>",
            env!("CARGO_PKG_VERSION"),
            rules.hash
        );
        o
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

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
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

fn version_of<'a>(r: &'a Run, component: &str) -> Option<&'a str> {
    match component {
        "plugin" => r.plugin_version.as_deref(),
        _ => r.cli_version.as_deref(),
    }
}

/// Regressions of one cluster along one component's versions, over every run in time order.
fn regressions(
    h: &History,
    order: &[usize],
    members: &BTreeSet<usize>,
    component: &'static str,
) -> Vec<Regression> {
    let mut out = Vec::new();
    let timeline: Vec<(usize, &str)> = order
        .iter()
        .filter_map(|&i| version_of(&h.runs[i], component).map(|v| (i, v)))
        .collect();
    let at = |i: usize| Some(when(&h.stored[i], &h.runs[i]));

    // First seen after an upgrade: the cluster's first run overall has a version, and runs
    // before it used older versions.
    if let Some(&first) = order.iter().find(|i| members.contains(i))
        && let Some(pos) = timeline.iter().position(|(i, _)| *i == first)
    {
        let v = timeline[pos].1;
        let older: Vec<&str> = timeline[..pos]
            .iter()
            .map(|(_, w)| *w)
            .filter(|w| version_key(w) < version_key(v))
            .collect();
        if !older.is_empty() {
            let prev = older
                .iter()
                .max_by_key(|w| version_key(w))
                .map(|s| s.to_string());
            out.push(Regression {
                kind: "new-after-upgrade",
                component,
                version: v.to_string(),
                previous_version: prev,
                absent_on: None,
                runs_without: older.len() as u64,
                at: at(first),
                run: h.runs[first].id.clone(),
            });
        }
    }

    // Seen again after a version change had made it disappear.
    let mut last_with: Option<&str> = None;
    let mut absent: Option<(&str, u64)> = None;
    for &(i, v) in &timeline {
        if members.contains(&i) {
            if let Some((on, n)) = absent.take() {
                out.push(Regression {
                    kind: "reappeared",
                    component,
                    version: v.to_string(),
                    previous_version: last_with.map(str::to_string),
                    absent_on: Some(on.to_string()),
                    runs_without: n,
                    at: at(i),
                    run: h.runs[i].id.clone(),
                });
            }
            last_with = Some(v);
        } else if let Some(a) = last_with
            && a != v
        {
            absent = Some(match absent {
                None => (v, 1),
                Some((on, n)) => (on, n + 1),
            });
        }
    }
    out
}

/// The run of one NDJSON line: lines typed `cluster`, `warning` or `summary` (what
/// `--format ndjson` writes beside the runs) carry no run; a `run` line loses its `type`;
/// untyped lines (older exports) are runs.
fn ndjson_run(v: serde_json::Value) -> Option<serde_json::Value> {
    let serde_json::Value::Object(mut m) = v else {
        return Some(v);
    };
    match m.remove("type") {
        None => Some(serde_json::Value::Object(m)),
        Some(t) if t == "run" => Some(serde_json::Value::Object(m)),
        Some(_) => None,
    }
}

/// Turns the runs of an export document (a `scan`/`export`/`history` JSON document, or NDJSON
/// with one run per line) into runs for the store, with their first/last seen and gone times.
pub fn runs_of_export(
    text: &str,
    rules: &RuleSet,
    fallback_seen: Millis,
) -> anyhow::Result<Vec<super::store::Imported>> {
    let trimmed = text.trim_start();
    let (runs, severities, generated): (
        Vec<serde_json::Value>,
        HashMap<String, String>,
        Option<Millis>,
    ) = match serde_json::from_str::<serde_json::Value>(trimmed) {
        Ok(serde_json::Value::Object(doc)) if doc.contains_key("runs") => {
            if let Some(v) = doc.get("schema_version").and_then(|v| v.as_i64())
                && v != i64::from(crate::report::json::SCHEMA_VERSION)
            {
                anyhow::bail!(
                    "schema_version {v} is not one this triage reads ({})",
                    crate::report::json::SCHEMA_VERSION
                );
            }
            let mut sev = HashMap::new();
            for c in doc
                .get("clusters")
                .and_then(|c| c.as_array())
                .into_iter()
                .flatten()
            {
                if let (Some(id), Some(s)) = (
                    c.get("signature").and_then(|s| s.as_str()),
                    c.get("severity").and_then(|s| s.as_str()),
                ) {
                    sev.insert(id.to_string(), s.to_string());
                }
            }
            let generated = doc
                .get("generated_at")
                .and_then(|g| g.as_str())
                .and_then(crate::timefmt::parse_timestamp);
            let runs = doc
                .get("runs")
                .and_then(|r| r.as_array())
                .cloned()
                .unwrap_or_default();
            (runs, sev, generated)
        }
        Ok(serde_json::Value::Object(one)) => (
            ndjson_run(serde_json::Value::Object(one))
                .into_iter()
                .collect(),
            HashMap::new(),
            None,
        ),
        _ => {
            let mut runs = Vec::new();
            for (n, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let v: serde_json::Value = serde_json::from_str(line).map_err(|e| {
                    anyhow::anyhow!(
                        "line {}: neither an export document nor NDJSON runs ({e})",
                        n + 1
                    )
                })?;
                if let Some(run) = ndjson_run(v) {
                    runs.push(run);
                }
            }
            (runs, HashMap::new(), None)
        }
    };
    let seen = generated.unwrap_or(fallback_seen);
    let mut out = Vec::new();
    for (n, v) in runs.into_iter().enumerate() {
        let data: adapter::RunData =
            serde_json::from_value(v.clone()).map_err(|e| anyhow::anyhow!("run {}: {e}", n + 1))?;
        if data.id.is_empty() {
            anyhow::bail!("run {}: no id", n + 1);
        }
        let sigs: Vec<String> = v
            .get("signatures")
            .and_then(|s| s.as_array())
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect();
        let evidence: Vec<(String, adapter::LineData)> = v
            .get("evidence")
            .and_then(|s| s.as_array())
            .into_iter()
            .flatten()
            .filter_map(|e| {
                let sig = e.get("signature")?.as_str()?.to_string();
                let l: adapter::LineData = serde_json::from_value(e.clone()).ok()?;
                Some((sig, l))
            })
            .collect();
        let findings = sigs
            .iter()
            .map(|s| adapter::FindingData {
                signature: s.clone(),
                severity: severities
                    .get(s)
                    .cloned()
                    .or_else(|| adapter::rule_severity(rules, s))
                    .unwrap_or_else(|| "medium".into()),
                evidence: evidence
                    .iter()
                    .filter(|(sig, _)| sig == s)
                    .map(|(_, l)| l.clone())
                    .collect(),
            })
            .collect();
        let t = |k: &str| {
            v.get(k)
                .and_then(|x| x.as_str())
                .and_then(crate::timefmt::parse_timestamp)
        };
        let first = t("first_seen").unwrap_or(seen);
        let last = t("last_seen").unwrap_or(seen).max(first);
        out.push((Captured { data, findings }, first, last, t("gone_at")));
    }
    Ok(out)
}
