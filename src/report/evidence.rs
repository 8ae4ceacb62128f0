//! Evidence a bug report needs beyond the signature's own lines, read back from a run's log
//! for the few runs a report shows: the failing commands (`Command failed: … (exit -1)`) and
//! the last entries before the log ends. Bounded: one log, at most [`MAX_LOG_BYTES`].

use crate::log::parse_log;
use crate::redact::{Redactor, model::cap};
use regex::Regex;
use std::io::Read;
use std::path::Path;
use std::sync::LazyLock;

/// Continuation lines shown under one tail entry.
const MORE_LINES: usize = 3;

/// The most of one log read back for a report.
pub const MAX_LOG_BYTES: u64 = 32 << 20;

static COMMAND: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:\[codex\] )?Command (failed|declined|completed): .* \(exit (-?\d+|\?)\)$")
        .expect("valid regex")
});

/// What a log says about how a run went wrong.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogDetail {
    /// Failing commands (line, text), the first `max_failing` of them.
    pub failing: Vec<(u64, String)>,
    /// How many failing commands the log has.
    pub failing_total: usize,
    /// The last entries with a few of their continuation lines (line, text; line 0 for a
    /// "+N more lines" note).
    pub tail: Vec<(u64, String)>,
    /// Entries in the log.
    pub entries: usize,
}

/// Whether a log entry is a command that failed or was declined.
pub fn is_failing_command(text: &str) -> bool {
    COMMAND
        .captures(text.trim_end())
        .is_some_and(|c| &c[1] != "completed" || !matches!(&c[2], "0" | "?"))
}

/// Reads `path` (a job log) for the failing commands and its last `tail` entries. With a
/// redactor each text is redacted before it is capped (the entries shown, line by line: a
/// private-key block stays hidden across its lines).
pub fn read_log(
    path: &Path,
    max_failing: usize,
    tail: usize,
    redactor: Option<&Redactor>,
) -> Option<LogDetail> {
    let file = crate::fsutil::open_regular(path).ok()?;
    let parsed = parse_log(file.take(MAX_LOG_BYTES)).ok()?;
    let mut d = LogDetail {
        entries: parsed.entries.len(),
        ..LogDetail::default()
    };
    for e in &parsed.entries {
        if is_failing_command(&e.text) {
            d.failing_total += 1;
            if d.failing.len() < max_failing {
                d.failing
                    .push((e.line, cap(redactor, &e.text, crate::run::EVIDENCE_CHARS)));
            }
        }
    }
    let start = parsed.entries.len().saturating_sub(tail);
    let shown = &parsed.entries[start..];
    let redacted;
    let shown = match redactor {
        Some(r) => {
            redacted = crate::redact::model::redacted_entries(shown, r);
            &redacted[..]
        }
        None => shown,
    };
    for e in shown {
        d.tail.push((
            e.line,
            crate::run::cap_text(&e.text, crate::run::EVIDENCE_CHARS),
        ));
        // Continuation lines and block bodies say what the entry was (the error's detail,
        // the final output); a few of them, capped.
        for (l, t) in e.more.iter().take(MORE_LINES) {
            d.tail
                .push((*l, crate::run::cap_text(t, crate::run::EVIDENCE_CHARS)));
        }
        if e.more.len() > MORE_LINES {
            d.tail
                .push((0, format!("  (+{} more lines)", e.more.len() - MORE_LINES)));
        }
    }
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failing_commands() {
        assert!(is_failing_command(
            "Command failed: \"pwsh.exe\" -Command 'git status' (exit -1)"
        ));
        assert!(is_failing_command("Command declined: ls (exit ?)"));
        assert!(is_failing_command("Command completed: npm test (exit 1)"));
        assert!(!is_failing_command("Command completed: npm test (exit 0)"));
        assert!(!is_failing_command("Running command: npm test"));
    }
}
