//! The human report of `triage scan`: read in ten seconds. A summary line, the clusters
//! (title, count, fix, references, distinct-from), the runs that need attention with their
//! decisive line, and a count of the healthy ones.

use super::plural;
use super::style::Style;
use crate::cluster::{Cluster, Order};
use crate::run::Run;
use crate::scan::{ScanResult, Scanned, needs_attention};
use crate::select;
use crate::term_safe;
use crate::timefmt::Millis;
use crate::timefmt::human_span;
use crate::vocab::Outcome;
use crate::vocab::Severity;
use crate::warn::Warning;
use std::fmt::Write as _;

/// Wraps `text` to `width` columns after an indent.
fn wrap(text: &str, indent: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && indent.len() + line.len() + 1 + word.len() > width {
            let _ = writeln!(out, "{indent}{line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{indent}{line}");
    }
    out
}

/// First sentence or two of a fix, to keep the report short.
fn short_fix(fix: &str) -> String {
    let mut out = String::new();
    for (n, sentence) in fix.split_inclusive(". ").enumerate() {
        if n >= 3 || out.len() + sentence.len() > 400 {
            break;
        }
        out.push_str(sentence);
    }
    if out.is_empty() {
        crate::run::cap_text(fix, 400)
    } else {
        out.trim().to_string()
    }
}

/// The most severe signature of a completed run when it is high or critical: such a run
/// finished, but is not plainly `ok` (e.g. every shell command died in the sandbox).
fn flagged_ok(r: &Run) -> Option<crate::vocab::Severity> {
    let worst = r.findings.iter().map(|f| f.severity).max()?;
    (r.outcome == Outcome::Ok && worst >= crate::vocab::Severity::High).then_some(worst)
}

/// The outcome as shown to people: `ok, but high signature` for a flagged completed run.
fn outcome_label(r: &Run) -> String {
    match flagged_ok(r) {
        Some(sev) => format!("ok, but {} signature", sev.as_str()),
        None => r.outcome.as_str().to_string(),
    }
}

/// Runs needing attention the human report lists; the rest are counted (`+N more`).
pub const ATTENTION_SHOWN: usize = 50;

/// What the human report needs of the runs, counted as they are finished: outcome counts,
/// the oldest run, the worst severity, and the first `ATTENTION_SHOWN` (50) runs needing
/// attention (in the run list's order). Bounded whatever the number of runs.
#[derive(Debug, Default)]
pub struct Tally {
    /// Runs counted.
    pub total: usize,
    /// Per outcome of [`Outcome::ALL`]: runs, and those flagged (`ok, but high`).
    outcomes: [(usize, usize); Outcome::ALL.len()],
    /// Runs needing attention.
    pub attention_total: usize,
    /// The first of them by order (more may be held until [`Tally::attention`] sorts).
    attention: Vec<(Order, Run)>,
    /// Earliest creation time.
    pub oldest: Option<Millis>,
    /// The most severe finding of any run.
    pub worst: Option<Severity>,
}

impl Tally {
    /// The tally of `runs`, in their order.
    pub fn of(runs: &[Run]) -> Tally {
        let mut t = Tally::default();
        for (i, r) in runs.iter().enumerate() {
            let order = Order {
                created_at: None,
                id: String::new(),
                seq: i as u64,
            };
            t.add_ref(r, order);
        }
        t
    }

    /// Counts `run` at `order` (kept only when it is among the first needing attention).
    pub fn add(&mut self, run: Run, order: Order) {
        if self.count(&run) {
            self.keep(run, order);
        }
    }

    fn add_ref(&mut self, run: &Run, order: Order) {
        if self.count(run) {
            self.keep(run.clone(), order);
        }
    }

