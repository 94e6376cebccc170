//! Rows: the output of a job whose records need more than a word and a count, that is with
//! `--by-file`, `--df` or `--columns` other than `word,count`.
//!
//! ```text
//!  reduced partitions (keys with a header, see crate::keys)
//!    │ fold: one row per (file, word), or per word: count = sum of its occurrence records;
//!    │       df = the files it has records in, or the sum of its line records
//!    │ rank: in count order (count descending, then word) within each file, before any filter
//!    │ --min-count, then --top N per file (the N most frequent), then --sort within each file
//!    ▼
//!  rows in file order (input order) ─► one stream, or distributed to part files by the word's
//!                                      partition, each part keeping that order
//! ```
//!
//! `share` is the row's count over all tokens counted (after the filters), in the row's file
//! with `--by-file`. Rows are built in memory: a result that a spill or the procs runner left
//! on disk is read back, and a result larger than the memory budget is an error rather than an
//! unbounded allocation (the plain `word,count` output streams from disk instead).

use std::cmp::Ordering;
use std::io::Write;

use rayon::slice::ParallelSliceMut;

use super::{OutputSpec, RecordWriter, Row, Sink, SortOrder};
use crate::error::{Error, Result};
use crate::keys::{Tag, Tally};
use crate::records::Records;
use crate::reduce::Reduced;
use crate::table::CountOverflow;

/// One folded row: its file's index (0 without `--by-file`), word, count, documents, rank.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Folded<'a> {
    file: u32,
    word: &'a [u8],
    count: u64,
    df: u64,
    rank: u64,
    share: f64,
}

impl<'a> Folded<'a> {
    /// The row as formats see it, its file named from `names`.
    fn row(&self, names: &'a [Vec<u8>]) -> Row<'a> {
        let file = names.get(self.file as usize).map_or(&b"-"[..], Vec::as_slice);
        Row { file, word: self.word, count: self.count, share: self.share, rank: self.rank, df: self.df }
    }
}

/// Writes the rows of `reduced` to the sink; returns the rows written.
pub fn write(reduced: &Reduced, spec: &OutputSpec, sink: Sink) -> Result<u64> {
    let loaded;
    let partitions: &[Records] = match reduced {
        Reduced::Memory(p) => p,
        Reduced::Disk { .. } => {
            loaded = load(reduced, spec.budget.bytes())?;
            &loaded
        }
        Reduced::Written { .. } => return Err(crate::error::Error::Job(crate::reduce::WRITTEN.into())),
    };
    let rows = arrange(partitions, spec)?;
    let columns = spec.columns.as_slice();
    let write_rows = |out: &mut dyn Write, rows: &mut dyn Iterator<Item = &Folded<'_>>| -> std::io::Result<()> {
        let mut w = RecordWriter::new(out, spec.format, columns)?;
        for r in rows {
            w.write_row(&r.row(spec.names))?;
        }
        w.finish().map(drop)
    };
    match sink {
        Sink::Dir(commit) => {
            // Each part keeps the rows' order; one pass sorts them out (up to 100,000 parts).
            let parts = spec.partitioner.count();
            let mut by_part: Vec<Vec<&Folded>> = vec![Vec::new(); parts];
            for r in &rows {
                by_part[crate::partition::partition_of(r.word, parts)].push(r);
            }
            commit.commit(parts, |i, out| write_rows(out, &mut by_part[i].iter().copied()))?;
        }
        sink => sink.write_one(|out| write_rows(out, &mut rows.iter()))?,
    }
    Ok(rows.len() as u64)
}

/// Reads the partitions' runs back, failing when they hold more than `budget` bytes.
fn load(reduced: &Reduced, budget: usize) -> Result<Vec<Records>> {
    let mut out: Vec<Records> = (0..reduced.partitions()).map(|_| Records::default()).collect();
    let mut held = 0usize;
    reduced.try_for_each(|p, key, count| {
        out[p].push(key, count);
        held = held.saturating_add(key.len() + 24);
        if held > budget {
            return Err(Error::Usage(format!(
                "--by-file, --df and --columns hold the result in memory, and it is larger than \
                 --max-memory ({budget} bytes); raise --max-memory"
            )));
        }
        Ok(())
    })?;
    Ok(out)
}

/// The rows of all partitions, folded, ranked, filtered and ordered (see the module's notes).
fn arrange<'a>(partitions: &'a [Records], spec: &OutputSpec) -> Result<Vec<Folded<'a>>> {
    let mut rows: Vec<Folded<'a>> = Vec::new();
    for p in partitions {
        rows.extend(fold(p, spec)?);
    }
    let by_count = |a: &Folded, b: &Folded| a.file.cmp(&b.file).then(b.count.cmp(&a.count)).then(a.word.cmp(b.word));
    sort(&mut rows, by_count, spec.parallel);
    // Rank and share per file: the rows of a file are together now.
    let mut start = 0;
    while start < rows.len() {
        let file = rows[start].file;
        let end = start + rows[start..].iter().position(|r| r.file != file).unwrap_or(rows.len() - start);
        let total: u64 = rows[start..end].iter().map(|r| r.count).sum();
        for (i, r) in rows[start..end].iter_mut().enumerate() {
            r.rank = i as u64 + 1;
            r.share = r.count as f64 / total as f64;
        }
        start = end;
    }
    rows.retain(|r| r.count >= spec.min_count && spec.top.is_none_or(|n| r.rank <= n as u64));
    match spec.sort {
        SortOrder::Count | SortOrder::None => {}
        SortOrder::Word => sort(&mut rows, |a, b| a.file.cmp(&b.file).then(a.word.cmp(b.word)), spec.parallel),
        SortOrder::Df => {
            sort(&mut rows, |a, b| a.file.cmp(&b.file).then(b.df.cmp(&a.df)).then(by_count(a, b)), spec.parallel)
        }
    }
    Ok(rows)
}

