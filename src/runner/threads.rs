//! `-r threads` (the default): a rayon pool of `-j N` threads, each a map worker pulling tasks
//! from one shared splitter; reduce runs one partition per rayon task; the final sort runs in
//! the same pool. The pool is the job's own, so `-j` is exact.
//!
//! ```text
//!            ┌─ worker 0: pull chunk ─► MapWorker::map ─┐             ┌─ reduce p0 ─┐
//! splitter ──┤  (shared, one task at a time)            ├─ shuffle ─► ├─ reduce p1 ─┼─► partitions
//!            └─ worker n: pull chunk ─► MapWorker::map ─┘             └─ reduce pR ─┘
//! ```
//!
//! Workers pull tasks as they become free, so at most one chunk per worker is in memory when
//! reading a stream. On a read error without `--keep-going`, the first failing worker raises a
//! flag that stops the others after their current task. With one worker (`-j 1`, `-r local`,
//! or an input too small to split) there is no pool: the job runs on the calling thread, without
//! the cost of starting and waking a thread.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use crate::counters::Counters;
use crate::error::{Error, Result};
use crate::reduce::{self, Reduced};
use crate::runner::{Job, Registration, Runner};
use crate::spill::Spiller;
use crate::split::Splitter;
use crate::tokenize::{with_tokenizer, Tokenizer};

pub const RUNNER: Registration = Registration {
    name: "threads",
    about: "rayon worker threads (default)",
    in_process: true,
    chunk_size: 1 << 20,
    urls: false,
    single: false,
    build: |setup| Ok(Box::new(InProcess::new(if setup.one_task { 1 } else { setup.jobs })?)),
};

/// The in-process runners' schedule: map workers on a pool's threads (or on the calling thread).
pub struct InProcess {
    /// `None`: one worker, the calling thread.
    pool: Option<rayon::ThreadPool>,
}

impl InProcess {
    pub fn new(threads: usize) -> Result<InProcess> {
        if threads <= 1 {
            return Ok(InProcess { pool: None });
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("mrwc-worker-{i}"))
            .build()
            .map_err(|e| Error::Usage(format!("cannot start {threads} worker threads: {e}")))?;
        Ok(InProcess { pool: Some(pool) })
    }

    fn broadcast<R: Send>(&self, work: impl Fn() -> R + Sync) -> Vec<R> {
        match &self.pool {
            Some(pool) => pool.broadcast(|_| work()),
            None => vec![work()],
        }
    }

    fn pipeline<T: Tokenizer + Sync>(&self, job: &Job, counters: &mut Counters, tokenizer: T) -> Result<Reduced> {
        let workers = self.workers();
        let boundary = job.map.boundary(tokenizer.clone());
        let splitter =
            Splitter::new(&job.plan.sources, job.chunk_size, job.mmap, boundary.clone()).decoding(job.decoding.clone());
        let splitter = Mutex::new(splitter.taper(workers));
        let failed = AtomicBool::new(false);
        let spiller = Spiller::new(job.tmp_dir, job.partitioner);
        let spill_at = job.budget.spill_at(workers);

        let started = Instant::now();
        let work = || -> Result<crate::map::MapOutput> {
            let mut worker = job.map.worker(tokenizer.clone(), spill_at);
            let mut run = || -> Result<()> {
                while !failed.load(Ordering::Relaxed) {
                    crate::interrupt::check_cancelled()?;
                    let next = splitter.lock().unwrap_or_else(|p| p.into_inner()).next();
                    let mut chunk = match next {
                        None => break,
                        Some(Ok(chunk)) => chunk,
                        Some(Err(e)) => {
                            job.on_error.handle(e)?;
                            continue;
                        }
                    };
                    worker.start_task(chunk.source);
                    let mut spilled = Ok(());
                    let read = chunk.for_each_piece(job.chunk_size, &boundary, |piece| {
                        job.progress.add(piece.len() as u64);
                        if worker.map(piece) && spilled.is_ok() {
                            spilled = spiller.spill_table(worker.take());
                        }
                    });
                    spilled?;
                    crate::interrupt::check_cancelled()?;
                    match read {
                        Ok(()) => chunk.release(),
                        Err(e) => job.on_error.handle(Error::input(&job.plan.sources[chunk.source].name, &e))?,
                    }
                }
                Ok(())
            };
            if let Err(e) = run() {
                failed.store(true, Ordering::Relaxed);
                return Err(e);
            }
            Ok(worker.finish(job.partitioner))
        };
        let mut lists = Vec::with_capacity(workers);
        for output in self.broadcast(work) {
            let output = output?;
            counters.map.merge(&output.stats);
            lists.push(output.partitions);
        }
        counters.phases.push(("map", started.elapsed()));
        let started = Instant::now();
        let reduced = reduce::reduce(lists, spiller, job.partitioner, self.pool.as_ref(), counters)?;
        counters.phases.push(("reduce", started.elapsed()));
        Ok(reduced)
    }
}

impl Runner for InProcess {
    fn workers(&self) -> usize {
        self.pool.as_ref().map_or(1, |p| p.current_num_threads())
    }

    fn run(&self, job: &Job, counters: &mut Counters) -> Result<Reduced> {
        let mut run = || {
            with_tokenizer!(job.map.tokenize, job.map.lexicons(), |tokenizer| self.pipeline(job, counters, tokenizer))
        };
        match &self.pool {
            Some(pool) => pool.install(run),
            None => run(),
        }
    }

    fn pool(&self) -> Option<&rayon::ThreadPool> {
        self.pool.as_ref()
    }
}
