//! Online mode (`--online`): counting input that keeps arriving, as micro-batches.
//!
//! ```text
//!  readers (one thread per input) ──raw reads──► event loop ──pieces──► mapper threads
//!  (follow.rs, bounded channel)                  cuts on token  (queue)  map + combine, one
//!                                                boundaries               table per mapper
//!                     each tick: wait for the mappers, drain the tables ──┘
//!                     partition, shuffle, reduce ──► running totals (totals.rs; window panes)
//!                     each --every: snapshot ──► writer thread (snapshot.rs; dropped if busy)
//!  EOF / SIGINT / SIGTERM ─► last pieces ─► final totals through the job's reduce and output
//! ```
//!
//! The data goes through the same stages as a batch job: each mapper is a
//! [`crate::map::MapWorker`] (in-mapper combining that lasts from tick to tick), and at each
//! tick (every `--every`, or every pane of a window) the tables are drained into partitions,
//! shuffled and reduced ([`crate::reduce::in_memory`]) and merged into the totals: one
//! micro-batch. Old data is never read again. Reading and cutting go
//! on while the mappers map, so a stream from a pipe is counted about as fast as in batch mode.
//! The event loop is the only owner of the totals, so a snapshot is consistent: it reflects whole
//! micro-batches. Memory is bounded: the reader channel holds at most 64 reads of 64 KiB, the
//! piece queue two `--chunk-size` pieces per mapper, the mappers' tables are flushed early when
//! one passes its share of half of `--max-memory`, the writer holds one snapshot; totals past
//! the other half keep their most frequent words and spill the rest to disk, where the final
//! reduce merges them back (the split is [`crate::budget::Budget::online`])
//! (snapshots taken after a spill show the words kept in memory); with `--window`, expired counts
//! are released.

mod follow;
mod mappers;
mod snapshot;
mod totals;

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant, SystemTime};

use crate::counters::Counters;
use crate::error::{Error, Result};
use crate::input::encoding::EncodingArg;
use crate::input::{self, Plan};
use crate::interrupt;
use crate::map::Boundary;
use crate::output::Format;
use crate::reduce::{self, Reduced};
use crate::runner::Job;
use crate::spill::Spiller;
use crate::tokenize::{with_tokenizer, Tokenizer};

use follow::Event;
use mappers::{Batcher, Mappers, Shared};
use snapshot::{Snapshot, Style, Writer};
use totals::Totals;

/// The longest the loop waits for input before looking at the clock and the stop flags.
const TICK: Duration = Duration::from_millis(100);
/// At the end, how long the channel must stay quiet before the readers count as drained.
const DRAIN: Duration = Duration::from_millis(20);

/// The settings of online mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Online {
    /// Time between snapshots.
    pub every: Duration,
    /// Words per snapshot: `--top`, else 10.
    pub top: usize,
    /// Sliding window length; `None` counts all time.
    pub window: Option<Duration>,
    /// Follow files (`--tail`).
    pub tail: bool,
}

/// Where online mode's output goes: snapshots to stdout in `format`; the final totals are
/// returned to the job, which writes them where `-o` or `--output-dir` say.
pub struct Mode<'a> {
    pub online: Online,
    /// Mapper threads (`--jobs`).
    pub mappers: usize,
    pub format: Format,
    /// The final totals go to stdout too: if its reader leaves, there is nothing to write.
    pub final_to_stdout: bool,
    /// The runner's threads, for reduce and the totals (a thread of its own without them).
    pub pool: Option<&'a rayon::ThreadPool>,
}

/// Runs the map, shuffle and reduce of an online job until every input ends or a signal
/// comes; returns the reduced final totals, or `None` when stdout's reader left and the totals
/// had nowhere else to go.
pub fn run(job: &Job, mode: &Mode, counters: &mut Counters) -> Result<Option<Reduced>> {
    // Snapshots always go to stdout; the final totals go where -o or --output-dir say.
    let style = if std::io::stdout().is_terminal() { Style::Live } else { Style::Blocks(mode.format) };
    let (tables, totals_limit) = job.budget.online();
    // The totals are merged on threads even with one mapper: rayon calls outside a pool of
    // ours would start the global pool.
    let own;
    let pool = match mode.pool {
        Some(pool) => pool,
        None => {
            own = rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .thread_name(|i| format!("mrwc-worker-{i}"))
                .build()
                .map_err(|e| Error::Usage(format!("cannot start a worker thread: {e}")))?;
            &own
        }
    };
    with_tokenizer!(job.map.tokenize, job.map.lexicons(), |tokenizer| {
        let spill_at = tables.spill_at(mode.mappers);
        let run = OnlineJob {
            job,
            online: mode.online,
            final_to_stdout: mode.final_to_stdout,
            pool,
            boundary: job.map.boundary(tokenizer.clone()),
            tokenizer,
            totals_limit,
        };
        run.run(style, mode.mappers, spill_at, counters)
    })
}

