//! `triage match` (issue #4): free text — an issue body, a pasted job log, `[codex]` stderr —
//! against the signatures, on the realistic texts in `testdata/match/`. Positives must put the
//! right signature first with its evidence lines; texts that only talk about a topic
//! (a feature request, a question, a changelog) or show another tool's error must not match.

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::{Value, json};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/match")
        .join(name)
}

/// The layout of design-notes §1, checked with a JSON Schema.
fn match_schema() -> jsonschema::Validator {
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["schema_version", "matches"],
        "properties": {
            "schema_version": { "const": 1 },
            "matches": { "type": "array", "items": {
                "type": "object",
                "required": ["signature", "title", "score", "evidence", "references", "related"],
                "properties": {
                    "signature": { "type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$" },
                    "title": { "type": "string", "minLength": 1 },
                    "score": { "type": "integer", "minimum": 1, "maximum": 99 },
                    "evidence": { "type": "array", "minItems": 1, "items": {
                        "type": "object", "required": ["line", "text"],
                        "properties": { "line": { "type": "integer", "minimum": 1 },
                                        "text": { "type": "string", "minLength": 1 } } } },
                    "references": { "type": "array", "items": {
                        "type": "string", "pattern": "^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+#[0-9]+$" } },
                    "related": { "type": "array", "items": {
                        "type": "object", "required": ["id", "relation"] } }
                }
            } }
        }
    });
    jsonschema::draft202012::new(&schema).unwrap()
}

