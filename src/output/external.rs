//! Ordering a result that lives on disk: one word-sorted run per partition (after a spill, or
//! from the procs runner), read as streams so that no more than the memory budget is held.
//!
//! ```text
//!  --sort none   partition runs one after the other
//!  --sort word   k-way merge of the partition runs (their words are disjoint)
//!  --sort count  external sort: records fill a buffer up to budget/2, each full buffer is
//!                sorted by (count desc, word) and written as a count-ordered run, and the runs
//!                are merged; a result that fits in the buffer is sorted in memory
//!  --top N       the count order, stopped after N records (then re-sorted by word if asked)
//! ```
//!
//! `--min-count` filters while reading. With `--output-dir`, each partition is ordered on its
//! own; `--top` stays global (the N most frequent words of the whole job, each in its own
//! partition's file), as for results in memory. `--total-order` streams the one word order
//! into the parts instead, each taking its share of the records.

use std::cell::RefCell;
use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::output::{total_order_part, Format, SortOrder};
use crate::output::{OutputSpec, RecordWriter, Sink};
use crate::records::{Records, SortKey};
use crate::runfile::{self, Order, RunReader};

/// Carries a library error out through a writer callback that can only return `io::Error`.
#[derive(Default)]
struct Stash(RefCell<Option<Error>>);

impl Stash {
    fn hold(&self, e: Error) -> io::Error {
        *self.0.borrow_mut() = Some(e);
        io::Error::other("stashed")
    }

    fn resolve<T>(&self, result: Result<T>) -> Result<T> {
        match self.0.borrow_mut().take() {
            Some(e) => Err(e),
            None => result,
        }
    }
}

/// Writes the on-disk result to the sink; returns the records written.
pub fn write(runs: &[PathBuf], scratch: &Path, spec: &OutputSpec, sink: Sink) -> Result<u64> {
    let stash = Stash::default();
    let mut written = 0u64;
    let result = match sink {
        Sink::Dir(commit) if spec.total_order => total_order(runs, scratch, spec, commit, &stash),
        Sink::Dir(commit) => {
            let keep = match spec.top {
                Some(n) => Some(top_words(runs, scratch, spec, n)?),
                None => None,
            };
            let part = OutputSpec { top: None, ..*spec };
            let written = std::cell::Cell::new(0u64);
            let r = commit.commit(runs.len(), |i, out| {
                let n = write_stream(out, spec.format, |emit| {
                    stream(std::slice::from_ref(&runs[i]), scratch, &part, keep.as_ref(), emit)
                })
                .map_err(|e| stash.hold(e))?;
                written.set(written.get() + n);
                Ok(())
            });
            let total = written.get();
            r.map(|()| total)
        }
        sink => sink
            .write_one(|out| {
                written = write_stream(out, spec.format, |emit| stream(runs, scratch, spec, None, emit))
                    .map_err(|e| stash.hold(e))?;
                Ok(())
            })
            .map(|()| written),
    };
    stash.resolve(result)
}

/// `--total-order`: the records in word order, cut into parts of nearly equal size. One pass
/// counts them; a second streams them from a thread of its own through a bounded channel, so
/// each part file, written in turn, takes its share of the one merge.
fn total_order(
    runs: &[PathBuf],
    scratch: &Path,
    spec: &OutputSpec,
    commit: super::dir::DirCommit,
    stash: &Stash,
) -> Result<u64> {
    let mut total = 0u64;
    stream(runs, scratch, spec, None, &mut |_, _| {
        total += 1;
        Ok(true)
    })?;
    let parts = spec.partitioner.count();
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::sync_channel::<(Vec<u8>, u64)>(1024);
        let producer = scope.spawn(move || {
            stream(runs, scratch, spec, None, &mut |word, count| Ok(send.send((word.to_vec(), count)).is_ok()))
        });
        let committed = commit.commit(parts, |i, out| {
            let share = total_order_part(i, parts, total);
            write_stream(out, spec.format, |emit| {
                for _ in share {
                    let (word, count) =
                        receive.recv().map_err(|_| Error::Job("the result's runs ended early".into()))?;
                    if !emit(&word, count)? {
                        break;
                    }
                }
                Ok(())
            })
            .map(drop)
            .map_err(|e| stash.hold(e))
        });
        drop(receive);
        let produced = producer.join().unwrap_or_else(|_| Err(Error::Job("the result's reader failed".into())));
        produced.and(committed).map(|()| total)
    })
}

