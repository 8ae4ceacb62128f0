//! `triage bundle`: one `.tar.gz` to attach to an issue, holding the records of the selected
//! runs (index entry, job JSON, log), the doctor facts and the JSON export. Every file and
//! every file name goes through the export's redaction; nothing is written inside a scanned
//! tree.

use crate::doctor::Facts;
use crate::redact::Redactor;
use crate::run::Run;
use anyhow::Context as _;
use flate2::Compression;
use flate2::write::GzEncoder;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The most of one record file put in a bundle; longer logs keep their end (where runs fail).
pub const MAX_FILE_BYTES: u64 = 8 << 20;

/// The top folder inside the archive.
pub const ROOT: &str = "triage-bundle";

/// What goes in.
pub struct Contents<'a> {
    /// The selected runs.
    pub runs: &'a [Run],
    /// The JSON export (pretty, not yet redacted).
    pub export_json: String,
    /// Doctor facts (not yet redacted).
    pub doctor: Option<&'a Facts>,
    /// Applied to every file and name; `None` keeps everything (`--no-redact`).
    pub redactor: Option<&'a Redactor>,
    /// Archive entry time (the scan's reference time, for reproducible bundles).
    pub mtime: u64,
}

/// A file name safe in any archive: the run id's own characters, nothing else.
fn safe_name(s: &str) -> String {
    let t: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let t = t.trim_matches('.').to_string();
    if t.is_empty() { "_".into() } else { t }
}

/// Reads at most [`MAX_FILE_BYTES`] of a record file, keeping its end when it is longer.
fn read_capped(path: &Path) -> Result<(Vec<u8>, bool), String> {
    use std::io::{Seek, SeekFrom};
    let mut f = crate::fsutil::open_regular(path)?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let cut = len > MAX_FILE_BYTES;
    if cut {
        f.seek(SeekFrom::Start(len - MAX_FILE_BYTES))
            .map_err(|e| format!("cannot seek: {e}"))?;
    }
    let mut buf = Vec::new();
    f.take(MAX_FILE_BYTES)
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read: {e}"))?;
    Ok((buf, cut))
}

/// The `state.json` entry of one job, as a small index of its own: the full index lists
/// other runs, which were not selected.
fn index_entry(index: &Path, id: &str) -> Option<String> {
    let (bytes, _) = read_capped(index).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let entry = v
        .get("jobs")?
        .as_array()?
        .iter()
        .find(|j| j.get("id").and_then(|i| i.as_str()) == Some(id))?;
    serde_json::to_string_pretty(&serde_json::json!({ "jobs": [entry] })).ok()
}

struct Writer<'a, W: Write> {
    tar: tar::Builder<W>,
    redactor: Option<&'a Redactor>,
    mtime: u64,
    /// Names written, for the manifest.
    names: Vec<String>,
}

impl<W: Write> Writer<'_, W> {
    fn red(&self, s: &str) -> String {
        match self.redactor {
            Some(r) => r.redact(s).into_owned(),
            None => s.to_string(),
        }
    }

    fn add(&mut self, name: &str, text: &str) -> anyhow::Result<()> {
        let body = self.red(text);
        let mut h = tar::Header::new_gnu();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(self.mtime);
        h.set_entry_type(tar::EntryType::Regular);
        let full = format!("{ROOT}/{name}");
        self.tar
            .append_data(&mut h, &full, body.as_bytes())
            .with_context(|| format!("cannot add {full}"))?;
        self.names.push(name.to_string());
        Ok(())
    }
}

/// Writes the bundle to `out` (gzip-compressed tar); returns the names of its files.
pub fn write<W: Write>(out: W, c: &Contents) -> anyhow::Result<Vec<String>> {
    let gz = GzEncoder::new(out, Compression::default());
    let mut w = Writer {
        tar: tar::Builder::new(gz),
        redactor: c.redactor,
        mtime: c.mtime,
        names: Vec::new(),
    };
    let mut notes = Vec::new();
    w.add("export.json", &c.export_json)?;
    if let Some(f) = c.doctor {
        w.add("doctor.json", &(serde_json::to_string_pretty(f)? + "\n"))?;
    }
    for (i, r) in c.runs.iter().enumerate() {
        // The workspace slug may be the user's name: the folder is named by position and id.
        let dir = format!("records/{:03}-{}", i + 1, safe_name(&r.id));
        if let Some(p) = r.sources.index.as_deref()
            && let Some(e) = index_entry(Path::new(p), &r.id)
        {
            w.add(&format!("{dir}/state-entry.json"), &e)?;
        }
        for (src, name) in [
            (r.sources.record.as_deref(), "job.json"),
            (r.sources.log.as_deref(), "job.log"),
        ] {
            let Some(p) = src else { continue };
            match read_capped(Path::new(p)) {
                Ok((bytes, cut)) => {
                    if cut {
                        notes.push(format!(
                            "{dir}/{name}: only the last {} MiB of the file",
                            MAX_FILE_BYTES >> 20
                        ));
                    }
                    w.add(&format!("{dir}/{name}"), &String::from_utf8_lossy(&bytes))?;
                }
                Err(e) => notes.push(format!("{dir}/{name}: {e}")),
            }
        }
    }
    let mut readme = format!(
        "triage bundle: {} run(s), made by triage {}.\n\n\
         export.json   the JSON export of these runs (schema in triage's schema/ folder)\n\
         doctor.json   `triage doctor --format json` of the machine that made the bundle\n\
         records/      per run: its state.json entry, job JSON and log as the plugin wrote them\n\n",
        c.runs.len(),
        env!("CARGO_PKG_VERSION")
    );
    readme.push_str(if c.redactor.is_some() {
        "Home paths, user names and secrets were replaced (`~`, `<user>`, `<redacted>`) in every file.\n"
    } else {
        "NOT redacted (--no-redact): check before sharing.\n"
    });
    for n in &notes {
        readme.push_str(&format!("note: {n}\n"));
    }
    w.add("README.txt", &readme)?;
    let names = std::mem::take(&mut w.names);
    let gz = w.tar.into_inner().context("cannot finish the archive")?;
    gz.finish().context("cannot finish the compression")?;
    Ok(names)
}

/// Refuses an output inside one of the scanned trees (triage never writes there).
pub fn check_output(out: &Path, roots: &[PathBuf]) -> anyhow::Result<()> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let parent = std::fs::canonicalize(parent)
        .with_context(|| format!("{}: the folder does not exist", out.display()))?;
    for r in roots {
        if let Ok(r) = std::fs::canonicalize(r) {
            let r = if r.is_file() {
                r.parent().map(Path::to_path_buf).unwrap_or(r)
            } else {
                r
            };
            if parent.starts_with(&r) {
                anyhow::bail!(
                    "{} is inside the scanned tree {}; triage never writes there (pass -o elsewhere)",
                    out.display(),
                    r.display()
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe() {
        assert_eq!(safe_name("task-abc-123"), "task-abc-123");
        assert_eq!(safe_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(safe_name(".."), "_");
    }
}
