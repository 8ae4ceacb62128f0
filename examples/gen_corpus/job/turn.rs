//! The events of a turn (§5.1 of `docs/plugin-format.md`): reasoning, commands, file changes,
//! MCP and dynamic tools, web searches, messages and subagents.

use super::Gen;
use crate::log::{Log, collapse, short96};
use crate::plan::Kind;
use crate::rng::uuid_v7;
use crate::vocab::{ERR_KINDS, MCP_TOOLS, SUBAGENTS};
use crate::workspace::Lang;

/// What the turn leaves behind for the record: touched files, reasoning sections and the phase.
pub type TurnFacts = (Vec<String>, Vec<String>, &'static str);

impl Gen<'_> {
    /// `Running command:` and `Command <status>:` lines, `dur` ms apart.
    pub(super) fn cmd_pair(
        &mut self,
        log: &mut Log,
        inner: &str,
        status: &str,
        exit: &str,
        dur: (i64, i64),
    ) {
        let full = self.ws.wrap_cmd(inner);
        let c = short96(&full);
        log.line(&format!("Running command: {c}"));
        log.adv(&mut self.rng, dur.0, dur.1);
        log.line(&format!("Command {status}: {c} (exit {exit})"));
    }

    /// Emits turn events until the log reaches `target` bytes (at least one event).
    pub(super) fn turn_body(
        &mut self,
        log: &mut Log,
        target: usize,
        kind: Kind,
        write: bool,
    ) -> TurnFacts {
        let mut touched = Vec::new();
        let mut reasoning = Vec::new();
        let mut phase = "starting";
        if kind == Kind::Review {
            phase = "reviewing";
        }
        let mut steps = 0;
        while log.buf.len() < target || steps == 0 {
            steps += 1;
            let w: [u32; 9] = [
                10,                        // reasoning
                38,                        // read command
                12,                        // test/lint command
                if write { 9 } else { 1 }, // file change
                4,                         // mcp
                1,                         // web search
                8,                         // commentary message
                1,                         // subagent
                1,                         // dynamic tool
            ];
            log.adv(&mut self.rng, 300, 9000);
            let next = match self.rng.weighted(&w) {
                0 => self.reasoning_event(log, &mut reasoning),
                1 => self.read_event(log),
                2 => self.check_event(log),
                3 => self.file_change_event(log, &mut touched),
                4 => self.mcp_event(log),
                5 => self.search_event(log),
                6 => self.message_event(log),
                7 => self.subagent_event(log, &mut reasoning),
                _ => self.tool_event(log),
            };
            if let Some(next) = next {
                phase = next;
            }
        }
        (touched, reasoning, phase)
    }

    fn reasoning_event(
        &mut self,
        log: &mut Log,
        reasoning: &mut Vec<String>,
    ) -> Option<&'static str> {
        let k = 1 + self.rng.weighted(&[6, 3, 1]);
        let secs: Vec<String> = (0..k).map(|_| self.ctx().reasoning_section()).collect();
        let first = short96(&secs[0]);
        log.line(&format!("Reasoning summary captured: {first}"));
        let body: Vec<String> = secs.iter().map(|x| format!("- {}", collapse(x))).collect();
        log.block("Reasoning summary", &body.join("\n"));
        for x in secs {
            let c = collapse(&x);
            if !reasoning.contains(&c) {
                reasoning.push(c);
            }
        }
        None
    }

    fn read_event(&mut self, log: &mut Log) -> Option<&'static str> {
        let inner = self.ctx().read_cmd();
        let (st, ex) = if self.rng.chance(0.1) {
            ("failed", "1")
        } else if self.rng.chance(0.01) {
            ("failed", "2")
        } else {
            ("completed", "0")
        };
        self.cmd_pair(log, &inner, st, ex, (20, 1500));
        Some("running")
    }

    /// A test, lint or build command.
    fn check_event(&mut self, log: &mut Log) -> Option<&'static str> {
        let inner = if self.rng.chance(0.65) {
            self.ctx().test_cmd()
        } else {
            self.ctx().lint_cmd()
        };
        let r = self.rng.below(100);
        let (st, ex) = match r {
            0..=59 => ("completed", "0".to_string()),
            60..=89 => (
                "failed",
                (*self.rng.pick(&["1", "1", "1", "2", "101", "124", "137"])).to_string(),
            ),
            90..=95 => ("failed", "127".to_string()),
            _ => ("declined", "?".to_string()),
        };
        let ex = if self.ws.lang == Lang::Rust && ex == "1" && inner.starts_with("cargo test") {
            "101".to_string()
        } else {
            ex
        };
        self.cmd_pair(log, &inner, st, &ex, (2000, 120_000));
        Some("verifying")
    }

    fn file_change_event(
        &mut self,
        log: &mut Log,
        touched: &mut Vec<String>,
    ) -> Option<&'static str> {
        let n = 1 + self.rng.below(4);
        log.line(&format!("Applying {n} file change(s)."));
        log.adv(&mut self.rng, 100, 800);
        let st = if self.rng.chance(0.04) {
            "failed"
        } else if self.rng.chance(0.02) {
            "declined"
        } else {
            "completed"
        };
        log.line(&format!("File changes {st}."));
        for _ in 0..n {
            let f = self.ctx().file();
            if !touched.contains(&f) {
                touched.push(f);
            }
        }
        Some("editing")
    }

    fn mcp_event(&mut self, log: &mut Log) -> Option<&'static str> {
        let (srv, tool) = *self.rng.pick(MCP_TOOLS);
        log.line(&format!("Calling {srv}/{tool}."));
        log.adv(&mut self.rng, 200, 6000);
        let st = if self.rng.chance(0.12) {
            "failed"
        } else {
            "completed"
        };
        log.line(&format!("Tool {srv}/{tool} {st}."));
        Some("investigating")
    }

    fn search_event(&mut self, log: &mut Log) -> Option<&'static str> {
        let mut c = self.ctx();
        let q = format!(
            "{} {} {}",
            c.noun(),
            c.rng.pick(ERR_KINDS),
            c.rng.pick(&[
                "site:github.com",
                "docs",
                "changelog",
                "stack overflow",
                "release notes",
                "rfc"
            ])
        );
        log.line(&format!("Searching: {}", short96(&q)));
        Some("investigating")
    }

    /// A commentary message between steps.
    fn message_event(&mut self, log: &mut Log) -> Option<&'static str> {
        let len = self.rng.range(150, 2500) as usize;
        let text = self.ctx().markdown(len);
        log.line(&format!("Assistant message captured: {}", short96(&text)));
        log.block("Assistant message", &text);
        None
    }

    fn subagent_event(
        &mut self,
        log: &mut Log,
        reasoning: &mut Vec<String>,
    ) -> Option<&'static str> {
        let label = (*self.rng.pick(SUBAGENTS)).to_string();
        let tool = *self.rng.pick(&["spawn_agent", "wait", "send_input"]);
        log.line(&format!(
            "Starting subagent {label} via collaboration tool: {tool}."
        ));
        log.adv(&mut self.rng, 50, 400);
        let tid = uuid_v7(&mut self.rng, log.t);
        log.line(&format!("Turn started ({tid})."));
        log.adv(&mut self.rng, 2000, 30000);
        let sec = self.ctx().reasoning_section();
        log.line(&format!("Subagent {label} reasoning: {}", short96(&sec)));
        log.block(
            &format!("Subagent {label} reasoning summary"),
            &format!("- {}", collapse(&sec)),
        );
        let len = self.rng.range(100, 1200) as usize;
        let msg = self.ctx().markdown(len);
        log.line(&format!("Subagent {label}: {}", short96(&msg)));
        log.block(&format!("Subagent {label} message"), &msg);
        log.line(&format!("Subagent {label} completed."));
        let c = collapse(&sec);
        if !reasoning.contains(&c) {
            reasoning.push(c);
        }
        Some("investigating")
    }

    /// A dynamic tool call.
    fn tool_event(&mut self, log: &mut Log) -> Option<&'static str> {
        let tool = *self.rng.pick(&[
            "view_image",
            "apply_patch",
            "update_plan",
            "read_mcp_resource",
        ]);
        log.line(&format!("Running tool: {tool}."));
        log.adv(&mut self.rng, 20, 600);
        log.line(&format!("Tool {tool} completed."));
        Some("investigating")
    }
}
