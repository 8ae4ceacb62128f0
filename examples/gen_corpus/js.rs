//! Values printed the way the plugin's JavaScript prints them: `Date.prototype.toISOString`
//! and `JSON.stringify(v, null, 2)` with insertion-ordered objects.

use std::fmt::Write as _;

/// Time formatting (Date.prototype.toISOString).
pub fn iso(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let milli = ms.rem_euclid(1000);
    let days = secs.div_euclid(86400);
    let sod = secs.rem_euclid(86400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        y,
        m,
        d,
        sod / 3600,
        (sod / 60) % 60,
        sod % 60,
        milli
    )
}

/// 2026-03-30T00:00:00Z (plugin v1.0.0 release) .. 2026-11-26T00:00:00Z.
pub const EPOCH_START_MS: i64 = 1_774_828_800_000;
pub const EPOCH_END_MS: i64 = 1_795_651_200_000;

/// Minimal ordered JSON value; objects keep insertion order like JavaScript's.
#[derive(Clone)]
pub enum J {
    Null,
    Bool(bool),
    Int(i64),
    Num(f64),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(&'static str, J)>),
}

/// A JSON string.
pub fn s(x: impl Into<String>) -> J {
    J::Str(x.into())
}

/// A JSON string, or `null`.
pub fn opt_s(x: &Option<String>) -> J {
    match x {
        Some(v) => J::Str(v.clone()),
        None => J::Null,
    }
}

/// A JSON string literal, escaped as `JSON.stringify` escapes it.
fn esc(out: &mut String, v: &str) {
    out.push('"');
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl J {
    /// Prints `self`; `indent` = `Some(level)` for the pretty form, `None` for compact.
    pub fn write(&self, out: &mut String, indent: Option<usize>) {
        match self {
            J::Null => out.push_str("null"),
            J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            J::Int(i) => {
                let _ = write!(out, "{i}");
            }
            J::Num(f) => {
                let _ = write!(out, "{f}");
            }
            J::Str(v) => esc(out, v),
            J::Arr(items) => {
                if items.is_empty() {
                    out.push_str("[]");
                    return;
                }
                out.push('[');
                for (i, it) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    if let Some(n) = indent {
                        out.push('\n');
                        pad(out, n + 2);
                        it.write(out, Some(n + 2));
                    } else {
                        it.write(out, None);
                    }
                }
                if let Some(n) = indent {
                    out.push('\n');
                    pad(out, n);
                }
                out.push(']');
            }
            J::Obj(fields) => {
                if fields.is_empty() {
                    out.push_str("{}");
                    return;
                }
                out.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    if let Some(n) = indent {
                        out.push('\n');
                        pad(out, n + 2);
                        esc(out, k);
                        out.push_str(": ");
                        v.write(out, Some(n + 2));
                    } else {
                        esc(out, k);
                        out.push(':');
                        v.write(out, None);
                    }
                }
                if let Some(n) = indent {
                    out.push('\n');
                    pad(out, n);
                }
                out.push('}');
            }
        }
    }
    /// `JSON.stringify(v, null, 2)` plus the trailing newline the plugin writes.
    pub fn pretty(&self) -> String {
        let mut out = String::with_capacity(4096);
        self.write(&mut out, Some(0));
        out.push('\n');
        out
    }
    /// `JSON.stringify(v)`.
    pub fn compact(&self) -> String {
        let mut out = String::with_capacity(1024);
        self.write(&mut out, None);
        out
    }
}

fn pad(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push(' ');
    }
}
