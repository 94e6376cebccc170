//! Runners: who executes the tasks of a job.
//!
//! A runner schedules; it never tokenizes, partitions, spills or formats: it drives the stages'
//! own types ([`crate::map::MapWorker`], [`crate::reduce::reduce`], the splitter) and decides
//! only where and when they run. Every runner implements [`Runner`] and is registered once, in
//! [`RUNNERS`]: a new runner is a new folder here, one line in that list, and (if it has flags of
//! its own) one `flatten` line in [`RunnerArgs`].
//!
//! | runner | where tasks run |
//! |---|---|
//! | `local` | the calling thread, in order |
//! | `threads` | a rayon pool of `-j N` threads, pulling tasks from one splitter |
//! | `procs` | `-j N` worker processes, on-disk shuffle, retries, atomic task commit |
//! | `spark` | Apache Spark, with `mrwc map`/`mrwc reduce` as the job's functions |

mod local;
pub mod procs;
pub mod spark;
mod threads;

use std::path::Path;
use std::sync::Arc;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};

use crate::budget::Budget;
use crate::counters::Counters;
use crate::error::Result;
use crate::input::encoding::Decoding;
use crate::input::{OnError, Plan};
use crate::map::MapSpec;
use crate::partition::Partitioner;
use crate::progress::Progress;
use crate::reduce::Reduced;

/// Highest `--jobs`: each worker is a thread or a process with its own table and buffers; far
/// more than any machine's cores only multiplies memory and start-up.
pub const MAX_JOBS: usize = 4096;

/// A runner, once built for a job.
pub trait Runner {
    /// Map workers that run at once.
    fn workers(&self) -> usize;
    /// Runs map, shuffle and reduce; returns the reduced partitions, in partition order.
    fn run(&self, job: &Job, counters: &mut Counters) -> Result<Reduced>;
    /// The threads the output stage (and online mode) may use: an in-process runner's pool.
    fn pool(&self) -> Option<&rayon::ThreadPool> {
        None
    }
}

/// How a runner is known on the command line and built.
#[derive(Debug)]
pub struct Registration {
    /// Its `-r` value.
    pub name: &'static str,
    /// Its line in `--help`.
    pub about: &'static str,
    /// Whether it runs in this process (online mode needs one that does).
    pub in_process: bool,
    /// Its default `--chunk-size`.
    pub chunk_size: usize,
    /// Whether it reads URL inputs (`hdfs://...`) and writes an `--output-dir` URL itself.
    pub urls: bool,
    /// Whether it runs one worker whatever `-j` says.
    pub single: bool,
    pub build: fn(&Setup) -> Result<Box<dyn Runner>>,
}

/// Every runner, in `--help` order (`-r threads` is the default).
pub static RUNNERS: &[Registration] = &[local::RUNNER, threads::RUNNER, procs::RUNNER, spark::RUNNER];

/// The runner registered as `name`.
pub fn registered(name: &str) -> &'static Registration {
    RUNNERS.iter().find(|r| r.name == name).expect("clap accepts registered names only")
}

/// The runner flags: `-r` and each runner's own group.
#[derive(Debug, Clone, clap::Args)]
pub struct RunnerArgs {
    /// Where the job runs.
    #[arg(short = 'r', long, default_value = "threads", value_parser = runner_names(), display_order = 0)]
    pub runner: String,
    #[command(flatten)]
    pub procs: procs::ProcsArgs,
    #[command(flatten)]
    pub spark: spark::SparkArgs,
}

fn runner_names() -> impl TypedValueParser<Value = String> {
    PossibleValuesParser::new(RUNNERS.iter().map(|r| PossibleValue::new(r.name).help(r.about)))
}

/// What building a runner needs.
pub struct Setup<'a> {
    pub args: &'a RunnerArgs,
    /// `-j`: map workers (threads or processes).
    pub jobs: usize,
    pub tmp_dir: &'a Path,
    /// The job is one map task: an in-process runner need not start a pool for it.
    pub one_task: bool,
}

/// Everything a runner needs to run one job: the inputs and the stages' settings.
pub struct Job<'a> {
    pub plan: &'a Plan,
    pub map: MapSpec,
    pub chunk_size: usize,
    pub mmap: bool,
    /// `--encoding`'s decoding, shared by every reader of the job.
    pub decoding: Arc<Decoding>,
    pub partitioner: Partitioner,
    pub budget: Budget,
    pub tmp_dir: &'a Path,
    pub on_error: &'a OnError,
    pub progress: &'a Progress,
    /// Set when the engine may write `--output-dir`'s part files where it computes them.
    pub part_files: Option<PartFiles>,
}

/// Where an engine writes part files.
#[derive(Debug, Clone)]
pub enum PartsTo {
    /// A directory inside the local output's staging directory; the output stage commits.
    Staging(std::path::PathBuf),
    /// An `--output-dir` URL: the engine writes, names and commits the parts there itself,
    /// replacing an output it finds only with `force` (and only one of part files).
    Url { url: String, force: bool },
}

/// `--output-dir`'s part files, to be written by the engine that runs the job (`-r spark`'s
/// executors) rather than collected into this process: offered when the output is part files
/// of plain `word<TAB>count` records and nothing else reads the records (no `--report`).
/// A runner that takes the offer writes `part-NNNNN*` files into the staging directory's `dir`
/// and returns [`Reduced::Written`], and the output stage adopts them and commits as ever; or
/// it writes and commits an output URL. A runner may ignore a local offer; a URL is offered
/// only to a runner registered with `urls`.
#[derive(Debug, Clone)]
pub struct PartFiles {
    /// Where the engine writes: a local directory (absent until it does), or the
    /// `--output-dir` URL, which the engine also commits.
    pub to: PartsTo,
    /// The flags of `mrwc part` that write one partition's file (see `spark/part.rs`).
    pub part_args: Vec<String>,
    /// `--top`: which records to keep is decided over all partitions first.
    pub top: Option<usize>,
    /// `--min-count`, which `--top` chooses after.
    pub min_count: u64,
    /// `--total-order`: parts by word ranges (the engine's own split points), not by hash.
    pub total_order: bool,
}
