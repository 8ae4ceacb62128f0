//! Template-mining bench on Loghub-2k: grouping accuracy per system, the mean, and lines/s.
//!
//! ```sh
//! cargo run --release --example mine_bench -- DIR [--sim X] [--depth N] [--rounds N] [--split]
//! ```
//! DIR holds the `*_2k.log_structured.csv` files of logpai/loghub (not committed here: fetch
//! the repository and copy them out). The miner reads the `Content` column (the message
//! without the log header, as in the Loghub benchmark); the `EventId` column is the truth.
//! Grouping accuracy is the share of lines whose predicted group holds exactly the lines of
//! their true group (Zhu et al., ICSE-SEIP 2019).
//!
//! Speed is measured twice: the library alone (one miner per system, messages in memory), and
//! end to end, as `triage mine FILE --format json` does it (`triage::mine::input::mine_inputs`:
//! reading a file, tokenising in batches, one miner over all 16 systems mixed, JSON written to
//! a sink), on a temporary file of every `Content` line repeated `--rounds` times.
//!
//! `--split` checks that the settings generalise: the 16 systems are split in two halves
//! (alternately, in name order), the setting with the best mean on one half is chosen from a
//! grid, and its mean on the other half is reported, both ways round.

use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;
use triage::mine::{Miner, MinerConfig, Tokens};

/// Parses RFC 4180 CSV (quoted fields, `""` escapes, newlines inside quotes).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            ',' => row.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            _ => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

struct Set {
    name: String,
    content: Vec<String>,
    truth: Vec<String>,
}

fn load(path: &Path) -> Result<Set, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let rows = parse_csv(&text);
    let header = rows.first().ok_or("empty file")?;
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or(format!("{}: no {name} column", path.display()))
    };
    let (c, e) = (col("Content")?, col("EventId")?);
    let mut content = Vec::new();
    let mut truth = Vec::new();
    for r in &rows[1..] {
        if r.len() > c.max(e) {
            content.push(r[c].clone());
            truth.push(r[e].clone());
        }
    }
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("?")
        .split('_')
        .next()
        .unwrap_or("?")
        .to_string();
    Ok(Set {
        name,
        content,
        truth,
    })
}

/// Grouping accuracy of `pred` against `truth`.
fn grouping_accuracy(pred: &[u32], truth: &[String]) -> f64 {
    let mut truth_size: HashMap<&str, usize> = HashMap::new();
    for t in truth {
        *truth_size.entry(t).or_default() += 1;
    }
    let mut groups: HashMap<u32, Vec<usize>> = HashMap::new();
    for (i, p) in pred.iter().enumerate() {
        groups.entry(*p).or_default().push(i);
    }
    let mut correct = 0usize;
    for members in groups.values() {
        let t0 = truth[members[0]].as_str();
        if members.iter().all(|&i| truth[i] == t0) && truth_size[t0] == members.len() {
            correct += members.len();
        }
    }
    correct as f64 / truth.len().max(1) as f64
}

fn mine(cfg: &MinerConfig, lines: &[String]) -> Vec<u32> {
    let mut m = Miner::new(cfg.clone());
    let mut toks = Tokens::default();
    lines
        .iter()
        .map(|l| {
            toks.parse(l);
            m.add_tokens(&toks)
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|id| m.resolve(id))
        .collect()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut dir: Option<PathBuf> = None;
    let mut cfg = MinerConfig::default();
    let mut rounds = 20usize;
    let mut verbose = None;
    let mut split = false;
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_default();
        match a.as_str() {
            "--sim" => cfg.similarity = val().parse().expect("--sim X"),
            "--distinct" => cfg.distinct_values = val().parse().expect("--distinct N"),
            "--words" => cfg.word_changes = val().parse().expect("--words X"),
            "--depth" => cfg.prefix_depth = val().parse().expect("--depth N"),
            "--rounds" => rounds = val().parse().expect("--rounds N"),
            "--show" => verbose = Some(val()),
            "--split" => split = true,
            _ => dir = Some(PathBuf::from(a)),
        }
    }
    let Some(dir) = dir else {
        eprintln!("usage: mine_bench DIR [--sim X] [--depth N] [--rounds N] [--show SYSTEM]");
        std::process::exit(2);
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with("_2k.log_structured.csv"))
        })
        .collect();
    files.sort();
    let sets: Vec<Set> = files
        .iter()
        .map(|p| load(p).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    if sets.is_empty() {
        eprintln!("no *_2k.log_structured.csv in {}", dir.display());
        std::process::exit(2);
    }
    println!("{:<12} {:>6} {:>9}", "system", "lines", "GA");
    let mut sum = 0.0;
    for s in &sets {
        let pred = mine(&cfg, &s.content);
        let ga = grouping_accuracy(&pred, &s.truth);
        sum += ga;
        println!("{:<12} {:>6} {:>9.4}", s.name, s.content.len(), ga);
        if verbose.as_deref() == Some(s.name.as_str()) {
            show_errors(&cfg, s, &pred);
        }
    }
    println!("{:<12} {:>6} {:>9.4}", "mean", "", sum / sets.len() as f64);

    if split {
        held_out(&sets);
    }

    let total: usize = sets.iter().map(|s| s.content.len()).sum::<usize>() * rounds;
    let t = Instant::now();
    for _ in 0..rounds {
        for s in &sets {
            std::hint::black_box(mine(&cfg, &s.content));
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "speed, one thread: {total} lines in {secs:.3}s = {:.0} lines/s",
        total as f64 / secs
    );
    let t = Instant::now();
    (0..rounds).into_par_iter().for_each(|_| {
        sets.par_iter().for_each(|s| {
            std::hint::black_box(mine(&cfg, &s.content));
        })
    });
    let secs = t.elapsed().as_secs_f64();
    println!(
        "speed, {} threads (one miner per file): {:.0} lines/s",
        rayon::current_num_threads(),
        total as f64 / secs
    );
    end_to_end(&sets, rounds);
}

/// `triage mine FILE --format json` on every `Content` line, `rounds` times over.
fn end_to_end(sets: &[Set], rounds: usize) {
    let dir = std::env::temp_dir().join(format!("mine-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("content.txt");
    let mut text = String::new();
    for s in sets {
        for l in &s.content {
            // One message per line: a newline inside a field would split it.
            text.push_str(&l.replace(['\n', '\r'], " "));
            text.push('\n');
        }
    }
    let lines = text.lines().count() * rounds;
    std::fs::write(&file, text.repeat(rounds)).expect("write temp file");
    let cpu0 = cpu_seconds();
    let t = Instant::now();
    let mined =
        triage::mine::input::mine_inputs(std::slice::from_ref(&file), MinerConfig::default());
    let mut sink = std::io::BufWriter::new(std::io::sink());
    serde_json::to_writer_pretty(&mut sink, &mined).expect("JSON");
    let secs = t.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "end to end (triage mine FILE --format json): {lines} lines, {} templates, in {secs:.3}s = {:.0} lines/s; {cpu:.3} CPU s (all threads) = {:.0} lines per CPU second",
        mined.templates.len(),
        lines as f64 / secs,
        lines as f64 / cpu.max(1e-9)
    );
}

/// User plus system CPU time of this process, all threads: on a loaded machine a steadier
/// measure than wall time.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes into the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) } != 0 {
        return 0.0;
    }
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
    t(u.ru_utime) + t(u.ru_stime)
}