/// `triage match FILE --format json`, validated; exit code 0 is part of the contract.
fn match_json(name: &str) -> Value {
    let out = cargo_bin_cmd!("triage")
        .args(["match", fixture(name).to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    // grep's convention: 0 when a signature matched, 1 when none did.
    let want = if doc["matches"].as_array().is_some_and(|m| m.is_empty()) {
        1
    } else {
        0
    };
    assert_eq!(out.status.code(), Some(want), "{name}: exit code");
    let v = match_schema();
    let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{name}: {errors:?}");
    // Best first, and evidence cites the real lines of the input.
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let ms = doc["matches"].as_array().unwrap();
    for w in ms.windows(2) {
        assert!(
            w[0]["score"].as_u64() >= w[1]["score"].as_u64(),
            "{name}: order"
        );
    }
    for m in ms {
        for e in m["evidence"].as_array().unwrap() {
            let n = e["line"].as_u64().unwrap() as usize;
            let shown = e["text"].as_str().unwrap();
            assert!(
                lines[n - 1].contains(shown.trim_end_matches('…')),
                "{name}: evidence line {n} is `{}`, not `{shown}`",
                lines[n - 1]
            );
        }
    }
    doc
}

fn ids(doc: &Value) -> Vec<String> {
    doc["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["signature"].as_str().unwrap().to_string())
        .collect()
}

fn distinct_from(m: &Value) -> Vec<&str> {
    m["related"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["relation"] == "distinct-from")
        .map(|r| r["id"].as_str().unwrap())
        .collect()
}

#[test]
fn windows_1920_issue_report_matches_1920_first_with_distinct_from() {
    // The report behind this project: Windows 11, plugin 1.0.4, codex-cli 0.128.0, a quoted
    // turn.log with `(exit -1)` lines, the runner error, "Shell access … was blocked", a
    // hand-written bisection table and "distinct from #277, #57".
    let doc = match_json("issue-1920-windows11.md");
    let ms = doc["matches"].as_array().unwrap();
    assert!(!ms.is_empty());
    let top = &ms[0];
    assert_eq!(top["signature"], "win-sandbox-createprocessasuser-1920");
    assert!(
        top["score"].as_u64().unwrap() >= 80,
        "output lines in fences: high confidence"
    );
    let ev: Vec<&str> = top["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert!(
        ev.iter()
            .any(|t| t.contains("CreateProcessAsUserW failed: 1920"))
    );
    assert!(
        top["references"]
            .as_array()
            .unwrap()
            .contains(&json!("openai/codex-plugin-cc#295"))
    );
    let d = distinct_from(top);
    assert!(d.contains(&"win-sandbox-blocked-by-policy"), "{d:?}");
    assert!(d.contains(&"review-background-hang"), "{d:?}");
    // The "distinct from #57 (… blocked by policy …)" paragraph is not a policy match.
    assert!(
        !ids(&doc).contains(&"win-sandbox-blocked-by-policy".to_string()),
        "{:?}",
        ids(&doc)
    );

    // The human rendering says the same.
    let out = cargo_bin_cmd!("triage")
        .args([
            "match",
            fixture("issue-1920-windows11.md").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let human = String::from_utf8(out.stdout).unwrap();
    assert!(human.starts_with("1. win-sandbox-createprocessasuser-1920 (score "));
    let distinct = &human[human.find("distinct from:").expect("distinct from:")..];
    assert!(distinct.contains("- win-sandbox-blocked-by-policy: "));
    assert!(distinct.contains("- review-background-hang: "));
}

#[test]
fn realistic_reports_match_their_signature_first() {
    for (file, want) in [
        ("stderr-spawn-enoent.txt", "win-spawn-codex-enoent"),
        ("joblog-usage-limit.log", "usage-limit-reached"),
        ("issue-auth-refresh.md", "auth-token-refresh-failed"),
        (
            "issue-blocked-by-policy.md",
            "win-sandbox-blocked-by-policy",
        ),
    ] {
        let doc = match_json(file);
        assert_eq!(
            ids(&doc).first().map(String::as_str),
            Some(want),
            "{file}: {:?}",
            ids(&doc)
        );
    }
}

#[test]
fn texts_that_only_talk_about_a_topic_or_show_another_tool_do_not_match() {
    for file in [
        "neg-feature-request-usage-limits.md",
        "neg-question-sandbox.md",
        "neg-changelog.md",
        "neg-npm-enoent.txt",
        "neg-docker-401.txt",
        "neg-unrelated-tool-stream.txt",
    ] {
        let doc = match_json(file);
        assert_eq!(ids(&doc), Vec::<String>::new(), "{file}");
        let out = cargo_bin_cmd!("triage")
            .args(["match", fixture(file).to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "nothing matched: exit 1");
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            "No known signature matches this text.\n"
        );
    }
}

/// `triage match -` on a string.
fn match_stdin(text: &str) -> Vec<String> {
    let out = cargo_bin_cmd!("triage")
        .args(["match", "-", "--format", "json"])
        .write_stdin(text)
        .output()
        .unwrap();
    let found = ids(&serde_json::from_slice(&out.stdout).unwrap());
    let want = if found.is_empty() { 1 } else { 0 };
    assert_eq!(
        out.status.code(),
        Some(want),
        "exit 1 exactly when nothing matched"
    );
    found
}

#[test]
fn negatives_are_near_misses_not_strangers() {
    // The same strings, said by the plugin, do match: the negatives fail for the right reason.
    assert_eq!(
        match_stdin("[codex] Error: failed to refresh token: 401 Unauthorized (token expired)\n")
            .first()
            .map(String::as_str),
        Some("auth-token-refresh-failed")
    );
    assert_eq!(
        match_stdin("[codex] Error: spawn codex ENOENT\n")
            .first()
            .map(String::as_str),
        Some("win-spawn-codex-enoent")
    );
    // The changelog's wording, reported as a bug in prose, is a (prose-weight) match.
    let report = "Since the update /codex:rescue fails on Windows 11 with `spawn codex ENOENT`.\n";
    assert_eq!(
        match_stdin(report),
        vec!["win-spawn-codex-enoent".to_string()]
    );
    // A docker error under its own prompt vs. the same line under `codex exec`.
    let docker = std::fs::read_to_string(fixture("neg-docker-401.txt")).unwrap();
    let as_codex = docker.replace(
        "$ docker push ghcr.io/acme/ledger:1.4.2",
        "$ codex exec 'push'",
    );
    assert!(match_stdin(&as_codex).contains(&"auth-token-refresh-failed".to_string()));
}

#[test]
fn stdin_and_file_give_the_same_answer_and_empty_input_is_no_match() {
    let text = std::fs::read_to_string(fixture("joblog-usage-limit.log")).unwrap();
    assert_eq!(
        match_stdin(&text),
        ids(&match_json("joblog-usage-limit.log"))
    );
    assert_eq!(match_stdin(""), Vec::<String>::new());
    let out = cargo_bin_cmd!("triage")
        .args(["match", "--format", "json"])
        .write_stdin("")
        .output()
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout).unwrap(),
        json!({"schema_version": 1, "matches": []})
    );
}

/// A `--rules DIR` with its own `_vocab/context.toml` extends the product context: a
/// generic string (`needs_context`) next to the user's own product term becomes `exact`.
#[test]
fn a_rule_dir_vocabulary_extends_the_product_context() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("_vocab")).unwrap();
    std::fs::write(
        dir.path().join("_vocab/context.toml"),
        "terms = [\"acme-runner\"]\n",
    )
    .unwrap();
    let text =
        "acme-runner on macOS: Operation not permitted (os error 1) writing the session file\n";
    let run = |with_dir: bool| -> Value {
        let mut cmd = cargo_bin_cmd!("triage");
        cmd.args(["match", "-", "--format", "json"]);
        if with_dir {
            cmd.arg("--rules").arg(dir.path());
        }
        let out = cmd.write_stdin(text).output().unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    // `exact` matches are listed under `matches`, `low` ones under `low_confidence`.
    let confidence = |doc: &Value| -> Option<String> {
        ["matches", "low_confidence"].iter().find_map(|k| {
            doc[*k].as_array()?.iter().find_map(|m| {
                (m["signature"] == "macos-tcc-operation-not-permitted")
                    .then(|| m["confidence"].as_str().unwrap_or_default().to_string())
            })
        })
    };
    assert_eq!(confidence(&run(false)).as_deref(), Some("low"));
    assert_eq!(confidence(&run(true)).as_deref(), Some("exact"));
}

/// `triage rules test DIR` gives the free-text tests the vocabulary `match --rules DIR`
/// uses: a `needs_context` rule whose must-match test names only the folder's own product
/// term passes with `DIR/_vocab/context.toml` and fails without it.
#[test]
fn rules_test_reads_the_folder_vocabulary() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("acme-eperm.toml"),
        r#"id = "acme-eperm"
title = "acme-runner: EPERM writing its session file"
family = "sandbox"
severity = "medium"
status = "experimental"
needs_context = true
description = "The acme-runner cannot write its session file."
fix = "Grant the terminal access to the folder."

[match]
condition = "eperm"

[match.patterns]
eperm = { regex = 'EPERM: operation not permitted, open', in = "any" }

[[tests]]
expect = "match"
text = "acme-runner stopped: EPERM: operation not permitted, open '/Users/me/.acme/session'"
"#,
    )
    .unwrap();
    let run = || {
        cargo_bin_cmd!("triage")
            .args(["rules", "test"])
            .arg(dir.path())
            .output()
            .unwrap()
    };
    let without = run();
    assert!(
        !without.status.success(),
        "without the folder's vocabulary the generic string is only low confidence"
    );
    std::fs::create_dir_all(dir.path().join("_vocab")).unwrap();
    std::fs::write(
        dir.path().join("_vocab/context.toml"),
        "terms = [\"acme-runner\"]\n",
    )
    .unwrap();
    let with = run();
    assert!(
        with.status.success(),
        "{}{}",
        String::from_utf8_lossy(&with.stdout),
        String::from_utf8_lossy(&with.stderr)
    );
}

