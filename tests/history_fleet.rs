//! docs/fleet.md (issue #10): the NDJSON that `triage history --format ndjson` writes fits the
//! ClickHouse table the document defines (every column a field, of a type the column takes),
//! and the same lines import back into a store without duplicates.

mod common;

use serde_json::Value;

/// (column, type) of the `CREATE TABLE` in docs/fleet.md.
fn table_columns() -> Vec<(String, String)> {
    let doc = std::fs::read_to_string(common::root().join("docs/fleet.md")).unwrap();
    let start = doc.find("CREATE TABLE").expect("a table definition");
    let body = &doc[start..];
    let open = body.find('(').unwrap();
    let close = body.find("\n)").unwrap();
    body[open + 1..close]
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let l = l.trim_end_matches(',');
            let (name, ty) = l.split_once(char::is_whitespace).unwrap();
            (name.to_string(), ty.trim().to_string())
        })
        .collect()
}

fn fits(ty: &str, v: &Value) -> bool {
    if let Some(inner) = ty
        .strip_prefix("Nullable(")
        .and_then(|t| t.strip_suffix(')'))
    {
        return v.is_null() || fits(inner, v);
    }
    if let Some(inner) = ty
        .strip_prefix("LowCardinality(")
        .and_then(|t| t.strip_suffix(')'))
    {
        return fits(inner, v);
    }
    if let Some(inner) = ty.strip_prefix("Array(").and_then(|t| t.strip_suffix(')')) {
        return v
            .as_array()
            .is_some_and(|a| a.iter().all(|x| fits(inner, x)));
    }
    if ty.starts_with("DateTime64") {
        let re = regex::Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$").unwrap();
        return v.as_str().is_some_and(|s| re.is_match(s));
    }
    match ty {
        "String" => v.is_string(),
        _ => panic!("docs/fleet.md uses a column type the test does not know: {ty}"),
    }
}

#[test]
fn ndjson_lines_fit_the_documented_table_and_import_back() {
    let Some(dir) = common::corpus("failures") else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let db = t.path().join("h.db");
    let run = |db: &std::path::Path, args: &[&str]| {
        let out = assert_cmd::Command::cargo_bin("triage")
            .unwrap()
            .env("CODEX_HOME", "/nonexistent-codex-home")
            .env_remove("TRIAGE_DB")
            .arg("--db")
            .arg(db)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    run(
        &db,
        &[
            "capture",
            dir.to_str().unwrap(),
            "--now",
            "2026-11-26T14:00:00.000Z",
        ],
    );
    let nd = run(&db, &["history", "--format", "ndjson", "--redact"]);
    let lines: Vec<Value> = nd
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() >= 10, "the failures corpus has many runs");
    let cols = table_columns();
    assert!(cols.len() >= 15, "{cols:?}");
    for l in &lines {
        for (name, ty) in &cols {
            let v = l
                .get(name)
                .unwrap_or_else(|| panic!("column {name} is not a field of {l}"));
            assert!(fits(ty, v), "{name} {ty} does not take {v}");
        }
    }
    let file = t.path().join("runs.ndjson");
    std::fs::write(&file, &nd).unwrap();
    let other = t.path().join("fleet.db");
    let out = run(
        &other,
        &[
            "history",
            "import",
            file.to_str().unwrap(),
            file.to_str().unwrap(),
        ],
    );
    assert!(
        out.starts_with(&format!(
            "imported {} runs ({} new",
            lines.len() * 2,
            lines.len()
        )),
        "{out}"
    );
    let back = run(&other, &["history", "--format", "ndjson"]);
    assert_eq!(
        back.lines().count(),
        lines.len(),
        "deduplicated by run identity"
    );
}
