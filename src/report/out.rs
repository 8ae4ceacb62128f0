//! Where output goes: a file or standard output. The one place that knows a closed pipe
//! (`triage … | head`) is not an error and that large JSON is streamed, not built first.

use std::io::Write;
use std::path::{Path, PathBuf};

/// `-q/--quiet`: standard output is discarded (files named with `-o` are still written).
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Turns on `--quiet` for the rest of the process.
pub fn set_quiet() {
    QUIET.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Whether `--quiet` is on: nothing on stdout, no warnings.
pub fn is_quiet() -> bool {
    QUIET.load(std::sync::atomic::Ordering::Relaxed)
}

/// A destination for a report.
#[derive(Debug, Clone, Default)]
pub enum Output {
    /// Standard output.
    #[default]
    Stdout,
    /// A file, created or truncated.
    File(PathBuf),
}

impl Output {
    /// `--output FILE`, or stdout when the flag is absent or `-` (as in every Unix tool).
    pub fn from_flag(path: Option<&Path>) -> Output {
        match path {
            Some(p) if p != Path::new("-") => Output::File(p.to_path_buf()),
            _ => Output::Stdout,
        }
    }

    /// Writes `text` as is.
    pub fn text(&self, text: &str) -> anyhow::Result<()> {
        self.with(|w| w.write_all(text.as_bytes()))
    }

    /// Streams `value` as pretty JSON plus a newline.
    pub fn json(&self, value: &impl serde::Serialize) -> anyhow::Result<()> {
        self.with(|w| {
            serde_json::to_writer_pretty(&mut *w, value).map_err(std::io::Error::from)?;
            w.write_all(b"\n")
        })
    }

    /// Streams whatever `f` writes (NDJSON line by line), with the same error handling as
    /// [`Output::text`]; nothing is built in memory first.
    pub fn stream(
        &self,
        f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> anyhow::Result<()> {
        self.with(f)
    }

    fn with(&self, f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> anyhow::Result<()> {
        match self {
            Output::File(path) => {
                let cannot =
                    |e: std::io::Error| anyhow::anyhow!("cannot write {}: {e}", path.display());
                let file = std::fs::File::create(path).map_err(cannot)?;
                let mut w = std::io::BufWriter::with_capacity(256 * 1024, file);
                f(&mut w).and_then(|_| w.flush()).map_err(cannot)
            }
            Output::Stdout if is_quiet() => f(&mut std::io::sink()).map_err(Into::into),
            Output::Stdout => {
                let out = std::io::stdout().lock();
                let mut w = std::io::BufWriter::with_capacity(256 * 1024, out);
                match f(&mut w).and_then(|_| w.flush()) {
                    Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
                    _ => Ok(()),
                }
            }
        }
    }
}
