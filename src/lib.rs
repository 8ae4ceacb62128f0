//! `triage`: finds the job records of Claude Code's codex plugin, reads them faithfully,
//! matches every run against a library of known failure signatures and clusters the runs
//! into issue categories.
//!
//! # The pipeline
//! (Plain `names` are crate-private modules and items: `cargo doc --document-private-items`
//! shows them; links are public.)
//!
//! `discover` (roots and record files) → `read` (one job: [`record`] merge, then one pass
//! over its text in `classify::pass`, with `outcome`, `platform`, `versions`, `pid`
//! facts) → `classify` (a `read::ReadRun` → a `run::Run` with findings) → `cluster`
//! (grouping, cross-references, matrix) → `report` (human, JSON, Markdown) → [`cli`].
//! [`scan`] is the wiring of these stages and nothing else. [`vocab`] holds the words every
//! stage shares; stages import those, never each other's internals.
//!
//! # Key design decisions
//! - **One pass per file.** Every log line goes through the grammar ([`log::LogGrammar`])
//!   once and is pushed into [`log::LineSink`]s; one Aho-Corasick prefilter search per chunk
//!   finds the next line worth verifying, and only those lines run regexes
//!   ([`rules::matcher`]).
//! - **Runs are summaries.** A run being read carries its raw hits (`read::ReadRun`); it is
//!   classified as soon as it is read and only the summary (`run::Run`) is kept, so memory
//!   does not grow with the text scanned. Facts a rule needs across runs (the workspace
//!   split) are decided from discovery, before reading, so each run is classified once.
//! - **Runs leave memory as they are finished.** `scan` and `export --format json` use
//!   [`scan::stream`]: each run is spilled (serialised to an unlinked temporary file outside
//!   the scanned trees, [`scan::Spill`]), counted into the human report's bounded
//!   [`scan::Tally`] and into the cluster accumulator, then dropped; the reports are written
//!   from the spill in order (`report::streamed`), redacted run by run on the model.
//!   [`scan::scan`] keeps the list for the commands that need it (explain, bundle, Markdown).
//! - **Rules are data.** `rules/<family>/<id>.toml`, embedded in the binary, each with its own
//!   tests; the engine ([`rules`]) reads no records: its self-tests run through a
//!   [`rules::selftest::Harness`] the pipeline implements (`testjob`), in memory.
//! - **Never trust input.** Bad files give warnings naming file and line (`warn`); FIFOs
//!   and symlinks are not followed (`fsutil`, `discover`); nothing is ever written
//!   inside a scanned tree.
//!
//! # To change X, touch Y
//! | to change | touch |
//! |---|---|
//! | a signature | `rules/<family>/<id>.toml` (and its `[[tests]]`) |
//! | a structural rule condition (a state key) | one line of the `facts!` table in `src/rules/state.rs`, and the reader of the fact (`classify::facts`, `read::ExtraFacts`) |
//! | how an outcome is decided | `src/outcome.rs` (`outcome::decide`) |
//! | what the log grammar recognises | `src/log.rs` |
//! | a new data layout | `src/discover.rs` (and `vocab::StateRoot`) |
//! | an output format | `src/report/` (one file) and its format enum in `src/cli/args.rs` |
//! | a subcommand | one arm of the `Command` enum in `src/cli/args.rs` + one function in `src/cli/` |
//! | what is redacted | `redactors/detectors.toml` (data, with tests); the engine in `src/redact/`; which model fields, `src/redact/model.rs` |
//! | what a terminal may be sent | `src/term_safe.rs` (applied where record text is printed) |

#![deny(missing_docs)]

pub(crate) mod bundle;
pub(crate) mod classify;
pub mod cli;
pub(crate) mod cluster;
pub(crate) mod discover;
pub(crate) mod doctor;
pub(crate) mod explain;
pub(crate) mod fsutil;
pub mod history;
pub mod log;
pub mod matchtext;
pub(crate) mod matchtext_support;
pub mod mine;
pub(crate) mod outcome;
pub(crate) mod pid;
pub(crate) mod platform;
pub(crate) mod read;
pub mod record;
pub mod redact;
pub(crate) mod report;
pub mod rules;
pub(crate) mod run;
pub mod scan;
pub(crate) mod select;
pub mod term_safe;
pub(crate) mod testjob;
pub mod timefmt;
pub(crate) mod versions;
pub mod vocab;
pub(crate) mod warn;
