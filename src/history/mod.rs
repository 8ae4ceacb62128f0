//! History: runs remembered after the plugin deletes their records (docs/format.md §2, §6.2).
//!
//! [`store`] is the SQLite file; [`adapter`] is the single place that touches the scan
//! pipeline's types; [`report`] computes and renders `triage history`; [`hook`] edits Claude
//! Code's settings. This module holds the commands the CLI calls.
//!
//! Exit codes follow the CLI: 0 done, 2 a store or settings file that cannot be used (named
//! in the message, left untouched). `capture --quiet`, the hook's command, always exits 0
//! and writes its problems to the store's log file instead.

pub mod adapter;
pub mod hook;
pub mod ojson;
pub mod report;
pub mod store;

use crate::redact::Redactor;
use crate::rules::RuleSet;
use crate::timefmt::{Millis, format_iso};
use anyhow::Context;
use std::io::Write;
use std::path::{Path, PathBuf};
use store::Store;

/// Exit code: done.
const EXIT_OK: i32 = 0;
/// Exit code: usage error or unusable store/settings file.
const EXIT_USAGE: i32 = 2;

/// Largest store log before it is rotated to `<log>.1`.
const LOG_MAX_BYTES: u64 = 1 << 20;

/// The store's file: `--db`, else `TRIAGE_DB` (clap reads both), else the data directory.
pub fn db_path(db: Option<&Path>) -> anyhow::Result<PathBuf> {
    match db {
        Some(p) => Ok(p.to_path_buf()),
        None => store::default_path()
            .context("cannot tell the data directory; give --db FILE or set TRIAGE_DB"),
    }
}

/// The store's own log file, beside it: `history.db` → `history.log`.
pub fn log_path(db: &Path) -> PathBuf {
    db.with_extension("log")
}

/// Appends one line to the store's log (rotating it past 1 MiB). Never fails.
pub fn log_problem(db: &Path, message: &str) {
    let path = log_path(db);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = std::fs::create_dir_all(dir);
    }
    if std::fs::metadata(&path).is_ok_and(|m| m.len() > LOG_MAX_BYTES) {
        let _ = std::fs::rename(&path, PathBuf::from(format!("{}.1", path.display())));
    }
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
    {
        let line = message.replace('\n', " ");
        let _ = writeln!(
            f,
            "{} triage {}: {line}",
            format_iso(crate::timefmt::now_millis()),
            env!("CARGO_PKG_VERSION")
        );
    }
}

/// `triage capture`: scan, then upsert every run into the store.
pub fn capture(
    opts: &crate::scan::ScanOptions,
    db: Option<&Path>,
    quiet: bool,
    rules: &RuleSet,
) -> anyhow::Result<i32> {
    let (paths, now) = (&opts.paths, opts.now);
    let started = std::time::Instant::now();
    let path = db_path(db)?;
    let roots = if paths.is_empty() {
        crate::discover::default_roots()
    } else {
        paths.clone()
    };
    if let Some(tree) = crate::bundle::scanned_tree_holding(&path, &roots) {
        if quiet {
            // The store's log would be inside the tree too: the hook writes nothing.
            return Ok(EXIT_OK);
        }
        anyhow::bail!(
            "the history store {} is inside the scanned tree {}; triage never writes there (give --db or TRIAGE_DB elsewhere)",
            path.display(),
            tree.display()
        );
    }
    let res = (|| -> anyhow::Result<(store::Counts, usize)> {
        // The store is checked before the scan: a broken store costs no scan.
        let mut st = Store::open_write(&path)?;
        let scan = adapter::scan_for_capture(opts, rules);
        if quiet {
            for w in scan.warnings.iter().take(20) {
                log_problem(&path, &format!("warning: {w}"));
            }
        } else {
            let mut err = std::io::stderr().lock();
            for w in &scan.warnings {
                let _ = writeln!(err, "triage: warning: {w}");
            }
        }
        let counts = st.capture(&scan.runs, now, &scan.roots, started)?;
        Ok((counts, scan.roots.len()))
    })();
    match res {
        Ok((c, roots)) => {
            if !quiet {
                println!(
                    "captured {} run{} ({} new, {} changed{}) into {}",
                    c.runs,
                    if c.runs == 1 { "" } else { "s" },
                    c.new,
                    c.changed,
                    if c.gone > 0 {
                        format!(", {} gone from disk", c.gone)
                    } else {
                        String::new()
                    },
                    path.display()
                );
                if !paths.is_empty() && roots == 0 {
                    eprintln!("triage: no readable input among the given paths");
                    return Ok(EXIT_USAGE);
                }
            }
            Ok(EXIT_OK)
        }
        Err(e) if quiet => {
            log_problem(&path, &format!("capture failed: {e:#}"));
            Ok(EXIT_OK)
        }
        Err(e) => Err(e),
    }
}

