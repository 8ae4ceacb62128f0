//! The history store: one SQLite file (bundled SQLite, WAL journal, busy timeout), with a
//! versioned schema. A store is only ever opened after its header has been checked, so a file
//! that is empty, truncated, not SQLite, another program's database, or written by a newer
//! triage is refused with an error naming it, and is left exactly as it was.

use super::adapter::{Captured, FindingData, RunData};
use crate::timefmt::Millis;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod open;
mod read;
mod write;

use open::sql_err;
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

impl Counts {
    /// Counts one upserted run.
    fn tally(&mut self, change: Change) {
        self.runs += 1;
        match change {
            Change::New => self.new += 1,
            Change::Changed => self.changed += 1,
            Change::Same => {}
        }
    }
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

impl Store {
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
        self.write_transaction(|tx| {
            let mut counts = Counts::default();
            let mut seen = HashSet::new();
            let mut dirs = HashSet::new();
            for c in runs {
                counts.tally(upsert(tx, c, now, now, None, "local")?);
                let dir = c.data.state_dir();
                seen.insert(identity(&dir, &c.data));
                dirs.insert(dir);
            }
            counts.gone = mark_gone(tx, &seen, &dirs, now)?;
            record_capture(tx, now, "capture", roots, counts, started)?;
            Ok(counts)
        })
    }

    /// Merges runs from an export document (deduplicated by identity).
    pub fn import(
        &mut self,
        runs: &[Imported],
        now: Millis,
        files: &[String],
        started: std::time::Instant,
    ) -> anyhow::Result<Counts> {
        self.write_transaction(|tx| {
            let mut counts = Counts::default();
            for (c, first, last, gone) in runs {
                counts.tally(upsert(tx, c, *first, *last, Some(*gone), "import")?);
            }
            record_capture(tx, now, "import", files, counts, started)?;
            Ok(counts)
        })
    }

    /// Runs `write` in one immediate transaction and commits it; errors name the store.
    fn write_transaction<T>(
        &mut self,
        write: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T>,
    ) -> anyhow::Result<T> {
        let e = sql_err(&self.path);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&e)?;
        let out = write(&tx).map_err(&e)?;
        tx.commit().map_err(&e)?;
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
        let n = self.write_transaction(|tx| {
            let n = tx.execute("DELETE FROM runs WHERE last_seen < ?1", params![cutoff])?;
            tx.execute("DELETE FROM captures WHERE at < ?1", params![cutoff])?;
            Ok(n)
        })?;
        self.conn
            .execute_batch("PRAGMA incremental_vacuum")
            .map_err(sql_err(&self.path))?;
        Ok(n as u64)
    }
}
