//! Redaction on the report model: one pass over a [`ScanResult`] before any renderer sees it,
//! so every output (human, JSON, NDJSON, Markdown, bundle) gets the same redacted text and a
//! new format cannot bypass it. JSON keeps streaming, since nothing is redacted after rendering.
//!
//! Every struct is destructured field by field (no `..`): a field added to the model does not
//! compile until it is decided here whether it carries record text.

use std::collections::HashMap;

use super::Redactor;
use crate::cluster::{Cluster, MatrixRow, RelatedRef};
use crate::run::{Finding, LineRef, Run, SharedPath, Sources, Workspace};
use crate::scan::{ScanResult, Scanned};
use crate::warn::Warning;

/// `base` extended with the user names seen in the home paths anywhere in `res`, so that a
/// name is also hidden where it stands alone (a workspace slug, a word in a prompt).
pub fn learned(res: &ScanResult, base: &Redactor) -> Redactor {
    let mut all = String::new();
    visit_texts(res, &mut |s| {
        all.push_str(s);
        all.push('\n');
    });
    let mut r = base.clone();
    r.learn(&all);
    r
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
        } = scanned;
        ScanResult {
            scanned: Scanned {
                roots: self.all(roots),
                jobs: *jobs,
                files: *files,
                bytes: *bytes,
                workspaces: *workspaces,
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
        } = c;
        Cluster {
            id: self.s(id),
            signature: signature.clone(),
            title: self.s(title),
            family: family.clone(),
            severity: *severity,
            count: *count,
            runs: self.all(runs),
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

/// Calls `f` on every string of `res` that [`Pass`] redacts, for learning user names.
fn visit_texts(res: &ScanResult, f: &mut dyn FnMut(&str)) {
    res.scanned.roots.iter().for_each(|s| f(s));
    for w in &res.warnings {
        f(&w.path);
        f(&w.message);
    }
    for run in &res.runs {
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
    for c in &res.clusters {
        f(&c.title);
        c.workspaces.iter().for_each(|s| f(s));
    }
}
