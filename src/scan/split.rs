//! Which workspaces are split between a plugin-data root and a tmp-fallback root: decided
//! from what discovery found, before any run is read, so each run is classified once.

use crate::discover::StateDir;
use crate::read;
use crate::vocab::StateRoot;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Workspace hashes with records under both a plugin-data root and a tmp-fallback root of
/// the same machine: either the same data tree (both folders side by side) or different
/// scan roots (the default roots, or several paths given). One given folder holding many
/// unpacked trees is many machines, so its trees are not paired with each other. Decided
/// from what discovery found (directories holding jobs), before any run is read.
pub(super) fn split_workspaces(dirs: &[StateDir]) -> HashSet<String> {
    type Origins<'a> = Vec<(usize, &'a Path)>;
    let mut by_hash: HashMap<String, (Origins, Origins)> = HashMap::new();
    for d in dirs {
        if !d.has_jobs() && d.index.is_none() {
            continue;
        }
        let Some(hash) = read::dir_workspace(d).hash else {
            continue;
        };
        // The data tree: the folder holding `state/` or `codex-companion/`.
        let origin = (
            d.scan_root,
            d.path
                .parent()
                .and_then(Path::parent)
                .unwrap_or(Path::new("")),
        );
        let e = by_hash.entry(hash).or_default();
        match d.root_kind {
            StateRoot::PluginData => e.0.push(origin),
            StateRoot::TmpFallback => e.1.push(origin),
            _ => {}
        }
    }
    by_hash
        .into_iter()
        .filter(|(_, (data, tmp))| {
            data.iter()
                .any(|a| tmp.iter().any(|b| a.1 == b.1 || a.0 != b.0))
        })
        .map(|(h, _)| h)
        .collect()
}
