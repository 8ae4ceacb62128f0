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
    /// The JSON export (pretty; parsed and redacted value by value again here).
    pub export_json: String,
    /// Doctor facts (redacted here, value by value).
    pub doctor: Option<&'a Facts>,
    /// Applied to every file (on its parsed values or its lines) and name; `None` keeps
    /// everything (`--no-redact`).
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
fn index_entry(index: &Path, id: &str) -> Option<serde_json::Value> {
    let (bytes, _) = read_capped(index).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let entry = v
        .get("jobs")?
        .as_array()?
        .iter()
        .find(|j| j.get("id").and_then(|i| i.as_str()) == Some(id))?;
    Some(serde_json::json!({ "jobs": [entry] }))
}

/// One file of the bundle before redaction: a parsed JSON document (redacted value by
/// value) or text (redacted line by line).
enum Body {
    Json(serde_json::Value),
    Text(String),
}

impl Body {
    /// The file's text as read, for learning the user names it holds.
    fn learn_into(&self, r: &mut Redactor) {
        match self {
            Body::Json(v) => r.learn(&v.to_string()),
            Body::Text(t) => r.learn(t),
        }
    }

    /// The file's bytes, redacted by `r` when given.
    fn render(self, r: Option<&Redactor>) -> anyhow::Result<String> {
        Ok(match (self, r) {
            (Body::Json(mut v), Some(r)) => {
                crate::redact::json::redact_value(&mut v, r);
                serde_json::to_string_pretty(&v)? + "\n"
            }
            (Body::Json(v), None) => serde_json::to_string_pretty(&v)? + "\n",
            (Body::Text(t), Some(r)) => crate::redact::lines::redact_text(r, &t),
            (Body::Text(t), None) => t,
        })
    }
}

/// A job record's body: its parsed JSON, or its text and why it did not parse (a torn or cut
/// file), to be redacted line by line.
fn record_body(bytes: &[u8]) -> (Body, Option<String>) {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(v) => (Body::Json(v), None),
        Err(e) => (
            Body::Text(String::from_utf8_lossy(bytes).into_owned()),
            Some(e.to_string()),
        ),
    }
}

/// The files of the bundle (name, body) and the notes the README lists.
fn gather(c: &Contents, red_id: &dyn Fn(&str) -> String) -> (Vec<(String, Body)>, Vec<String>) {
    let mut files: Vec<(String, Body)> = Vec::new();
    let mut notes = Vec::new();
    match serde_json::from_str(&c.export_json) {
        Ok(v) => files.push(("export.json".into(), Body::Json(v))),
        Err(_) => files.push(("export.json".into(), Body::Text(c.export_json.clone()))),
    }
    if let Some(f) = c.doctor.and_then(|f| serde_json::to_value(f).ok()) {
        files.push(("doctor.json".into(), Body::Json(f)));
    }
    for (i, r) in c.runs.iter().enumerate() {
        // The workspace slug may be the user's name: the folder is named by position and id.
        let dir = format!("records/{:03}-{}", i + 1, safe_name(&red_id(&r.id)));
        if let Some(p) = r.sources.index.as_deref()
            && let Some(e) = index_entry(Path::new(p), &r.id)
        {
            files.push((format!("{dir}/state-entry.json"), Body::Json(e)));
        }
        for (src, name) in [
            (r.sources.record.as_deref(), "job.json"),
            (r.sources.log.as_deref(), "job.log"),
        ] {
            let Some(p) = src else { continue };
            let (bytes, cut) = match read_capped(Path::new(p)) {
                Ok(x) => x,
                Err(e) => {
                    notes.push(format!("{dir}/{name}: {e}"));
                    continue;
                }
            };
            if cut {
                notes.push(format!(
                    "{dir}/{name}: only the last {} MiB of the file",
                    MAX_FILE_BYTES >> 20
                ));
            }
            let body = if name == "job.json" {
                let (body, err) = record_body(&bytes);
                if let Some(e) = err {
                    notes.push(format!(
                        "{dir}/{name}: not valid JSON ({e}); {} line by line as text",
                        if c.redactor.is_some() {
                            "redacted"
                        } else {
                            "copied"
                        }
                    ));
                }
                body
            } else {
                Body::Text(String::from_utf8_lossy(&bytes).into_owned())
            };
            files.push((format!("{dir}/{name}"), body));
        }
    }
    (files, notes)
}

