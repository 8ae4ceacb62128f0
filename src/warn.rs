//! Warnings about input that could not be read as expected. They never stop a scan.

use serde::Serialize;
use std::path::Path;
use std::sync::Mutex;

/// One problem with one input item: a torn JSON file, an unreadable directory, a wrong type.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Warning {
    /// The file or directory concerned.
    pub path: String,
    /// 1-based line within the file, when known.
    pub line: Option<u64>,
    /// What is wrong, and what triage did about it.
    pub message: String,
}

impl Warning {
    /// A warning about `path` with no line.
    pub fn new(path: &Path, message: impl Into<String>) -> Warning {
        Warning {
            path: path.display().to_string(),
            line: None,
            message: message.into(),
        }
    }

    /// A warning about a given line of `path`.
    pub fn at_line(path: &Path, line: u64, message: impl Into<String>) -> Warning {
        Warning {
            path: path.display().to_string(),
            line: Some(line),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.path, l, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

/// A thread-safe collector: stages running in parallel push here.
#[derive(Debug, Default)]
pub struct Warnings {
    items: Mutex<Vec<Warning>>,
}

impl Warnings {
    /// Records many warnings.
    pub fn extend(&self, ws: impl IntoIterator<Item = Warning>) {
        if let Ok(mut v) = self.items.lock() {
            v.extend(ws);
        }
    }

    /// All warnings, sorted and de-duplicated so reports are stable.
    pub fn into_sorted(self) -> Vec<Warning> {
        let mut v = self.items.into_inner().unwrap_or_default();
        v.sort();
        v.dedup();
        v
    }
}
