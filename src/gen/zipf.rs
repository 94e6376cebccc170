//! Zipf sampling over a large vocabulary: an alias table over the most frequent ranks and, for
//! rarer ones, over buckets of ranks with rejection inside a bucket.

use super::alias::*;
use super::rng::*;

/// Zipf sampling in two levels. One alias table over all ranks would be touched at a uniformly
/// random column for every word, and at 200,000 ranks it is larger than L2: nearly every sample
/// would miss the cache. The head table covers the `HEAD` most frequent ranks plus one column
/// standing for all the others (at s = 1 the head takes 80% of the draws with 200,000 words,
/// 71% with a million; its columns, with their words, take 256 KiB, within L2, and generating
/// prefetches them a few draws ahead); only draws that land in that column go to the [`Tail`].
/// Every word takes exactly one random number, so drawing never waits for a table lookup to
/// know whether to draw again.
pub(super) struct Sampler {
    pub(super) head: Alias,
    pub(super) tail: Option<Tail>,
}

/// Ranks per bucket of the tail.
pub(super) const BUCKET: usize = 64;

/// The ranks after the head, in buckets of [`BUCKET`] consecutive ranks. A draw picks a bucket
/// from an alias table weighted by its size times the weight of its first (largest) rank, a rank
/// uniformly inside it, and keeps that rank with probability `w(rank) / w(first)`, else draws
/// again: rejection under a flat envelope, so the ranks come out exactly in proportion to their
/// weights. Past the head the weights within a bucket differ by less than `(1 + 64 / 16384)^s`,
/// so draws are almost never rejected, and the tables (8 bytes per 64 ranks, plus 4) stay in L2
/// even for millions of ranks: an alias table per rank would be a cache miss per draw.
pub(super) struct Tail {
    pub(super) buckets: Alias,
    /// Per bucket: `w(last) / w(first)` out of 2^32. A draw below it is kept without computing
    /// its rank's weight.
    pub(super) sure: Vec<u32>,
    pub(super) ranks: usize,
    pub(super) zipf: f64,
}

/// The Zipf weight of the word of rank `r` (counted from 1), from basic IEEE operations only.
pub(super) fn zipf_weight(s: f64, r: usize) -> f64 {
    if s == 1.0 {
        1.0 / r as f64
    } else {
        det_exp(-s * det_ln(r as f64))
    }
}

impl Tail {
    pub(super) fn new(zipf: f64, ranks: usize) -> Tail {
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
    pub(super) fn pick(&self, mut r: u64) -> usize {
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
    pub(super) fn keeps(&self, first: usize, j: usize, u: u32) -> bool {
        let ratio = zipf_weight(self.zipf, HEAD + j + 1) / zipf_weight(self.zipf, HEAD + first + 1);
        f64::from(u) < ratio * 4_294_967_296.0
    }
}

/// splitmix64's finalizer: every output bit depends on every input bit. Turns a random number
/// whose bits have been used into a fresh one.
#[inline]
pub(super) fn mix(r: u64) -> u64 {
    let mut t = r ^ (r >> 30);
    t = t.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    t ^= t >> 27;
    t = t.wrapping_mul(0x94d0_49bb_1331_11eb);
    t ^ (t >> 31)
}

pub(super) const HEAD: usize = 16384;

impl Sampler {
    /// A sampler of ranks `0..ranks` (the word of rank `r + 1` in Zipf's terms) with exponent
    /// `zipf`.
    pub(super) fn new(zipf: f64, ranks: usize) -> Sampler {
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
    pub(super) fn sample(&self, rng: &mut Rng) -> usize {
        let r = rng.next();
        match self.head.pick(r) {
            HEAD => self.tail_rank(r),
            rank => rank,
        }
    }

    /// The tail rank of a draw whose head rank was [`HEAD`]. The bits of `r` that chose the
    /// tail column are not random any more, so the tail rehashes `r` before using it.
    #[inline]
    pub(super) fn tail_rank(&self, r: u64) -> usize {
        HEAD + self.tail.as_ref().expect("a tail draw needs a tail").pick(r)
    }
}
