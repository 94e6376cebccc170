//! Output: ordering the reduced records, formatting them and committing the result.
//!
//! The order is what makes output byte-for-byte deterministic whatever the runner, the number
//! of workers, the chunk size or the partition count: `--sort count` (the default) orders by
//! count descending, then by the word's bytes ascending; `--sort word` by the word's bytes.
//! Words are unique after reduce, so these orders are total. `--sort none` writes records in
//! partition order, which is cheapest but unspecified.
//!
//! `--min-count` filters first; `--top N` then keeps the N most frequent words (ties broken by
//! word), whatever `--sort` says, and `--sort` orders what is kept.

mod commit;
mod dir;
mod external;
pub mod format;
mod rows;
mod target;

use std::cmp::Ordering;
use std::collections::HashSet;

use clap::ValueEnum;
use rayon::slice::ParallelSliceMut;

pub use commit::Sink;
pub(crate) use dir::{already_exists, check_replaceable};
pub use format::{Column, ColumnList, Format, RecordWriter, Row};
pub use target::{check as check_target, link_target, parent_dir, OutputTarget};

use crate::error::Result;
use crate::records::Records;
use crate::reduce::Reduced;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SortOrder {
    /// Count descending, ties by word (bytewise ascending).
    Count,
    /// Word, bytewise ascending.
    Word,
    /// Document frequency descending, then as count (with --df).
    Df,
    /// No order (cheapest).
    None,
}

/// What the output stage does with the reduced partitions.
#[derive(Debug, Clone, Copy)]
pub struct OutputSpec<'a> {
    pub sort: SortOrder,
    pub top: Option<usize>,
    pub min_count: u64,
    pub format: Format,
    /// Sort with rayon (inside the runner's pool) rather than on the calling thread.
    pub parallel: bool,
    /// The job's memory budget: bounds the sort buffers when the result is on disk.
    pub budget: crate::budget::Budget,
    /// What the reduced keys hold (see [`crate::keys`]).
    pub keys: crate::keys::Keys,
    pub columns: ColumnList,
    /// The inputs' names, by index in the plan, for the `file` column.
    pub names: &'a [Vec<u8>],
    /// The job's partitioner: part files of rows follow its partitions.
    pub partitioner: crate::partition::Partitioner,
    /// `--total-order` (with `--sort word`, plain records): the part files hold consecutive
    /// ranges of the one word order, cut into parts of nearly equal numbers of records,
    /// instead of the partitions.
    pub total_order: bool,
}

impl OutputSpec<'_> {
    /// A spec for unit tests: tsv, one partition, sequential, a 1 GiB budget, word and count.
    #[cfg(test)]
    pub(crate) fn for_tests(keys: crate::keys::Keys, sort: SortOrder, top: Option<usize>, min_count: u64) -> Self {
        OutputSpec {
            sort,
            top,
            min_count,
            format: Format::Tsv,
            parallel: false,
            budget: crate::budget::Budget::given(1 << 30, false),
            keys,
            columns: ColumnList::default(),
            names: &[],
            partitioner: crate::partition::Partitioner::hash(1),
            total_order: false,
        }
    }

    /// Whether records become rows with more than a word and a count (see `rows.rs`).
    fn rows(&self) -> bool {
        !plain_records(self.keys, self.columns)
    }
}

/// Whether the output is plain `word`/`count` records (no rows with more than a word and a
/// count): what an engine can write from its `word<TAB>count` totals alone.
pub fn plain_records(keys: crate::keys::Keys, columns: ColumnList) -> bool {
    keys.plain() && columns == ColumnList::default()
}

pub type Record<'a> = (&'a [u8], u64);

/// How many records ahead [`write_records`] fetches a word.
const AHEAD_WORDS: usize = 16;

fn by_count(a: &Record, b: &Record) -> Ordering {
    b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0))
}