/// `--tail` follows a file's bytes as they are appended; a compressed or UTF-16 file's bytes
/// are not its text, and a growing compressed stream cannot be decoded piecewise, so such a file
/// is refused before anything is read rather than counted as noise.
pub fn check(plan: &Plan, online: &Online, encoding: EncodingArg) -> Result<()> {
    if !online.tail {
        return Ok(());
    }
    if encoding != EncodingArg::Utf8 {
        return Err(Error::Usage(format!(
            "--tail follows files' raw bytes and cannot decode --encoding {}; pipe decoded text into mrwc --online \
             instead (`tail -F FILE | iconv -f ENCODING -t UTF-8 | mrwc --online -`)",
            encoding.to_arg()
        )));
    }
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
    job: &'a Job<'a>,
    online: Online,
    final_to_stdout: bool,
    pool: &'a rayon::ThreadPool,
    tokenizer: T,
    /// Where arriving text may be cut (built once: it holds a tokenizer of its own).
    boundary: Boundary<T>,
    totals_limit: usize,
}

impl<T: Tokenizer + Sync> OnlineJob<'_, T> {
    fn run(&self, style: Style, count: usize, spill_at: usize, counters: &mut Counters) -> Result<Option<Reduced>> {
        let (shared, queue) = Shared::new(&self.job.map, &self.tokenizer, count, spill_at);
        std::thread::scope(|scope| {
            for i in 0..shared.count() {
                let shared = &shared;
                scope.spawn(move || shared.mapper(i));
            }
            // The loop owns the queue's sender: when it returns, however it returns, the
            // mappers see the queue closed and end, and the scope can join them.
            let mappers = Mappers { shared: &shared, queue, sent: 0 };
            self.event_loop(style, mappers, counters)
        })
    }

    fn event_loop(&self, style: Style, mut mappers: Mappers<T>, counters: &mut Counters) -> Result<Option<Reduced>> {
        let job = self.job;
        let started = Instant::now();
        let begun = SystemTime::now();
        let (tx, rx) = mpsc::sync_channel(64);
        let stop = Arc::new(AtomicBool::new(false));
        let signaled = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&signaled);
        interrupt::on_first_signal(move |_| flag.store(true, Ordering::Relaxed));
        follow::spawn(&job.plan.sources, self.online.tail, (tx, Arc::clone(&stop)), &job.decoding);

        let mut writer = Writer::start(style)?;
        let mut totals = Totals::new(job.partitioner.count(), self.online.window);
        let spiller = Spiller::new(job.tmp_dir, job.partitioner);
        let mut batcher = Batcher::new(job.plan.sources.len());
        let names = job.plan.sources.iter().map(crate::input::Source::file_column).collect();
        let mut snapshots = Snapshots { number: 0, previous: Default::default(), keys: job.map.keys(), names };
        let mut open = job.plan.sources.len();
        let mut bytes = 0u64;
        let mut next_snapshot = started + self.online.every;
        // A window needs its counts merged at least once per pane, to age them right.
        let flush_every = self.online.window.map_or(self.online.every, |w| (w / totals::PANES).min(self.online.every));
        let mut next_flush = started + flush_every;

        while open > 0 && !signaled.load(Ordering::Relaxed) && !writer.closed.load(Ordering::Relaxed) {
            let now = Instant::now();
            if now >= next_flush {
                batcher.cut_all(false, &self.boundary);
                mappers.dispatch(&mut batcher);
                self.flush(&mappers, &mut totals, &spiller, counters, started)?;
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
                    if let Some(done) = self.handle(event, &mut batcher, &mut bytes, counters)? {
                        open -= usize::from(done);
                    }
                    if !batcher.pieces.is_empty() {
                        mappers.dispatch(&mut batcher);
                        if mappers.full() {
                            self.flush(&mappers, &mut totals, &spiller, counters, started)?;
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
            self.handle(event, &mut batcher, &mut bytes, counters)?;
        }
        batcher.cut_all(true, &self.boundary);
        mappers.dispatch(&mut batcher);
        self.flush(&mappers, &mut totals, &spiller, counters, started)?;
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
        if writer.closed.load(Ordering::Relaxed) && self.final_to_stdout {
            // The reader of stdout went away (`| head`): a normal, silent end.
            return Ok(None);
        }
        let started = Instant::now();
        let reduced = reduce::reduce(vec![totals.into_records()], spiller, job.partitioner, Some(self.pool), counters)?;
        counters.phases.push(("reduce", started.elapsed()));
        Ok(Some(reduced))
    }

    /// Takes one reader event; `Some(true)` when an input is finished.
    fn handle(
        &self,
        event: Event,
        batcher: &mut Batcher,
        bytes: &mut u64,
        counters: &mut Counters,
    ) -> Result<Option<bool>> {
        Ok(match event {
            Event::Data(idx, data) => {
                *bytes += data.len() as u64;
                batcher.carries[idx].extend_from_slice(&data);
                if batcher.carries[idx].len() >= self.job.chunk_size {
                    batcher.cut(idx, false, &self.boundary);
                }
                None
            }
            Event::Reset(idx) => {
                batcher.cut(idx, true, &self.boundary);
                None
            }
            Event::Eof(idx) => {
                batcher.cut(idx, true, &self.boundary);
                counters.input_files += 1;
                Some(true)
            }
            Event::Failed(idx, e) => {
                self.job.on_error.handle(e)?;
                batcher.cut(idx, true, &self.boundary);
                Some(true)
            }
        })
    }

    /// Drains the mappers' tables through shuffle and reduce into the totals; totals past their
    /// part of the budget keep what snapshots show (and then some) and spill the rest.
    fn flush(
        &self,
        mappers: &Mappers<T>,
        totals: &mut Totals,
        spiller: &Spiller,
        counters: &mut Counters,
        started: Instant,
    ) -> Result<()> {
        let (lists, stats) = mappers.drain(self.job.partitioner);
        counters.map.merge(&stats);
        if lists.is_empty() {
            return Ok(());
        }
        let reduced = reduce::in_memory(lists, self.job.partitioner, Some(self.pool))?;
        self.pool.install(|| totals.add(started.elapsed(), reduced));
        if self.online.window.is_none() && totals.memory_bytes() > self.totals_limit {
            let keep = self.online.top.saturating_mul(16).max(1024);
            let evicted = self.pool.install(|| totals.evict(keep));
            spiller.spill_lists(evicted)?;
        }
        Ok(())
    }
}

/// Numbers snapshots and remembers the previous one's counts, for the change column.
struct Snapshots {
    number: u64,
    previous: std::collections::HashMap<Box<[u8]>, u64>,
    /// The job's keys, and its inputs' names: with `--by-file`, a snapshot shows
    /// `file<TAB>word` (so tsv blocks have the batch output's layout); with `--df`, word counts
    /// (the final result has the df column).
    keys: crate::keys::Keys,
    names: Vec<Vec<u8>>,
}

impl Snapshots {
    /// What a snapshot shows for a key with a header; nothing for line records.
    fn shown(&self, key: &[u8]) -> Option<Vec<u8>> {
        let (doc, tag, word) = self.keys.split(key);
        if tag != crate::keys::Tag::Occurrences {
            return None;
        }
        if !self.keys.by_file {
            return Some(word.to_vec());
        }
        let mut shown = self.names.get(doc as usize).cloned().unwrap_or_else(|| b"-".to_vec());
        shown.push(b'\t');
        shown.extend_from_slice(word);
        Some(shown)
    }

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
        let shown = match self.keys.plain() {
            true => totals.top(online.top),
            false => totals.top_shown(online.top, |key| self.shown(key)),
        };
        let top: Vec<(Box<[u8]>, u64, Option<u64>)> =
            shown.into_iter().map(|(w, c)| (w.clone(), c, self.previous.get(&w).copied())).collect();
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
