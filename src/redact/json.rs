//! Redaction of a parsed JSON document (a job record, a `state.json` entry, an export): every
//! string and every member name is redacted as the value it is, not as bytes of JSON text, so
//! escaping cannot hide a secret and a replacement cannot break the document.
//!
//! A member's name is the context its value may need (`"password": "hunter2"` holds a secret
//! that `hunter2` alone does not show): each string member is also judged as the pair it
//! forms, `"name": "value"`, exactly as the `key=value` detectors read it in raw JSON.

use serde_json::{Map, Value};

use super::{Redactor, SECRET_MARK};

/// Redacts every string and member name of `v` in place.
pub fn redact_value(v: &mut Value, r: &Redactor) {
    match v {
        Value::String(s) => {
            if let std::borrow::Cow::Owned(red) = r.redact(s) {
                *s = red;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|x| redact_value(x, r)),
        Value::Object(members) => {
            let old = std::mem::take(members);
            for (name, mut x) in old {
                if let Value::String(s) = &x {
                    x = Value::String(member_value(r, &name, s));
                } else {
                    redact_value(&mut x, r);
                }
                members.insert(r.redact(&name).into_owned(), x);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// The value of member `name` redacted, alone and in the context of its name.
fn member_value(r: &Redactor, name: &str, value: &str) -> String {
    let alone = r.redact(value).into_owned();
    let quote = |s: &str| Value::String(s.to_string()).to_string();
    let pair = format!("{}: {}", quote(name), quote(&alone));
    let red = r.redact(&pair);
    if red == pair.as_str() {
        return alone;
    }
    // The pair parsed back: its value is what the detectors left of it (the name may have
    // changed too, which is the member name's own redaction).
    match serde_json::from_str::<Map<String, Value>>(&format!("{{{red}}}")) {
        Ok(m) if m.len() == 1 => match m.into_iter().next() {
            Some((_, Value::String(v))) => v,
            _ => SECRET_MARK.to_string(),
        },
        // A replacement that did not keep the pair's shape: hide the whole value.
        _ => SECRET_MARK.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_names_and_member_context_are_redacted() {
        let r = Redactor::new(Some("/home/alice"), Some("alice"));
        let mut v = serde_json::json!({
            "password": "hunter2x",
            "note": "hunter2x",
            "env": {"GITHUB_TOKEN": "abc123def456ghi", "PATH": "/usr/bin"},
            "cwd": "/home/alice/src/app",
            "/home/alice/.codex": true,
            "args": ["--token", "ghp_aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5"],
            "quoted": "say \"pw\\\\x\" ok",
            "n": 3,
        });
        redact_value(&mut v, &r);
        let text = v.to_string();
        assert_eq!(v["password"], "<redacted>");
        // Without a secret-like name, a short word is kept.
        assert_eq!(v["note"], "hunter2x");
        assert_eq!(v["env"]["GITHUB_TOKEN"], "<redacted>");
        assert_eq!(v["env"]["PATH"], "/usr/bin");
        assert_eq!(v["cwd"], "~/src/app");
        assert_eq!(v["~/.codex"], true);
        assert_eq!(v["args"][1], "<redacted>");
        assert_eq!(v["n"], 3);
        assert!(!text.contains("alice") && !text.contains("ghp_") && !text.contains("abc123"));
        // Redacting again changes nothing.
        let mut again = v.clone();
        redact_value(&mut again, &r);
        assert_eq!(again, v);
    }
}
