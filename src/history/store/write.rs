//! Writing runs into the store: the upsert of one run (insert or update, with its findings
//! and outcome transitions), marking runs gone from disk, and the capture log.

use super::super::adapter::{Captured, FindingData, RunData};
use super::Counts;
use crate::timefmt::Millis;
use rusqlite::{OptionalExtension, ToSql, Transaction, params};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::path::Path;
use std::sync::LazyLock;

/// What an upsert did to a run.
pub(super) enum Change {
    New,
    Changed,
    Same,
}

/// The run identity: state directory, job id and creation time.
pub fn identity(state_dir: &str, d: &RunData) -> String {
    format!(
        "{state_dir}\u{1f}{}\u{1f}{}",
        d.id,
        d.created_ms().map(|t| t.to_string()).unwrap_or_default()
    )
}

fn content_hash(data: &str, findings: &str) -> String {
    let mut h = Sha256::new();
    h.update(data.as_bytes());
    h.update([0u8]);
    h.update(findings.as_bytes());
    h.finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The columns of `runs` that hold a run's own fields, written alike by an insert and an
/// update (the identity columns, the seen times, the origin and the data are apart).
const FIELD_COLUMNS: [&str; 12] = [
    "workspace_slug",
    "workspace_hash",
    "workspace_root",
    "kind",
    "status",
    "outcome",
    "plugin_version",
    "cli_version",
    "platform",
    "source_index",
    "source_record",
    "source_log",
];

/// The values of [`FIELD_COLUMNS`] for one run, in their order.
fn field_values<'a>(d: &'a RunData, outcome: &'a dyn ToSql) -> [&'a dyn ToSql; 12] {
    [
        &d.workspace.slug,
        &d.workspace.hash,
        &d.workspace.root,
        &d.kind,
        &d.status,
        outcome,
        &d.plugin_version,
        &d.cli_version,
        &d.platform,
        &d.source.index,
        &d.source.record,
        &d.source.log,
    ]
}

/// `INSERT INTO runs`: identity, state dir, job id, created at, the field columns, first
/// seen, last seen, gone at, origin, content hash, data.
static INSERT_RUN: LazyLock<String> = LazyLock::new(|| {
    let columns = FIELD_COLUMNS.join(", ");
    let n = FIELD_COLUMNS.len() + 10;
    let marks: Vec<String> = (1..=n).map(|i| format!("?{i}")).collect();
    format!(
        "INSERT INTO runs (identity, state_dir, job_id, created_at, {columns}, first_seen, \
         last_seen, gone_at, origin, content_hash, data) VALUES ({})",
        marks.join(",")
    )
});

/// `UPDATE runs` of row `?1`: the field columns, then first seen (kept if earlier), last
/// seen (kept if later), gone at, content hash, data.
static UPDATE_RUN: LazyLock<String> = LazyLock::new(|| {
    let n = FIELD_COLUMNS.len();
    let set: Vec<String> = FIELD_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c}=?{}", i + 2))
        .collect();
    format!(
        "UPDATE runs SET {}, first_seen=min(first_seen, ?{}), last_seen=max(last_seen, ?{}), \
         gone_at=?{}, content_hash=?{}, data=?{} WHERE id = ?1",
        set.join(", "),
        n + 2,
        n + 3,
        n + 4,
        n + 5,
        n + 6
    )
});

/// One run as it is about to be written.
struct Upsert<'a> {
    c: &'a Captured,
    dir: String,
    ident: String,
    data: String,
    hash: String,
    outcome: String,
    seen_first: Millis,
    seen_last: Millis,
}

/// What the store holds of a run: row id, content hash, status, outcome, gone at, last seen.
type StoredState = (i64, String, Option<String>, String, Option<Millis>, Millis);

/// Inserts or updates one run. `seen_first`/`seen_last` are the capture time for a capture,
/// the exported times for an import; `gone` is only given by imports.
pub(super) fn upsert(
    tx: &Transaction<'_>,
    c: &Captured,
    seen_first: Millis,
    seen_last: Millis,
    gone: Option<Option<Millis>>,
    origin: &str,
) -> rusqlite::Result<Change> {
    let d = &c.data;
    let dir = d.state_dir();
    let ident = identity(&dir, d);
    let data = serde_json::to_string(d).unwrap_or_default();
    let fjson = serde_json::to_string(&c.findings).unwrap_or_default();
    let u = Upsert {
        c,
        hash: content_hash(&data, &fjson),
        outcome: d.outcome.clone().unwrap_or_else(|| "in-progress".into()),
        dir,
        ident,
        data,
        seen_first,
        seen_last,
    };
    match stored_state(tx, &u.ident)? {
        None => insert_run(tx, &u, gone.flatten(), origin).map(|()| Change::New),
        Some(old) => update_run(tx, &u, old, gone),
    }
}

fn stored_state(tx: &Transaction<'_>, ident: &str) -> rusqlite::Result<Option<StoredState>> {
    tx.prepare_cached(
        "SELECT id, content_hash, status, outcome, gone_at, last_seen FROM runs WHERE identity = ?1",
    )?
    .query_row(params![ident], |r| StoredState::try_from(r))
    .optional()
}

