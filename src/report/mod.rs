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

/// `n thing` / `n things`, for any count type (every report says counts this way).
pub(crate) fn plural<N: std::fmt::Display + PartialEq + From<u8>>(
    n: N,
    one: &str,
    many: &str,
) -> String {
    let word = if n == N::from(1) { one } else { many };
    format!("{n} {word}")
}

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

/// Which runs of a streamed scan a report keeps (`export --cluster`: the cluster's runs, by
/// the ids the scan read); `None` keeps every run.
pub type Keep<'a> = Option<&'a std::collections::HashSet<String>>;

/// Renders a streamed scan ([`crate::scan::stream`]) in `format` to `out`: the same bytes
/// [`scan_result`] writes for the same scan, with the runs read back one at a time from the
/// spill and, when a redactor is given, redacted one at a time on the model by the redactor
/// that first learned the user names of every run kept (a first pass over the spill).
/// Markdown is not streamed (it takes [`scan_result`]).
pub fn streamed(
    s: crate::scan::Streamed,
    rules: &RuleSet,
    format: Format<'_>,
    redactor: Option<&Redactor>,
    keep: Keep<'_>,
    out: &Output,
) -> anyhow::Result<()> {
    use crate::redact::model;
    let crate::scan::Streamed {
        scanned,
        runs,
        tally,
        clusters,
        warnings,
        now,
    } = s;
    let kept = |id: &str| keep.is_none_or(|k| k.contains(id));
    // An id kept can also be a healthy run in another workspace: a kept run must also be one
    // its cluster lists (`select::listed`).
    let kept_clusters = if keep.is_some() {
        clusters.clone()
    } else {
        Vec::new()
    };
    let listed = |run: &crate::run::Run| {
        keep.is_none() || kept_clusters.iter().any(|c| crate::select::listed(run, c))
    };
    let head = |clusters: Vec<crate::cluster::Cluster>| ScanResult {
        scanned: scanned.clone(),
        runs: Vec::new(),
        clusters,
        warnings: warnings.clone(),
        now,
    };
    let learned = match redactor {
        None => None,
        Some(base) => Some(learn_streamed(
            base,
            &head,
            runs.as_ref(),
            &kept,
            &listed,
            &clusters,
        )?),
    };
    let (rest, tally) = match &learned {
        Some(r) => (
            model::redacted(&head(clusters), r).0,
            tally.map_runs(|run| redact_run(run, r)),
        ),
        None => (head(clusters), tally),
    };
    let mut each_run = |f: &mut dyn FnMut(&crate::run::Run) -> std::io::Result<()>| match &runs {
        Some(spill) => spill.for_each(&kept, &mut |run| match &learned {
            _ if !listed(&run) => Ok(()),
            Some(r) => f(&redact_run(&run, r)),
            None => f(&run),
        }),
        None => Ok(()),
    };
    write_streamed(format, &rest, tally, rules, &mut each_run, out)
}

/// The redactor that has learned every user name of a streamed scan, in the order the whole
/// model would be read: totals and warnings, each run kept, then the clusters.
fn learn_streamed(
    base: &Redactor,
    head: &dyn Fn(Vec<crate::cluster::Cluster>) -> ScanResult,
    runs: Option<&crate::scan::Spill>,
    kept: &dyn Fn(&str) -> bool,
    listed: &dyn Fn(&crate::run::Run) -> bool,
    clusters: &[crate::cluster::Cluster],
) -> std::io::Result<Redactor> {
    use crate::redact::model;
    let mut r = model::learned(&head(Vec::new()), base);
    if let Some(spill) = runs {
        spill.for_each(kept, &mut |run| {
            if !listed(&run) {
                return Ok(());
            }
            let one = ScanResult {
                runs: vec![run],
                ..head(Vec::new())
            };
            r = model::learned(&one, &r);
            Ok(())
        })?;
    }
    Ok(model::learned(&head(clusters.to_vec()), &r))
}

/// Hands each run of a streamed scan to the writer it is given, in the reports' order.
type EachRun<'a> =
    dyn FnMut(&mut dyn FnMut(&crate::run::Run) -> std::io::Result<()>) -> std::io::Result<()> + 'a;

