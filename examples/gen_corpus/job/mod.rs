//! One job played out from its plan into a log, a record (`jobs/<id>.json`) and an index entry.
//!
//! `Gen::job` runs the stages of a real job in order; each stage either goes on or ends the job
//! early (`ControlFlow::Break(End)`), the way the plugin leaves a record when a job is queued,
//! fails at startup, hangs or is cancelled:
//!
//! 1. `open`: header fields, `Starting <title>.`, `Queued for background execution.`
//! 2. `queued_end`: jobs that never left the queue (queued, cancelled while queued).
//! 3. `start`: `startedAt`, pid; startup exceptions that write no log line (`failure.rs`).
//! 4. `open_thread`: thread and turn lines; app-server closed, stall after `Turn started`.
//! 5. `run_turn`: the turn's events (`turn.rs`).
//! 6. `failure_tail`: the catalogued failure's own lines (`failure.rs`).
//! 7. `outcome_tail`: live, cancelled and interrupted jobs (`failure.rs`).
//! 8. `complete`: final message, `Turn …`, `result`/`rendered`, `Final output` (`complete.rs`).
//!
//! `record::finish` then writes the JSON record and the index entry from the `Run` and its `End`.

mod complete;
mod failure;
mod record;
mod review;
mod turn;

use std::ops::ControlFlow;

use crate::Style;
use crate::js::{J, opt_s, s};
use crate::log::{Log, short96};
use crate::plan::{Fail, JobPlan, Kind, Outcome};
use crate::rng::{B36, Rng, base36, uuid_v7};
use crate::text::Ctx;
use crate::vocab::{ADJS, BRANCHES, EFFORTS, ERR_KINDS, MODELS, MODULES};
use crate::workspace::Workspace;

/// A generated job: its record, its log, and its `state.json` index entry.
pub struct Job {
    pub id: String,
    pub json: String,
    pub log: String,
    pub index: J,
    pub updated_at: String,
}

/// The job generator of one workspace: its PRNG stream and the threads that jobs can resume.
pub struct Gen<'a> {
    pub ws: &'a Workspace,
    pub rng: Rng,
    pub thread_ids: Vec<String>,
    pub style: Style,
}

/// Fields fixed before the log is written.
struct Header {
    id: String,
    kind_s: &'static str,
    label: &'static str,
    title: &'static str,
    job_class: &'static str,
    init_summary: String,
    branch_target: bool,
    base_ref: String,
    target_label: String,
    model: Option<String>,
    request: Option<J>,
}

/// A job being played: its header, its log and what the stages found out so far.
struct Run {
    h: Header,
    log: Log,
    fail: Option<Fail>,
    worker_pid: i64,
    run_pid: i64,
    started_at: Option<i64>,
    thread: Option<String>,
    turn: Option<String>,
    phase: &'static str,
    touched: Vec<String>,
    reasoning: Vec<String>,
}

/// How the record ends: the fields the last stage decides.
struct End {
    status: &'static str,
    phase: &'static str,
    pid: Option<i64>,
    completed_at: Option<i64>,
    error_message: Option<String>,
    cancelled: bool,
    result: Option<J>,
    rendered: Option<String>,
    index_summary: Option<String>,
    updated: i64,
    stale_updated: Option<i64>,
    /// The record lost its `turnId` (a worker that died before writing it back).
    drop_turn_in_file: bool,
}

impl End {
    /// Still `running` (a live job, or a hung one whose process is gone).
    fn running(phase: &'static str, pid: i64, updated: i64, drop_turn_in_file: bool) -> End {
        End {
            status: "running",
            phase,
            pid: Some(pid),
            completed_at: None,
            error_message: None,
            cancelled: false,
            result: None,
            rendered: None,
            index_summary: None,
            updated,
            stale_updated: None,
            drop_turn_in_file,
        }
    }
    /// Failed with an exception message and no result.
    fn failed(at: i64, message: &str, updated: i64) -> End {
        End {
            status: "failed",
            phase: "failed",
            pid: None,
            completed_at: Some(at),
            error_message: Some(message.into()),
            ..End::running("failed", 0, updated, false)
        }
    }
    /// `Cancelled by user.`; the index may keep an older `updatedAt` (`stale`).
    fn cancelled(at: i64, updated: i64, stale: Option<i64>) -> End {
        End {
            status: "cancelled",
            phase: "cancelled",
            pid: None,
            completed_at: Some(at),
            error_message: Some("Cancelled by user.".into()),
            cancelled: true,
            stale_updated: stale,
            ..End::running("cancelled", 0, updated, false)
        }
    }
}

