//! `triage rules` listings: `list` (human and JSON) and `patterns` (one regex a line).

use crate::rules::RuleSet;

/// `rules list --format json`.
pub fn list_json(set: &RuleSet) -> serde_json::Value {
    let rules: Vec<serde_json::Value> = set
        .rules
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id(), "title": r.file.title, "family": r.file.family,
                "severity": r.file.severity.as_str(), "status": r.file.status,
                "platforms": r.file.platforms, "references": r.file.references,
                "related": r.file.related, "fix": r.file.fix, "source": r.source,
                "tests": r.file.tests.len(),
            })
        })
        .collect();
    serde_json::json!({ "rules": rules, "hash": set.hash })
}

/// `rules list`: one aligned line per rule and a total.
pub fn list_human(set: &RuleSet) -> String {
    let mut s = String::new();
    let w = set.rules.iter().map(|r| r.id().len()).max().unwrap_or(0);
    for r in &set.rules {
        s.push_str(&format!(
            "{:<w$}  {:<8}  {:<18}  {}\n",
            r.id(),
            r.file.severity.as_str(),
            r.file.family,
            r.file.title
        ));
    }
    s.push_str(&format!("{} rules (hash {})\n", set.rules.len(), set.hash));
    s
}

/// `rules patterns`: every rule pattern as a regex, one per line (usable as `rg -f`).
pub fn patterns(set: &RuleSet) -> String {
    let mut out = String::new();
    for r in &set.rules {
        for p in r.file.matcher.patterns.values() {
            let re = match (&p.regex, &p.literal) {
                (Some(re), _) => re.clone(),
                (None, Some(l)) => regex::escape(l),
                _ => continue,
            };
            if p.case_insensitive {
                out.push_str(&format!("(?i:{re})\n"));
            } else {
                out.push_str(&re);
                out.push('\n');
            }
        }
    }
    out
}