    /// Counts `run`; whether it needs attention.
    fn count(&mut self, run: &Run) -> bool {
        self.total += 1;
        if let Some(i) = Outcome::ALL.iter().position(|o| *o == run.outcome) {
            self.outcomes[i].0 += 1;
            if flagged_ok(run).is_some() {
                self.outcomes[i].1 += 1;
            }
        }
        if let Some(t) = run.created_at {
            self.oldest = Some(self.oldest.map_or(t, |o| o.min(t)));
        }
        if let Some(w) = run.findings.iter().map(|f| f.severity).max() {
            self.worst = Some(self.worst.map_or(w, |o| o.max(w)));
        }
        let needs = needs_attention(run);
        if needs {
            self.attention_total += 1;
        }
        needs
    }

    fn keep(&mut self, run: Run, order: Order) {
        self.attention.push((order, run));
        // Sorted and cut now and then, so at most twice the shown runs are ever held.
        if self.attention.len() >= 2 * ATTENTION_SHOWN {
            self.trim();
        }
    }

    fn trim(&mut self) {
        self.attention.sort_by(|a, b| a.0.cmp(&b.0));
        self.attention.truncate(ATTENTION_SHOWN);
    }

    /// The first runs needing attention, in order, at most `ATTENTION_SHOWN`.
    pub fn attention(&mut self) -> &[(Order, Run)] {
        self.trim();
        &self.attention
    }

    /// The same tally with its kept runs replaced (redacted) by `f`.
    pub fn map_runs(mut self, f: impl Fn(&Run) -> Run) -> Tally {
        self.trim();
        self.attention = self
            .attention
            .iter()
            .map(|(o, r)| (o.clone(), f(r)))
            .collect();
        self
    }

    /// `2 failed, 1 stalled, 31 ok (2 with a high signature)`, or `no runs`.
    pub fn outcome_counts(&self) -> String {
        let mut parts = Vec::new();
        for (o, &(n, flagged)) in Outcome::ALL.iter().zip(&self.outcomes) {
            if n == 0 {
                continue;
            }
            if flagged > 0 {
                parts.push(format!(
                    "{n} {} ({flagged} with a high or critical signature)",
                    o.as_str()
                ));
            } else {
                parts.push(format!("{n} {}", o.as_str()));
            }
        }
        if parts.is_empty() {
            "no runs".into()
        } else {
            parts.join(", ")
        }
    }
}

/// Templates shown per unclassified cluster.
const TEMPLATES_SHOWN: usize = 3;

/// An unclassified cluster's templates, the values their variables took, when it was seen
/// and on which versions (empty for a signature's cluster). Record text: terminal-safe.
pub fn template_lines(c: &crate::cluster::Cluster, indent: &str) -> String {
    let mut o = template_list(c, indent);
    if o.is_empty() {
        return o;
    }
    let when = |t: Option<crate::timefmt::Millis>| {
        t.map(crate::timefmt::format_iso)
            .unwrap_or_else(|| "unknown".into())
    };
    let versions = |v: &[String]| {
        if v.is_empty() {
            "unknown".to_string()
        } else {
            term_safe::line(&v.join(", ")).into_owned()
        }
    };
    let _ = writeln!(
        o,
        "{indent}seen: {} .. {}; plugin {}; CLI {}",
        when(c.first_seen),
        when(c.last_seen),
        versions(&c.plugin_versions),
        versions(&c.cli_versions)
    );
    o
}

/// An unclassified cluster's templates with the values their variables took, one line each
/// (empty for a signature's cluster). Record text: terminal-safe.
pub fn template_list(c: &crate::cluster::Cluster, indent: &str) -> String {
    let mut o = String::new();
    for t in c.templates.iter().take(TEMPLATES_SHOWN) {
        let _ = writeln!(
            o,
            "{indent}template ({}, {}): {}",
            t.source,
            plural(t.count as usize, "run", "runs"),
            term_safe::line(&t.template)
        );
        for v in &t.variables {
            let more = v.distinct.saturating_sub(v.examples.len() as u64);
            let tail = if more > 0 {
                format!(", … ({} distinct)", v.distinct)
            } else {
                String::new()
            };
            let _ = writeln!(
                o,
                "{indent}  {} #{}: {}{tail}",
                v.placeholder,
                v.position,
                term_safe::line(&v.examples.join(", "))
            );
        }
    }
    if c.templates.len() > TEMPLATES_SHOWN {
        let _ = writeln!(
            o,
            "{indent}(+{} more templates)",
            c.templates.len() - TEMPLATES_SHOWN
        );
    }
    o
}

