//! `triage match` output: the JSON document (docs/format.md §11) and the human listing.

use crate::matchtext::{Confidence, TextMatch, TextResult, Unclassified};
use crate::rules::RuleSet;
use serde::Serialize;

/// Version of the `triage match --format json` layout.
pub const MATCH_SCHEMA_VERSION: u32 = 1;

/// The JSON document of docs/format.md §11, fields in a stable order. `matches` holds the
/// `exact` and `similar` matches (each says which); `low_confidence` and `unclassified` are
/// left out when empty.
#[derive(Debug, Serialize)]
pub struct MatchDoc<'a> {
    /// Layout version.
    pub schema_version: u32,
    /// `exact` then `similar` matches, best first.
    pub matches: Vec<&'a TextMatch>,
    /// Rule matches demoted by intent or missing product context.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub low_confidence: Vec<&'a TextMatch>,
    /// Failure-looking text nothing explains.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unclassified: Option<&'a Unclassified>,
}

/// The JSON document of docs/format.md §11.
pub fn json_doc(result: &TextResult) -> MatchDoc<'_> {
    MatchDoc {
        schema_version: MATCH_SCHEMA_VERSION,
        matches: result.confident().collect(),
        low_confidence: result
            .matches
            .iter()
            .filter(|m| m.confidence == Confidence::Low)
            .collect(),
        unclassified: result.unclassified.as_ref(),
    }
}

/// The human rendering.
pub fn render_human(result: &TextResult, rules: &RuleSet) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let confident: Vec<&TextMatch> = result.confident().collect();
    let low: Vec<&TextMatch> = result
        .matches
        .iter()
        .filter(|m| m.confidence == Confidence::Low)
        .collect();
    if confident.is_empty() {
        o.push_str("No known signature matches this text.\n");
        if let Some(u) = &result.unclassified {
            let _ = writeln!(
                o,
                "\nUnclassified failure {} (line {}): {}\n  template: {}",
                u.id, u.line, u.text, u.template
            );
            for v in &u.variables {
                let _ = writeln!(
                    o,
                    "    {} #{}: {}",
                    v.placeholder,
                    v.position,
                    v.examples.join(", ")
                );
            }
            let _ = writeln!(o, "  No signature explains it: a new family?");
        }
        if !low.is_empty() {
            let _ = writeln!(o, "\nLow confidence:");
            for m in &low {
                let _ = writeln!(
                    o,
                    "  - {} ({}): {}",
                    m.signature,
                    m.note.as_deref().unwrap_or(""),
                    m.title
                );
            }
        }
        return o;
    }
    for (i, m) in confident.iter().enumerate() {
        let conf = match m.confidence {
            Confidence::Exact => "exact",
            Confidence::Similar => "similar",
            Confidence::Low => "low",
        };
        let _ = writeln!(
            o,
            "{}. {} (score {}, {}, {conf})",
            i + 1,
            m.signature,
            m.score,
            m.severity
        );
        let _ = writeln!(o, "   {}", m.title);
        if let Some(n) = &m.note {
            let _ = writeln!(o, "   note: {n}");
        }
        for e in &m.evidence {
            let _ = writeln!(o, "   line {}: {}", e.line, e.text);
        }
        let _ = writeln!(o, "   fix: {}", m.fix);
        if !m.references.is_empty() {
            let _ = writeln!(o, "   upstream: {}", m.references.join(", "));
        }
        let distinct: Vec<_> = m
            .related
            .iter()
            .filter(|r| r.relation == "distinct-from")
            .collect();
        if !distinct.is_empty() {
            let _ = writeln!(o, "   distinct from:");
            for d in distinct {
                let how = d
                    .note
                    .as_deref()
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(str::to_string)
                    .or_else(|| rules.get(&d.id).map(|r| r.file.title.clone()))
                    .unwrap_or_default();
                if how.is_empty() {
                    let _ = writeln!(o, "     - {}", d.id);
                } else {
                    let _ = writeln!(o, "     - {}: {how}", d.id);
                }
            }
        }
        o.push('\n');
    }
    o
}
