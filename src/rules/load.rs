//! Reading rule files: the embedded library and `--rules` folders (walked without following
//! links; `_`-folders hold support data), each file size-checked and UTF-8-checked, then
//! compiled by [`super::compile`]. Every unreadable or invalid file is a problem naming it.

use super::compile::{Checks, compile_files_with};
use super::{RuleProblem, RuleSet, RuleSources, builtin_files};
use std::path::Path;

/// Reads the rule files of the given sources: (display name, text). Unreadable files and
/// directories are problems.
pub fn read_sources(src: &RuleSources) -> (Vec<(String, String)>, Vec<RuleProblem>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    if src.builtin {
        for (p, t) in builtin_files() {
            files.push((format!("builtin:{p}"), t.to_string()));
        }
    }
    for dir in &src.dirs {
        collect_dir(dir, &mut files, &mut problems);
    }
    // The same folder named twice (`--rules D` and `rules test D`) is one set of files.
    let mut seen = std::collections::HashSet::new();
    files.retain(|(name, _)| seen.insert(name.clone()));
    (files, problems)
}

/// Largest rule file read (rules are a few KiB; a hostile one must not exhaust memory).
pub const MAX_RULE_FILE_BYTES: u64 = 1 << 20;

fn collect_dir(dir: &Path, files: &mut Vec<(String, String)>, problems: &mut Vec<RuleProblem>) {
    let meta = match std::fs::metadata(dir) {
        Ok(m) => m,
        Err(e) => {
            problems.push(RuleProblem {
                file: dir.display().to_string(),
                message: format!("cannot read: {e}"),
            });
            return;
        }
    };
    if meta.is_file() && meta.len() > MAX_RULE_FILE_BYTES {
        problems.push(RuleProblem {
            file: dir.display().to_string(),
            message: format!(
                "{} bytes is more than the {} KiB a rule file can be; not read",
                meta.len(),
                MAX_RULE_FILE_BYTES >> 10
            ),
        });
        return;
    }
    if meta.is_file() {
        match std::fs::read(dir) {
            Ok(b) => match String::from_utf8(b) {
                Ok(t) => files.push((dir.display().to_string(), t)),
                Err(_) => problems.push(RuleProblem {
                    file: dir.display().to_string(),
                    message: "not UTF-8 text".into(),
                }),
            },
            Err(e) => problems.push(RuleProblem {
                file: dir.display().to_string(),
                message: format!("cannot read: {e}"),
            }),
        }
        return;
    }
    if !meta.is_dir() {
        problems.push(RuleProblem {
            file: dir.display().to_string(),
            message: "not a regular file or directory (FIFO, socket or device); not read".into(),
        });
        return;
    }
    let mut paths = Vec::new();
    for e in walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        // `_vocab/` and other `_`-folders hold support data (the context vocabulary).
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('_'))
    {
        match e {
            Ok(e)
                if e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "toml") =>
            {
                paths.push(e.path().to_path_buf())
            }
            // A linked or special `.toml` (or a linked folder) would be a silently missing
            // rule: report it. `is_dir` only stats, so a FIFO cannot block here.
            Ok(e)
                if e.depth() > 0
                    && !e.file_type().is_file()
                    && !e.file_type().is_dir()
                    && (e.path().extension().is_some_and(|x| x == "toml") || e.path().is_dir()) =>
            {
                problems.push(RuleProblem {
                    file: e.path().display().to_string(),
                    message: "not a regular file (symbolic link, FIFO or device); not read".into(),
                })
            }
            Ok(_) => {}
            Err(e) => problems.push(RuleProblem {
                file: e.path().unwrap_or(dir).display().to_string(),
                message: format!("cannot read: {e}"),
            }),
        }
    }
    for p in paths {
        collect_dir(&p, files, problems);
    }
}

/// Loads and compiles rules for use (scans, `match`, capture). Any invalid file makes the
/// whole load fail (a scan must never run with silently missing rules); the error lists every
/// problem. The embedded library's regexes are compiled on first use ([`Checks`]).
pub fn load(src: &RuleSources) -> Result<RuleSet, Vec<RuleProblem>> {
    load_with(src, Checks::TrustEmbedded)
}

/// [`load`] with every regex checked, the embedded ones too (`rules validate`).
pub fn load_checked(src: &RuleSources) -> Result<RuleSet, Vec<RuleProblem>> {
    load_with(src, Checks::Full)
}

fn load_with(src: &RuleSources, checks: Checks) -> Result<RuleSet, Vec<RuleProblem>> {
    let (files, mut problems) = read_sources(src);
    match compile_files_with(&files, checks) {
        Ok(set) if problems.is_empty() => Ok(set),
        Ok(_) => Err(problems),
        Err(mut p) => {
            problems.append(&mut p);
            problems.sort();
            Err(problems)
        }
    }
}
