//! Spilling: the job's work directory, and tables written out as sorted runs.
//!
//! When a map worker's table passes its share of `--max-memory` (the arithmetic is all in
//! [`crate::budget`]), its driver spills it here as one word-sorted run per partition. A
//! partition never has more than [`MAX_RUNS`] spilled runs: past that its oldest are merged.
//!
//! ```text
//!  table > spill_at ──► into_partitions ──► sort each ──► WORK/spill-N-pP.run ──► empty table
//! ```
//!
//! Once anything has spilled, every worker's remaining table is written the same way and each
//! partition is reduced by a k-way merge of its runs ([`crate::runfile::merge_files`], in passes
//! bounded by the open-file limit), so no partition is ever loaded whole. The output stage then
//! reads the reduced runs as streams (see `output::external`).
//!
//! The work directory `--tmp-dir/mrwc-job-XXXXXXXXXX` is created on the first spill only, and
//! is removed on success, failure and SIGINT/SIGTERM. One left by a run killed outright is
//! removed by `mrwc clean`, never by a later job (see [`WorkDir`]).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use crate::error::{Error, Result};
use crate::owner::{self, Owned};
use crate::partition::Partitioner;
use crate::records::{Records, SortKey};
use crate::runfile::{self, Order};
use crate::table::CountTable;

/// Runs of one partition kept before the oldest [`COMPACT`] of them are merged into one: at
/// most this many spilled runs per partition exist at any time, whatever the budget.
pub const MAX_RUNS: usize = 128;
pub const COMPACT: usize = 64;

/// A job's work directory `mrwc-job-*`, owned by this process (see [`crate::owner`]): removed
/// when dropped, and on SIGINT/SIGTERM. One left by a run killed outright keeps its name and
/// loses its lock; `mrwc clean` removes it. A job never removes other runs' leftovers itself,
/// so they cannot delay it.
pub struct WorkDir(Option<Owned>);

impl WorkDir {
    pub fn create(tmp: &Path) -> Result<WorkDir> {
        let dir = Owned::dir(tmp, owner::WORK_DIR).map_err(|e| Error::temp_dir(tmp, &e))?;
        Ok(WorkDir(Some(dir)))
    }

    pub fn path(&self) -> &Path {
        self.0.as_ref().expect("owned until dropped").path()
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if let Some(dir) = self.0.take() {
            dir.remove_or_warn("the work directory");
        }
    }
}

/// Spill counters, for `--stats`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SpillStats {
    pub spills: u64,
    pub records: u64,
    pub bytes: u64,
}

impl SpillStats {
    pub fn merge(&mut self, other: &SpillStats) {
        self.spills += other.spills;
        self.records += other.records;
        self.bytes += other.bytes;
    }
}

/// Writes lists of records (one per partition) as word-sorted runs named by `name(p)` in `dir`;
/// empty lists write nothing. Returns the runs written, per partition, and what was spilled.
pub fn write_runs(
    lists: Vec<Records>,
    dir: &Path,
    name: impl Fn(usize) -> String,
) -> Result<(Vec<Option<PathBuf>>, SpillStats)> {
    let mut stats = SpillStats { spills: 1, ..SpillStats::default() };
    let mut paths = Vec::with_capacity(lists.len());
    for (p, mut records) in lists.into_iter().enumerate() {
        if records.is_empty() {
            paths.push(None);
            continue;
        }
        let path = dir.join(name(p));
        stats.records += records.len() as u64;
        records.sort(SortKey::Word, false);
        stats.bytes += runfile::write_file(&path, Order::Word, records.iter())?;
        paths.push(Some(path));
    }
    Ok((paths, stats))
}

/// Merges `runs` into one run `dir/name`, removing them; returns the new run.
pub fn compact(runs: &[PathBuf], dir: &Path, name: &str) -> Result<PathBuf> {
    let out = dir.join(name);
    runfile::merge_files(runs, &out, dir)?;
    runs.iter().for_each(|r| drop(std::fs::remove_file(r)));
    Ok(out)
}

/// The in-process runners' spill area: a lazily created work directory and the runs written
/// so far, per partition.
pub struct Spiller {
    tmp: PathBuf,
    by: Partitioner,
    work: OnceLock<Arc<WorkDir>>,
    next: AtomicU64,
    runs: Mutex<(Vec<Vec<PathBuf>>, SpillStats)>,
}

