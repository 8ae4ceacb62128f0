//! The history store: one SQLite file (bundled SQLite, WAL journal, busy timeout), with a
//! versioned schema. A store is only ever opened after its header has been checked, so a file
//! that is empty, truncated, not SQLite, another program's database, or written by a newer
//! triage is refused with an error naming it, and is left exactly as it was.

use super::adapter::{Captured, FindingData, RunData};
use crate::timefmt::Millis;
use anyhow::{Context, bail};
use rusqlite::{
    Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, params,
};
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod write;

pub use write::identity;
use write::{Change, mark_gone, record_capture, upsert};

/// `PRAGMA application_id` of a triage store ("TRIG").
pub const APPLICATION_ID: i64 = 0x5452_4947;

/// Schema versions, one migration each: `MIGRATIONS[i]` takes a store from version `i` to
/// `i + 1`. The store's `PRAGMA user_version` is the number applied.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE runs (
  id             INTEGER PRIMARY KEY,
  identity       TEXT NOT NULL UNIQUE,   -- state dir, job id, createdAt
  state_dir      TEXT NOT NULL,
  job_id         TEXT NOT NULL,
  created_at     INTEGER,                -- ms since the epoch, UTC
  workspace_slug TEXT NOT NULL,
  workspace_hash TEXT,
  workspace_root TEXT,
  kind           TEXT,
  status         TEXT,                   -- the plugin's status, as last seen
  outcome        TEXT NOT NULL,          -- triage's outcome, as last seen
  plugin_version TEXT,
  cli_version    TEXT,
  platform       TEXT,
  source_index   TEXT,
  source_record  TEXT,
  source_log     TEXT,
  first_seen     INTEGER NOT NULL,       -- when triage first saw the run's files
  last_seen      INTEGER NOT NULL,       -- when triage last saw them
  gone_at        INTEGER,                -- when triage found them deleted
  origin         TEXT NOT NULL,          -- 'local' (captured here) or 'import'
  content_hash   TEXT NOT NULL,
  data           TEXT NOT NULL           -- the run's fields as JSON (capped texts only)
);
CREATE INDEX runs_last_seen ON runs(last_seen);
CREATE INDEX runs_created ON runs(created_at);
CREATE TABLE findings (
  run       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  signature TEXT NOT NULL,
  severity  TEXT NOT NULL,
  evidence  TEXT NOT NULL,               -- JSON [{file, line, text}], capped as in the scan
  PRIMARY KEY (run, signature)
) WITHOUT ROWID;
CREATE INDEX findings_signature ON findings(signature);
CREATE TABLE transitions (
  run     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  at      INTEGER NOT NULL,
  status  TEXT,                          -- plugin status, or 'gone'
  outcome TEXT NOT NULL
);
CREATE INDEX transitions_run ON transitions(run, at);
CREATE TABLE captures (
  id          INTEGER PRIMARY KEY,
  at          INTEGER NOT NULL,
  kind        TEXT NOT NULL,             -- 'capture' or 'import'
  roots       TEXT NOT NULL,             -- JSON array
  runs        INTEGER NOT NULL,
  new         INTEGER NOT NULL,
  changed     INTEGER NOT NULL,
  gone        INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  triage      TEXT NOT NULL
);
"#];

/// The schema version this triage writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How long a writer waits for another one.
const BUSY_TIMEOUT: Duration = Duration::from_secs(20);

/// Where the store lives when neither `--db` nor `TRIAGE_DB` says: the platform's local data
/// directory (`$XDG_DATA_HOME/triage/history.db`, `~/Library/Application Support/triage/`,
/// `%LOCALAPPDATA%\triage\`).
pub fn default_path() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|d| d.data_local_dir().join("triage").join("history.db"))
}

/// An open store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// What a capture or import did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Runs written or confirmed.
    pub runs: u64,
    /// Identities not seen before.
    pub new: u64,
    /// Identities whose data changed.
    pub changed: u64,
    /// Runs found gone from disk by this capture.
    pub gone: u64,
}

/// An imported run: its data, first seen, last seen, gone at.
pub type Imported = (Captured, Millis, Millis, Option<Millis>);

/// One stored run with its history.
#[derive(Debug, Clone)]
pub struct StoredRun {
    /// Row id.
    pub row: i64,
    /// State directory (part of the identity).
    pub state_dir: String,
    /// The run's fields.
    pub data: RunData,
    /// Its findings.
    pub findings: Vec<FindingData>,
    /// First seen by triage.
    pub first_seen: Millis,
    /// Last seen by triage.
    pub last_seen: Millis,
    /// Found deleted at.
    pub gone_at: Option<Millis>,
    /// `local` or `import`.
    pub origin: String,
    /// Observed states, oldest first: (time, status or `gone`, outcome).
    pub transitions: Vec<(Millis, Option<String>, String)>,
}

