//! `triage`: finds the job records of Claude Code's codex plugin, reads them faithfully,
//! matches every run against a library of known failure signatures and clusters the runs
//! into issue categories.
//!
//! The pipeline, one module per stage:
//! [`discover`] (roots and record files) → [`record`] (job JSON + index merge) and [`log`]
//! (log grammar) → [`rules`] (TOML model, one compiled matcher, self-tests) → [`classify`]
//! (run → findings with evidence) → [`cluster`] (grouping, cross-references, matrix) →
//! [`report`] (human, JSON, Markdown) → [`cli`].

pub mod classify;
pub mod cli;
pub mod cluster;
pub mod discover;
pub mod explain;
pub mod fsutil;
pub mod log;
pub mod matchtext;
pub mod matchtext_support;
pub mod record;
pub mod redact;
pub mod report;
pub mod rules;
pub mod run;
pub mod scan;
pub mod term_safe;
pub mod timefmt;
pub mod versions;
pub mod warn;
