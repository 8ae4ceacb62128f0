//! Every renderer, behind one dispatch: the human summary, the JSON document
//! (docs/format.md §11) and NDJSON, the Markdown issue body, the `explain` timeline, `match`
//! output and the rules listings. A new format is one file here and one arm of [`Format`].

pub mod attempts;
pub mod evidence;
pub mod human;
pub mod json;
pub mod markdown;
pub mod mdsafe;
pub mod ndjson;
pub mod out;
pub mod rules;
pub mod style;
pub mod text_match;
pub mod timeline;

use crate::redact::Redactor;
use crate::rules::RuleSet;
use crate::scan::ScanResult;
use crate::timefmt;
use out::Output;

/// The formats a scan result renders to.
#[derive(Debug, Clone, Copy)]
pub enum Format<'a> {
    /// The terminal summary, in a [`style::Style`] (colour, width, compact).
    Human(style::Style),
    /// The JSON document with its published schema.
    Json,
    /// One JSON object per line, each with a `type`: `run`, `cluster`, `warning`, `summary`.
    Ndjson,
    /// The Markdown issue body, with this machine's setup for its Environment section.
    Markdown {
        /// `triage doctor`'s facts (already redacted when the report is).
        environment: Option<&'a crate::doctor::Facts>,
    },
}

/// `res` redacted on the model when a redactor is given ([`crate::redact::model`]), so every
/// renderer sees the same redacted text, with the redactor that learned its user names (for
/// what a renderer reads beyond the model: the Markdown log excerpts).
pub struct Prepared<'a> {
    owned: Option<(ScanResult, Redactor)>,
    plain: &'a ScanResult,
}

impl<'a> Prepared<'a> {
    /// Redacts `res` when `redactor` is given.
    pub fn new(res: &'a ScanResult, redactor: Option<&Redactor>) -> Prepared<'a> {
        Prepared {
            owned: redactor.map(|r| crate::redact::model::redacted(res, r)),
            plain: res,
        }
    }

    /// The result to render.
    pub fn result(&self) -> &ScanResult {
        self.owned.as_ref().map_or(self.plain, |(r, _)| r)
    }

    /// The learned redactor, for text read beyond the model.
    pub fn redactor(&self) -> Option<&Redactor> {
        self.owned.as_ref().map(|(_, r)| r)
    }

    /// The Markdown log excerpts of the runs the report shows: read from the recorded paths
    /// and redacted by the learned redactor, keyed by the ids of [`Prepared::result`].
    pub fn excerpts(&self) -> markdown::Excerpts {
        markdown::Excerpts::for_result(self.plain, self.redactor())
    }
}

/// Renders `res` in `format` to `out`, redacted when a redactor is given.
pub fn scan_result(
    res: &ScanResult,
    rules: &RuleSet,
    format: Format<'_>,
    redactor: Option<&Redactor>,
    out: &Output,
) -> anyhow::Result<()> {
    // Redaction happens once, on the model: JSON streams either way.
    let prep = Prepared::new(res, redactor);
    let res = prep.result();
    match format {
        // Record text reaches the terminal: the renderer escapes its control characters
        // field by field, so the style's colours are the only escape sequences.
        Format::Human(style) => out.text(&human::render(res, &style)),
        Format::Json => out.json(&json::document(res, rules, timefmt::now_millis())),
        // One line at a time: the whole text would be a second copy of every run (88 MiB
        // peak instead of 63 MiB on the 512 MiB prose corpus).
        Format::Ndjson => out.stream(|w| ndjson::write(w, res, rules, timefmt::now_millis())),
        Format::Markdown { environment } => {
            let excerpts = prep.excerpts();
            let opts = markdown::Options {
                environment,
                excerpts: Some(&excerpts),
            };
            out.text(&markdown::render(res, rules, opts))
        }
    }
}
