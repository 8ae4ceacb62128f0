//! Opening input files safely: only regular files, never blocking.

use std::fs::File;
use std::path::Path;

/// Opens `path` for reading only if it is a regular file. On Unix the open itself is
/// non-blocking, and the type is checked on the opened handle, so a file swapped for a FIFO
/// between a directory listing and the open can never block the scan.
pub fn open_regular(path: &Path) -> Result<File, String> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file; skipped".into());
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW);
    }
    let file = opts.open(path).map_err(|e| format!("cannot open: {e}"))?;
    match file.metadata() {
        Ok(m) if m.is_file() => Ok(file),
        Ok(_) => Err("not a regular file; skipped".into()),
        Err(e) => Err(format!("cannot read: {e}")),
    }
}

/// A file created next to where it will end up, moved into place in one step with
/// [`TempFile::persist`] and removed if dropped first: atomic replacement of settings and
/// stores without a runtime dependency on `tempfile`.
pub struct TempFile {
    path: std::path::PathBuf,
    file: File,
    kept: bool,
}

impl TempFile {
    /// Creates `<dir>/<prefix><unique><suffix>`, failing rather than reusing an existing file.
    pub fn new_in(dir: &Path, prefix: &str, suffix: &str) -> std::io::Result<TempFile> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let name = format!("{prefix}{}-{nanos:x}-{n}{suffix}", std::process::id());
            let path = dir.join(name);
            match std::fs::OpenOptions::new()
                .write(true)
                .read(true)
                .create_new(true)
                .open(&path)
            {
                Ok(file) => {
                    return Ok(TempFile {
                        path,
                        file,
                        kept: false,
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Where the file is now.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The open file.
    pub fn as_file(&self) -> &File {
        &self.file
    }

    /// Renames the file to `dest`, replacing what is there.
    pub fn persist(mut self, dest: &Path) -> std::io::Result<()> {
        std::fs::rename(&self.path, dest)?;
        self.kept = true;
        Ok(())
    }
}

impl std::io::Write for TempFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_regular_files_only() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("a.log");
        std::fs::write(&f, "x").unwrap();
        assert!(open_regular(&f).is_ok());
        assert!(
            open_regular(t.path())
                .unwrap_err()
                .contains("not a regular file")
        );
        assert!(
            open_regular(&t.path().join("missing"))
                .unwrap_err()
                .contains("cannot read")
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_never_blocks() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("pipe.log");
        let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(open_regular(&p).is_err());
    }
}