/// The last capture recorded in a store.
#[derive(Debug, Clone)]
pub struct LastCapture {
    /// When.
    pub at: Millis,
    /// `capture` or `import`.
    pub kind: String,
    /// Counts.
    pub counts: Counts,
}

/// Checks the file's bytes before SQLite sees it: SQLite would take an empty file for a new
/// database and write to it, and reports truncation only on the page it fails to read.
fn check_header(path: &Path) -> anyhow::Result<()> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if !meta.is_file() {
        bail!("{} is not a regular file", path.display());
    }
    let len = meta.len();
    if len == 0 {
        bail!(
            "{} is empty (0 bytes), not a triage history store",
            path.display()
        );
    }
    let mut head = [0u8; 100];
    let mut f =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut got = 0;
    while got < head.len() {
        match f.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) => bail!("cannot read {}: {e}", path.display()),
        }
    }
    if got >= 16 && &head[..16] != b"SQLite format 3\0"
        || got < 16 && !b"SQLite format 3\0".starts_with(&head[..got])
    {
        bail!(
            "{} is not an SQLite database, so not a triage history store",
            path.display()
        );
    }
    if got < 100 {
        bail!(
            "{} is truncated ({len} bytes; an SQLite header alone is 100)",
            path.display()
        );
    }
    let page = match u16::from_be_bytes([head[16], head[17]]) {
        1 => 65536u64,
        p => u64::from(p),
    };
    if page < 512 || !page.is_power_of_two() {
        bail!(
            "{} has a damaged SQLite header (page size {page})",
            path.display()
        );
    }
    // Identity and version from the header, before SQLite opens the file (opening a WAL
    // store creates its -wal and -shm files). The header may lag behind an uncheckpointed
    // write-ahead log; `open_checked` asks SQLite again.
    let app = i64::from(i32::from_be_bytes([head[68], head[69], head[70], head[71]]));
    if app != APPLICATION_ID {
        bail!(
            "{} is an SQLite database but not a triage history store (application id {app:#x})",
            path.display()
        );
    }
    let version = i64::from(i32::from_be_bytes([head[60], head[61], head[62], head[63]]));
    if version > SCHEMA_VERSION {
        bail!(
            "history store {} has schema version {version}, newer than this triage understands ({SCHEMA_VERSION}); upgrade triage. Nothing was written",
            path.display()
        );
    }
    // A checkpoint in progress may write the header before the pages: only judge the size
    // when no write-ahead log is beside the file.
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    if !wal.exists() {
        let counter = u32::from_be_bytes([head[24], head[25], head[26], head[27]]);
        let valid_for = u32::from_be_bytes([head[92], head[93], head[94], head[95]]);
        let pages = u64::from(u32::from_be_bytes([head[28], head[29], head[30], head[31]]));
        if len % page != 0 || (counter == valid_for && pages * page > len) {
            bail!(
                "{} is truncated ({len} bytes; its header says {} bytes)",
                path.display(),
                pages * page
            );
        }
    }
    Ok(())
}

fn sql_err(path: &Path) -> impl Fn(rusqlite::Error) -> anyhow::Error + '_ {
    move |e| anyhow::anyhow!("history store {}: {e}", path.display())
}