impl Spiller {
    pub fn new(tmp: &Path, by: Partitioner) -> Spiller {
        Spiller {
            tmp: tmp.to_path_buf(),
            by,
            work: OnceLock::new(),
            next: AtomicU64::new(0),
            runs: Mutex::new((vec![Vec::new(); by.count()], SpillStats::default())),
        }
    }

    fn work(&self) -> Result<&Arc<WorkDir>> {
        if let Some(w) = self.work.get() {
            return Ok(w);
        }
        let created = Arc::new(WorkDir::create(&self.tmp)?);
        Ok(self.work.get_or_init(|| created))
    }

    /// Whether anything was spilled so far.
    pub fn spilled(&self) -> bool {
        self.work.get().is_some()
    }

    /// Writes a table as one sorted run per partition and records them.
    pub fn spill_table(&self, table: CountTable) -> Result<()> {
        self.spill_lists(table.into_partitions(self.by))
    }

    /// Writes one list per partition as sorted runs and records them. A partition that reaches
    /// [`MAX_RUNS`] runs has its oldest [`COMPACT`] merged into one (by the spilling worker,
    /// outside the lock), as Hadoop merges map-side spills past `io.sort.factor`.
    pub fn spill_lists(&self, lists: Vec<Records>) -> Result<()> {
        let work = self.work()?;
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let (paths, stats) = write_runs(lists, work.path(), |p| format!("spill-{n:06}-p{p:05}.run"))?;
        let mut full = Vec::new();
        {
            let mut guard = self.runs.lock().unwrap_or_else(|p| p.into_inner());
            for (p, path) in paths.into_iter().enumerate() {
                guard.0[p].extend(path);
                if guard.0[p].len() >= MAX_RUNS {
                    full.push((p, guard.0[p].drain(..COMPACT).collect::<Vec<_>>()));
                }
            }
            guard.1.merge(&stats);
        }
        for (p, runs) in full {
            let merged = compact(&runs, work.path(), &format!("compact-{n:06}-p{p:05}.run"))?;
            self.runs.lock().unwrap_or_else(|p| p.into_inner()).0[p].push(merged);
        }
        Ok(())
    }

    pub fn stats(&self) -> SpillStats {
        self.runs.lock().unwrap_or_else(|p| p.into_inner()).1
    }

    /// The runs of each partition, and the work directory that holds them.
    pub fn into_runs(self) -> Option<(Vec<Vec<PathBuf>>, Arc<WorkDir>)> {
        let work = self.work.into_inner()?;
        let runs = self.runs.into_inner().unwrap_or_else(|p| p.into_inner()).0;
        Some((runs, work))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spilled_tables_become_sorted_runs_per_partition() {
        let tmp = tempfile::tempdir().unwrap();
        let spiller = Spiller::new(tmp.path(), Partitioner::hash(3));
        assert!(!spiller.spilled());
        for round in 0..2u64 {
            let mut table = CountTable::default();
            for i in 0..100u64 {
                table.add(format!("w{i}").as_bytes(), round + 1).unwrap();
            }
            spiller.spill_table(table).unwrap();
        }
        let stats = spiller.stats();
        assert_eq!((stats.spills, stats.records), (2, 200));
        let (runs, work) = spiller.into_runs().unwrap();
        let mut total = 0;
        for (p, paths) in runs.iter().enumerate() {
            assert_eq!(paths.len(), 2);
            for path in paths {
                let mut r = runfile::RunReader::open(path).unwrap();
                while r.advance().unwrap() {
                    assert_eq!(crate::partition::partition_of(r.word(), 3), p);
                    total += r.count();
                }
            }
        }
        assert_eq!(total, 300);
        let dir = work.path().to_path_buf();
        drop(work);
        assert!(!dir.exists(), "work directory left behind");
    }

    #[test]
    fn an_unusable_tmp_dir_is_an_error() {
        let spiller = Spiller::new(Path::new("/proc"), Partitioner::hash(1));
        let err = spiller.spill_table(CountTable::default()).unwrap_err().to_string();
        assert!(err.starts_with("/proc: "), "{err}");
    }
}
