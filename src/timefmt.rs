//! Timestamps and durations: the plugin's ISO format, human durations (`30m`, `7d`), ages.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

/// Milliseconds since the Unix epoch, UTC. Cheap to copy and compare.
pub type Millis = i64;

/// Parses the plugin's fixed timestamp form `YYYY-MM-DDTHH:MM:SS.sssZ` without allocating.
/// The log grammar calls this for every entry, so it avoids chrono's general parser.
pub fn parse_iso_millis(s: &[u8]) -> Option<Millis> {
    if s.len() != 24 || s[4] != b'-' || s[7] != b'-' || s[10] != b'T' || s[13] != b':' {
        return None;
    }
    if s[16] != b':' || s[19] != b'.' || s[23] != b'Z' {
        return None;
    }
    let num = |a: usize, b: usize| -> Option<u32> {
        let mut v = 0u32;
        for &c in &s[a..b] {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(c - b'0');
        }
        Some(v)
    };
    let (y, mo, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (h, mi, se, ms) = (num(11, 13)?, num(14, 16)?, num(17, 19)?, num(20, 23)?);
    let date = NaiveDate::from_ymd_opt(y as i32, mo, d)?;
    let dt = date.and_hms_milli_opt(h, mi, se, ms)?;
    Some(dt.and_utc().timestamp_millis())
}

/// Parses any RFC 3339 timestamp (what job JSON holds), falling back to the fast path.
pub fn parse_timestamp(s: &str) -> Option<Millis> {
    parse_iso_millis(s.as_bytes()).or_else(|| {
        DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|d| d.with_timezone(&Utc).timestamp_millis())
    })
}

/// Formats milliseconds as the plugin's ISO form.
pub fn format_iso(ms: Millis) -> String {
    match Utc.timestamp_millis_opt(ms).single() {
        Some(d) => d.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        None => ms.to_string(),
    }
}

/// Serialises an optional time as the plugin's ISO form (for `#[serde(serialize_with)]`).
pub fn serialize_iso_opt<S: serde::Serializer>(
    t: &Option<Millis>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&format_iso(*t)),
        None => s.serialize_none(),
    }
}

/// Parses a duration such as `90s`, `30m`, `12h`, `7d`, `2w`, `1h30m` or `500ms` into
/// milliseconds. A bare number is seconds.
pub fn parse_duration(s: &str) -> Result<Millis, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty duration".into());
    }
    if let Ok(n) = s.parse::<i64>() {
        return Ok(n.saturating_mul(1000));
    }
    let mut total: i64 = 0;
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if start == i {
            return Err(format!(
                "invalid duration `{s}`: expected a number at `{}`",
                &s[start..]
            ));
        }
        let n: i64 = s[start..i]
            .parse()
            .map_err(|_| format!("invalid duration `{s}`"))?;
        let ustart = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let unit = match &s[ustart..i] {
            "ms" => 1,
            "s" | "sec" | "secs" => 1000,
            "m" | "min" | "mins" => 60_000,
            "h" | "hr" | "hrs" => 3_600_000,
            "d" | "day" | "days" => 86_400_000,
            "w" | "week" | "weeks" => 7 * 86_400_000,
            "" => {
                return Err(format!(
                    "invalid duration `{s}`: missing unit (s, m, h, d, w)"
                ));
            }
            u => return Err(format!("invalid duration `{s}`: unknown unit `{u}`")),
        };
        total = total.saturating_add(n.saturating_mul(unit));
    }
    Ok(total)
}

/// Parses a duration given on the command line (`--since`, `--stall-after`,
/// `--older-than`) with humantime: `30m`, `7d`, `1h 30m`, `2weeks`. A number without a
/// unit is refused rather than read as seconds (`--since 30` meant days or minutes, never
/// half a minute).
pub fn parse_flag_duration(s: &str) -> Result<Millis, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("empty duration; expected e.g. 30m, 12h, 7d".into());
    }
    if t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "`{t}` has no unit; write e.g. {t}m, {t}h or {t}d (s, m, h, d, w)"
        ));
    }
    let d = humantime::parse_duration(t).map_err(|e| format!("invalid duration `{t}`: {e}"))?;
    Ok(Millis::try_from(d.as_millis()).unwrap_or(Millis::MAX))
}

