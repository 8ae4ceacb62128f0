//! `triage rules new ID`: a commented template for a new rule.

use std::path::{Path, PathBuf};

/// The template text for `id` in `family`.
pub fn template(id: &str, family: &str) -> String {
    format!(
        r#"# A triage rule: one failure signature. Format: rules/README.md.
# After editing run: triage rules test --rules <this folder>

id = "{id}"                       # must equal the file name
title = "One line that names the failure"
family = "{family}"               # one of the families in rules/README.md (= folder name)
severity = "medium"               # info | low | medium | high | critical
status = "experimental"           # experimental | stable | deprecated
platforms = []                    # windows, macos, linux, wsl; [] = all
description = """
What goes wrong and why (the cause), in a few sentences.
"""
fix = """
What the user does now: the workaround, or the version that fixes it.
"""
references = []                   # upstream threads, e.g. "openai/codex-plugin-cc#123"
# related = [{{ id = "other-rule", relation = "distinct-from", note = "how to tell them apart" }}]
# affected = {{ plugin = "1.0.4-1.0.5", cli = "0.128.0" }}

[match]
# A boolean expression over the pattern and state names below: and, or, not, ( ).
condition = "error_text"

[match.patterns]
# Scopes (in): log, command, error, output, last, any, text. Prefer the verbatim error string.
error_text = {{ literal = "the exact error text", in = "error" }}
# other = {{ regex = '^Command failed: .* \(exit -1\)$', in = "command", min_count = 2 }}

# [match.states]
# wedged = {{ status = ["running", "queued"], completed_at = "absent", outcome = ["stalled"] }}

[[tests]]
expect = "match"
text = '''
[codex] the exact error text
'''

[[tests]]
expect = "no-match"
text = '''
A discussion that only mentions the topic must not match.
'''
"#
    )
}

/// Writes `<dir>/<family>/<id>.toml`, refusing to overwrite.
pub fn write_new(dir: &Path, id: &str, family: &str) -> Result<PathBuf, String> {
    let id_ok = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !id_ok {
        return Err(format!(
            "`{id}` is not a valid id: use lowercase letters, digits and dashes"
        ));
    }
    if !super::model::FAMILIES.contains(&family) {
        return Err(format!(
            "unknown family `{family}` (known: {})",
            super::model::FAMILIES.join(", ")
        ));
    }
    let folder = dir.join(family);
    let path = folder.join(format!("{id}.toml"));
    if path.exists() {
        return Err(format!("{} already exists", path.display()));
    }
    std::fs::create_dir_all(&folder)
        .map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    std::fs::write(&path, template(id, family))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_is_a_valid_rule() {
        let text = template("my-sig", "sandbox");
        let set = crate::rules::compile_files(&[("rules/sandbox/my-sig.toml".into(), text)])
            .expect("template compiles");
        assert_eq!(set.rules[0].id(), "my-sig");
        let report = crate::rules::selftest::run(&set, None, &crate::testjob::Pipeline);
        assert!(report.passed(), "{}", report.render());
    }
}
