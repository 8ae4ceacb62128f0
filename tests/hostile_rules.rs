//! Hostile rule folders (issue #6): `triage rules validate DIR` and `triage scan --rules DIR`
//! exit 2 naming every bad file with its reason; never a panic, never a scan with silently
//! missing rules.

#![cfg(unix)]

mod hostile_support;

use hostile_support::*;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// A valid rule with id `id` (its file must be `sandbox/<id>.toml`).
fn rule(id: &str) -> String {
    format!(
        r#"id = "{id}"
title = "Demo"
family = "sandbox"
severity = "high"
description = "d"
fix = "f"
references = ["openai/codex#1"]
[match.patterns]
a = {{ literal = "boom happened", in = "error" }}
[[tests]]
expect = "match"
text = "boom happened"
[[tests]]
expect = "no-match"
text = "all fine"
"#
    )
}

/// One bad rule file: (file stem, contents or a builder, what the reason must mention).
struct Bad {
    stem: &'static str,
    make: fn(&Path),
    reason: &'static str,
}

fn write_rule(path: &Path, text: String) {
    put(path, text);
}

fn bad_files() -> Vec<Bad> {
    vec![
        Bad {
            stem: "bad-regex",
            make: |p| {
                write_rule(
                    p,
                    rule("bad-regex")
                        .replace(r#"literal = "boom happened""#, r#"regex = 'boom ('"#),
                )
            },
            reason: "match.patterns.a: invalid regex",
        },
        Bad {
            stem: "huge-regex",
            make: |p| {
                write_rule(
                    p,
                    rule("huge-regex").replace(
                        r#"literal = "boom happened""#,
                        r#"regex = '\w{1000}\w{1000}'"#,
                    ),
                )
            },
            reason: "exceeds size limit",
        },
        Bad {
            stem: "nested-regex",
            make: |p| {
                let re = format!("{}a{}", "(".repeat(2000), ")".repeat(2000));
                write_rule(
                    p,
                    rule("nested-regex")
                        .replace(r#"literal = "boom happened""#, &format!("regex = '{re}'")),
                )
            },
            reason: "match.patterns.a: invalid regex",
        },
        Bad {
            stem: "unknown-field",
            make: |p| {
                write_rule(
                    p,
                    rule("unknown-field").replace(
                        "severity = \"high\"",
                        "severity = \"high\"\ncolour = \"red\"",
                    ),
                )
            },
            reason: "unknown field `colour`",
        },
        Bad {
            stem: "wrong-type",
            make: |p| {
                write_rule(
                    p,
                    rule("wrong-type").replace("severity = \"high\"", "severity = 3"),
                )
            },
            reason: "severity = 3",
        },
        Bad {
            stem: "wrong-type-list",
            make: |p| {
                write_rule(
                    p,
                    rule("wrong-type-list")
                        .replace(r#"references = ["openai/codex#1"]"#, "references = 12"),
                )
            },
            reason: "references = 12",
        },
        Bad {
            stem: "garbage",
            make: |p| {
                put(
                    p,
                    (0..600u32)
                        .map(|i| (i * 7919 % 251) as u8)
                        .collect::<Vec<u8>>(),
                )
            },
            reason: "not UTF-8 text",
        },
        Bad {
            stem: "not-toml",
            make: |p| put(p, "this is ]] not toml\n\0\u{1}"),
            reason: "invalid rule file",
        },
        Bad {
            stem: "empty",
            make: |p| put(p, ""),
            reason: "missing field `id`",
        },
        Bad {
            stem: "toml-bomb",
            make: |p| put(p, format!("id = {}", "[".repeat(100_000))),
            reason: "invalid rule file",
        },
        Bad {
            stem: "id-mismatch",
            make: |p| write_rule(p, rule("something-else")),
            reason: "differs from the file name",
        },
        Bad {
            stem: "oversized",
            make: |p| {
                let pad = format!("# {}\n", "x".repeat(100));
                write_rule(p, rule("oversized") + &pad.repeat(21_000))
            },
            reason: "more than the 1024 KiB a rule file can be",
        },
        Bad {
            stem: "fifo",
            make: mkfifo,
            reason: "not a regular file",
        },
        Bad {
            stem: "link",
            make: |p| std::os::unix::fs::symlink("good-one.toml", p).unwrap(),
            reason: "not a regular file",
        },
    ]
}

/// Splits `triage: invalid rules` output into one block per problem (a problem starts on a
/// line `  /abs/path…`; TOML error snippets continue it). Returns (file, block).
fn problems(stderr: &str, dirs: &[&Path]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in stderr.lines() {
        let starts = dirs
            .iter()
            .any(|d| line.starts_with(&format!("  {}", d.display())));
        if starts {
            let body = line.trim_start();
            let file = body.split(": ").next().unwrap().to_string();
            out.push((file, body.to_string()));
        } else if let Some(last) = out.last_mut() {
            last.1.push('\n');
            last.1.push_str(line);
        }
    }
    out
}

/// Checks the stderr of a failed rule load: the header count, one problem per bad file with
/// its reason, and nothing said against good files.
fn assert_names_each_bad_file(stderr: &str, dirs: &[&Path], expected: &[(PathBuf, &str)]) {
    let header = format!("triage: invalid rules ({} problem", expected.len());
    assert!(stderr.contains(&header), "want {header:?} in:\n{stderr}");
    let got = problems(stderr, dirs);
    assert_eq!(
        got.len(),
        expected.len(),
        "one problem per bad file:\n{stderr}"
    );
    for (path, reason) in expected {
        let p = path.display().to_string();
        let blocks: Vec<&(String, String)> = got.iter().filter(|(f, _)| *f == p).collect();
        assert_eq!(blocks.len(), 1, "{p} must be named once:\n{stderr}");
        assert!(
            blocks[0].1.contains(reason),
            "{p}: want {reason:?} in:\n{}",
            blocks[0].1
        );
    }
}

/// Two rule folders: `a` with a good rule and every bad file, `b` with a file repeating the
/// good rule's id. Returns (tempdir, a, b, expected problems).
fn hostile_rule_dirs() -> (
    tempfile::TempDir,
    PathBuf,
    PathBuf,
    Vec<(PathBuf, &'static str)>,
) {
    let t = tempfile::tempdir().unwrap();
    let a = t.path().join("a");
    let b = t.path().join("b");
    write_rule(&a.join("sandbox").join("good-one.toml"), rule("good-one"));
    let mut expected = Vec::new();
    for bad in bad_files() {
        let p = a.join("sandbox").join(format!("{}.toml", bad.stem));
        (bad.make)(&p);
        expected.push((p, bad.reason));
    }
    let dup = b.join("sandbox").join("good-one.toml");
    write_rule(&dup, rule("good-one"));
    expected.push((dup, "duplicate id `good-one` (also in"));
    (t, a, b, expected)
}

fn good_tree() -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("data");
    good_job(
        &root.join("state").join("ws-0123456789abcdef"),
        "task-good-1",
    );
    (t, root)
}

#[test]
fn rules_validate_names_every_bad_file_with_its_reason() {
    let (_t, a, b, expected) = hostile_rule_dirs();
    let out = run_triage([
        OsString::from("rules"),
        "validate".into(),
        a.clone().into(),
        b.clone().into(),
    ]);
    out.assert_exit(2);
    assert_names_each_bad_file(&out.stderr, &[&a, &b], &expected);
    // The duplicate names both files.
    let dup = problems(&out.stderr, &[&a, &b])
        .into_iter()
        .find(|(_, t)| t.contains("duplicate id"))
        .unwrap();
    assert!(
        dup.1.contains(
            &a.join("sandbox")
                .join("good-one.toml")
                .display()
                .to_string()
        )
    );
}

#[test]
fn scan_with_bad_rules_exits_2_before_scanning() {
    let (_t, a, b, expected) = hostile_rule_dirs();
    let (_t2, root) = good_tree();
    let out = run_triage([
        OsString::from("scan"),
        root.clone().into(),
        "--format".into(),
        "json".into(),
        "--rules".into(),
        a.clone().into(),
        "--rules".into(),
        b.clone().into(),
    ]);
    out.assert_exit(2);
    assert!(
        out.stdout.is_empty(),
        "no partial report: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        !out.stderr.contains("triage: warning"),
        "nothing was scanned:\n{}",
        out.stderr
    );
    assert_names_each_bad_file(&out.stderr, &[&a, &b], &expected);
}

/// Each bad file alone beside a good rule still fails the whole load, with one problem.
#[test]
fn one_bad_file_fails_the_whole_load() {
    let (_t2, root) = good_tree();
    for bad in bad_files() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("rules");
        write_rule(&dir.join("sandbox").join("good-one.toml"), rule("good-one"));
        let p = dir.join("sandbox").join(format!("{}.toml", bad.stem));
        (bad.make)(&p);
        let expected = [(p, bad.reason)];
        let out = run_triage([
            OsString::from("rules"),
            "validate".into(),
            dir.clone().into(),
        ]);
        out.assert_exit(2);
        assert_names_each_bad_file(&out.stderr, &[&dir], &expected);
        let out = run_triage([
            OsString::from("scan"),
            root.clone().into(),
            "--no-progress".into(),
            // Built-ins off keeps this loop quick; the full load is checked above.
            "--no-builtin-rules".into(),
            "--rules".into(),
            dir.clone().into(),
        ]);
        out.assert_exit(2);
        assert!(out.stdout.is_empty(), "{}: no partial scan", bad.stem);
        assert_names_each_bad_file(&out.stderr, &[&dir], &expected);
    }
}

/// The control: the same folders without the bad files load, scan and validate (so the
/// failures above come from the bad files), including through a linked folder.
#[test]
fn good_rule_folders_load_even_through_a_link() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("rules");
    write_rule(&dir.join("sandbox").join("good-one.toml"), rule("good-one"));
    write_rule(&dir.join("sandbox").join("good-two.toml"), rule("good-two"));
    let link = t.path().join("linked-rules");
    std::os::unix::fs::symlink(&dir, &link).unwrap();
    for d in [&dir, &link] {
        let out = run_triage([OsString::from("rules"), "validate".into(), d.clone().into()]);
        out.assert_exit(0);
        assert!(
            String::from_utf8_lossy(&out.stdout).starts_with("2 rules valid"),
            "{out:?}"
        );
    }
    let (_t2, root) = good_tree();
    let mut args = vec![
        OsString::from("scan"),
        root.into(),
        "--format".into(),
        "json".into(),
    ];
    args.extend(["--rules".into(), dir.into(), "--now".into(), NOW.into()]);
    let out = run_triage(args);
    out.assert_exit(0);
    assert_eq!(out.json()["runs"][0]["outcome"], "ok");
}

/// `--rules` naming something that is not a folder or a rule file: a missing path, a FIFO
/// (must not block) and a folder linked inside a rule folder (its rules would go missing).
#[test]
fn rule_paths_that_are_not_folders_or_files_are_problems() {
    let t = tempfile::tempdir().unwrap();
    let fifo = t.path().join("rules-fifo");
    mkfifo(&fifo);
    let missing = t.path().join("no-such-rules");
    let with_link = t.path().join("with-link");
    write_rule(
        &with_link.join("sandbox").join("good-one.toml"),
        rule("good-one"),
    );
    std::os::unix::fs::symlink(t.path(), with_link.join("elsewhere")).unwrap();
    for (path, reason) in [
        (&fifo, "not a regular file or directory"),
        (&missing, "cannot read"),
        (&with_link.join("elsewhere"), "not a regular file"),
    ] {
        let arg = if path.ends_with("elsewhere") {
            &with_link
        } else {
            path
        };
        let out = run_triage([
            OsString::from("rules"),
            "validate".into(),
            arg.clone().into(),
        ]);
        out.assert_exit(2);
        assert_names_each_bad_file(&out.stderr, &[t.path()], &[(path.clone(), reason)]);
    }
}