/// Mean grouping accuracy of `cfg` over `sets`.
fn mean_ga(cfg: &MinerConfig, sets: &[&Set]) -> f64 {
    let sum: f64 = sets
        .par_iter()
        .map(|s| grouping_accuracy(&mine(cfg, &s.content), &s.truth))
        .sum();
    sum / sets.len().max(1) as f64
}

/// Settings chosen on one half of the systems, scored on the other, both ways round.
fn held_out(sets: &[Set]) {
    let halves: [Vec<&Set>; 2] = [
        sets.iter().step_by(2).collect(),
        sets.iter().skip(1).step_by(2).collect(),
    ];
    let mut grid = Vec::new();
    for depth in [1, 2, 3] {
        for sim in [0.5, 0.6, 0.7, 0.8, 0.9] {
            for distinct in [3, 4, 5, 6] {
                grid.push(MinerConfig {
                    prefix_depth: depth,
                    similarity: sim,
                    distinct_values: distinct,
                    ..MinerConfig::default()
                });
            }
        }
    }
    let names = |h: &[&Set]| {
        h.iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    for (a, b) in [(0, 1), (1, 0)] {
        let (best, train) = grid
            .iter()
            .map(|c| (c, mean_ga(c, &halves[a])))
            .fold(None, |acc: Option<(&MinerConfig, f64)>, (c, g)| match acc {
                Some((_, bg)) if bg >= g => acc,
                _ => Some((c, g)),
            })
            .expect("a grid");
        let test = mean_ga(best, &halves[b]);
        let default_test = mean_ga(&MinerConfig::default(), &halves[b]);
        println!(
            "held out: chosen on [{}] (depth {}, sim {}, distinct {}; mean {train:.4}), on [{}]: {test:.4} (defaults there: {default_test:.4})",
            names(&halves[a]),
            best.prefix_depth,
            best.similarity,
            best.distinct_values,
            names(&halves[b]),
        );
    }
}

/// Prints the true groups the miner split or merged, for reading the failure modes.
fn show_errors(cfg: &MinerConfig, s: &Set, pred: &[u32]) {
    let mut m = Miner::new(cfg.clone());
    for l in &s.content {
        m.add(l);
    }
    let pred: Vec<u32> = pred.iter().map(|&p| m.resolve(p)).collect();
    let pred = &pred[..];
    let mut by_truth: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, t) in s.truth.iter().enumerate() {
        by_truth.entry(t).or_default().push(i);
    }
    let mut by_pred: HashMap<u32, Vec<usize>> = HashMap::new();
    for (i, p) in pred.iter().enumerate() {
        by_pred.entry(*p).or_default().push(i);
    }
    let mut bad: Vec<(&str, &Vec<usize>)> = by_truth
        .iter()
        .filter(|(_, v)| {
            let p = pred[v[0]];
            !(v.iter().all(|&i| pred[i] == p) && by_pred[&p].len() == v.len())
        })
        .map(|(k, v)| (*k, v))
        .collect();
    bad.sort_by_key(|(_, v)| std::cmp::Reverse(v.len()));
    for (t, v) in bad.iter().take(25) {
        let mut ps: Vec<u32> = v.iter().map(|&i| pred[i]).collect();
        ps.sort();
        ps.dedup();
        println!(
            "  truth {t} ({} lines) -> {} predicted groups",
            v.len(),
            ps.len()
        );
        for p in ps.iter().take(4) {
            let n = by_pred[p].len();
            let own = by_pred[p].iter().filter(|&&i| s.truth[i] == *t).count();
            println!(
                "    [{own}/{n}] {}",
                m.template_text(*p).unwrap_or_default()
            );
        }
        println!("    e.g. {}", s.content[v[0]]);
    }
}
