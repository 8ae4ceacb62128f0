//! Finding job records: the default roots (docs/format.md §9) and any user-given path, from a
//! `CLAUDE_PLUGIN_DATA` root down to one `.json` or `.log`.
//!
//! Discovery only lists files. It reads nothing but directory entries, follows no symbolic
//! link and touches only regular files, so a FIFO or a link loop cannot block or trap it.

use crate::vocab::StateRoot;
use crate::warn::Warning;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use walkdir::WalkDir;

/// The files of one job, as found on disk, **relative to their [`StateDir::path`]** (join
/// them with [`StateDir::file`]): a large tree lists tens of thousands of jobs before the
/// first is read, and the state directory's part of each path would be most of that memory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobFiles {
    /// `jobs/<id>.json` (or the JSON beside a per-run `turn.log`).
    pub record: Option<PathBuf>,
    /// `jobs/<id>.log` or `turn.log`.
    pub log: Option<PathBuf>,
}

/// `file` relative to `dir` when it lies under it (else whole): `dir.join` of the result is
/// `file` again, byte for byte.
fn relative(dir: &Path, file: &Path) -> PathBuf {
    file.strip_prefix(dir)
        .ok()
        .filter(|r| !r.as_os_str().is_empty())
        .map_or_else(|| file.to_path_buf(), Path::to_path_buf)
}

impl StateDir {
    /// The path of one of its jobs' files ([`JobFiles`] holds them relative to the directory).
    pub fn file(&self, rel: &Path) -> PathBuf {
        self.path.join(rel)
    }
}

/// One workspace state directory and the job files in it.
#[derive(Debug, Clone)]
pub struct StateDir {
    /// The directory itself.
    pub path: PathBuf,
    /// Layout it was found in.
    pub root_kind: StateRoot,
    /// `state.json`, when present.
    pub index: Option<PathBuf>,
    /// `broker.json`, when present.
    pub broker: Option<PathBuf>,
    /// Job files by job id. Empty until [`StateDir::list_jobs`] fills it when the walk
    /// left the `jobs/` folder to be listed later ([`StateDir::has_jobs`]): a scan lists
    /// one directory's jobs when a worker takes it, so only the directories in flight hold
    /// their job lists.
    pub jobs: BTreeMap<String, JobFiles>,
    /// The walk saw job files in `jobs/` and left them to [`StateDir::list_jobs`].
    pub jobs_pending: bool,
    /// Only these ids were asked for (a single file was given): other index entries are
    /// not runs of this scan.
    pub only: Option<Vec<String>>,
    /// Index of the scan root it was found under (runs from different roots may come from
    /// the same machine; runs from one root holding many trees may not).
    pub scan_root: usize,
}

/// What discovery found.
#[derive(Debug, Default)]
pub struct Discovery {
    /// The roots that were scanned (existing paths).
    pub roots: Vec<PathBuf>,
    /// State directories, sorted by path.
    pub state_dirs: Vec<StateDir>,
    /// Problems met on the way.
    pub warnings: Vec<Warning>,
}

/// The default roots (docs/format.md §9), in order, whether or not they exist.
pub fn default_roots() -> Vec<PathBuf> {
    let mut roots = Vec::new();
    if let Some(d) = std::env::var_os("CLAUDE_PLUGIN_DATA").filter(|v| !v.is_empty()) {
        roots.push(PathBuf::from(d).join("state"));
    }
    let home = std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    if let Some(home) = &home {
        let data = home.join(".claude").join("plugins").join("data");
        if let Ok(rd) = std::fs::read_dir(&data) {
            let mut found: Vec<PathBuf> = rd
                .filter_map(|e| e.ok())
                .map(|e| e.path().join("state"))
                .collect();
            found.sort();
            roots.extend(found);
        } else {
            roots.push(data.join("*").join("state"));
        }
    }
    for var in ["TMPDIR", "TEMP", "TMP"] {
        if let Some(t) = std::env::var_os(var).filter(|v| !v.is_empty()) {
            roots.push(PathBuf::from(t).join("codex-companion"));
        }
    }
    roots.push(std::env::temp_dir().join("codex-companion"));
    roots.push(PathBuf::from("/tmp/codex-companion"));
    if let Some(home) = &home {
        roots.push(home.join(".claude").join("plugins").join("cache"));
    }
    let mut seen = std::collections::HashSet::new();
    roots.retain(|r| seen.insert(r.clone()));
    roots
}

