//! The scan prefilter: one hashed window of each literal, tested at every position.
//!
//! An Aho-Corasick DFA over a few hundred case-insensitive literals walks one state per byte,
//! and each step waits for the table lookup of the one before (its tables do not fit in L1):
//! about 300 MB/s. Here every literal is represented by one 4-byte window of it (3 bytes when
//! the set has a 3-byte literal), chosen to be rare: outside the phrases the plugin writes on
//! every log line and outside common words, then by letter rarity. The haystack is tested
//! position by position: the window's bytes at a position, ASCII case folded by setting bit
//! 5 of each byte, are hashed to 16 bits and looked up in an 8 KiB bitmap. The positions are
//! independent of each other, so the CPU overlaps them, and the bitmap stays in L1. A set bit
//! is confirmed against the literals whose window hashes there (the whole literal compared,
//! ignoring ASCII case), so the filter reports exactly the literal occurrences the automaton
//! would: the same candidate lines, only sooner. Verifying a candidate line uses the same
//! windows to name the literals in it, so a line is not searched by a second automaton.
//!
//! Folding by `| 0x20` maps some non-letters together too (`@` and `` ` ``): that only adds
//! false positives, which the confirmation removes. A literal shorter than 3 bytes, or
//! holding a line break, cannot be represented; the matcher keeps the automaton for a literal
//! set with one of those (`WindowFilter::build` returns `None`).

/// Bytes in a window; a literal set with a shorter literal (down to the matcher's 3-byte
/// minimum) uses windows of that length.
const WINDOW: usize = 4;

/// Bits of the window hash (the bitmap holds `1 << HASH_BITS` bits).
const HASH_BITS: u32 = 16;

/// Text the plugin writes on every line or block of a log (`docs/format.md`, section 5): a
/// window inside one of these would match on nearly every line, so windows are chosen
/// outside them where a literal allows.
const FORMAT_PHRASES: &[&[u8]] = &[
    b"starting codex",
    b"queued for background execution.",
    b"thread ready (",
    b"turn started (",
    b"running command: ",
    b"command completed: ",
    b"command failed: ",
    b"command declined: ",
    b" (exit ",
    b"codex error: ",
    b"turn completed.",
    b"turn interrupted.",
    b"turn failed.",
    b"reviewer started:",
    b"reviewer finished.",
    b"assistant message",
    b"reasoning summary",
    b"review output",
    b"final output",
    b"running tool: ",
    b" completed.",
    b" captured: ",
];

/// Common English words, and the words of code review and test runs: a window inside one
/// of these matches in ordinary prose, so it ranks after a window outside them. A generic
/// list (the frequent words of English and of developer talk), not fitted to any corpus.
const COMMON_WORDS: &str = "that with have this will your from they know want been good much \
    some time very when come here just like long make many more only over such take than them \
    well were what there their would about which could other after first never these think \
    where being every great might shall still those under while should before through because \
    little people between without another something nothing again need does done work works \
    working also into most part made said each back call calls find found give given keep kept \
    last left look looks next open page read real same seem show shows side sure tell told \
    turn used uses using ways week word year able case days even fact hand head home life \
    line lines name needs note number order place point right small start started state \
    system thing things three until world change changes check checks tests test testing error \
    errors file files code build output input user users value values return returns request \
    requests result results status update updates missing issue issues running completed \
    failed command message thread review config server client local package packages source \
    script scripts branch commit merge default option options support problem process service \
    window session";

/// How often a (lowercased) byte occurs in English prose, log lines and shell commands, in
/// rough parts per thousand: a generic ranking (English letter frequencies; digits and the
/// punctuation of timestamps, paths and JSON as common), not fitted to any corpus.
fn commonness(b: u8) -> f64 {
    match b {
        b' ' => 160.0,
        b'e' => 100.0,
        b't' => 75.0,
        b'a' => 65.0,
        b'o' => 60.0,
        b'i' => 57.0,
        b'n' => 55.0,
        b's' => 52.0,
        b'r' => 50.0,
        b'h' => 40.0,
        b'0'..=b'9' => 40.0,
        b'l' | b'd' => 33.0,
        b'c' | b'u' => 23.0,
        b'm' | b'w' | b'f' | b'-' | b'.' | b':' => 19.0,
        b'g' | b'y' | b'p' | b'/' | b'"' => 16.0,
        b'b' | b',' | b'_' | b'\'' | b'\\' | b'[' | b']' | b'(' | b')' | b'\t' => 10.0,
        b'v' | b'k' | b'=' => 7.0,
        b'j' | b'x' | b'q' | b'z' => 1.0,
        _ => 2.0,
    }
}

