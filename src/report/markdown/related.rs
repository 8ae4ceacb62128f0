//! The Distinct from and Related sections.

use super::{Ctx, code, reference_link};
use crate::cluster::Cluster;
use crate::rules::RuleSet;
use std::fmt::Write as _;

pub(super) fn distinct_and_related(o: &mut String, x: &Ctx, c: &Cluster, rules: &RuleSet) {
    let distinct: Vec<_> = c
        .related
        .iter()
        .filter(|r| r.relation == "distinct-from")
        .collect();
    if !distinct.is_empty() {
        let _ = writeln!(o, "### Distinct from\n");
        for d in distinct {
            let rule = rules.get(&d.id);
            let refs = rule.map(|r| r.file.references.clone()).unwrap_or_default();
            // A note compares the two signatures: its bare numbers may be either's.
            let both: Vec<String> = c.references.iter().chain(&refs).cloned().collect();
            let how = d
                .note
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(|n| x.prose(n, &both))
                .unwrap_or_else(|| "a different signature with a similar symptom".into());
            let tracked = refs
                .iter()
                .find(|r| crate::rules::is_reference(r))
                .map(|r| format!(", tracked as {}", reference_link(r)))
                .unwrap_or_default();
            match rule {
                Some(r) => {
                    let _ = writeln!(
                        o,
                        "- {} ({}{tracked}): {how}",
                        code(&d.id),
                        x.prose(r.file.title.trim(), &refs)
                    );
                }
                None => {
                    let _ = writeln!(o, "- {}: {how}", code(&d.id));
                }
            }
        }
        o.push('\n');
    }
    let others: Vec<_> = c
        .related
        .iter()
        .filter(|r| r.relation != "distinct-from")
        .collect();
    if !others.is_empty() {
        let _ = writeln!(o, "### Related\n");
        for d in others {
            let _ = writeln!(
                o,
                "- {} ({}){}",
                code(&d.id),
                d.relation,
                d.note
                    .as_ref()
                    .map(|n| format!(": {}", x.prose(n.trim(), &c.references)))
                    .unwrap_or_default()
            );
        }
        o.push('\n');
    }
}
