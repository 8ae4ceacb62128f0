//! Clusters: runs grouped by signature, and failed or stalled runs that no rule explains
//! grouped by the template of their decisive line: Sentry-style masking, then the template
//! miner ([`crate::mine`]) over the masked lines.

use crate::rules::RuleSet;
use crate::run::Run;
use crate::timefmt::Millis;
use crate::vocab::Outcome;
use crate::vocab::Severity;
use regex::Regex;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

/// A `related` entry of a cluster.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RelatedRef {
    /// Other signature.
    pub id: String,
    /// Relation.
    pub relation: String,
    /// How to tell them apart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One row of the bisection matrix.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct MatrixRow {
    /// Plugin version or `unknown`.
    pub plugin_version: String,
    /// Codex CLI version or `unknown`.
    pub cli_version: String,
    /// Platform or `unknown`.
    pub platform: String,
    /// Runs.
    pub count: u64,
}

/// A group of runs with one cause.
#[derive(Debug, Clone, Serialize)]
pub struct Cluster {
    /// Signature id, or `unclassified:<fingerprint>`.
    pub id: String,
    /// Signature id (`null` for unclassified clusters).
    pub signature: Option<String>,
    /// Heading.
    pub title: String,
    /// Rule family.
    pub family: Option<String>,
    /// Severity.
    pub severity: Severity,
    /// Number of runs.
    pub count: u64,
    /// Run ids, oldest first.
    pub runs: Vec<String>,
    /// Earliest creation time.
    #[serde(serialize_with = "crate::timefmt::serialize_iso_opt")]
    pub first_seen: Option<Millis>,
    /// Latest activity.
    #[serde(serialize_with = "crate::timefmt::serialize_iso_opt")]
    pub last_seen: Option<Millis>,
    /// Plugin versions seen.
    pub plugin_versions: Vec<String>,
    /// CLI versions seen.
    pub cli_versions: Vec<String>,
    /// Platforms seen.
    pub platforms: Vec<String>,
    /// Workspaces (slugs).
    pub workspaces: Vec<String>,
    /// Upstream references.
    pub references: Vec<String>,
    /// Related signatures.
    pub related: Vec<RelatedRef>,
    /// Fix or workaround.
    pub fix: Option<String>,
    /// Description (cause).
    pub description: Option<String>,
    /// Affected versions (from the rule).
    pub affected: Option<crate::rules::model::Affected>,
    /// Bisection matrix.
    pub matrix: Vec<MatrixRow>,
}

static MASKS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z?", "<ts>"),
        (
            r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
            "<uuid>",
        ),
        (
            r"\b(?:task|review|job)-[0-9a-z]{4,}-[0-9a-z]{1,8}\b",
            "<job>",
        ),
        // A URL ends before the punctuation around it (`(see https://x/1), then`, `<…>.`),
        // so a title keeps its sentence; `<https://…>` autolinks are masked whole.
        (
            r#"<https?://[^\s<>]+>|https?://[^\s<>"'`]*[^\s<>"'`.,;:!?)\]}]"#,
            "<url>",
        ),
        (r"(?:[A-Za-z]:)?(?:[\\/][^\\/\s:'`]+){2,}[\\/]?", "<path>"),
        (r"\b\d{1,3}(?:\.\d{1,3}){3}\b", "<ip>"),
        (
            r"(?i)\b(?:0x)?(?:[0-9a-f]*\d[0-9a-f]*[a-f]|[0-9a-f]*[a-f][0-9a-f]*\d)[0-9a-f]*\b",
            "<hex>",
        ),
        (r"\b\d+(?:\.\d+)?(?:ms|s|m|h)?\b", "<n>"),
    ]
    .into_iter()
    .filter_map(|(r, m)| Regex::new(r).ok().map(|r| (r, m)))
    .collect()
});

