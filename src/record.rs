//! Job records: `jobs/<id>.json` and the `state.json` index entry, read leniently (unknown
//! keys are fine, wrong types become warnings) and merged per id as docs/format.md §6 says:
//! the index wins for `status`, `phase`, `threadId`, `turnId`, `updatedAt`; the job file for
//! `result`, `rendered`, `request`.

use crate::timefmt::{Millis, parse_timestamp};
use crate::vocab::{Kind, Status};
use crate::warn::Warning;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::Path;

/// Largest JSON file parsed; bigger ones are reported and left out (records are KiBs).
pub const MAX_JSON_BYTES: u64 = 16 << 20;

/// One job, merged from its index entry and its job file.
#[derive(Debug, Clone, Default)]
pub struct JobRecord {
    /// Job id.
    pub id: Option<String>,
    /// Job kind.
    pub kind: Option<Kind>,
    /// `Codex Task`, `Codex Review`, …
    pub title: Option<String>,
    /// Git toplevel or cwd, as the plugin recorded it.
    pub workspace_root: Option<String>,
    /// Summary (index: first output line at completion; job file: the prompt).
    pub summary: Option<String>,
    /// Plugin status.
    pub status: Option<Status>,
    /// Plugin phase.
    pub phase: Option<String>,
    /// Recorded pid.
    pub pid: Option<i64>,
    /// Absolute log path at write time.
    pub log_file: Option<String>,
    /// Claude Code session id.
    pub session_id: Option<String>,
    /// Timestamps.
    pub created_at: Option<Millis>,
    /// When the runner started.
    pub started_at: Option<Millis>,
    /// Terminal time.
    pub completed_at: Option<Millis>,
    /// Index update time.
    pub updated_at: Option<Millis>,
    /// Codex thread id.
    pub thread_id: Option<String>,
    /// Codex turn id.
    pub turn_id: Option<String>,
    /// Exception message (failed by exception, cancelled).
    pub error_message: Option<String>,
    /// The text the command printed.
    pub rendered: Option<String>,
    /// `request.cwd` of background tasks.
    pub request_cwd: Option<String>,
    /// `request.model` of background tasks.
    pub request_model: Option<String>,
    /// The `result` payload.
    pub result: Option<Value>,
    /// `write`: the task was allowed to edit files (`--write`).
    pub write: Option<bool>,
}

/// Reads a field with the expected JSON type, warning on a wrong one.
struct FieldReader<'a> {
    obj: &'a Map<String, Value>,
    path: &'a Path,
    raw: Option<&'a [u8]>,
    warnings: &'a mut Vec<Warning>,
}

