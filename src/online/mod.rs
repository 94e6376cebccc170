//! Online mode (`--online`): counting input that keeps arriving, as micro-batches.
//!
//! ```text
//!  readers (one thread per input) ──raw reads──► event loop ──pieces──► mapper threads
//!  (follow.rs, bounded channel)                  cuts on token  (queue)  map + combine, one
//!                                                boundaries               table per mapper
//!                     each tick: wait for the mappers, drain the tables ──┘
//!                     partition, shuffle, reduce ──► running totals (totals.rs; window panes)
//!                     each --every: snapshot ──► writer thread (snapshot.rs; dropped if busy)
//!  EOF / SIGINT / SIGTERM ─► last pieces ─► final totals through the normal output stage
//! ```
//!
//! The data goes through the same stages as a batch job: each mapper maps pieces into its own
//! combining table (`map_task`, in-mapper combining that lasts from tick to tick), and at each
//! tick (every `--every`, or every pane of a window) the tables are drained into partitions
//! (`into_partitions`), shuffled (`shuffle::by_partition`), reduced (`reduce_partition`) and
//! merged into the totals: one micro-batch. Old data is never read again. Reading and cutting go
//! on while the mappers map, so a stream from a pipe is counted about as fast as in batch mode.
//! The event loop is the only owner of the totals, so a snapshot is consistent: it reflects whole
//! micro-batches. Memory is bounded: the reader channel holds at most 64 reads of 64 KiB, the
//! piece queue two `--chunk-size` pieces per mapper, the mappers' tables are flushed early past a
//! quarter of `--max-memory`, the writer holds one snapshot; totals past `--max-memory` keep
//! their most frequent words and spill the rest to disk, where the final output merges them back
//! (snapshots taken after a spill show the words kept in memory); with `--window`, expired counts
//! are released.

mod follow;
mod snapshot;
mod totals;

use std::io::IsTerminal;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime};

use rayon::prelude::*;

use crate::config::{Config, Online, OutputTarget};
use crate::counters::Counters;
use crate::error::{Error, Result};
use crate::input::{self, Plan, WalkOptions};
use crate::interrupt;
use crate::job::Outcome;
use crate::map::{map_task, MapStats};
use crate::output::{self, OutputSpec, Sink};
use crate::records::Records;
use crate::reduce::{reduce_partition, reduce_spilled_partition, Reduced};
use crate::shuffle;
use crate::spill::Spiller;
use crate::table::CountTable;
use crate::tokenize::{with_tokenizer, Tokenizer};

use follow::Event;
use snapshot::{Snapshot, Style, Writer};
use totals::Totals;

/// The longest the loop waits for input before looking at the clock and the stop flags.
const TICK: Duration = Duration::from_millis(100);
/// At the end, how long the channel must stay quiet before the readers count as drained.
const DRAIN: Duration = Duration::from_millis(20);

/// Runs an online job to its end (EOF on every input, or a signal).
pub fn run(config: &Config, online: Online) -> Result<Outcome> {
    let opts = WalkOptions { recursive: config.recursive, follow: config.follow, urls: false };
    let plan = input::plan(&config.inputs, opts);
    if !plan.errors.is_empty() && !config.keep_going {
        return Err(Error::BadInputs(plan.errors));
    }
    for e in &plan.errors {
        crate::error::diag(e);
    }
    if online.tail {
        refuse_encoded_files(&plan)?;
    }
    interrupt::install();
    let sink = Sink::prepare(&config.output)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.jobs)
        .thread_name(|i| format!("mrwc-worker-{i}"))
        .build()
        .map_err(|e| Error::Usage(format!("cannot start {} worker threads: {e}", config.jobs)))?;
    // Snapshots always go to stdout; the final totals go where -o or --output-dir say.
    let style = if std::io::stdout().is_terminal() { Style::Live } else { Style::Blocks(config.format) };
    with_tokenizer!(config.tokenize, |tokenizer| {
        OnlineJob { config, online, plan: &plan, pool: &pool, tokenizer }.run(style, sink)
    })
}