/// The ways a report carries a catalogued message that are not a different wording: quoted,
/// in a list, behind a log prefix, hard-wrapped by the terminal (at a space or mid-word),
/// behind a relay's `Error: `, with typographic apostrophes, escaped inside a JSON string.
fn carriers(literal: &str) -> Vec<(&'static str, String)> {
    let title = "Title: /codex:review fails\n\n";
    let mut out = vec![
        ("quoted", format!("{title}> {literal}\n")),
        ("bullet", format!("{title}- `{literal}`\n")),
        (
            "log prefix",
            format!("{title}```\n[codex] [2026-09-01T10:00:00.000Z] {literal}\n```\n"),
        ),
        (
            "typographic",
            format!("{title}```\n{}\n```\n", literal.replace('\'', "\u{2019}")),
        ),
        (
            "json string",
            format!(
                "{title}```\n{{\"type\":\"error\",\"message\":{}}}\n```\n",
                serde_json::to_string(literal).unwrap()
            ),
        ),
    ];
    if !literal.starts_with("Error") {
        out.push((
            "relay prefix",
            format!("{title}```\nError: {literal}\n```\n"),
        ));
    }
    let chars: Vec<char> = literal.chars().collect();
    if chars.len() >= 40 {
        // A terminal wraps at its width, inside a word.
        let cut: String = chars[..chars.len() / 2].iter().collect();
        let rest: String = chars[chars.len() / 2..].iter().collect();
        out.push((
            "wrapped mid-word",
            format!("{title}```\n{cut}\n{rest}\n```\n"),
        ));
        // A reporter's editor wraps at the space nearest the middle.
        if let Some(sp) = literal[..literal.len() / 2].rfind(' ') {
            out.push((
                "wrapped at a space",
                format!(
                    "{title}{}\n{}\n",
                    &literal[..sp],
                    literal[sp + 1..].trim_start()
                ),
            ));
        }
    }
    out
}