impl Store {
    /// Opens the store for writing, creating it (and its directory) when it does not exist.
    pub fn open_write(path: &Path) -> anyhow::Result<Store> {
        if !path.exists() {
            create(path)?;
        }
        check_header(path)?;
        let meta = std::fs::metadata(path)?;
        if meta.permissions().readonly() {
            bail!(
                "history store {} is read-only; nothing was written",
                path.display()
            );
        }
        let store = Store::open_checked(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        store.migrate()?;
        Ok(store)
    }

    /// Opens an existing store for reading; `None` when there is none yet.
    pub fn open_read(path: &Path) -> anyhow::Result<Option<Store>> {
        if !path.exists() {
            return Ok(None);
        }
        check_header(path)?;
        let writable = std::fs::metadata(path).is_ok_and(|m| !m.permissions().readonly());
        let flags = if writable {
            OpenFlags::SQLITE_OPEN_READ_WRITE
        } else {
            OpenFlags::SQLITE_OPEN_READ_ONLY
        };
        let store = Store::open_checked(path, flags)?;
        if store.version()? < SCHEMA_VERSION {
            if !writable {
                bail!(
                    "history store {} has an older schema and is read-only: it cannot be upgraded",
                    path.display()
                );
            }
            store.migrate()?;
        }
        Ok(Some(store))
    }

    /// Opens and identifies the file; writes nothing.
    fn open_checked(path: &Path, flags: OpenFlags) -> anyhow::Result<Store> {
        let e = sql_err(path);
        let conn = Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(&e)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(&e)?;
        let app: i64 = conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .map_err(&e)?;
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(&e)?;
        if app != APPLICATION_ID {
            bail!(
                "{} is an SQLite database but not a triage history store (application id {app:#x})",
                path.display()
            );
        }
        if version > SCHEMA_VERSION {
            bail!(
                "history store {} has schema version {version}, newer than this triage understands ({SCHEMA_VERSION}); upgrade triage. Nothing was written",
                path.display()
            );
        }
        // Reads the schema: a damaged file fails here, before anything is written.
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(&e)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(&e)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    fn version(&self) -> anyhow::Result<i64> {
        self.conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(sql_err(&self.path))
    }

    /// Applies the migrations this store lacks, in one transaction.
    fn migrate(&self) -> anyhow::Result<()> {
        let e = sql_err(&self.path);
        if self.version()? >= SCHEMA_VERSION {
            return Ok(());
        }
        let tx =
            Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate).map_err(&e)?;
        let v: i64 = tx
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(&e)?;
        for (i, m) in MIGRATIONS.iter().enumerate().skip(v.max(0) as usize) {
            tx.execute_batch(m).map_err(&e)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)
                .map_err(&e)?;
        }
        tx.commit().map_err(&e)?;
        Ok(())
    }

    /// The store's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes a capture: every scanned run, then marks the local runs whose files are gone.
    pub fn capture(
        &mut self,
        runs: &[Captured],
        now: Millis,
        roots: &[String],
        started: std::time::Instant,
    ) -> anyhow::Result<Counts> {
        let path = self.path.clone();
        let e = sql_err(&path);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&e)?;
        let mut counts = Counts::default();
        let mut seen = HashSet::new();
        let mut dirs = HashSet::new();
        for c in runs {
            let st = upsert(&tx, c, now, now, None, "local").map_err(&e)?;
            counts.runs += 1;
            match st {
                Change::New => counts.new += 1,
                Change::Changed => counts.changed += 1,
                Change::Same => {}
            }
            let dir = c.data.state_dir();
            seen.insert(identity(&dir, &c.data));
            dirs.insert(dir);
        }
        counts.gone = mark_gone(&tx, &seen, &dirs, now).map_err(&e)?;
        record_capture(&tx, now, "capture", roots, counts, started).map_err(&e)?;
        tx.commit().map_err(&e)?;
        Ok(counts)
    }

    /// Merges runs from an export document (deduplicated by identity).
    pub fn import(
        &mut self,
        runs: &[Imported],
        now: Millis,
        files: &[String],
        started: std::time::Instant,
    ) -> anyhow::Result<Counts> {
        let path = self.path.clone();
        let e = sql_err(&path);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&e)?;
        let mut counts = Counts::default();
        for (c, first, last, gone) in runs {
            let st = upsert(&tx, c, *first, *last, Some(*gone), "import").map_err(&e)?;
            counts.runs += 1;
            match st {
                Change::New => counts.new += 1,
                Change::Changed => counts.changed += 1,
                Change::Same => {}
            }
        }
        record_capture(&tx, now, "import", files, counts, started).map_err(&e)?;
        tx.commit().map_err(&e)?;
        Ok(counts)
    }

    /// Every stored run (created at or after `since`, when given), oldest first.
    pub fn load(&self, since: Option<Millis>) -> anyhow::Result<Vec<StoredRun>> {
        let e = sql_err(&self.path);
        let mut findings: HashMap<i64, Vec<FindingData>> = HashMap::new();
        {
            let mut st = self
                .conn
                .prepare("SELECT run, signature, severity, evidence FROM findings")
                .map_err(&e)?;
            let rows = st
                .query_map([], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                })
                .map_err(&e)?;
            for row in rows {
                let (run, signature, severity, ev) = row.map_err(&e)?;
                let evidence = serde_json::from_str(&ev).unwrap_or_default();
                findings.entry(run).or_default().push(FindingData {
                    signature,
                    severity,
                    evidence,
                });
            }
        }
        let mut transitions: HashMap<i64, Vec<(Millis, Option<String>, String)>> = HashMap::new();
        {
            let mut st = self
                .conn
                .prepare("SELECT run, at, status, outcome FROM transitions ORDER BY run, at, rowid")
                .map_err(&e)?;
            let rows = st
                .query_map([], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                })
                .map_err(&e)?;
            for row in rows {
                let (run, at, status, outcome) = row.map_err(&e)?;
                transitions
                    .entry(run)
                    .or_default()
                    .push((at, status, outcome));
            }
        }
        let mut st = self
            .conn
            .prepare(
                "SELECT id, state_dir, data, first_seen, last_seen, gone_at, origin FROM runs
                 WHERE ?1 IS NULL OR coalesce(created_at, first_seen) >= ?1
                 ORDER BY coalesce(created_at, first_seen), job_id, id",
            )
            .map_err(&e)?;
        let rows = st
            .query_map(params![since], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, Option<i64>>(5)?,
                    r.get::<_, String>(6)?,
                ))
            })
            .map_err(&e)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, state_dir, data, first_seen, last_seen, gone_at, origin) = row.map_err(&e)?;
            let data: RunData = serde_json::from_str(&data).with_context(|| {
                format!(
                    "history store {}: run row {id} holds damaged JSON",
                    self.path.display()
                )
            })?;
            let mut f = findings.remove(&id).unwrap_or_default();
            f.sort_by(|a, b| {
                severity_rank(&b.severity)
                    .cmp(&severity_rank(&a.severity))
                    .then_with(|| a.signature.cmp(&b.signature))
            });
            out.push(StoredRun {
                row: id,
                state_dir,
                data,
                findings: f,
                first_seen,
                last_seen,
                gone_at,
                origin,
                transitions: transitions.remove(&id).unwrap_or_default(),
            });
        }
        Ok(out)
    }

    /// The most recent capture or import.
    pub fn last_capture(&self) -> anyhow::Result<Option<LastCapture>> {
        self.conn
            .query_row(
                "SELECT at, kind, runs, new, changed, gone FROM captures ORDER BY id DESC LIMIT 1",
                [],
                |r| {
                    Ok(LastCapture {
                        at: r.get(0)?,
                        kind: r.get(1)?,
                        counts: Counts {
                            runs: r.get::<_, i64>(2)? as u64,
                            new: r.get::<_, i64>(3)? as u64,
                            changed: r.get::<_, i64>(4)? as u64,
                            gone: r.get::<_, i64>(5)? as u64,
                        },
                    })
                },
            )
            .optional()
            .map_err(sql_err(&self.path))
    }

    /// Number of stored runs.
    pub fn run_count(&self) -> anyhow::Result<u64> {
        self.conn
            .query_row("SELECT count(*) FROM runs", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(sql_err(&self.path))
    }

    /// Deletes runs last seen before `cutoff` (with their findings and transitions) and
    /// captures older than it; gives the space back. Returns the runs deleted.
    pub fn prune(&mut self, cutoff: Millis) -> anyhow::Result<u64> {
        let path = self.path.clone();
        let e = sql_err(&path);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&e)?;
        let n = tx
            .execute("DELETE FROM runs WHERE last_seen < ?1", params![cutoff])
            .map_err(&e)?;
        tx.execute("DELETE FROM captures WHERE at < ?1", params![cutoff])
            .map_err(&e)?;
        tx.commit().map_err(&e)?;
        self.conn
            .execute_batch("PRAGMA incremental_vacuum")
            .map_err(&e)?;
        Ok(n as u64)
    }
}

