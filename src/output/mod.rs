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

use clap::ValueEnum;

pub use commit::Sink;
pub(crate) use dir::{already_exists, check_replaceable};
pub use format::{Column, ColumnList, Format, RecordWriter, Row};
pub use target::{check as check_target, link_target, parent_dir, OutputTarget};

use crate::error::Result;
use crate::records::{Records, SortKey};
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

/// How many records ahead [`write_records`] fetches a long word from its arena.
const AHEAD_WORDS: usize = 16;

/// Filters, selects and orders one list of records in place (see [`Records::sort`]: the
/// records are their own sort keys, so ordering 20 million of them takes no memory besides
/// them).
pub fn arrange(records: &mut Records, spec: &OutputSpec) {
    if spec.min_count > 1 {
        records.retain(|_, count| count >= spec.min_count);
    }
    if let Some(n) = spec.top.filter(|&n| n < records.len()) {
        records.select_first(n, SortKey::CountThenWord);
        if spec.sort == SortOrder::None {
            // Unordered is allowed, but the top N in count order is more useful and cheap.
            records.sort(SortKey::CountThenWord, spec.parallel);
        }
    }
    match spec.sort {
        // Df needs --df, whose output is rows.
        SortOrder::Count | SortOrder::Df => records.sort(SortKey::CountThenWord, spec.parallel),
        SortOrder::Word => records.sort(SortKey::Word, spec.parallel),
        SortOrder::None => {}
    }
}

/// Writes the result to the sink: one stream, or one part file per partition.
/// The records in memory are ordered in place, so the result is consumed.
pub fn write(reduced: Reduced, spec: &OutputSpec, sink: Sink) -> Result<u64> {
    if spec.rows() {
        return rows::write(&reduced, spec, sink);
    }
    match (reduced, sink) {
        (Reduced::Memory(partitions), sink) => write_records_of(partitions, spec, sink),
        (Reduced::Disk { runs, work }, sink) => external::write(&runs, work.path(), spec, sink),
        (Reduced::Written { dir: Some(dir), parts, written }, Sink::Dir(commit)) => {
            commit.adopt(&dir, parts).map(|()| written)
        }
        (Reduced::Written { dir: None, written, .. }, Sink::Url { .. }) => Ok(written),
        (Reduced::Written { .. }, _) => Err(crate::error::Error::Job(crate::reduce::WRITTEN.into())),
    }
}

/// Which of `n` records in one global order part `i` of `parts` holds under `--total-order`:
/// consecutive ranges whose sizes differ by one at most.
pub(crate) fn total_order_part(i: usize, parts: usize, n: u64) -> std::ops::Range<u64> {
    let at = |i: usize| (u128::from(n) * i as u128 / parts as u128) as u64;
    at(i)..at(i + 1)
}

fn write_records_of(partitions: Vec<Records>, spec: &OutputSpec, sink: Sink) -> Result<u64> {
    match sink {
        Sink::Dir(commit) if spec.total_order => {
            let mut records = Records::concat(partitions);
            arrange(&mut records, spec);
            let (parts, n) = (spec.partitioner.count(), records.len() as u64);
            commit.commit(parts, |i, out| {
                let range = total_order_part(i, parts, n);
                write_records(out, &records, range.start as usize..range.end as usize, spec.format)
            })?;
            Ok(n)
        }
        Sink::Dir(commit) => {
            let parts = arrange_by_partition(partitions, spec);
            let written = parts.iter().map(|p| p.len() as u64).sum();
            commit.commit(parts.len(), |i, out| write_records(out, &parts[i], 0..parts[i].len(), spec.format))?;
            Ok(written)
        }
        sink => {
            let mut records = Records::concat(partitions);
            arrange(&mut records, spec);
            sink.write_one(|out| write_records(out, &records, 0..records.len(), spec.format))?;
            Ok(records.len() as u64)
        }
    }
}