/// What `triage history` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Terminal report.
    Human,
    /// The export document.
    Json,
    /// One run per line.
    Ndjson,
    /// Issue body.
    Markdown,
}

/// Options of `triage history` and `triage export --history`.
pub struct ReportRequest<'a> {
    /// Store override.
    pub db: Option<&'a Path>,
    /// Only runs created since.
    pub since: Option<Millis>,
    /// Only this cluster.
    pub cluster: Option<&'a str>,
    /// Output format.
    pub format: Format,
    /// Output file.
    pub output: Option<&'a Path>,
    /// Redact home paths, user names, tokens.
    pub redact: bool,
    /// Reference time.
    pub now: Millis,
}

/// `triage history` (and `export --history`): the report over the store.
pub fn history(req: &ReportRequest<'_>, rules: &RuleSet) -> anyhow::Result<i32> {
    let path = db_path(req.db)?;
    let store = Store::open_read(&path)?;
    let (stored, last) = match &store {
        Some(s) => (s.load(req.since)?, s.last_capture()?),
        None => (Vec::new(), None),
    };
    let mut h = report::History::build(stored, rules);
    let mut shown = path.display().to_string();
    let mut excerpts = None;
    if req.redact {
        // Everything is redacted on the model, before any renderer escapes it: runs and
        // clusters, and the store's own text that the outputs show (where a run was, the
        // store's path), with the redactor that learned the runs' user names.
        let (runs, clusters, learned) =
            crate::redact::model::redacted_runs(&h.runs, &h.clusters, &Redactor::from_env());
        if req.format == Format::Markdown {
            excerpts = Some(h.redacted_excerpts(&clusters, &learned));
        }
        h.runs = runs;
        h.clusters = clusters;
        for s in &mut h.stored {
            s.state_dir = learned.redact(&s.state_dir).into_owned();
            s.data.session_id =
                (s.data.session_id.as_deref()).map(|id| learned.redact(id).into_owned());
        }
        shown = learned.redact(&shown).into_owned();
    }
    if let Some(id) = req.cluster
        && !h.only_cluster(id)
    {
        let known: Vec<&str> = h.clusters.iter().map(|c| c.id.as_str()).collect();
        eprintln!(
            "triage: no cluster `{}` in the history; clusters: {}",
            crate::term_safe::line(id),
            crate::term_safe::line(&known.join(", "))
        );
        return Ok(EXIT_USAGE);
    }
    let text = match req.format {
        Format::Human => {
            let mut t = h.human(&shown, last.as_ref(), req.cluster.is_some());
            if store.is_none() {
                t.push_str(&format!("(no store at {shown} yet)\n"));
            }
            // Record text reaches the terminal: control characters are shown escaped.
            crate::term_safe::block(&t).into_owned()
        }
        Format::Json => {
            let doc = h.json(rules, &shown, last.as_ref(), req.since, req.now)?;
            serde_json::to_string_pretty(&doc)? + "\n"
        }
        Format::Ndjson => h.ndjson()?,
        Format::Markdown => h.markdown(rules, excerpts.as_ref()),
    };
    write_out(req.output, &text)?;
    Ok(EXIT_OK)
}

fn write_out(output: Option<&Path>, text: &str) -> anyhow::Result<()> {
    crate::report::out::Output::from_flag(output).text(text)
}

/// `triage history prune --older-than D`.
pub fn prune(db: Option<&Path>, older_than: Millis, now: Millis) -> anyhow::Result<i32> {
    let path = db_path(db)?;
    if !path.exists() {
        println!("no history store at {}; nothing to prune", path.display());
        return Ok(EXIT_OK);
    }
    let mut st = Store::open_write(&path)?;
    let cutoff = now - older_than;
    let n = st.prune(cutoff)?;
    println!(
        "pruned {n} run{} last seen before {}; {} left in {}",
        if n == 1 { "" } else { "s" },
        format_iso(cutoff),
        st.run_count()?,
        path.display()
    );
    Ok(EXIT_OK)
}

/// `triage history import FILE...`: merges export documents (or NDJSON runs) into the store.
pub fn import(
    db: Option<&Path>,
    files: &[PathBuf],
    now: Millis,
    rules: &RuleSet,
) -> anyhow::Result<i32> {
    let started = std::time::Instant::now();
    let path = db_path(db)?;
    let mut all = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(f)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", f.display()))?;
        let runs = report::runs_of_export(&text, rules, now)
            .map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
        all.extend(runs);
    }
    let mut st = Store::open_write(&path)?;
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let c = st.import(&all, now, &names, started)?;
    println!(
        "imported {} run{} ({} new, {} changed) from {} file{} into {}",
        c.runs,
        if c.runs == 1 { "" } else { "s" },
        c.new,
        c.changed,
        files.len(),
        if files.len() == 1 { "" } else { "s" },
        path.display()
    );
    Ok(EXIT_OK)
}

