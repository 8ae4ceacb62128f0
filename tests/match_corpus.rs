//! `triage match` on the labelled issue threads of `../shared/corpus/issues/` (issue #11):
//! micro-F1 over the signature labels and the number of hard negatives (`none`) flagged,
//! with a per-signature table. The files are split deterministically by a hash of the file
//! name into a development part (2/3) and a held-out part (1/3), so the held-out score says
//! how the matcher does on threads its rules were not tuned against.
//!
//! `cargo test --test match_corpus -- --nocapture` prints the tables. `MATCH_DETAIL=dev`
//! also prints every development file whose prediction differs from its labels.
//!
//! `kfold_retrieval_thresholds` cross-validates the only fitted numbers of the matcher (the
//! retrieval stage's floor and margin): 5 folds by thread (fixed seed), thresholds chosen on
//! four folds and scored on the fifth, per-fold F1 printed next to the shipped thresholds'
//! (`scripts/match-folds.sh` runs it; `MATCH_KFOLD=K` changes the number of folds).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use triage::matchtext::context::Vocabulary;
use triage::matchtext::{
    Confidence, SimilarThresholds, classify_text, classify_tuned, similar_candidate,
};
use triage::rules::{RuleSet, RuleSources};

/// Which part of the split a file is in: FNV-1a of the file name, every third is held out.
fn held_out(name: &str) -> bool {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h.is_multiple_of(3)
}

struct Case {
    name: String,
    labels: BTreeSet<String>,
    negative: bool,
    text: String,
}

fn cases() -> Option<Vec<Case>> {
    cases_in(&common::corpus("issues")?)
}

/// The labelled `*.txt` files of `dir` (the corpus's format: line 1 `# labels: …`).
fn cases_in(dir: &std::path::Path) -> Option<Vec<Case>> {
    let mut out = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .expect("corpus/issues is readable")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    names.sort();
    for p in names {
        let raw = std::fs::read_to_string(&p).expect("issue file is UTF-8");
        let first = raw.lines().next().unwrap_or_default();
        let labels: BTreeSet<String> = first
            .strip_prefix("# labels:")
            .expect("line 1 carries the labels")
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        let negative = labels.contains("none");
        let labels = labels
            .into_iter()
            .filter(|l| l != "none" && l != "unknown")
            .collect();
        // Strip every leading `# ` header line (the README's instruction).
        let mut lines = raw.lines().peekable();
        while lines.peek().is_some_and(|l| l.starts_with("# ")) {
            lines.next();
        }
        let text: String = lines.map(|l| format!("{l}\n")).collect();
        out.push(Case {
            name: p.file_name().unwrap().to_string_lossy().into_owned(),
            labels,
            negative,
            text,
        });
    }
    Some(out)
}

#[derive(Default, Clone, Copy)]
struct Counts {
    tp: u32,
    fp: u32,
    fn_: u32,
}

impl Counts {
    fn f1(&self) -> f64 {
        let d = 2 * self.tp + self.fp + self.fn_;
        if d == 0 {
            1.0
        } else {
            2.0 * f64::from(self.tp) / f64::from(d)
        }
    }
}

struct Score {
    micro: Counts,
    per_sig: BTreeMap<String, Counts>,
    negatives: u32,
    negatives_flagged: Vec<String>,
    files: usize,
}

fn score(cases: &[&Case], rules: &RuleSet, detail: bool) -> Score {
    let mut s = Score {
        micro: Counts::default(),
        per_sig: BTreeMap::new(),
        negatives: 0,
        negatives_flagged: Vec::new(),
        files: cases.len(),
    };
    for c in cases {
        let result = classify_text(&c.text, rules);
        let predicted: BTreeSet<String> = result
            .matches
            .iter()
            .filter(|m| m.confidence != Confidence::Low)
            .map(|m| m.signature.clone())
            .collect();
        if c.negative {
            s.negatives += 1;
            if !predicted.is_empty() {
                s.negatives_flagged.push(c.name.clone());
            }
        }
        for p in &predicted {
            let e = s.per_sig.entry(p.clone()).or_default();
            if c.labels.contains(p) {
                e.tp += 1;
                s.micro.tp += 1;
            } else {
                e.fp += 1;
                s.micro.fp += 1;
            }
        }
        for l in &c.labels {
            if !predicted.contains(l) {
                s.per_sig.entry(l.clone()).or_default().fn_ += 1;
                s.micro.fn_ += 1;
            }
        }
        if detail && (predicted != c.labels) {
            let shown: Vec<String> = result
                .matches
                .iter()
                .map(|m| format!("{}({:?},{})", m.signature, m.confidence, m.score))
                .collect();
            println!(
                "  {}: want {:?} got {:?}{}",
                c.name,
                c.labels,
                shown,
                result
                    .unclassified
                    .as_ref()
                    .map(|u| format!(" unclassified:{}", u.fingerprint))
                    .unwrap_or_default()
            );
        }
    }
    s
}

