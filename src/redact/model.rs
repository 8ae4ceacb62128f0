//! Redaction on the report model: one pass over a [`ScanResult`] before any renderer sees it,
//! so every output (human, JSON, NDJSON, Markdown, bundle) gets the same redacted text and a
//! new format cannot bypass it. JSON keeps streaming, since nothing is redacted after rendering.
//!
//! Every struct is destructured field by field (no `..`): a field added to the model does not
//! compile until it is decided here whether it carries record text.

use std::collections::HashMap;

use super::Redactor;
use super::lines::LineRedactor;
use crate::cluster::{Cluster, ClusterTemplate, MatrixRow, RelatedRef, TemplateVariable};
use crate::log::Entry;
use crate::matchtext::{TextEvidence, TextMatch, TextResult, Unclassified, normalise_line};
use crate::run::EVIDENCE_CHARS;
use crate::run::{ErrorLine, Finding, LineRef, Run, SharedPath, Sources, Workspace};
use crate::scan::{ScanResult, Scanned};
use crate::warn::Warning;

/// `base` extended with the user names seen in the home paths anywhere in `res`, so that a
/// name is also hidden where it stands alone (a workspace slug, a word in a prompt).
pub fn learned(res: &ScanResult, base: &Redactor) -> Redactor {
    let mut all = String::new();
    let mut push = |s: &str| {
        all.push_str(s);
        all.push('\n');
    };
    res.scanned.roots.iter().for_each(|s| push(s));
    for w in &res.warnings {
        push(&w.path);
        push(&w.message);
    }
    visit_texts(&res.runs, &res.clusters, &mut push);
    let mut r = base.clone();
    r.learn(&all);
    r
}

/// Runs and clusters from elsewhere than a scan (the history store) redacted like
/// [`redacted`] does, with the redactor that learned their user names.
pub fn redacted_runs(
    runs: &[Run],
    clusters: &[Cluster],
    base: &Redactor,
) -> (Vec<Run>, Vec<Cluster>, Redactor) {
    let mut all = String::new();
    visit_texts(runs, clusters, &mut |s| {
        all.push_str(s);
        all.push('\n');
    });
    let mut r = base.clone();
    r.learn(&all);
    let mut pass = Pass {
        r: &r,
        paths: HashMap::new(),
    };
    let runs = runs.iter().map(|x| pass.run(x)).collect();
    let clusters = clusters.iter().map(|c| pass.cluster(c)).collect();
    (runs, clusters, r)
}

/// A copy of `res` with every string that can carry record or machine text redacted by
/// `base` after it learned the user names of `res` ([`learned`]), and that learned redactor,
/// for text a renderer reads beyond the model (the Markdown log excerpts).
pub fn redacted(res: &ScanResult, base: &Redactor) -> (ScanResult, Redactor) {
    let r = learned(res, base);
    let mut pass = Pass {
        r: &r,
        paths: HashMap::new(),
    };
    let out = pass.result(res);
    (out, r)
}

/// Evidence text as the scan keeps it: redacted first (when redaction was requested), then cut
/// to `max` characters, so a cut can never leave half a token that the redactor no longer
/// recognises. A cut that falls inside a word drops the word's head as well: unredacted text
/// (what the history store keeps, redacted only when reported) must not keep the first
/// characters of a token either.
pub fn cap(r: Option<&Redactor>, s: &str, max: usize) -> String {
    let text = match r {
        Some(r) => r.redact(s),
        None => std::borrow::Cow::Borrowed(s),
    };
    let text = text.trim_end();
    let Some((cut, next)) = text.char_indices().nth(max) else {
        return text.to_string();
    };
    let in_word = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '+' | '/' | '=' | '.');
    let keep = &text[..cut];
    if in_word(next) && keep.chars().next_back().is_some_and(in_word) {
        let head = keep.trim_end_matches(in_word).trim_end();
        // Only when something is left: a single giant word is cut as it is.
        if !head.is_empty() {
            return format!("{head}…");
        }
    }
    format!("{keep}…")
}

/// The redactor plus a cache that keeps shared paths shared (and redacts each path once).
struct Pass<'a> {
    r: &'a Redactor,
    paths: HashMap<SharedPath, SharedPath>,
}

