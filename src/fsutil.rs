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