/// Sorts by `(major(record), word)`. Each record is sorted with one 128-bit integer: its major
/// key, offset by the smallest so that it takes only the bits its range needs, above as many
/// leading bytes of its word as fit in the rest (16 in word order or when all majors are equal,
/// 13 for counts up to a million). Most comparisons are then one integer compare instead of a
/// `memcmp` through two pointers: profiling the output stage of 28,000 words showed the
/// comparisons at nearly all of its time, and with 8 bytes of prefix, 20 million distinct words
/// such as `w12345678` tied on nearly every compare (4 s of a 6.3 s job).
fn sort(records: &mut [Record], major: fn(&Record) -> u64, parallel: bool) {
    let (least, most) = records.iter().map(major).fold((u64::MAX, 0), |(lo, hi), m| (lo.min(m), hi.max(m)));
    let major_bits = 64 - most.saturating_sub(least).leading_zeros();
    let prefix_bytes = ((128 - major_bits) / 8) as usize;
    let prefix = |w: &[u8]| {
        let mut bytes = [0u8; 16];
        let n = w.len().min(prefix_bytes);
        bytes[..n].copy_from_slice(&w[..n]);
        u128::from_be_bytes(bytes) >> (8 * (16 - prefix_bytes))
    };
    // Zero padding keeps the order: a word that ends inside the prefix sorts before a longer
    // one with the same bytes, or ties with one that continues with zero bytes, and the full
    // comparison decides.
    let key = |r: &Record| match prefix_bytes {
        16 => prefix(r.0),
        _ => u128::from(major(r) - least) << (8 * prefix_bytes) | prefix(r.0),
    };
    // The key as two u64s, high half first: the same order as the u128, but 8-byte aligned, so
    // an entry is 40 bytes, not 48 (20 million of them: 160 MB less, and less to move).
    let split = |k: u128| ((k >> 64) as u64, k as u64);
    let mut keyed: Vec<((u64, u64), Record)> = records.iter().map(|r| (split(key(r)), *r)).collect();
    let cmp = |a: &((u64, u64), Record), b: &((u64, u64), Record)| a.0.cmp(&b.0).then_with(|| a.1 .0.cmp(b.1 .0));
    if parallel {
        keyed.par_sort_unstable_by(cmp);
    } else {
        keyed.sort_unstable_by(cmp);
    }
    for (slot, (_, record)) in records.iter_mut().zip(keyed) {
        *slot = record;
    }
}

/// The major sort key of count order: larger counts first.
fn count_major(r: &Record) -> u64 {
    u64::MAX - r.1
}

/// Word order has no major key.
fn word_major(_: &Record) -> u64 {
    0
}

/// Filters, selects and orders the records of all partitions.
pub fn arrange<'a>(partitions: &'a [Records], spec: &OutputSpec) -> Vec<Record<'a>> {
    let mut records: Vec<Record> =
        partitions.iter().flat_map(Records::iter).filter(|&(_, count)| count >= spec.min_count).collect();
    if let Some(n) = spec.top.filter(|&n| n < records.len()) {
        records.select_nth_unstable_by(n - 1, by_count);
        records.truncate(n);
        if spec.sort == SortOrder::None {
            // Unordered is allowed, but the top N in count order is more useful and cheap.
            sort(&mut records, count_major, spec.parallel);
        }
    }
    match spec.sort {
        // Df needs --df, whose output is rows.
        SortOrder::Count | SortOrder::Df => sort(&mut records, count_major, spec.parallel),
        SortOrder::Word => sort(&mut records, word_major, spec.parallel),
        SortOrder::None => {}
    }
    records
}

/// Writes the result to the sink: one stream, or one part file per partition.
pub fn write(reduced: &Reduced, spec: &OutputSpec, sink: Sink) -> Result<u64> {
    if spec.rows() {
        return rows::write(reduced, spec, sink);
    }
    match (reduced, sink) {
        (Reduced::Memory(partitions), sink) => write_records_of(partitions, spec, sink),
        (Reduced::Disk { runs, work }, sink) => external::write(runs, work.path(), spec, sink),
        (&Reduced::Written { dir: Some(ref dir), parts, written }, Sink::Dir(commit)) => {
            commit.adopt(dir, parts).map(|()| written)
        }
        (&Reduced::Written { dir: None, written, .. }, Sink::Url { .. }) => Ok(written),
        (Reduced::Written { .. }, _) => Err(crate::error::Error::Job(crate::reduce::WRITTEN.into())),
    }
}

/// Which of `n` records in one global order part `i` of `parts` holds under `--total-order`:
/// consecutive ranges whose sizes differ by one at most.
pub(crate) fn total_order_part(i: usize, parts: usize, n: u64) -> std::ops::Range<u64> {
    let at = |i: usize| (u128::from(n) * i as u128 / parts as u128) as u64;
    at(i)..at(i + 1)
}

