//! Runners: who executes the tasks of a job.
//!
//! A runner schedules; it never tokenizes, partitions or formats. The in-process runners
//! (`local`, `threads`) share one pipeline, [`run_in_process`], and differ only in their
//! [`Executor`]: how the map workers and the per-partition reducers are run.
//!
//! ```text
//!            ┌─ worker 0: pull chunk ─► map_task ─► table ─┐             ┌─ reduce p0 ─┐
//! splitter ──┤  (shared, pulled one task at a time)        ├─ shuffle ─► ├─ reduce p1 ─┼─► partitions
//!            └─ worker n: pull chunk ─► map_task ─► table ─┘             └─ reduce pR ─┘
//! ```
//!
//! Workers pull tasks from the splitter as they become free, so at most one chunk per worker is
//! in memory when reading a stream. On a read error without `--keep-going`, the first failing
//! worker raises a flag that stops the others after their current task.

mod local;
pub mod procs;
pub mod spark;
mod threads;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

pub use local::Local;
pub use procs::Procs;
pub use threads::Threads;

use crate::config::{Config, RunnerKind};
use crate::counters::Counters;
use crate::error::{Error, Result};
use crate::input::Plan;
use crate::map::{map_task, MapStats};
use crate::progress::Progress;
use crate::records::Records;
use crate::reduce::{reduce_partition, reduce_spilled_partition, Reduced};
use crate::shuffle;
use crate::spill::Spiller;
use crate::split::Splitter;
use crate::table::CountTable;
use crate::tokenize::{with_tokenizer, Tokenizer};

/// Everything a runner needs to run one job.
pub struct Job<'a> {
    pub config: &'a Config,
    pub plan: &'a Plan,
    pub progress: &'a Progress,
    /// Called with each input that fails while being read under `--keep-going`.
    pub warn: &'a (dyn Fn(&Error) + Sync),
}

/// How an in-process runner executes work.
pub trait Executor: Sync {
    /// How many map workers run at once.
    fn workers(&self) -> usize;
    /// Runs `work(i)` for every worker `i`, concurrently if the executor can.
    fn broadcast<R: Send>(&self, work: &(dyn Fn(usize) -> R + Sync)) -> Vec<R>;
    /// Applies `f` to every item, concurrently if the executor can; keeps the order.
    fn map_each<I: Send, O: Send>(&self, items: Vec<I>, f: &(dyn Fn(I) -> O + Sync)) -> Vec<O>;
    /// Runs `f` in the executor's context (its thread pool, if any).
    fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R;
}

/// A runner chosen by `-r`.
pub enum Runner {
    Local(Local),
    Threads(Threads),
    Procs(Procs),
    Spark(spark::Spark),
}

impl Runner {
    /// The runner `config` asks for, for the inputs of `plan`. A single input of known size that
    /// fits in one chunk is one map task (every input is at least one): `-r threads` then runs
    /// it with one worker, on the calling thread, since starting the pool would cost more
    /// (about a millisecond) than it saves.
    pub fn new(config: &Config, plan: &Plan) -> Result<Runner> {
        match config.runner {
            RunnerKind::Local => Ok(Runner::Local(Local)),
            RunnerKind::Threads => {
                let one_task = match plan.sources.as_slice() {
                    [only] => only.size.is_some_and(|n| n <= config.chunk_size as u64),
                    _ => false,
                };
                Threads::new(if one_task { 1 } else { config.jobs }).map(Runner::Threads)
            }
            RunnerKind::Procs => Ok(Runner::Procs(Procs {
                workers: config.jobs,
                task_timeout: config.task_timeout,
                max_attempts: config.max_attempts,
                tmp_dir: config.tmp_dir.clone(),
            })),
            RunnerKind::Spark => {
                // Fail before any work when Spark is not there.
                spark::find_submit(config.spark_submit.as_deref())?;
                Ok(Runner::Spark(spark::Spark {
                    master: config.spark_master.clone(),
                    submit: config.spark_submit.clone(),
                    tmp_dir: config.tmp_dir.clone(),
                }))
            }
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Runner::Local(_) => "local",
            Runner::Threads(_) => "threads",
            Runner::Procs(_) => "procs",
            Runner::Spark(_) => "spark",
        }
    }

    pub fn workers(&self) -> usize {
        match self {
            Runner::Local(e) => e.workers(),
            Runner::Threads(e) => e.workers(),
            Runner::Procs(p) => p.workers,
            Runner::Spark(_) => 1,
        }
    }

    /// Runs map, shuffle and reduce; returns the reduced partitions, in partition order.
    pub fn run(&self, job: &Job, counters: &mut Counters) -> Result<Reduced> {
        match self {
            Runner::Local(e) => run_in_process(e, job, counters),
            Runner::Threads(e) => e.install(|| run_in_process(e, job, counters)),
            Runner::Procs(p) => p.run(job, counters),
            Runner::Spark(s) => s.run(job, counters),
        }
    }

    /// Runs `f` where this runner runs its work (so rayon calls use its pool).
    pub fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        match self {
            Runner::Local(e) => e.install(f),
            Runner::Threads(e) => e.install(f),
            Runner::Procs(_) | Runner::Spark(_) => f(),
        }
    }
}