/// What the human report shows: the totals, clusters and warnings of a scan and the
/// [`Tally`] of its runs (so a streamed scan renders without its runs).
#[derive(Debug)]
pub struct View<'a> {
    /// Totals.
    pub scanned: &'a Scanned,
    /// Clusters.
    pub clusters: &'a [Cluster],
    /// Warnings.
    pub warnings: &'a [Warning],
    /// The runs, counted.
    pub tally: &'a mut Tally,
    /// The reference time.
    pub now: Millis,
}

/// Renders the report with `style`'s colour, width and form. Record text is escaped field
/// by field ([`term_safe::line`]), so the only escape sequences in the result are the
/// style's own colours.
pub fn render(res: &ScanResult, style: &Style) -> String {
    let mut tally = Tally::of(&res.runs);
    render_view(
        &mut View {
            scanned: &res.scanned,
            clusters: &res.clusters,
            warnings: &res.warnings,
            tally: &mut tally,
            now: res.now,
        },
        style,
    )
}

/// [`render`] of a [`View`].
pub fn render_view(v: &mut View<'_>, style: &Style) -> String {
    let mut o = String::new();
    summary_line(&mut o, v);
    clusters(&mut o, v.clusters, style);
    if !style.summary {
        attention(&mut o, v, style);
    }
    footer(&mut o, v, style);
    o
}

/// `triage: 1 root scanned, 2 workspaces, 40 runs: …`, and what `--since` left out.
fn summary_line(o: &mut String, v: &View<'_>) {
    let _ = writeln!(
        o,
        "triage: {} scanned, {}, {}: {}",
        plural(v.scanned.roots.len(), "root", "roots"),
        plural(v.scanned.workspaces as usize, "workspace", "workspaces"),
        plural(v.tally.total, "run", "runs"),
        v.tally.outcome_counts()
    );
    if v.scanned.left_out_by_since > 0 {
        let _ = writeln!(
            o,
            "  ({} left out by --since)",
            plural(
                v.scanned.left_out_by_since as usize,
                "older run",
                "older runs"
            )
        );
    }
}

/// `[sev] title (N runs)`, then (unless compact) the fix, references, distinct-from and
/// run ids of each cluster.
fn clusters(o: &mut String, clusters: &[Cluster], style: &Style) {
    if clusters.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "\n{}",
        style.heading(&format!("Issues ({}):", clusters.len()))
    );
    for c in clusters {
        let sev = style.severity(c.severity, &format!("[{}]", c.severity.as_str()));
        let count = plural(c.count as usize, "run", "runs");
        let title = term_safe::line(&c.title);
        if style.summary {
            let _ = writeln!(o, "  {sev} {title} ({count})  {}", term_safe::line(&c.id));
            continue;
        }
        let _ = writeln!(o, "\n  {sev} {title} ({count})");
        let _ = writeln!(o, "    id: {}", term_safe::line(&c.id));
        o.push_str(&template_lines(c, "    "));
        if let Some(fix) = &c.fix {
            let text = format!("fix: {}", short_fix(fix));
            let text = term_safe::line(&text);
            o.push_str(&wrap(&text, "    ", style.width));
        }
        if !c.references.is_empty() {
            let refs: Vec<&str> = c.references.iter().take(6).map(String::as_str).collect();
            let _ = writeln!(
                o,
                "    upstream: {}{}",
                term_safe::line(&refs.join(", ")),
                more(c.references.len(), 6)
            );
        }
        let distinct: Vec<&str> = c
            .related
            .iter()
            .filter(|r| r.relation == "distinct-from")
            .map(|r| r.id.as_str())
            .collect();
        if !distinct.is_empty() {
            let _ = writeln!(
                o,
                "    distinct from: {}",
                term_safe::line(&distinct.join(", "))
            );
        }
        // Runs by workspace/id where a bare id names several of the cluster's runs
        // (`Cluster::run_names`, made by select::names_of).
        let ids: Vec<&str> = c.shown_run_names().take(5).collect();
        let _ = writeln!(
            o,
            "    runs: {}{}",
            term_safe::line(&ids.join(", ")),
            more(c.runs.len(), 5)
        );
    }
}

