//! The generated vocabulary: words numbered in bijective base over syllables or ideographs,
//! the most frequent stored in the sampler's columns, the rarer composed when drawn.

use super::alias::*;
use super::rng::*;
use super::zipf::*;

/// The generated vocabulary, in rank order. The word of rank `r` is the digits of its place
/// among the words of its length, in base `units.len()`, each digit written as its unit; every
/// word fits in 15 bytes (at most five two-letter syllables, or three ideographs for the sizes
/// allowed), with the separator that follows it in a line (a space for Latin words, nothing
/// for Han). A word travels as an [`Entry`]. The `HEAD` most frequent words are stored, in
/// the head sampler's columns; the rarer ones are composed when drawn, since a table of all of
/// them would be several MB, and a cache miss costs more than composing.
pub(super) struct Vocabulary {
    /// The head sampler's alias table (see [`Sampler`]), with each column's own word: a draw
    /// reads its column's threshold, alias and word from one 16-byte slot, and the aliases
    /// are mostly the few heaviest ranks, whose slots stay in L1. With separate tables a draw
    /// missed the cache twice (profiled: nearly half the time went to waiting on those loads).
    /// Column `HEAD`, if any, stands for the tail: its word is the empty [`Short`] 0, and a
    /// draw that reads it takes its word from the [`Tail`] instead.
    pub(super) columns: Vec<Column>,
    /// How many ranks have their word in `columns` (`HEAD`, or every rank if fewer).
    pub(super) stored: usize,
    /// Written after every word: `b" "` or `b""`.
    pub(super) separator: &'static [u8],
    /// Each unit as little-endian bytes, padded with zeros, and its length.
    pub(super) units: Vec<(u32, u8)>,
    /// `firsts[k]`: the first rank of the words of `k + 1` units; `usize::MAX` past the
    /// longest (a word has at most five units: see `Vocabulary::new`).
    pub(super) firsts: [usize; 6],
    /// `ceil(2^64 / units.len())`, for dividing by the base without a division instruction.
    pub(super) reciprocal: u64,
}

/// A word and its separator as little-endian bytes (zero after the end), with their length
/// in the top byte: written out with one 16-byte store.
pub(super) type Entry = u128;

/// A stored word and its separator, in at most 7 bytes, with their length in the top byte
/// (every head word is that short: three Latin syllables and a space, or two ideographs).
pub(super) type Short = u64;

/// The [`Entry`] of a [`Short`].
#[inline]
pub(super) fn widen(short: Short) -> Entry {
    Entry::from(short & ((1 << 56) - 1)) | Entry::from(short >> 56) << 120
}

/// A column of the head sampler's alias table, with the word of its own rank (see
/// [`Vocabulary::columns`]).
#[derive(Clone, Copy)]
#[repr(C, align(16))]
pub(super) struct Column {
    /// Out of 2^32: below it the column's own rank is drawn, else its alias's.
    pub(super) threshold: u32,
    pub(super) alias: u32,
    pub(super) word: Short,
}

impl Vocabulary {
    /// The first `size` words; `head` is the sampler's head table (unused when `size` is 0).
    pub(super) fn new(units: &[String], separator: &'static [u8], size: usize, head: &Alias) -> Vocabulary {
        let base = units.len();
        let units: Vec<(u32, u8)> = units
            .iter()
            .map(|u| {
                let mut padded = [0u8; 4];
                padded[..u.len()].copy_from_slice(u.as_bytes());
                (u32::from_le_bytes(padded), u.len() as u8)
            })
            .collect();
        let mut firsts = [usize::MAX; 6];
        let (mut lengths, mut first, mut count) = (1, 0, base);
        firsts[0] = 0;
        while first + count < size {
            first += count;
            firsts[lengths] = first;
            lengths += 1;
            count = count.saturating_mul(base);
        }
        let longest = units.iter().map(|u| usize::from(u.1)).max().unwrap_or(0) * lengths;
        assert!(longest + separator.len() < 16, "generated words and separators fit in 15 bytes");
        let reciprocal = (u64::MAX / base as u64).wrapping_add(1);
        let mut v = Vocabulary { columns: Vec::new(), stored: 0, separator, units, firsts, reciprocal };
        if size == 0 {
            return v;
        }
        assert_eq!(head.table.len(), size.min(HEAD + 1), "one column per stored rank, and the tail's");
        v.columns = head.table.iter().map(|&(threshold, alias)| Column { threshold, alias, word: 0 }).collect();
        // Each word is composed from shorter ones already stored (see `compose`).
        for rank in 0..size.min(HEAD) {
            let entry = v.compose(rank);
            let len = (entry >> 120) as u64;
            assert!(len < 8, "a head word and its separator fit in 7 bytes");
            v.columns[rank].word = entry as u64 & ((1 << 56) - 1) | len << 56;
            v.stored += 1;
        }
        v
    }

