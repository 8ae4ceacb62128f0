//! `triage match` output: the JSON document (design-notes §1) and the human listing.

use crate::matchtext::TextMatch;
use crate::rules::RuleSet;
use serde::Serialize;

/// Version of the `triage match --format json` layout.
pub const MATCH_SCHEMA_VERSION: u32 = 1;

/// The JSON document of design-notes §1, fields in a stable order.
#[derive(Debug, Serialize)]
pub struct MatchDoc<'a> {
    /// Layout version.
    pub schema_version: u32,
    /// Matches, best first.
    pub matches: &'a [TextMatch],
}

/// The JSON document of design-notes §1.
pub fn json_doc(matches: &[TextMatch]) -> MatchDoc<'_> {
    MatchDoc {
        schema_version: MATCH_SCHEMA_VERSION,
        matches,
    }
}

/// The human rendering.
pub fn render_human(matches: &[TextMatch], rules: &RuleSet) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    if matches.is_empty() {
        o.push_str("No known signature matches this text.\n");
        return o;
    }
    for (i, m) in matches.iter().enumerate() {
        let _ = writeln!(
            o,
            "{}. {} (score {}, {})",
            i + 1,
            m.signature,
            m.score,
            m.severity
        );
        let _ = writeln!(o, "   {}", m.title);
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
