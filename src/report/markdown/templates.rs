//! The Templates section of an unclassified cluster: the mined templates of its runs' error
//! lines (the cluster's key) and the values their variables took, so a reader (and a rule
//! author) sees what is constant and what varies. Record text, all in code spans.

use super::Ctx;
use crate::cluster::Cluster;
use crate::report::plural;
use std::fmt::Write as _;

/// Templates listed per cluster.
const TEMPLATES_SHOWN: usize = 5;

pub(super) fn templates(o: &mut String, x: &Ctx, c: &Cluster) {
    if c.templates.is_empty() {
        return;
    }
    let _ = writeln!(o, "### Templates\n");
    let _ = writeln!(
        o,
        "The error lines these runs share, mined into templates: masks such as `<uuid>` and `<path>` and the wildcard `<*>` stand for what varies. `triage rules draft {}` with the paths scanned turns them into a rule.\n",
        c.id
    );
    let _ = writeln!(o, "| # | source | runs | template |\n|---:|---|---:|---|");
    let shown = &c.templates[..c.templates.len().min(TEMPLATES_SHOWN)];
    for (i, t) in shown.iter().enumerate() {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} |",
            i + 1,
            t.source,
            t.count,
            x.cell(&t.template)
        );
    }
    if c.templates.len() > TEMPLATES_SHOWN {
        let _ = writeln!(
            o,
            "\n+{} more templates.",
            c.templates.len() - TEMPLATES_SHOWN
        );
    }
    o.push('\n');
    let mut any = false;
    for (i, t) in shown.iter().enumerate() {
        for v in &t.variables {
            if !any {
                let _ = writeln!(o, "Variables seen:\n");
                any = true;
            }
            let mut examples: Vec<String> = v.examples.iter().map(|e| x.code(e)).collect();
            if v.distinct > v.examples.len() as u64 {
                examples.push("…".into());
            }
            let _ = writeln!(
                o,
                "- template {}, variable {} {}: {} ({})",
                i + 1,
                x.code(&v.placeholder),
                v.position,
                plural(v.distinct as usize, "distinct value", "distinct values"),
                examples.join(", "),
            );
        }
    }
    if any {
        o.push('\n');
    }
}
