//! Where output goes: a file or standard output. The one place that knows a closed pipe
//! (`triage … | head`) is not an error and that large JSON is streamed, not built first.

use std::io::Write;
use std::path::{Path, PathBuf};

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
    /// `--output FILE`, or stdout.
    pub fn from_flag(path: Option<&Path>) -> Output {
        path.map_or(Output::Stdout, |p| Output::File(p.to_path_buf()))
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
