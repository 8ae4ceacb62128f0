//! Pid facts: whether a run's recorded process still lives. Only answerable for records
//! written on this machine (the record's `logFile` is the log being read) and only on Linux
//! (via `/proc`); `None` everywhere else, never a guess.

use std::path::Path;

/// Whether the recorded pid is alive, when that can be known here.
pub fn alive(
    pid: Option<i64>,
    recorded_log: Option<&str>,
    actual_log: Option<&Path>,
) -> Option<bool> {
    let local = match (recorded_log, actual_log) {
        (Some(recorded), Some(actual)) => {
            let a = std::fs::canonicalize(actual).ok();
            let b = std::fs::canonicalize(recorded).ok();
            a.is_some() && a == b
        }
        _ => false,
    };
    if local {
        pid.and_then(process_alive)
    } else {
        None
    }
}

/// Is `pid` alive on this machine? Only answerable on Linux via /proc; `None` elsewhere.
fn process_alive(pid: i64) -> Option<bool> {
    if cfg!(target_os = "linux") && pid > 0 {
        Some(Path::new("/proc").join(pid.to_string()).exists())
    } else {
        None
    }
}