impl Pass<'_> {
    fn s(&self, s: &str) -> String {
        self.r.redact(s).into_owned()
    }

    fn opt(&self, s: &Option<String>) -> Option<String> {
        s.as_deref().map(|s| self.s(s))
    }

    fn all(&self, v: &[String]) -> Vec<String> {
        v.iter().map(|s| self.s(s)).collect()
    }

    fn path(&mut self, p: &SharedPath) -> SharedPath {
        if let Some(done) = self.paths.get(p) {
            return done.clone();
        }
        let done: SharedPath = match self.r.redact(p) {
            std::borrow::Cow::Borrowed(_) => p.clone(),
            std::borrow::Cow::Owned(s) => s.into(),
        };
        self.paths.insert(p.clone(), done.clone());
        done
    }

    fn line(&mut self, l: &LineRef) -> LineRef {
        let LineRef { file, line, text } = l;
        LineRef {
            file: self.path(file),
            line: *line,
            text: self.s(text),
        }
    }

    fn result(&mut self, res: &ScanResult) -> ScanResult {
        let ScanResult {
            scanned,
            runs,
            clusters,
            warnings,
            now,
        } = res;
        let Scanned {
            roots,
            jobs,
            files,
            bytes,
            workspaces,
            left_out_by_since,
        } = scanned;
        ScanResult {
            scanned: Scanned {
                roots: self.all(roots),
                jobs: *jobs,
                files: *files,
                bytes: *bytes,
                workspaces: *workspaces,
                left_out_by_since: *left_out_by_since,
            },
            runs: runs.iter().map(|r| self.run(r)).collect(),
            clusters: clusters.iter().map(|c| self.cluster(c)).collect(),
            warnings: warnings.iter().map(|w| self.warning(w)).collect(),
            now: *now,
        }
    }

    fn warning(&self, w: &Warning) -> Warning {
        let Warning {
            path,
            line,
            message,
        } = w;
        Warning {
            path: self.s(path),
            line: *line,
            message: self.s(message),
        }
    }

    fn run(&mut self, run: &Run) -> Run {
        let Run {
            id,
            workspace,
            state_root,
            kind,
            title,
            status,
            phase,
            outcome,
            outcome_reason,
            created_at,
            started_at,
            completed_at,
            updated_at,
            last_activity_at,
            pid,
            pid_alive,
            plugin_version,
            cli_version,
            platform,
            thread_id,
            turn_id,
            session_id,
            summary,
            error_message,
            model,
            last_entry,
            decisive,
            error_lines,
            sources,
            findings,
        } = run;
        let Workspace { slug, hash, root } = workspace;
        let Sources { index, record, log } = sources;
        Run {
            id: self.s(id),
            workspace: Workspace {
                slug: self.s(slug),
                hash: hash.clone(),
                root: self.opt(root),
            },
            state_root: *state_root,
            kind: kind.clone(),
            title: self.opt(title),
            status: status.clone(),
            phase: self.opt(phase),
            outcome: *outcome,
            outcome_reason: self.s(outcome_reason),
            created_at: *created_at,
            started_at: *started_at,
            completed_at: *completed_at,
            updated_at: *updated_at,
            last_activity_at: *last_activity_at,
            pid: *pid,
            pid_alive: *pid_alive,
            plugin_version: self.opt(plugin_version),
            cli_version: self.opt(cli_version),
            platform: *platform,
            thread_id: self.opt(thread_id),
            turn_id: self.opt(turn_id),
            session_id: self.opt(session_id),
            summary: self.opt(summary),
            error_message: self.opt(error_message),
            model: self.opt(model),
            last_entry: last_entry.as_ref().map(|l| self.line(l)),
            decisive: decisive.as_ref().map(|l| self.line(l)),
            error_lines: error_lines
                .iter()
                .map(|e| ErrorLine {
                    source: e.source,
                    line: self.line(&e.line),
                })
                .collect(),
            sources: Sources {
                index: index.as_ref().map(|p| self.path(p)),
                record: record.as_ref().map(|p| self.path(p)),
                log: log.as_ref().map(|p| self.path(p)),
            },
            findings: findings.iter().map(|f| self.finding(f)).collect(),
        }
    }

    fn finding(&mut self, f: &Finding) -> Finding {
        let Finding {
            signature,
            severity,
            evidence,
        } = f;
        Finding {
            signature: signature.clone(),
            severity: *severity,
            evidence: evidence.iter().map(|l| self.line(l)).collect(),
        }
    }

    fn cluster(&self, c: &Cluster) -> Cluster {
        let Cluster {
            id,
            signature,
            title,
            family,
            severity,
            count,
            runs,
            first_seen,
            last_seen,
            plugin_versions,
            cli_versions,
            platforms,
            workspaces,
            references,
            related,
            fix,
            description,
            affected,
            matrix,
            templates,
            run_names,
        } = c;
        Cluster {
            // A signature id or `unclassified:<hex fingerprint>`: no record text, and the key
            // other tables (history membership, `--cluster`) look clusters up by.
            id: id.clone(),
            signature: signature.clone(),
            title: self.s(title),
            family: family.clone(),
            severity: *severity,
            count: *count,
            runs: self.all(runs),
            run_names: self.all(run_names),
            first_seen: *first_seen,
            last_seen: *last_seen,
            plugin_versions: self.all(plugin_versions),
            cli_versions: self.all(cli_versions),
            platforms: platforms.clone(),
            workspaces: self.all(workspaces),
            references: references.clone(),
            related: related
                .iter()
                .map(|RelatedRef { id, relation, note }| RelatedRef {
                    id: id.clone(),
                    relation: relation.clone(),
                    note: self.opt(note),
                })
                .collect(),
            fix: self.opt(fix),
            description: self.opt(description),
            affected: affected.clone(),
            templates: templates
                .iter()
                .map(|t| ClusterTemplate {
                    template: self.s(&t.template),
                    source: t.source,
                    count: t.count,
                    variables: t
                        .variables
                        .iter()
                        .map(|v| TemplateVariable {
                            position: v.position,
                            placeholder: v.placeholder.clone(),
                            distinct: v.distinct,
                            examples: self.all(&v.examples),
                        })
                        .collect(),
                })
                .collect(),
            matrix: matrix
                .iter()
                .map(
                    |MatrixRow {
                         plugin_version,
                         cli_version,
                         platform,
                         count,
                     }| MatrixRow {
                        plugin_version: self.s(plugin_version),
                        cli_version: self.s(cli_version),
                        platform: platform.clone(),
                        count: *count,
                    },
                )
                .collect(),
        }
    }
}

