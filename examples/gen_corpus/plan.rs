//! What a job will be before it is written: kind, flags, outcome and log budget.

use crate::job::Gen;
use crate::rng::Rng;
use crate::workspace::Os;

/// The three job kinds the plugin records.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Task,
    Review,
    Adversarial,
}

/// A catalogued failure scenario (each places verbatim catalog text where the plugin puts it).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Fail {
    UsageLimit,
    ContextWindow,
    AuthRefresh,
    ModelNotSupported,
    StreamDisconnected,
    Sandbox1920,
    SandboxSetupRefresh,
    SandboxBlockedPolicy,
    Bwrap,
    SpawnEnoent,
    NotAuthenticated,
    AppServerClosed,
    TurnStall,
    ErrorNotificationHang,
    WedgedMidCommand,
    McpRejected,
    AdvInvalidJson,
    BrokerStale,
    GitbashDeclined,
    Eisdir,
    Enobufs,
}

/// Relative weights of the failure scenarios.
pub const FAILS: &[(Fail, u32)] = &[
    (Fail::UsageLimit, 12),
    (Fail::ContextWindow, 7),
    (Fail::AuthRefresh, 6),
    (Fail::ModelNotSupported, 5),
    (Fail::StreamDisconnected, 8),
    (Fail::Sandbox1920, 4),
    (Fail::SandboxSetupRefresh, 3),
    (Fail::SandboxBlockedPolicy, 3),
    (Fail::Bwrap, 4),
    (Fail::SpawnEnoent, 3),
    (Fail::NotAuthenticated, 4),
    (Fail::AppServerClosed, 5),
    (Fail::TurnStall, 7),
    (Fail::ErrorNotificationHang, 5),
    (Fail::WedgedMidCommand, 7),
    (Fail::McpRejected, 5),
    (Fail::AdvInvalidJson, 5),
    (Fail::BrokerStale, 4),
    (Fail::GitbashDeclined, 3),
    (Fail::Eisdir, 2),
    (Fail::Enobufs, 2),
];

/// How a job ends; `Fail` = a catalogued failure scenario.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Outcome {
    Completed,
    Cancelled,
    CancelledQueued,
    Interrupted,
    Queued,
    Live,
    Fail(Fail),
}

/// Picks a target log size in bytes (median ~19 KiB, tail to ~400 KiB).
pub fn log_target(rng: &mut Rng) -> usize {
    const B: &[(usize, usize, u32)] = &[
        (2, 5, 150),
        (5, 10, 170),
        (10, 16, 200),
        (16, 26, 220),
        (26, 40, 130),
        (40, 64, 75),
        (64, 110, 35),
        (110, 200, 14),
        (200, 380, 6),
    ];
    let w: Vec<u32> = B.iter().map(|b| b.2).collect();
    let (lo, hi, _) = B[rng.weighted(&w)];
    rng.range((lo * 1024) as i64, (hi * 1024) as i64) as usize
}

/// The decisions taken before a job is written.
pub struct JobPlan {
    pub kind: Kind,
    pub background: bool,
    pub resume: bool,
    pub stop_gate: bool,
    pub write: bool,
    pub outcome: Outcome,
    pub created: i64,
    pub session: Option<String>,
    pub log_budget: usize,
}

impl Gen<'_> {
    /// Plans the next job of the workspace; `newest` = the last job of its series.
    pub fn plan(
        &mut self,
        created: i64,
        session: Option<String>,
        fail_rate: f64,
        budget: usize,
        newest: bool,
    ) -> JobPlan {
        let kind = match self.rng.weighted(&[66, 20, 14]) {
            0 => Kind::Task,
            1 => Kind::Review,
            _ => Kind::Adversarial,
        };
        let mut background = kind == Kind::Task && self.rng.chance(0.35);
        let resume = kind == Kind::Task && !self.thread_ids.is_empty() && self.rng.chance(0.09);
        let stop_gate = kind == Kind::Task && !resume && self.rng.chance(0.03);
        if stop_gate {
            background = false;
        }
        let write = kind == Kind::Task && !stop_gate && self.rng.chance(0.45);
        let mut outcome = if self.rng.chance(fail_rate) {
            let w: Vec<u32> = FAILS.iter().map(|f| f.1).collect();
            let mut chosen = None;
            for _ in 0..20 {
                let f = FAILS[self.rng.weighted(&w)].0;
                if self.fail_fits(f, kind) {
                    chosen = Some(f);
                    break;
                }
            }
            Outcome::Fail(chosen.unwrap_or(Fail::UsageLimit))
        } else {
            let r = self.rng.below(1000);
            match r {
                0..=24 => Outcome::Cancelled,
                25..=29 => Outcome::Interrupted,
                _ => Outcome::Completed,
            }
        };
        if outcome == Outcome::Completed && newest && self.rng.chance(0.12) {
            outcome = if background && self.rng.chance(0.3) {
                Outcome::Queued
            } else {
                Outcome::Live
            };
        }
        if outcome == Outcome::Cancelled && background && self.rng.chance(0.15) {
            outcome = Outcome::CancelledQueued;
        }
        if let Outcome::Fail(Fail::ModelNotSupported) = outcome {
            // Only meaningful with an explicit model flag; keep it on background tasks when possible.
            if kind == Kind::Task && self.rng.chance(0.6) {
                background = true;
            }
        }
        if matches!(outcome, Outcome::Fail(Fail::TurnStall | Fail::BrokerStale))
            && kind == Kind::Task
            && self.rng.chance(0.7)
        {
            background = true;
        }
        let mut log_budget = log_target(&mut self.rng);
        if kind != Kind::Task {
            log_budget = log_budget * 3 / 5;
        }
        let log_budget = log_budget.min(budget.max(600));
        JobPlan {
            kind,
            background,
            resume,
            stop_gate,
            write,
            outcome,
            created,
            session,
            log_budget,
        }
    }

    /// Whether scenario `f` can happen to a job of `kind` on this workspace's OS.
    fn fail_fits(&self, f: Fail, kind: Kind) -> bool {
        let win = self.ws.os == Os::Windows;
        match f {
            Fail::Sandbox1920 | Fail::SandboxSetupRefresh | Fail::SpawnEnoent => win,
            Fail::SandboxBlockedPolicy => win && kind != Kind::Task,
            Fail::GitbashDeclined => win && kind == Kind::Review,
            Fail::Bwrap => self.ws.os == Os::Linux,
            Fail::AdvInvalidJson => kind == Kind::Adversarial,
            Fail::Eisdir | Fail::Enobufs => kind != Kind::Task,
            Fail::ModelNotSupported | Fail::McpRejected | Fail::TurnStall | Fail::BrokerStale => {
                kind == Kind::Task
            }
            _ => true,
        }
    }
}