#[test]
fn catalog_literals_survive_their_carriers() {
    use triage::matchtext::classify_text;
    use triage::rules::{RuleSet, RuleSources};
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/docs/signatures.json");
    let Ok(raw) = std::fs::read_to_string(&path) else {
        eprintln!("SKIPPED: {} not found", path.display());
        return;
    };
    let catalog: Value = serde_json::from_str(&raw).expect("signatures.json");
    let rules = RuleSet::load(&RuleSources {
        builtin: true,
        dirs: vec![],
    })
    .expect("rules load");
    let found = |text: &str, id: &str| {
        classify_text(text, &rules)
            .confident()
            .any(|m| m.signature == id)
    };
    let (mut tried, mut failures) = (0, Vec::new());
    for sig in catalog["signatures"].as_array().expect("signatures") {
        let id = sig["id"].as_str().unwrap();
        for lit in sig["literals"].as_array().into_iter().flatten() {
            let lit = lit.as_str().unwrap();
            // Only literals that identify their row on their own, as plain output.
            let plain = format!("Title: /codex:review fails\n\n```\n{lit}\n```\n");
            // A heading that introduces a payload (`Raw final message:`) is a structural
            // marker of an output block, not a message: it has no carriers.
            if lit.len() < 16 || lit.contains("...") || lit.ends_with(':') || !found(&plain, id) {
                continue;
            }
            for (how, text) in carriers(lit) {
                tried += 1;
                if !found(&text, id) {
                    failures.push(format!("{id} [{how}]: {lit}"));
                }
            }
        }
    }
    println!("{tried} carried literals, {} lost", failures.len());
    assert!(tried > 200, "only {tried} carried literals tried");
    assert!(
        failures.is_empty(),
        "{} of {tried} carried literals lost their signature:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The other contraction or spelling of a catalogued message, written by hand (the catalog
/// and the rules carry one form): each still finds its signature.
#[test]
fn contractions_and_spellings_of_catalogued_messages() {
    use triage::matchtext::classify_text;
    use triage::rules::{RuleSet, RuleSources};
    let rules = RuleSet::load(&RuleSources {
        builtin: true,
        dirs: vec![],
    })
    .expect("rules load");
    let cases = [
        // catalog: "Codex could not find bubblewrap on PATH."
        (
            "linux-bwrap-namespace-denied",
            "Codex couldn't find bubblewrap on PATH.",
        ),
        // catalog: "Codex CLI is not authenticated."
        (
            "setup-not-authenticated",
            "Codex CLI isn't authenticated. Run `!codex login` and retry.",
        ),
        // catalog: "bwrap: Can't create file at …"
        (
            "linux-bwrap-mount-target-failed",
            "bwrap: Cannot create file at /home/me/.codex/tmp: Read-only file system",
        ),
        // catalog: "Your Windows doesn't fully support CET."
        (
            "win-pwsh-cet-crash",
            "Your Windows does not fully support CET. Please install all available Windows updates.",
        ),
        // catalog: "…failed: Hook cancelled"
        (
            "sessionend-hook-cancelled",
            "SessionEnd hook [node \"${CLAUDE_PLUGIN_ROOT}/scripts/session-lifecycle-hook.mjs\" SessionEnd] failed: Hook canceled",
        ),
    ];
    for (id, line) in cases {
        let text = format!("Title: /codex:rescue fails\n\n```\n{line}\n```\n");
        let got: Vec<String> = classify_text(&text, &rules)
            .confident()
            .map(|m| m.signature.clone())
            .collect();
        assert!(got.iter().any(|g| g == id), "{id}: {line} -> {got:?}");
    }
}
