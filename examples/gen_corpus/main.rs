//! Deterministic benchmark corpus generator.
//!
//! Writes a `CLAUDE_PLUGIN_DATA` tree (`OUT/state/<slug>-<hash>/…`) in the exact on-disk
//! format of the Claude Code "codex" plugin (see `docs/plugin-format.md` in the shared folder,
//! summarised in `benches/README-gen.md`):
//!
//! ```text
//! cargo run --release --example gen_corpus -- --mib 512 --seed 7 OUT_DIR
//! cargo run --release --example gen_corpus -- --style prose --mib 512 OUT_DIR
//! cargo run --release --example gen_corpus -- --write-rules 200 RULES_DIR
//! ```
//!
//! Same seed + size + style => byte-identical tree.
//!
//! Layout: `main.rs` (options, the workspace loop, writing files) → `workspace.rs` (paths) →
//! `plan.rs` (what each job will be) → `job/` (one job played out: `mod.rs` stages,
//! `turn.rs` events, `failure.rs` catalogued failures, `complete.rs` results, `record.rs`
//! JSON record and index entry) with text from `text.rs` (realistic) or `prose.rs` (prose).
//! `rng.rs`, `js.rs`, `log.rs` and `vocab.rs` are the plumbing.

mod job;
mod js;
mod log;
mod plan;
mod prose;
mod rng;
mod text;
mod vocab;
mod workspace;

#[path = "../../benches/support/synthetic_rules.rs"]
mod synthetic_rules;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Parser, ValueEnum};

use job::{Gen, Job};
use js::{EPOCH_END_MS, EPOCH_START_MS, J};
use rng::{Rng, uuid_v4};
use workspace::{Workspace, make_workspace};

#[derive(Parser, Debug)]
#[command(about = "Generate a deterministic codex-plugin job-state corpus for benchmarks")]
struct Args {
    /// Approximate total size of the tree in MiB (±2%).
    #[arg(long, default_value_t = 512.0)]
    mib: f64,
    /// PRNG seed; same seed + size => byte-identical tree.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Fraction of jobs that carry a catalogued failure signature.
    #[arg(long, default_value_t = 0.03)]
    failure_rate: f64,
    /// The text of messages and reasoning.
    #[arg(long, value_enum, default_value_t = Style::Realistic)]
    style: Style,
    /// Delete OUT_DIR/state first if it exists.
    #[arg(long)]
    clean: bool,
    /// Instead of a corpus, write a rule folder of N rules to OUT_DIR: the first N built-in
    /// rules topped up with synthesized ones (the rule-scaling sets of the benchmarks).
    #[arg(long, value_name = "N")]
    write_rules: Option<usize>,
    /// Output directory (becomes the CLAUDE_PLUGIN_DATA root).
    out_dir: PathBuf,
}

/// The text style of a corpus; the record format is the same for both.
#[derive(Clone, Copy, PartialEq, Eq, Debug, ValueEnum)]
pub enum Style {
    /// Codex-like messages: markdown with code and diff fences, identifiers, file:line.
    Realistic,
    /// Plain English prose and shell commands, ASCII only.
    Prose,
}

struct Totals {
    workspaces: u64,
    jobs: u64,
    files: u64,
    bytes: u64,
}

