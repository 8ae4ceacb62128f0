//! The commands on text and on this machine: `triage match`, `triage mine`, `triage doctor`.

use super::args::{DoctorCmd, MatchCmd, MineCmd, RuleArgs, TextFormat};
use super::{CmdResult, EXIT_NO_MATCH, EXIT_OK, Exit, resolve};
use crate::doctor;
use crate::matchtext;
use crate::redact::Redactor;
use crate::report::{self, out::Output};
use crate::term_safe;
use std::io::Read;
use std::path::Path;

/// `triage match`.
pub(crate) fn match_text(ra: &RuleArgs, a: MatchCmd) -> CmdResult {
    let rules = resolve::rules(ra, &[])?;
    // A `--rules DIR` may extend the product-context vocabulary (`DIR/_vocab/context.toml`).
    let vocab = matchtext::context::Vocabulary::with_dirs(&ra.rules)
        .map_err(|e| Exit::Refused(e.to_string()))?;
    let text = read_input(a.file.as_deref())?;
    let matches = matchtext::classify_with(&text, &rules, &vocab, true);
    // Matched on the text as given; redacted on the result, before any rendering.
    let matches = if a.redact {
        let mut r = Redactor::from_env();
        r.learn(&text);
        crate::redact::model::redacted_match(&matches, &text, &r)
    } else {
        matches
    };
    match a.format {
        TextFormat::Json => Output::Stdout.json(&report::text_match::json_doc(&matches))?,
        // Input text reaches the terminal: control characters are shown escaped.
        TextFormat::Human => Output::Stdout.text(&term_safe::block(
            &report::text_match::render_human(&matches, &rules),
        ))?,
    }
    // grep's convention: 1 when nothing matched, so `triage match f && …` reads naturally.
    Ok(if matches.matches.is_empty() {
        EXIT_NO_MATCH
    } else {
        EXIT_OK
    })
}

/// `triage mine`.
pub(crate) fn mine(a: MineCmd) -> CmdResult {
    let mined = crate::mine::input::mine_inputs(&a.inputs, Default::default());
    for w in &mined.warnings {
        eprintln!("triage: warning: {}", term_safe::line(&w.to_string()));
    }
    let out = Output::from_flag(a.output.as_deref());
    match a.format {
        TextFormat::Json => out.json(&mined)?,
        // Templates and examples are input text: control characters are shown escaped.
        TextFormat::Human => {
            out.text(&term_safe::block(&crate::mine::input::render_human(&mined)))?
        }
    }
    Ok(EXIT_OK)
}

/// `triage doctor`.
pub(crate) fn doctor(ra: &RuleArgs, a: DoctorCmd) -> CmdResult {
    let rules = resolve::rules(ra, &[])?;
    let facts = doctor::gather(&doctor::Inputs::from_env(a.home, a.probe)?, &rules);
    let facts = if a.redact {
        facts
            .redacted(&Redactor::from_env())
            .ok_or_else(|| anyhow::anyhow!("redaction failed; nothing printed"))?
    } else {
        facts
    };
    match a.format {
        TextFormat::Json => Output::Stdout.json(&facts)?,
        TextFormat::Human => Output::Stdout.text(&doctor::render_human(&facts, 8))?,
    }
    Ok(EXIT_OK)
}

/// Most bytes `match` reads: a pasted log or an issue body, not a corpus.
const MATCH_INPUT_LIMIT: u64 = 64 << 20;

/// `match`'s input: a file, a pipe or FIFO (`<(cmd)`, `/dev/stdin`), or stdin for `-`/none.
/// Text is decoded from UTF-8 or, with a byte-order mark, UTF-16 (what Windows PowerShell's
/// `>` writes); a binary file is refused rather than matched as noise.
fn read_input(file: Option<&Path>) -> anyhow::Result<String> {
    let mut buf = Vec::new();
    let name = match file {
        None => "standard input".to_string(),
        Some(p) if resolve::is_dash(p) => "standard input".to_string(),
        Some(p) => p.display().to_string(),
    };
    match file {
        Some(p) if !resolve::is_dash(p) => {
            // Anything that can be read is accepted: regular files, FIFOs, character devices
            // and the /dev/fd/N of process substitution. Only a directory is refused here.
            if std::fs::metadata(p).is_ok_and(|m| m.is_dir()) {
                anyhow::bail!(
                    "{name} is a directory; `match` reads one text (use `scan` for trees)"
                );
            }
            std::fs::File::open(p)
                .and_then(|f| f.take(MATCH_INPUT_LIMIT).read_to_end(&mut buf))
                .map_err(|e| anyhow::anyhow!("cannot read {name}: {e}"))?;
        }
        _ => {
            std::io::stdin()
                .take(MATCH_INPUT_LIMIT)
                .read_to_end(&mut buf)
                .map_err(|e| anyhow::anyhow!("cannot read {name}: {e}"))?;
        }
    }
    decode_text(&buf).ok_or_else(|| {
        anyhow::anyhow!(
            "{name} looks binary (NUL bytes, no UTF-16 byte-order mark); `match` reads text"
        )
    })
}

/// UTF-8 (a BOM is dropped) or BOM-marked UTF-16; `None` for binary data.
fn decode_text(buf: &[u8]) -> Option<String> {
    let utf16 = |be: bool| {
        let units: Vec<u16> = buf[2..]
            .chunks_exact(2)
            .map(|c| {
                if be {
                    u16::from_be_bytes([c[0], c[1]])
                } else {
                    u16::from_le_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16_lossy(&units)
    };
    match buf {
        [0xFF, 0xFE, ..] => Some(utf16(false)),
        [0xFE, 0xFF, ..] => Some(utf16(true)),
        [0xEF, 0xBB, 0xBF, rest @ ..] => Some(String::from_utf8_lossy(rest).into_owned()),
        // The same test as grep's: a NUL in the first block means binary.
        _ if memchr::memchr(0, &buf[..buf.len().min(8192)]).is_some() => None,
        _ => Some(String::from_utf8_lossy(buf).into_owned()),
    }
}