fn write_records_of(partitions: &[Records], spec: &OutputSpec, sink: Sink) -> Result<u64> {
    match sink {
        Sink::Dir(commit) if spec.total_order => {
            let records = arrange(partitions, spec);
            let (parts, n) = (spec.partitioner.count(), records.len() as u64);
            commit.commit(parts, |i, out| {
                let range = total_order_part(i, parts, n);
                write_records(out, &records[range.start as usize..range.end as usize], spec.format)
            })?;
            Ok(n)
        }
        Sink::Dir(commit) => {
            let parts = arrange_by_partition(partitions, spec);
            let written = parts.iter().map(|p| p.len() as u64).sum();
            commit.commit(parts.len(), |i, out| write_records(out, &parts[i], spec.format))?;
            Ok(written)
        }
        sink => {
            let records = arrange(partitions, spec);
            sink.write_one(|out| write_records(out, &records, spec.format))?;
            Ok(records.len() as u64)
        }
    }
}

/// One partition's records as `--output-dir` writes its part file, without `--top` (a global
/// choice, made before: see [`arrange_by_partition`]); returns the records written. Spark's
/// executors write their part files through it (`mrwc part`), so a part written on a cluster
/// has the bytes of one written here.
pub fn write_part(records: &Records, spec: &OutputSpec, out: &mut dyn std::io::Write) -> std::io::Result<u64> {
    let arranged = arrange(std::slice::from_ref(records), &OutputSpec { top: None, ..*spec });
    write_records(out, &arranged, spec.format)?;
    Ok(arranged.len() as u64)
}

/// The flags of `mrwc part` that write a part file as `spec` does, for [`plain_records`].
pub fn part_args(spec: &OutputSpec) -> Vec<String> {
    debug_assert!(!spec.rows(), "an engine writes plain records only");
    let name = |v: Option<clap::builder::PossibleValue>| v.expect("no skipped variants").get_name().to_string();
    vec![
        "--sort".into(),
        name(spec.sort.to_possible_value()),
        "--format".into(),
        name(spec.format.to_possible_value()),
        "--min-count".into(),
        spec.min_count.to_string(),
    ]
}

fn write_records(out: &mut dyn std::io::Write, records: &[Record], format: Format) -> std::io::Result<()> {
    let mut w = RecordWriter::new(out, format, format::WORD_COUNT)?;
    for (i, &(word, count)) in records.iter().enumerate() {
        // Sorted records point all over their partitions' arenas: with millions of words,
        // copying each word waited on memory for a fifth of a job (20M distinct words).
        if let Some(&(later, _)) = records.get(i + AHEAD_WORDS) {
            crate::table::prefetch(later.as_ptr());
        }
        w.write(word, count)?;
    }
    w.finish().map(drop)
}