fn is_job_file_name(name: &str) -> Option<(&str, bool)> {
    if let Some(id) = name.strip_suffix(".json") {
        return (!id.is_empty()).then_some((id, true));
    }
    if let Some(id) = name.strip_suffix(".log") {
        return (!id.is_empty()).then_some((id, false));
    }
    None
}

fn root_kind_of(state_dir: &Path) -> StateRoot {
    match state_dir
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
    {
        Some("state") => StateRoot::PluginData,
        Some("codex-companion") => StateRoot::TmpFallback,
        _ => StateRoot::Other,
    }
}

/// Collects state directories while walking.
#[derive(Default)]
struct Collector {
    dirs: BTreeMap<PathBuf, StateDir>,
    scan_root: usize,
}

impl Collector {
    fn dir(&mut self, path: &Path, kind: StateRoot) -> &mut StateDir {
        self.dirs
            .entry(path.to_path_buf())
            .or_insert_with(|| StateDir {
                path: path.to_path_buf(),
                root_kind: kind,
                index: None,
                broker: None,
                jobs: BTreeMap::new(),
                jobs_pending: false,
                only: None,
                scan_root: self.scan_root,
            })
    }

    /// A file directly in `<state>/jobs/`, met by the walk (which sees all of `jobs/`): only
    /// noted, listed again by [`StateDir::list_jobs`].
    fn note_job_file(&mut self, file: &Path) {
        let Some(state) = file.parent().and_then(Path::parent) else {
            return;
        };
        let Some(name) = file.file_name().and_then(|n| n.to_str()) else {
            return;
        };
        if is_job_file_name(name).is_none() {
            return;
        }
        let kind = root_kind_of(state);
        self.dir(state, kind).jobs_pending = true;
    }

    /// Files directly in `<state>/jobs/`.
    fn add_job_file(&mut self, file: &Path) {
        let Some(jobs_dir) = file.parent() else {
            return;
        };
        let Some(state) = jobs_dir.parent() else {
            return;
        };
        let Some(name) = file.file_name().and_then(|n| n.to_str()) else {
            return;
        };
        let Some((id, is_json)) = is_job_file_name(name) else {
            return;
        };
        let id = id.to_string();
        let kind = root_kind_of(state);
        let rel = relative(state, file);
        let entry = self.dir(state, kind).jobs.entry(id).or_default();
        if is_json {
            entry.record = Some(rel);
        } else {
            entry.log = Some(rel);
        }
    }

    /// `…/jobs/<run-id>/turn.log` and a JSON beside it.
    fn add_per_run(&mut self, run_dir: &Path, log: Option<&Path>, record: Option<&Path>) {
        let Some(jobs_dir) = run_dir.parent() else {
            return;
        };
        let Some(base) = jobs_dir.parent() else {
            return;
        };
        let Some(id) = run_dir.file_name().and_then(|n| n.to_str()) else {
            return;
        };
        let entry = self
            .dir(base, StateRoot::PerRun)
            .jobs
            .entry(id.to_string())
            .or_default();
        if let Some(l) = log {
            entry.log = Some(relative(base, l));
        }
        if let Some(r) = record {
            entry.record = Some(relative(base, r));
        }
    }
}

fn file_name(p: &Path) -> Option<&str> {
    p.file_name().and_then(|n| n.to_str())
}

fn parent_name(p: &Path) -> Option<&str> {
    p.parent().and_then(file_name)
}

/// Whether a directory looks like a per-run folder (`jobs/<run>/turn.log`).
fn per_run_record(run_dir: &Path) -> Option<PathBuf> {
    let rd = std::fs::read_dir(run_dir).ok()?;
    let mut jsons: Vec<PathBuf> = rd
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    jsons.sort();
    jsons.into_iter().next()
}

