//! The catalogued failure scenarios and the outcome tails (live, cancelled, interrupted).
//!
//! Failure texts are verbatim from `signatures.json` and go where the plugin puts them:
//! `errorMessage` only (startup exceptions), `Codex error:` + `Turn failed.`, the final
//! message after failed commands, or a log that just stops (hung jobs).

use std::ops::ControlFlow;

use super::{End, Gen, Run};
use crate::log::short96;
use crate::plan::{Fail, JobPlan, Outcome};
use crate::rng::B62;
use crate::vocab::MCP_TOOLS;
use crate::workspace::Os;

const USAGE_LIMIT_MSGS: &[&str] = &[
    "You've hit your usage limit. Visit https://chatgpt.com/codex/settings/usage to purchase more credits or try again at",
    "You've hit your usage limit. To get more access now, send a request to your admin or try again at",
    "You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing) or try again in",
];
const CONTEXT_MSGS: &[&str] = &[
    "Codex ran out of room in the model's context window. Start a new thread or clear earlier history before retrying.",
    "Codex ran out of room in the model's context window. Start a new conversation or clear earlier history before retrying.",
];
const AUTH_MSGS: &[&str] = &[
    "Failed to refresh token: 401 Unauthorized: Your refresh token has already been used to generate a new access token. Please try signing in again.",
    "Your access token could not be refreshed because your refresh token was already used. Please log out and sign in again.",
];
const STREAM_MSGS: &[&str] = &[
    "stream disconnected before completion: error sending request for url (https://chatgpt.com/backend-api/codex/responses)",
    "stream disconnected before completion: stream closed before response.completed",
    "stream disconnected before completion: websocket closed by server before response.completed",
];
const BWRAP_MSGS: &[&str] = &[
    "bwrap: No permissions to create a new namespace, likely because the kernel does not allow non-privileged user namespaces.",
    "bwrap: loopback: Failed RTM_NEWADDR: Operation not permitted",
    "bwrap: setting up uid map: Permission denied",
    "bwrap: Creating new namespace failed: Operation not permitted",
];
const SERVER_500: &str = "unexpected status 500 Internal Server Error: {\"error\":{\"message\":\"An error occurred while processing your request. You can retry your request, or contact us through our help center at help.openai.com if the error persists.\",\"type\":\"server_error\"}}";

/// What a failure leaves for the completion stage.
pub(super) struct Tail {
    /// Replaces the generated final message (text after failed commands).
    pub final_message: Option<String>,
    /// `completed`, `failed` or `interrupted`.
    pub turn_status: &'static str,
    /// Written as `Codex error: …` and used for `rendered` when there is no final message.
    pub codex_error: Option<String>,
}

impl Tail {
    fn message(m: String) -> Tail {
        Tail {
            final_message: Some(m),
            turn_status: "completed",
            codex_error: None,
        }
    }
    fn codex_error(e: String) -> Tail {
        Tail {
            final_message: None,
            turn_status: "failed",
            codex_error: Some(e),
        }
    }
}

/// `errorMessage` of an exception before the thread exists (no log line is written).
pub(super) fn startup_error(f: Fail, os: Os) -> &'static str {
    match f {
        Fail::SpawnEnoent => "spawn codex ENOENT",
        Fail::NotAuthenticated => "Codex CLI is not authenticated. Run `!codex login` and retry.",
        Fail::Eisdir => "EISDIR: illegal operation on a directory, read",
        _ => {
            if os == Os::Windows {
                "spawnSync C:\\Windows\\system32\\cmd.exe ENOBUFS"
            } else {
                "spawnSync git ENOBUFS"
            }
        }
    }
}