impl FieldReader<'_> {
    fn wrong_type(&mut self, key: &str, want: &str, got: &Value) {
        let line = self.raw.and_then(|r| line_of_key(r, key));
        let msg = format!(
            "field `{key}` is {}, expected {want}; ignored",
            type_name(got)
        );
        self.warnings.push(match line {
            Some(l) => Warning::at_line(self.path, l, msg),
            None => Warning::new(self.path, msg),
        });
    }

    fn string(&mut self, key: &str) -> Option<String> {
        match self.obj.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => {
                let other = other.clone();
                self.wrong_type(key, "a string", &other);
                None
            }
        }
    }

    fn time(&mut self, key: &str) -> Option<Millis> {
        let s = self.string(key)?;
        let t = parse_timestamp(&s);
        if t.is_none() {
            let line = self.raw.and_then(|r| line_of_key(r, key));
            let msg = format!("field `{key}` is not an ISO timestamp: {s:?}; ignored");
            self.warnings.push(match line {
                Some(l) => Warning::at_line(self.path, l, msg),
                None => Warning::new(self.path, msg),
            });
        }
        t
    }

    fn int(&mut self, key: &str) -> Option<i64> {
        match self.obj.get(key)? {
            Value::Number(n) => n.as_i64(),
            Value::Null => None,
            other => {
                let other = other.clone();
                self.wrong_type(key, "a number", &other);
                None
            }
        }
    }

    fn bool(&mut self, key: &str) -> Option<bool> {
        match self.obj.get(key)? {
            Value::Bool(b) => Some(*b),
            Value::Null => None,
            other => {
                let other = other.clone();
                self.wrong_type(key, "a boolean", &other);
                None
            }
        }
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The 1-based line in raw JSON text where `"key":` first appears (for `file:line`
/// evidence and warnings). The plugin pretty-prints one key per line.
pub fn line_of_key(raw: &[u8], key: &str) -> Option<u64> {
    let needle = format!("\"{key}\":");
    let pos = memchr::memmem::find(raw, needle.as_bytes())?;
    Some(memchr::memchr_iter(b'\n', &raw[..pos]).count() as u64 + 1)
}

impl JobRecord {
    /// Reads one JSON object (a job file or an index entry).
    pub fn from_object(
        obj: &Map<String, Value>,
        path: &Path,
        raw: Option<&[u8]>,
        warnings: &mut Vec<Warning>,
    ) -> JobRecord {
        let mut r = FieldReader {
            obj,
            path,
            raw,
            warnings,
        };
        let request = obj.get("request");
        let (request_cwd, request_model) = match request {
            Some(Value::Object(req)) => (
                req.get("cwd").and_then(Value::as_str).map(str::to_string),
                req.get("model").and_then(Value::as_str).map(str::to_string),
            ),
            Some(Value::Null) | None => (None, None),
            Some(other) => {
                let other = other.clone();
                r.wrong_type("request", "an object", &other);
                (None, None)
            }
        };
        JobRecord {
            id: r.string("id"),
            kind: r.string("kind").map(|s| Kind::parse(&s)),
            title: r.string("title"),
            workspace_root: r.string("workspaceRoot"),
            summary: r.string("summary"),
            status: r.string("status").map(|s| Status::parse(&s)),
            phase: r.string("phase"),
            pid: r.int("pid"),
            log_file: r.string("logFile"),
            session_id: r.string("sessionId"),
            created_at: r.time("createdAt"),
            started_at: r.time("startedAt"),
            completed_at: r.time("completedAt"),
            updated_at: r.time("updatedAt"),
            thread_id: r.string("threadId"),
            turn_id: r.string("turnId"),
            error_message: r.string("errorMessage"),
            rendered: r.string("rendered"),
            request_cwd,
            request_model,
            result: match obj.get("result") {
                Some(Value::Null) | None => None,
                Some(v) => Some(v.clone()),
            },
            write: r.bool("write"),
        }
    }

    /// Merges the index entry (`self`) with the job file: the index wins for the live
    /// fields, the job file for the payload, either fills the other's gaps.
    pub fn merge(index: Option<JobRecord>, file: Option<JobRecord>) -> JobRecord {
        let (i, f) = match (index, file) {
            (None, None) => return JobRecord::default(),
            (Some(i), None) => return i,
            (None, Some(f)) => return f,
            (Some(i), Some(f)) => (i, f),
        };
        let pid = if i.status.is_some() { i.pid } else { f.pid };
        JobRecord {
            id: f.id.or(i.id),
            kind: f.kind.or(i.kind),
            title: f.title.or(i.title),
            workspace_root: f.workspace_root.or(i.workspace_root),
            // The index summary is rewritten at completion with the output's first line:
            // more telling than the prompt.
            summary: i.summary.or(f.summary),
            status: i.status.or(f.status),
            phase: i.phase.or(f.phase),
            pid,
            log_file: f.log_file.or(i.log_file),
            session_id: f.session_id.or(i.session_id),
            created_at: f.created_at.or(i.created_at),
            started_at: i.started_at.or(f.started_at),
            completed_at: i.completed_at.or(f.completed_at),
            updated_at: i.updated_at.or(f.updated_at),
            thread_id: i.thread_id.or(f.thread_id),
            turn_id: i.turn_id.or(f.turn_id),
            error_message: f.error_message.or(i.error_message),
            rendered: f.rendered.or(i.rendered),
            request_cwd: f.request_cwd.or(i.request_cwd),
            request_model: f.request_model.or(i.request_model),
            result: f.result.or(i.result),
            write: f.write.or(i.write),
        }
    }
}

/// What reading a JSON file produced.
pub struct JsonFile {
    /// The parsed value, when it parsed.
    pub value: Option<Value>,
    /// The raw bytes (kept only while the run is processed, for `file:line` lookups).
    pub raw: Vec<u8>,
}

/// Reads and parses a JSON file leniently: empty, torn, oversized and non-JSON files give a
/// warning naming the file (and the line of the syntax error) and no value.
pub fn read_json(path: &Path, warnings: &mut Vec<Warning>) -> JsonFile {
    match read_raw(path, warnings) {
        Some(raw) => parse_json(path, raw, warnings),
        None => JsonFile {
            value: None,
            raw: Vec::new(),
        },
    }
}

/// Parses the bytes of a JSON file read from `path` (or held in memory under that name),
/// leniently: an empty or torn file is a warning and no value.
pub fn parse_json(path: &Path, raw: Vec<u8>, warnings: &mut Vec<Warning>) -> JsonFile {
    if is_blank(path, &raw, warnings) {
        return JsonFile { value: None, raw };
    }
    match serde_json::from_slice::<Value>(&raw) {
        Ok(v) => JsonFile {
            value: Some(v),
            raw,
        },
        Err(e) => {
            warnings.push(json_error(path, &e));
            JsonFile { value: None, raw }
        }
    }
}

/// Whether the bytes are empty or white space (a torn write), with a warning.
fn is_blank(path: &Path, raw: &[u8], warnings: &mut Vec<Warning>) -> bool {
    let blank = raw.iter().all(u8::is_ascii_whitespace);
    if blank {
        warnings.push(Warning::new(
            path,
            "empty file (a torn write?); no fields read",
        ));
    }
    blank
}

/// The warning for a JSON syntax error, at its line.
fn json_error(path: &Path, e: &serde_json::Error) -> Warning {
    let msg = format!("invalid JSON (a torn write?): {e}");
    let line = e.line() as u64;
    if line > 0 {
        Warning::at_line(path, line, msg)
    } else {
        Warning::new(path, msg)
    }
}

/// The bytes of a JSON file, or `None` (with a warning) when it is missing, not a regular
/// file or larger than [`MAX_JSON_BYTES`].
fn read_raw(path: &Path, warnings: &mut Vec<Warning>) -> Option<Vec<u8>> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            warnings.push(Warning::new(path, format!("cannot read: {e}")));
            return None;
        }
    };
    if !meta.is_file() {
        warnings.push(Warning::new(path, "not a regular file; skipped"));
        return None;
    }
    if meta.len() > MAX_JSON_BYTES {
        warnings.push(Warning::new(
            path,
            format!(
                "{} bytes is more than the {} MiB a job record can be; not read",
                meta.len(),
                MAX_JSON_BYTES >> 20
            ),
        ));
        return None;
    }
    match read_capped(path, MAX_JSON_BYTES) {
        Ok(r) => Some(r),
        Err(e) => {
            warnings.push(Warning::new(path, format!("cannot read: {e}")));
            None
        }
    }
}