fn print(title: &str, s: &Score, table: bool) {
    println!(
        "{title}: {} files, micro-F1 {:.3} (tp {} fp {} fn {}), negatives flagged {}/{} {:?}",
        s.files,
        s.micro.f1(),
        s.micro.tp,
        s.micro.fp,
        s.micro.fn_,
        s.negatives_flagged.len(),
        s.negatives,
        s.negatives_flagged
    );
    if table {
        println!(
            "{:<48} {:>3} {:>3} {:>3} {:>6}",
            "signature", "tp", "fp", "fn", "F1"
        );
        for (sig, c) in &s.per_sig {
            println!(
                "{sig:<48} {:>3} {:>3} {:>3} {:>6.3}",
                c.tp,
                c.fp,
                c.fn_,
                c.f1()
            );
        }
    }
}

#[test]
fn issue_corpus_micro_f1_and_negatives() {
    let Some(cases) = cases() else { return };
    assert_eq!(cases.len(), 153, "the README's 153 threads");
    // `MATCH_RULES=DIR` scores a rule directory read at run time instead of the embedded
    // library (to try rule edits without a rebuild); the assertions below still apply.
    let rules = match std::env::var_os("MATCH_RULES") {
        Some(dir) => RuleSet::load(&RuleSources {
            builtin: false,
            dirs: vec![dir.into()],
        }),
        None => RuleSet::load(&RuleSources {
            builtin: true,
            dirs: vec![],
        }),
    }
    .expect("rules load");
    let detail = std::env::var("MATCH_DETAIL").unwrap_or_default();
    let dev: Vec<&Case> = cases.iter().filter(|c| !held_out(&c.name)).collect();
    let held: Vec<&Case> = cases.iter().filter(|c| held_out(&c.name)).collect();
    let all: Vec<&Case> = cases.iter().collect();
    let sd = score(&dev, &rules, detail == "dev");
    let sh = score(&held, &rules, detail == "held");
    let sa = score(&all, &rules, detail == "all");
    print("development part", &sd, false);
    print("held-out part", &sh, false);
    print("all threads", &sa, true);
    // `MATCH_EXTRA=DIR[:DIR…]`: other labelled sets in the same format (threads found upstream
    // that the rules were not written from, e.g. `testdata/match-unseen`), each scored and
    // printed, not asserted.
    if let Some(extra) = std::env::var_os("MATCH_EXTRA") {
        for dir in std::env::split_paths(&extra) {
            let set = cases_in(&dir).unwrap_or_default();
            let refs: Vec<&Case> = set.iter().collect();
            let title = format!("extra set {}", dir.display());
            print(&title, &score(&refs, &rules, detail == "extra"), false);
        }
    }
    // Issue #11's target: micro-F1 >= 0.92 on all threads, at most 1 of 14 negatives flagged.
    // When last measured: all 0.930, development 0.942, held-out 0.897, 0 of 14 negatives (the
    // held-out part is scored, never tuned on; `kfold_retrieval_thresholds` gives the
    // cross-validated estimate). The margin over the target is two labels.
    const MICRO_F1_FLOOR: f64 = 0.92;
    assert!(
        sa.micro.f1() >= MICRO_F1_FLOOR,
        "micro-F1 {:.3} on corpus/issues is below the floor {MICRO_F1_FLOOR}",
        sa.micro.f1()
    );
    assert!(
        sa.negatives_flagged.len() <= 1,
        "negatives flagged: {:?}",
        sa.negatives_flagged
    );
}

