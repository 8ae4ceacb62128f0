//! Clusters: runs grouped by signature, and failed or stalled runs that no rule explains
//! grouped by the templates of their error lines.
//!
//! # Template clusters
//! An unexplained run's error lines ([`Run::error_lines`]: `errorMessage`, `Codex error:`,
//! final-output failure statements, `Command failed:`) of its strongest tier
//! ([`ErrorSource::tier`]; a run without any falls back to its decisive line) are masked
//! ([`normalise`]: secrets, ids, paths, numbers, uuids, timestamps) and mined together
//! ([`crate::mine`]), distinct lines in sorted order so the result does not depend on the
//! order runs were read in. A run's key is the set of its lines' templates; runs with one
//! key are one cluster, `unclassified:<fingerprint of the key>`: derived from the template
//! text, so the same input always gives the same id. The cluster lists its templates with
//! the values each variable took (a few examples, read back with the template's capturing
//! regex from the original lines).

use crate::rules::RuleSet;
use crate::run::{ErrorLine, ErrorSource, Run};
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
    /// How reports name the first [`RUN_NAMES`] runs: the id, or `workspace/id` where an id
    /// repeats among the cluster's runs ([`crate::select::names_of`]). Not exported (the
    /// export lists ids; each run carries its workspace).
    #[serde(skip)]
    pub run_names: Vec<String>,
    /// Unclassified clusters: the templates of the runs' error lines (the cluster's key).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub templates: Vec<ClusterTemplate>,
}

/// One template of an unclassified cluster.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClusterTemplate {
    /// Constant text with masks (`<uuid>`, `<path>`, `<n>`, …) and `<*>` for what the miner
    /// found variable.
    pub template: String,
    /// Where its lines were read: `record`, `codex-error`, `final-output`,
    /// `command-failed`, or `decisive` (a run with no error line: its decisive line).
    pub source: &'static str,
    /// Runs of the cluster with a line of this template.
    pub count: u64,
    /// The template's variables, in order, with values seen.
    pub variables: Vec<TemplateVariable>,
}

/// A variable of a template and the values it took.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TemplateVariable {
    /// 1-based position among the template's variables.
    pub position: usize,
    /// Its mask (`<uuid>`, `<path>`, `<n>`, `<*>`, …).
    pub placeholder: String,
    /// Distinct values seen.
    pub distinct: u64,
    /// A few of them (first in sorted order).
    pub examples: Vec<String>,
}

/// Examples kept per template variable.
pub const VARIABLE_EXAMPLES: usize = 3;

/// How many of a cluster's runs get a [`Cluster::run_names`] entry.
pub const RUN_NAMES: usize = 10;