/// Finds every state directory under `paths` (or the default roots when `paths` is empty,
/// where missing roots are skipped silently), leaving the job files of `jobs/` folders the
/// walk saw whole to [`StateDir::list_jobs`]: a large tree lists tens of thousands of jobs,
/// and holding them all from the start would make memory grow with the corpus.
pub fn discover_lazily(paths: &[PathBuf]) -> Discovery {
    let mut out = Discovery::default();
    let mut col = Collector::default();
    let defaults = paths.is_empty();
    let roots: Vec<PathBuf> = if defaults {
        default_roots()
    } else {
        paths.to_vec()
    };
    for (root_index, root) in roots.into_iter().enumerate() {
        col.scan_root = root_index;
        let meta = match std::fs::symlink_metadata(&root) {
            Ok(m) => m,
            Err(e) => {
                if !defaults {
                    out.warnings
                        .push(Warning::new(&root, format!("cannot read: {e}")));
                }
                continue;
            }
        };
        // A root the user names may itself be a symlink (e.g. ~/.claude → elsewhere): follow
        // that one hop, but never links met while walking.
        let meta = if meta.file_type().is_symlink() {
            match std::fs::metadata(&root) {
                Ok(m) => m,
                Err(e) => {
                    out.warnings
                        .push(Warning::new(&root, format!("broken symbolic link: {e}")));
                    continue;
                }
            }
        } else {
            meta
        };
        if meta.is_file() {
            out.roots.push(root.clone());
            add_single_file(&mut col, &root, &mut out.warnings);
            continue;
        }
        if !meta.is_dir() {
            out.warnings.push(Warning::new(
                &root,
                "not a regular file or directory; skipped",
            ));
            continue;
        }
        out.roots.push(root.clone());
        walk(&mut col, &root, &mut out.warnings);
    }
    out.state_dirs = col
        .dirs
        .into_values()
        .filter(|d| d.has_jobs() || d.index.is_some())
        .collect();
    out
}

/// Like [`discover_lazily`], with every directory's jobs listed (for callers that want them
/// all at once).
pub fn discover(paths: &[PathBuf]) -> Discovery {
    let mut out = discover_lazily(paths);
    for d in &mut out.state_dirs {
        d.list_jobs();
    }
    out
}

impl StateDir {
    /// Whether it holds jobs, listed or still to be listed.
    pub fn has_jobs(&self) -> bool {
        self.jobs_pending || !self.jobs.is_empty()
    }

    /// Lists the `jobs/` folder the walk left pending, exactly as the walk would have: the
    /// regular files directly in it whose names are job file names, and per-run folders
    /// (`jobs/<run>/turn.log`), in file-name order. Problems with entries were already
    /// warned about by the walk; here they are only skipped. A no-op when nothing is pending.
    pub fn list_jobs(&mut self) {
        if !std::mem::take(&mut self.jobs_pending) {
            return;
        }
        // Pending only when the walk listed this very folder (a link only when it was a root).
        let jobs_dir = self.path.join("jobs");
        let Ok(rd) = std::fs::read_dir(&jobs_dir) else {
            return;
        };
        let mut entries: Vec<std::fs::DirEntry> = rd.filter_map(|e| e.ok()).collect();
        entries.sort_by_key(|e| e.file_name());
        let mut col = Collector::default();
        for e in entries {
            let Ok(ft) = e.file_type() else { continue };
            let path = e.path();
            if ft.is_file() {
                match file_name(&path) {
                    None | Some("state.json" | "broker.json" | "turn.log") => {}
                    Some(_) => col.add_job_file(&path),
                }
            } else if ft.is_dir()
                && !matches!(file_name(&path), Some(".git" | "node_modules" | "target"))
            {
                let log = path.join("turn.log");
                if is_regular(&log) {
                    let rec = per_run_record(&path);
                    col.add_per_run(&path, Some(&log), rec.as_deref());
                }
            }
        }
        // Everything went to this directory (the collector keys it by the same path).
        for (_, d) in col.dirs {
            for (id, files) in d.jobs {
                let entry = self.jobs.entry(id).or_default();
                if files.record.is_some() {
                    entry.record = files.record;
                }
                if files.log.is_some() {
                    entry.log = files.log;
                }
            }
        }
    }
}