/// Reads at most `cap` bytes of a regular file (the file may grow while we read it).
fn read_capped(path: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let f = crate::fsutil::open_regular(path).map_err(std::io::Error::other)?;
    let mut raw = Vec::new();
    f.take(cap).read_to_end(&mut raw)?;
    Ok(raw)
}

/// The `state.json` index of one state directory.
#[derive(Debug, Default)]
pub struct Index {
    /// Entries by job id, in file order.
    pub entries: HashMap<String, JobRecord>,
    /// Ids in file order (newest-updated first, as the plugin saves them).
    pub order: Vec<String>,
    /// `config.stopReviewGate`.
    pub stop_review_gate: Option<bool>,
}

/// The plugin keeps at most this many jobs per workspace (docs/format.md §2: 50-job pruning).
pub const PLUGIN_MAX_JOBS: usize = 50;
/// An index with more entries than this is not one the plugin wrote: it gets a warning.
pub const INDEX_WARN_ENTRIES: usize = 10 * PLUGIN_MAX_JOBS;
/// At most this many index entries are read; the rest are counted and skipped, so that
/// a hostile index costs bounded memory and time.
pub const INDEX_MAX_ENTRIES: usize = 1000;

/// `state.json` as read: the `jobs` array keeps its first [`INDEX_MAX_ENTRIES`] entries
/// as values and only counts the others (skipped without being built).
struct IndexDoc {
    stop_review_gate: Option<bool>,
    jobs: JobsField,
}

