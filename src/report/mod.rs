//! Every renderer, behind one dispatch: the human summary, the JSON document
//! (design-notes §4) and NDJSON, the Markdown issue body, the `explain` timeline, `match`
//! output and the rules listings. A new format is one file here and one arm of [`Format`].

pub mod attempts;
pub mod evidence;
pub mod human;
pub mod json;
pub mod markdown;
pub mod mdsafe;
pub mod out;
pub mod rules;
pub mod text_match;
pub mod timeline;

use crate::redact::Redactor;
use crate::rules::RuleSet;
use crate::scan::ScanResult;
use crate::timefmt;
use out::Output;

/// The formats a scan result renders to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The terminal summary.
    Human,
    /// The JSON document with its published schema.
    Json,
    /// One JSON run per line.
    Ndjson,
    /// The Markdown issue body.
    Markdown,
}

/// `redactor` extended with the user names seen in the home paths of `res`'s records, so
/// that renderers which redact string by string (Markdown) also hide a name where it stands
/// alone (a workspace slug, a word).
pub fn learned_redactor(
    res: &ScanResult,
    rules: &RuleSet,
    redactor: Option<&Redactor>,
) -> anyhow::Result<Option<Redactor>> {
    let Some(r) = redactor else { return Ok(None) };
    let mut r = r.clone();
    r.learn(&serde_json::to_string(&json::document(
        res, rules, res.now,
    ))?);
    Ok(Some(r))
}

/// Renders `res` in `format` to `out`, redacted when a redactor is given.
pub fn scan_result(
    res: &ScanResult,
    rules: &RuleSet,
    format: Format,
    redactor: Option<&Redactor>,
    out: &Output,
) -> anyhow::Result<()> {
    // A large JSON report is streamed: building the text first would hold it (and its growth)
    // in memory on top of the runs.
    if format == Format::Json && redactor.is_none() {
        return out.json(&json::document(res, rules, timefmt::now_millis()));
    }
    // NDJSON likewise, one line at a time: the whole text would be a second copy of every
    // run (88 MiB peak instead of 63 MiB on the 512 MiB prose corpus).
    if format == Format::Ndjson && redactor.is_none() {
        return out.stream(|w| {
            for r in &res.runs {
                serde_json::to_writer(&mut *w, &json::run_doc(r)).map_err(std::io::Error::from)?;
                w.write_all(b"\n")?;
            }
            Ok(())
        });
    }
    let text = match format {
        // Record text reaches the terminal: control characters are shown escaped.
        Format::Human => crate::term_safe::block(&human::render(res)).into_owned(),
        Format::Json => {
            let doc = json::document(res, rules, timefmt::now_millis());
            serde_json::to_string_pretty(&doc)? + "\n"
        }
        Format::Ndjson => {
            let mut s = String::new();
            for r in &res.runs {
                s.push_str(&serde_json::to_string(&json::run_doc(r))?);
                s.push('\n');
            }
            s
        }
        Format::Markdown => {
            // Markdown redacts each string itself, before escaping it.
            let learned = learned_redactor(res, rules, redactor)?;
            let opts = markdown::Options {
                environment: None,
                redactor: learned.as_ref(),
            };
            return out.text(&markdown::render(res, rules, opts));
        }
    };
    match redactor {
        Some(r) => {
            // User names seen in the document's home paths are learned first, so that
            // they are also hidden where they appear alone (a workspace slug, a word).
            let mut r = r.clone();
            r.learn(&text);
            out.text(&r.redact(&text))
        }
        None => out.text(&text),
    }
}
