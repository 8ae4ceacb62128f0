//! Finished runs kept out of memory: each is serialised as it is finished and appended to a
//! temporary file in [`std::env::temp_dir`] (never inside a scanned tree; the file is
//! unlinked as soon as it is open, so nothing is left behind even on a crash), and only its
//! place in the scan's order, its offset and its id stay in memory (40 bytes and the id).
//! Reading back yields the runs in the order the reports list them.
//!
//! The index itself is bounded too: every [`SEGMENT_ENTRIES`] runs, the entries held are
//! sorted and written to a second unlinked file as one sorted segment, and reading back
//! merges the segments (an external merge sort), so memory stays flat however many runs a
//! scan has. The merge breaks ties exactly as the in-memory sort does, so the order is the
//! same either way.

use crate::cluster::Order;
use crate::run::Run;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Index entries held in memory before they are sorted and written out as a segment.
const SEGMENT_ENTRIES: usize = 16 * 1024;

/// Where the serialised runs are.
#[derive(Debug)]
enum Store {
    /// The unlinked temporary file.
    File(BufWriter<File>),
    /// No usable temporary directory (or it lies inside a scanned tree): kept in memory,
    /// serialised, which is still several times smaller than the runs themselves.
    Memory(Vec<u8>),
}

/// Where one spilled run is, and its place in the order: 40 bytes plus its id (fields
/// ordered so that none is padded).
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// `created_at` (0 when [`Entry::has_created`] is false).
    created: i64,
    seq: u64,
    at: u64,
    /// The id's bytes in [`Spill::ids`].
    id_at: u32,
    id_len: u32,
    len: u32,
    /// A run without `created_at` sorts before every run with one.
    has_created: bool,
}
/// The runs of a scan, serialised, with their order.
#[derive(Debug)]
pub struct Spill {
    store: Store,
    len: u64,
    index: Vec<Entry>,
    /// The ids of the runs, end to end (one allocation, not one per run).
    ids: String,
    sorted: bool,
    /// Runs pushed.
    runs: usize,
    /// Sorted segments of the index written out so far, and where they are.
    segments: Vec<Segment>,
    segment_file: Option<File>,
    segment_len: u64,
    /// Entries held before a segment is written (always [`SEGMENT_ENTRIES`] outside tests).
    segment_entries: usize,
    /// Spill files the platform would not unlink while open (Windows): removed on drop.
    remove_on_drop: Vec<PathBuf>,
}

/// One sorted segment of the index in the segment file.
#[derive(Debug, Clone, Copy)]
struct Segment {
    at: u64,
    bytes: u64,
}

/// An index entry read back from a segment, with its id.
#[derive(Debug)]
struct OwnedEntry {
    entry: Entry,
    id: String,
}

/// The order of the reports: creation time (runs without one first), id, discovery order,
/// then push order (which makes the key unique).
fn order(a: &Entry, a_id: &str, b: &Entry, b_id: &str) -> std::cmp::Ordering {
    (a.has_created, a.created)
        .cmp(&(b.has_created, b.created))
        .then_with(|| a_id.cmp(b_id))
        .then(a.seq.cmp(&b.seq))
        .then(a.at.cmp(&b.at))
}

impl Spill {
    /// A spill in the temporary directory, unless that lies under one of `roots` (then in
    /// memory).
    pub fn new(roots: &[PathBuf]) -> Spill {
        let (store, remove_on_drop) = match temp_file(roots) {
            Some((f, left)) => (Store::File(BufWriter::with_capacity(256 * 1024, f)), left),
            None => (Store::Memory(Vec::new()), None),
        };
        Spill {
            store,
            len: 0,
            index: Vec::new(),
            ids: String::new(),
            sorted: true,
            runs: 0,
            segments: Vec::new(),
            segment_file: None,
            segment_len: 0,
            segment_entries: SEGMENT_ENTRIES,
            remove_on_drop: remove_on_drop.into_iter().collect(),
        }
    }