/// ` (+N more)` when `total` is over the `shown` listed.
fn more(total: usize, shown: usize) -> String {
    match total.saturating_sub(shown) {
        0 => String::new(),
        n => format!(" (+{n} more)"),
    }
}

/// Each run that needs attention: id, kind, workspace, age, outcome, signatures, the reason
/// and the line that says most.
/// At most [`ATTENTION_SHOWN`], then how many more.
fn attention(o: &mut String, v: &mut View<'_>, style: &Style) {
    let total = v.tally.attention_total;
    let now = v.now;
    let attention = v.tally.attention();
    let shown = attention.len();
    if attention.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "\n{}",
        style.heading(&format!("Runs needing attention ({total}):"))
    );
    // Named apart among the runs listed here (the list is bounded, the scan may not be).
    let listed: Vec<&Run> = attention.iter().map(|(_, r)| r).collect();
    let names = select::names(&listed);
    for ((_, r), name) in attention.iter().zip(&names) {
        let sigs: Vec<&str> = r.findings.iter().map(|f| f.signature.as_str()).collect();
        let _ = writeln!(
            o,
            "\n  {}  {}  {}  {}  {}{}",
            term_safe::line(name),
            term_safe::line(r.kind.as_ref().map(|k| k.as_str()).unwrap_or("?")),
            term_safe::line(&r.workspace.slug),
            r.age(now),
            style.outcome(r.outcome, flagged_ok(r).is_some(), &outcome_label(r)),
            if sigs.is_empty() {
                String::new()
            } else {
                format!("  [{}]", term_safe::line(&sigs.join(", ")))
            }
        );
        let _ = writeln!(o, "    {}", term_safe::line(&r.outcome_reason));
        // A line of the log or record says more than a restated state: prefer one.
        let cited = r.findings.iter().flat_map(|f| f.evidence.iter());
        let line = cited
            .clone()
            .find(|e| e.line.is_some())
            .or_else(|| cited.clone().next())
            .or(r.decisive.as_ref());
        if let Some(l) = line {
            let at = match l.line {
                Some(n) => format!("{}:{n}", l.file),
                None => l.file.to_string(),
            };
            let _ = writeln!(o, "    {}", term_safe::line(&at));
            let _ = writeln!(o, "      {}", term_safe::line(&l.text));
        }
    }
    if total > shown {
        let _ = writeln!(
            o,
            "\n  (+{} more; `triage scan --format json` lists every run)",
            total - shown
        );
    }
}

/// Healthy count, warnings, the oldest run, and what to run next.
fn footer(o: &mut String, v: &View<'_>, style: &Style) {
    let attention = v.tally.attention_total;
    let total = v.tally.total;
    if total > 0 {
        let _ = writeln!(
            o,
            "\n{} healthy.",
            plural(total - attention, "run is", "runs are")
        );
    }
    if style.summary && attention > 0 {
        let _ = writeln!(
            o,
            "{} (drop --summary to list them).",
            plural(attention, "run needs attention", "runs need attention")
        );
    }
    if !v.warnings.is_empty() {
        let _ = writeln!(
            o,
            "{} (see stderr).",
            plural(v.warnings.len(), "warning", "warnings")
        );
    }
    if let Some(oldest) = v.tally.oldest {
        let _ = writeln!(
            o,
            "Oldest run: {} ago. Explain one: triage explain <run-id>",
            human_span(v.now - oldest)
        );
    }
}
