//! `-r procs`: worker processes, an on-disk shuffle, task retry and commit by rename (Hadoop's
//! semantics on one machine).
//!
//! ```text
//!  coordinator ── plan map tasks (byte ranges; streamed inputs are first written to WORK)
//!      │   frames over pipes (protocol.rs)
//!      ├──► worker 0 ─ map task ─► WORK/map-N/attempt-A/part-P.run ─┐ commit: rename
//!      ├──► worker 1 ─ map task ─► ...                               │ attempt-A -> done
//!      │                                                             ▼
//!      ├──► worker k ─ reduce task P: k-way merge of WORK/map-*/done/part-P.run
//!      │                            ─► WORK/reduce-P/attempt-A/result.run ─► done
//!      └── load WORK/reduce-*/done/result.run ─► output stage (same as every runner)
//! ```
//!
//! Failure handling, as Hadoop does it: an attempt fails when its worker exits non-zero, dies by
//! a signal, reports a failure, or sends nothing for `--task-timeout` (the coordinator then
//! kills it with SIGKILL). A failed task goes back to the front of the queue, preferring
//! another worker, up to `--max-attempts`; a dead worker is replaced. A failed attempt's files
//! are never read: only the coordinator commits, and only on a task's first success. When a
//! task fails on every attempt the job stops every worker, removes its work directory and fails
//! with the task, its input, the attempt count and the last cause.
//!
//! The work directory (`--tmp-dir`, default the system temp dir) is `mrwc-job-XXXXXXXXXX`,
//! locked by the coordinator (see [`crate::owner`]); it is removed on success, on failure and on
//! SIGINT/SIGTERM. One left by a coordinator killed outright is removed by `mrwc clean`.

mod plan;
mod pool;
pub mod protocol;
pub mod worker;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::counters::Counters;
use crate::error::Result;
use crate::map::MapStats;
use crate::reduce::Reduced;
use crate::runner::{Job, Registration, Runner};
use crate::spill::WorkDir;
use crate::tokenize::with_tokenizer;

use pool::{Pool, Task};
use protocol::{Reply, Request, TaskId};

pub const RUNNER: Registration = Registration {
    name: "procs",
    about: "worker processes with an on-disk shuffle",
    in_process: false,
    // Each task is a round trip to a process and a set of files.
    chunk_size: 16 << 20,
    urls: false,
    single: false,
    build: |setup| {
        Ok(Box::new(Procs {
            workers: setup.jobs,
            task_timeout: setup.args.procs.task_timeout,
            max_attempts: setup.args.procs.max_attempts,
            tmp_dir: setup.tmp_dir.to_path_buf(),
        }))
    },
};

/// The flags of `-r procs`.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Runner procs")]
pub struct ProcsArgs {
    /// A worker process silent for this long while it runs a task is taken for hung, killed,
    /// and the task retried (e.g. 600, 90s, 0.5s, 10m). Workers send a heartbeat every quarter
    /// of it from a thread that does not wait on the task: a slow task never times out, a
    /// stopped or deadlocked process does. A worker that has not started yet gets 60 s more.
    #[arg(long, value_name = "DURATION", default_value = "600s", value_parser = crate::units::positive_duration)]
    pub task_timeout: Duration,
    /// Attempts per task before the job fails.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = crate::units::positive::<u32>)]
    pub max_attempts: u32,
}

/// The procs runner's settings.
#[derive(Debug, Clone)]
pub struct Procs {
    pub workers: usize,
    pub task_timeout: Duration,
    pub max_attempts: u32,
    pub tmp_dir: PathBuf,
}

impl Runner for Procs {
    fn workers(&self) -> usize {
        self.workers
    }

    fn run(&self, job: &Job, counters: &mut Counters) -> Result<Reduced> {
        let work = Arc::new(WorkDir::create(&self.tmp_dir)?);
        let started = Instant::now();
        let maps = with_tokenizer!(job.map.tokenize, job.map.lexicons(), |tokenizer| plan::map_tasks(
            job,
            work.path(),
            tokenizer
        )?);
        let map_count = maps.len();
        let mut pool = Pool::new(self, job, work.path());
        for reply in pool.run_phase(&maps, counters)? {
            if let Reply::MapDone {
                bytes,
                tokens,
                combined,
                removed,
                undecodable,
                spilled: [spills, records, spilled_bytes],
                ..
            } = reply
            {
                counters.spill.merge(&crate::spill::SpillStats { spills, records, bytes: spilled_bytes });
                let stats =
                    MapStats { tasks: 1, input_bytes: bytes, output_records: tokens, combined, removed, undecodable };
                counters.map.merge(&stats);
                job.progress.add(bytes);
            }
        }
        counters.phases.push(("map", started.elapsed()));

        let started = Instant::now();
        let partitions = job.partitioner.count();
        let reduces: Vec<Task> = (0..partitions)
            .map(|p| Task {
                name: TaskId::Reduce(p).to_string(),
                input: format!("partition {p} of {map_count} map outputs"),
                request: Request::Reduce { task: p, attempt: 0, maps: map_count },
            })
            .collect();
        for reply in pool.run_phase(&reduces, counters)? {
            if let Reply::ReduceDone { records, .. } = reply {
                counters.distinct_words += records;
            }
        }
        pool.shutdown();
        counters.reduce_partitions = partitions as u64;
        counters.phases.push(("reduce", started.elapsed()));
        let runs =
            (0..partitions).map(|p| TaskId::Reduce(p).dir(work.path()).join("done").join("result.run")).collect();
        Ok(Reduced::Disk { runs, work })
    }
}