/// Up to four bytes as a little-endian `u32` (missing bytes zero).
#[inline(always)]
fn load(w: &[u8]) -> u32 {
    let mut b = [0u8; 4];
    let n = w.len().min(4);
    b[..n].copy_from_slice(&w[..n]);
    u32::from_le_bytes(b)
}

/// A (folded, masked) window as a hash of [`HASH_BITS`] bits.
#[inline(always)]
fn hash(folded: u32) -> usize {
    (folded.wrapping_mul(0x9E37_79B1) >> (32 - HASH_BITS)) as usize
}

/// Sets bit 5 of every byte: ASCII letters to lower case (and a few other pairs together).
#[inline(always)]
fn fold32(w: u32) -> u32 {
    w | 0x2020_2020
}

/// Where in `literal` (lowercased) its window of `width` bytes starts: the window least
/// inside the format's phrases (each counts four) and common words (each counts one), then
/// the rarest by [`commonness`], then the first.
fn choose_window(literal: &[u8], width: usize) -> usize {
    let inside = |w: &[u8], text: &[u8]| text.windows(w.len()).any(|t| t.eq_ignore_ascii_case(w));
    let cost = |at: usize| {
        let w = &literal[at..at + width];
        let phrases = FORMAT_PHRASES.iter().filter(|p| inside(w, p)).count();
        let words = COMMON_WORDS
            .split_ascii_whitespace()
            .filter(|word| inside(w, word.as_bytes()))
            .count();
        let rarity: f64 = w
            .iter()
            .map(|&b| commonness(b.to_ascii_lowercase()).ln())
            .sum();
        (4 * phrases + words, rarity)
    };
    (0..=literal.len() - width)
        .map(|at| (cost(at), at))
        .min_by(|a, b| {
            (a.0.0.cmp(&b.0.0))
                .then(a.0.1.total_cmp(&b.0.1))
                .then(a.1.cmp(&b.1))
        })
        .map_or(0, |(_, at)| at)
}

/// One literal's window: its hash, where the window sits in the literal, which literal.
#[derive(Debug, Clone, Copy)]
struct Entry {
    hash: u32,
    offset: u32,
    literal: u32,
}

/// The hashed-window prefilter over a set of lowercased literals.
#[derive(Debug)]
pub struct WindowFilter {
    /// Bytes in a window (3 or 4).
    width: usize,
    /// Keeps the window's bytes of a 4-byte load.
    mask: u32,
    bits: Vec<u64>,
    /// Sorted by hash, for the confirmation of a set bit.
    entries: Vec<Entry>,
    literals: Vec<Vec<u8>>,
}

impl WindowFilter {
    /// The filter over `literals` (ASCII-lowercased), or `None` when one of them is
    /// shorter than 3 bytes or holds a line break (the automaton then stays the prefilter).
    pub fn build(literals: &[Vec<u8>]) -> Option<WindowFilter> {
        let shortest = literals.iter().map(Vec::len).min()?;
        if shortest < 3 || literals.iter().any(|l| l.contains(&b'\n')) {
            return None;
        }
        let width = shortest.min(WINDOW);
        let mask = if width == 4 { u32::MAX } else { 0x00FF_FFFF };
        let mut bits = vec![0u64; (1usize << HASH_BITS) / 64];
        let mut entries: Vec<Entry> = literals
            .iter()
            .enumerate()
            .map(|(i, lit)| {
                let offset = choose_window(lit, width);
                let h = hash(fold32(load(&lit[offset..offset + width])) & mask);
                bits[h / 64] |= 1 << (h % 64);
                Entry {
                    hash: h as u32,
                    offset: offset as u32,
                    literal: i as u32,
                }
            })
            .collect();
        entries.sort_by_key(|e| (e.hash, e.literal));
        Some(WindowFilter {
            width,
            mask,
            bits,
            entries,
            literals: literals.to_vec(),
        })
    }