/// Masks the variable parts of a line so equal failures share a fingerprint.
pub fn normalise(line: &str) -> String {
    // Secrets first: masking digits and paths would cut a token's shape (`xoxb-<n>-…`) so
    // that no redaction recognises it in the title, and a token makes no fingerprint.
    let mut s = crate::redact::Redactor::machine_independent()
        .redact(line.trim())
        .into_owned();
    for (re, mask) in MASKS.iter() {
        s = re.replace_all(&s, *mask).into_owned();
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A short stable fingerprint of a normalised line.
pub fn fingerprint(normalised: &str) -> String {
    let d = Sha256::digest(normalised.as_bytes());
    d.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// The masked decisive line of a run that no rule explains and that failed or stalled.
pub fn unexplained_line(r: &Run) -> Option<String> {
    if !r.findings.is_empty() || !matches!(r.outcome, Outcome::Failed | Outcome::Stalled) {
        return None;
    }
    let line = r
        .decisive
        .as_ref()
        .map(|d| d.text.as_str())
        .unwrap_or("(no log)");
    let prefix = if r.outcome == Outcome::Stalled {
        "stalled at: "
    } else {
        ""
    };
    Some(format!("{prefix}{}", normalise(line)))
}

/// Where a run stands in the scan's order (creation time, id, then the order discovery
/// found it in): cluster member lists are oldest first, whatever order runs were added in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Order {
    /// Creation time (`None` sorts first, as in the run list).
    pub created_at: Option<Millis>,
    /// Run id.
    pub id: String,
    /// Discovery order, for runs equal in time and id.
    pub seq: u64,
}

/// What clustering keeps of one run: the fields its clusters aggregate and its keys (its
/// signatures, or the masked line it is clustered by when no rule explains it). Runs that
/// belong to no cluster (healthy, no finding) keep nothing.
#[derive(Debug, Clone)]
pub struct Member {
    id: String,
    created_at: Option<Millis>,
    last_activity_at: Option<Millis>,
    plugin_version: Option<String>,
    cli_version: Option<String>,
    platform: Option<String>,
    workspace: String,
    /// Signature ids, in the run's finding order.
    signatures: Vec<String>,
    /// A run no rule explains that failed or stalled: its masked decisive line.
    unexplained: Option<String>,
}

impl Member {
    /// What `r`'s clusters need of it; `None` for a run in no cluster.
    pub fn of(r: &Run) -> Option<Member> {
        let unexplained = unexplained_line(r);
        if r.findings.is_empty() && unexplained.is_none() {
            return None;
        }
        Some(Member {
            id: r.id.clone(),
            created_at: r.created_at,
            last_activity_at: r.last_activity_at,
            plugin_version: r.plugin_version.clone(),
            cli_version: r.cli_version.clone(),
            platform: r.platform.map(|p| p.as_str().to_string()),
            workspace: r.workspace.slug.clone(),
            signatures: r.findings.iter().map(|f| f.signature.clone()).collect(),
            unexplained,
        })
    }
}

/// Clusters built as runs are finished, in any order: only the [`Member`]s of clustered
/// runs are kept (a few per cent of a corpus), never the runs. [`Accumulator::finish`] mines
/// the unexplained lines together and aggregates each cluster.
#[derive(Debug, Default)]
pub struct Accumulator {
    members: Vec<(Order, Member)>,
}

impl Accumulator {
    /// An empty accumulator.
    pub fn new() -> Accumulator {
        Accumulator::default()
    }

    /// Adds `r` at `order` (nothing is kept when it belongs to no cluster).
    pub fn add(&mut self, r: &Run, order: Order) {
        if let Some(m) = Member::of(r) {
            self.push(m, order);
        }
    }

    /// Adds a member built beforehand ([`Member::of`], e.g. outside a lock).
    pub fn push(&mut self, m: Member, order: Order) {
        self.members.push((order, m));
    }

    /// The clusters, most severe and largest first.
    pub fn finish(mut self, rules: &RuleSet) -> Vec<Cluster> {
        self.members.sort_by(|a, b| a.0.cmp(&b.0));
        let members: Vec<Member> = self.members.into_iter().map(|(_, m)| m).collect();
        clusters_of(&members, rules)
    }
}

/// Template of each unexplained member (by index): the masked decisive lines mined together,
/// so lines that differ in a variable the masks miss still share one cluster.
fn unexplained_templates(members: &[Member]) -> BTreeMap<usize, String> {
    let lines: Vec<(usize, &str)> = members
        .iter()
        .enumerate()
        .filter_map(|(i, m)| m.unexplained.as_deref().map(|l| (i, l)))
        .collect();
    let templates = crate::mine::templates_of(lines.iter().map(|(_, l)| *l));
    lines.into_iter().map(|(i, _)| i).zip(templates).collect()
}

fn unknown(s: &Option<String>) -> String {
    s.clone().unwrap_or_else(|| "unknown".into())
}

/// Groups runs (sorted by creation time, then id) into clusters, most severe and largest
/// first.
pub fn build(runs: &[Run], rules: &RuleSet) -> Vec<Cluster> {
    let mut acc = Accumulator::new();
    for (i, r) in runs.iter().enumerate() {
        acc.add(
            r,
            Order {
                created_at: None,
                id: String::new(),
                seq: i as u64,
            },
        );
    }
    acc.finish(rules)
}

/// The clusters of `members`, given oldest first.
fn clusters_of(members: &[Member], rules: &RuleSet) -> Vec<Cluster> {
    let mut by_key: BTreeMap<String, Vec<&Member>> = BTreeMap::new();
    let mut titles: BTreeMap<String, String> = BTreeMap::new();
    let unexplained = unexplained_templates(members);
    for (i, m) in members.iter().enumerate() {
        if m.signatures.is_empty() {
            if let Some(template) = unexplained.get(&i) {
                let key = format!("unclassified:{}", fingerprint(template));
                titles
                    .entry(key.clone())
                    .or_insert_with(|| template.clone());
                by_key.entry(key).or_default().push(m);
            }
            continue;
        }
        for s in &m.signatures {
            by_key.entry(s.clone()).or_default().push(m);
        }
    }
    let mut out: Vec<Cluster> = by_key
        .into_iter()
        .map(|(key, members)| {
            let title = titles.get(&key).cloned().unwrap_or_default();
            cluster_of(key, &members, title, rules)
        })
        .collect();
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.count.cmp(&a.count))
            .then_with(|| a.signature.is_none().cmp(&b.signature.is_none()))
            .then_with(|| a.id.cmp(&b.id))
    });
    out
}

