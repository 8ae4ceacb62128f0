//! Negation and comparison in prose: a string right after "not" or inside "unlike #57,
//! which shows …" is what the failure is *not*, so it does not count for the rule stage.

use crate::rules::RuleSet;

/// Words that negate what follows them closely (lower case).
const NEGATIONS: &[&str] = &[
    "not", "isn't", "wasn't", "aren't", "never", "nor", "unlike", "instead", "rather", "no",
];

/// Phrases (lower case) that open a comparison with another issue within a sentence.
const COMPARISONS: &[&str] = &[
    "distinct from",
    "different from",
    "unlike ",
    "not the same as",
    "duplicate of",
    "similar to",
];

/// Whether pattern `p`'s first match in `text` follows a negation within its last three
/// words, or sits in a sentence that compares with another issue ("distinct from …").
pub(super) fn negated(rules: &RuleSet, p: usize, text: &str) -> bool {
    let Some(m) = rules.matcher.regex(p).find(text.as_bytes()) else {
        return false;
    };
    let before = text[..m.start()].to_lowercase();
    // A string inside a comparison with another report ("Distinct from #391 (Codex drops
    // terminal events)") is that report's failure, not this one's.
    let sentence = before.rsplit(". ").next().unwrap_or(&before);
    if COMPARISONS.iter().any(|c| sentence.contains(c)) {
        return true;
    }
    // Only the same clause: stop at a sentence or clause break. A spaced dash also ends one:
    // `ERROR: Argumento u opción no válido - "C:/Program Files/Git/PID"` quotes the string
    // after the dash, the "no" before it negates "válido".
    // (Typographic dashes are folded to `-` by the normaliser.)
    let before = before.replace(" - ", ". ");
    let clause = before
        .rsplit(['.', ';', ':', '!', '?', ','])
        .next()
        .unwrap_or(&before);
    clause
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .rev()
        .take(3)
        .any(|w| NEGATIONS.contains(&w))
}
