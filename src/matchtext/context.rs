//! Product context: whether a free text is about Codex, the codex plugin for Claude Code or
//! the app-server behind them. Rules built on a generic string (`needs_context = true`) are
//! reported from free text only in context. The vocabulary is data:
//! `rules/_vocab/context.toml`, embedded in the binary; a `--rules DIR` may add terms in
//! its own `_vocab/context.toml`.

use serde::Deserialize;
use std::path::Path;
use std::sync::OnceLock;

/// The vocabulary file inside a rule folder.
pub const VOCAB_FILE: &str = "_vocab/context.toml";

/// The product-context vocabulary.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vocabulary {
    /// Substrings (lower case) that put a text in context.
    #[serde(default)]
    pub terms: Vec<String>,
    /// Whole words (lower case) that put a text in context.
    #[serde(default)]
    pub words: Vec<String>,
}

impl Vocabulary {
    /// Parses a vocabulary file.
    pub fn parse(text: &str) -> Result<Vocabulary, String> {
        let mut v: Vocabulary = toml::from_str(text).map_err(|e| e.to_string())?;
        for t in v.terms.iter_mut().chain(v.words.iter_mut()) {
            *t = t.to_lowercase();
        }
        v.terms.retain(|t| !t.is_empty());
        v.words.retain(|t| !t.is_empty());
        Ok(v)
    }

    /// The built-in vocabulary.
    pub fn builtin() -> &'static Vocabulary {
        static V: OnceLock<Vocabulary> = OnceLock::new();
        V.get_or_init(|| {
            crate::rules::builtin_support_files()
                .iter()
                .find(|(p, _)| p.ends_with(VOCAB_FILE))
                .and_then(|(_, t)| Vocabulary::parse(t).ok())
                .unwrap_or_default()
        })
    }

    /// The built-in vocabulary plus the `_vocab/context.toml` of each rule folder given.
    pub fn with_dirs(dirs: &[impl AsRef<Path>]) -> Result<Vocabulary, String> {
        let mut v = Vocabulary::builtin().clone();
        for d in dirs {
            let p = d.as_ref().join(VOCAB_FILE);
            if p.is_file() {
                let text = std::fs::read_to_string(&p)
                    .map_err(|e| format!("{}: cannot read: {e}", p.display()))?;
                let more = Vocabulary::parse(&text).map_err(|e| format!("{}: {e}", p.display()))?;
                v.terms.extend(more.terms);
                v.words.extend(more.words);
            }
        }
        Ok(v)
    }

    /// The first term of the vocabulary found in `text`, if any.
    pub fn find(&self, text: &str) -> Option<String> {
        let lower = text.to_lowercase();
        if let Some(t) = self.terms.iter().find(|t| lower.contains(t.as_str())) {
            return Some(t.clone());
        }
        self.words
            .iter()
            .find(|w| has_word(&lower, w))
            .map(|w| w.to_string())
    }
}

/// Whether `word` occurs in `hay` not continued by a letter, digit or `_` on either side.
fn has_word(hay: &str, word: &str) -> bool {
    let cont = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let mut from = 0;
    while let Some(i) = hay[from..].find(word) {
        let at = from + i;
        let before = hay[..at].chars().next_back();
        let after = hay[at + word.len()..].chars().next();
        if !cont(before) && !cont(after) {
            return true;
        }
        from = at + word.len();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_vocabulary_loads_and_finds_product_terms() {
        let v = Vocabulary::builtin();
        assert!(v.terms.len() > 10, "the vocabulary file parses");
        assert!(v.find("Running /codex:rescue on Windows").is_some());
        assert!(v.find("the Codex CLI 0.128 exits").is_some());
        assert!(v.find("npm ERR! spawn vite ENOENT").is_none());
        // a word, not a part of one
        assert!(v.find("see codexify docs").is_none());
    }
}
