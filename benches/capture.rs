//! Capture speed (issue #10): what the Claude Code hook pays after every turn.
//!
//! Input: a typical data dir, one workspace with up to 50 jobs (the plugin keeps 50 per
//! workspace), made from the genuine plugin-generated corpus in `../shared/corpus` (every
//! tree's `jobs/` merged into one state directory).
//!
//! * `capture/steady`: scan + store write of an already-captured dir (the common case: nothing
//!   new since the last turn), rules loaded once.
//! * `capture/first`: the same into a fresh store.
//! * `capture/load_rules`: loading the built-in rule library, which every process pays.
//! * `capture/process`: the whole `triage capture --quiet` process, as the hook runs it
//!   (process start, rule loading, scan, store).
//!
//! `cargo bench --bench capture`

use criterion::{Criterion, criterion_group, criterion_main};
use std::path::{Path, PathBuf};
use triage::history::{adapter, store::Store};
use triage::rules::{RuleSet, RuleSources};
use triage::scan::ScanOptions;

const NOW: i64 = 1_795_000_000_000;

/// A `CLAUDE_PLUGIN_DATA`-like root with one workspace holding at most 50 jobs.
fn data_dir(base: &Path) -> PathBuf {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/plugin-generated");
    let jobs = base.join("data/state/demo-app-70de7e731d0d286f/jobs");
    std::fs::create_dir_all(&jobs).unwrap();
    let mut ids = std::collections::BTreeSet::new();
    for e in walkdir::WalkDir::new(&corpus)
        .into_iter()
        .filter_map(Result::ok)
    {
        let p = e.path();
        if !p.parent().is_some_and(|d| d.ends_with("jobs")) || !e.file_type().is_file() {
            continue;
        }
        let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
        if !ids.contains(&stem) && ids.len() >= 50 {
            continue;
        }
        ids.insert(stem);
        let _ = std::fs::copy(p, jobs.join(p.file_name().unwrap()));
    }
    eprintln!("capture bench: {} jobs in one workspace", ids.len());
    base.join("data")
}

fn bench(c: &mut Criterion) {
    let t = tempfile::tempdir().unwrap();
    let data = data_dir(t.path());
    let rules = RuleSet::load(&RuleSources {
        builtin: true,
        dirs: vec![],
    })
    .unwrap_or_else(|_| panic!("built-in rules load"));
    let mut opts = ScanOptions::new(vec![data.clone()], NOW);
    opts.codex_sessions = None;
    let db = t.path().join("steady.db");
    {
        let mut st = Store::open_write(&db).unwrap();
        let scan = adapter::scan_for_capture(&opts, &rules);
        st.capture(&scan.runs, NOW, &scan.roots, std::time::Instant::now())
            .unwrap();
    }
    let mut g = c.benchmark_group("capture");
    g.sample_size(20);
    g.bench_function("steady", |b| {
        b.iter(|| {
            let mut st = Store::open_write(&db).unwrap();
            let scan = adapter::scan_for_capture(&opts, &rules);
            st.capture(&scan.runs, NOW, &scan.roots, std::time::Instant::now())
                .unwrap()
        })
    });
    let mut n = 0;
    g.bench_function("first", |b| {
        b.iter(|| {
            n += 1;
            let mut st = Store::open_write(&t.path().join(format!("fresh-{n}.db"))).unwrap();
            let scan = adapter::scan_for_capture(&opts, &rules);
            st.capture(&scan.runs, NOW, &scan.roots, std::time::Instant::now())
                .unwrap()
        })
    });
    g.bench_function("load_rules", |b| {
        b.iter(|| {
            RuleSet::load(&RuleSources {
                builtin: true,
                dirs: vec![],
            })
            .map(|r| r.rules.len())
            .unwrap_or(0)
        })
    });
    g.bench_function("process", |b| {
        b.iter(|| {
            let s = std::process::Command::new(env!("CARGO_BIN_EXE_triage"))
                .env("CODEX_HOME", t.path())
                .arg("--db")
                .arg(&db)
                .args(["capture", "--quiet"])
                .arg(&data)
                .status()
                .unwrap();
            assert!(s.success());
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
