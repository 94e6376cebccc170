//! Lines of words: the generator that fills a block with whole lines of drawn words.

use super::rng::*;
use super::vocab::*;
use super::zipf::*;
use super::{GenSpec, Script};

/// Words per line.
pub(super) const MIN_WORDS: usize = 6;
pub(super) const MAX_WORDS: usize = 16;

/// Room for one line at the write position: the longest line (16 words of 15 bytes, a comma
/// after each, `。` and a newline) is under 300 bytes; offsets in a line are masked to 9 bits,
/// so with 16 bytes more every 16-byte store is visibly in bounds and the line's slice is the
/// only bounds check.
pub(super) const LINE_ROOM: usize = 512 + 16;
pub(super) const LINE_MASK: usize = 511;

pub(super) struct Generator {
    pub(super) latin: Vocabulary,
    pub(super) han: Vocabulary,
    pub(super) alias: Sampler,
    pub(super) script: Script,
}

impl Generator {
    pub(super) fn new(spec: &GenSpec) -> Generator {
        let mut rng = Rng::new(spec.seed, u64::MAX);
        let vocab = spec.vocab.max(1);
        // Both unit lists are always drawn, so a script's words do not depend on the other's.
        let (latin_units, han_units) = (latin_units(&mut rng), han_units(&mut rng));
        let alias = Sampler::new(spec.zipf, vocab);
        let size_for = |used: bool| if used { vocab } else { 0 };
        let latin = Vocabulary::new(&latin_units, b" ", size_for(spec.script != Script::Han), &alias.head);
        let han = Vocabulary::new(&han_units, b"", size_for(spec.script != Script::Latin), &alias.head);
        Generator { latin, han, alias, script: spec.script }
    }

    /// One block: whole lines only, at most `limit` bytes, written at the start of `out`
    /// (whose length may be larger); returns the block's length. Buffers are reused between
    /// blocks, so they are zeroed once, not once per block.
    pub(super) fn block_into(&self, seed: u64, index: u64, limit: usize, out: &mut Vec<u8>) -> usize {
        // The line that crosses `limit` is written in full, then dropped.
        if out.len() < limit + LINE_ROOM {
            out.resize(limit + LINE_ROOM, 0);
        }
        let mut rng = Rng::new(seed, index);
        let mut pos = 0;
        for line_no in index.. {
            let han = match self.script {
                Script::Latin => false,
                Script::Han => true,
                Script::Mixed => line_no % 2 == 1,
            };
            let words = MIN_WORDS + rng.below((MAX_WORDS - MIN_WORDS + 1) as u64) as usize;
            // For a Han line: a comma after word i when bits 3i..3i+3 are 0 (one time in 8).
            let commas = if han { rng.next() } else { 0 };
            let room: &mut [u8; LINE_ROOM] = (&mut out[pos..pos + LINE_ROOM]).try_into().expect("room for a line");
            let p = self.words_into(&mut rng, han, words, commas, room);
            let p = if han {
                put(room, p, FULL_STOP)
            } else {
                room[0].make_ascii_uppercase();
                room[(p - 1) & LINE_MASK] = b'.';
                p
            };
            room[p & LINE_MASK] = b'\n';
            if pos + p + 1 > limit {
                return pos;
            }
            pos += p + 1;
        }
        unreachable!("a block ends within 2^64 lines")
    }

    /// Draws a line's words and writes them (and a Han line's commas) into `room`; returns
    /// their length.
    #[inline(always)]
    pub(super) fn words_into(
        &self,
        rng: &mut Rng,
        han: bool,
        words: usize,
        commas: u64,
        room: &mut [u8; LINE_ROOM],
    ) -> usize {
        let vocabulary = if han { &self.han } else { &self.latin };
        let columns = &vocabulary.columns[..];
        let width = columns.len() as u64;
        let column_of = |r: u64| (((r >> 32) * width) >> 32) as usize;
        let mut p = 0;
        for i in 0..words {
            // The column of a draw a few words on is mostly not in L1 (the table is 256 KiB
            // at 16,384 ranks, and the output streams through the caches): fetch it now, so
            // that draw does not wait for it.
            prefetch(&columns[column_of(rng.peek(PREFETCH))]);
            // `Alias::pick`, reading the word from the chosen column.
            let r = rng.next();
            let column = columns[column_of(r)];
            let keep = u64::from((r as u32) < column.threshold).wrapping_neg();
            let word = (column.word & keep) | (columns[column.alias as usize].word & !keep);
            p = if word != 0 {
                // Its length byte lands after the word, where the next write covers it.
                let at = p & LINE_MASK;
                room[at..at + 8].copy_from_slice(&word.to_le_bytes());
                at + (word >> 56) as usize
            } else {
                put(room, p, vocabulary.compose_tail(self.alias.tail_rank(r)))
            };
            if han && i + 1 < words && (commas >> (3 * i)) & 7 == 0 {
                p = put(room, p, COMMA);
            }
        }
        p
    }
}

/// How many draws ahead [`Generator::words_into`] prefetches its column.
pub(super) const PREFETCH: u64 = 6;

/// Asks the CPU to bring `value`'s cache line in, without waiting for it.
#[inline(always)]
pub(super) fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch reads nothing and cannot fault; the address is a live reference.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>((value as *const T).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

pub(super) const COMMA: Entry = punctuation("，");
pub(super) const FULL_STOP: Entry = punctuation("。");

/// A three-byte punctuation mark as an entry.
pub(super) const fn punctuation(mark: &str) -> Entry {
    let b = mark.as_bytes();
    assert!(b.len() == 3);
    b[0] as Entry | (b[1] as Entry) << 8 | (b[2] as Entry) << 16 | 3 << 120
}

/// Writes `entry` at offset `p` of the line; returns the offset after it.
#[inline(always)]
pub(super) fn put(room: &mut [u8; LINE_ROOM], p: usize, entry: Entry) -> usize {
    let p = p & LINE_MASK;
    room[p..p + 16].copy_from_slice(&entry.to_le_bytes());
    p + (entry >> 120) as usize
}