/// Formats the records that `produce` emits.
fn write_stream(
    out: &mut dyn io::Write,
    format: Format,
    produce: impl FnOnce(&mut dyn FnMut(&[u8], u64) -> Result<bool>) -> Result<()>,
) -> Result<u64> {
    let io_err = |e: io::Error| Error::Output { what: "write error".into(), reason: crate::error::io_reason(&e) };
    let mut w = RecordWriter::new(out, format, super::format::WORD_COUNT).map_err(io_err)?;
    let mut n = 0u64;
    let mut failure = None;
    produce(&mut |word, count| match w.write(word, count) {
        Ok(()) => {
            n += 1;
            Ok(true)
        }
        Err(e) => {
            failure = Some(e);
            Ok(false)
        }
    })?;
    match failure {
        // The reader went away (`| head -1`): what it read is all it wanted, and the stream's
        // own flush ends the output quietly, as for a result in memory.
        Some(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(n),
        Some(e) => return Err(io_err(e)),
        None => {}
    }
    w.finish().map_err(io_err)?;
    Ok(n)
}

/// Streams the records of `runs` in the order `spec` asks, through `emit`.
fn stream(
    runs: &[PathBuf],
    scratch: &Path,
    spec: &OutputSpec,
    keep: Option<&HashSet<Vec<u8>>>,
    emit: &mut dyn FnMut(&[u8], u64) -> Result<bool>,
) -> Result<()> {
    let wanted = |word: &[u8], count: u64| count >= spec.min_count && keep.is_none_or(|k| k.contains(word));
    match (spec.sort, spec.top) {
        (SortOrder::None, None) => {
            for path in runs {
                let mut run = RunReader::open(path)?;
                while run.advance()? {
                    if wanted(run.word(), run.count()) && !emit(run.word(), run.count())? {
                        return Ok(());
                    }
                }
            }
            Ok(())
        }
        (SortOrder::Word, None) => {
            let readers = runs.iter().map(|p| RunReader::open(p)).collect::<Result<Vec<_>>>()?;
            runfile::merge(readers, |word, count| if wanted(word, count) { emit(word, count) } else { Ok(true) })
        }
        (SortOrder::Word, Some(n)) => {
            let mut top = Records::default();
            by_count(runs, scratch, spec, &wanted, Some(n), &mut |w, c| {
                top.push(w, c);
                Ok(true)
            })?;
            top.sort(SortKey::Word, false);
            for (word, count) in top.iter() {
                if !emit(word, count)? {
                    break;
                }
            }
            Ok(())
        }
        // Df needs --df, whose output is rows (`rows.rs`).
        (SortOrder::Count | SortOrder::Df | SortOrder::None, top) => by_count(runs, scratch, spec, &wanted, top, emit),
    }
}

/// The words of the global top N.
fn top_words(runs: &[PathBuf], scratch: &Path, spec: &OutputSpec, n: usize) -> Result<HashSet<Vec<u8>>> {
    let mut words = HashSet::new();
    let wanted = |_: &[u8], count: u64| count >= spec.min_count;
    by_count(runs, scratch, spec, &wanted, Some(n), &mut |w, _| {
        words.insert(w.to_vec());
        Ok(true)
    })?;
    Ok(words)
}

/// The external sort by count: see the module doc.
fn by_count(
    runs: &[PathBuf],
    scratch: &Path,
    spec: &OutputSpec,
    wanted: &dyn Fn(&[u8], u64) -> bool,
    limit: Option<usize>,
    emit: &mut dyn FnMut(&[u8], u64) -> Result<bool>,
) -> Result<()> {
    let mut buffer = Records::default();
    let mut sorted: Vec<PathBuf> = Vec::new();
    let flush = |buffer: &mut Records, sorted: &mut Vec<PathBuf>| -> Result<()> {
        buffer.sort(SortKey::CountThenWord, false);
        let path = scratch.join(runfile::scratch_name("sorted"));
        runfile::write_file(&path, Order::Count, buffer.iter())?;
        sorted.push(path);
        *buffer = Records::default();
        // As for spills: never more than MAX_RUNS sorted runs on disk at once.
        if sorted.len() >= crate::spill::MAX_RUNS {
            let oldest: Vec<PathBuf> = sorted.drain(..crate::spill::COMPACT).collect();
            let merged = crate::spill::compact(&oldest, scratch, &runfile::scratch_name("sorted-merged"))?;
            sorted.push(merged);
        }
        Ok(())
    };
    let buffer_limit = spec.budget.sort_buffer();
    for path in runs {
        let mut run = RunReader::open(path)?;
        while run.advance()? {
            if wanted(run.word(), run.count()) {
                buffer.push(run.word(), run.count());
                if buffer.memory_bytes() > buffer_limit {
                    flush(&mut buffer, &mut sorted)?;
                }
            }
        }
    }
    let limit = limit.unwrap_or(usize::MAX);
    let mut emitted = 0usize;
    if sorted.is_empty() {
        buffer.sort(SortKey::CountThenWord, false);
        for (word, count) in buffer.iter().take(limit) {
            if !emit(word, count)? {
                break;
            }
        }
        return Ok(());
    }
    if !buffer.is_empty() {
        flush(&mut buffer, &mut sorted)?;
    }
    let result = runfile::merge_paths(&sorted, scratch, |word, count| {
        if emitted == limit {
            return Ok(false);
        }
        emitted += 1;
        emit(word, count)
    });
    sorted.iter().for_each(|p| drop(std::fs::remove_file(p)));
    result
}
