//! The `explain` timeline: each entry with its time and the gap since the previous one,
//! blocks folded to their first line (unfolded with `-v`), the lines that proved a
//! signature marked, then where the run stopped, its outcome and why.

use crate::log::{Entry, ParsedLog, parse_log};
use crate::rules::RuleSet;
use crate::run::Run;
use crate::timefmt::{format_iso, human_span};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Gaps at least this long are flagged in the timeline.
const LONG_GAP_MS: i64 = 5 * 60_000;

/// Reads and parses the log of a run as it was recorded (before redaction: the model's paths
/// may no longer name the file). `None` when it has no log or the log cannot be read.
pub fn read_log(run: &Run) -> Option<ParsedLog> {
    let path = run.sources.log.as_ref()?;
    let file = crate::fsutil::open_regular(std::path::Path::new(&**path)).ok()?;
    parse_log(file).ok()
}

/// Renders a run's timeline from the run and its parsed log, both already redacted when
/// redaction was asked for ([`crate::redact::model`]): the renderer redacts nothing itself.
pub fn render(
    run: &Run,
    log: Option<&ParsedLog>,
    now: i64,
    rules: &RuleSet,
    verbose: bool,
) -> String {
    let mut o = String::new();
    header(&mut o, run);
    // Lines cited as evidence, per file: marked in the timeline.
    let mut marks: BTreeMap<u64, BTreeSet<&str>> = BTreeMap::new();
    for f in &run.findings {
        for e in &f.evidence {
            if Some(&e.file) == run.sources.log.as_ref()
                && let Some(l) = e.line
            {
                marks.entry(l).or_default().insert(f.signature.as_str());
            }
        }
    }
    let _ = writeln!(o, "\nTimeline:");
    match log {
        None => {
            let _ = writeln!(o, "  (no log)");
        }
        Some(log) => {
            let mut prev: Option<i64> = None;
            for e in &log.entries {
                entry(&mut o, e, &marks, &mut prev, verbose);
            }
            if log.lossy {
                let _ = writeln!(o, "  (the log is not valid UTF-8; shown lossily)");
            }
        }
    }
    ending(&mut o, run, now);
    signatures(&mut o, run, rules);
    o
}

/// The run's id, title, workspace, status line and source files.
fn header(o: &mut String, run: &Run) {
    let _ = writeln!(
        o,
        "{}  {}  {}",
        run.id,
        run.title.as_deref().unwrap_or("?"),
        run.workspace.root.as_deref().unwrap_or(&run.workspace.slug)
    );
    let _ = writeln!(
        o,
        "status {}  phase {}  outcome {}",
        run.status.as_ref().map(|s| s.as_str()).unwrap_or("?"),
        run.phase.as_deref().unwrap_or("?"),
        run.outcome.as_str()
    );
    for (k, v) in [
        ("record", &run.sources.record),
        ("log", &run.sources.log),
        ("index", &run.sources.index),
    ] {
        if let Some(v) = v {
            let _ = writeln!(o, "{k}: {v}");
        }
    }
}

/// One log entry: time, gap since `prev`, its head (a block folded unless `verbose`), and the
/// signatures whose evidence cites one of its lines.
fn entry(
    o: &mut String,
    e: &Entry,
    marks: &BTreeMap<u64, BTreeSet<&str>>,
    prev: &mut Option<i64>,
    verbose: bool,
) {
    let (time, delta) = match e.ts {
        Some(t) => {
            let d = prev.map(|p| t - p);
            *prev = Some(t);
            (format_iso(t).get(11..23).unwrap_or("").to_string(), d)
        }
        None => ("            ".into(), None),
    };
    let gap = match delta {
        Some(d) if d >= LONG_GAP_MS => format!("+{:<7}!", human_span(d)),
        Some(d) => format!("+{:<8}", human_span(d)),
        None => " ".repeat(9),
    };
    let mut lines_here: Vec<u64> = vec![e.line];
    lines_here.extend(e.more.iter().map(|(n, _)| *n));
    let sigs: BTreeSet<&str> = lines_here
        .iter()
        .filter_map(|n| marks.get(n))
        .flatten()
        .copied()
        .collect();
    let mark = if sigs.is_empty() { "  " } else { "▶ " };
    let head = match &e.block {
        Some(title) => {
            let first = e
                .more
                .iter()
                .map(|(_, t)| t.trim())
                .find(|t| !t.is_empty())
                .unwrap_or("");
            if verbose || first.is_empty() {
                format!("[{title}]")
            } else {
                format!("[{title}] {}", crate::run::cap_text(first, 100))
            }
        }
        None => crate::run::cap_text(&e.text, 160),
    };
    let _ = writeln!(o, "{mark}{:>5}  {time} {gap} {head}", e.line);
    let show_more = verbose || (e.block.is_none() && !e.more.is_empty());
    if show_more {
        for (n, t) in &e.more {
            let m = if marks.contains_key(n) { "▶ " } else { "  " };
            let _ = writeln!(o, "{m}{n:>5}  {:>23}   {}", "", t);
        }
    } else if e.block.is_some() && e.more.len() > 1 {
        let _ = writeln!(
            o,
            "  {:>5}  {:>23}   … {} more lines (-v to unfold)",
            "",
            "",
            e.more.len() - 1
        );
    }
    if !sigs.is_empty() {
        let _ = writeln!(
            o,
            "  {:>5}  {:>23}   ↳ {}",
            "",
            "",
            sigs.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
}

/// Where the run stopped, its error, outcome and last activity.
fn ending(o: &mut String, run: &Run, now: i64) {
    let _ = writeln!(
        o,
        "\nStopped: {}",
        match &run.last_entry {
            Some(l) => format!("line {}: {}", l.line.unwrap_or(0), l.text),
            None => "no log entries".into(),
        }
    );
    if let Some(e) = &run.error_message {
        let _ = writeln!(o, "Error: {e}");
    }
    let _ = writeln!(
        o,
        "Outcome: {} ({})",
        run.outcome.as_str(),
        run.outcome_reason
    );
    if let Some(t) = run.last_activity_at {
        let _ = writeln!(
            o,
            "Last activity: {} ({} ago)",
            format_iso(t),
            human_span(now - t)
        );
    }
}

/// Each finding with its evidence, fix and upstream references.
fn signatures(o: &mut String, run: &Run, rules: &RuleSet) {
    if run.findings.is_empty() {
        let _ = writeln!(o, "Signatures: none");
    } else {
        let _ = writeln!(o, "\nSignatures:");
        for f in &run.findings {
            let title = rules
                .get(&f.signature)
                .map(|r| r.file.title.as_str())
                .unwrap_or("");
            let _ = writeln!(o, "  [{}] {} — {}", f.severity.as_str(), f.signature, title);
            for e in &f.evidence {
                let at = match e.line {
                    Some(l) => format!("{}:{l}", e.file),
                    None => e.file.to_string(),
                };
                let _ = writeln!(o, "      {at}: {}", e.text);
            }
            if let Some(r) = rules.get(&f.signature) {
                let _ = writeln!(o, "    fix: {}", r.file.fix.trim());
                if !r.file.references.is_empty() {
                    let _ = writeln!(o, "    upstream: {}", r.file.references.join(", "));
                }
            }
        }
    }
}