    /// Sorts the entries held and writes them out as one segment, when the runs are in a
    /// file (a spill kept in memory keeps its index in memory too) and a second temporary
    /// file can be had.
    fn write_segment(&mut self) -> std::io::Result<()> {
        if !matches!(self.store, Store::File(_)) {
            return Ok(());
        }
        if self.segment_file.is_none() {
            let Some((f, left)) = temp_file(&[]) else {
                // No second file: the index stays in memory, as it did before segments.
                self.segment_entries = usize::MAX;
                return Ok(());
            };
            self.remove_on_drop.extend(left);
            self.segment_file = Some(f);
        }
        self.sort_held();
        let mut bytes = Vec::with_capacity(self.index.len() * 48 + self.ids.len());
        for e in &self.index {
            let id = id_of(&self.ids, e).as_bytes();
            bytes.extend_from_slice(&e.created.to_le_bytes());
            bytes.push(u8::from(e.has_created));
            bytes.extend_from_slice(&e.seq.to_le_bytes());
            bytes.extend_from_slice(&e.at.to_le_bytes());
            bytes.extend_from_slice(&e.len.to_le_bytes());
            bytes.extend_from_slice(&(id.len() as u32).to_le_bytes());
            bytes.extend_from_slice(id);
        }
        if let Some(f) = &self.segment_file {
            write_at(f, &bytes, self.segment_len)?;
        }
        self.segments.push(Segment {
            at: self.segment_len,
            bytes: bytes.len() as u64,
        });
        self.segment_len += bytes.len() as u64;
        self.index.clear();
        self.ids.clear();
        Ok(())
    }

    /// Sorts the entries held in memory.
    fn sort_held(&mut self) {
        let ids = &self.ids;
        self.index
            .sort_unstable_by(|a, b| order(a, id_of(ids, a), b, id_of(ids, b)));
    }

    /// Appends one run at `order`.
    pub fn push(&mut self, run: &Run, order: Order) -> std::io::Result<()> {
        if self.index.len() >= self.segment_entries {
            self.write_segment()?;
        }
        let bytes = serde_json::to_vec(run).map_err(std::io::Error::from)?;
        match &mut self.store {
            Store::File(f) => f.write_all(&bytes)?,
            Store::Memory(v) => v.extend_from_slice(&bytes),
        }
        let len = u32::try_from(bytes.len())
            .map_err(|_| std::io::Error::other("a run of more than 4 GiB"))?;
        let too_long = || std::io::Error::other("more than 4 GiB of run ids");
        let id_at = u32::try_from(self.ids.len()).map_err(|_| too_long())?;
        let id_len = u32::try_from(order.id.len()).map_err(|_| too_long())?;
        self.ids.push_str(&order.id);
        self.index.push(Entry {
            created: order.created_at.unwrap_or(0),
            has_created: order.created_at.is_some(),
            id_at,
            id_len,
            seq: order.seq,
            at: self.len,
            len,
        });
        self.len += u64::from(len);
        self.runs += 1;
        self.sorted = false;
        Ok(())
    }

    /// Runs held.
    pub fn len(&self) -> usize {
        self.runs
    }

    /// No run held.
    pub fn is_empty(&self) -> bool {
        self.runs == 0
    }

    /// Puts the runs in the reports' order (creation time, id, discovery order) and
    /// makes them readable.
    pub fn sort(&mut self) -> std::io::Result<()> {
        if let Store::File(f) = &mut self.store {
            f.flush()?;
        }
        if !self.sorted {
            // Given back first, and sorted in place: with the offset last (the push order) the
            // key is unique, so an unstable sort gives the stable sort's order without its
            // buffer of half the index.
            self.index.shrink_to_fit();
            self.ids.shrink_to_fit();
            self.sort_held();
            self.sorted = true;
        }
        Ok(())
    }

    /// Calls `f` with each run whose id `keep` accepts, in order ([`Spill::sort`] first).
    pub fn for_each(
        &self,
        keep: &dyn Fn(&str) -> bool,
        f: &mut dyn FnMut(Run) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let mut buf = Vec::new();
        let mut emit = |e: &Entry, id: &str| -> std::io::Result<()> {
            if keep(id) {
                f(self.read_run(e, &mut buf)?)?;
            }
            Ok(())
        };
        if self.segments.is_empty() {
            for e in &self.index {
                emit(e, id_of(&self.ids, e))?;
            }
            return Ok(());
        }
        // Merge the segments and the entries held: each source is sorted, so the smallest
        // head of all is the next run.
        let file = self
            .segment_file
            .as_ref()
            .ok_or_else(|| std::io::Error::other("spill segments without their file"))?;
        let mut readers: Vec<SegmentReader> = self
            .segments
            .iter()
            .map(|s| SegmentReader::new(file, *s))
            .collect();
        let mut heads: Vec<Option<OwnedEntry>> = readers
            .iter_mut()
            .map(SegmentReader::next)
            .collect::<std::io::Result<_>>()?;
        let mut held = self.index.iter().peekable();
        loop {
            let mut best: Option<usize> = None;
            for (i, h) in heads.iter().enumerate() {
                let Some(h) = h else { continue };
                let better = match best.and_then(|b| heads[b].as_ref()) {
                    None => true,
                    Some(b) => order(&h.entry, &h.id, &b.entry, &b.id).is_lt(),
                };
                if better {
                    best = Some(i);
                }
            }
            let held_first = match (held.peek(), best.and_then(|b| heads[b].as_ref())) {
                (Some(e), Some(h)) => order(e, id_of(&self.ids, e), &h.entry, &h.id).is_lt(),
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => return Ok(()),
            };
            if held_first {
                if let Some(e) = held.next() {
                    emit(e, id_of(&self.ids, e))?;
                }
            } else if let Some(b) = best
                && let Some(h) = heads[b].take()
            {
                emit(&h.entry, &h.id)?;
                heads[b] = readers[b].next()?;
            }
        }
    }

