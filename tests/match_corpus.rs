//! `triage match` on the labelled issue threads of `../shared/corpus/issues/` (issue #11):
//! micro-F1 over the signature labels and the number of hard negatives (`none`) flagged,
//! with a per-signature table. The files are split deterministically by a hash of the file
//! name into a development part (2/3) and a held-out part (1/3), so the held-out score says
//! how the matcher does on threads its rules were not tuned against.
//!
//! `cargo test --test match_corpus -- --nocapture` prints the tables. `MATCH_DETAIL=dev`
//! also prints every development file whose prediction differs from its labels.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use triage::matchtext::{Confidence, classify_text};
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
    // `MATCH_EXTRA=DIR`: another labelled set in the same format (threads found upstream that
    // the rules were not written from), scored and printed, not asserted.
    if let Some(extra) = std::env::var_os("MATCH_EXTRA") {
        let extra = cases_in(std::path::Path::new(&extra)).unwrap_or_default();
        let refs: Vec<&Case> = extra.iter().collect();
        print("extra set", &score(&refs, &rules, detail == "extra"), false);
    }
    // Issue #11's target: micro-F1 >= 0.92 on all threads, at most 1 of 14 negatives flagged.
    // When last measured: all 0.921, development 0.938, held-out 0.876 (the held-out part is
    // scored, never tuned on). The margin over the target is one label: a regression shows.
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
