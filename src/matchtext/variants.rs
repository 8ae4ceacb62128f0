//! Wording variants that are not a different message: contractions and their expansions
//! ("You've" / "You have", "can't" / "cannot"), US and UK spellings ("canceled" /
//! "cancelled"). A rule is written against one form; a report may use the other, and
//! another CLI version or a relay may print the other. The matcher tries each segment as
//! written and in both canonical forms, so either spelling of a rule's pattern matches.

use regex::{Captures, Regex};
use std::sync::OnceLock;

/// Contracted form, expanded form (lower case).
const CONTRACTIONS: &[(&str, &str)] = &[
    ("you've", "you have"),
    ("we've", "we have"),
    ("i've", "i have"),
    ("they've", "they have"),
    ("can't", "cannot"),
    ("won't", "will not"),
    ("isn't", "is not"),
    ("aren't", "are not"),
    ("wasn't", "was not"),
    ("weren't", "were not"),
    ("doesn't", "does not"),
    ("don't", "do not"),
    ("didn't", "did not"),
    ("couldn't", "could not"),
    ("wouldn't", "would not"),
    ("shouldn't", "should not"),
    ("hasn't", "has not"),
    ("haven't", "have not"),
    ("hadn't", "had not"),
    ("it's", "it is"),
    ("that's", "that is"),
    ("there's", "there is"),
    ("you're", "you are"),
    ("we're", "we are"),
    ("they're", "they are"),
    ("i'm", "i am"),
    ("you'll", "you will"),
    ("it'll", "it will"),
];

/// US spelling, UK spelling (lower case).
const SPELLINGS: &[(&str, &str)] = &[
    ("canceled", "cancelled"),
    ("canceling", "cancelling"),
    ("behavior", "behaviour"),
    ("initialize", "initialise"),
    ("initialized", "initialised"),
    ("initializing", "initialising"),
    ("serialize", "serialise"),
    ("serialized", "serialised"),
    ("authorize", "authorise"),
    ("authorized", "authorised"),
    ("unauthorized", "unauthorised"),
    ("recognized", "recognised"),
];

/// One direction of rewriting: a case-insensitive whole-word alternation and its targets.
struct Rewrite {
    re: Regex,
    to: Vec<(String, &'static str)>,
}

impl Rewrite {
    fn new(pairs: &[(&'static str, &'static str)]) -> Rewrite {
        let alternation = pairs
            .iter()
            .map(|(from, _)| regex::escape(from))
            .collect::<Vec<_>>()
            .join("|");
        Rewrite {
            re: Regex::new(&format!(r"(?i)\b(?:{alternation})\b")).expect("variant table"),
            to: pairs.iter().map(|(f, t)| (f.to_string(), *t)).collect(),
        }
    }

    /// `text` with every listed word rewritten, keeping an initial capital.
    fn apply(&self, text: &str) -> String {
        self.re
            .replace_all(text, |c: &Captures| {
                let found = &c[0];
                let lower = found.to_lowercase();
                let Some((_, to)) = self.to.iter().find(|(f, _)| *f == lower) else {
                    return found.to_string();
                };
                if found.chars().next().is_some_and(char::is_uppercase) {
                    let mut cs = to.chars();
                    cs.next()
                        .map(|f| f.to_uppercase().chain(cs).collect())
                        .unwrap_or_default()
                } else {
                    (*to).to_string()
                }
            })
            .into_owned()
    }
}

/// (expanded + US, contracted + UK) rewrites.
fn rewrites() -> &'static (Rewrite, Rewrite) {
    static R: OnceLock<(Rewrite, Rewrite)> = OnceLock::new();
    R.get_or_init(|| {
        let flip = |pairs: &[(&'static str, &'static str)]| -> Vec<(&'static str, &'static str)> {
            pairs.iter().map(|&(a, b)| (b, a)).collect()
        };
        let mut expand: Vec<_> = CONTRACTIONS.to_vec();
        expand.extend(flip(SPELLINGS));
        let mut contract = flip(CONTRACTIONS);
        contract.extend(SPELLINGS.iter().copied());
        (Rewrite::new(&expand), Rewrite::new(&contract))
    })
}

/// The other forms of `text` worth matching: contractions expanded with US spellings, and
/// contracted with UK spellings; only those that differ from `text`.
pub fn variants(text: &str) -> Vec<String> {
    // Cheap test first: most lines have neither an apostrophe nor a listed word.
    let lower = text.to_ascii_lowercase();
    let maybe = text.contains('\'')
        || [
            " not", "cannot", "ize", "ise", "cancel", "behavio", " have", " is ", " are ",
        ]
        .iter()
        .any(|w| lower.contains(w));
    if !maybe {
        return Vec::new();
    }
    let (expand, contract) = rewrites();
    let mut out = Vec::new();
    for v in [expand.apply(text), contract.apply(text)] {
        if v != text && !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::variants;

    #[test]
    fn contractions_and_spellings_go_both_ways() {
        assert_eq!(
            variants("You've hit your usage limit"),
            vec!["You have hit your usage limit"]
        );
        assert_eq!(
            variants("You have reached the limit; it cannot start"),
            vec!["You've reached the limit; it can't start"]
        );
        assert_eq!(
            variants("failed: Hook canceled"),
            vec!["failed: Hook cancelled"]
        );
        assert_eq!(
            variants("user cancelled the MCP tool call"),
            vec!["user canceled the MCP tool call"]
        );
        assert!(variants("spawn codex ENOENT").is_empty());
        // Whole words only.
        assert!(variants("haven'tcancelledx").is_empty());
    }
}
