//! Checks of a rule file's identity fields that serde cannot express: the id's spelling and
//! its file name, the family and its folder, reference syntax, non-empty texts, test shape.

use super::RuleProblem;
use super::model::{self, RuleFile, RuleStatus};

fn file_stem(name: &str) -> &str {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.strip_suffix(".toml").unwrap_or(base)
}

fn parent_dir(name: &str) -> Option<&str> {
    let mut it = name.rsplit(['/', '\\']);
    it.next()?;
    it.next()
}

/// Checks what identifies a rule (id, family, references, title, fix, tests), pushing
/// errors to `problems` and advice to `lint`.
pub(super) fn validate_identity(
    name: &str,
    rf: &RuleFile,
    problems: &mut Vec<RuleProblem>,
    lint: &mut Vec<RuleProblem>,
) {
    let mut err = |message: String| {
        problems.push(RuleProblem {
            file: name.to_string(),
            message,
        })
    };
    let id_ok = !rf.id.is_empty()
        && rf
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && rf
            .id
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
    if !id_ok {
        err(format!(
            "field `id`: `{}` must be lowercase letters, digits and dashes",
            rf.id
        ));
    }
    if file_stem(name) != rf.id {
        err(format!(
            "field `id`: `{}` differs from the file name `{}.toml`",
            rf.id,
            file_stem(name)
        ));
    }
    if !model::FAMILIES.contains(&rf.family.as_str()) {
        err(format!(
            "field `family`: unknown family `{}` (known: {})",
            rf.family,
            model::FAMILIES.join(", ")
        ));
    } else if let Some(dir) = parent_dir(name)
        && model::FAMILIES.contains(&dir)
        && dir != rf.family
    {
        err(format!(
            "field `family`: `{}` but the file is in the `{dir}` folder",
            rf.family
        ));
    }
    for r in &rf.references {
        if !is_reference(r) {
            err(format!(
                "field `references`: `{r}` is not of the form owner/repo#N"
            ));
        }
    }
    if rf.title.trim().is_empty() {
        err("field `title` is empty".into());
    }
    if rf.fix.trim().is_empty() {
        err("field `fix` is empty".into());
    }
    for (i, t) in rf.tests.iter().enumerate() {
        if t.text.is_some() == t.job.is_some() {
            err(format!("tests[{i}]: give exactly one of `text` and `job`"));
        }
    }
    if rf.status == RuleStatus::Stable {
        let m = rf.tests.iter().any(|t| t.expect == model::Expect::Match);
        let n = rf.tests.iter().any(|t| t.expect == model::Expect::NoMatch);
        if !m || !n {
            lint.push(RuleProblem {
                file: name.to_string(),
                message: "a stable rule needs at least one `match` and one `no-match` test".into(),
            });
        }
    }
}

/// `owner/repo#123`.
pub fn is_reference(r: &str) -> bool {
    let Some((repo, num)) = r.split_once('#') else {
        return false;
    };
    let Some((owner, name)) = repo.split_once('/') else {
        return false;
    };
    let ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    };
    ok(owner) && ok(name) && !num.is_empty() && num.chars().all(|c| c.is_ascii_digit())
}