    /// Reads back the run of one index entry.
    fn read_run(&self, e: &Entry, buf: &mut Vec<u8>) -> std::io::Result<Run> {
        let bytes: &[u8] = match &self.store {
            Store::File(file) => {
                buf.resize(e.len as usize, 0);
                read_at(file.get_ref(), buf, e.at)?;
                buf
            }
            Store::Memory(v) => {
                let start = e.at as usize;
                v.get(start..start + e.len as usize)
                    .ok_or_else(|| std::io::Error::other("spilled run out of range"))?
            }
        };
        serde_json::from_slice(bytes).map_err(std::io::Error::from)
    }
}

/// Reads one sorted segment back, entry by entry, through a small buffer.
struct SegmentReader<'a> {
    file: &'a File,
    next_at: u64,
    end: u64,
    buf: Vec<u8>,
    pos: usize,
}

impl<'a> SegmentReader<'a> {
    /// Bytes read from the file at a time.
    const BUFFER: usize = 64 * 1024;

    fn new(file: &'a File, s: Segment) -> SegmentReader<'a> {
        SegmentReader {
            file,
            next_at: s.at,
            end: s.at + s.bytes,
            buf: Vec::new(),
            pos: 0,
        }
    }

    /// `n` more bytes of the segment (refilling the buffer as needed).
    fn take(&mut self, n: usize) -> std::io::Result<&[u8]> {
        if self.buf.len() - self.pos < n {
            let rest = self.buf.split_off(self.pos);
            let want = (Self::BUFFER.max(n) - rest.len()) as u64;
            let more = want.min(self.end - self.next_at) as usize;
            self.buf = rest;
            let old = self.buf.len();
            self.buf.resize(old + more, 0);
            read_at(self.file, &mut self.buf[old..], self.next_at)?;
            self.next_at += more as u64;
            self.pos = 0;
            if self.buf.len() < n {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn next(&mut self) -> std::io::Result<Option<OwnedEntry>> {
        if self.pos == self.buf.len() && self.next_at == self.end {
            return Ok(None);
        }
        let le8 = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
        let le4 = |b: &[u8]| u32::from_le_bytes(b.try_into().unwrap_or([0; 4]));
        let head = self.take(33)?;
        let created = le8(&head[0..8]) as i64;
        let has_created = head[8] != 0;
        let seq = le8(&head[9..17]);
        let at = le8(&head[17..25]);
        let len = le4(&head[25..29]);
        let id_len = le4(&head[29..33]) as usize;
        let id = String::from_utf8_lossy(self.take(id_len)?).into_owned();
        Ok(Some(OwnedEntry {
            entry: Entry {
                created,
                seq,
                at,
                id_at: 0,
                id_len: 0,
                len,
                has_created,
            },
            id,
        }))
    }
}

fn id_of<'a>(ids: &'a str, e: &Entry) -> &'a str {
    let start = e.id_at as usize;
    ids.get(start..start + e.id_len as usize).unwrap_or("")
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, at)
}

#[cfg(unix)]
fn write_at(file: &File, buf: &[u8], at: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, buf, at)
}

#[cfg(windows)]
fn write_at(file: &File, buf: &[u8], at: u64) -> std::io::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        let n = std::os::windows::fs::FileExt::seek_write(file, &buf[done..], at + done as u64)?;
        if n == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        done += n;
    }
    Ok(())
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        let n = std::os::windows::fs::FileExt::seek_read(file, &mut buf[done..], at + done as u64)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        done += n;
    }
    Ok(())
}