/// What `triage hook` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookAction {
    /// Add triage's hooks.
    Install,
    /// Remove them.
    Uninstall,
    /// Say what is hooked and when the store last captured.
    Status,
}

/// `triage hook install | uninstall | status`.
pub fn hook_command(
    action: HookAction,
    settings: Option<PathBuf>,
    project: bool,
    db: Option<&Path>,
) -> anyhow::Result<i32> {
    let target = hook::SettingsTarget::resolve(settings, project)?;
    let path = &target.path;
    let current = hook::read_settings(path)?;
    match action {
        HookAction::Install => hook_install(path, current, db),
        HookAction::Uninstall => hook_uninstall(path, current),
        HookAction::Status => hook_status(path, current.as_ref().map(|(v, _)| v), db),
    }
}

/// ` (backup: FILE)` when a backup was written.
fn backup_note(backup: Option<PathBuf>) -> String {
    backup
        .map(|b| format!(" (backup: {})", b.display()))
        .unwrap_or_default()
}

/// `hook install`: triage's command on every event of [`hook::EVENTS`] it is not yet on.
fn hook_install(
    path: &Path,
    current: Option<(hook::Json, String)>,
    db: Option<&Path>,
) -> anyhow::Result<i32> {
    let exe = std::env::current_exe().context("cannot tell where this triage binary is")?;
    let exe = std::fs::canonicalize(&exe).unwrap_or(exe);
    let db_abs = db.map(|d| std::path::absolute(d).unwrap_or_else(|_| d.to_path_buf()));
    let cmd = hook::hook_command(&exe, db_abs.as_deref());
    let (mut v, old) = match current {
        Some((v, t)) => (v, Some(t)),
        None => (hook::Json::Object(Default::default()), None),
    };
    let added = hook::install(&mut v, &cmd);
    if added.is_empty() {
        println!(
            "triage hooks already installed in {} ({}); nothing changed",
            path.display(),
            hook::EVENTS.join(", ")
        );
        return Ok(EXIT_OK);
    }
    let backup = hook::write_settings(path, &v, old.as_deref())?;
    println!(
        "installed `{cmd}` on {} in {}{}",
        added.join(", "),
        path.display(),
        backup_note(backup)
    );
    println!(
        "runs are kept in {}; see them with `triage history`",
        db_path(db)?.display()
    );
    Ok(EXIT_OK)
}

/// `hook uninstall`: only triage's own entries go.
fn hook_uninstall(path: &Path, current: Option<(hook::Json, String)>) -> anyhow::Result<i32> {
    let Some((mut v, old)) = current else {
        println!("{} does not exist; nothing to uninstall", path.display());
        return Ok(EXIT_OK);
    };
    let removed = hook::uninstall(&mut v);
    if removed.is_empty() {
        println!("no triage hooks in {}; nothing changed", path.display());
        return Ok(EXIT_OK);
    }
    let backup = hook::write_settings(path, &v, Some(&old))?;
    println!(
        "removed triage hooks from {} in {}{}",
        removed.join(", "),
        path.display(),
        backup_note(backup)
    );
    Ok(EXIT_OK)
}

/// `hook status`: which events are hooked, the store's last capture, its latest problems.
fn hook_status(
    path: &Path,
    settings: Option<&hook::Json>,
    db: Option<&Path>,
) -> anyhow::Result<i32> {
    let hooked = settings.map(hook::hooked_events).unwrap_or_default();
    println!(
        "settings: {}{}",
        path.display(),
        if settings.is_none() {
            " (does not exist)"
        } else {
            ""
        }
    );
    for ev in hook::EVENTS {
        let on = hooked.iter().any(|h| h == ev);
        println!("  {ev:<13} {}", if on { "hooked" } else { "not hooked" });
    }
    let dbp = db_path(db)?;
    match Store::open_read(&dbp) {
        Ok(Some(st)) => {
            let n = st.run_count()?;
            match st.last_capture()? {
                Some(l) => println!(
                    "store: {} ({n} runs; last {} {}: {} runs, {} new, {} changed, {} gone)",
                    dbp.display(),
                    l.kind,
                    format_iso(l.at),
                    l.counts.runs,
                    l.counts.new,
                    l.counts.changed,
                    l.counts.gone
                ),
                None => println!("store: {} ({n} runs; never captured)", dbp.display()),
            }
        }
        Ok(None) => println!(
            "store: {} (not created yet: no capture so far)",
            dbp.display()
        ),
        Err(e) => println!("store: {e:#}"),
    }
    let log = log_path(&dbp);
    if let Ok(text) = std::fs::read_to_string(&log) {
        let lines: Vec<&str> = text.lines().collect();
        if !lines.is_empty() {
            println!(
                "problems logged in {} (last {}):",
                log.display(),
                lines.len().min(3)
            );
            for l in &lines[lines.len().saturating_sub(3)..] {
                println!("  {l}");
            }
        }
    }
    Ok(EXIT_OK)
}