    /// The literals, in the order given to [`WindowFilter::build`] (for comparisons in tests).
    #[cfg(test)]
    pub(crate) fn literals_for_tests(&self) -> Vec<Vec<u8>> {
        self.literals.clone()
    }

    #[inline(always)]
    fn bit(&self, h: usize) -> bool {
        self.bits[h / 64] & (1 << (h % 64)) != 0
    }

    /// The literal occurrences whose window starts at `at` (hash `h`): (start, literal).
    fn occurrences_at<'h>(
        &'h self,
        hay: &'h [u8],
        at: usize,
        h: usize,
    ) -> impl Iterator<Item = (usize, usize)> + 'h {
        let first = self.entries.partition_point(|e| (e.hash as usize) < h);
        self.entries[first..]
            .iter()
            .take_while(move |e| e.hash as usize == h)
            .filter_map(move |e| {
                let start = at.checked_sub(e.offset as usize)?;
                let lit = &self.literals[e.literal as usize];
                let found = hay.get(start..start + lit.len())?;
                found
                    .eq_ignore_ascii_case(lit)
                    .then_some((start, e.literal as usize))
            })
    }

    /// Start of the earliest literal occurrence that starts at or after `from` and whose
    /// window starts at `at` (hash `h`), if any.
    #[cold]
    fn confirm(&self, hay: &[u8], from: usize, at: usize, h: usize) -> Option<usize> {
        self.occurrences_at(hay, at, h)
            .map(|(start, _)| start)
            .filter(|&start| start >= from)
            .min()
    }

    /// Calls `found(literal)` for every occurrence of every literal in `hay` (overlapping,
    /// in order of window position; a literal found twice is reported twice).
    pub fn for_each_occurrence(&self, hay: &[u8], found: &mut dyn FnMut(usize)) {
        for (at, w) in hay.windows(self.width).enumerate() {
            let h = hash(fold32(load(w)) & self.mask);
            if self.bit(h) {
                self.occurrences_at(hay, at, h).for_each(|(_, l)| found(l));
            }
        }
    }

    /// Start of a literal occurrence at or after `from` in the first line of `hay[from..]`
    /// that holds one: every occurrence lies within one line, so the first window position
    /// (in order) that confirms is in the first such line, though not always its first
    /// occurrence.
    pub fn next(&self, hay: &[u8], from: usize) -> Option<usize> {
        let mut at = from;
        // Eight bytes at a time give the windows at four positions; a position with no set
        // bit (nearly all) costs a shift, a multiply and a bitmap load.
        while at + 8 <= hay.len() {
            let x = u64::from_le_bytes(hay[at..at + 8].try_into().ok()?) | 0x2020_2020_2020_2020;
            let m = self.mask;
            let h = [
                hash(x as u32 & m),
                hash((x >> 8) as u32 & m),
                hash((x >> 16) as u32 & m),
                hash((x >> 24) as u32 & m),
            ];
            if self.bit(h[0]) | self.bit(h[1]) | self.bit(h[2]) | self.bit(h[3]) {
                for (k, &hk) in h.iter().enumerate() {
                    if self.bit(hk)
                        && let Some(start) = self.confirm(hay, from, at + k, hk)
                    {
                        return Some(start);
                    }
                }
            }
            at += 4;
        }
        while at + self.width <= hay.len() {
            let h = hash(fold32(load(&hay[at..at + self.width])) & self.mask);
            if self.bit(h)
                && let Some(start) = self.confirm(hay, from, at, h)
            {
                return Some(start);
            }
            at += 1;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn filter(lits: &[&str]) -> WindowFilter {
        let lits: Vec<Vec<u8>> = lits.iter().map(|l| l.as_bytes().to_vec()).collect();
        WindowFilter::build(&lits).expect("literals of four bytes or more")
    }

    /// Lines holding a literal, by the filter (searching on from each hit's line end).
    fn lines_by_filter(f: &WindowFilter, hay: &[u8]) -> Vec<usize> {
        let mut out = Vec::new();
        let mut from = 0;
        while let Some(p) = f.next(hay, from) {
            let line = hay[..p].iter().filter(|&&b| b == b'\n').count();
            out.push(line);
            from = hay[p..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(hay.len(), |n| p + n + 1);
        }
        out
    }

    /// Lines holding a literal, by a plain case-insensitive search of each line.
    fn lines_by_search(lits: &[&str], hay: &[u8]) -> Vec<usize> {
        hay.split(|&b| b == b'\n')
            .enumerate()
            .filter(|(_, line)| {
                let line = line.to_ascii_lowercase();
                lits.iter()
                    .any(|l| line.windows(l.len()).any(|w| w == l.as_bytes()))
            })
            .map(|(i, _)| i)
            .collect()
    }

    #[test]
    fn windows_avoid_spaces_and_the_formats_own_phrases() {
        let at = choose_window(b"command failed: ", 4);
        assert!(
            !b"command"[..]
                .windows(4)
                .any(|w| w == &b"command failed: "[at..at + 4])
        );
        let at = choose_window(b"blocked by policy", 4);
        assert!(!b"blocked by policy"[at..at + 4].contains(&b' '));
        assert!(
            WindowFilter::build(&[b"ab".to_vec()]).is_none(),
            "too short"
        );
        assert!(
            WindowFilter::build(&[b"ab\ncd".to_vec()]).is_none(),
            "line break"
        );
    }

    #[test]
    fn finds_literals_in_any_case_at_any_offset() {
        let lits = [
            "blocked by policy",
            "createprocessasuserw failed: 1920",
            "enobufs",
        ];
        let f = filter(&lits);
        let hay =
            b"ok\nrejected: BLOCKED by Policy\nno\nx CreateProcessAsUserW failed: 1920\nENOBUFS";
        assert_eq!(lines_by_filter(&f, hay), vec![1, 3, 4]);
        assert_eq!(
            f.next(b"enob", 0),
            None,
            "a literal cut by the haystack's end"
        );
        assert_eq!(f.next(b"xxENOBUFS", 3), None, "starts before from");
        assert_eq!(f.next(b"xxENOBUFS", 2), Some(2));
    }

    #[test]
    fn a_three_byte_literal_makes_three_byte_windows() {
        let lits = ["die", "blocked by policy"];
        let f = filter(&lits);
        assert_eq!(f.width, 3);
        let hay = b"x\nthe process DIED\nblocked by POLICY\nnothing\nd\ndi";
        assert_eq!(lines_by_filter(&f, hay), lines_by_search(&lits, hay));
    }

    #[test]
    fn reports_every_occurrence_of_every_literal() {
        let f = filter(&["policy", "blocked by policy", "enobufs"]);
        let mut got = Vec::new();
        f.for_each_occurrence(b"BLOCKED BY POLICY; policy; enobuf", &mut |l| got.push(l));
        got.sort_unstable();
        assert_eq!(got, vec![0, 0, 1]);
    }

    proptest! {
        /// Exactly the lines a plain search finds, over random text built from pieces of the
        /// literals, so near misses and case changes are common.
        #[test]
        fn same_lines_as_a_plain_search(
            pieces in proptest::collection::vec(
                prop_oneof![
                    Just("Blocked by ".to_string()), Just("policy".to_string()),
                    Just("POLICY\n".to_string()), Just("enobuf".to_string()),
                    Just("s".to_string()), Just("\n".to_string()), Just("x".to_string()),
                    Just("exit -1)".to_string()), Just(" (EXIT -".to_string()),
                    "[a-z ]{0,12}",
                ],
                0..40,
            )
        ) {
            let hay = pieces.concat();
            for lits in [
                &["blocked by policy", "enobufs", "(exit -1)", "policy"][..],
                &["blocked by policy", "buf", "xit"][..],
            ] {
                let f = filter(lits);
                prop_assert_eq!(lines_by_filter(&f, hay.as_bytes()), lines_by_search(lits, hay.as_bytes()));
            }
        }
    }
}