fn insert_run(
    tx: &Transaction<'_>,
    u: &Upsert<'_>,
    gone: Option<Millis>,
    origin: &str,
) -> rusqlite::Result<()> {
    let d = &u.c.data;
    let created = d.created_ms();
    let head: [&dyn ToSql; 4] = [&u.ident, &u.dir, &d.id, &created];
    let tail: [&dyn ToSql; 6] = [
        &u.seen_first,
        &u.seen_last,
        &gone,
        &origin,
        &u.hash,
        &u.data,
    ];
    let fields = field_values(d, &u.outcome);
    let values: Vec<&dyn ToSql> = head.into_iter().chain(fields).chain(tail).collect();
    tx.prepare_cached(&INSERT_RUN)?.execute(values.as_slice())?;
    let row = tx.last_insert_rowid();
    write_findings(tx, row, &u.c.findings)?;
    add_transition(tx, row, u.seen_first, d.status.as_deref(), &u.outcome)?;
    if let Some(g) = gone {
        add_transition(tx, row, g, Some("gone"), &u.outcome)?;
    }
    Ok(())
}

fn update_run(
    tx: &Transaction<'_>,
    u: &Upsert<'_>,
    old: StoredState,
    gone: Option<Option<Millis>>,
) -> rusqlite::Result<Change> {
    let (id, old_hash, old_status, old_outcome, old_gone, old_last) = old;
    // An import older than what the store holds changes nothing but first_seen.
    if gone.is_some() && u.seen_last <= old_last {
        tx.prepare_cached("UPDATE runs SET first_seen = min(first_seen, ?2) WHERE id = ?1")?
            .execute(params![id, u.seen_first])?;
        return Ok(Change::Same);
    }
    let new_gone = gone.unwrap_or_default();
    if old_hash == u.hash && old_gone == new_gone {
        tx.prepare_cached("UPDATE runs SET last_seen = max(last_seen, ?2) WHERE id = ?1")?
            .execute(params![id, u.seen_last])?;
        return Ok(Change::Same);
    }
    let d = &u.c.data;
    let tail: [&dyn ToSql; 5] = [&u.seen_first, &u.seen_last, &new_gone, &u.hash, &u.data];
    let values: Vec<&dyn ToSql> = std::iter::once(&id as &dyn ToSql)
        .chain(field_values(d, &u.outcome))
        .chain(tail)
        .collect();
    tx.prepare_cached(&UPDATE_RUN)?.execute(values.as_slice())?;
    tx.prepare_cached("DELETE FROM findings WHERE run = ?1")?
        .execute(params![id])?;
    write_findings(tx, id, &u.c.findings)?;
    if old_status != d.status || old_outcome != u.outcome || old_gone.is_some() {
        add_transition(tx, id, u.seen_last, d.status.as_deref(), &u.outcome)?;
    }
    if let (Some(g), None) = (new_gone, old_gone) {
        add_transition(tx, id, g, Some("gone"), &u.outcome)?;
    }
    Ok(Change::Changed)
}

fn write_findings(
    tx: &Transaction<'_>,
    row: i64,
    findings: &[FindingData],
) -> rusqlite::Result<()> {
    let mut st = tx.prepare_cached(
        "INSERT OR REPLACE INTO findings (run, signature, severity, evidence) VALUES (?1,?2,?3,?4)",
    )?;
    for f in findings {
        st.execute(params![
            row,
            f.signature,
            f.severity,
            serde_json::to_string(&f.evidence).unwrap_or_else(|_| "[]".into())
        ])?;
    }
    Ok(())
}

fn add_transition(
    tx: &Transaction<'_>,
    row: i64,
    at: Millis,
    status: Option<&str>,
    outcome: &str,
) -> rusqlite::Result<()> {
    tx.prepare_cached("INSERT INTO transitions (run, at, status, outcome) VALUES (?1,?2,?3,?4)")?
        .execute(params![row, at, status, outcome])?;
    Ok(())
}

/// id, identity, state dir, index, record, log, outcome.
type GoneCandidate = (
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
);

/// Marks local runs not seen by this capture whose files no longer exist. A run known only
/// from an index entry is gone when its state directory was read again without it, or when
/// the index itself is gone.
pub(super) fn mark_gone(
    tx: &Transaction<'_>,
    seen: &HashSet<String>,
    dirs: &HashSet<String>,
    now: Millis,
) -> rusqlite::Result<u64> {
    let candidates: Vec<GoneCandidate> = {
        let mut st = tx.prepare_cached(
            "SELECT id, identity, state_dir, source_index, source_record, source_log, outcome
             FROM runs WHERE gone_at IS NULL AND origin = 'local'",
        )?;
        let rows = st.query_map([], |r| GoneCandidate::try_from(r))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let exists = |p: &Option<String>| p.as_deref().is_some_and(|p| Path::new(p).exists());
    let mut n = 0;
    for (id, ident, dir, index, record, log, outcome) in candidates {
        if seen.contains(&ident) {
            continue;
        }
        let files_gone = if record.is_some() || log.is_some() {
            !exists(&record) && !exists(&log)
        } else {
            !exists(&index) || dirs.contains(&dir)
        };
        if files_gone {
            tx.prepare_cached("UPDATE runs SET gone_at = ?2 WHERE id = ?1")?
                .execute(params![id, now])?;
            add_transition(tx, id, now, Some("gone"), &outcome)?;
            n += 1;
        }
    }
    Ok(n)
}

pub(super) fn record_capture(
    tx: &Transaction<'_>,
    now: Millis,
    kind: &str,
    roots: &[String],
    c: Counts,
    started: std::time::Instant,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO captures (at, kind, roots, runs, new, changed, gone, duration_ms, triage)
         VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
    )?
    .execute(params![
        now,
        kind,
        serde_json::to_string(roots).unwrap_or_else(|_| "[]".into()),
        c.runs as i64,
        c.new as i64,
        c.changed as i64,
        c.gone as i64,
        started.elapsed().as_millis() as i64,
        env!("CARGO_PKG_VERSION"),
    ])?;
    Ok(())
}
