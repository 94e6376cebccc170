//! `mrwc gen`: a reproducible synthetic corpus, like Hadoop's `randomtextwriter`.
//!
//! Lines of words drawn from a Zipf distribution (exponent `--zipf`) over a generated
//! vocabulary of `--vocab` words. The same arguments give the same bytes on every machine and
//! with any number of threads:
//!
//! - the vocabulary is a seeded permutation of syllables (`latin`) or of 3,000 CJK ideographs
//!   (`han`), numbered in bijective base: rank 0.. are one unit long, then two units, and so on,
//!   so frequent words are short (as in real text) and every word is distinct by construction;
//! - Zipf weights `1 / rank^s` are computed with basic IEEE arithmetic only (a hand-written
//!   `ln`/`exp`, not the platform's `powf`), then turned into Vose alias tables (one over the
//!   most frequent ranks, and for large vocabularies one over buckets of rarer ranks with
//!   rejection inside a bucket; see `Sampler` and `Tail`), small enough to stay in cache, so
//!   sampling is one random number per word and one or two table lookups;
//! - output is produced in blocks of 4 MiB; block `i` draws from its own generator seeded with
//!   `(seed, i)` and holds whole lines only, so blocks are generated in parallel and written in
//!   order. The output never exceeds `--size` and falls short of it by less than one line per
//!   block.
//!
//! Scripts: `latin` (capitalized sentences of syllable words, a period at the end), `han` (runs
//! of ideograph words with `，` and `。`, no spaces, as Chinese is written), `mixed` (each line
//! alternates between the two).

use std::io;

use rayon::prelude::*;

use crate::error::Result;
use crate::output::Sink;

/// What `mrwc gen` produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Script {
    /// Words of Latin letters, separated by spaces.
    Latin,
    /// Words of CJK ideographs, not separated (Chinese punctuation between clauses).
    Han,
    /// Lines alternating between Latin and Han.
    Mixed,
}

#[derive(Debug, Clone)]
pub struct GenSpec {
    pub size: u64,
    pub vocab: usize,
    pub zipf: f64,
    pub seed: u64,
    pub script: Script,
}

const BLOCK: usize = 4 << 20;

/// wyrand: small, fast, and good enough for text; defined here so every platform agrees.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64) -> Rng {
        let mut r = Rng(seed ^ stream.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        r.next();
        r
    }

    #[inline]
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(Self::STEP);
        Self::output(self.0)
    }

    const STEP: u64 = 0xa076_1d64_78bd_642f;

    #[inline]
    fn output(state: u64) -> u64 {
        let t = u128::from(state).wrapping_mul(u128::from(state ^ 0xe703_7ed1_a0b4_28db));
        (t as u64) ^ ((t >> 64) as u64)
    }

    /// What the `steps`-th call of `next` from now will return (the state only moves by a
    /// constant), without drawing it.
    #[inline]
    fn peek(&self, steps: u64) -> u64 {
        Self::output(self.0.wrapping_add(steps.wrapping_mul(Self::STEP)))
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; the tiny bias is irrelevant here).
    #[inline]
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i as u64 + 1) as usize);
        }
    }
}

/// Natural logarithm from basic IEEE operations only (deterministic everywhere).
fn det_ln(x: f64) -> f64 {
    debug_assert!(x > 0.0);
    // x = m * 2^e with m in [1, 2); ln x = e ln 2 + 2 atanh((m - 1) / (m + 1)).
    let bits = x.to_bits();
    let e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let m = f64::from_bits((bits & ((1 << 52) - 1)) | (1023 << 52));
    let z = (m - 1.0) / (m + 1.0);
    let z2 = z * z;
    let (mut term, mut sum) = (z, 0.0);
    for k in 0..40 {
        sum += term / f64::from(2 * k + 1);
        term *= z2;
    }
    e as f64 * std::f64::consts::LN_2 + 2.0 * sum
}

/// `e^x` from basic IEEE operations only.
fn det_exp(x: f64) -> f64 {
    // e^x = 2^k e^r with r in [-ln2/2, ln2/2].
    let k = (x / std::f64::consts::LN_2).round();
    let r = x - k * std::f64::consts::LN_2;
    let (mut term, mut sum) = (1.0, 1.0);
    for i in 1..30 {
        term *= r / f64::from(i);
        sum += term;
    }
    sum * f64::from_bits(((k as i64 + 1023) as u64) << 52)
}

