//! Review texts: a native review's output and an adversarial review's structured result,
//! and how the plugin renders the latter.

use std::fmt::Write as _;

use super::Gen;
use crate::Style;
use crate::js::{J, s};
use crate::log::collapse;
use crate::text::pascal;
use crate::vocab::{ADJS, SEVERITIES};

impl Gen<'_> {
    /// The stdout of a native review: a summary, often with `[P<n>]` comments.
    pub(super) fn review_text(&mut self) -> String {
        if self.style == Style::Prose {
            return self.ctx().prose_review();
        }
        let mut c = self.ctx();
        if c.rng.chance(0.25) {
            let first = *c.rng.pick(&[
                "Reviewed uncommitted changes.",
                "Reviewed the changes against the base branch.",
                "The patch looks correct.",
                "No material issues found.",
            ]);
            return format!("{first}\n{}", c.paragraph(1, 3));
        }
        let mut out = c.paragraph(1, 3);
        out.push_str("\n\nFull review comments:\n");
        let n = 1 + c.rng.below(6);
        for _ in 0..n {
            let p = c.rng.range(0, 3);
            let f = c.file();
            let l = c.rng.range(1, 600);
            let title = format!(
                "{} {} {}",
                c.rng.pick(&[
                    "Guard",
                    "Handle",
                    "Avoid",
                    "Fix",
                    "Validate",
                    "Preserve",
                    "Do not drop"
                ]),
                c.rng.pick(ADJS),
                c.noun()
            );
            let body = c.paragraph(1, 3);
            let _ = write!(
                out,
                "\n- [P{p}] {title} — {}:{l}-{}\n  {body}\n",
                c.rng.pick(&[f.as_str()]),
                l + c.rng.range(0, 20)
            );
            if c.rng.chance(0.3) {
                let fl = c.fence_lang();
                let _ = writeln!(out, "\n  ```{fl}");
                let mut code = String::new();
                let k = 2 + c.rng.below(6);
                c.code_lines(k, &mut code);
                for line in code.lines() {
                    let _ = writeln!(out, "  {line}");
                }
                out.push_str("  ```\n");
            }
        }
        out
    }

    /// The adversarial review's JSON result (`verdict`, `summary`, `findings`, `next_steps`)
    /// and its compact text; `forced_summary` replaces the summary (a failure's message).
    pub(super) fn adversarial_result(&mut self, forced_summary: Option<String>) -> (J, String) {
        let mut c = self.ctx();
        let n = c.rng.below(5);
        let mut findings = Vec::new();
        for _ in 0..n.max(if forced_summary.is_some() { 0 } else { 1 }) {
            let f = c.file();
            let l = c.rng.range(1, 500);
            let title = format!(
                "{} {} {}",
                pascal(c.rng.pk(ADJS)),
                c.noun(),
                c.rng.pick(&[
                    "race",
                    "guard missing",
                    "leak",
                    "not validated",
                    "silently dropped",
                    "double-applied",
                    "unbounded"
                ])
            );
            let conf = c.rng.range(35, 98) as f64 / 100.0;
            findings.push(J::Obj(vec![
                ("severity", s(*c.rng.pick(SEVERITIES))),
                ("title", s(title)),
                ("body", s(c.paragraph(1, 3))),
                ("file", s(f)),
                ("line_start", J::Int(l)),
                ("line_end", J::Int(l + c.rng.range(0, 30))),
                ("confidence", J::Num(conf)),
                ("recommendation", s(c.sentence())),
            ]));
        }
        let verdict = if findings.is_empty() {
            "approve"
        } else {
            "needs-attention"
        };
        let summary = forced_summary.unwrap_or_else(|| {
            if findings.is_empty() {
                "No defensible ship-blocking finding.".to_string()
            } else {
                format!(
                    "{} adversarial concern(s) surfaced. {}",
                    findings.len(),
                    c.sentence()
                )
            }
        });
        let steps: Vec<J> = (0..1 + c.rng.below(3)).map(|_| s(c.sentence())).collect();
        let obj = J::Obj(vec![
            ("verdict", s(verdict)),
            ("summary", s(collapse(&summary))),
            ("findings", J::Arr(findings)),
            ("next_steps", J::Arr(steps)),
        ]);
        let raw = obj.compact();
        (obj, raw)
    }
}

/// The plugin's rendering of an adversarial result, and its summary line.
pub(super) fn render_adversarial(obj: &J, target_label: &str) -> (String, String) {
    let get = |k: &str| -> Option<&J> {
        if let J::Obj(f) = obj {
            f.iter().find(|(kk, _)| *kk == k).map(|(_, v)| v)
        } else {
            None
        }
    };
    let str_of = |j: Option<&J>| -> String {
        match j {
            Some(J::Str(x)) => x.clone(),
            _ => String::new(),
        }
    };
    let verdict = str_of(get("verdict"));
    let summary = str_of(get("summary"));
    let mut out = format!(
        "# Codex Adversarial Review\n\nTarget: {target_label}\nVerdict: {verdict}\n\n{summary}\n"
    );
    if let Some(J::Arr(fs)) = get("findings") {
        if fs.is_empty() {
            out.push_str("\nNo material findings.\n");
        } else {
            out.push_str("\nFindings:\n");
            for fj in fs {
                if let J::Obj(ff) = fj {
                    let g = |k: &str| ff.iter().find(|(kk, _)| *kk == k).map(|(_, v)| v);
                    let gi = |k: &str| match g(k) {
                        Some(J::Int(i)) => *i,
                        _ => 0,
                    };
                    let _ = write!(
                        out,
                        "- [{}] {} ({}:{}-{})\n  {}\n  Recommendation: {}\n",
                        str_of(g("severity")),
                        str_of(g("title")),
                        str_of(g("file")),
                        gi("line_start"),
                        gi("line_end"),
                        str_of(g("body")),
                        str_of(g("recommendation"))
                    );
                }
            }
        }
    }
    if let Some(J::Arr(ns)) = get("next_steps")
        && !ns.is_empty()
    {
        out.push_str("\nNext steps:\n");
        for n in ns {
            let _ = writeln!(out, "- {}", str_of(Some(n)));
        }
    }
    (out, summary)
}

// ---------------------------------------------------------------------------
// Driver
// ---------------------------------------------------------------------------
