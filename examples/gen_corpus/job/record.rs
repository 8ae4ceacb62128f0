//! The job record (`jobs/<id>.json`, §3 of `docs/plugin-format.md`) and its index entry
//! (`state.json`, §2.1), in the plugin's field order.

use super::{End, Job, Run};
use crate::js::{J, iso, s};
use crate::plan::JobPlan;
use crate::workspace::Workspace;

/// Builds the record and index entry of a played job.
pub(super) fn finish(ws: &Workspace, p: &JobPlan, run: Run, end: End) -> Job {
    let fields = record_fields(ws, p, &run, &end);
    let updated = iso(end.updated);
    let idx = index_entry(p, &run, &end, &fields, &updated);
    let mut f = fields;
    if end.drop_turn_in_file {
        f.retain(|(k, _)| *k != "turnId");
    }
    Job {
        id: run.h.id,
        json: J::Obj(f).pretty(),
        log: run.log.buf,
        index: J::Obj(idx),
        updated_at: updated,
    }
}

type Fields = Vec<(&'static str, J)>;

fn record_fields(ws: &Workspace, p: &JobPlan, run: &Run, a: &End) -> Fields {
    let h = &run.h;
    let log_file = ws.log_file(&h.id);
    let mut f: Fields = vec![
        ("id", s(h.id.clone())),
        ("kind", s(h.kind_s)),
        ("kindLabel", s(h.label)),
        ("title", s(h.title)),
        ("workspaceRoot", s(ws.root.clone())),
        ("jobClass", s(h.job_class)),
        ("summary", s(h.init_summary.clone())),
        ("write", J::Bool(p.write)),
        ("createdAt", s(iso(p.created))),
    ];
    if let Some(sid) = &p.session {
        f.push(("sessionId", s(sid.clone())));
    }
    f.push(("status", s(a.status)));
    let pidj = match a.pid {
        Some(x) => J::Int(x),
        None => J::Null,
    };
    // Background tasks (with a `request`) are written by a different code path.
    if let Some(request) = &h.request {
        f.push(("phase", s(a.phase)));
        f.push(("pid", pidj));
        f.push(("logFile", s(log_file)));
        f.push(("request", request.clone()));
        if let Some(st) = run.started_at {
            f.push(("startedAt", s(iso(st))));
        }
    } else {
        if let Some(st) = run.started_at {
            f.push(("startedAt", s(iso(st))));
        }
        f.push(("phase", s(a.phase)));
        f.push(("pid", pidj));
        f.push(("logFile", s(log_file)));
    }
    if let Some(t) = &run.thread {
        f.push(("threadId", s(t.clone())));
    }
    if let Some(t) = &run.turn {
        f.push(("turnId", s(t.clone())));
    }
    let completed = || s(iso(a.completed_at.unwrap_or_default()));
    if a.cancelled {
        if let Some(st) = a.stale_updated {
            f.push(("updatedAt", s(iso(st))));
        }
        f.push(("completedAt", completed()));
        f.push(("errorMessage", s("Cancelled by user.")));
        f.push(("cancelledAt", completed()));
    } else if let Some(e) = &a.error_message {
        f.push(("errorMessage", s(e.clone())));
        f.push(("completedAt", completed()));
    } else if let Some(c) = a.completed_at {
        f.push(("completedAt", s(iso(c))));
    }
    if let Some(r) = &a.result {
        f.push(("result", r.clone()));
    }
    if let Some(r) = &a.rendered {
        f.push(("rendered", s(r.clone())));
    }
    f
}

fn index_entry(p: &JobPlan, run: &Run, a: &End, f: &Fields, updated: &str) -> Fields {
    let mut idx: Fields = vec![
        ("createdAt", s(iso(p.created))),
        ("updatedAt", s(updated.to_string())),
    ];
    for (k, v) in f {
        match *k {
            "createdAt" | "updatedAt" | "result" | "rendered" | "cancelledAt" => {}
            "summary" => idx.push((
                "summary",
                s(a.index_summary
                    .clone()
                    .unwrap_or_else(|| run.h.init_summary.clone())),
            )),
            _ => idx.push((k, v.clone())),
        }
    }
    if a.cancelled {
        // Index keeps errorMessage before completedAt.
        let ci = idx.iter().position(|(k, _)| *k == "completedAt");
        let ei = idx.iter().position(|(k, _)| *k == "errorMessage");
        if let (Some(ci), Some(ei)) = (ci, ei) {
            idx.swap(ci, ei);
        }
    }
    idx
}
