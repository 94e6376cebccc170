//! Reduce: merging the lists of one partition into one list with unique words.
//!
//! Every list of a partition holds unique words already (each came from one combiner), so a
//! partition fed by a single map worker needs no work at all. Otherwise the largest list is
//! kept as it is and the others are summed into it through a table (see [`reduce_partition`]).
//! A sum that would overflow a `u64` is an error, never a wrapped number.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::counters::Counters;
use crate::error::{Error, Result};
use crate::partition::Partitioner;
use crate::records::Records;
use crate::spill::{Spiller, WorkDir};
use crate::table::{CountOverflow, CountTable};

/// The reduced result of a job: each partition's unique words and counts.
pub enum Reduced {
    /// In memory, one list per partition.
    Memory(Vec<Records>),
    /// On disk, one word-sorted run per partition (after a spill, or from the procs runner);
    /// `work` keeps the directory alive until the output stage has read them.
    Disk { runs: Vec<PathBuf>, work: Arc<WorkDir> },
    /// Already written as part files by the engine that ran the job (`-r spark` with
    /// `--output-dir`, see [`crate::runner::PartFiles`]): `parts` files `part-NNNNN*` in
    /// `dir`, which the output stage adopts, or (`dir` None) committed by the engine at an
    /// `--output-dir` URL; `written` records in all.
    Written { dir: Option<PathBuf>, parts: usize, written: u64 },
}

/// Why written parts cannot be read as records: the job hands an engine the part files only
/// when nothing else needs the records (see [`crate::runner::PartFiles`]).
pub const WRITTEN: &str = "the result was written as part files by the engine; its records are not here to read";

impl Reduced {
    pub fn partitions(&self) -> usize {
        match self {
            Reduced::Memory(p) => p.len(),
            Reduced::Disk { runs, .. } => runs.len(),
            Reduced::Written { parts, .. } => *parts,
        }
    }

    /// Calls `f` with every record and its partition, partition by partition (runs on disk
    /// are streamed), until `f` fails.
    pub fn try_for_each(&self, mut f: impl FnMut(usize, &[u8], u64) -> Result<()>) -> Result<()> {
        match self {
            Reduced::Memory(partitions) => {
                for (p, records) in partitions.iter().enumerate() {
                    records.iter().try_for_each(|(k, c)| f(p, k, c))?;
                }
            }
            Reduced::Disk { runs, .. } => {
                for (p, path) in runs.iter().enumerate() {
                    let mut run = crate::runfile::RunReader::open(path)?;
                    while run.advance()? {
                        f(p, run.word(), run.count())?;
                    }
                }
            }
            Reduced::Written { .. } => return Err(Error::Job(WRITTEN.into())),
        }
        Ok(())
    }
}

/// The reduce stage of a job, for batch and online mode alike: `lists` holds, per map worker
/// (or per flush of online totals), one list per partition. With nothing spilled, the lists are
/// shuffled by partition and each partition is merged in memory; once anything is on disk,
/// everything goes there and each partition is one k-way merge of its runs, so no partition is
/// ever loaded whole. Partitions are reduced on `pool`'s threads, or in order without one.
pub fn reduce(
    lists: Vec<Vec<Records>>,
    spiller: Spiller,
    by: Partitioner,
    pool: Option<&rayon::ThreadPool>,
    counters: &mut Counters,
) -> Result<Reduced> {
    counters.reduce_partitions = by.count() as u64;
    if !spiller.spilled() {
        let reduced = in_memory(lists, by, pool)?;
        counters.distinct_words = reduced.iter().map(|r| r.len() as u64).sum();
        return Ok(Reduced::Memory(reduced));
    }
    for list in lists {
        spiller.spill_lists(list)?;
    }
    counters.spill.merge(&spiller.stats());
    let (runs, work) = spiller.into_runs().expect("spilled");
    let inputs: Vec<(usize, Vec<PathBuf>)> = runs.into_iter().enumerate().collect();
    let merge = |(p, paths): (usize, Vec<PathBuf>)| reduce_spilled_partition(work.path(), p, &paths);
    let merged = each(pool, inputs, merge).into_iter().collect::<Result<Vec<_>>>()?;
    counters.distinct_words = merged.iter().map(|(_, n)| n).sum();
    Ok(Reduced::Disk { runs: merged.into_iter().map(|(path, _)| path).collect(), work })
}

/// Shuffles the workers' lists by partition and merges each partition in memory.
pub fn in_memory(lists: Vec<Vec<Records>>, by: Partitioner, pool: Option<&rayon::ThreadPool>) -> Result<Vec<Records>> {
    let shuffled = crate::shuffle::by_partition(lists, by.count());
    let reduced = each(pool, shuffled, reduce_partition);
    reduced.into_iter().collect::<std::result::Result<Vec<_>, _>>().map_err(|e| Error::Job(e.to_string()))
}