fn sort<T: Send>(rows: &mut [T], cmp: impl Fn(&T, &T) -> Ordering + Sync, parallel: bool) {
    if parallel {
        rows.par_sort_unstable_by(cmp);
    } else {
        rows.sort_unstable_by(cmp);
    }
}

/// The rows of one partition: its records grouped by (file, word) (by word without
/// `--by-file`); all of a word's records are in the partition (the partitioner hashes the word).
fn fold<'a>(records: &'a Records, spec: &OutputSpec) -> Result<Vec<Folded<'a>>> {
    let keys = spec.keys;
    let mut parts: Vec<(u32, &[u8], Tag, u64)> = records
        .iter()
        .map(|(key, value)| {
            let (doc, tag, word) = keys.split(key);
            (if keys.by_file { doc } else { 0 }, word, tag, value)
        })
        .collect();
    parts.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)));
    let mut rows: Vec<Folded<'a>> = Vec::new();
    for (file, word, tag, value) in parts {
        let same = rows.last().is_some_and(|r| r.file == file && r.word == word);
        if !same {
            rows.push(Folded { file, word, count: 0, df: 0, rank: 0, share: 0.0 });
        }
        let row = rows.last_mut().expect("a row");
        let mut tally = Tally { count: row.count, df: row.df };
        keys.tally(&mut tally, tag, value).ok_or_else(|| Error::Job(CountOverflow.to_string()))?;
        (row.count, row.df) = (tally.count, tally.df);
    }
    // A word with line records only cannot exist: a line that holds it counts it too.
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{Docs, Keys};

    fn key(keys: Keys, file: usize, tag: Tag, word: &str) -> Vec<u8> {
        let mut k = keys.header(file, tag).to_vec();
        k.extend_from_slice(word.as_bytes());
        k
    }

    fn spec(keys: Keys, sort: SortOrder, top: Option<usize>, min_count: u64) -> OutputSpec<'static> {
        OutputSpec::for_tests(keys, sort, top, min_count)
    }

    fn show(rows: &[Folded]) -> Vec<String> {
        rows.iter()
            .map(|r| format!("{}:{}:{}:df{}:r{}", r.file, String::from_utf8_lossy(r.word), r.count, r.df, r.rank))
            .collect()
    }

    #[test]
    fn by_file_ranks_filters_and_sorts_within_each_file() {
        let keys = Keys { by_file: true, df: None };
        let mut p = Records::default();
        for (file, word, count) in [(1, "b", 1), (0, "a", 2), (1, "a", 5), (0, "b", 2), (0, "c", 1)] {
            p.push(&key(keys, file, Tag::Occurrences, word), count);
        }
        let parts = [p];
        let got = arrange(&parts, &spec(keys, SortOrder::Count, None, 1)).unwrap();
        assert_eq!(show(&got), ["0:a:2:df0:r1", "0:b:2:df0:r2", "0:c:1:df0:r3", "1:a:5:df0:r1", "1:b:1:df0:r2"]);
        assert_eq!(got[3].share, 5.0 / 6.0);
        let got = arrange(&parts, &spec(keys, SortOrder::Word, Some(1), 1)).unwrap();
        assert_eq!(show(&got), ["0:a:2:df0:r1", "1:a:5:df0:r1"]);
        let got = arrange(&parts, &spec(keys, SortOrder::Count, None, 2)).unwrap();
        assert_eq!(show(&got), ["0:a:2:df0:r1", "0:b:2:df0:r2", "1:a:5:df0:r1"]);
    }

    #[test]
    fn document_frequency_counts_files_or_lines() {
        let files = Keys { by_file: false, df: Some(Docs::Files) };
        let mut p = Records::default();
        for (file, word, count) in [(0, "a", 3), (2, "a", 1), (1, "b", 7)] {
            p.push(&key(files, file, Tag::Occurrences, word), count);
        }
        let got = arrange(std::slice::from_ref(&p), &spec(files, SortOrder::Df, None, 1)).unwrap();
        assert_eq!(show(&got), ["0:a:4:df2:r2", "0:b:7:df1:r1"]);

        let lines = Keys { by_file: false, df: Some(Docs::Lines) };
        let mut p = Records::default();
        for (tag, word, count) in [(Tag::Occurrences, "a", 5), (Tag::Lines, "a", 2), (Tag::Occurrences, "b", 1)] {
            p.push(&key(lines, 0, tag, word), count);
        }
        p.push(&key(lines, 0, Tag::Lines, "b"), 1);
        let got = arrange(std::slice::from_ref(&p), &spec(lines, SortOrder::Count, None, 1)).unwrap();
        assert_eq!(show(&got), ["0:a:5:df2:r1", "0:b:1:df1:r2"]);
    }
}
