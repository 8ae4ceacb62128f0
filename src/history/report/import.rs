//! Runs of an export document (JSON or NDJSON) for `triage history import`.

use crate::history::adapter::{self, Captured};
use crate::rules::RuleSet;
use crate::timefmt::Millis;
use std::collections::HashMap;

/// The run of one NDJSON line: lines typed `cluster`, `warning` or `summary` (what
/// `--format ndjson` writes beside the runs) carry no run; a `run` line loses its `type`;
/// untyped lines (older exports) are runs.
fn ndjson_run(v: serde_json::Value) -> Option<serde_json::Value> {
    let serde_json::Value::Object(mut m) = v else {
        return Some(v);
    };
    match m.remove("type") {
        None => Some(serde_json::Value::Object(m)),
        Some(t) if t == "run" => Some(serde_json::Value::Object(m)),
        Some(_) => None,
    }
}

/// What an export document or NDJSON stream holds for import: its runs, the severity of each
/// signature its clusters name, and when it was generated.
struct ExportRuns {
    runs: Vec<serde_json::Value>,
    severities: HashMap<String, String>,
    generated: Option<Millis>,
}

/// Turns the runs of an export document (a `scan`/`export`/`history` JSON document, or NDJSON
/// with one run per line) into runs for the store, with their first/last seen and gone times.
pub fn runs_of_export(
    text: &str,
    rules: &RuleSet,
    fallback_seen: Millis,
) -> anyhow::Result<Vec<crate::history::store::Imported>> {
    let doc = parse_export(text)?;
    let seen = doc.generated.unwrap_or(fallback_seen);
    doc.runs
        .into_iter()
        .enumerate()
        .map(|(n, v)| imported_run(&v, n, &doc.severities, rules, seen))
        .collect()
}

/// Reads `text` as one export document, one NDJSON object, or NDJSON lines.
fn parse_export(text: &str) -> anyhow::Result<ExportRuns> {
    let trimmed = text.trim_start();
    match serde_json::from_str::<serde_json::Value>(trimmed) {
        Ok(serde_json::Value::Object(doc)) if doc.contains_key("runs") => {
            if let Some(v) = doc.get("schema_version").and_then(|v| v.as_i64())
                && v != i64::from(crate::report::json::SCHEMA_VERSION)
            {
                anyhow::bail!(
                    "schema_version {v} is not one this triage reads ({})",
                    crate::report::json::SCHEMA_VERSION
                );
            }
            let mut severities = HashMap::new();
            for c in doc
                .get("clusters")
                .and_then(|c| c.as_array())
                .into_iter()
                .flatten()
            {
                if let (Some(id), Some(s)) = (
                    c.get("signature").and_then(|s| s.as_str()),
                    c.get("severity").and_then(|s| s.as_str()),
                ) {
                    severities.insert(id.to_string(), s.to_string());
                }
            }
            Ok(ExportRuns {
                generated: doc
                    .get("generated_at")
                    .and_then(|g| g.as_str())
                    .and_then(crate::timefmt::parse_timestamp),
                runs: doc
                    .get("runs")
                    .and_then(|r| r.as_array())
                    .cloned()
                    .unwrap_or_default(),
                severities,
            })
        }
        Ok(serde_json::Value::Object(one)) => Ok(ExportRuns {
            runs: ndjson_run(serde_json::Value::Object(one))
                .into_iter()
                .collect(),
            severities: HashMap::new(),
            generated: None,
        }),
        _ => {
            let mut runs = Vec::new();
            for (n, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let v: serde_json::Value = serde_json::from_str(line).map_err(|e| {
                    anyhow::anyhow!(
                        "line {}: neither an export document nor NDJSON runs ({e})",
                        n + 1
                    )
                })?;
                if let Some(run) = ndjson_run(v) {
                    runs.push(run);
                }
            }
            Ok(ExportRuns {
                runs,
                severities: HashMap::new(),
                generated: None,
            })
        }
    }
}

/// Run `n` (0-based) of an export as the store takes it: its data, findings with their
/// evidence and severity (the document's, else the rule's, else medium) and its times.
fn imported_run(
    v: &serde_json::Value,
    n: usize,
    severities: &HashMap<String, String>,
    rules: &RuleSet,
    seen: Millis,
) -> anyhow::Result<crate::history::store::Imported> {
    let data: adapter::RunData =
        serde_json::from_value(v.clone()).map_err(|e| anyhow::anyhow!("run {}: {e}", n + 1))?;
    if data.id.is_empty() {
        anyhow::bail!("run {}: no id", n + 1);
    }
    let sigs: Vec<String> = v
        .get("signatures")
        .and_then(|s| s.as_array())
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect();
    let evidence: Vec<(String, adapter::LineData)> = v
        .get("evidence")
        .and_then(|s| s.as_array())
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let sig = e.get("signature")?.as_str()?.to_string();
            let l: adapter::LineData = serde_json::from_value(e.clone()).ok()?;
            Some((sig, l))
        })
        .collect();
    let findings = sigs
        .iter()
        .map(|s| adapter::FindingData {
            signature: s.clone(),
            severity: severities
                .get(s)
                .cloned()
                .or_else(|| adapter::rule_severity(rules, s))
                .unwrap_or_else(|| "medium".into()),
            evidence: evidence
                .iter()
                .filter(|(sig, _)| sig == s)
                .map(|(_, l)| l.clone())
                .collect(),
        })
        .collect();
    let t = |k: &str| {
        v.get(k)
            .and_then(|x| x.as_str())
            .and_then(crate::timefmt::parse_timestamp)
    };
    let first = t("first_seen").unwrap_or(seen);
    let last = t("last_seen").unwrap_or(seen).max(first);
    Ok((Captured { data, findings }, first, last, t("gone_at")))
}
