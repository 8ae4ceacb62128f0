//! Finished runs kept out of memory: each is serialised as it is finished and appended to a
//! temporary file in [`std::env::temp_dir`] (never inside a scanned tree; the file is
//! unlinked as soon as it is open, so nothing is left behind even on a crash), and only its
//! place in the scan's order, its offset and its id stay in memory (40 bytes and the id).
//! Reading back yields the runs in the order the reports list them.

use crate::cluster::Order;
use crate::run::Run;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

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
    /// A spill file the platform would not unlink while open (Windows): removed on drop.
    remove_on_drop: Option<PathBuf>,
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
            remove_on_drop,
        }
    }

    /// Appends one run at `order`.
    pub fn push(&mut self, run: &Run, order: Order) -> std::io::Result<()> {
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
        self.sorted = false;
        Ok(())
    }

    /// Runs held.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// No run held.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
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
            let ids = &self.ids;
            self.index.sort_unstable_by(|a, b| {
                (a.has_created, a.created)
                    .cmp(&(b.has_created, b.created))
                    .then_with(|| id_of(ids, a).cmp(id_of(ids, b)))
                    .then(a.seq.cmp(&b.seq))
                    .then(a.at.cmp(&b.at))
            });
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
        for e in &self.index {
            if !keep(id_of(&self.ids, e)) {
                continue;
            }
            let (at, len) = (&e.at, &e.len);
            let bytes: &[u8] = match &self.store {
                Store::File(file) => {
                    buf.resize(*len as usize, 0);
                    read_at(file.get_ref(), &mut buf, *at)?;
                    &buf
                }
                Store::Memory(v) => {
                    let start = *at as usize;
                    v.get(start..start + *len as usize)
                        .ok_or_else(|| std::io::Error::other("spilled run out of range"))?
                }
            };
            let run: Run = serde_json::from_slice(bytes).map_err(std::io::Error::from)?;
            f(run)?;
        }
        Ok(())
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
        if let Some(path) = self.remove_on_drop.take() {
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
        let mut s = Spill::new(&[]);
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
