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

mod alias;
mod lines;
mod rng;
mod vocab;
mod zipf;

use lines::*;

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
    use super::{alias::*, rng::*, vocab::*, zipf::*};

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