impl Gen<'_> {
    /// The failure's own lines after the turn body; hung and stale jobs end here.
    pub(super) fn failure_tail(&mut self, p: &JobPlan, run: &mut Run) -> ControlFlow<End, Tail> {
        let tail = match run.fail {
            Some(Fail::UsageLimit) => Tail::codex_error(self.usage_limit(run)),
            Some(Fail::ContextWindow) => {
                run.log.adv(&mut self.rng, 3000, 20000);
                Tail::codex_error((*self.rng.pick(CONTEXT_MSGS)).to_string())
            }
            Some(Fail::AuthRefresh) => {
                run.log.adv(&mut self.rng, 1000, 4000);
                Tail::codex_error((*self.rng.pick(AUTH_MSGS)).to_string())
            }
            Some(Fail::ModelNotSupported) => {
                run.log.adv(&mut self.rng, 500, 1500);
                let m = run
                    .h
                    .model
                    .clone()
                    .unwrap_or_else(|| "gpt-5.3-codex".into());
                Tail::codex_error(format!(
                    "{{\"type\":\"error\",\"status\":400,\"error\":{{\"type\":\"invalid_request_error\",\"message\":\"The '{m}' model is not supported when using Codex with a ChatGPT account.\"}}}}"
                ))
            }
            Some(Fail::StreamDisconnected) => Tail::codex_error(self.stream_disconnected(run)),
            Some(Fail::ErrorNotificationHang) => {
                run.log.adv(&mut self.rng, 5000, 40000);
                run.log.line(&format!("Codex error: {SERVER_500}"));
                let upd = run.log.t + self.rng.range(1, 4);
                return ControlFlow::Break(End::running("failed", run.run_pid, upd, false));
            }
            Some(Fail::WedgedMidCommand) => return ControlFlow::Break(self.wedged(p, run)),
            Some(Fail::GitbashDeclined) => return ControlFlow::Break(self.gitbash_declined(run)),
            Some(Fail::BrokerStale) => return ControlFlow::Break(self.broker_stale(p, run)),
            Some(
                f @ (Fail::Sandbox1920 | Fail::SandboxSetupRefresh | Fail::SandboxBlockedPolicy),
            ) => Tail::message(self.windows_sandbox(f, run)),
            Some(Fail::Bwrap) => Tail::message(self.bwrap(run)),
            Some(Fail::McpRejected) => Tail::message(self.mcp_rejected(run)),
            _ => Tail {
                final_message: None,
                turn_status: "completed",
                codex_error: None,
            },
        };
        if let Some(err) = &tail.codex_error {
            run.log.line(&format!("Codex error: {err}"));
        }
        ControlFlow::Continue(tail)
    }

    fn usage_limit(&mut self, run: &mut Run) -> String {
        run.log.adv(&mut self.rng, 1000, 8000);
        let base = *self.rng.pick(USAGE_LIMIT_MSGS);
        if base.ends_with(" in") {
            format!(
                "{base} {} days {} hours {} minutes.",
                self.rng.range(1, 6),
                self.rng.range(0, 23),
                self.rng.range(1, 59)
            )
        } else {
            format!(
                "{base} {}:{:02} {}.",
                self.rng.range(1, 12),
                self.rng.range(0, 59),
                self.rng.pick(&["AM", "PM"])
            )
        }
    }

    /// Five retryable `Reconnecting... n/5` errors, then the final one.
    fn stream_disconnected(&mut self, run: &mut Run) -> String {
        let m = *self.rng.pick(STREAM_MSGS);
        let mut wait = 2000;
        for i in 1..=5 {
            run.log.adv(&mut self.rng, wait, wait + 100);
            run.log
                .line(&format!("Codex error: Reconnecting... {i}/5 ({m})"));
            wait *= 2;
        }
        run.log.adv(&mut self.rng, 30000, 32000);
        m.to_string()
    }

    /// The log stops at `Running command:`; the record stays `running`.
    fn wedged(&mut self, p: &JobPlan, run: &mut Run) -> End {
        run.log.adv(&mut self.rng, 500, 3000);
        let inner = if self.rng.chance(0.5) {
            self.ctx().test_cmd()
        } else {
            self.ctx().read_cmd()
        };
        let c = short96(&self.ws.wrap_cmd(&inner));
        run.log.line(&format!("Running command: {c}"));
        let upd = run.log.t;
        let drop_turn = p.background && self.rng.chance(0.25);
        End::running("running", run.run_pid, upd, drop_turn)
    }

    /// Git Bash users: PowerShell commands declined with `exit -1`, then the review hangs.
    fn gitbash_declined(&mut self, run: &mut Run) -> End {
        for inner in ["Write-Output hi", "git status -v", "git diff"] {
            run.log.adv(&mut self.rng, 1200, 1800);
            let c = format!("powershell.exe -Command '{inner}'");
            run.log.line(&format!("Running command: {c}"));
            run.log.adv(&mut self.rng, 30, 60);
            run.log.line(&format!("Command declined: {c} (exit -1)"));
        }
        run.log.adv(&mut self.rng, 1200, 1800);
        run.log.line("Calling ide/getDiagnostics.");
        End::running("investigating", run.run_pid, run.log.t, false)
    }

    /// A cancel long after the broker went away: `connect ENOENT …/broker.sock`.
    fn broker_stale(&mut self, p: &JobPlan, run: &mut Run) -> End {
        run.log.adv(&mut self.rng, 600_000, 3_600_000);
        let tag = self.rng.alnum(6, B62);
        let tmp = if self.ws.os == Os::Windows {
            "/tmp".to_string()
        } else {
            self.ws.broker_tmp.clone()
        };
        run.log.line(&format!(
            "Codex turn interrupt failed: connect ENOENT {tmp}/cxc-{tag}/broker.sock"
        ));
        run.log.line("Cancelled by user.");
        let t = run.log.t;
        let stale = t - self.rng.range(600_000, 2_000_000);
        End::cancelled(t, t + self.rng.range(3, 12), Some(stale.max(p.created)))
    }

    /// Windows sandbox failures: commands fail with `exit -1`, the final message quotes why.
    fn windows_sandbox(&mut self, fail: Fail, run: &mut Run) -> String {
        let k = 2 + self.rng.below(3);
        let mut ran = Vec::new();
        for _ in 0..k {
            run.log.adv(&mut self.rng, 1000, 1500);
            let inner = match self.rng.below(4) {
                0 => "git status --short".to_string(),
                1 => format!("Get-Content {}", self.ctx().file()),
                2 => format!("rg -n \"{}\" src", self.ctx().type_name()),
                _ => "git diff --stat".to_string(),
            };
            self.cmd_pair(&mut run.log, &inner, "failed", "-1", (30, 60));
            ran.push(inner);
        }
        let lit = match fail {
            Fail::Sandbox1920 => {
                if self.rng.chance(0.7) {
                    "windows sandbox: runner error: CreateProcessAsUserW failed: 1920"
                } else {
                    "execution error: Io(Custom { kind: Other, error: \"windows sandbox: runner error: CreateProcessAsUserW failed: 1920\" })"
                }
            }
            Fail::SandboxSetupRefresh => *self.rng.pick(&[
                "windows sandbox: spawn setup refresh",
                "windows sandbox failed: spawn setup refresh",
                "windows sandbox: setup refresh failed with status exit code: 1",
            ]),
            _ => "exec_command failed: CreateProcess",
        };
        let follow = self.ctx().paragraph(1, 2);
        if fail == Fail::SandboxBlockedPolicy {
            format!(
                "Shell access to inspect the working tree was blocked in this session, so I could not review the staged/unstaged/untracked changes directly.\n\nEvery command was `rejected: blocked by policy` (`{lit}`).\n\n{follow}"
            )
        } else {
            format!(
                "Shell access was blocked, I could not run `{}`: every command failed before the process started with\n\n```\n{lit}\n```\n\n{follow}",
                ran.join("`, `")
            )
        }
    }

    /// Linux bubblewrap cannot create its namespace: every command fails.
    fn bwrap(&mut self, run: &mut Run) -> String {
        for _ in 0..(1 + self.rng.below(3)) {
            run.log.adv(&mut self.rng, 1000, 1500);
            let inner = if self.rng.chance(0.5) {
                self.ctx().read_cmd()
            } else {
                self.ctx().test_cmd()
            };
            self.cmd_pair(&mut run.log, &inner, "failed", "1", (30, 60));
        }
        let lit = *self.rng.pick(BWRAP_MSGS);
        let f = self.ctx().file();
        format!(
            "I couldn't make the change: every shell command failed inside the sandbox before it ran:\n\n```\n{lit}\n```\n\nThe bubblewrap sandbox cannot start on this host (unprivileged user namespaces are disabled), so I could not read `{f}` or run the tests."
        )
    }

    fn mcp_rejected(&mut self, run: &mut Run) -> String {
        let (srv, tool) = *self.rng.pick(MCP_TOOLS);
        for _ in 0..2 {
            run.log.adv(&mut self.rng, 1000, 1600);
            run.log.line(&format!("Calling {srv}/{tool}."));
            run.log.adv(&mut self.rng, 30, 60);
            run.log.line(&format!("Tool {srv}/{tool} failed."));
        }
        let rest = self.ctx().paragraph(1, 2);
        format!(
            "The {srv} MCP server appears to be unavailable in this session: both `{srv}/{tool}` calls failed with `user rejected MCP tool call`. {rest}"
        )
    }

    /// Live and cancelled jobs end here; interrupted turns go on to completion.
    pub(super) fn outcome_tail(
        &mut self,
        p: &JobPlan,
        run: &mut Run,
        tail: &mut Tail,
    ) -> ControlFlow<End> {
        match p.outcome {
            Outcome::Live => {
                let end = End::running(run.phase, run.run_pid, run.log.t, false);
                return ControlFlow::Break(end);
            }
            Outcome::Cancelled => return ControlFlow::Break(self.cancel(run)),
            Outcome::Interrupted => {
                run.log.adv(&mut self.rng, 20, 5000);
                tail.turn_status = "interrupted";
            }
            _ => {}
        }
        // Retryable reconnect noise on some healthy jobs.
        if run.fail.is_none() && p.outcome == Outcome::Completed && self.rng.chance(0.005) {
            let m = *self.rng.pick(STREAM_MSGS);
            run.log.adv(&mut self.rng, 1000, 3000);
            run.log
                .line(&format!("Codex error: Reconnecting... 1/5 ({m})"));
        }
        ControlFlow::Continue(())
    }

    /// `/codex:cancel`: interrupt (or a failed interrupt), then `Cancelled by user.`
    fn cancel(&mut self, run: &mut Run) -> End {
        let log = &mut run.log;
        let stale = log.t;
        log.adv(&mut self.rng, 200, 60000);
        let interrupted = self.rng.chance(0.8);
        if interrupted {
            log.line("Turn interrupted.");
            log.adv(&mut self.rng, 0, 2);
            let turn_id = run.turn.as_deref().unwrap_or_default();
            let tid = run.thread.as_deref().unwrap_or_default();
            log.line(&format!(
                "Requested Codex turn interrupt for {turn_id} on {tid}."
            ));
        } else {
            log.line(&format!(
                "Codex turn interrupt failed: connect ECONNREFUSED {}/cxc-{}/broker.sock",
                if self.ws.os == Os::Windows {
                    "/tmp".to_string()
                } else {
                    self.ws.broker_tmp.clone()
                },
                self.rng.alnum(6, B62)
            ));
        }
        log.adv(&mut self.rng, 0, 2);
        log.line("Cancelled by user.");
        let t = log.t;
        End::cancelled(t, t + self.rng.range(3, 12), Some(stale))
    }
}