/// Fold of a file among `k`: FNV-1a of a fixed seed and the file name.
fn fold_of(name: &str, k: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in "triage-kfold-seed-1/".bytes().chain(name.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h % k
}

/// What one thread gives, computed once: the rule stage's confident signatures and the
/// retrieval stage's raw best candidate (rule id, score, runner-up), if the stage runs.
struct Precomputed<'c> {
    case: &'c Case,
    rules: BTreeSet<String>,
    candidate: Option<(String, f64, f64)>,
}

fn precompute<'c>(cases: &'c [Case], rules: &RuleSet) -> Vec<Precomputed<'c>> {
    let vocab = Vocabulary::builtin();
    cases
        .iter()
        .map(|c| Precomputed {
            case: c,
            rules: classify_tuned(&c.text, rules, vocab, None)
                .confident()
                .map(|m| m.signature.clone())
                .collect(),
            candidate: similar_candidate(&c.text, rules, vocab)
                .map(|p| (rules.rules[p.rule].id().to_string(), p.score, p.runner_up)),
        })
        .collect()
}

/// Micro counts and negatives flagged of `items` with retrieval thresholds `t`.
fn score_at(items: &[&Precomputed], t: SimilarThresholds) -> (Counts, u32) {
    let mut c = Counts::default();
    let mut flagged = 0;
    for p in items {
        let mut predicted = p.rules.clone();
        if let Some((id, s1, s2)) = &p.candidate
            && *s1 >= t.min_score
            && *s1 >= t.margin * *s2
        {
            predicted.insert(id.clone());
        }
        if p.case.negative && !predicted.is_empty() {
            flagged += 1;
        }
        c.tp += predicted.intersection(&p.case.labels).count() as u32;
        c.fp += predicted.difference(&p.case.labels).count() as u32;
        c.fn_ += p.case.labels.difference(&predicted).count() as u32;
    }
    (c, flagged)
}

/// The grid the thresholds are chosen from; `min_score = ∞` switches retrieval off.
fn grid() -> Vec<SimilarThresholds> {
    let floors = [
        0.0,
        5.0,
        10.0,
        15.0,
        20.0,
        25.0,
        30.0,
        35.0,
        40.0,
        50.0,
        f64::INFINITY,
    ];
    let margins = [1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 2.5, 3.0];
    floors
        .iter()
        .flat_map(|&min_score| {
            margins
                .iter()
                .map(move |&margin| SimilarThresholds { min_score, margin })
        })
        .collect()
}

/// Training objective: micro-F1, less 0.02 per flagged negative (the issue allows one of
/// fourteen); ties go to the stricter thresholds (later in the grid).
fn best_on(items: &[&Precomputed]) -> (SimilarThresholds, f64) {
    let mut best = (SimilarThresholds::ANY, f64::NEG_INFINITY);
    for t in grid() {
        let (c, flagged) = score_at(items, t);
        let objective = c.f1() - 0.02 * f64::from(flagged);
        if objective >= best.1 {
            best = (t, objective);
        }
    }
    best
}