/// Vose's alias table over weights: `sample` is one random number and one lookup.
struct Alias {
    /// Per column: the threshold (out of 2^32) below which the column itself is chosen, and
    /// the alias chosen otherwise.
    table: Vec<(u32, u32)>,
}

impl Alias {
    fn new(weights: &[f64]) -> Alias {
        let n = weights.len();
        let total: f64 = weights.iter().sum();
        let mut scaled: Vec<f64> = weights.iter().map(|w| w * n as f64 / total).collect();
        let mut table = vec![(u32::MAX, 0u32); n];
        let (mut small, mut large): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| scaled[i] < 1.0);
        while let (Some(s), Some(&l)) = (small.pop(), large.last()) {
            table[s] = ((scaled[s] * 4_294_967_296.0).min(4_294_967_295.0) as u32, l as u32);
            scaled[l] -= 1.0 - scaled[s];
            if scaled[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        for i in large.into_iter().chain(small) {
            table[i] = (u32::MAX, i as u32);
        }
        Alias { table }
    }

    #[cfg(test)]
    fn sample(&self, rng: &mut Rng) -> usize {
        self.pick(rng.next())
    }

    /// The index the random number `r` picks.
    #[inline]
    fn pick(&self, r: u64) -> usize {
        // Columns are fewer than 2^32, so a 64-bit multiply-shift picks one uniformly.
        let column = ((r >> 32) * self.table.len() as u64) >> 32;
        let (threshold, alias) = self.table[column as usize];
        // Without a branch: which one is taken is random, so a branch mispredicts often.
        let keep = u64::from((r as u32) < threshold).wrapping_neg();
        ((column & keep) | (u64::from(alias) & !keep)) as usize
    }
}

/// The generated vocabulary, in rank order. The word of rank `r` is the digits of its place
/// among the words of its length, in base `units.len()`, each digit written as its unit; every
/// word fits in 15 bytes (at most five two-letter syllables, or three ideographs for the sizes
/// allowed), with the separator that follows it in a line (a space for Latin words, nothing
/// for Han). A word travels as an [`Entry`]. The `HEAD` most frequent words are stored, in
/// the head sampler's columns; the rarer ones are composed when drawn, since a table of all of
/// them would be several MB, and a cache miss costs more than composing.
struct Vocabulary {
    /// The head sampler's alias table (see [`Sampler`]), with each column's own word: a draw
    /// reads its column's threshold, alias and word from one 16-byte slot, and the aliases
    /// are mostly the few heaviest ranks, whose slots stay in L1. With separate tables a draw
    /// missed the cache twice (profiled: nearly half the time went to waiting on those loads).
    /// Column `HEAD`, if any, stands for the tail: its word is the empty [`Short`] 0, and a
    /// draw that reads it takes its word from the [`Tail`] instead.
    columns: Vec<Column>,
    /// How many ranks have their word in `columns` (`HEAD`, or every rank if fewer).
    stored: usize,
    /// Written after every word: `b" "` or `b""`.
    separator: &'static [u8],
    /// Each unit as little-endian bytes, padded with zeros, and its length.
    units: Vec<(u32, u8)>,
    /// `firsts[k]`: the first rank of the words of `k + 1` units; `usize::MAX` past the
    /// longest (a word has at most five units: see `Vocabulary::new`).
    firsts: [usize; 6],
    /// `ceil(2^64 / units.len())`, for dividing by the base without a division instruction.
    reciprocal: u64,
}

/// A word and its separator as little-endian bytes (zero after the end), with their length
/// in the top byte: written out with one 16-byte store.
type Entry = u128;

/// A stored word and its separator, in at most 7 bytes, with their length in the top byte
/// (every head word is that short: three Latin syllables and a space, or two ideographs).
type Short = u64;

/// The [`Entry`] of a [`Short`].
#[inline]
fn widen(short: Short) -> Entry {
    Entry::from(short & ((1 << 56) - 1)) | Entry::from(short >> 56) << 120
}

/// A column of the head sampler's alias table, with the word of its own rank (see
/// [`Vocabulary::columns`]).
#[derive(Clone, Copy)]
#[repr(C, align(16))]
struct Column {
    /// Out of 2^32: below it the column's own rank is drawn, else its alias's.
    threshold: u32,
    alias: u32,
    word: Short,
}

impl Vocabulary {
    /// The first `size` words; `head` is the sampler's head table (unused when `size` is 0).
    fn new(units: &[String], separator: &'static [u8], size: usize, head: &Alias) -> Vocabulary {
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
    fn compose(&self, rank: usize) -> Entry {
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
    fn compose_tail(&self, rank: usize) -> Entry {
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
    fn word(&self, rank: usize) -> Vec<u8> {
        let entry = self.compose(rank);
        let n = (entry >> 120) as usize - self.separator.len();
        entry.to_le_bytes()[..n].to_vec()
    }
}

fn latin_units(rng: &mut Rng) -> Vec<String> {
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

fn han_units(rng: &mut Rng) -> Vec<String> {
    let mut units: Vec<String> =
        (0x4e00u32..0x4e00 + 3000).map(|c| char::from_u32(c).expect("CJK ideograph").to_string()).collect();
    rng.shuffle(&mut units);
    units
}

/// Zipf sampling in two levels. One alias table over all ranks would be touched at a uniformly
/// random column for every word, and at 200,000 ranks it is larger than L2: nearly every sample
/// would miss the cache. The head table covers the `HEAD` most frequent ranks plus one column
/// standing for all the others (at s = 1 the head takes 80% of the draws with 200,000 words,
/// 71% with a million; its columns, with their words, take 256 KiB, within L2, and generating
/// prefetches them a few draws ahead); only draws that land in that column go to the [`Tail`].
/// Every word takes exactly one random number, so drawing never waits for a table lookup to
/// know whether to draw again.
struct Sampler {
    head: Alias,
    tail: Option<Tail>,
}

/// Ranks per bucket of the tail.
const BUCKET: usize = 64;

/// The ranks after the head, in buckets of [`BUCKET`] consecutive ranks. A draw picks a bucket
/// from an alias table weighted by its size times the weight of its first (largest) rank, a rank
/// uniformly inside it, and keeps that rank with probability `w(rank) / w(first)`, else draws
/// again: rejection under a flat envelope, so the ranks come out exactly in proportion to their
/// weights. Past the head the weights within a bucket differ by less than `(1 + 64 / 16384)^s`,
/// so draws are almost never rejected, and the tables (8 bytes per 64 ranks, plus 4) stay in L2
/// even for millions of ranks: an alias table per rank would be a cache miss per draw.
struct Tail {
    buckets: Alias,
    /// Per bucket: `w(last) / w(first)` out of 2^32. A draw below it is kept without computing
    /// its rank's weight.
    sure: Vec<u32>,
    ranks: usize,
    zipf: f64,
}

/// The Zipf weight of the word of rank `r` (counted from 1), from basic IEEE operations only.
fn zipf_weight(s: f64, r: usize) -> f64 {
    if s == 1.0 {
        1.0 / r as f64
    } else {
        det_exp(-s * det_ln(r as f64))
    }
}

impl Tail {
    fn new(zipf: f64, ranks: usize) -> Tail {
        // Tail index j is the word of rank HEAD + j + 1 (ranks count from 1).
        let w = |j: usize| zipf_weight(zipf, HEAD + j + 1);
        let buckets = ranks.div_ceil(BUCKET);
        let envelope: Vec<f64> =
            (0..buckets).map(|b| w(b * BUCKET) * (ranks - b * BUCKET).min(BUCKET) as f64).collect();
        let sure = (0..buckets)
            .map(|b| {
                let (first, last) = (b * BUCKET, (b * BUCKET + BUCKET).min(ranks) - 1);
                (w(last) / w(first) * 4_294_967_296.0).min(4_294_967_295.0) as u32
            })
            .collect();
        Tail { buckets: Alias::new(&envelope), sure, ranks, zipf }
    }

    /// The tail index that the random number `r` (and, after a rejection, its rehashes) picks.
    #[inline]
    fn pick(&self, mut r: u64) -> usize {
        loop {
            r = mix(r);
            let bucket = self.buckets.pick(r);
            r = mix(r);
            let first = bucket * BUCKET;
            let size = (self.ranks - first).min(BUCKET) as u64;
            let j = first + (((r >> 32) * size) >> 32) as usize;
            let u = r as u32;
            if u < self.sure[bucket] || self.keeps(first, j, u) {
                return j;
            }
        }
    }

    #[cold]
    fn keeps(&self, first: usize, j: usize, u: u32) -> bool {
        let ratio = zipf_weight(self.zipf, HEAD + j + 1) / zipf_weight(self.zipf, HEAD + first + 1);
        f64::from(u) < ratio * 4_294_967_296.0
    }
}

/// splitmix64's finalizer: every output bit depends on every input bit. Turns a random number
/// whose bits have been used into a fresh one.
#[inline]
fn mix(r: u64) -> u64 {
    let mut t = r ^ (r >> 30);
    t = t.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    t ^= t >> 27;
    t = t.wrapping_mul(0x94d0_49bb_1331_11eb);
    t ^ (t >> 31)
}

const HEAD: usize = 16384;

impl Sampler {
    /// A sampler of ranks `0..ranks` (the word of rank `r + 1` in Zipf's terms) with exponent
    /// `zipf`.
    fn new(zipf: f64, ranks: usize) -> Sampler {
        let mut weights: Vec<f64> = (1..=ranks.min(HEAD)).map(|r| zipf_weight(zipf, r)).collect();
        if ranks <= HEAD {
            return Sampler { head: Alias::new(&weights), tail: None };
        }
        weights.push((HEAD + 1..=ranks).map(|r| zipf_weight(zipf, r)).sum());
        Sampler { head: Alias::new(&weights), tail: Some(Tail::new(zipf, ranks - HEAD)) }
    }

    /// A rank, from one random number: the head table's column, or for the column that
    /// stands for the tail, [`Sampler::tail_rank`] of the same number. (Generating reads the
    /// head table through [`Vocabulary::columns`], which hold the same columns.)
    #[cfg(test)]
    fn sample(&self, rng: &mut Rng) -> usize {
        let r = rng.next();
        match self.head.pick(r) {
            HEAD => self.tail_rank(r),
            rank => rank,
        }
    }

    /// The tail rank of a draw whose head rank was [`HEAD`]. The bits of `r` that chose the
    /// tail column are not random any more, so the tail rehashes `r` before using it.
    #[inline]
    fn tail_rank(&self, r: u64) -> usize {
        HEAD + self.tail.as_ref().expect("a tail draw needs a tail").pick(r)
    }
}

/// Words per line.
const MIN_WORDS: usize = 6;
const MAX_WORDS: usize = 16;

/// Room for one line at the write position: the longest line (16 words of 15 bytes, a comma
/// after each, `。` and a newline) is under 300 bytes; offsets in a line are masked to 9 bits,
/// so with 16 bytes more every 16-byte store is visibly in bounds and the line's slice is the
/// only bounds check.
const LINE_ROOM: usize = 512 + 16;
const LINE_MASK: usize = 511;

struct Generator {
    latin: Vocabulary,
    han: Vocabulary,
    alias: Sampler,
    script: Script,
}

impl Generator {
    fn new(spec: &GenSpec) -> Generator {
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
    fn block_into(&self, seed: u64, index: u64, limit: usize, out: &mut Vec<u8>) -> usize {
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
    fn words_into(&self, rng: &mut Rng, han: bool, words: usize, commas: u64, room: &mut [u8; LINE_ROOM]) -> usize {
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
const PREFETCH: u64 = 6;

/// Asks the CPU to bring `value`'s cache line in, without waiting for it.
#[inline(always)]
fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch reads nothing and cannot fault; the address is a live reference.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>((value as *const T).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

const COMMA: Entry = punctuation("，");
const FULL_STOP: Entry = punctuation("。");

/// A three-byte punctuation mark as an entry.
const fn punctuation(mark: &str) -> Entry {
    let b = mark.as_bytes();
    assert!(b.len() == 3);
    b[0] as Entry | (b[1] as Entry) << 8 | (b[2] as Entry) << 16 | 3 << 120
}

/// Writes `entry` at offset `p` of the line; returns the offset after it.
#[inline(always)]
fn put(room: &mut [u8; LINE_ROOM], p: usize, entry: Entry) -> usize {
    let p = p & LINE_MASK;
    room[p..p + 16].copy_from_slice(&entry.to_le_bytes());
    p + (entry >> 120) as usize
}

/// Writes the corpus described by `spec` to `sink`.
pub fn generate(spec: &GenSpec, sink: Sink) -> Result<()> {
    let generator = Generator::new(spec);
    let blocks = spec.size.div_ceil(BLOCK as u64);
    // Blocks generated at once: one per thread. One batch is written while the next is
    // generated, so the buffers hold `2 * batch` blocks. More would only cost page faults on
    // fresh memory: with 16 blocks per batch, a 200 MB run took 16,800 faults and 650 ms of CPU;
    // with 2 (on 2 cores), 4,500 and 580 ms.
    let batch = rayon::current_num_threads().max(1);
    let batch_into = |first: u64, buffers: &mut [(Vec<u8>, usize)]| {
        let count = (blocks - first.min(blocks)).min(batch as u64) as usize;
        buffers[..count].par_iter_mut().enumerate().for_each(|(k, (buf, len))| {
            let i = first + k as u64;
            let limit = (spec.size - i * BLOCK as u64).min(BLOCK as u64) as usize;
            *len = generator.block_into(spec.seed, i, limit, buf);
        });
        count
    };
    sink.write_one(|out| {
        let mut ready: Vec<(Vec<u8>, usize)> = (0..batch).map(|_| (Vec::new(), 0)).collect();
        let mut next: Vec<(Vec<u8>, usize)> = (0..batch).map(|_| (Vec::new(), 0)).collect();
        let mut count = batch_into(0, &mut ready);
        let mut first = 0u64;
        while count > 0 {
            first += count as u64;
            // Writing to a file is a copy into the page cache, about half as long as generating
            // the batch: done on this thread while the pool generates the next batch, instead
            // of in turn (1 GB to a file: 2.37 s before).
            let mut written = Ok(());
            let mut next_count = 0;
            rayon::in_place_scope(|scope| {
                scope.spawn(|_| next_count = batch_into(first, &mut next));
                written = ready[..count].iter().try_for_each(|(buf, len)| out.write_all(&buf[..*len]));
            });
            written?;
            std::mem::swap(&mut ready, &mut next);
            count = next_count;
        }
        io::Result::Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_math_is_close_to_libm() {
        for x in [1.0, 2.0, 3.5, 10.0, 12345.0, 199_999.0] {
            assert!((det_ln(x) - f64::ln(x)).abs() < 1e-12, "ln {x}");
        }
        for x in [-12.0, -1.0, -0.5, 0.0, 0.7, 3.0] {
            assert!((det_exp(x) / f64::exp(x) - 1.0).abs() < 1e-12, "exp {x}");
        }
    }

    #[test]
    fn vocabulary_words_are_distinct_and_grow_in_length() {
        let mut rng = Rng::new(7, 0);
        let v = vocabulary(&latin_units(&mut rng), b" ", 20_000);
        let mut seen = std::collections::HashSet::new();
        for r in 0..20_000 {
            assert!(seen.insert(v.word(r).to_vec()), "duplicate at rank {r}");
        }
        assert!(v.word(0).len() <= 2 && v.word(19_999).len() >= 5);
    }

    fn vocabulary(units: &[String], separator: &'static [u8], size: usize) -> Vocabulary {
        Vocabulary::new(units, separator, size, &Sampler::new(1.0, size).head)
    }

    #[test]
    fn composed_words_are_their_digits_in_units() {
        let mut rng = Rng::new(7, 0);
        let (latin, han) = (latin_units(&mut rng), han_units(&mut rng));
        // Every word length each script reaches, with and without a separator; the tail's
        // shortcut (one unit and a stored word) and its fallback both.
        let cases: [(&[String], &'static [u8], usize, usize); 4] = [
            (&latin, b" ", 1_000_000, 7),
            (&latin, b"", 90_000_000, 997),
            (&han, b"", 100_000, 7),
            (&han, b"", 20_000_000, 997),
        ];
        for (units, separator, size, step) in cases {
            let v = vocabulary(units, separator, size);
            let base = units.len();
            for rank in (0..size).step_by(step) {
                // The digits of the rank's place among the words of its length, least first.
                let len = v.firsts.iter().take_while(|&&f| f <= rank).count();
                let mut x = rank - v.firsts[len - 1];
                let mut want = Vec::new();
                for _ in 0..len {
                    want.extend_from_slice(units[x % base].as_bytes());
                    x /= base;
                }
                want.extend_from_slice(separator);
                let entry = v.compose(rank);
                let bytes = entry.to_le_bytes();
                assert_eq!(&bytes[..(entry >> 120) as usize], &want[..], "rank {rank}");
                assert!(bytes[want.len()..15].iter().all(|&b| b == 0), "rank {rank}: {bytes:?}");
                if rank >= HEAD {
                    assert_eq!(v.compose_tail(rank), entry, "rank {rank}");
                }
            }
        }
    }

    #[test]
    fn alias_table_follows_the_weights() {
        let alias = Alias::new(&[4.0, 2.0, 1.0, 1.0]);
        let mut rng = Rng::new(1, 2);
        let mut counts = [0u32; 4];
        for _ in 0..80_000 {
            counts[alias.sample(&mut rng)] += 1;
        }
        let share = |i: usize| f64::from(counts[i]) / 80_000.0;
        assert!((share(0) - 0.5).abs() < 0.01 && (share(1) - 0.25).abs() < 0.01, "{counts:?}");
        assert!((share(2) - 0.125).abs() < 0.01 && (share(3) - 0.125).abs() < 0.01, "{counts:?}");
    }

    impl Generator {
        fn block(&self, seed: u64, index: u64, limit: usize) -> Vec<u8> {
            let mut out = Vec::new();
            let len = self.block_into(seed, index, limit, &mut out);
            out.truncate(len);
            out
        }
    }

    #[test]
    fn two_level_sampler_keeps_the_distribution() {
        let weights: Vec<f64> = (1..=HEAD * 3).map(|r| 1.0 / r as f64).collect();
        let total: f64 = weights.iter().sum();
        let sampler = Sampler::new(1.0, weights.len());
        let mut rng = Rng::new(5, 5);
        let n = 400_000;
        let (mut first, mut tail, mut tail_start, mut tail_end) = (0u32, 0u32, 0u32, 0u32);
        for _ in 0..n {
            match sampler.sample(&mut rng) {
                0 => first += 1,
                r if r >= HEAD => {
                    tail += 1;
                    // The tail's rank comes from the rehashed draw: its shape is checked too.
                    tail_start += u32::from(r < HEAD + 1000);
                    tail_end += u32::from(r >= 2 * HEAD);
                }
                _ => {}
            }
        }
        let share = |ranks: std::ops::Range<usize>| weights[ranks].iter().sum::<f64>() / total;
        let close = |count: u32, want: f64| (f64::from(count) / n as f64 - want).abs() < 0.002;
        assert!(close(first, 1.0 / total), "{first}");
        assert!(close(tail, share(HEAD..weights.len())), "{tail}");
        assert!(close(tail_start, share(HEAD..HEAD + 1000)), "{tail_start}");
        assert!(close(tail_end, share(2 * HEAD..weights.len())), "{tail_end}");
    }

    #[test]
    fn blocks_hold_whole_lines_within_the_limit() {
        let spec = GenSpec { size: 0, vocab: 1000, zipf: 1.0, seed: 3, script: Script::Mixed };
        let g = Generator::new(&spec);
        for (i, limit) in [(0u64, 10_000usize), (1, 10_000), (2, 50)] {
            let block = g.block(3, i, limit);
            assert!(block.len() <= limit);
            assert!(block.is_empty() || block.ends_with(b"\n"));
            assert!(std::str::from_utf8(&block).is_ok());
        }
        assert_eq!(g.block(3, 1, 10_000), g.block(3, 1, 10_000));
        assert_ne!(g.block(3, 1, 10_000), g.block(3, 2, 10_000));
    }
}
