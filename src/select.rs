//! Picking one run out of a scan by what a user types: a job id or a unique prefix of one,
//! `WORKSPACE/ID` (the same job id can exist in several workspaces and copied trees), or the
//! path of the job's `.json` or `.log` file. When more than one run fits, the candidates are
//! returned with what tells them apart (workspace and file), never a guess.

use crate::run::Run;
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
