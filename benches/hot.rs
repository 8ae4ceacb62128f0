//! Criterion benches of the scan's hot parts (issue #5; docs/performance.md):
//!
//! * `log_grammar`: splitting chunks into lines and classifying every line (`LogGrammar`).
//! * `prefilter/N`: the scan prefilter alone (`Matcher::next_scan_candidate` over chunks).
//! * `scan_lines/N`: what `scan_log` does per chunk: grammar, prefilter, and regex
//!   verification of candidate lines, with N = 50, 100, 200 rules (the built-in rules, cut to
//!   50 or topped up with synthesized ones: `support/synthetic_rules.rs`, which
//!   `scripts/bench.sh` also uses through `gen_corpus --write-rules`).
//!
//! Input: the `.log` files (up to 16 MiB) of `$TRIAGE_BENCH_CORPUS`, by default
//! `${TMPDIR:-/tmp}/triage-bench/corpus-64`, generated with `examples/gen_corpus/`
//! (64 MiB, seed 7) when missing.
//!
//! `cargo bench --bench hot`

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use triage::log::{self, LogGrammar};
use triage::rules::{self, RuleSet};

#[path = "support/synthetic_rules.rs"]
mod synthetic_rules;

const MAX_BYTES: usize = 16 << 20;

fn corpus_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("TRIAGE_BENCH_CORPUS") {
        return PathBuf::from(d);
    }
    let tmp = std::env::var_os("TMPDIR").unwrap_or_else(|| "/tmp".into());
    let dir = Path::new(&tmp).join("triage-bench").join("corpus-64");
    if !dir.join("state").is_dir() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = std::process::Command::new(cargo)
            .args(["run", "--release", "--example", "gen_corpus", "--"])
            .args(["--mib", "64", "--seed", "7"])
            .arg(&dir)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("run gen_corpus");
        assert!(status.success(), "gen_corpus failed");
    }
    dir
}

/// Log files' contents, in path order, up to `MAX_BYTES`.
fn load_logs() -> Vec<Vec<u8>> {
    let mut paths: Vec<PathBuf> = walkdir::WalkDir::new(corpus_dir())
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "log"))
        .map(|e| e.into_path())
        .collect();
    paths.sort();
    let mut out = Vec::new();
    let mut total = 0;
    for p in paths {
        if total >= MAX_BYTES {
            break;
        }
        let data = std::fs::read(&p).expect("read log");
        total += data.len();
        out.push(data);
    }
    assert!(total > 0, "no logs found");
    out
}

/// The first `n` built-in rules (by file name), topped up with synthesized rules.
fn rule_set(n: usize) -> RuleSet {
    let files = synthetic_rules::rule_files(rules::builtin_files(), rules::model::FAMILIES, n);
    let set = rules::compile_files(&files).expect("rules compile");
    assert_eq!(set.rules.len(), n);
    set
}

/// The scanner's per-chunk loop (see `scan_log`), counting verified hits.
fn scan_chunk(set: &RuleSet, chunk: &[u8], seen: &mut Vec<u32>) -> usize {
    let m = &set.matcher;
    let mut g = LogGrammar::new();
    let mut hits = 0;
    let mut cand = m.next_scan_candidate(chunk, 0);
    let mut pos = 0;
    for line in log::lines_of(chunk) {
        let line_end = pos + line.len();
        let info = g.step(line);
        if cand.is_some_and(|c| c <= line_end) {
            m.verify_line(info.text, info.scopes, seen, &mut |_| hits += 1);
            cand = m.next_scan_candidate(chunk, line_end + 1);
        }
        pos = line_end + 1;
    }
    hits
}

fn benches(c: &mut Criterion) {
    let logs = load_logs();
    let bytes: usize = logs.iter().map(Vec::len).sum();

    let mut g = c.benchmark_group("log_grammar");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("lines+step", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for chunk in &logs {
                let mut gr = LogGrammar::new();
                for line in log::lines_of(chunk) {
                    n += gr.step(line).scopes as usize;
                }
            }
            black_box(n)
        })
    });
    g.finish();

    let sets: Vec<(usize, RuleSet)> = [50, 100, 200].map(|n| (n, rule_set(n))).into();

    let mut g = c.benchmark_group("prefilter");
    g.throughput(Throughput::Bytes(bytes as u64));
    for (n, set) in &sets {
        g.bench_with_input(BenchmarkId::from_parameter(n), set, |b, set| {
            b.iter(|| {
                let mut k = 0usize;
                for chunk in &logs {
                    let mut at = 0;
                    while let Some(p) = set.matcher.next_scan_candidate(chunk, at) {
                        k += 1;
                        at = p + 1;
                    }
                }
                black_box(k)
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("scan_lines");
    g.throughput(Throughput::Bytes(bytes as u64));
    for (n, set) in &sets {
        g.bench_with_input(BenchmarkId::from_parameter(n), set, |b, set| {
            let mut seen = Vec::new();
            b.iter(|| {
                let hits: usize = logs
                    .iter()
                    .map(|chunk| scan_chunk(set, chunk, &mut seen))
                    .sum();
                black_box(hits)
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = hot;
    config = Criterion::default().sample_size(10).measurement_time(std::time::Duration::from_secs(4));
    targets = benches
}
criterion_main!(hot);
