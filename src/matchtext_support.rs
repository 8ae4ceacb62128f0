//! Helpers for free-text classification.

/// Whether a line of an issue body looks like tool output rather than prose: a log
/// timestamp, a `[codex]` prefix, an indented code line, a JSON fragment, an error prefix.
pub fn is_loglike(raw: &str) -> bool {
    let t = raw.trim_start_matches(['>', ' ']);
    raw.starts_with("    ")
        || raw.starts_with('\t')
        || t.starts_with("[codex]")
        || crate::log::split_timestamp(t.as_bytes()).is_some()
        || t.starts_with('{')
        || t.starts_with('"')
        || t.starts_with("Error")
        || t.starts_with("ERROR")
        || t.starts_with("error:")
        || t.starts_with("Command ")
        || t.starts_with("Codex error")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_are_recognised() {
        assert!(is_loglike("[codex] Command failed: x (exit -1)"));
        assert!(is_loglike("> [2026-11-26T13:16:35.549Z] Turn started (t)."));
        assert!(is_loglike("    at spawn (node:internal)"));
        assert!(!is_loglike(
            "I think the usage limit setting should be configurable."
        ));
    }
}