/// Writes a streamed scan's report in `format`: `rest` holds all but the runs, which
/// `each_run` hands over one at a time.
fn write_streamed(
    format: Format<'_>,
    rest: &ScanResult,
    mut tally: human::Tally,
    rules: &RuleSet,
    each_run: &mut EachRun<'_>,
    out: &Output,
) -> anyhow::Result<()> {
    match format {
        Format::Human(style) => out.text(&human::render_view(
            &mut human::View {
                scanned: &rest.scanned,
                clusters: &rest.clusters,
                warnings: &rest.warnings,
                tally: &mut tally,
                now: rest.now,
            },
            &style,
        )),
        Format::Json => {
            let doc = json::document(rest, rules, timefmt::now_millis());
            out.stream(|w| json::write_streamed(w, &doc, each_run))
        }
        Format::Ndjson => {
            let r = ndjson::Rest {
                scanned: &rest.scanned,
                clusters: &rest.clusters,
                warnings: &rest.warnings,
            };
            out.stream(|w| ndjson::write_streamed(w, &r, rules, timefmt::now_millis(), each_run))
        }
        Format::Markdown { .. } => Err(anyhow::anyhow!(
            "internal: the Markdown report is not rendered from a streamed scan"
        )),
    }
}

/// One run redacted on the model by `r` (which already learned every user name).
fn redact_run(run: &crate::run::Run, r: &Redactor) -> crate::run::Run {
    let (mut one, _, _) = crate::redact::model::redacted_runs(std::slice::from_ref(run), &[], r);
    one.pop().unwrap_or_else(|| run.clone())
}

#[cfg(test)]
mod stream_tests {
    use super::*;
    use crate::scan::{self, ScanOptions};
    use std::path::{Path, PathBuf};

    fn rules() -> RuleSet {
        RuleSet::load(&crate::rules::RuleSources {
            builtin: true,
            dirs: Vec::new(),
        })
        .unwrap()
    }

    fn opts(dir: &Path) -> ScanOptions {
        let mut o = ScanOptions::new(vec![dir.to_path_buf()], 1_796_000_000_000);
        o.check_pids = false;
        o.codex_sessions = None;
        o
    }

    /// The text a render wrote, its generation time blanked (it is the clock's).
    fn rendered(f: impl FnOnce(&Output) -> anyhow::Result<()>) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        f(&Output::File(path.clone())).unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        let re = regex::Regex::new(r#""generated_at": ?"[^"]*""#).unwrap();
        re.replace_all(&text, r#""generated_at":"-""#).into_owned()
    }

    /// Every streamed format gives the bytes of the full-list path, redacted or not, on the
    /// repository's sample and the shared corpora (failures, genuine plugin trees; the
    /// latter are only in CI and in this checkout's sibling folder).
    #[test]
    fn streamed_reports_are_the_full_reports() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let mut dirs = vec![root.join("testdata/sample")];
        for shared in ["corpus/failures", "corpus/plugin-generated"] {
            let d = root.join("../shared").join(shared);
            if d.is_dir() {
                dirs.push(d);
            }
        }
        let rules = rules();
        let base = Redactor::new(Some("/home/nobody-here"), Some("nobody-here"));
        let human = style::Style::default();
        let mut compared = 0;
        for dir in &dirs {
            let o = opts(dir);
            let full = scan::scan(&o, &rules);
            assert!(!full.runs.is_empty(), "{}", dir.display());
            for redactor in [None, Some(&base)] {
                let formats = [Format::Json, Format::Ndjson, Format::Human(human)];
                for format in formats {
                    let want = rendered(|out| scan_result(&full, &rules, format, redactor, out));
                    let got = rendered(|out| {
                        let s = scan::stream(&o, &rules, true).unwrap();
                        streamed(s, &rules, format, redactor, None, out)
                    });
                    assert_eq!(
                        got,
                        want,
                        "{} {format:?} {}",
                        dir.display(),
                        redactor.is_some()
                    );
                    compared += 1;
                }
            }
            // `export --cluster`: only that cluster's runs.
            let id = full.clusters[0].id.clone();
            let mut one = scan::scan(&o, &rules);
            one.clusters.retain(|c| c.id == id);
            let keep: std::collections::HashSet<String> =
                one.clusters[0].runs.iter().cloned().collect();
            let c = one.clusters[0].clone();
            one.runs.retain(|r| crate::select::listed(r, &c));
            let want = rendered(|out| scan_result(&one, &rules, Format::Json, Some(&base), out));
            let got = rendered(|out| {
                let mut s = scan::stream(&o, &rules, true).unwrap();
                s.clusters.retain(|c| c.id == id);
                streamed(s, &rules, Format::Json, Some(&base), Some(&keep), out)
            });
            assert_eq!(got, want, "{} --cluster {id}", dir.display());
            // The human report needs no spill when nothing is redacted.
            let want = rendered(|out| scan_result(&full, &rules, Format::Human(human), None, out));
            let got = rendered(|out| {
                let s = scan::stream(&o, &rules, false).unwrap();
                streamed(s, &rules, Format::Human(human), None, None, out)
            });
            assert_eq!(got, want);
        }
        assert!(compared >= 6);
    }
}
