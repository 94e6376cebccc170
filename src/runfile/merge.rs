//! Merging sorted runs: a k-way merge that sums the counts of equal words, in passes bounded by
//! the open-file limit when there are more runs than one pass may open.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use super::{Order, RunReader, RunWriter};
use crate::error::{Error, Result};

/// Merges runs of one order, summing the counts of equal words; calls `emit` once per word, in
/// the runs' order, until it returns `false`. A sum over `u64` is an error.
pub fn merge<R: Read>(mut runs: Vec<RunReader<R>>, mut emit: impl FnMut(&[u8], u64) -> Result<bool>) -> Result<()> {
    // A binary min-heap of run indices, ordered by each run's current word.
    let mut heap: Vec<usize> = Vec::with_capacity(runs.len());
    for (i, run) in runs.iter_mut().enumerate() {
        if run.advance()? {
            heap.push(i);
        }
    }
    let order = runs.first().map_or(Order::Word, RunReader::order);
    if runs.iter().any(|r| r.order() != order) {
        return Err(Error::Job("cannot merge runs of different orders".into()));
    }
    let less = |runs: &[RunReader<R>], a: usize, b: usize| {
        order.before((runs[a].word(), runs[a].count()), (runs[b].word(), runs[b].count()))
    };
    let sift_down = |heap: &mut Vec<usize>, runs: &[RunReader<R>], mut at: usize| loop {
        let (l, r) = (2 * at + 1, 2 * at + 2);
        let mut min = at;
        if l < heap.len() && less(runs, heap[l], heap[min]) {
            min = l;
        }
        if r < heap.len() && less(runs, heap[r], heap[min]) {
            min = r;
        }
        if min == at {
            return;
        }
        heap.swap(at, min);
        at = min;
    };
    for at in (0..heap.len() / 2).rev() {
        sift_down(&mut heap, &runs, at);
    }
    let mut word: Vec<u8> = Vec::new();
    let mut total: Option<u64> = None;
    while let Some(&top) = heap.first() {
        let run = &runs[top];
        match total {
            Some(t) if run.word() == word.as_slice() => {
                total = Some(t.checked_add(run.count()).ok_or_else(|| {
                    Error::Job(format!("count overflow: the total for one word exceeds {}", u64::MAX))
                })?);
            }
            _ => {
                if let Some(t) = total {
                    if !emit(&word, t)? {
                        return Ok(());
                    }
                }
                word.clear();
                word.extend_from_slice(run.word());
                total = Some(run.count());
            }
        }
        if runs[top].advance()? {
            sift_down(&mut heap, &runs, 0);
        } else {
            let last = heap.pop().expect("not empty");
            if !heap.is_empty() {
                heap[0] = last;
                sift_down(&mut heap, &runs, 0);
            }
        }
    }
    if let Some(t) = total {
        emit(&word, t)?;
    }
    Ok(())
}

/// A name for a scratch run in a directory shared by concurrent merges (reducers run in
/// parallel in one work directory): unique within the process.
pub fn scratch_name(what: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    format!("{what}-{:06}.run", NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
}

/// How many runs one merge pass opens at once: at most 64, and few enough to stay well inside
/// the open-file limit (`ulimit -n`), since each open run is a descriptor.
pub fn fan_in() -> usize {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes the struct it is given and nothing else.
    let soft = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 { limit.rlim_cur } else { 256 };
    (soft.saturating_sub(16) / 2).clamp(2, 64) as usize
}

/// Merges the runs at `inputs` into one run at `out`, in passes of at most [`fan_in`] runs
/// (intermediate runs go to `scratch` and are removed); returns the records written.
pub fn merge_files(inputs: &[std::path::PathBuf], out: &Path, scratch: &Path) -> Result<u64> {
    let order = match inputs.first() {
        Some(p) => RunReader::open(p)?.order(),
        None => Order::Word,
    };
    write_merged(out, order, |emit| merge_paths(inputs, scratch, emit))
}

/// Merges the runs at `inputs` and streams the result to `emit` (which may stop it by
/// returning `false`), first merging in passes of at most [`fan_in`] runs into `scratch` when
/// there are more inputs than that.
pub fn merge_paths(
    inputs: &[std::path::PathBuf],
    scratch: &Path,
    emit: impl FnMut(&[u8], u64) -> Result<bool>,
) -> Result<()> {
    let fan_in = fan_in();
    let mut level: Vec<std::path::PathBuf> = inputs.to_vec();
    let mut pass = 0;
    while level.len() > fan_in {
        let mut next = Vec::with_capacity(level.len().div_ceil(fan_in));
        for (i, group) in level.chunks(fan_in).enumerate() {
            let path = scratch.join(scratch_name(&format!("merge-{pass}-{i}")));
            merge_group(group, &path)?;
            next.push(path);
        }
        if pass > 0 {
            level.iter().for_each(|p| drop(std::fs::remove_file(p)));
        }
        level = next;
        pass += 1;
    }
    let readers = level.iter().map(|p| RunReader::open(p)).collect::<Result<Vec<_>>>();
    let merged = readers.and_then(|readers| merge(readers, emit));
    if pass > 0 {
        level.iter().for_each(|p| drop(std::fs::remove_file(p)));
    }
    merged
}

fn merge_group(paths: &[std::path::PathBuf], out: &Path) -> Result<u64> {
    let readers = paths.iter().map(|p| RunReader::open(p)).collect::<Result<Vec<_>>>()?;
    let order = readers.first().map_or(Order::Word, RunReader::order);
    write_merged(out, order, |emit| merge(readers, emit))
}

/// Writes the records that `produce` emits into a new run at `out`; returns how many.
fn write_merged(
    out: &Path,
    order: Order,
    produce: impl FnOnce(&mut dyn FnMut(&[u8], u64) -> Result<bool>) -> Result<()>,
) -> Result<u64> {
    let fail = |e: io::Error| Error::temp_dir(out, &e);
    let mut writer =
        RunWriter::with_order(crate::interrupt::creating(|| File::create(out)).map_err(fail)?, order).map_err(fail)?;
    let mut records = 0u64;
    produce(&mut |word, count| {
        records += 1;
        writer.push(word, count).map_err(fail)?;
        Ok(true)
    })?;
    writer.finish().map_err(fail)?;
    Ok(records)
}