/// Creates a new store beside `path` and moves it into place in one step: a second process
/// creating the same store at the same moment never sees a half-made (empty) file.
fn create(path: &Path) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create the history directory {}", dir.display()))?;
    let tmp = crate::fsutil::TempFile::new_in(&dir, ".triage-history-", ".tmp")
        .with_context(|| format!("cannot create a file in {}", dir.display()))?;
    {
        let e = sql_err(tmp.path());
        let conn = Connection::open(tmp.path()).map_err(&e)?;
        conn.execute_batch(&format!(
            "PRAGMA auto_vacuum = INCREMENTAL; PRAGMA application_id = {APPLICATION_ID};"
        ))
        .map_err(&e)?;
        let tx = conn.unchecked_transaction().map_err(&e)?;
        for m in MIGRATIONS {
            tx.execute_batch(m).map_err(&e)?;
        }
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(&e)?;
        tx.commit().map_err(&e)?;
        // WAL lets a reader and a writer work at once; the mode is kept in the file.
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))
            .map_err(&e)?;
        conn.close().map_err(|(_, err)| e(err))?;
    }
    match std::fs::hard_link(tmp.path(), path) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(_) => {
            // No hard links on this file system: a rename, unless another process won.
            if path.exists() {
                return Ok(());
            }
            tmp.persist(path)
                .or_else(|err| if path.exists() { Ok(()) } else { Err(err) })
                .with_context(|| format!("cannot create {}", path.display()))
        }
    }
}

fn severity_rank(s: &str) -> u8 {
    match s {
        "critical" => 4,
        "high" => 3,
        "medium" => 2,
        "low" => 1,
        _ => 0,
    }
}