/// The entries of a log redacted by `r`, line by line in file order ([`super::lines`]): the
/// text a timeline shows beyond the model, redacted like the model before it is rendered (and
/// before a renderer caps it).
pub fn redacted_entries(entries: &[Entry], r: &Redactor) -> Vec<Entry> {
    let mut lines = LineRedactor::new(r);
    entries
        .iter()
        .map(|e| {
            let Entry {
                line,
                ts,
                block,
                text,
                more,
                scopes,
            } = e;
            Entry {
                line: *line,
                ts: *ts,
                block: block.as_deref().map(|b| r.redact(b).into_owned()),
                text: lines.line(text),
                more: more.iter().map(|(n, t)| (*n, lines.line(t))).collect(),
                scopes: *scopes,
            }
        })
        .collect()
}

/// A `triage match` result redacted by `r`. Evidence lines are taken again from `input` (the
/// text matched) and redacted before they are cut, so a cut cannot leave half a token.
pub fn redacted_match(res: &TextResult, input: &str, r: &Redactor) -> TextResult {
    let mut lr = LineRedactor::new(r);
    let red_lines: Vec<String> = input.lines().map(|l| lr.line(l)).collect();
    let raw_lines: Vec<&str> = input.lines().collect();
    // The evidence text of line `n` as matchtext makes it, from the redacted line, when the
    // recorded text is that line's (otherwise the recorded text is redacted as it is).
    let text_of = |n: u64, recorded: &str| -> String {
        let i = usize::try_from(n).unwrap_or(0).wrapping_sub(1);
        match (raw_lines.get(i), red_lines.get(i)) {
            (Some(raw), Some(red))
                if crate::run::cap_text(normalise_line(raw), EVIDENCE_CHARS) == recorded =>
            {
                crate::run::cap_text(normalise_line(red), EVIDENCE_CHARS)
            }
            _ => r.redact(recorded).into_owned(),
        }
    };
    let TextResult {
        matches,
        unclassified,
        context,
        intent,
    } = res;
    TextResult {
        matches: matches
            .iter()
            .map(|m| {
                let TextMatch {
                    signature,
                    title,
                    score,
                    confidence,
                    note,
                    severity,
                    evidence,
                    references,
                    related,
                    fix,
                } = m;
                TextMatch {
                    signature: signature.clone(),
                    // Rule data, not input text.
                    title: title.clone(),
                    score: *score,
                    confidence: *confidence,
                    note: note.clone(),
                    severity: severity.clone(),
                    evidence: evidence
                        .iter()
                        .map(|TextEvidence { line, text }| TextEvidence {
                            line: *line,
                            text: text_of(*line, text),
                        })
                        .collect(),
                    references: references.clone(),
                    related: related.clone(),
                    fix: fix.clone(),
                }
            })
            .collect(),
        unclassified: unclassified.as_ref().map(
            |Unclassified {
                 id,
                 fingerprint,
                 line,
                 text,
                 template,
                 variables,
             }| Unclassified {
                // A fingerprint of the normalised line: a hash, no input text.
                id: id.clone(),
                fingerprint: fingerprint.clone(),
                line: *line,
                text: text_of(*line, text),
                // Masked and redacted machine-independently already; home paths and user
                // names remain.
                template: r.redact(template).into_owned(),
                variables: variables
                    .iter()
                    .map(|v| TemplateVariable {
                        position: v.position,
                        placeholder: v.placeholder.clone(),
                        distinct: v.distinct,
                        examples: v
                            .examples
                            .iter()
                            .map(|e| r.redact(e).into_owned())
                            .collect(),
                    })
                    .collect(),
            },
        ),
        context: context.clone(),
        intent: *intent,
    }
}