/// A new temporary file, already unlinked where the platform allows (else its path comes
/// with it, to remove after closing), or `None` when the temporary directory is missing,
/// unwritable or inside a scanned tree.
fn temp_file(roots: &[PathBuf]) -> Option<(File, Option<PathBuf>)> {
    let dir = std::env::temp_dir();
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let dir_c = canon(&dir);
    if roots.iter().any(|r| dir_c.starts_with(canon(r))) {
        return None;
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    for attempt in 0..8u32 {
        let path = dir.join(format!(
            "triage-runs-{}-{nanos:x}-{attempt}.spill",
            std::process::id()
        ));
        let opened = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path);
        match opened {
            Ok(f) => {
                // Unix keeps an unlinked file readable through its handle; Windows refuses
                // to delete an open file, which is then removed in `Drop` below.
                let left = std::fs::remove_file(&path).is_err().then_some(path);
                return Some((f, left));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(_) => return None,
        }
    }
    None
}

impl Drop for Spill {
    fn drop(&mut self) {
        // Close the file first, then remove what could not be removed while it was open.
        self.store = Store::Memory(Vec::new());
        self.segment_file = None;
        for path in self.remove_on_drop.drain(..) {
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The runs of the repository's sample data, as a scan reads them.
    fn sample_runs() -> Vec<Run> {
        let rules = crate::rules::RuleSet::load(&crate::rules::RuleSources {
            builtin: true,
            dirs: Vec::new(),
        })
        .unwrap();
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/sample");
        let mut opts = crate::scan::ScanOptions::new(vec![dir], 1_790_000_000_000);
        opts.check_pids = false;
        opts.codex_sessions = None;
        crate::scan::read_runs(&opts, &rules).runs
    }

    #[test]
    fn runs_come_back_whole_and_in_order() {
        check_order(Spill::new(&[]));
    }

    #[test]
    fn segments_written_out_merge_back_in_the_same_order() {
        for entries in [1, 2, 3, 5] {
            let mut s = Spill::new(&[]);
            s.segment_entries = entries;
            let segments = check_order(s);
            assert!(
                segments >= 1 || cfg!(not(unix)),
                "{entries}: {segments} segments"
            );
            if entries == 1 {
                assert!(
                    segments > 5 || cfg!(not(unix)),
                    "a segment per run: {segments}"
                );
            }
        }
    }

    /// Pushes the sample runs out of order, reads them back, checks the order and the
    /// `keep` filter; returns how many segments were written.
    fn check_order(mut s: Spill) -> usize {
        let sample = sample_runs();
        assert!(sample.len() > 5);
        // Pushed newest first, with two runs sharing a time and id told apart by seq.
        let mut pushed: Vec<(Order, &Run)> = Vec::new();
        for (i, r) in sample.iter().enumerate().rev() {
            let o = Order {
                created_at: r.created_at,
                id: r.id.clone(),
                seq: i as u64,
            };
            pushed.push((o.clone(), r));
            s.push(r, o).unwrap();
        }
        let dup = Order {
            seq: 0,
            ..pushed[0].0.clone()
        };
        s.push(&sample[0], dup).unwrap();
        s.sort().unwrap();
        let mut back = Vec::new();
        s.for_each(&|_| true, &mut |r| {
            back.push(r);
            Ok(())
        })
        .unwrap();
        assert_eq!(back.len(), sample.len() + 1);
        let json = |r: &Run| serde_json::to_string(r).unwrap();
        // The sample is sorted already; the duplicate lands just before its twin.
        let mut want: Vec<String> = sample.iter().map(json).collect();
        let last = sample.len() - 1;
        want.insert(last, json(&sample[0]));
        let got: Vec<String> = back.iter().map(json).collect();
        assert_eq!(got, want);
        let mut some = 0;
        s.for_each(&|id| id == sample[1].id, &mut |_| {
            some += 1;
            Ok(())
        })
        .unwrap();
        assert!(some >= 1);
        // The file is unlinked: no spill file is left in the temporary directory.
        let pid = format!("triage-runs-{}-", std::process::id());
        let left = std::fs::read_dir(std::env::temp_dir())
            .unwrap()
            .filter_map(Result::ok)
            .any(|e| e.file_name().to_string_lossy().starts_with(&pid));
        assert!(!left);
        assert_eq!(s.len(), sample.len() + 1);
        s.segments.len()
    }

    #[test]
    fn an_index_entry_is_40_bytes() {
        // What the index costs per run at 2 GiB of corpus (docs/performance.md).
        assert_eq!(std::mem::size_of::<Entry>(), 40);
    }

    #[test]
    fn a_temp_dir_inside_a_scanned_root_keeps_the_runs_in_memory() {
        let s = Spill::new(&[std::env::temp_dir()]);
        assert!(matches!(s.store, Store::Memory(_)));
        let s = Spill::new(&[PathBuf::from("/nonexistent/scan/root")]);
        assert!(matches!(s.store, Store::File(_)) || cfg!(not(unix)));
    }
}
