//! Diagnostics for `triage match` on labelled snippet files: context term, intent, the
//! retrieval stage's ranking (top 3) and the rule-stage result. Not part of the product.
//! `cargo run --release --example match_diag -- FILE...`
use triage::matchtext::{self, context::Vocabulary, intent, retrieval};
use triage::rules::{RuleSet, RuleSources};

fn main() {
    let rules = RuleSet::load(&RuleSources {
        builtin: true,
        dirs: vec![],
    })
    .expect("rules");
    let vocab = Vocabulary::builtin();
    let idx = retrieval::Index::of(&rules);
    for path in std::env::args().skip(1) {
        let raw = std::fs::read_to_string(&path).expect("read");
        let text: String = raw
            .lines()
            .skip_while(|l| l.starts_with("# "))
            .collect::<Vec<_>>()
            .join("\n");
        let r = matchtext::classify_text(&text, &rules);
        let ranked = idx.rank(&retrieval::tokens(&text));
        let top: Vec<String> = ranked
            .iter()
            .take(3)
            .map(|(i, s)| format!("{} {s:.1}", rules.rules[*i].id()))
            .collect();
        let cand = matchtext::similar_candidate(&text, &rules, vocab).map(|p| {
            format!(
                "{} {:.1} vs {:.1}",
                rules.rules[p.rule].id(),
                p.score,
                p.runner_up
            )
        });
        println!(
            "{path}\n  context {:?} intent {:?}\n  matches {:?}\n  candidate {cand:?}\n  rank(all text) {top:?}",
            vocab.find(&text),
            intent::detect(&text).as_str(),
            r.matches
                .iter()
                .map(|m| format!("{}({:?})", m.signature, m.confidence))
                .collect::<Vec<_>>()
        );
    }
}