/// Parses `--since`: a date (`2026-11-01`), a timestamp, or a duration back from `now`.
/// Something shaped like a date that is not one (`2026-13-01`) is reported as an invalid
/// date, not as a duration missing its unit.
pub fn parse_since(s: &str, now: Millis) -> Result<Millis, String> {
    let s = s.trim();
    if let Some(t) = parse_timestamp(s) {
        return Ok(t);
    }
    let looks_like_date =
        s.len() >= 8 && s.as_bytes()[..4].iter().all(u8::is_ascii_digit) && s.as_bytes()[4] == b'-';
    if looks_like_date {
        let day = s.get(..10).unwrap_or(s);
        return match NaiveDate::parse_from_str(day, "%Y-%m-%d") {
            Ok(d) if day.len() == s.len() => d
                .and_hms_opt(0, 0, 0)
                .map(|dt| dt.and_utc().timestamp_millis())
                .ok_or_else(|| format!("invalid date `{s}`")),
            Ok(_) => Err(format!(
                "invalid timestamp `{s}`; expected 2026-11-01 or 2026-11-01T09:30:00Z"
            )),
            Err(e) => Err(format!("invalid date `{s}`: {e} (expected YYYY-MM-DD)")),
        };
    }
    parse_flag_duration(s)
        .map(|d| now.saturating_sub(d))
        .map_err(|e| format!("{e}; or give a date like 2026-11-01"))
}

/// Formats a span compactly for people: `850ms`, `42s`, `5m 3s`, `3h 12m`, `4d 2h`.
pub fn human_span(ms: Millis) -> String {
    let neg = ms < 0;
    let ms = ms.unsigned_abs();
    let s = if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        let tenths = ms / 100;
        if tenths.is_multiple_of(10) || ms >= 10_000 {
            format!("{}s", ms / 1000)
        } else {
            format!("{}.{}s", tenths / 10, tenths % 10)
        }
    } else if ms < 3_600_000 {
        let (m, s) = (ms / 60_000, (ms / 1000) % 60);
        if s == 0 {
            format!("{m}m")
        } else {
            format!("{m}m {s}s")
        }
    } else if ms < 86_400_000 {
        let (h, m) = (ms / 3_600_000, (ms / 60_000) % 60);
        if m == 0 {
            format!("{h}h")
        } else {
            format!("{h}h {m}m")
        }
    } else {
        let (d, h) = (ms / 86_400_000, (ms / 3_600_000) % 24);
        if h == 0 {
            format!("{d}d")
        } else {
            format!("{d}d {h}h")
        }
    };
    if neg { format!("-{s}") } else { s }
}

/// The current time in milliseconds.
pub fn now_millis() -> Millis {
    Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plugin_timestamps() {
        let t = parse_iso_millis(b"2026-11-26T13:16:19.651Z").unwrap();
        assert_eq!(format_iso(t), "2026-11-26T13:16:19.651Z");
        assert!(parse_iso_millis(b"2026-13-26T13:16:19.651Z").is_none());
        assert!(parse_iso_millis(b"2026-11-26 13:16:19.651Z").is_none());
        assert!(parse_iso_millis(b"2026-11-26T13:16:19Z").is_none());
        assert_eq!(
            parse_timestamp("2026-11-26T13:16:19Z"),
            Some(t - 651),
            "general RFC 3339 falls back to chrono"
        );
    }

    #[test]
    fn parses_durations() {
        assert_eq!(parse_duration("30m"), Ok(1_800_000));
        assert_eq!(parse_duration("1h30m"), Ok(5_400_000));
        assert_eq!(parse_duration("7d"), Ok(604_800_000));
        assert_eq!(parse_duration("45"), Ok(45_000));
        assert_eq!(parse_duration("500ms"), Ok(500));
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("3y").is_err());
        assert!(parse_duration("12").is_ok());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn since_accepts_dates_and_durations() {
        let now = parse_timestamp("2026-11-26T00:00:00.000Z").unwrap();
        assert_eq!(
            parse_since("2026-11-01", now),
            parse_timestamp("2026-11-01T00:00:00.000Z").ok_or(String::new())
        );
        assert_eq!(parse_since("1d", now), Ok(now - 86_400_000));
        assert!(parse_since("yesterday", now).is_err());
        assert!(parse_since("30", now).unwrap_err().contains("no unit"));
        let bad = parse_since("2026-13-01", now).unwrap_err();
        assert!(bad.contains("invalid date"), "{bad}");
        assert_eq!(parse_since("1h 30m", now), Ok(now - 5_400_000));
        assert_eq!(parse_flag_duration("2weeks"), Ok(14 * 86_400_000));
    }

    #[test]
    fn spans_read_naturally() {
        assert_eq!(human_span(850), "850ms");
        assert_eq!(human_span(1_500), "1.5s");
        assert_eq!(human_span(42_000), "42s");
        assert_eq!(human_span(303_000), "5m 3s");
        assert_eq!(human_span(3 * 3_600_000 + 12 * 60_000), "3h 12m");
        assert_eq!(human_span(4 * 86_400_000 + 2 * 3_600_000), "4d 2h");
    }
}