/// Calls `f` on every string of `runs` and `clusters` that [`Pass`] redacts, for learning
/// user names.
fn visit_texts(runs: &[Run], clusters: &[Cluster], f: &mut dyn FnMut(&str)) {
    for run in runs {
        f(&run.id);
        f(&run.workspace.slug);
        let opts = [
            &run.workspace.root,
            &run.title,
            &run.phase,
            &run.summary,
            &run.error_message,
            &run.model,
            &run.thread_id,
            &run.turn_id,
            &run.session_id,
        ];
        opts.into_iter().flatten().for_each(|s| f(s));
        f(&run.outcome_reason);
        let lines = run.last_entry.iter().chain(run.decisive.iter());
        let lines = lines.chain(run.error_lines.iter().map(|e| &e.line));
        let lines = lines.chain(run.findings.iter().flat_map(|x| x.evidence.iter()));
        for l in lines {
            f(&l.file);
            f(&l.text);
        }
        let s = &run.sources;
        [&s.index, &s.record, &s.log]
            .into_iter()
            .flatten()
            .for_each(|p| f(p));
    }
    for c in clusters {
        f(&c.title);
        for t in &c.templates {
            f(&t.template);
            t.variables
                .iter()
                .flat_map(|v| &v.examples)
                .for_each(|s| f(s));
        }
        c.workspaces.iter().for_each(|s| f(s));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_is_redacted_before_the_cap_cuts_a_token() {
        let token = format!("ghp_{}", "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5");
        // The cap falls inside the token: cut first, the tail would no longer look like one.
        let text = format!("{} GITHUB auth {token} rest", "x".repeat(220));
        let r = Redactor::new(None, None);
        let late = r.redact(&crate::run::cap_text(&text, 240)).into_owned();
        assert!(
            late.contains("ghp_aB3"),
            "cutting first leaks a half token: {late}"
        );
        let early = cap(Some(&r), &text, 240);
        assert!(!early.contains("ghp_aB3"), "{early}");
        assert!(early.starts_with(&"x".repeat(220)));
        // Unredacted (the history store), the cut drops the head of the word it falls in.
        let plain = cap(None, &text, 240);
        assert_eq!(plain, format!("{} GITHUB auth…", "x".repeat(220)));
        assert_eq!(cap(None, "short text", 240), "short text");
        assert_eq!(
            cap(None, &"y".repeat(300), 240),
            format!("{}…", "y".repeat(240))
        );
    }
}
