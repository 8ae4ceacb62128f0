//! How a run ended: triage's [`Outcome`] and the reason in words, from the recorded status,
//! the facts of the log's ending, the last activity and the pid (docs/format.md §10). To change
//! how an outcome is decided, change [`decide`]; to read a new log-ending fact, add it to
//! [`LogEnding`] and its [`LineSink`] impl.

use crate::log::{LineInfo, LineKind, LineSink};
use crate::record::JobRecord;
use crate::timefmt::{Millis, format_iso, human_span};
use crate::vocab::{Outcome, SCOPE_ERROR, Status};

/// The reference time of a scan and the idle time after which an active run is stalled.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// "Now".
    pub now: Millis,
    /// An active run idle this long is stalled.
    pub stall_after: Millis,
}

/// What the log's entries say about how the run ended, besides pattern hits.
#[derive(Debug, Default)]
pub struct LogEnding {
    /// First entry timestamp.
    pub first_ts: Option<Millis>,
    /// Latest entry timestamp.
    pub last_ts: Option<Millis>,
    /// The last entry or block header: (line, text).
    pub last_entry: Option<(u64, String)>,
    /// The last entry that is not a block header.
    pub last_message: Option<(u64, String)>,
    /// The last `Codex error:` entry.
    pub last_error: Option<(u64, String)>,
    /// `Cancelled by user.` was logged.
    pub cancelled: bool,
    /// A `Final output` block was logged.
    pub final_output: bool,
    /// `Turn failed.` or `Turn interrupted.` was logged.
    pub turn_failed: bool,
}

impl LineSink for LogEnding {
    fn line(&mut self, number: u64, info: &LineInfo<'_>) {
        if !matches!(info.kind, LineKind::Entry | LineKind::BlockHeader) {
            return;
        }
        if let Some(ts) = info.ts {
            self.first_ts.get_or_insert(ts);
            self.last_ts = Some(self.last_ts.map_or(ts, |l| l.max(ts)));
        }
        let text = info.text;
        if info.kind == LineKind::BlockHeader {
            if text == b"Final output" {
                self.final_output = true;
            }
        } else if info.scopes & SCOPE_ERROR != 0 {
            self.last_error = Some((number, String::from_utf8_lossy(text).into_owned()));
        } else if text == b"Cancelled by user." {
            self.cancelled = true;
        } else if text == b"Turn failed." || text == b"Turn interrupted." {
            self.turn_failed = true;
        }
        if info.kind == LineKind::Entry {
            set_line(&mut self.last_message, number, text);
        }
        set_line(&mut self.last_entry, number, text);
    }
}

/// Replaces the text of a remembered line, reusing its buffer (this runs for every entry).
fn set_line(slot: &mut Option<(u64, String)>, number: u64, text: &[u8]) {
    let s = match slot {
        Some((n, s)) => {
            *n = number;
            s.clear();
            s
        }
        None => &mut slot.insert((number, String::new())).1,
    };
    match std::str::from_utf8(text) {
        Ok(t) => s.push_str(t),
        Err(_) => s.push_str(&String::from_utf8_lossy(text)),
    }
}

/// Triage's outcome and the reason in words (docs/format.md §10). The record's error message
/// in the reason is redacted by `redactor` (when given) before it is cut, so a cut cannot
/// leave half a token the redactor no longer recognises.
pub fn decide(
    rec: &JobRecord,
    lf: &LogEnding,
    last_activity: Option<Millis>,
    pid_alive: Option<bool>,
    clock: Clock,
    redactor: Option<&crate::redact::Redactor>,
) -> (Outcome, String) {
    let status = rec.status.as_ref();
    let idle = last_activity.map(|t| clock.now - t);
    let active = |what: &str| -> (Outcome, String) {
        let no_completed = if rec.completed_at.is_none() {
            ", no completedAt"
        } else {
            ""
        };
        if let (Some(false), Some(pid)) = (pid_alive, rec.pid) {
            return (
                Outcome::Stalled,
                format!("{what}{no_completed}, pid {pid} is not running: stalled"),
            );
        }
        match idle {
            Some(i) if i >= clock.stall_after => (
                Outcome::Stalled,
                // Absolute times and the threshold, not "59m 24s ago": exports must not
                // change from one second to the next.
                format!(
                    "{what}{no_completed}, no activity for over {} (last {}): stalled",
                    human_span(clock.stall_after),
                    last_activity.map(format_iso).unwrap_or_default()
                ),
            ),
            Some(_) => (
                Outcome::InProgress,
                format!(
                    "{what}, last activity {}",
                    last_activity.map(format_iso).unwrap_or_default()
                ),
            ),
            None => (Outcome::InProgress, format!("{what}, no timestamps")),
        }
    };
    match status {
        Some(Status::Completed) => (Outcome::Ok, "status completed".into()),
        Some(Status::Failed) => {
            let why = match &rec.error_message {
                Some(e) => format!(
                    "status failed: {}",
                    crate::redact::model::cap(redactor, e.lines().next().unwrap_or(""), 120)
                ),
                None if lf.last_error.is_some() => "status failed after a Codex error".into(),
                None => "status failed: the turn did not complete".into(),
            };
            (Outcome::Failed, why)
        }
        Some(Status::Cancelled) => (Outcome::Cancelled, "status cancelled".into()),
        Some(s @ (Status::Queued | Status::Running)) => active(&format!("status {}", s.as_str())),
        Some(Status::Other(s)) => infer_from_log(lf, &format!("unknown status `{s}`"), active),
        None => infer_from_log(lf, "no status recorded", active),
    }
}

/// For records without a usable status: read the log's ending (like the plugin's
/// `inferLegacyJobPhase`).
fn infer_from_log(
    lf: &LogEnding,
    what: &str,
    active: impl Fn(&str) -> (Outcome, String),
) -> (Outcome, String) {
    if lf.cancelled {
        (
            Outcome::Cancelled,
            format!("{what}; the log says `Cancelled by user.`"),
        )
    } else if lf.final_output && lf.turn_failed {
        (
            Outcome::Failed,
            format!("{what}; the log has a failed turn and a final output"),
        )
    } else if lf.final_output {
        (Outcome::Ok, format!("{what}; the log has a final output"))
    } else {
        active(what)
    }
}