fn write_file(path: &Path, data: &str, totals: &mut Totals) -> Result<()> {
    fs::write(path, data.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
    totals.files += 1;
    totals.bytes += data.len() as u64;
    Ok(())
}

fn main() -> Result<()> {
    let args = Args::parse();
    if let Some(n) = args.write_rules {
        return write_rules(&args.out_dir, n);
    }
    if args.mib.is_nan() || args.mib <= 0.0 {
        bail!("--mib must be positive");
    }
    if !(0.0..=1.0).contains(&args.failure_rate) {
        bail!("--failure-rate must be within 0..=1");
    }
    let started = Instant::now();
    let state_root = args.out_dir.join("state");
    prepare_state_root(&state_root, args.clean)?;

    let target = (args.mib * 1024.0 * 1024.0) as u64;
    let mut master = Rng::new(args.seed);
    let mut used = BTreeSet::new();
    let mut totals = Totals {
        workspaces: 0,
        jobs: 0,
        files: 0,
        bytes: 0,
    };
    while totals.bytes + 3000 < target {
        if !write_workspace(
            &args,
            &state_root,
            target,
            &mut master,
            &mut used,
            &mut totals,
        )? {
            break;
        }
    }
    println!(
        "gen_corpus: {} workspaces, {} jobs, {} files, {} bytes ({:.1} MiB) in {:.2}s -> {}",
        totals.workspaces,
        totals.jobs,
        totals.files,
        totals.bytes,
        totals.bytes as f64 / 1048576.0,
        started.elapsed().as_secs_f64(),
        args.out_dir.display()
    );
    Ok(())
}

/// `OUT/state` must be empty or absent (or is deleted with `--clean`).
fn prepare_state_root(state_root: &Path, clean: bool) -> Result<()> {
    if state_root.exists() {
        if clean {
            fs::remove_dir_all(state_root)
                .with_context(|| format!("removing {}", state_root.display()))?;
        } else if fs::read_dir(state_root)?.next().is_some() {
            bail!(
                "{} already exists and is not empty (use --clean)",
                state_root.display()
            );
        }
    }
    fs::create_dir_all(state_root)?;
    Ok(())
}

/// The jobs of one workspace and their activity window.
struct Series {
    n_jobs: usize,
    stop_gate: bool,
    has_broker: bool,
    no_sessions: bool,
    start: i64,
    avg_gap: i64,
    session: Option<String>,
}

fn series(wrng: &mut Rng) -> Series {
    let n_jobs = match wrng.weighted(&[25, 35, 40]) {
        0 => wrng.range(1, 8),
        1 => wrng.range(8, 30),
        _ => wrng.range(30, 50),
    } as usize;
    let stop_gate = wrng.chance(0.1);
    let has_broker = wrng.chance(0.4);
    let no_sessions = wrng.chance(0.06);
    let span = wrng.range(2, 90) * 86_400_000;
    let end = wrng.range(EPOCH_START_MS + span, EPOCH_END_MS);
    let session = if no_sessions {
        None
    } else {
        Some(uuid_v4(wrng))
    };
    Series {
        n_jobs,
        stop_gate,
        has_broker,
        no_sessions,
        start: end - span,
        avg_gap: (span / n_jobs as i64).max(60_000),
        session,
    }
}

/// Generates and writes one workspace; `false` when the size target left room for no job.
fn write_workspace(
    args: &Args,
    state_root: &Path,
    target: u64,
    master: &mut Rng,
    used: &mut BTreeSet<String>,
    totals: &mut Totals,
) -> Result<bool> {
    let mut wrng = master.fork();
    let ws = make_workspace(&mut wrng, used);
    let mut sr = series(&mut wrng);
    let mut g = Gen {
        ws: &ws,
        rng: wrng.fork(),
        thread_ids: Vec::new(),
        style: args.style,
    };
    let jobs = gen_jobs(&mut g, &mut sr, args.failure_rate, target, totals.bytes);
    if jobs.is_empty() {
        return Ok(false);
    }
    write_state_dir(
        &mut g,
        &ws,
        &sr,
        &jobs,
        &state_root.join(&ws.dir_name),
        totals,
    )?;
    Ok(true)
}

/// The workspace's jobs, oldest first, stopping before the size target is passed.
fn gen_jobs(g: &mut Gen, sr: &mut Series, fail_rate: f64, target: u64, written: u64) -> Vec<Job> {
    let mut jobs: Vec<Job> = Vec::with_capacity(sr.n_jobs);
    let mut pending: u64 = 300; // state.json skeleton + broker
    let mut t = sr.start;
    for i in 0..sr.n_jobs {
        let remaining = target.saturating_sub(written + pending);
        if remaining < 3000 && !jobs.is_empty() {
            break;
        }
        if !sr.no_sessions && g.rng.chance(0.15) {
            sr.session = Some(uuid_v4(&mut g.rng));
        }
        let session = if !sr.no_sessions && g.rng.chance(0.03) {
            None
        } else {
            sr.session.clone()
        };
        t += g.rng.range(sr.avg_gap / 10, sr.avg_gap * 2);
        let budget = (remaining as usize).saturating_sub(2800);
        let plan = g.plan(t, session, fail_rate, budget, i + 1 == sr.n_jobs);
        let job = g.job(&plan);
        pending += (job.json.len() + job.log.len()) as u64 + job.index.compact().len() as u64 + 8;
        jobs.push(job);
    }
    jobs
}

/// `state.json`, `broker.json` and `jobs/<id>.{json,log}` of one workspace.
fn write_state_dir(
    g: &mut Gen,
    ws: &Workspace,
    sr: &Series,
    jobs: &[Job],
    dir: &Path,
    totals: &mut Totals,
) -> Result<()> {
    // Index: newest-updated first (plain string compare, like the plugin).
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by(|&a, &b| jobs[b].updated_at.cmp(&jobs[a].updated_at).then(b.cmp(&a)));
    let state = J::Obj(vec![
        ("version", J::Int(1)),
        (
            "config",
            J::Obj(vec![("stopReviewGate", J::Bool(sr.stop_gate))]),
        ),
        (
            "jobs",
            J::Arr(order.iter().map(|&i| jobs[i].index.clone()).collect()),
        ),
    ]);
    let jobs_dir = dir.join("jobs");
    fs::create_dir_all(&jobs_dir)?;
    write_file(&dir.join("state.json"), &state.pretty(), totals)?;
    if sr.has_broker {
        let b = ws.broker_json(&mut g.rng);
        write_file(&dir.join("broker.json"), &b, totals)?;
    }
    for j in jobs {
        write_file(&jobs_dir.join(format!("{}.json", j.id)), &j.json, totals)?;
        write_file(&jobs_dir.join(format!("{}.log", j.id)), &j.log, totals)?;
    }
    totals.jobs += jobs.len() as u64;
    totals.workspaces += 1;
    Ok(())
}

/// `--write-rules N`: the benchmarks' rule set of `n` rules as `OUT/<family>/<id>.toml`.
fn write_rules(out: &Path, n: usize) -> Result<()> {
    if out.exists() && fs::read_dir(out)?.next().is_some() {
        bail!("{} already exists and is not empty", out.display());
    }
    let files = synthetic_rules::rule_files(
        triage::rules::builtin_files(),
        triage::rules::model::FAMILIES,
        n,
    );
    for (rel, text) in &files {
        let path = out.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    println!("gen_corpus: {} rules -> {}", files.len(), out.display());
    Ok(())
}