/// One partition's records as `--output-dir` writes its part file, without `--top` (a global
/// choice, made before: see `arrange_by_partition`); returns the records written. Spark's
/// executors write their part files through it (`mrwc part`), so a part written on a cluster
/// has the bytes of one written here.
pub fn write_part(mut records: Records, spec: &OutputSpec, out: &mut dyn std::io::Write) -> std::io::Result<u64> {
    arrange(&mut records, &OutputSpec { top: None, ..*spec });
    write_records(out, &records, 0..records.len(), spec.format)?;
    Ok(records.len() as u64)
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

fn write_records(
    out: &mut dyn std::io::Write,
    records: &Records,
    range: std::ops::Range<usize>,
    format: Format,
) -> std::io::Result<()> {
    let mut w = RecordWriter::new(out, format, format::WORD_COUNT)?;
    for i in range.clone() {
        // A long word is in the arena, where sorted records point all over: with millions of
        // words, copying each waited on memory for a fifth of a job (20M distinct words).
        if i + AHEAD_WORDS < range.end {
            records.prefetch_long_word(i + AHEAD_WORDS);
        }
        let (word, count) = records.get(i);
        w.write(word, count)?;
    }
    w.finish().map(drop)
}

/// Each partition's records, ordered on their own, for part files. `--top` is global: the N
/// most frequent words of the whole job, each written in its own partition's file, found as the
/// least of them in count order, which every kept record is at or before.
fn arrange_by_partition(mut partitions: Vec<Records>, spec: &OutputSpec) -> Vec<Records> {
    let last: Option<(u64, Vec<u8>)> = spec.top.and_then(|n| {
        let mut top = Records::default();
        for (w, c) in partitions.iter().flat_map(Records::iter).filter(|&(_, c)| c >= spec.min_count) {
            top.push(w, c);
            if top.len() >= n.saturating_mul(2).saturating_add(1024) {
                top.select_first(n, SortKey::CountThenWord);
            }
        }
        top.select_first(n, SortKey::CountThenWord);
        top.sort(SortKey::CountThenWord, false);
        top.iter().last().map(|(w, c)| (c, w.to_vec()))
    });
    let part_spec = OutputSpec { top: None, ..*spec };
    for p in &mut partitions {
        if let Some((count, word)) = &last {
            p.retain(|w, c| c > *count || (c == *count && w <= word.as_slice()));
        }
        arrange(p, &part_spec);
    }
    partitions
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

    fn words(records: &Records) -> Vec<String> {
        records.iter().map(|(w, c)| format!("{}:{c}", String::from_utf8_lossy(w))).collect()
    }

    /// All partitions in one list, arranged as the output stage does for one stream.
    fn arranged(spec: &OutputSpec) -> Vec<String> {
        let mut all = Records::concat(parts());
        arrange(&mut all, spec);
        words(&all)
    }

    #[test]
    fn count_order_breaks_ties_by_word() {
        assert_eq!(arranged(&spec(SortOrder::Count, None, 1)), ["c:5", "a:2", "b:2", "y:1", "z:1"]);
    }

    #[test]
    fn word_order_is_bytewise() {
        assert_eq!(arranged(&spec(SortOrder::Word, None, 1)), ["a:2", "b:2", "c:5", "y:1", "z:1"]);
    }

    #[test]
    fn top_keeps_the_most_frequent_then_sorts() {
        assert_eq!(arranged(&spec(SortOrder::Count, Some(2), 1)), ["c:5", "a:2"]);
        assert_eq!(arranged(&spec(SortOrder::Word, Some(3), 1)), ["a:2", "b:2", "c:5"]);
        assert_eq!(arranged(&spec(SortOrder::None, Some(1), 1)), ["c:5"]);
        assert_eq!(arranged(&spec(SortOrder::Count, Some(99), 1)).len(), 5);
    }

    #[test]
    fn min_count_filters_before_top() {
        assert_eq!(arranged(&spec(SortOrder::Count, None, 2)), ["c:5", "a:2", "b:2"]);
        assert_eq!(arranged(&spec(SortOrder::Count, Some(5), 3)), ["c:5"]);
    }

    #[test]
    fn per_partition_arrangement_applies_a_global_top() {
        let got = arrange_by_partition(parts(), &spec(SortOrder::Count, Some(2), 1));
        assert_eq!(got.iter().map(words).collect::<Vec<_>>(), vec![vec!["a:2"], vec!["c:5"]]);
        let got = arrange_by_partition(parts(), &spec(SortOrder::Word, Some(3), 2));
        assert_eq!(got.iter().map(words).collect::<Vec<_>>(), vec![vec!["a:2", "b:2"], vec!["c:5"]]);
    }
}