impl Cluster {
    /// The names reports list the runs by, first runs first: [`Cluster::run_names`], then
    /// bare ids (a cluster built without them).
    pub fn shown_run_names(&self) -> impl Iterator<Item = &str> {
        let n = self.run_names.len();
        self.run_names
            .iter()
            .map(String::as_str)
            .chain(self.runs.iter().skip(n).map(String::as_str))
    }
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

/// What an unexplained run is clustered by: its strongest error lines (or its decisive
/// line), raw and masked.
#[derive(Debug, Clone, PartialEq)]
pub struct UnexplainedLines {
    /// The run stalled (its key and title say `stalled at: `).
    pub stalled: bool,
    /// (source word, raw text, masked text).
    pub lines: Vec<(&'static str, String, String)>,
}

/// The lines a run that no rule explains and that failed or stalled is clustered by.
pub fn unexplained_lines(r: &Run) -> Option<UnexplainedLines> {
    if !r.findings.is_empty() || !matches!(r.outcome, Outcome::Failed | Outcome::Stalled) {
        return None;
    }
    let mut lines: Vec<(&'static str, String, String)> = Vec::new();
    if let Some(tier) = r.error_lines.iter().map(|e| e.source.tier()).min() {
        let mut sources: Vec<&ErrorLine> = r
            .error_lines
            .iter()
            .filter(|e| e.source.tier() == tier)
            .collect();
        sources.sort_by_key(|e| e.source);
        for e in sources {
            let masked = normalise(&e.line.text);
            if !masked.is_empty() && !lines.iter().any(|l| l.2 == masked) {
                lines.push((e.source.as_str(), e.line.text.clone(), masked));
            }
        }
    }
    if lines.is_empty() {
        let text = r
            .decisive
            .as_ref()
            .map(|d| d.text.as_str())
            .unwrap_or("(no log)");
        let source = match &r.decisive {
            Some(_) if r.error_message.is_some() => ErrorSource::Record.as_str(),
            _ => "decisive",
        };
        lines.push((source, text.to_string(), normalise(text)));
    }
    Some(UnexplainedLines {
        stalled: r.outcome == Outcome::Stalled,
        lines,
    })
}

/// The prefix of a stalled cluster's title and key.
pub const STALLED_PREFIX: &str = "stalled at: ";

/// The template of each masked line, the lines mined together in sorted order (so the
/// templates do not depend on the order the lines came in).
pub fn templates_of_masked<'a>(
    masked: impl IntoIterator<Item = &'a str>,
) -> BTreeMap<String, String> {
    let distinct: BTreeSet<&str> = masked.into_iter().collect();
    let templates = crate::mine::templates_of(distinct.iter().copied());
    distinct
        .into_iter()
        .zip(templates)
        .map(|(m, t)| {
            let t = if t.is_empty() { m.to_string() } else { t };
            (m.to_string(), t)
        })
        .collect()
}

/// The template of one line alone (what `match` reports for free text): masked, then mined,
/// with the values its variables took in the line.
pub fn template_of_line(line: &str) -> (String, Vec<TemplateVariable>) {
    let masked = normalise(line);
    let template = templates_of_masked([masked.as_str()])
        .remove(&masked)
        .unwrap_or(masked);
    let variables = variables_of(&template, &BTreeSet::from([line]));
    (template, variables)
}

/// The cluster id of a key (stalled or not, the sorted distinct templates).
pub fn template_cluster_id(stalled: bool, templates: &[&str]) -> String {
    let prefix = if stalled { STALLED_PREFIX } else { "" };
    format!(
        "unclassified:{}",
        fingerprint(&format!("{prefix}{}", templates.join("\n")))
    )
}

/// One unexplained run's place: its cluster id and (source, raw, template) per line.
struct Placed {
    id: String,
    stalled: bool,
    lines: Vec<(&'static str, String, String)>,
}

/// The template clusters of unexplained runs given only their lines ([`unexplained_lines`],
/// by any key that names the run): all that template clustering needs, so a caller that
/// does not keep every run can collect the lines as it goes and place them at the end.
fn place_lines<K: Ord>(lines: Vec<(K, UnexplainedLines)>) -> BTreeMap<K, Placed> {
    let templates = templates_of_masked(
        lines
            .iter()
            .flat_map(|(_, u)| u.lines.iter().map(|l| l.2.as_str())),
    );
    lines
        .into_iter()
        .map(|(i, u)| {
            let lines: Vec<(&'static str, String, String)> = u
                .lines
                .into_iter()
                .map(|(src, raw, masked)| {
                    let t = templates.get(&masked).cloned().unwrap_or(masked);
                    (src, raw, t)
                })
                .collect();
            let key: BTreeSet<&str> = lines.iter().map(|l| l.2.as_str()).collect();
            let key: Vec<&str> = key.into_iter().collect();
            let id = template_cluster_id(u.stalled, &key);
            (
                i,
                Placed {
                    id,
                    stalled: u.stalled,
                    lines,
                },
            )
        })
        .collect()
}

/// The templates of one cluster with the values their variables took in its runs' lines.
fn cluster_templates(members: &[&Placed]) -> Vec<ClusterTemplate> {
    // template → (source, runs, raw lines)
    let mut by_t: BTreeMap<&str, (&'static str, u64, BTreeSet<&str>)> = BTreeMap::new();
    for p in members {
        let mut seen = BTreeSet::new();
        for (src, raw, t) in &p.lines {
            let e = by_t.entry(t.as_str()).or_insert((src, 0, BTreeSet::new()));
            if seen.insert(t.as_str()) {
                e.1 += 1;
            }
            e.2.insert(raw.as_str());
        }
    }
    let order = |s: &str| {
        ErrorSource::parse(s)
            .map(|e| e as usize)
            .unwrap_or(usize::MAX)
    };
    let mut out: Vec<ClusterTemplate> = by_t
        .into_iter()
        .map(|(t, (source, count, raws))| ClusterTemplate {
            template: t.to_string(),
            source,
            count,
            variables: variables_of(t, &raws),
        })
        .collect();
    out.sort_by(|a, b| {
        order(a.source)
            .cmp(&order(b.source))
            .then(b.count.cmp(&a.count))
            .then_with(|| a.template.cmp(&b.template))
    });
    out
}

/// The values of a template's variables in the raw lines it came from.
fn variables_of(template: &str, raws: &BTreeSet<&str>) -> Vec<TemplateVariable> {
    let (re, masks) = crate::mine::pattern::capturing_regex(template);
    if masks.is_empty() {
        return Vec::new();
    }
    let Ok(re) = Regex::new(&re) else {
        return Vec::new();
    };
    // Values are read from the lines as `normalise` saw them, after machine-independent
    // redaction: a secret is `<redacted>` there (a mark the template regex never captures),
    // so no variable's examples hold one, redacted output or not.
    let mut values: Vec<BTreeSet<String>> = vec![BTreeSet::new(); masks.len()];
    let redactor = crate::redact::Redactor::machine_independent();
    for raw in raws {
        let line = redactor.redact(raw.trim());
        let Some(c) = re.captures(&line) else {
            continue;
        };
        for (i, v) in values.iter_mut().enumerate() {
            if let Some(m) = c.get(i + 1) {
                v.insert(m.as_str().to_string());
            }
        }
    }
    masks
        .iter()
        .zip(values)
        .enumerate()
        .map(|(i, (mask, v))| TemplateVariable {
            position: i + 1,
            placeholder: mask.to_string(),
            distinct: v.len() as u64,
            examples: v.into_iter().take(VARIABLE_EXAMPLES).collect(),
        })
        .collect()
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
/// signatures, or the error lines it is clustered by when no rule explains it). Runs that
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
    /// Workspace hash and the run's file: what names it apart when its id repeats.
    hash: Option<String>,
    file: Option<String>,
    /// Signature ids, in the run's finding order.
    signatures: Vec<String>,
    /// A run no rule explains that failed or stalled: the lines it is clustered by.
    unexplained: Option<UnexplainedLines>,
}

impl Member {
    /// What `r`'s clusters need of it; `None` for a run in no cluster.
    pub fn of(r: &Run) -> Option<Member> {
        let unexplained = unexplained_lines(r);
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
            hash: r.workspace.hash.clone(),
            file: crate::select::file_of(r).map(str::to_string),
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
    let mut placed_by_key: BTreeMap<String, Vec<&Placed>> = BTreeMap::new();
    let unexplained = place_lines(
        members
            .iter()
            .enumerate()
            .filter_map(|(i, m)| m.unexplained.clone().map(|u| (i, u)))
            .collect(),
    );
    for (i, m) in members.iter().enumerate() {
        if m.signatures.is_empty() {
            if let Some(p) = unexplained.get(&i) {
                placed_by_key.entry(p.id.clone()).or_default().push(p);
                by_key.entry(p.id.clone()).or_default().push(m);
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
            let placed = placed_by_key.get(&key).map(Vec::as_slice).unwrap_or(&[]);
            cluster_of(key, &members, placed, rules)
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

/// The names of a cluster's first runs, told apart among all its members.
fn run_names(members: &[&Member]) -> Vec<String> {
    let keys: Vec<crate::select::NameKey> = members
        .iter()
        .map(|m| crate::select::NameKey {
            id: &m.id,
            slug: &m.workspace,
            hash: m.hash.as_deref(),
            file: m.file.as_deref(),
        })
        .collect();
    let mut names = crate::select::names_of(&keys);
    names.truncate(RUN_NAMES);
    names
}

/// One cluster's aggregates over its members (oldest first); `placed` are the template
/// placements of an unclassified cluster's members (empty for a signature's cluster).
fn cluster_of(key: String, members: &[&Member], placed: &[&Placed], rules: &RuleSet) -> Cluster {
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
    let templates = if placed.is_empty() {
        Vec::new()
    } else {
        cluster_templates(placed)
    };
    let stalled = placed.iter().any(|p| p.stalled);
    let title = templates
        .first()
        .map(|t| {
            let prefix = if stalled { STALLED_PREFIX } else { "" };
            format!("{prefix}{}", t.template)
        })
        .unwrap_or_default();
    Cluster {
        signature: rule.map(|r| r.id().to_string()),
        title: rule.map(|r| r.file.title.clone()).unwrap_or(title),
        templates,
        family: rule.map(|r| r.file.family.clone()),
        severity: rule.map(|r| r.file.severity).unwrap_or(Severity::Medium),
        count: members.len() as u64,
        runs: members.iter().map(|m| m.id.clone()).collect(),
        run_names: run_names(members),
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
