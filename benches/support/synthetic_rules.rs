//! The synthesized rules of the rule-scaling benchmarks, in one place for `benches/hot.rs`
//! (`#[path]`-included) and `examples/gen_corpus` (`--write-rules`, used by
//! `scripts/bench.sh`).
//!
//! A rule set of size N is the first N built-in rules (by path), topped up with synthesized
//! rules `synthetic-000`, `synthetic-001`, …: three patterns each (`error`, `log` and `output`
//! scope) built from common technical words, so they add real candidate lines to a scan.
//!
//! No dependency on the crate: callers pass the built-in files and the family list.

/// Common technical words the synthesized patterns are built from.
pub const WORDS: [&str; 40] = [
    "connection",
    "request",
    "module",
    "process",
    "sandbox",
    "token",
    "server",
    "timeout",
    "permission",
    "config",
    "socket",
    "session",
    "worker",
    "handler",
    "upstream",
    "gateway",
    "registry",
    "plugin",
    "storage",
    "cluster",
    "channel",
    "queue",
    "stream",
    "buffer",
    "cache",
    "index",
    "schema",
    "daemon",
    "runtime",
    "driver",
    "resolver",
    "manifest",
    "artifact",
    "bundle",
    "checksum",
    "credential",
    "endpoint",
    "listener",
    "mount",
    "tunnel",
];

/// Synthesized rule `i`: (path `<family>/synthetic-NNN.toml`, TOML text).
pub fn synthetic_rule(i: usize, families: &[&str]) -> (String, String) {
    let w = |k: usize| WORDS[k % WORDS.len()];
    let fam = families[i % families.len()];
    let id = format!("synthetic-{i:03}");
    let text = format!(
        r#"id = "{id}"
title = "Synthetic rule {i}"
family = "{fam}"
severity = "low"
status = "experimental"
description = "Synthesized for benchmarks."
fix = "Nothing to fix."

[match]
condition = "a or (b and c)"

[match.patterns]
a = {{ regex = '{} {} (?:failed|refused|timed out): \S+', in = "error" }}
b = {{ regex = '(?i){}[ _-]{} \d+', in = "log" }}
c = {{ literal = "{} {}", in = "output", case_insensitive = true }}
"#,
        w(i),
        w(i * 7 + 3),
        w(i * 3 + 1),
        w(i * 11 + 5),
        w(i * 5 + 2),
        w(i * 13 + 7),
    );
    (format!("{fam}/{id}.toml"), text)
}

/// A rule set of `n` files: the first `n` of `builtin` (sorted by path, the `rules/` prefix
/// dropped), topped up with synthesized rules.
pub fn rule_files(builtin: &[(&str, &str)], families: &[&str], n: usize) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = builtin
        .iter()
        .map(|(path, text)| {
            let rel = path.strip_prefix("rules/").unwrap_or(path);
            (rel.to_string(), text.to_string())
        })
        .collect();
    files.sort();
    files.truncate(n);
    let mut i = 0;
    while files.len() < n {
        files.push(synthetic_rule(i, families));
        i += 1;
    }
    files
}
