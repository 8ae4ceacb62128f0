//! The end of a finished turn: the final message, `Turn <status>.`, the record's `result` and
//! `rendered` for each kind (§3.1 of `docs/plugin-format.md`), and the `Final output` block.

use std::fmt::Write as _;

use super::failure::Tail;
use super::review::render_adversarial;
use super::{End, Gen, Run};
use crate::js::{J, opt_s, s};
use crate::log::{collapse, first_line, short96};
use crate::plan::{Fail, JobPlan, Kind};
use crate::text::pascal;
use crate::vocab::{ADJS, NOUNS};

/// What the final message stage leaves for the `result`.
struct Final {
    message: Option<String>,
    review_stdout: String,
    parse_error: Option<String>,
    /// The adversarial review's structured result and its raw JSON.
    adv_json: Option<(J, String)>,
}

impl Gen<'_> {
    pub(super) fn complete(&mut self, p: &JobPlan, run: &mut Run, mut tail: Tail) -> End {
        let fin = if tail.turn_status == "completed" {
            run.log.adv(&mut self.rng, 2000, 15000);
            let forced = tail.final_message.take();
            match p.kind {
                Kind::Task => self.task_message(p, run, forced),
                Kind::Review => self.review_message(run, forced),
                Kind::Adversarial => self.adversarial_message(run, forced),
            }
        } else {
            Final {
                message: tail.final_message.take(),
                review_stdout: String::new(),
                parse_error: None,
                adv_json: None,
            }
        };
        if p.kind != Kind::Task {
            run.touched.clear();
        }
        run.log.adv(&mut self.rng, 10, 460);
        run.log.line(match tail.turn_status {
            "completed" => "Turn completed.",
            "failed" => "Turn failed.",
            _ => "Turn interrupted.",
        });
        let ok = tail.turn_status == "completed";
        let completed_at = run.log.t + self.rng.range(0, 2);
        let (result, rendered, index_summary) = match p.kind {
            Kind::Task => task_result(run, ok, fin, &tail.codex_error),
            Kind::Review => review_result(run, ok, fin),
            Kind::Adversarial => self.adversarial_record(run, ok, fin),
        };
        let upd = completed_at + self.rng.range(6, 16);
        run.log.t = upd + self.rng.range(2, 10);
        run.log.block("Final output", &rendered);
        End {
            status: if ok { "completed" } else { "failed" },
            phase: if ok { "done" } else { "failed" },
            pid: None,
            completed_at: Some(completed_at),
            error_message: None,
            cancelled: false,
            result: Some(result),
            rendered: Some(rendered),
            index_summary: Some(index_summary),
            updated: upd,
            stale_updated: None,
            drop_turn_in_file: false,
        }
    }

    fn task_message(&mut self, p: &JobPlan, run: &mut Run, forced: Option<String>) -> Final {
        let msg = if let Some(m) = forced {
            m
        } else if p.stop_gate {
            let mut c = self.ctx();
            if c.rng.chance(0.6) {
                format!("ALLOW: {}", c.sentence())
            } else {
                let f = c.file();
                let l = c.rng.range(2, 400);
                format!(
                    "BLOCK: {} in {f}:{l}-{}.",
                    pascal(&format!("{} {} guard", c.rng.pick(ADJS), c.noun())),
                    l + c.rng.range(1, 9)
                )
            }
        } else {
            let len = self.rng.range(200, 3500) as usize;
            self.ctx().markdown(len)
        };
        run.log
            .line(&format!("Assistant message captured: {}", short96(&msg)));
        run.log.block("Assistant message", &msg);
        Final {
            message: Some(msg),
            review_stdout: String::new(),
            parse_error: None,
            adv_json: None,
        }
    }

    fn review_message(&mut self, run: &mut Run, forced: Option<String>) -> Final {
        let text = if let Some(m) = forced {
            m
        } else {
            self.review_text()
        };
        if self.rng.chance(0.3) {
            run.log.adv(&mut self.rng, 200, 3000);
            let sec = self.ctx().reasoning_section();
            run.log
                .line(&format!("Reasoning summary captured: {}", short96(&sec)));
            run.log
                .block("Reasoning summary", &format!("- {}", collapse(&sec)));
            run.reasoning.push(collapse(&sec));
        }
        run.log.line("Review output captured.");
        run.log.block("Review output", &text);
        run.log.adv(&mut self.rng, 10, 40);
        run.log.line("Reviewer finished.");
        Final {
            message: None,
            review_stdout: text,
            parse_error: None,
            adv_json: None,
        }
    }

    /// The structured JSON result, or prose that fails to parse (`AdvInvalidJson`).
    fn adversarial_message(&mut self, run: &mut Run, forced: Option<String>) -> Final {
        if run.fail == Some(Fail::AdvInvalidJson) {
            let mut c = self.ctx();
            let opener = format!(
                "I'll inspect the {} changes first and then check the {} callers.",
                c.noun(),
                c.rng.pick(ADJS)
            );
            let msg = if c.rng.chance(0.5) {
                opener
            } else {
                format!("{opener}\n\n{}", c.paragraph(1, 3))
            };
            let head: String = msg.chars().take(10).collect();
            let first = msg.chars().next().unwrap_or('I');
            let parse_error = Some(format!(
                "Unexpected token '{first}', \"{head}\"... is not valid JSON"
            ));
            run.log
                .line(&format!("Assistant message captured: {}", short96(&msg)));
            run.log.block("Assistant message", &msg);
            return Final {
                message: Some(msg),
                review_stdout: String::new(),
                parse_error,
                adv_json: None,
            };
        }
        let (obj, raw) = self.adversarial_result(forced);
        run.log
            .line(&format!("Assistant message captured: {}", short96(&raw)));
        run.log.block("Assistant message", &raw);
        Final {
            message: Some(raw.clone()),
            review_stdout: String::new(),
            parse_error: None,
            adv_json: Some((obj, raw)),
        }
    }

    fn adversarial_record(&mut self, run: &Run, ok: bool, fin: Final) -> (J, String, String) {
        let h = &run.h;
        let raw = if ok {
            fin.message.clone().unwrap_or_default()
        } else {
            String::new()
        };
        let mut parse_error = fin.parse_error;
        let (structured, summary_line, rend) = match (&fin.adv_json, &parse_error) {
            (Some((obj, _)), _) => {
                let (rend, summ) = render_adversarial(obj, &h.target_label);
                (obj.clone(), summ, rend)
            }
            (None, Some(pe)) => {
                let rend = format!(
                    "# Codex Adversarial Review\n\nCodex did not return valid structured JSON.\n\n- Parse error: {pe}\n\nRaw final message:\n\n```text\n{}\n```\n",
                    raw.trim_end()
                );
                (J::Null, pe.clone(), rend)
            }
            (None, None) => {
                let pe = "Codex did not return a final structured message.".to_string();
                let rend = format!(
                    "# Codex Adversarial Review\n\nCodex did not return valid structured JSON.\n\n- Parse error: {pe}\n"
                );
                parse_error = Some(pe.clone());
                (J::Null, pe, rend)
            }
        };
        let staged = self.rng.range(0, 4);
        let unstaged = self.rng.range(0, 9);
        let untracked = self.rng.range(0, 3);
        let branch = if h.branch_target {
            format!(
                "{}/{}-{}",
                self.rng.pick(&["feature", "fix", "chore"]),
                self.rng.pick(NOUNS),
                self.rng.pick(ADJS)
            )
        } else {
            (*self.rng.pick(&["main", "main", "master", "develop"])).to_string()
        };
        let ctx_summary = if h.branch_target {
            format!(
                "Reviewing {} commit(s) against {}.",
                self.rng.range(1, 14),
                h.base_ref
            )
        } else {
            format!(
                "Reviewing {staged} staged, {unstaged} unstaged, and {untracked} untracked file(s)."
            )
        };
        let reasoning_arr = reasoning_json(run);
        let result = J::Obj(vec![
            ("review", s("Adversarial Review")),
            ("target", target_json(run)),
            ("threadId", thread_json(run)),
            (
                "context",
                J::Obj(vec![
                    ("repoRoot", s(self.ws.root.clone())),
                    ("branch", s(branch)),
                    ("summary", s(ctx_summary)),
                ]),
            ),
            ("codex", codex_json(ok, raw.clone(), reasoning_arr.clone())),
            ("result", structured),
            ("rawOutput", s(raw)),
            ("parseError", opt_s(&parse_error)),
            ("reasoningSummary", reasoning_arr),
        ]);
        (result, rend, summary_line)
    }
}