impl Gen<'_> {
    fn ctx(&mut self) -> Ctx<'_> {
        Ctx {
            rng: &mut self.rng,
            lang: self.ws.lang,
            style: self.style,
        }
    }

    /// Writes the job planned in `p`.
    pub fn job(&mut self, p: &JobPlan) -> Job {
        let mut run = self.open(p);
        let end = match self.play(p, &mut run) {
            ControlFlow::Break(end) | ControlFlow::Continue(end) => end,
        };
        record::finish(self.ws, p, run, end)
    }

    fn play(&mut self, p: &JobPlan, run: &mut Run) -> ControlFlow<End, End> {
        if matches!(p.outcome, Outcome::Queued | Outcome::CancelledQueued) {
            return ControlFlow::Break(self.queued_end(p, run));
        }
        self.start(p, run)?;
        self.open_thread(p, run)?;
        self.run_turn(p, run);
        let mut tail = self.failure_tail(p, run)?;
        self.outcome_tail(p, run, &mut tail)?;
        ControlFlow::Continue(self.complete(p, run, tail))
    }

    fn open(&mut self, p: &JobPlan) -> Run {
        let h = self.header(p);
        let mut log = Log {
            buf: String::with_capacity(p.log_budget + 4096),
            t: p.created + self.rng.range(4, 9),
        };
        let worker_pid = self.rng.range(1500, 65000);
        log.line(&format!("Starting {}.", h.title));
        if p.background {
            log.line("Queued for background execution.");
        }
        let fail = match p.outcome {
            Outcome::Fail(f) => Some(f),
            _ => None,
        };
        Run {
            h,
            log,
            fail,
            worker_pid,
            run_pid: 0,
            started_at: None,
            thread: None,
            turn: None,
            phase: "starting",
            touched: Vec::new(),
            reasoning: Vec::new(),
        }
    }

    fn header(&mut self, p: &JobPlan) -> Header {
        let prefix = if p.kind == Kind::Task {
            "task"
        } else {
            "review"
        };
        let id = format!(
            "{prefix}-{}-{}",
            base36(p.created as u64),
            self.rng.alnum(6, B36)
        );
        let (kind_s, label, title, job_class) = labels(p);
        let branch_target = p.kind != Kind::Task && self.rng.chance(0.35);
        let base_ref = (*self.rng.pick(BRANCHES)).to_string();
        let target_label = if branch_target {
            format!("branch diff against {base_ref}")
        } else {
            "working tree diff".to_string()
        };
        let prompt = if p.stop_gate {
            "Run a stop-gate review of the previous Claude turn.".to_string()
        } else if p.resume && self.rng.chance(0.3) {
            String::new()
        } else {
            self.prompt()
        };
        let init_summary = match p.kind {
            Kind::Task if p.stop_gate => "Stop-gate review of previous Claude turn".to_string(),
            Kind::Task if prompt.is_empty() && p.resume => "Continue from the current thread state. Pick the next highest-value step and follow through u...".to_string(),
            Kind::Task if prompt.is_empty() => "Task".to_string(),
            Kind::Task => short96(&prompt),
            Kind::Review => format!("Review {target_label}"),
            Kind::Adversarial => format!("Adversarial Review {target_label}"),
        };
        let (model, request) = if p.background {
            let (model, request) = self.background_request(p, &id, prompt);
            (model, Some(request))
        } else {
            (None, None)
        };
        Header {
            id,
            kind_s,
            label,
            title,
            job_class,
            init_summary,
            branch_target,
            base_ref,
            target_label,
            model,
            request,
        }
    }

    /// The `request` of a background task (and the model it names, if any).
    fn background_request(&mut self, p: &JobPlan, id: &str, prompt: String) -> (Option<String>, J) {
        let model = if matches!(p.outcome, Outcome::Fail(Fail::ModelNotSupported))
            || self.rng.chance(0.4)
        {
            Some((*self.rng.pick(MODELS)).to_string())
        } else {
            None
        };
        let effort = if self.rng.chance(0.35) {
            Some((*self.rng.pick(EFFORTS)).to_string())
        } else {
            None
        };
        let cwd = if self.rng.chance(0.2) {
            let sub = *self.rng.pick(MODULES);
            format!("{}/{}", self.ws.root, sub)
        } else {
            self.ws.root.clone()
        };
        let request = J::Obj(vec![
            ("cwd", s(cwd)),
            ("model", opt_s(&model)),
            ("effort", opt_s(&effort)),
            ("prompt", s(prompt)),
            ("write", J::Bool(p.write)),
            ("resumeLast", J::Bool(p.resume)),
            ("jobId", s(id.to_string())),
        ]);
        (model, request)
    }

    /// Queued background jobs: still queued, or cancelled before a worker picked them up.
    fn queued_end(&mut self, p: &JobPlan, run: &mut Run) -> End {
        let queued_upd = run.log.t;
        if p.outcome == Outcome::Queued {
            return End {
                status: "queued",
                phase: "queued",
                ..End::running("queued", run.worker_pid, queued_upd, false)
            };
        }
        run.log.adv(&mut self.rng, 200, 4000);
        run.log.line("Cancelled by user.");
        let t = run.log.t;
        End::cancelled(t, t + self.rng.range(3, 12), Some(queued_upd))
    }

    /// The run starts; exceptions before the thread exists end it with no log line at all.
    fn start(&mut self, p: &JobPlan, run: &mut Run) -> ControlFlow<End> {
        let start = if p.background {
            run.log.t + self.rng.range(100, 400)
        } else {
            run.log.t
        };
        run.started_at = Some(start);
        run.log.t = start;
        run.run_pid = if p.background {
            run.worker_pid
        } else {
            self.rng.range(1500, 65000)
        };
        if let Some(
            f @ (Fail::SpawnEnoent | Fail::NotAuthenticated | Fail::Eisdir | Fail::Enobufs),
        ) = run.fail
        {
            run.log.adv(&mut self.rng, 300, 3000);
            let msg = failure::startup_error(f, self.ws.os);
            let t = run.log.t;
            return ControlFlow::Break(End::failed(t, msg, t + self.rng.range(3, 12)));
        }
        ControlFlow::Continue(())
    }

    /// Thread and turn start; a closed app-server or a stalled turn end the job here.
    fn open_thread(&mut self, p: &JobPlan, run: &mut Run) -> ControlFlow<End> {
        let log = &mut run.log;
        log.adv(&mut self.rng, 300, 900);
        let resumed_thread = if p.resume {
            Some(self.rng.pick(&self.thread_ids).clone())
        } else {
            None
        };
        match (&resumed_thread, p.kind) {
            (Some(t), _) => log.line(&format!("Resuming thread {t}.")),
            (None, Kind::Review) => log.line("Starting Codex review thread."),
            _ => log.line("Starting Codex task thread."),
        }
        if run.fail == Some(Fail::AppServerClosed) {
            log.adv(&mut self.rng, 500, 20000);
            let t = log.t;
            let msg = "codex app-server connection closed.";
            return ControlFlow::Break(End::failed(t, msg, t + self.rng.range(3, 12)));
        }
        log.adv(&mut self.rng, 900, 2500);
        let tid = resumed_thread.unwrap_or_else(|| uuid_v7(&mut self.rng, log.t));
        log.line(&format!("Thread ready ({tid})."));
        run.thread = Some(tid.clone());
        self.thread_ids.push(tid);
        if self.thread_ids.len() > 8 {
            self.thread_ids.remove(0);
        }
        log.adv(&mut self.rng, 40, 120);
        let turn_id = uuid_v7(&mut self.rng, log.t);
        log.line(&format!("Turn started ({turn_id})."));
        run.turn = Some(turn_id);
        run.phase = "starting";
        if run.fail == Some(Fail::TurnStall) {
            let drop_turn = p.background && self.rng.chance(0.2);
            let end = End::running(run.phase, run.run_pid, run.log.t, drop_turn);
            return ControlFlow::Break(end);
        }
        ControlFlow::Continue(())
    }

    /// The turn's events, cut short for failures that end the turn early.
    fn run_turn(&mut self, p: &JobPlan, run: &mut Run) {
        if p.kind == Kind::Review {
            run.log.adv(&mut self.rng, 15, 60);
            let what = if run.h.branch_target {
                format!("changes against '{}'", run.h.base_ref)
            } else {
                "current changes".to_string()
            };
            run.log.line(&format!("Reviewer started: {what}"));
            run.phase = "reviewing";
        }
        let target = p.log_budget.saturating_sub(1200);
        let fail = run.fail;
        let short_failure = matches!(
            fail,
            Some(
                Fail::UsageLimit
                    | Fail::AuthRefresh
                    | Fail::ModelNotSupported
                    | Fail::ContextWindow
            )
        );
        let (touched, reasoning, body_phase) = if short_failure {
            let t = if fail == Some(Fail::ModelNotSupported) {
                0
            } else {
                target.min(6000)
            };
            if t > run.log.buf.len() {
                self.turn_body(&mut run.log, t, p.kind, p.write)
            } else {
                (Vec::new(), Vec::new(), run.phase)
            }
        } else {
            let t = match fail {
                Some(
                    Fail::Sandbox1920
                    | Fail::SandboxSetupRefresh
                    | Fail::SandboxBlockedPolicy
                    | Fail::Bwrap
                    | Fail::GitbashDeclined
                    | Fail::McpRejected,
                ) => target.min(3000),
                _ => target,
            };
            self.turn_body(&mut run.log, t, p.kind, p.write)
        };
        run.touched = touched;
        run.reasoning = reasoning;
        run.phase = body_phase;
        if p.kind == Kind::Review && run.phase != "reviewing" && self.rng.chance(0.5) {
            run.phase = "reviewing";
        }
    }

    /// The user's prompt of a task.
    fn prompt(&mut self) -> String {
        if self.style == Style::Prose {
            return self.ctx().prose_prompt();
        }
        let mut c = self.ctx();
        let f = c.file();
        let a = c.ident();
        let n = c.noun();
        let adj = *c.rng.pick(ADJS);
        let e = *c.rng.pick(ERR_KINDS);
        let t = c.type_name();
        let base = match c.rng.below(22) {
            0 => format!("investigate why the {n} test is flaky on CI"),
            1 => format!("fix the failing {n} tests"),
            2 => format!("add retry with jitter to the {n} client"),
            3 => format!("find why {t} returns 500 for an {adj} {n}"),
            4 => format!("refactor {f} so {a} no longer mutates its input"),
            5 => format!("explain how {a} handles {adj} {n}s"),
            6 => format!("write tests for {a} in {f}"),
            7 => format!("the build fails with {e} in {f}, fix it"),
            8 => format!("audit the {n} module for {e} risks"),
            9 => "summarize what this repository does".to_string(),
            10 => format!("migrate {f} from callbacks to async/await"),
            11 => format!("check why the nightly {n} job skips {adj} partitions"),
            12 => format!(
                "profile {a} and make it faster, it takes ~{}s on large inputs",
                c.rng.range(2, 90)
            ),
            13 => format!("review my changes to {f} before I open the PR"),
            14 => format!("add a --dry-run flag to the {n} command"),
            15 => format!("find dead code in the {n} rules"),
            16 => format!("why does {a} throw {e} when the {n} is {adj}?"),
            17 => format!("update the {n} docs to match the new {t} API"),
            18 => format!("bump the {n} dependency and fix whatever breaks"),
            19 => format!("look at {f} and tell me if the locking is correct"),
            20 => format!("implement pagination for the {n} endpoint"),
            _ => format!("reproduce the {e} reported in the {n} issue and propose a fix"),
        };
        if c.rng.chance(0.35) {
            let extra = c.paragraph(1, 3);
            format!("{base}. {extra}")
        } else {
            base
        }
    }
}

/// `kind`, `kindLabel`, `title` and `jobClass` of a job.
fn labels(p: &JobPlan) -> (&'static str, &'static str, &'static str, &'static str) {
    match p.kind {
        Kind::Task => (
            "task",
            "rescue",
            if p.stop_gate {
                "Codex Stop Gate Review"
            } else if p.resume {
                "Codex Resume"
            } else {
                "Codex Task"
            },
            "task",
        ),
        Kind::Review => ("review", "review", "Codex Review", "review"),
        Kind::Adversarial => (
            "adversarial-review",
            "adversarial-review",
            "Codex Adversarial Review",
            "review",
        ),
    }
}
