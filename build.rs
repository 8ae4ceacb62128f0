//! Embeds every `rules/**/*.toml` file in the binary, so the built-in rule library ships
//! with `triage` and needs no install step.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
}

fn main() {
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let rules = root.join("rules");
    println!("cargo:rerun-if-changed=rules");
    let mut files = Vec::new();
    collect(&rules, &mut files);
    files.sort();
    // Files under a `_`-folder (`rules/_vocab/`) are support data for the matcher, not rules.
    let rel = |f: &PathBuf| {
        f.strip_prefix(&root)
            .unwrap_or(f)
            .to_string_lossy()
            .replace('\\', "/")
    };
    let support = |r: &str| r.split('/').rev().skip(1).any(|p| p.starts_with('_'));
    let mut src = String::new();
    for (name, doc, want_support) in [
        (
            "BUILTIN_RULES",
            "Built-in rule files: (path relative to the crate, contents).",
            false,
        ),
        (
            "BUILTIN_SUPPORT",
            "Built-in support files of the rule library (`rules/_vocab/…`).",
            true,
        ),
    ] {
        writeln!(src, "/// {doc}\npub static {name}: &[(&str, &str)] = &[").expect("write");
        for f in &files {
            let r = rel(f);
            if support(&r) != want_support {
                continue;
            }
            writeln!(
                src,
                "    ({r:?}, include_str!({:?})),",
                f.display().to_string()
            )
            .expect("write to String");
        }
        src.push_str("];\n");
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("builtin_rules.rs");
    std::fs::write(out, src).expect("write builtin_rules.rs");
}