#[test]
fn kfold_retrieval_thresholds() {
    let Some(cases) = cases() else { return };
    let rules = RuleSet::load(&RuleSources {
        builtin: true,
        dirs: vec![],
    })
    .expect("rules load");
    let k: u64 = std::env::var("MATCH_KFOLD")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&k| k >= 2)
        .unwrap_or(5);
    let pre = precompute(&cases, &rules);
    let all: Vec<&Precomputed> = pre.iter().collect();
    let shipped = SimilarThresholds::DEFAULT;
    let off = SimilarThresholds {
        min_score: f64::INFINITY,
        margin: 1.0,
    };
    // The precomputed scorer must agree with the matcher itself at the shipped thresholds.
    let (pooled_shipped, flagged_shipped) = score_at(&all, shipped);
    let direct = score(&cases.iter().collect::<Vec<_>>(), &rules, false);
    assert_eq!(
        (pooled_shipped.tp, pooled_shipped.fp, pooled_shipped.fn_),
        (direct.micro.tp, direct.micro.fp, direct.micro.fn_),
        "precomputed scoring differs from classify_text"
    );
    println!(
        "{k}-fold by thread; shipped thresholds: floor {} margin {}",
        shipped.min_score, shipped.margin
    );
    println!(
        "{:>4} {:>5} {:>9} {:>9} {:>14} {:>9} {:>9}",
        "fold", "files", "rules", "shipped", "chosen(train)", "train", "held"
    );
    let mut cv = Counts::default();
    let mut cv_flagged = 0;
    let mut shipped_f1 = Vec::new();
    for f in 0..k {
        let held: Vec<&Precomputed> = all
            .iter()
            .copied()
            .filter(|p| fold_of(&p.case.name, k) == f)
            .collect();
        let train: Vec<&Precomputed> = all
            .iter()
            .copied()
            .filter(|p| fold_of(&p.case.name, k) != f)
            .collect();
        let (t, _) = best_on(&train);
        let (tc, _) = score_at(&train, t);
        let (hc, hflag) = score_at(&held, t);
        let (sc, _) = score_at(&held, shipped);
        let (rc, _) = score_at(&held, off);
        cv.tp += hc.tp;
        cv.fp += hc.fp;
        cv.fn_ += hc.fn_;
        cv_flagged += hflag;
        shipped_f1.push(sc.f1());
        println!(
            "{f:>4} {:>5} {:>9.3} {:>9.3} {:>14} {:>9.3} {:>9.3}",
            held.len(),
            rc.f1(),
            sc.f1(),
            format!("{}/{}", t.min_score, t.margin),
            tc.f1(),
            hc.f1()
        );
    }
    // `MATCH_DETAIL=candidates`: each thread with a missed label and the retrieval stage's
    // raw best candidate (what a threshold change would add or drop).
    if std::env::var("MATCH_DETAIL").is_ok_and(|d| d == "candidates") {
        for p in &all {
            let missed: Vec<&String> = p.case.labels.difference(&p.rules).collect();
            if missed.is_empty() && !p.case.negative {
                continue;
            }
            if let Some((id, s1, s2)) = &p.candidate {
                println!(
                    "  {}: missed {missed:?}, candidate {id} {s1:.1} vs {s2:.1}",
                    p.case.name
                );
            }
        }
    }
    // The ranking itself, on every labelled thread (not only where the stage runs): how
    // often a label is the best-ranked rule, or among the best three. Optimistic: the rules'
    // own tests (part of each retrieval document) were written from many of these threads.
    let index = triage::matchtext::retrieval::Index::of(&rules);
    let (mut labelled, mut top1, mut top3) = (0, 0, 0);
    for p in &all {
        if p.case.labels.is_empty() {
            continue;
        }
        labelled += 1;
        let ranked = index.rank(&triage::matchtext::retrieval::tokens(&p.case.text));
        let ids: Vec<&str> = ranked
            .iter()
            .take(3)
            .map(|(r, _)| rules.rules[*r].id())
            .collect();
        top1 += u32::from(ids.first().is_some_and(|id| p.case.labels.contains(*id)));
        top3 += u32::from(ids.iter().any(|id| p.case.labels.contains(*id)));
    }
    println!("retrieval ranking over {labelled} labelled threads: top-1 {top1}, top-3 {top3}");
    let (rules_only, _) = score_at(&all, off);
    let min = shipped_f1.iter().copied().fold(f64::INFINITY, f64::min);
    let max = shipped_f1.iter().copied().fold(0.0, f64::max);
    println!(
        "pooled: rules only {:.3}; shipped thresholds {:.3} ({} negatives flagged), per-fold \
         range {min:.3}-{max:.3}; cross-validated thresholds {:.3} ({cv_flagged} negatives flagged)",
        rules_only.f1(),
        pooled_shipped.f1(),
        flagged_shipped,
        cv.f1()
    );
    // Retrieval must earn its place on threads it was not tuned on: with thresholds chosen
    // on the other folds it does not lose to the rule stage alone.
    assert!(
        cv.f1() + 1e-9 >= rules_only.f1() - 0.01,
        "cross-validated retrieval ({:.3}) is worse than rules alone ({:.3})",
        cv.f1(),
        rules_only.f1()
    );
}
