//! `triage mine`: messages from files, standard input or plugin job trees, streamed through
//! one [`Miner`], and the report (human or JSON).
//!
//! Every input line is one message, numbered 1-based across the inputs in the order given
//! (as if they were concatenated); blank lines are counted but not mined. A directory is a
//! plugin data tree: the messages of its job logs' entries (simple entries, block titles and
//! continuation lines, without the `[timestamp] `) are mined, numbered in the order read. A
//! file whose first line is a timestamped log entry is read the same way.

use super::{Miner, MinerConfig, TemplateId, Tokens};
use crate::log::{LineKind, LogGrammar, for_each_line, split_timestamp};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

/// Messages tokenised together before they enter the (sequential) miner.
const BATCH: usize = 8192;

/// One template of the report.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MinedTemplate {
    /// Constant words and `<*>`.
    pub template: String,
    /// Messages it holds.
    pub count: u64,
    /// Their 1-based input line numbers.
    pub lines: Vec<u64>,
    /// The first message it absorbed.
    #[serde(skip)]
    pub example: String,
}

/// What `triage mine` found.
#[derive(Debug, Default, Serialize)]
pub struct Mined {
    /// Templates, most frequent first.
    pub templates: Vec<MinedTemplate>,
    /// Messages mined.
    #[serde(skip)]
    pub messages: u64,
    /// Inputs that could not be read, one sentence each.
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// Feeds messages to a miner in batches, tokenising each batch in parallel. A batch's
/// messages sit in one buffer (no allocation per line); a message is kept beyond its batch
/// only as the example of a new template.
struct Sink {
    miner: Miner,
    /// The batch's messages, concatenated.
    text: String,
    /// (input line, start, end) of each message of the batch in `text`.
    batch: Vec<(u64, usize, usize)>,
    toks: Vec<Tokens>,
    assigned: Vec<(u64, TemplateId)>,
    examples: HashMap<TemplateId, String>,
}

impl Sink {
    fn new(cfg: MinerConfig) -> Sink {
        Sink {
            miner: Miner::new(cfg),
            text: String::new(),
            batch: Vec::with_capacity(BATCH),
            toks: Vec::new(),
            assigned: Vec::new(),
            examples: HashMap::new(),
        }
    }

    fn push(&mut self, line: u64, msg: &[u8]) {
        let msg = msg.trim_ascii();
        if msg.is_empty() {
            return;
        }
        let start = self.text.len();
        match std::str::from_utf8(msg) {
            Ok(s) => self.text.push_str(s),
            Err(_) => self.text.push_str(&String::from_utf8_lossy(msg)),
        }
        if self.text[start..].trim().is_empty() {
            self.text.truncate(start);
            return;
        }
        self.batch.push((line, start, self.text.len()));
        if self.batch.len() >= BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        let n = self.batch.len();
        if self.toks.len() < n {
            self.toks.resize_with(n, Tokens::default);
        }
        let text = self.text.as_str();
        let parse = |(t, &(_, a, b)): (&mut Tokens, &(u64, usize, usize))| t.parse(&text[a..b]);
        if n >= 1024 {
            self.toks[..n]
                .par_iter_mut()
                .zip(self.batch.par_iter())
                .for_each(parse);
        } else {
            self.toks.iter_mut().zip(&self.batch).for_each(parse);
        }
        for (i, &(line, a, b)) in self.batch.iter().enumerate() {
            let id = self.miner.add_tokens(&self.toks[i]);
            self.examples
                .entry(id)
                .or_insert_with(|| text[a..b].to_string());
            self.assigned.push((line, id));
        }
        self.batch.clear();
        self.text.clear();
    }

