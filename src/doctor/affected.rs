//! Reading a rule's free-text `affected` versions (`"1.0.4-1.0.6 (open)"`, `">=0.116"`,
//! `"0.128 (VC++), 0.143"`, `"any"`) well enough to say whether a given version is in them.
//!
//! The field is written for people, so the reading is lenient and three-valued: a version is
//! in, out, or the text does not say in a form triage can read (then the answer is unknown,
//! never a guess).

/// Whether a version falls in a rule's affected text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A range or version of the text names it.
    In,
    /// The text says any/all versions (or none reported for this component).
    Any,
    /// Every readable part of the text excludes it.
    Out,
    /// The text or the version cannot be read.
    Unknown,
}

/// One readable alternative of the text.
#[derive(Debug, Clone, PartialEq)]
enum Spec {
    Any,
    AtLeast(Vec<u64>),
    AtMost(Vec<u64>),
    Range(Vec<u64>, Vec<u64>),
    /// `1.0.x`, `0.118`, `1.0.4`: every version starting with these components.
    Prefix(Vec<u64>),
}

/// `1.0.4`, `v0.128.0-alpha.2` → `[1, 0, 4]`; `1.0.x` → `[1, 0]`.
fn components(s: &str) -> Option<Vec<u64>> {
    let s = s.trim().trim_start_matches(['v', '~']);
    let core = s.split(['-', '+', ' ']).next()?;
    let mut out = Vec::new();
    for part in core.split('.') {
        if part == "x" || part == "*" {
            break;
        }
        out.push(part.parse().ok()?);
    }
    (!out.is_empty()).then_some(out)
}

/// The leading version of `s` (digits and dots, `.x`), and the rest.
fn leading_version(s: &str) -> Option<(&str, &str)> {
    let end = s
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_digit() || c == '.' || c == 'x'))
        .map(|(i, _)| i)
        .unwrap_or(s.len());
    let v = s[..end].trim_end_matches('.');
    // A version has a dot (`0.118`, `1.0.x`); a lone number is prose (`3 s clamp`).
    (v.starts_with(|c: char| c.is_ascii_digit()) && v.contains('.')).then(|| (v, &s[v.len()..]))
}

fn parse_alternative(alt: &str) -> Option<Spec> {
    let a = alt.trim();
    let lower = a.to_ascii_lowercase();
    if lower.starts_with("any") || lower.starts_with("all") || lower.starts_with("none reported") {
        return Some(Spec::Any);
    }
    for (prefix, ge) in [
        (">=", true),
        ("≥", true),
        ("<=", false),
        ("≤", false),
        ("up to", false),
    ] {
        if let Some(rest) = lower.strip_prefix(prefix) {
            let (v, _) = leading_version(rest.trim_start().trim_start_matches('~'))?;
            let v = components(v)?;
            return Some(if ge {
                Spec::AtLeast(v)
            } else {
                Spec::AtMost(v)
            });
        }
    }
    let (first, rest) = leading_version(a)?;
    let lo = components(first)?;
    let rest = rest.trim_start();
    if let Some(r) = rest.strip_prefix('-').or_else(|| rest.strip_prefix('–')) {
        let (second, _) = leading_version(r.trim_start())?;
        // Bounds compare at their own precision: `1.0.x-1.0.6` starts at 1.0.0, `…-0.131`
        // includes 0.131.4.
        return Some(Spec::Range(lo, components(second)?));
    }
    if rest.starts_with('+') {
        return Some(Spec::AtLeast(lo));
    }
    Some(Spec::Prefix(lo))
}

/// Compares on the first `n` components of `v` (the precision of the bound), missing ones 0.
fn cmp_at(v: &[u64], bound: &[u64]) -> std::cmp::Ordering {
    for (i, b) in bound.iter().enumerate() {
        let a = v.get(i).copied().unwrap_or(0);
        match a.cmp(b) {
            std::cmp::Ordering::Equal => continue,
            o => return o,
        }
    }
    std::cmp::Ordering::Equal
}

fn holds(spec: &Spec, v: &[u64]) -> bool {
    use std::cmp::Ordering::*;
    match spec {
        Spec::Any => true,
        Spec::AtLeast(lo) => cmp_at(v, lo) != Less,
        Spec::AtMost(hi) => cmp_at(v, hi) != Greater,
        Spec::Range(lo, hi) => cmp_at(v, lo) != Less && cmp_at(v, hi) != Greater,
        Spec::Prefix(p) => cmp_at(v, p) == Equal,
    }
}

/// Strips `( … )` notes, which qualify rather than list versions.
fn without_notes(s: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Whether `version` is in the affected text `text`.
pub fn verdict(text: &str, version: Option<&str>) -> Verdict {
    let specs: Vec<Spec> = without_notes(text)
        .split([',', ';'])
        .filter_map(parse_alternative)
        .collect();
    if specs.is_empty() {
        return Verdict::Unknown;
    }
    let explicit: Vec<&Spec> = specs.iter().filter(|s| **s != Spec::Any).collect();
    let Some(v) = version.and_then(components) else {
        return if explicit.is_empty() {
            Verdict::Any
        } else {
            Verdict::Unknown
        };
    };
    if explicit.iter().any(|s| holds(s, &v)) {
        Verdict::In
    } else if specs.contains(&Spec::Any) {
        Verdict::Any
    } else {
        Verdict::Out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Verdict::*;

    #[test]
    fn reads_the_catalogue_forms() {
        assert_eq!(verdict("1.0.4-1.0.6 (open)", Some("1.0.4")), In);
        assert_eq!(verdict("1.0.4-1.0.6 (open)", Some("1.0.7")), Out);
        assert_eq!(verdict("1.0.1-1.0.2 (fixed in 1.0.3)", Some("1.0.3")), Out);
        assert_eq!(verdict(">=1.0.1", Some("1.0.4")), In);
        assert_eq!(verdict("1.0.3+", Some("1.0.2")), Out);
        assert_eq!(verdict("1.0.x", Some("1.0.5")), In);
        assert_eq!(verdict("0.118", Some("0.118.2")), In);
        assert_eq!(verdict("0.128.0", Some("0.128.1")), Out);
        assert_eq!(verdict("0.142-0.144.5 (Desktop)", Some("0.144.5")), In);
        assert_eq!(verdict("0.142-0.144.5 (Desktop)", Some("0.144.6")), Out);
        assert_eq!(verdict("0.117-0.131", Some("0.131.4")), In);
        assert_eq!(
            verdict("up to ~0.140 (compaction moved)", Some("0.139.0")),
            In
        );
        assert_eq!(
            verdict("0.128 (VC++), 0.143 (optional dep), 0.144", Some("0.143.1")),
            In
        );
        assert_eq!(
            verdict("1.0.2 (thread/name/set), 1.0.5+ (transfer)", Some("1.0.6")),
            In
        );
        assert_eq!(verdict("any", Some("9.9.9")), Any);
        assert_eq!(verdict("none reported", Some("1.0.4")), Any);
        assert_eq!(
            verdict("any; 3 s clamp warning with CLI >= 0.146", None),
            Any
        );
        assert_eq!(verdict("Codex CLI, June 2026", Some("0.1.0")), Unknown);
        assert_eq!(verdict("1.0.4-1.0.6", None), Unknown);
        assert_eq!(verdict("1.0.x-1.0.6 (allow-list)", Some("1.0.0")), In);
    }
}
