//! A template as a regex: constant text escaped, each variable a class bounded to what its
//! mask stood for (digits for `<n>`, hex for `<hex>`, one whitespace-free word for `<path>`
//! and `<*>`), runs of whitespace matching any whitespace. `rules draft` writes these
//! patterns; clusters use the capturing form to show the values a template's variables took.

/// The masks of `cluster::normalise` and the miner, with the class each stands for. A
/// `~` right before `<path>` is a home directory the redactor shortened (`/home/bob/x` →
/// `~<path>`): it belongs to the path's class.
const MASKS: [(&str, &str); 9] = [
    ("<*>", r"\S+"),
    ("<path>", r"\S+"),
    ("<url>", r"https?://\S+"),
    ("<n>", r"[0-9][0-9.]{0,30}(?:ms|s|m|h)?"),
    ("<hex>", r"(?:0x)?[0-9A-Fa-f]{1,64}"),
    ("<uuid>", r"[0-9A-Fa-f-]{36}"),
    ("<ts>", r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{8,16}Z?"),
    ("<job>", r"[a-z]+-[0-9a-z]{4,}-[0-9a-z]{1,8}"),
    ("<ip>", r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}"),
];

/// The redactor's marks ([`crate::redact`]), which `cluster::normalise` leaves in a template:
/// a class that matches the raw text and the mark itself, never captured, so a secret, an
/// e-mail address or a user name is never shown as a variable's value.
const HIDDEN: [(&str, &str); 3] = [
    (crate::redact::SECRET_MARK, r"\S+"),
    (crate::redact::EMAIL_MARK, r"\S+"),
    (crate::redact::USER_MARK, r"[^\s/\\]+"),
];

/// The regex for a template (no capture groups).
pub fn template_regex(template: &str) -> String {
    build(template, false).0
}

/// The regex for a template with one capture group per variable, anchored to the whole
/// (trimmed) line, and the placeholder of each group in order.
pub fn capturing_regex(template: &str) -> (String, Vec<&'static str>) {
    let (re, masks) = build(template, true);
    (format!(r"^\s*{re}\s*$"), masks)
}

fn build(template: &str, capture: bool) -> (String, Vec<&'static str>) {
    let mut out = String::new();
    let mut masks = Vec::new();
    for (i, tok) in template.split_whitespace().enumerate() {
        if i > 0 {
            out.push_str(r"\s+");
        }
        let mut rest = tok;
        'tok: while !rest.is_empty() {
            let Some(lt) = rest.find('<') else {
                out.push_str(&regex::escape(rest));
                break;
            };
            for (mark, class) in HIDDEN {
                if rest[lt..].starts_with(mark) {
                    out.push_str(&regex::escape(&rest[..lt]));
                    out.push_str("(?:");
                    out.push_str(class);
                    out.push(')');
                    rest = &rest[lt + mark.len()..];
                    continue 'tok;
                }
            }
            for (mask, class) in MASKS {
                if rest[lt..].starts_with(mask) {
                    let head = match rest[..lt].strip_suffix(crate::redact::HOME_MARK) {
                        Some(h) if mask == "<path>" => h,
                        _ => &rest[..lt],
                    };
                    out.push_str(&regex::escape(head));
                    if capture {
                        out.push('(');
                        out.push_str(class);
                        out.push(')');
                        masks.push(mask);
                    } else {
                        out.push_str(class);
                    }
                    rest = &rest[lt + mask.len()..];
                    continue 'tok;
                }
            }
            out.push_str(&regex::escape(&rest[..=lt]));
            rest = &rest[lt + 1..];
        }
    }
    (out, masks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex::Regex;

    #[test]
    fn template_regex_matches_the_lines_it_came_from() {
        let t = "failed to load configuration: <path>:<n>:<n>: invalid type: map, expected a (x)";
        let re = Regex::new(&template_regex(t)).expect("compiles");
        assert!(re.is_match(
            "failed to load configuration: /home/a/.codex/config.toml:228:1: invalid type: map, expected a (x)"
        ));
        assert!(!re.is_match(
            "failed to load configuration: /home/a/.codex/config.toml:228:1: invalid type: string, expected a (x)"
        ));
        let re = Regex::new(&template_regex("a <b <*>")).expect("compiles");
        assert!(re.is_match("a <b c"));
    }

    #[test]
    fn capturing_regex_names_each_variable() {
        let (re, masks) = capturing_regex("open <path> at line <n>: <*> denied");
        assert_eq!(masks, ["<path>", "<n>", "<*>"]);
        let re = Regex::new(&re).expect("compiles");
        let c = re
            .captures("  open /srv/a/b.txt at line 42: write denied ")
            .expect("matches");
        assert_eq!(&c[1], "/srv/a/b.txt");
        assert_eq!(&c[2], "42");
        assert_eq!(&c[3], "write");
        assert!(!re.is_match("open /srv/a/b.txt at line 42: write denied and more"));
    }

    #[test]
    fn redaction_marks_match_raw_text_and_are_never_captured() {
        let t = "src~<path> | PASSWORD=\"<redacted>\" ./run by <user> <email>";
        let (re, masks) = capturing_regex(t);
        assert_eq!(masks, ["<path>"], "only the path is a variable");
        let re = Regex::new(&re).expect("compiles");
        // The raw line (what a drafted rule meets) and the redacted one (what clusters
        // read variables from) both match; the secret is in no group.
        let raw = "src/home/bob/app/main.rs | PASSWORD=\"hunter2\" ./run by bob bob@example.com";
        let c = re.captures(raw).expect("raw line matches");
        assert_eq!(c.len(), 2);
        assert_eq!(&c[1], "/home/bob/app/main.rs");
        let redacted = "src~/app/main.rs | PASSWORD=\"<redacted>\" ./run by <user> <email>";
        let c = re.captures(redacted).expect("redacted line matches");
        assert_eq!(&c[1], "~/app/main.rs");
        let plain = Regex::new(&template_regex(t)).expect("compiles");
        assert!(plain.is_match(raw));
        assert!(!plain.is_match("src/home/bob/app/main.rs | TOKEN=\"x\" ./run by bob b@c.d"));
    }
}