/// One cluster's aggregates over its members (oldest first).
fn cluster_of(key: String, members: &[&Member], title: String, rules: &RuleSet) -> Cluster {
    let rule = rules.get(&key);
    let set = |f: &dyn Fn(&Member) -> Option<String>| -> Vec<String> {
        members
            .iter()
            .filter_map(|m| f(m))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    let mut matrix: BTreeMap<(String, String, String), u64> = BTreeMap::new();
    for m in members {
        *matrix
            .entry((
                unknown(&m.plugin_version),
                unknown(&m.cli_version),
                unknown(&m.platform),
            ))
            .or_default() += 1;
    }
    Cluster {
        signature: rule.map(|r| r.id().to_string()),
        title: rule.map(|r| r.file.title.clone()).unwrap_or(title),
        family: rule.map(|r| r.file.family.clone()),
        severity: rule.map(|r| r.file.severity).unwrap_or(Severity::Medium),
        count: members.len() as u64,
        runs: members.iter().map(|m| m.id.clone()).collect(),
        first_seen: members.iter().filter_map(|m| m.created_at).min(),
        last_seen: members.iter().filter_map(|m| m.last_activity_at).max(),
        plugin_versions: set(&|m| m.plugin_version.clone()),
        cli_versions: set(&|m| m.cli_version.clone()),
        platforms: set(&|m| m.platform.clone()),
        workspaces: set(&|m| Some(m.workspace.clone())),
        references: rule.map(|r| r.file.references.clone()).unwrap_or_default(),
        related: rule
            .map(|r| {
                r.file
                    .related
                    .iter()
                    .map(|x| RelatedRef {
                        id: x.id.clone(),
                        relation: x.relation.as_str().into(),
                        note: x.note.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        fix: rule.map(|r| r.file.fix.trim().to_string()),
        description: rule.map(|r| r.file.description.trim().to_string()),
        affected: rule.and_then(|r| r.file.affected.clone()),
        matrix: matrix
            .into_iter()
            .map(
                |((plugin_version, cli_version, platform), count)| MatrixRow {
                    plugin_version,
                    cli_version,
                    platform,
                    count,
                },
            )
            .collect(),
        id: key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_variable_parts() {
        let a = normalise(
            "Codex turn interrupt failed: connect ECONNREFUSED /tmp/cxc-Q7mZ2k/broker.sock",
        );
        let b = normalise(
            "Codex turn interrupt failed: connect ECONNREFUSED /tmp/cxc-vgaxEt/broker.sock",
        );
        assert_eq!(a, b);
        assert_eq!(
            a,
            "Codex turn interrupt failed: connect ECONNREFUSED <path>"
        );
        assert_eq!(
            normalise(
                "Task task-mvz3s4x2-9kiqei is still running (pid 4242) since 2026-11-04T14:02:17.172Z"
            ),
            "Task <job> is still running (pid <n>) since <ts>"
        );
        assert_eq!(
            normalise("thread 01a0d435-b6c1-7d76-83c5-a895a3ecb59d gone"),
            "thread <uuid> gone"
        );
        assert_eq!(
            normalise("sha deadbeef12 and word cafe"),
            "sha <hex> and word cafe"
        );
        assert_eq!(fingerprint(&a).len(), 12);
    }
}