    fn finish(mut self) -> Vec<MinedTemplate> {
        self.flush();
        let mut by_id: HashMap<TemplateId, MinedTemplate> = HashMap::new();
        for (line, id) in self.assigned {
            let id = self.miner.resolve(id);
            let t = by_id.entry(id).or_insert_with(|| MinedTemplate {
                template: self.miner.template_text(id).unwrap_or_default(),
                count: 0,
                lines: Vec::new(),
                example: self.examples.get(&id).cloned().unwrap_or_default(),
            });
            t.count += 1;
            t.lines.push(line);
        }
        let mut out: Vec<(TemplateId, MinedTemplate)> = by_id.into_iter().collect();
        out.sort_by(|a, b| {
            b.1.count
                .cmp(&a.1.count)
                .then(a.1.lines[0].cmp(&b.1.lines[0]))
                .then(a.0.cmp(&b.0))
        });
        out.into_iter().map(|(_, t)| t).collect()
    }
}

/// Mines the inputs (`-` is standard input; no input at all means standard input).
pub fn mine_inputs(inputs: &[PathBuf], cfg: MinerConfig) -> Mined {
    let mut sink = Sink::new(cfg);
    let mut warnings = Vec::new();
    let mut next_line = 1u64;
    let stdin = [PathBuf::from("-")];
    let inputs = if inputs.is_empty() {
        &stdin[..]
    } else {
        inputs
    };
    for p in inputs {
        let res = if p == Path::new("-") {
            read_lines(std::io::stdin().lock(), &mut sink, &mut next_line)
        } else if p.is_dir() {
            read_tree(p, &mut sink, &mut next_line, &mut warnings);
            Ok(())
        } else {
            read_file(p, &mut sink, &mut next_line)
        };
        if let Err(e) = res {
            warnings.push(format!("cannot read {}: {e}", p.display()));
        }
    }
    let messages = sink.assigned.len() as u64 + sink.batch.len() as u64;
    Mined {
        templates: sink.finish(),
        messages,
        warnings,
    }
}

fn read_lines<R: Read>(reader: R, sink: &mut Sink, next: &mut u64) -> std::io::Result<()> {
    for_each_line(reader, |_, line| {
        sink.push(*next, line);
        *next += 1;
        true
    })?;
    Ok(())
}

fn read_file(p: &Path, sink: &mut Sink, next: &mut u64) -> std::io::Result<()> {
    let mut f = std::io::BufReader::new(std::fs::File::open(p)?);
    let is_job_log = {
        let head = f.fill_buf()?;
        let first = head.split(|&c| c == b'\n').next().unwrap_or_default();
        split_timestamp(first).is_some()
    };
    if is_job_log {
        read_job_log(f, sink, next)
    } else {
        read_lines(f, sink, next)
    }
}

/// The messages of a job log's entries, without their timestamps.
fn read_job_log<R: Read>(reader: R, sink: &mut Sink, next: &mut u64) -> std::io::Result<()> {
    let mut grammar = LogGrammar::new();
    for_each_line(reader, |_, line| {
        let info = grammar.step(line);
        if matches!(
            info.kind,
            LineKind::Entry | LineKind::BlockHeader | LineKind::Continuation
        ) {
            sink.push(*next, info.text);
            *next += 1;
        }
        true
    })?;
    Ok(())
}

fn read_tree(root: &Path, sink: &mut Sink, next: &mut u64, warnings: &mut Vec<String>) {
    let found = crate::discover::discover(&[root.to_path_buf()]);
    for w in &found.warnings {
        warnings.push(w.to_string());
    }
    for dir in &found.state_dirs {
        for job in dir.jobs.values() {
            let Some(log) = job.log.as_deref().map(|l| dir.file(l)) else {
                continue;
            };
            let res = std::fs::File::open(&log).and_then(|f| read_job_log(f, sink, next));
            if let Err(e) = res {
                warnings.push(format!("cannot read {}: {e}", log.display()));
            }
        }
    }
}

/// The human report: each template with its count and one example.
pub fn render_human(m: &Mined) -> String {
    let mut s = format!(
        "{} template(s) from {} message(s)\n",
        m.templates.len(),
        m.messages
    );
    for t in &m.templates {
        s.push_str(&format!("\n{:>7}  {}\n", t.count, t.template));
        if t.example != t.template {
            s.push_str(&format!("         e.g. {}\n", t.example.trim()));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_lines_across_inputs_and_skips_blanks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = dir.path().join("a.txt");
        let b = dir.path().join("b.txt");
        std::fs::write(&a, "open file 1 ok\n\nopen file 22 ok\n").expect("write");
        std::fs::write(&b, "disk full on sda\nopen file 3 ok\n").expect("write");
        let m = mine_inputs(&[a, b], MinerConfig::default());
        assert_eq!(m.messages, 4);
        assert_eq!(m.templates[0].template, "open file <*> ok");
        assert_eq!(m.templates[0].lines, vec![1, 3, 5]);
        assert_eq!(m.templates[1].lines, vec![4]);
        assert_eq!(m.templates[0].example, "open file 1 ok");
    }

    #[test]
    fn job_logs_lose_their_timestamps() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("task-x.log");
        std::fs::write(
            &log,
            "[2026-09-24T16:18:02.287Z] Starting Codex Task.\n\
             [2026-09-24T16:18:05.192Z] Running command: git status\n\
             [2026-09-24T16:18:06.192Z] Running command: git diff\n",
        )
        .expect("write");
        let m = mine_inputs(&[log], MinerConfig::default());
        let texts: Vec<&str> = m.templates.iter().map(|t| t.template.as_str()).collect();
        assert!(texts.contains(&"Starting Codex Task."), "{texts:?}");
        assert_eq!(m.messages, 3);
    }
}