enum JobsField {
    Missing,
    NotArray(&'static str),
    Array { kept: Vec<Value>, total: usize },
}

impl<'de> serde::Deserialize<'de> for IndexDoc {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = IndexDoc;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<IndexDoc, A::Error> {
                let mut doc = IndexDoc {
                    stop_review_gate: None,
                    jobs: JobsField::Missing,
                };
                while let Some(key) = m.next_key::<String>()? {
                    match key.as_str() {
                        "config" => {
                            let v: Value = m.next_value()?;
                            doc.stop_review_gate = v.get("stopReviewGate").and_then(Value::as_bool);
                        }
                        "jobs" => doc.jobs = m.next_value::<JobsField>()?,
                        _ => {
                            m.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(doc)
            }
        }
        d.deserialize_map(V)
    }
}

impl<'de> serde::Deserialize<'de> for JobsField {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = JobsField;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut s: A,
            ) -> Result<JobsField, A::Error> {
                let mut kept = Vec::new();
                let mut total = 0;
                loop {
                    if kept.len() < INDEX_MAX_ENTRIES {
                        match s.next_element::<Value>()? {
                            Some(v) => kept.push(v),
                            None => break,
                        }
                    } else if s.next_element::<serde::de::IgnoredAny>()?.is_none() {
                        break;
                    }
                    total += 1;
                }
                Ok(JobsField::Array { kept, total })
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<JobsField, A::Error> {
                while m
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(JobsField::NotArray("an object"))
            }
            fn visit_bool<E>(self, _: bool) -> Result<JobsField, E> {
                Ok(JobsField::NotArray("a boolean"))
            }
            fn visit_i64<E>(self, _: i64) -> Result<JobsField, E> {
                Ok(JobsField::NotArray("a number"))
            }
            fn visit_u64<E>(self, _: u64) -> Result<JobsField, E> {
                Ok(JobsField::NotArray("a number"))
            }
            fn visit_f64<E>(self, _: f64) -> Result<JobsField, E> {
                Ok(JobsField::NotArray("a number"))
            }
            fn visit_str<E>(self, _: &str) -> Result<JobsField, E> {
                Ok(JobsField::NotArray("a string"))
            }
            fn visit_unit<E>(self) -> Result<JobsField, E> {
                Ok(JobsField::NotArray("null"))
            }
        }
        d.deserialize_any(V)
    }
}

/// Reads `state.json` leniently. A missing `jobs` array, entries that are not objects or have
/// no id are warned about and skipped. An index far beyond the plugin's 50 jobs per
/// workspace is warned about, and only its first [`INDEX_MAX_ENTRIES`] entries are read.
pub fn read_index(path: &Path, warnings: &mut Vec<Warning>) -> Index {
    let mut index = Index::default();
    let Some(raw) = read_raw(path, warnings) else {
        return index;
    };
    if is_blank(path, &raw, warnings) {
        return index;
    }
    let doc = match serde_json::from_slice::<IndexDoc>(&raw) {
        Ok(d) => d,
        Err(e) if e.classify() == serde_json::error::Category::Data => {
            warnings.push(Warning::new(path, "index is not a JSON object; ignored"));
            return index;
        }
        Err(e) => {
            warnings.push(json_error(path, &e));
            return index;
        }
    };
    index.stop_review_gate = doc.stop_review_gate;
    let (jobs, total) = match doc.jobs {
        JobsField::Array { kept, total } => (kept, total),
        JobsField::Missing => return index,
        JobsField::NotArray(kind) => {
            let line = line_of_key(&raw, "jobs");
            let msg = format!("field `jobs` is {kind}, expected an array; ignored");
            warnings.push(match line {
                Some(l) => Warning::at_line(path, l, msg),
                None => Warning::new(path, msg),
            });
            return index;
        }
    };
    drop(raw);
    if total > INDEX_WARN_ENTRIES {
        let read = if total > INDEX_MAX_ENTRIES {
            format!("only the first {INDEX_MAX_ENTRIES} entries are read")
        } else {
            "its entries are read".to_string()
        };
        warnings.push(Warning::new(
            path,
            format!(
                "index lists {total} jobs, far beyond the {PLUGIN_MAX_JOBS} per workspace the plugin keeps (not an index it wrote?); {read}"
            ),
        ));
    }
    for (n, job) in jobs.iter().enumerate() {
        let Value::Object(obj) = job else {
            warnings.push(Warning::new(
                path,
                format!(
                    "jobs[{n}] is {}, expected an object; skipped",
                    type_name(job)
                ),
            ));
            continue;
        };
        // One warning for an entry with an unusable id, not one for the type and one more
        // for the missing id.
        if let Some(v) = obj.get("id").filter(|v| !v.is_string() && !v.is_null()) {
            warnings.push(Warning::new(
                path,
                format!(
                    "jobs[{n}]: field `id` is {}, expected a string; skipped",
                    type_name(v)
                ),
            ));
            continue;
        }
        // Line lookups in a 50-entry index would all find the first entry; skip them.
        let rec = JobRecord::from_object(obj, path, None, warnings);
        match rec.id.clone() {
            Some(id) => {
                if !index.entries.contains_key(&id) {
                    index.order.push(id.clone());
                }
                index.entries.insert(id, rec);
            }
            None => warnings.push(Warning::new(
                path,
                format!("jobs[{n}] has no `id`; skipped"),
            )),
        }
    }
    index
}