    /// The entry of the word of `rank`. A word of `k` units whose place among them is `x` is
    /// the unit of digit `x % base` followed by the word of `k - 1` units at place `x / base`:
    /// units are peeled off the front until the rest is a stored (head) word or a single unit.
    /// A tail word thus costs one or two divisions and a lookup, not one per unit.
    #[inline]
    pub(super) fn compose(&self, rank: usize) -> Entry {
        let base = self.units.len() as u64;
        let (mut prefix, mut prefix_len) = (0 as Entry, 0);
        let mut rank = rank;
        let rest = loop {
            if rank < self.stored {
                break widen(self.columns[rank].word);
            }
            let len = self.firsts.iter().filter(|&&f| f <= rank).count();
            let x = (rank - self.firsts[len - 1]) as u64;
            // Ranks are below 2^32 (--vocab is checked), so dividing by the base is a multiply
            // by ceil(2^64 / base) and a shift: exact for every x below 2^64 / base^2.
            let q = ((u128::from(x) * u128::from(self.reciprocal)) >> 64) as u64;
            let (unit, unit_len) = self.units[(x - q * base) as usize];
            if len == 1 {
                let mut entry = Entry::from(unit);
                for (k, &b) in self.separator.iter().enumerate() {
                    entry |= Entry::from(b) << (8 * (usize::from(unit_len) + k));
                }
                break entry | ((usize::from(unit_len) + self.separator.len()) as Entry) << 120;
            }
            prefix |= Entry::from(unit) << (8 * prefix_len);
            prefix_len += usize::from(unit_len);
            rank = self.firsts[len - 2] + q as usize;
        };
        let rest_len = (rest >> 120) as usize;
        let bytes = (rest & ((1 << 120) - 1)) << (8 * prefix_len) | prefix;
        bytes | ((prefix_len + rest_len) as Entry) << 120
    }

    /// [`Vocabulary::compose`] for a tail rank, whose word is nearly always one unit and a
    /// stored word (a three-syllable Latin word, or two ideographs, for vocabularies up to
    /// about 900,000): that case takes one multiply-divide and a lookup, and assembles the
    /// entry in two 64-bit halves (a 128-bit shift by a variable amount is several
    /// instructions and a branch).
    #[inline(always)]
    pub(super) fn compose_tail(&self, rank: usize) -> Entry {
        let len = self.firsts.iter().filter(|&&f| f <= rank).count();
        if len >= 2 {
            let x = (rank - self.firsts[len - 1]) as u64;
            let q = ((u128::from(x) * u128::from(self.reciprocal)) >> 64) as u64;
            let rest = self.firsts[len - 2] + q as usize;
            if rest < self.stored {
                let (unit, unit_len) = self.units[(x - q * self.units.len() as u64) as usize];
                let word = self.columns[rest].word;
                let bytes = word & ((1 << 56) - 1);
                // 8 to 24 bits: both shifts are in range.
                let shift = 8 * u32::from(unit_len);
                let low = u64::from(unit) | bytes << shift;
                let high = bytes >> (64 - shift) | ((word >> 56) + u64::from(unit_len)) << 56;
                return Entry::from(low) | Entry::from(high) << 64;
            }
        }
        self.compose(rank)
    }

    #[cfg(test)]
    pub(super) fn word(&self, rank: usize) -> Vec<u8> {
        let entry = self.compose(rank);
        let n = (entry >> 120) as usize - self.separator.len();
        entry.to_le_bytes()[..n].to_vec()
    }
}

pub(super) fn latin_units(rng: &mut Rng) -> Vec<String> {
    let mut units: Vec<String> = Vec::new();
    for c in "bcdfghjklmnprstvwz".chars() {
        for v in "aeiou".chars() {
            units.push(format!("{c}{v}"));
        }
    }
    for v in "aeiouy".chars() {
        units.push(v.to_string());
    }
    rng.shuffle(&mut units);
    units
}

pub(super) fn han_units(rng: &mut Rng) -> Vec<String> {
    let mut units: Vec<String> =
        (0x4e00u32..0x4e00 + 3000).map(|c| char::from_u32(c).expect("CJK ideograph").to_string()).collect();
    rng.shuffle(&mut units);
    units
}
