//! Picking one run out of a scan by what a user types: a job id or a unique prefix of one,
//! `WORKSPACE/ID` (the same job id can exist in several workspaces and copied trees), or the
//! path of the job's `.json` or `.log` file. When more than one run fits, the candidates are
//! returned with what tells them apart (workspace and file), never a guess.

use crate::cluster::Cluster;
use crate::run::Run;
use std::collections::HashMap;
use std::path::Path;

/// Why no single run was picked.
#[derive(Debug)]
pub enum NoSingleRun<'a> {
    /// Nothing fits the selector.
    None,
    /// Several runs fit; each is listed with its workspace and file.
    Ambiguous(Vec<&'a Run>),
}

/// `workspace/id` as shown in every output that names a run among several trees.
pub fn qualified(r: &Run) -> String {
    format!("{}/{}", r.workspace.slug, r.id)
}

/// What names a run apart from others: its id, workspace slug and hash, and file.
#[derive(Debug, Clone, Copy)]
pub struct NameKey<'a> {
    /// Job id.
    pub id: &'a str,
    /// Workspace slug.
    pub slug: &'a str,
    /// Workspace hash (the state directory's suffix), when known.
    pub hash: Option<&'a str>,
    /// The run's record or log file.
    pub file: Option<&'a str>,
}

impl<'a> NameKey<'a> {
    /// The key of `r`.
    pub fn of(r: &'a Run) -> NameKey<'a> {
        NameKey {
            id: &r.id,
            slug: &r.workspace.slug,
            hash: r.workspace.hash.as_deref(),
            file: file_of(r),
        }
    }
}

/// The shortest name that tells each of `runs` apart from the others, in their order: the bare
/// id where it is unique, else `workspace/id`, else `slug-hash/id` (two checkouts with the
/// same folder name), else the run's file. Each of the first three is a selector `explain`
/// accepts; the file is too.
pub fn names(runs: &[&Run]) -> Vec<String> {
    let keys: Vec<NameKey> = runs.iter().map(|r| NameKey::of(r)).collect();
    names_of(&keys)
}

/// [`names`] over the keys of runs that are no longer held whole (a cluster's members).
pub fn names_of(keys: &[NameKey]) -> Vec<String> {
    let qualified = |k: &NameKey| format!("{}/{}", k.slug, k.id);
    let with_dir = |k: &NameKey| match k.hash {
        Some(h) => format!("{}-{h}/{}", k.slug, k.id),
        None => qualified(k),
    };
    let mut out: Vec<String> = keys.iter().map(|k| k.id.to_string()).collect();
    let steps: [&dyn Fn(&NameKey) -> String; 3] = [&qualified, &with_dir, &|k: &NameKey| {
        k.file.map_or_else(|| with_dir(k), str::to_string)
    }];
    for step in steps {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for n in &out {
            *seen.entry(n.as_str()).or_default() += 1;
        }
        let repeated: Vec<bool> = out.iter().map(|n| seen[n.as_str()] > 1).collect();
        if !repeated.contains(&true) {
            break;
        }
        for (i, k) in keys.iter().enumerate() {
            if repeated[i] {
                out[i] = step(k);
            }
        }
    }
    out
}

/// The runs a cluster lists, in its order, found among `runs` (a cluster names its runs by
/// id, and the same id can be several runs: each listed id takes the next run with that id
/// that belongs to the cluster).
pub fn members<'a>(runs: &'a [Run], c: &Cluster) -> Vec<&'a Run> {
    let mut by_id: HashMap<&str, Vec<&'a Run>> = HashMap::new();
    for r in runs.iter().rev() {
        if fits(r, c) {
            by_id.entry(r.id.as_str()).or_default().push(r);
        }
    }
    c.runs
        .iter()
        .filter_map(|id| by_id.get_mut(id.as_str()).and_then(Vec::pop))
        .collect()
}

/// Whether `r` can be one of `c`'s runs: a signature cluster's runs carry its signature, an
/// unclassified cluster's runs carry none (a cluster names runs by id, and the same id can
/// also be a healthy run in another workspace).
pub fn fits(r: &Run, c: &Cluster) -> bool {
    match &c.signature {
        Some(s) => r.findings.iter().any(|f| &f.signature == s),
        None => r.findings.is_empty(),
    }
}

/// Whether `r` is listed by `c`: by id and by [`fits`].
pub fn listed(r: &Run, c: &Cluster) -> bool {
    fits(r, c) && c.runs.contains(&r.id)
}

/// The file that identifies `r` on disk: its record, else its log.
pub fn file_of(r: &Run) -> Option<&str> {
    r.sources.record.as_deref().or(r.sources.log.as_deref())
}

/// The run `selector` names among `runs`.
pub fn pick<'a>(runs: &'a [Run], selector: &str) -> Result<&'a Run, NoSingleRun<'a>> {
    let found = if let Some(by_path) = by_file(runs, selector) {
        by_path
    } else if let Some((ws, id)) = selector.rsplit_once('/') {
        narrow(runs.iter().filter(|r| workspace_fits(r, ws)).collect(), id)
    } else {
        narrow(runs.iter().collect(), selector)
    };
    match found.as_slice() {
        [r] => Ok(*r),
        [] => Err(NoSingleRun::None),
        _ => Err(NoSingleRun::Ambiguous(found)),
    }
}

/// Exact id matches win over prefixes, so `task-abc` is not ambiguous with `task-abcd…`.
fn narrow<'a>(candidates: Vec<&'a Run>, id: &str) -> Vec<&'a Run> {
    if id.is_empty() {
        return Vec::new();
    }
    let exact: Vec<&Run> = candidates.iter().copied().filter(|r| r.id == id).collect();
    if exact.is_empty() {
        candidates
            .into_iter()
            .filter(|r| r.id.starts_with(id))
            .collect()
    } else {
        exact
    }
}

/// A workspace part fits the slug, the state directory name (`slug-hash`) or a hash prefix.
fn workspace_fits(r: &Run, ws: &str) -> bool {
    let w = &r.workspace;
    w.slug == ws
        || w.hash.as_deref().is_some_and(|h| {
            (ws.len() >= 4 && h.starts_with(ws)) || format!("{}-{h}", w.slug) == ws
        })
}

/// When `selector` is an existing file: the runs read from it.
fn by_file<'a>(runs: &'a [Run], selector: &str) -> Option<Vec<&'a Run>> {
    let p = Path::new(selector);
    if !p.is_file() {
        return None;
    }
    let want = p.canonicalize().ok()?;
    let same = |f: Option<&str>| {
        f.and_then(|f| Path::new(f).canonicalize().ok())
            .is_some_and(|c| c == want)
    };
    Some(
        runs.iter()
            .filter(|r| same(r.sources.record.as_deref()) || same(r.sources.log.as_deref()))
            .collect(),
    )
}