/// The in-process pipeline, generic over the executor and monomorphized per tokenizer.
pub fn run_in_process<E: Executor>(exec: &E, job: &Job, counters: &mut Counters) -> Result<Reduced> {
    with_tokenizer!(job.config.tokenize, |tokenizer| pipeline(exec, job, counters, tokenizer))
}

struct WorkerOutput {
    partitions: Vec<Records>,
    stats: MapStats,
    combined: u64,
}

fn pipeline<E: Executor, T: Tokenizer + Sync>(
    exec: &E,
    job: &Job,
    counters: &mut Counters,
    tokenizer: T,
) -> Result<Reduced> {
    let config = job.config;
    let partitions = config.partitions;
    let boundary_tokenizer = tokenizer.clone();
    let boundary = tokenizer.clone();
    let splitter =
        Splitter::new(&job.plan.sources, config.chunk_size, config.mmap, move |b| boundary_tokenizer.is_boundary(b));
    let splitter = Mutex::new(splitter.taper(exec.workers()));
    let failed = AtomicBool::new(false);
    let skipped = AtomicU64::new(0);
    let spiller = Spiller::new(&config.tmp_dir, partitions);
    let spill_at = crate::spill::spill_threshold(config.max_memory, exec.workers(), config.tiny_budget);

    let started = Instant::now();
    let worker = |_: usize| -> Result<WorkerOutput> {
        let mut tokenizer = tokenizer.clone();
        let mut table = CountTable::default();
        let mut stats = MapStats::default();
        let mut combined = 0;
        let mut run = || -> Result<()> {
            while !failed.load(Ordering::Relaxed) {
                let next = splitter.lock().unwrap_or_else(|p| p.into_inner()).next();
                match next {
                    None => break,
                    Some(Ok(mut chunk)) => {
                        // One chunk is one task, even when a whole-source stream gives it in pieces.
                        stats.tasks += 1;
                        let mut spilled = Ok(());
                        let read = chunk.for_each_piece(
                            config.chunk_size,
                            |b| boundary.is_boundary(b),
                            |piece| {
                                map_task(&mut tokenizer, piece, &mut table, &mut stats);
                                job.progress.add(piece.len() as u64);
                                if table.memory_bytes() > spill_at && spilled.is_ok() {
                                    combined += table.len() as u64;
                                    spilled = spiller.spill_table(std::mem::take(&mut table));
                                }
                            },
                        );
                        spilled?;
                        match read {
                            Ok(()) => chunk.release(),
                            Err(e) => {
                                let e = Error::input(&job.plan.sources[chunk.source].name, &e);
                                if !config.keep_going {
                                    return Err(e);
                                }
                                (job.warn)(&e);
                                skipped.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                    Some(Err(e)) if config.keep_going => {
                        (job.warn)(&e);
                        skipped.fetch_add(1, Ordering::Relaxed);
                    }
                    Some(Err(e)) => return Err(e),
                }
            }
            Ok(())
        };
        if let Err(e) = run() {
            failed.store(true, Ordering::Relaxed);
            return Err(e);
        }
        combined += table.len() as u64;
        Ok(WorkerOutput { partitions: table.into_partitions(partitions), stats, combined })
    };
    let outputs = exec.broadcast(&worker);
    let mut map_outputs = Vec::with_capacity(outputs.len());
    for output in outputs {
        let output = output?;
        counters.map.merge(&output.stats);
        counters.combine_output_records += output.combined;
        map_outputs.push(output.partitions);
    }
    counters.skipped_inputs += skipped.into_inner();
    counters.phases.push(("map", started.elapsed()));

    let started = Instant::now();
    let reduced = if spiller.spilled() {
        // Once anything is on disk, everything goes there: each partition is then one merge.
        for lists in map_outputs {
            spiller.spill_lists(lists)?;
        }
        counters.spill.merge(&spiller.stats());
        let (runs, work) = spiller.into_runs().expect("spilled");
        let inputs: Vec<(usize, Vec<PathBuf>)> = runs.into_iter().enumerate().collect();
        let merge = |(p, paths): (usize, Vec<PathBuf>)| reduce_spilled_partition(work.path(), p, &paths);
        let merged = exec.map_each(inputs, &merge).into_iter().collect::<Result<Vec<_>>>()?;
        counters.distinct_words = merged.iter().map(|(_, n)| n).sum();
        Reduced::Disk { runs: merged.into_iter().map(|(path, _)| path).collect(), work }
    } else {
        let shuffled = shuffle::by_partition(map_outputs, partitions);
        let reduced = exec.map_each(shuffled, &reduce_partition);
        let reduced = reduced.into_iter().collect::<Result<Vec<_>, _>>().map_err(|e| Error::Job(e.to_string()))?;
        counters.distinct_words = reduced.iter().map(|r| r.len() as u64).sum();
        Reduced::Memory(reduced)
    };
    counters.reduce_partitions = partitions as u64;
    counters.phases.push(("reduce", started.elapsed()));
    Ok(reduced)
}
