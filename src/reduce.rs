//! Reduce: merging the lists of one partition into one list with unique words.
//!
//! Every list of a partition holds unique words already (each came from one combiner), so a
//! partition fed by a single map worker needs no work at all. Otherwise the lists are summed in
//! a table sized for the largest of them. A sum that would overflow a `u64` is an error, never
//! a wrapped number.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::records::Records;
use crate::spill::WorkDir;
use crate::table::{CountOverflow, CountTable};

/// The reduced result of a job: each partition's unique words and counts.
pub enum Reduced {
    /// In memory, one list per partition.
    Memory(Vec<Records>),
    /// On disk, one word-sorted run per partition (after a spill, or from the procs runner);
    /// `work` keeps the directory alive until the output stage has read them.
    Disk { runs: Vec<PathBuf>, work: Arc<WorkDir> },
}

impl Reduced {
    pub fn partitions(&self) -> usize {
        match self {
            Reduced::Memory(p) => p.len(),
            Reduced::Disk { runs, .. } => runs.len(),
        }
    }
}

/// Merges the spilled runs of partition `p` into one run in `work`, removing the inputs;
/// returns the merged run and its record count.
pub fn reduce_spilled_partition(work: &Path, p: usize, runs: &[PathBuf]) -> crate::error::Result<(PathBuf, u64)> {
    let out = work.join(format!("reduce-{p:05}.run"));
    let records = crate::runfile::merge_files(runs, &out, work)?;
    runs.iter().for_each(|path| drop(std::fs::remove_file(path)));
    Ok((out, records))
}

/// Merges one partition's lists.
pub fn reduce_partition(mut lists: Vec<Records>) -> Result<Records, CountOverflow> {
    match lists.len() {
        0 => return Ok(Records::default()),
        1 => return Ok(lists.pop().expect("one list")),
        _ => {}
    }
    let largest = lists.iter().map(Records::len).max().unwrap_or(0);
    let mut table = CountTable::with_capacity(largest + largest / 2);
    for list in &lists {
        for (word, count) in list.iter() {
            table.add(word, count)?;
        }
    }
    Ok(table.into_records())
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
    }
}
