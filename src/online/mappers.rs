//! Online mode's map side: the bytes received per input, cut into pieces on token boundaries
//! ([`Batcher`]), and the mapper threads that map them, each a [`MapWorker`] whose table lasts
//! from flush to flush ([`Mappers`]). Reading and cutting go on while the mappers map: the
//! piece queue holds two pieces per mapper, and the event loop waits when they fall behind.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Condvar, Mutex};

use crate::map::{MapSpec, MapStats, MapWorker};
use crate::partition::Partitioner;
use crate::records::Records;
use crate::split::Cut;
use crate::tokenize::Tokenizer;

/// Text of one input (its index, its bytes), cut where the job's rule allows.
pub type Piece = (usize, Vec<u8>);

/// Bytes received per input, not yet cut into pieces, and the pieces waiting to be mapped
/// (each with the index of its input).
pub struct Batcher {
    pub carries: Vec<Vec<u8>>,
    pub pieces: Vec<Piece>,
}

impl Batcher {
    pub fn new(inputs: usize) -> Batcher {
        Batcher { carries: vec![Vec::new(); inputs], pieces: Vec::new() }
    }

    /// Takes the text of input `idx` up to its last boundary byte, or all of it when `whole`
    /// (the input ended, or restarted).
    pub fn cut(&mut self, idx: usize, whole: bool, rule: &impl Cut) {
        let carry = &mut self.carries[idx];
        let end = match whole {
            true => carry.len(),
            // No boundary byte at all: one run, cut at its forced cuts past MAX_RUN.
            false => carry
                .iter()
                .rposition(|&b| rule.hard(b))
                .map_or_else(|| crate::split::last_forced_cut(carry, rule), |k| k + 1),
        };
        if end == 0 {
            return;
        }
        let rest = carry.split_off(end);
        let piece = std::mem::replace(carry, rest);
        self.pieces.push((idx, piece));
    }

    /// Cuts every input: at its last boundary, or whole.
    pub fn cut_all(&mut self, whole: bool, rule: &impl Cut) {
        (0..self.carries.len()).for_each(|i| self.cut(i, whole, rule));
    }
}

/// The mappers' shared state: their workers, the piece queue, and progress.
pub struct Shared<T> {
    workers: Vec<Mutex<MapWorker<T>>>,
    /// Set by a mapper whose table passed its share: the event loop should flush.
    full: AtomicBool,
    pieces: Mutex<mpsc::Receiver<Piece>>,
    /// Pieces mapped so far, and the signal that one more was.
    done: (Mutex<u64>, Condvar),
}

impl<T: Tokenizer> Shared<T> {
    /// `count` mappers of `spec`, each spilling at `spill_at`, and the sending end of their queue.
    pub fn new(spec: &MapSpec, tokenizer: &T, count: usize, spill_at: usize) -> (Shared<T>, mpsc::SyncSender<Piece>) {
        let (queue, pieces) = mpsc::sync_channel(2 * count);
        let workers = (0..count).map(|_| Mutex::new(spec.worker(tokenizer.clone(), spill_at))).collect();
        let shared = Shared {
            workers,
            full: AtomicBool::new(false),
            pieces: Mutex::new(pieces),
            done: (Mutex::new(0), Condvar::new()),
        };
        (shared, queue)
    }

    pub fn count(&self) -> usize {
        self.workers.len()
    }

    /// A mapper thread (number `i`): maps pieces until the queue closes.
    pub fn mapper(&self, i: usize) {
        loop {
            let piece = self.pieces.lock().unwrap_or_else(|p| p.into_inner()).recv();
            let Ok((source, piece)) = piece else { return };
            {
                let mut worker = self.workers[i].lock().unwrap_or_else(|p| p.into_inner());
                worker.start_task(source);
                if worker.map(&piece) {
                    self.full.store(true, Ordering::Relaxed);
                }
            }
            *self.done.0.lock().unwrap_or_else(|p| p.into_inner()) += 1;
            self.done.1.notify_all();
        }
    }
}

/// The map side, as seen from the event loop.
pub struct Mappers<'s, T> {
    pub shared: &'s Shared<T>,
    pub queue: mpsc::SyncSender<Piece>,
    pub sent: u64,
}

impl<T: Tokenizer> Mappers<'_, T> {
    pub fn dispatch(&mut self, batcher: &mut Batcher) {
        for piece in batcher.pieces.drain(..) {
            // The mappers live as long as the event loop: the queue cannot be closed here.
            if self.queue.send(piece).is_ok() {
                self.sent += 1;
            }
        }
    }

    /// Whether some mapper's table passed its share.
    pub fn full(&self) -> bool {
        self.shared.full.load(Ordering::Relaxed)
    }

    /// Waits until every piece sent is mapped, then takes every table (one list per
    /// partition) and the statistics gathered since the last drain.
    pub fn drain(&self, by: Partitioner) -> (Vec<Vec<Records>>, MapStats) {
        {
            let mut done = self.shared.done.0.lock().unwrap_or_else(|p| p.into_inner());
            while *done < self.sent {
                done = self.shared.done.1.wait(done).unwrap_or_else(|p| p.into_inner());
            }
        }
        let mut lists = Vec::with_capacity(self.shared.workers.len());
        let mut stats = MapStats::default();
        for worker in &self.shared.workers {
            let mut worker = worker.lock().unwrap_or_else(|p| p.into_inner());
            if worker.is_empty() {
                continue;
            }
            let table = worker.take();
            stats.merge(&worker.take_stats());
            lists.push(table.into_partitions(by));
        }
        self.shared.full.store(false, Ordering::Relaxed);
        (lists, stats)
    }
}
