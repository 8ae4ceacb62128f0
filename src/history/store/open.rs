//! Opening a store: the file's header checked before SQLite sees it, creation in one step,
//! and the schema migrations.

use super::{APPLICATION_ID, BUSY_TIMEOUT, MIGRATIONS, SCHEMA_VERSION, Store};
use anyhow::{Context, bail};
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use std::io::Read;
use std::path::{Path, PathBuf};

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

pub(super) fn sql_err(path: &Path) -> impl Fn(rusqlite::Error) -> anyhow::Error + '_ {
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
}

/// Creates a new store beside `path` and moves it into place in one step: a second process
/// creating the same store at the same moment never sees a half-made (empty) file.
pub(super) fn create(path: &Path) -> anyhow::Result<()> {
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