struct Writer<W: Write> {
    tar: tar::Builder<W>,
    mtime: u64,
    /// Names written, for the manifest.
    names: Vec<String>,
}

impl<W: Write> Writer<W> {
    /// Adds one file as it is: everything given here was redacted before.
    fn add(&mut self, name: &str, body: &str) -> anyhow::Result<()> {
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
///
/// Redaction is on the content, never on the archive's bytes: JSON files (the export, the
/// doctor facts, each `state.json` entry and job record) are parsed and redacted value by
/// value ([`crate::redact::json`]), logs line by line ([`crate::redact::lines`]); a job
/// record that is not valid JSON is redacted as text, and the README says so. The redactor
/// first learns the user names of every file, so a name is hidden wherever it appears.
pub fn write<W: Write>(out: W, c: &Contents) -> anyhow::Result<Vec<String>> {
    let gz = GzEncoder::new(out, Compression::default());
    let mut w = Writer {
        tar: tar::Builder::new(gz),
        mtime: c.mtime,
        names: Vec::new(),
    };
    let base = c.redactor;
    let red_id = |s: &str| base.map_or_else(|| s.to_string(), |r| r.redact(s).into_owned());
    let (files, notes) = gather(c, &red_id);
    let learned = base.map(|b| {
        let mut r = b.clone();
        for (_, body) in &files {
            body.learn_into(&mut r);
        }
        r
    });
    for (name, body) in files {
        let text = body.render(learned.as_ref())?;
        w.add(&name, &text)?;
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
        "Home paths, user names and secrets were replaced (`~`, `<user>`, `<redacted>`) in every file: \
         JSON files value by value (re-formatted, members in sorted order), logs line by line.\n"
    } else {
        "NOT redacted (--no-redact): check before sharing.\n"
    });
    for n in &notes {
        let n = learned
            .as_ref()
            .map_or_else(|| n.clone(), |r| r.redact(n).into_owned());
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
    fn a_record_that_does_not_parse_is_redacted_as_text_line_by_line() {
        let r = Redactor::new(Some("/home/alice"), Some("alice"));
        let torn = b"{\"id\": \"task-x\", \"cwd\": \"/home/alice/app\",\n\"key\": \"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nAAAAC3NzaC1lZDI1NTE5AAAA";
        let (body, err) = record_body(torn);
        assert!(err.is_some());
        let text = body.render(Some(&r)).expect("renders");
        assert_eq!(text.lines().count(), 4);
        assert!(
            !text.contains("alice") && !text.contains("MIIE") && !text.contains("AAAAC3"),
            "{text}"
        );
        assert!(text.contains("\"~/app\""), "{text}");
        // A record that parses is redacted value by value: an escape cannot hide a token.
        let escaped = br#"{"note": "push with \u0067hp_aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5", "DB_PASSWORD": "s3cretValue9"}"#;
        let (body, err) = record_body(escaped);
        assert!(err.is_none());
        let text = body.render(Some(&r)).expect("renders");
        let v: serde_json::Value = serde_json::from_str(&text).expect("still JSON");
        assert_eq!(v["note"], "push with <redacted>");
        assert!(
            !text.contains("aB3dE5") && !text.contains("s3cretValue9"),
            "{text}"
        );
    }

    #[test]
    fn names_are_safe() {
        assert_eq!(safe_name("task-abc-123"), "task-abc-123");
        assert_eq!(safe_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(safe_name(".."), "_");
    }
}