/// A regular file, not reached through a symbolic link (siblings of a named file are not
/// followed out of their folder).
fn is_regular(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file())
}

fn add_single_file(col: &mut Collector, file: &Path, warnings: &mut Vec<Warning>) {
    let name = file_name(file).unwrap_or("");
    if name == "state.json" {
        let state = file.parent().unwrap_or(Path::new("."));
        // An index alone: its entries are the runs (plus the job files beside it).
        let kind = root_kind_of(state);
        col.dir(state, kind).index = Some(file.to_path_buf());
        if let Ok(rd) = std::fs::read_dir(state.join("jobs")) {
            for e in rd.filter_map(|e| e.ok()) {
                if e.file_type().map(|t| t.is_file()).unwrap_or(false) {
                    col.add_job_file(&e.path());
                }
            }
        }
        return;
    }
    if name == "turn.log" {
        let run_dir = file.parent().unwrap_or(Path::new("."));
        let rec = per_run_record(run_dir);
        col.add_per_run(run_dir, Some(file), rec.as_deref());
        return;
    }
    let Some((id, is_json)) = is_job_file_name(name) else {
        warnings.push(Warning::new(
            file,
            "not a job record (.json) or job log (.log); skipped",
        ));
        return;
    };
    if is_json && let Some(why) = not_a_job_record(file, name) {
        warnings.push(Warning::new(file, format!("{why}; skipped")));
        return;
    }
    if parent_name(file) == Some("jobs") {
        col.add_job_file(file);
        let sibling = file.with_extension(if is_json { "log" } else { "json" });
        if is_regular(&sibling) {
            col.add_job_file(&sibling);
        }
        let state = file
            .parent()
            .and_then(|p| p.parent())
            .unwrap_or(Path::new("."));
        let kind = root_kind_of(state);
        let dir = col.dir(state, kind);
        let idx = state.join("state.json");
        if is_regular(&idx) {
            dir.index = Some(idx);
        }
        dir.only.get_or_insert_with(Vec::new).push(id.to_string());
    } else {
        // A job file copied out on its own: a state dir of one.
        let dir_path = file.parent().unwrap_or(Path::new("."));
        let dir = col.dir(dir_path, StateRoot::Other);
        let entry = dir.jobs.entry(id.to_string()).or_default();
        let rel = relative(dir_path, file);
        if is_json {
            entry.record = Some(rel);
        } else {
            entry.log = Some(rel);
        }
        let sibling = file.with_extension(if is_json { "log" } else { "json" });
        if is_regular(&sibling) {
            let rel = relative(dir_path, &sibling);
            if is_json {
                entry.log = Some(rel);
            } else {
                entry.record = Some(rel);
            }
        }
        dir.only.get_or_insert_with(Vec::new).push(id.to_string());
    }
}

/// Why a `.json` named on the command line is not a job record (a `broker.json`, a schema,
/// any other JSON object), so it is skipped instead of becoming a phantom `in-progress` run.
/// A file that does not parse is kept: the reader reports it with its line, as for any
/// damaged record.
fn not_a_job_record(file: &Path, name: &str) -> Option<String> {
    if name == "broker.json" {
        return Some("a broker file, not a job record".into());
    }
    // Above this size the record reader's own limits apply; do not read it twice.
    const SNIFF_LIMIT: u64 = 16 << 20;
    if std::fs::metadata(file).is_ok_and(|m| m.len() > SNIFF_LIMIT) {
        return None;
    }
    let bytes = std::fs::read(file).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let Some(obj) = value.as_object() else {
        return Some("not a job record (its JSON is not an object)".into());
    };
    // The fields every job record the plugin writes carries (../shared docs/plugin-format.md
    // §jobs): a schema or configuration file has none of them at its top level.
    const JOB_FIELDS: [&str; 5] = ["status", "phase", "jobClass", "logFile", "kindLabel"];
    let stem = name.strip_suffix(".json").unwrap_or(name);
    let id_matches = obj.get("id").and_then(|v| v.as_str()) == Some(stem);
    if id_matches || JOB_FIELDS.iter().any(|k| obj.contains_key(*k)) {
        None
    } else {
        Some("not a job record (no id, status or phase field)".into())
    }
}