/// `result`, `rendered` and the index summary of a task.
fn task_result(
    run: &Run,
    ok: bool,
    fin: Final,
    codex_error: &Option<String>,
) -> (J, String, String) {
    let raw = if ok {
        fin.message.unwrap_or_default()
    } else {
        String::new()
    };
    let rend = if !raw.is_empty() {
        format!("{}\n", raw.trim_end())
    } else if let Some(e) = codex_error {
        format!("{e}\n")
    } else {
        "Codex did not return a final message.\n".to_string()
    };
    let summary = first_line(&raw)
        .or_else(|| codex_error.as_deref().and_then(first_line))
        .unwrap_or_else(|| format!("{} finished.", run.h.title));
    let result = J::Obj(vec![
        ("status", J::Int(if ok { 0 } else { 1 })),
        ("threadId", thread_json(run)),
        ("rawOutput", s(raw)),
        (
            "touchedFiles",
            J::Arr(run.touched.iter().map(|x| s(x.clone())).collect()),
        ),
        ("reasoningSummary", reasoning_json(run)),
    ]);
    (result, rend, summary)
}

/// `result`, `rendered` and the index summary of a native review.
fn review_result(run: &Run, ok: bool, fin: Final) -> (J, String, String) {
    let stdout = fin.review_stdout;
    let mut rend = format!("# Codex Review\n\nTarget: {}\n\n", run.h.target_label);
    if ok {
        rend.push_str(stdout.trim_end());
        rend.push('\n');
        if !run.reasoning.is_empty() {
            rend.push_str("\nReasoning:\n");
            for r in &run.reasoning {
                let _ = writeln!(rend, "- {r}");
            }
        }
    } else {
        rend.push_str("Codex review failed.\n");
    }
    let summary = first_line(&stdout).unwrap_or_else(|| "Review completed.".to_string());
    let thread = thread_json(run);
    let result = J::Obj(vec![
        ("review", s("Review")),
        ("target", target_json(run)),
        ("threadId", thread.clone()),
        ("sourceThreadId", thread),
        ("codex", codex_json(ok, stdout, reasoning_json(run))),
    ]);
    (result, rend, summary)
}

fn thread_json(run: &Run) -> J {
    s(run.thread.clone().unwrap_or_default())
}

fn reasoning_json(run: &Run) -> J {
    J::Arr(run.reasoning.iter().map(|x| s(x.clone())).collect())
}

/// The `codex` object of a review result.
fn codex_json(ok: bool, stdout: String, reasoning: J) -> J {
    J::Obj(vec![
        ("status", J::Int(if ok { 0 } else { 1 })),
        ("stderr", s("")),
        ("stdout", s(stdout)),
        ("reasoning", reasoning),
    ])
}

/// The review `target` object.
fn target_json(run: &Run) -> J {
    let h = &run.h;
    let mut v = vec![
        (
            "mode",
            s(if h.branch_target {
                "branch"
            } else {
                "working-tree"
            }),
        ),
        ("label", s(h.target_label.clone())),
    ];
    if h.branch_target {
        v.push(("baseRef", s(h.base_ref.clone())));
    }
    v.push(("explicit", J::Bool(h.branch_target)));
    J::Obj(v)
}
