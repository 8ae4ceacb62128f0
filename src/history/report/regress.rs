//! Regressions: a signature seen again after a version change had made it disappear, or first
//! seen after an upgrade.

use super::{History, Regression, version_key, when};
use crate::run::Run;
use std::collections::BTreeSet;

fn version_of<'a>(r: &'a Run, component: &str) -> Option<&'a str> {
    match component {
        "plugin" => r.plugin_version.as_deref(),
        _ => r.cli_version.as_deref(),
    }
}

/// Regressions of one cluster along one component's versions, over every run in time order.
pub(super) fn regressions(
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