fn walk(col: &mut Collector, root: &Path, warnings: &mut Vec<Warning>) {
    let it = WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            // Job records never live in these; skipping them keeps a scan of a home
            // directory quick.
            !(e.file_type().is_dir()
                && e.depth() > 0
                && matches!(
                    file_name(e.path()),
                    Some(".git" | "node_modules" | "target")
                ))
        });
    for entry in it {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e
                    .path()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| root.to_path_buf());
                let msg = match e.io_error() {
                    Some(io) => format!("cannot read directory entry: {io}"),
                    None => format!("{e}"),
                };
                warnings.push(Warning::new(&path, msg));
                continue;
            }
        };
        let ft = entry.file_type();
        let path = entry.path();
        if ft.is_symlink() {
            if parent_name(path) == Some("jobs")
                || matches!(file_name(path), Some("jobs" | "state.json" | "broker.json"))
            {
                warnings.push(Warning::new(path, "symbolic link not followed"));
            }
            continue;
        }
        let name = file_name(path);
        let parent = parent_name(path);
        if ft.is_dir() {
            if parent == Some("jobs") && name.and_then(is_job_file_name).is_some() {
                warnings.push(Warning::new(
                    path,
                    "a directory where a job file should be; skipped",
                ));
            }
            continue;
        }
        if !ft.is_file() {
            if parent == Some("jobs") || matches!(name, Some("state.json" | "broker.json")) {
                warnings.push(Warning::new(
                    path,
                    "not a regular file (FIFO, socket or device); skipped",
                ));
            }
            continue;
        }
        match (name, parent) {
            (Some("state.json"), _) => {
                let state = path.parent().unwrap_or(root);
                let kind = root_kind_of(state);
                col.dir(state, kind).index = Some(path.to_path_buf());
            }
            (Some("broker.json"), _) => {
                let state = path.parent().unwrap_or(root);
                let kind = root_kind_of(state);
                col.dir(state, kind).broker = Some(path.to_path_buf());
            }
            (Some("turn.log"), _) => {
                let run_dir = path.parent().unwrap_or(root);
                if parent_name(run_dir) == Some("jobs") {
                    if entry.depth() >= 2 {
                        // The walk saw all of `jobs/`: listed again later.
                        if let Some(base) = run_dir.parent().and_then(Path::parent) {
                            col.dir(base, StateRoot::PerRun).jobs_pending = true;
                        }
                    } else {
                        // The root is the run folder itself: only this run.
                        let rec = per_run_record(run_dir);
                        col.add_per_run(run_dir, Some(path), rec.as_deref());
                    }
                }
            }
            (None, Some("jobs")) => {
                warnings.push(Warning::new(path, "file name is not valid UTF-8; skipped"))
            }
            (_, Some("jobs")) => col.note_job_file(path),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn touch(p: &Path, s: &str) {
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, s).unwrap();
    }

    #[test]
    fn finds_both_layouts_and_orphans() {
        let t = tempfile::tempdir().unwrap();
        let sd = t.path().join("data/state/app-0123456789abcdef");
        touch(&sd.join("state.json"), "{}");
        touch(&sd.join("jobs/task-a-1.json"), "{}");
        touch(&sd.join("jobs/task-a-1.log"), "");
        touch(&sd.join("jobs/task-b-2.log"), "");
        let tmp = t.path().join("tmp/codex-companion/app-0123456789abcdef");
        touch(&tmp.join("jobs/task-c-3.json"), "{}");
        let pr = t.path().join("cache/openai-codex/codex/1.0.4/jobs/run-7");
        touch(&pr.join("turn.log"), "");
        touch(&pr.join("job.json"), "{}");
        let d = discover(&[t.path().to_path_buf()]);
        assert!(d.warnings.is_empty(), "{:?}", d.warnings);
        let kinds: Vec<(StateRoot, usize)> = d
            .state_dirs
            .iter()
            .map(|s| (s.root_kind, s.jobs.len()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (StateRoot::PerRun, 1),
                (StateRoot::PluginData, 2),
                (StateRoot::TmpFallback, 1)
            ]
        );
        let plug = &d.state_dirs[1];
        assert!(plug.index.is_some());
        assert_eq!(plug.jobs["task-b-2"].record, None);
        assert!(d.state_dirs[0].jobs["run-7"].record.is_some());
    }

    #[test]
    fn a_single_job_file_brings_its_sibling_and_index() {
        let t = tempfile::tempdir().unwrap();
        let sd = t.path().join("state/app-0123456789abcdef");
        touch(&sd.join("state.json"), "{}");
        touch(&sd.join("jobs/task-a-1.json"), "{}");
        touch(&sd.join("jobs/task-a-1.log"), "");
        touch(&sd.join("jobs/task-b-2.json"), "{}");
        let d = discover(&[sd.join("jobs/task-a-1.log")]);
        assert_eq!(d.state_dirs.len(), 1);
        let s = &d.state_dirs[0];
        assert_eq!(s.jobs.len(), 1);
        assert!(s.jobs["task-a-1"].record.is_some());
        assert_eq!(s.only.as_deref(), Some(&["task-a-1".to_string()][..]));
        assert!(s.index.is_some());
    }

    #[test]
    fn lazy_listing_finds_what_the_walk_saw() {
        let t = tempfile::tempdir().unwrap();
        let sd = t.path().join("state/app-0123456789abcdef");
        touch(&sd.join("state.json"), "{}");
        touch(&sd.join("jobs/task-a-1.json"), "{}");
        touch(&sd.join("jobs/task-a-1.log"), "");
        touch(&sd.join("jobs/notes.txt"), "");
        touch(&sd.join("jobs/run-9/turn.log"), "");
        touch(&sd.join("jobs/run-9/job.json"), "{}");
        touch(&sd.join("jobs/target/turn.log"), "");
        let lazy = discover_lazily(&[t.path().to_path_buf()]);
        assert_eq!(lazy.state_dirs.len(), 1);
        let mut d = lazy.state_dirs[0].clone();
        assert!(d.jobs.is_empty() && d.has_jobs());
        d.list_jobs();
        assert!(!d.jobs_pending);
        let ids: Vec<&str> = d.jobs.keys().map(String::as_str).collect();
        // `target/` is skipped by the walk too; `notes.txt` is not a job file.
        assert_eq!(ids, ["run-9", "task-a-1"]);
        assert_eq!(
            d.jobs["run-9"].record,
            Some(PathBuf::from("jobs/run-9/job.json"))
        );
        assert_eq!(
            d.jobs["task-a-1"].log,
            Some(PathBuf::from("jobs/task-a-1.log"))
        );
        // A run folder given as the root: only that run, listed by the walk itself.
        let one = discover_lazily(&[sd.join("jobs/run-9")]);
        assert_eq!(one.state_dirs.len(), 1);
        assert!(!one.state_dirs[0].jobs_pending);
        assert_eq!(one.state_dirs[0].jobs.len(), 1);
    }

    #[test]
    fn missing_paths_warn() {
        let d = discover(&[PathBuf::from("/nonexistent/triage-test")]);
        assert!(d.state_dirs.is_empty());
        assert_eq!(d.warnings.len(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_not_followed() {
        let t = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        touch(
            &outside
                .path()
                .join("state/x-0123456789abcdef/jobs/task-z-9.json"),
            "{}",
        );
        fs::create_dir_all(t.path().join("state")).unwrap();
        std::os::unix::fs::symlink(
            outside.path().join("state/x-0123456789abcdef"),
            t.path().join("state/x-0123456789abcdef"),
        )
        .unwrap();
        std::os::unix::fs::symlink(t.path(), t.path().join("loop")).unwrap();
        let d = discover(&[t.path().to_path_buf()]);
        assert!(d.state_dirs.is_empty());
    }
}