/// Each partition's records, ordered on their own, for part files. `--top` is global: the N
/// most frequent words of the whole job, each written in its own partition's file.
fn arrange_by_partition<'a>(partitions: &'a [Records], spec: &OutputSpec) -> Vec<Vec<Record<'a>>> {
    let keep: Option<HashSet<&[u8]>> =
        spec.top.map(|_| arrange(partitions, spec).into_iter().map(|(word, _)| word).collect());
    let part_spec = OutputSpec { top: None, ..*spec };
    partitions
        .iter()
        .map(|p| {
            let mut records = arrange(std::slice::from_ref(p), &part_spec);
            if let Some(keep) = &keep {
                records.retain(|(word, _)| keep.contains(word));
            }
            records
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts() -> Vec<Records> {
        let mut a = Records::default();
        for (w, c) in [("b", 2), ("a", 2), ("z", 1)] {
            a.push(w.as_bytes(), c);
        }
        let mut b = Records::default();
        for (w, c) in [("c", 5), ("y", 1)] {
            b.push(w.as_bytes(), c);
        }
        vec![a, b]
    }

    fn spec(sort: SortOrder, top: Option<usize>, min_count: u64) -> OutputSpec<'static> {
        OutputSpec::for_tests(crate::keys::Keys::default(), sort, top, min_count)
    }

    fn words(records: &[Record]) -> Vec<String> {
        records.iter().map(|(w, c)| format!("{}:{c}", String::from_utf8_lossy(w))).collect()
    }

    #[test]
    fn count_order_breaks_ties_by_word() {
        let p = parts();
        assert_eq!(words(&arrange(&p, &spec(SortOrder::Count, None, 1))), ["c:5", "a:2", "b:2", "y:1", "z:1"]);
    }

    #[test]
    fn word_order_is_bytewise() {
        let p = parts();
        assert_eq!(words(&arrange(&p, &spec(SortOrder::Word, None, 1))), ["a:2", "b:2", "c:5", "y:1", "z:1"]);
    }

    #[test]
    fn prefix_keys_sort_like_full_comparison() {
        // Zero bytes, words that end inside the 8-byte prefix, and words that differ after it.
        let words: [&[u8]; 14] = [
            b"a",
            b"a\0",
            b"a\0\0",
            b"a\0b",
            b"ab",
            b"",
            b"abcdefgh",
            b"abcdefgh\0",
            b"abcdefghi",
            b"abcdefghh",
            b"\xff",
            b"\xff\0",
            b"zzzzzzzzzzzz",
            b"zzzzzzzzzzz",
        ];
        let mut records: Vec<Record> = Vec::new();
        for (i, w) in words.iter().enumerate() {
            records.push((w, (i % 3) as u64));
        }
        for parallel in [false, true] {
            let mut got = records.clone();
            sort(&mut got, count_major, parallel);
            let mut want = records.clone();
            want.sort_by(by_count);
            assert_eq!(got, want);
            sort(&mut got, word_major, parallel);
            want.sort_by(|a, b| a.0.cmp(b.0));
            assert_eq!(got, want);
        }
    }

    #[test]
    fn prefix_keys_of_every_width_sort_like_full_comparison() {
        // Count ranges that leave 16, 15, 13, 8 and 8 bytes of prefix (all equal, under 256,
        // about a million, a full 64-bit range, one huge count), over words from a small
        // alphabet with zero bytes, up to 20 bytes: ties within and past every prefix width.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let words: Vec<Vec<u8>> =
            (0..3000).map(|_| (0..next() % 21).map(|_| b"\0ab"[(next() % 3) as usize]).collect()).collect();
        let ranges: [(u64, u64); 5] = [(7, 7), (1, 200), (1, 1_000_000), (0, u64::MAX), (1, 3)];
        for (r, &(lo, hi)) in ranges.iter().enumerate() {
            let mut records: Vec<Record> =
                words.iter().map(|w| (w.as_slice(), if hi == lo { lo } else { lo + next() % (hi - lo) })).collect();
            if r == 4 {
                records[0].1 = u64::MAX;
            }
            for parallel in [false, true] {
                let mut got = records.clone();
                sort(&mut got, count_major, parallel);
                let mut want = records.clone();
                want.sort_by(by_count);
                assert_eq!(got, want, "counts {lo}..{hi}");
                sort(&mut got, word_major, parallel);
                assert!(got.windows(2).all(|p| p[0].0 <= p[1].0), "word order, counts {lo}..{hi}");
                // Equal words may come in any order; the records are the same.
                want.sort_by(|a, b| a.0.cmp(b.0).then(a.1.cmp(&b.1)));
                got.sort_by(|a, b| a.0.cmp(b.0).then(a.1.cmp(&b.1)));
                assert_eq!(got, want);
            }
        }
    }

    #[test]
    fn top_keeps_the_most_frequent_then_sorts() {
        let p = parts();
        assert_eq!(words(&arrange(&p, &spec(SortOrder::Count, Some(2), 1))), ["c:5", "a:2"]);
        assert_eq!(words(&arrange(&p, &spec(SortOrder::Word, Some(3), 1))), ["a:2", "b:2", "c:5"]);
        assert_eq!(words(&arrange(&p, &spec(SortOrder::None, Some(1), 1))), ["c:5"]);
        assert_eq!(arrange(&p, &spec(SortOrder::Count, Some(99), 1)).len(), 5);
    }

    #[test]
    fn min_count_filters_before_top() {
        let p = parts();
        assert_eq!(words(&arrange(&p, &spec(SortOrder::Count, None, 2))), ["c:5", "a:2", "b:2"]);
        assert_eq!(words(&arrange(&p, &spec(SortOrder::Count, Some(5), 3))), ["c:5"]);
    }

    #[test]
    fn per_partition_arrangement_applies_a_global_top() {
        let p = parts();
        let got = arrange_by_partition(&p, &spec(SortOrder::Count, Some(2), 1));
        assert_eq!(got.iter().map(|r| words(r)).collect::<Vec<_>>(), vec![vec!["a:2"], vec!["c:5"]]);
    }
}