/// `--tail` follows a file's bytes as they are appended; a compressed or UTF-16 file's bytes
/// are not its text, and a growing compressed stream cannot be decoded piecewise, so such a file
/// is refused before anything is read rather than counted as noise.
fn refuse_encoded_files(plan: &input::Plan) -> Result<()> {
    let mut errors = Vec::new();
    for source in &plan.sources {
        let Some(path) = source.path.as_deref().filter(|p| p.metadata().is_ok_and(|m| m.is_file())) else { continue };
        if let Ok(Some(kind)) = input::decode::encoded_as(path) {
            errors.push(format!(
                "{}: --tail follows a file's raw bytes, and this file is {kind}; pipe its decoded text \
                 into mrwc --online instead, or drop --tail",
                source.name
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::BadInputs(errors))
    }
}

struct OnlineJob<'a, T> {
    config: &'a Config,
    online: Online,
    plan: &'a Plan,
    pool: &'a rayon::ThreadPool,
    tokenizer: T,
}

/// One worker's tokenizer and combining table, kept from piece to piece until a flush.
struct Worker<T> {
    tokenizer: T,
    table: CountTable,
    stats: MapStats,
}

/// The map side, as seen from the event loop: mapper threads take pieces from a bounded queue,
/// so reading and cutting go on while they map (and wait when they fall behind).
struct Mappers<'s, T> {
    workers: &'s [Mutex<Worker<T>>],
    /// Each worker's table size after its last piece, for the memory check.
    sizes: &'s [AtomicUsize],
    queue: mpsc::SyncSender<Vec<u8>>,
    sent: u64,
    /// Pieces mapped so far, and the signal that one more was.
    done: &'s (Mutex<u64>, Condvar),
}