/// Decodes the creation time from a job id (`task-<base36 ms>-<random>`).
pub fn time_from_id(id: &str) -> Option<Millis> {
    let mut parts = id.split('-');
    let prefix = parts.next()?;
    if !matches!(prefix, "task" | "review" | "job") {
        return None;
    }
    let mid = parts.next()?;
    if mid.is_empty() || mid.len() > 11 {
        return None;
    }
    let ms = i64::from_str_radix(mid, 36).ok()?;
    // Plausible range only: 2020 .. 2100.
    (1_577_836_800_000..4_102_444_800_000)
        .contains(&ms)
        .then_some(ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(v: Value) -> (JobRecord, Vec<Warning>) {
        let mut w = Vec::new();
        let r = JobRecord::from_object(v.as_object().unwrap(), Path::new("x.json"), None, &mut w);
        (r, w)
    }

    #[test]
    fn wrong_types_warn_and_are_ignored() {
        let (r, w) = rec(
            json!({"id": "task-a-b", "status": 3, "pid": "12", "createdAt": "yesterday", "extra": {"x": 1}}),
        );
        assert_eq!(r.id.as_deref(), Some("task-a-b"));
        assert_eq!(r.status, None);
        assert_eq!(r.pid, None);
        assert_eq!(r.created_at, None);
        assert_eq!(w.len(), 3, "{w:?}");
        assert!(w[0].message.contains("`status` is a number"));
    }

    #[test]
    fn index_wins_for_live_fields_job_file_for_payload() {
        let (idx, _) = rec(
            json!({"id": "t", "status": "running", "phase": "starting", "turnId": "turn_1", "summary": "first line", "pid": 5}),
        );
        let (file, _) = rec(
            json!({"id": "t", "status": "queued", "phase": "queued", "rendered": "out", "summary": "prompt", "pid": 4, "request": {"cwd": "/x", "model": "gpt-5.4"}}),
        );
        let m = JobRecord::merge(Some(idx), Some(file));
        assert_eq!(m.status, Some(Status::Running));
        assert_eq!(m.phase.as_deref(), Some("starting"));
        assert_eq!(m.turn_id.as_deref(), Some("turn_1"));
        assert_eq!(m.rendered.as_deref(), Some("out"));
        assert_eq!(m.summary.as_deref(), Some("first line"));
        assert_eq!(m.pid, Some(5));
        assert_eq!(m.request_cwd.as_deref(), Some("/x"));
        assert_eq!(m.request_model.as_deref(), Some("gpt-5.4"));
    }

    #[test]
    fn torn_and_empty_index_files_warn() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("state.json");
        std::fs::write(
            &p,
            "{\n  \"version\": 1,\n  \"jobs\": [\n    {\"id\": \"task-",
        )
        .unwrap();
        let mut w = Vec::new();
        let idx = read_index(&p, &mut w);
        assert!(idx.entries.is_empty());
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].line, Some(4));
        std::fs::write(&p, "").unwrap();
        let mut w = Vec::new();
        read_index(&p, &mut w);
        assert!(w[0].message.contains("empty"));
    }

    #[test]
    fn index_skips_bad_entries() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("state.json");
        std::fs::write(&p, r#"{"version":1,"config":{"stopReviewGate":true},"jobs":[{"id":"task-a-1","status":"running"}, 7, {"status":"failed"}]}"#).unwrap();
        let mut w = Vec::new();
        let idx = read_index(&p, &mut w);
        assert_eq!(idx.order, vec!["task-a-1"]);
        assert_eq!(idx.stop_review_gate, Some(true));
        assert_eq!(w.len(), 2);
    }

    #[test]
    fn decodes_time_from_job_ids() {
        assert_eq!(
            time_from_id("task-mwxjl1n3-abcdef"),
            Some(1_795_696_923_279)
        );
        assert_eq!(time_from_id("foo-mwxjl1n3-abcdef"), None);
        assert_eq!(time_from_id("task-zzzzzzzzzzzzzz-a"), None);
    }

    #[test]
    fn finds_key_lines() {
        let raw = b"{\n  \"id\": \"x\",\n  \"errorMessage\": \"boom\"\n}\n";
        assert_eq!(line_of_key(raw, "errorMessage"), Some(3));
        assert_eq!(line_of_key(raw, "nope"), None);
    }
}