/// Applies `f` to every item, keeping the order: on `pool`'s threads, or in order here.
pub fn each<I: Send, O: Send>(
    pool: Option<&rayon::ThreadPool>,
    items: Vec<I>,
    f: impl Fn(I) -> O + Sync + Send,
) -> Vec<O> {
    use rayon::prelude::*;
    match pool {
        Some(pool) => pool.install(|| items.into_par_iter().map(f).collect()),
        None => items.into_iter().map(f).collect(),
    }
}

/// Merges the spilled runs of partition `p` into one run in `work`, removing the inputs;
/// returns the merged run and its record count.
fn reduce_spilled_partition(work: &Path, p: usize, runs: &[PathBuf]) -> Result<(PathBuf, u64)> {
    let out = work.join(format!("reduce-{p:05}.run"));
    let records = crate::runfile::merge_files(runs, &out, work)?;
    runs.iter().for_each(|path| drop(std::fs::remove_file(path)));
    Ok((out, records))
}

/// Merges one partition's lists.
///
/// The largest list is the result's base and is never put in a table: the others are summed
/// in a table, each giving its memory back while it is summed; the base's words take their
/// sums out of the table; what is left there (words the base lacks) is appended. With 20
/// million distinct words, the first version put every list in one table and copied it out,
/// and the lists, the table and its copy were all alive at once: the job's peak. Now a
/// partition of two equal lists needs a table for half of its words, and with lists that
/// share their words (partitions of text) the table stays small.
pub fn reduce_partition(mut lists: Vec<Records>) -> Result<Records, CountOverflow> {
    let Some(largest) = (0..lists.len()).max_by_key(|&i| lists[i].len()) else { return Ok(Records::default()) };
    let mut base = lists.swap_remove(largest);
    if lists.is_empty() {
        return Ok(base);
    }
    let mut table = CountTable::with_capacity(lists.iter().map(Records::len).max().unwrap_or(0));
    let mut overflow = Ok(());
    for list in lists {
        list.drain(|word, count| {
            if let Err(e) = table.add(word, count) {
                overflow = Err(e);
            }
        });
        overflow.clone()?;
    }
    base.try_update(|word, count| {
        *count = count.checked_add(table.remove(word).unwrap_or(0)).ok_or(CountOverflow)?;
        Ok(())
    })?;
    Ok(Records::concat(vec![base, table.into_records()]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn list(pairs: &[(&str, u64)]) -> Records {
        let mut r = Records::default();
        for (w, c) in pairs {
            r.push(w.as_bytes(), *c);
        }
        r
    }

    fn sorted(r: &Records) -> BTreeMap<String, u64> {
        r.iter().map(|(w, c)| (String::from_utf8_lossy(w).into_owned(), c)).collect()
    }

    #[test]
    fn sums_counts_across_lists() {
        let out = reduce_partition(vec![list(&[("a", 1), ("b", 2)]), list(&[("b", 3), ("c", 4)])]).unwrap();
        let want: BTreeMap<String, u64> =
            [("a", 1), ("b", 5), ("c", 4)].iter().map(|(w, c)| (w.to_string(), *c)).collect();
        assert_eq!(sorted(&out), want);
    }

    #[test]
    fn single_and_empty_partitions_pass_through() {
        assert!(reduce_partition(vec![]).unwrap().is_empty());
        let one = list(&[("x", 9)]);
        assert_eq!(reduce_partition(vec![one.clone()]).unwrap(), one);
    }

    #[test]
    fn overflow_is_an_error() {
        let err = reduce_partition(vec![list(&[("x", u64::MAX)]), list(&[("x", 1)])]);
        assert_eq!(err, Err(CountOverflow));
        let err = reduce_partition(vec![list(&[("y", 1)]), list(&[("x", u64::MAX), ("y", 1)]), list(&[("x", 1)])]);
        assert_eq!(err, Err(CountOverflow));
    }

    #[test]
    fn lists_of_any_overlap_sum_to_the_reference() {
        // Three lists of different sizes that share some words, of every form (inline and
        // long), in every order: the base (largest) list must not matter.
        let word = |i: u64| format!("{}{i}", "w".repeat(i as usize % 19));
        let spans = [(0..5000u64), (3000..4000), (4500..9000)];
        let mut want: BTreeMap<String, u64> = BTreeMap::new();
        let mut lists = Vec::new();
        for (k, span) in spans.iter().enumerate() {
            let mut r = Records::default();
            for i in span.clone() {
                r.push(word(i).as_bytes(), i + k as u64);
                *want.entry(word(i)).or_default() += i + k as u64;
            }
            lists.push(r);
        }
        for rotate in 0..3 {
            let mut order = lists.clone();
            order.rotate_left(rotate);
            let out = reduce_partition(order).unwrap();
            assert_eq!(out.len(), want.len());
            assert_eq!(sorted(&out), want);
        }
    }
}