impl<T> Mappers<'_, T> {
    fn dispatch(&mut self, batcher: &mut Batcher) {
        for piece in batcher.pieces.drain(..) {
            // The mappers live as long as the event loop: the queue cannot be closed here.
            if self.queue.send(piece).is_ok() {
                self.sent += 1;
            }
        }
    }

    /// Waits until every piece sent is mapped (the tables are then complete and idle).
    fn wait(&self) {
        let mut done = self.done.0.lock().unwrap_or_else(|p| p.into_inner());
        while *done < self.sent {
            done = self.done.1.wait(done).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn table_bytes(&self) -> usize {
        self.sizes.iter().map(|s| s.load(Ordering::Relaxed)).sum()
    }
}

/// Bytes received per input, not yet cut into pieces, and the pieces waiting to be mapped.
struct Batcher {
    carries: Vec<Vec<u8>>,
    pieces: Vec<Vec<u8>>,
}

impl Batcher {
    /// Takes the text of input `idx` up to its last boundary byte, or all of it when `whole`
    /// (the input ended, or restarted).
    fn cut(&mut self, idx: usize, whole: bool, is_boundary: impl Fn(u8) -> bool) {
        let carry = &mut self.carries[idx];
        let end = match whole {
            true => carry.len(),
            // No boundary byte at all: one run, cut at its forced cuts past MAX_RUN.
            false => carry
                .iter()
                .rposition(|&b| is_boundary(b))
                .map_or_else(|| crate::split::last_forced_cut(carry), |k| k + 1),
        };
        if end == 0 {
            return;
        }
        let rest = carry.split_off(end);
        let piece = std::mem::replace(carry, rest);
        self.pieces.push(piece);
    }
}

impl<T: Tokenizer + Sync> OnlineJob<'_, T> {
    fn run(&self, style: Style, sink: Sink) -> Result<Outcome> {
        let new_worker = |_| {
            let w =
                Worker { tokenizer: self.tokenizer.clone(), table: CountTable::default(), stats: MapStats::default() };
            Mutex::new(w)
        };
        let workers: Vec<Mutex<Worker<T>>> = (0..self.config.jobs).map(new_worker).collect();
        let sizes: Vec<AtomicUsize> = (0..self.config.jobs).map(|_| AtomicUsize::new(0)).collect();
        let done = (Mutex::new(0u64), Condvar::new());
        let (queue, pieces) = mpsc::sync_channel(2 * self.config.jobs);
        let pieces = Mutex::new(pieces);
        std::thread::scope(|scope| {
            for (worker, size) in workers.iter().zip(&sizes) {
                scope.spawn(|| self.mapper(worker, size, &pieces, &done));
            }
            // The loop owns the queue's sender: when it returns, however it returns, the
            // mappers see the queue closed and end, and the scope can join them.
            let mappers = Mappers { workers: &workers, sizes: &sizes, queue, sent: 0, done: &done };
            self.event_loop(style, sink, mappers)
        })
    }

    /// A mapper thread: maps pieces into its worker's table until the queue closes.
    fn mapper(
        &self,
        worker: &Mutex<Worker<T>>,
        size: &AtomicUsize,
        pieces: &Mutex<mpsc::Receiver<Vec<u8>>>,
        done: &(Mutex<u64>, Condvar),
    ) {
        loop {
            let piece = pieces.lock().unwrap_or_else(|p| p.into_inner()).recv();
            let Ok(piece) = piece else { return };
            {
                let mut worker = worker.lock().unwrap_or_else(|p| p.into_inner());
                let Worker { tokenizer, table, stats } = &mut *worker;
                map_task(tokenizer, &piece, table, stats);
                stats.tasks += 1;
                size.store(table.memory_bytes(), Ordering::Relaxed);
            }
            *done.0.lock().unwrap_or_else(|p| p.into_inner()) += 1;
            done.1.notify_all();
        }
    }

    fn event_loop(&self, style: Style, sink: Sink, mut mappers: Mappers<T>) -> Result<Outcome> {
        let config = self.config;
        let started = Instant::now();
        let begun = SystemTime::now();
        let (tx, rx) = mpsc::sync_channel(64);
        let stop = Arc::new(AtomicBool::new(false));
        let signaled = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&signaled);
        interrupt::on_first_signal(move |_| flag.store(true, Ordering::Relaxed));
        follow::spawn(&self.plan.sources, self.online.tail, tx, Arc::clone(&stop));

        let mut writer = Writer::start(style)?;
        let mut totals = Totals::new(config.partitions, self.online.window);
        let spiller = Spiller::new(&config.tmp_dir, config.partitions);
        let mut batcher = Batcher { carries: vec![Vec::new(); self.plan.sources.len()], pieces: Vec::new() };
        let mut counters = Counters { runner: "online".into(), workers: config.jobs, ..Counters::default() };
        let mut snapshots = Snapshots { number: 0, previous: Default::default() };
        let mut open = self.plan.sources.len();
        let mut bytes = 0u64;
        let mut next_snapshot = started + self.online.every;
        // A window needs its counts merged at least once per pane, to age them right.
        let flush_every = self.online.window.map_or(self.online.every, |w| (w / totals::PANES).min(self.online.every));
        let mut next_flush = started + flush_every;
        let is_boundary = |b: u8| self.tokenizer.is_boundary(b);

        while open > 0 && !signaled.load(Ordering::Relaxed) && !writer.closed.load(Ordering::Relaxed) {
            let now = Instant::now();
            if now >= next_flush {
                (0..batcher.carries.len()).for_each(|i| batcher.cut(i, false, is_boundary));
                mappers.dispatch(&mut batcher);
                self.flush(&mappers, &mut totals, &spiller, &mut counters, started)?;
                totals.expire(now - started);
                // A loop that fell behind skips the missed ticks instead of bunching them.
                next_flush = (next_flush + flush_every).max(now + flush_every / 2);
            }
            if now >= next_snapshot {
                writer.offer(snapshots.take(&totals, bytes, begun, started, self.online, writer.dropped));
                next_snapshot = (next_snapshot + self.online.every).max(now + self.online.every / 2);
            }
            let wait = next_flush.min(next_snapshot).saturating_duration_since(now).min(TICK);
            match rx.recv_timeout(wait) {
                Ok(event) => {
                    if let Some(done) = self.handle(event, &mut batcher, &mut bytes, &mut counters)? {
                        open -= usize::from(done);
                    }
                    if !batcher.pieces.is_empty() {
                        mappers.dispatch(&mut batcher);
                        if mappers.table_bytes() > config.max_memory / 4 {
                            self.flush(&mappers, &mut totals, &spiller, &mut counters, started)?;
                        }
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => open = 0,
            }
        }
        // Whatever was read is counted: the reads queued or being sent (a reader sends at most one
        // more once `stop` is up), then every carry.
        stop.store(true, Ordering::Relaxed);
        while let Ok(event) = rx.recv_timeout(DRAIN) {
            self.handle(event, &mut batcher, &mut bytes, &mut counters)?;
        }
        (0..batcher.carries.len()).for_each(|i| batcher.cut(i, true, is_boundary));
        mappers.dispatch(&mut batcher);
        self.flush(&mappers, &mut totals, &spiller, &mut counters, started)?;
        totals.expire(started.elapsed());
        // On a terminal the table is brought up to date once more; a pipe gets the final totals.
        let last =
            (style == Style::Live).then(|| snapshots.take(&totals, bytes, begun, started, self.online, writer.dropped));
        writer.finish(last);
        // No report of dropped snapshots to a reader that left: that end is normal and silent.
        if writer.dropped > 0 && !writer.closed.load(Ordering::Relaxed) {
            crate::error::diag(format!(
                "{} of {} snapshots were dropped: stdout did not keep up",
                writer.dropped,
                writer.dropped + writer.written
            ));
        }
        counters.phases.push(("online", started.elapsed()));
        if writer.closed.load(Ordering::Relaxed) && matches!(config.output, OutputTarget::Stdout) {
            // The reader of stdout went away (`| head`): a normal, silent end.
            return Ok(Outcome::Complete);
        }
        self.finish(totals, spiller, sink, counters)
    }

    /// Takes one reader event; `Some(true)` when an input is finished.
    fn handle(
        &self,
        event: Event,
        batcher: &mut Batcher,
        bytes: &mut u64,
        counters: &mut Counters,
    ) -> Result<Option<bool>> {
        let is_boundary = |b: u8| self.tokenizer.is_boundary(b);
        Ok(match event {
            Event::Data(idx, data) => {
                *bytes += data.len() as u64;
                batcher.carries[idx].extend_from_slice(&data);
                if batcher.carries[idx].len() >= self.config.chunk_size {
                    batcher.cut(idx, false, is_boundary);
                }
                None
            }
            Event::Reset(idx) => {
                batcher.cut(idx, true, is_boundary);
                None
            }
            Event::Eof(idx) => {
                batcher.cut(idx, true, is_boundary);
                counters.input_files += 1;
                Some(true)
            }
            Event::Failed(idx, e) if self.config.keep_going => {
                crate::error::diag(&e);
                batcher.cut(idx, true, is_boundary);
                counters.skipped_inputs += 1;
                Some(true)
            }
            Event::Failed(_, e) => return Err(e),
        })
    }

    /// Drains the workers' tables through partition, shuffle and reduce into the totals.
    fn flush(
        &self,
        mappers: &Mappers<T>,
        totals: &mut Totals,
        spiller: &Spiller,
        counters: &mut Counters,
        started: Instant,
    ) -> Result<()> {
        let partitions = self.config.partitions;
        mappers.wait();
        let mut lists = Vec::with_capacity(mappers.workers.len());
        for (worker, size) in mappers.workers.iter().zip(mappers.sizes) {
            let mut worker = worker.lock().unwrap_or_else(|p| p.into_inner());
            if worker.table.is_empty() {
                continue;
            }
            counters.map.merge(&std::mem::take(&mut worker.stats));
            counters.combine_output_records += worker.table.len() as u64;
            lists.push(std::mem::take(&mut worker.table).into_partitions(partitions));
            size.store(0, Ordering::Relaxed);
        }
        if lists.is_empty() {
            return Ok(());
        }
        let reduced = self.pool.install(|| {
            shuffle::by_partition(lists, partitions)
                .into_par_iter()
                .map(reduce_partition)
                .collect::<std::result::Result<Vec<Records>, _>>()
        });
        let reduced = reduced.map_err(|e| Error::Job(e.to_string()))?;
        self.pool.install(|| totals.add(started.elapsed(), reduced));
        if self.online.window.is_none() && totals.memory_bytes() > self.config.max_memory {
            // Keep what snapshots show (and then some); the rest waits on disk for the end.
            let keep = self.online.top.saturating_mul(16).max(1024);
            let evicted = self.pool.install(|| totals.evict(keep));
            spiller.spill_lists(evicted)?;
        }
        Ok(())
    }

    /// The final totals, through the same output stage as a batch job.
    fn finish(&self, totals: Totals, spiller: Spiller, sink: Sink, mut counters: Counters) -> Result<Outcome> {
        let config = self.config;
        let started = Instant::now();
        counters.distinct_words = totals.distinct() as u64;
        let reduced = if spiller.spilled() {
            spiller.spill_lists(totals.into_records())?;
            counters.spill.merge(&spiller.stats());
            let (runs, work) = spiller.into_runs().expect("spilled");
            let merged = self.pool.install(|| {
                runs.into_par_iter()
                    .enumerate()
                    .map(|(p, paths)| reduce_spilled_partition(work.path(), p, &paths))
                    .collect::<Result<Vec<_>>>()
            })?;
            counters.distinct_words = merged.iter().map(|(_, n)| n).sum();
            Reduced::Disk { runs: merged.into_iter().map(|(path, _)| path).collect(), work }
        } else {
            Reduced::Memory(totals.into_records())
        };
        counters.reduce_partitions = config.partitions as u64;
        let spec = OutputSpec {
            sort: config.sort,
            top: config.top,
            min_count: config.min_count,
            format: config.format,
            parallel: config.jobs > 1,
            budget: config.max_memory,
        };
        counters.output_records = self.pool.install(|| output::write(&reduced, &spec, sink))?;
        counters.phases.push(("output", started.elapsed()));
        if config.stats {
            crate::error::stderr_text(&counters.report());
        }
        Ok(if counters.skipped_inputs > 0 || !self.plan.errors.is_empty() {
            Outcome::Partial
        } else {
            Outcome::Complete
        })
    }
}

/// Numbers snapshots and remembers the previous one's counts, for the change column.
struct Snapshots {
    number: u64,
    previous: std::collections::HashMap<Box<[u8]>, u64>,
}

impl Snapshots {
    fn take(
        &mut self,
        totals: &Totals,
        bytes: u64,
        begun: SystemTime,
        started: Instant,
        online: Online,
        dropped: u64,
    ) -> Snapshot {
        self.number += 1;
        let elapsed = started.elapsed();
        let top: Vec<(Box<[u8]>, u64, Option<u64>)> =
            totals.top(online.top).into_iter().map(|(w, c)| (w.clone(), c, self.previous.get(&w).copied())).collect();
        self.previous = top.iter().map(|(w, c, _)| (w.clone(), *c)).collect();
        Snapshot {
            number: self.number,
            time: begun + elapsed,
            elapsed,
            top,
            tokens: totals.tokens(),
            distinct: totals.distinct(),
            bytes,
            window: online.window,
            dropped,
        }
    }
}
