//! `mrwc worker` (hidden): one worker process of `-r procs`.
//!
//! It reads requests from stdin and answers each on stdout (see [`super::protocol`]) until
//! stdin closes. A map task counts a byte range of one file into a combining table and writes
//! one sorted run per partition; a reduce task merges one partition's runs from every
//! committed map task. Everything an attempt writes goes under its own attempt directory;
//! committing (renaming it into place) is the coordinator's job, so a crashed or timed-out
//! attempt never leaves anything a reducer or the output would read.
//!
//! ```text
//!   WORK/map-00003/attempt-1/part-00000.run ...    an attempt of map task 3
//!   WORK/map-00003/done/                           the committed attempt (renamed)
//!   WORK/reduce-00001/attempt-2/result.run
//!   WORK/reduce-00001/done/result.run
//! ```
//!
//! Fault injection, for tests: `MRWC_FAULT=KIND:TASK:ATTEMPT[,...]` makes the attempt
//! `ATTEMPT` (a number, or `*` for every attempt) of `TASK` (`map-3`, `reduce-0`) misbehave:
//! `crash` aborts the worker (SIGABRT), `kill` sends it SIGKILL, `exit` exits with status 3,
//! `slow` makes the task last three task timeouts while the process stays healthy, `hang` stops
//! the whole process (SIGSTOP, so its heartbeat stops too), `fail` reports a failed
//! task and goes on.

use std::fs::{self, File};
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use clap::Args;

use crate::budget::Budget;
use crate::error::{io_reason, Error, Result};
use crate::map::MapStats;
use crate::runfile;
use crate::runner::procs::protocol::{read_frame, write_frame, Reply, Request, TaskId};
use crate::spill;
use crate::tokenize::{with_tokenizer, Tokenizer};

/// The worker's flags, set by the coordinator.
#[derive(Debug, Clone, Args)]
pub struct WorkerArgs {
    #[arg(long)]
    pub work_dir: PathBuf,
    #[command(flatten)]
    pub map: crate::map::MapSpec,
    #[command(flatten)]
    pub partition: crate::partition::PartitionArgs,
    #[arg(long)]
    pub no_mmap: bool,
    /// This worker's share of --max-memory, in bytes.
    #[arg(long)]
    pub max_memory: usize,
    /// The coordinator's --test-tiny-budget.
    #[arg(long)]
    pub test_tiny_budget: bool,
    /// Milliseconds between heartbeats while a task runs.
    #[arg(long, default_value_t = 1000)]
    pub heartbeat_ms: u64,
}

impl WorkerArgs {
    /// The job's partitioner, as the coordinator's (see `config`).
    fn partitioner(&self) -> crate::partition::Partitioner {
        self.partition.partitioner(1).skipping(self.map.keys().header_len())
    }

    fn heartbeat(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.heartbeat_ms.max(1))
    }
}

pub fn attempt_dir(task_dir: &Path, attempt: u32) -> PathBuf {
    task_dir.join(format!("attempt-{attempt}"))
}

/// A map attempt's run for `partition`; `spill` counts the runs a map task wrote for it, when
/// its table passed the worker's memory share before the task's end (0, 1, ... in order).
pub fn part_name(partition: usize, spill: usize) -> String {
    format!("part-{partition:05}-{spill:03}.run")
}

/// Runs the worker loop until stdin closes.
///
/// A heartbeat thread, which never waits on a task, sends `progress` for the current attempt
/// every `--heartbeat` while one runs: the coordinator's `--task-timeout` then measures how long
/// the worker *process* has been silent (stopped, deadlocked, swapped to death), never how long
/// a task takes.
pub fn run(args: &WorkerArgs) -> Result<()> {
    // The coordinator checked the lists; the worker loads them once for all its tasks.
    let mut args = args.clone();
    args.map.prepare()?;
    let args = &args;
    let faults = std::env::var("MRWC_FAULT").unwrap_or_default();
    let mut input = BufReader::new(io::stdin().lock());
    let output = Arc::new(Mutex::new(io::stdout()));
    let current: Arc<Mutex<Option<(usize, u32)>>> = Arc::default();
    {
        let (output, current, every) = (Arc::clone(&output), Arc::clone(&current), args.heartbeat());
        std::thread::Builder::new()
            .name("mrwc-heartbeat".into())
            .spawn(move || loop {
                std::thread::sleep(every);
                let running = *current.lock().unwrap_or_else(|p| p.into_inner());
                if let Some((task, attempt)) = running {
                    let mut out = output.lock().unwrap_or_else(|p| p.into_inner());
                    if write_frame(&mut *out, &Reply::Progress { task, attempt }.encode()).is_err() {
                        return;
                    }
                }
            })
            .map_err(|e| Error::Job(format!("worker: cannot start its heartbeat: {e}")))?;
    }
    let proto = |e: io::Error| Error::Job(format!("worker: {}", io_reason(&e)));
    while let Some(frame) = read_frame(&mut input).map_err(proto)? {
        let request = Request::decode(&frame).map_err(proto)?;
        let (id, attempt) = (request.id(), request.attempt());
        let (name, task) = (id.fault_name(), id.index());
        *current.lock().unwrap_or_else(|p| p.into_inner()) = Some((task, attempt));
        // At once, so the coordinator knows this process is up and reading.
        let beat = Reply::Progress { task, attempt }.encode();
        write_frame(&mut *output.lock().unwrap_or_else(|p| p.into_inner()), &beat).map_err(proto)?;
        let fault = inject_fault(&faults, &name, attempt, args.heartbeat());
        let reply = match fault {
            Some(reason) => Reply::Failed { task, attempt, reason },
            None => execute(args, &request).unwrap_or_else(|e| Reply::Failed { task, attempt, reason: e.to_string() }),
        };
        *current.lock().unwrap_or_else(|p| p.into_inner()) = None;
        let mut out = output.lock().unwrap_or_else(|p| p.into_inner());
        write_frame(&mut *out, &reply.encode()).map_err(proto)?;
    }
    Ok(())
}

/// Applies `MRWC_FAULT` to this attempt; `Some(reason)` means "report a failure".
fn inject_fault(spec: &str, task: &str, attempt: u32, heartbeat: std::time::Duration) -> Option<String> {
    for item in spec.split(',').filter(|s| !s.is_empty()) {
        let parts: Vec<&str> = item.split(':').collect();
        let [kind, t, a] = parts[..] else { continue };
        if t != task || (a != "*" && a.parse() != Ok(attempt)) {
            continue;
        }
        match kind {
            "crash" => std::process::abort(),
            "exit" => std::process::exit(3),
            "kill" => {
                // SAFETY: sending a signal to our own pid has no memory-safety preconditions.
                unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
            }
            // The whole process stops, heartbeat included, as a hung machine would.
            // SAFETY: raise has no preconditions.
            "hang" => unsafe {
                libc::raise(libc::SIGSTOP);
            },
            "fail" => return Some(format!("injected failure ({item})")),
            // A slow task (not a hung process): the task waits 12 heartbeats, three times
            // the coordinator's --task-timeout, while the heartbeat thread keeps beating.
            "slow" => std::thread::sleep(heartbeat * 12),
            _ => {}
        }
    }
    None
}

fn execute(args: &WorkerArgs, request: &Request) -> Result<Reply> {
    match request {
        Request::Map { task, attempt, source, path, start, end } => {
            let dir = create_attempt_dir(&TaskId::Map(*task).dir(&args.work_dir), *attempt)?;
            let data = read_range(path, *start, *end, !args.no_mmap)?;
            // A range of a file in a legacy encoding (the coordinator cut it at a line end) is
            // decoded here; the coordinator's splitter made the same choice from the same bytes.
            let name = crate::error::quote_path(path);
            let legacy = crate::input::legacy_encoding(path, args.map.encoding)
                .map_err(|e| Error::Input { path: name, reason: io_reason(&e) })?;
            let (text, undecodable) = match legacy {
                Some(encoding) => {
                    let mut text = Vec::with_capacity(data.len() + data.len() / 2);
                    let bad = crate::input::encoding::decode_into(encoding, &data, &mut text);
                    (std::borrow::Cow::Owned(text), bad)
                }
                None => (std::borrow::Cow::Borrowed(&data[..]), 0),
            };
            let (stats, spilled) = with_tokenizer!(args.map.tokenize, args.map.lexicons(), |tokenizer| {
                map_range(tokenizer, (*source, &text), &dir, args)?
            });
            Ok(Reply::MapDone {
                task: *task,
                attempt: *attempt,
                bytes: stats.input_bytes,
                tokens: stats.output_records,
                combined: stats.combined,
                removed: stats.removed,
                undecodable,
                spilled: [spilled.spills, spilled.records, spilled.bytes],
            })
        }
        Request::Reduce { task, attempt, maps } => {
            let dir = create_attempt_dir(&TaskId::Reduce(*task).dir(&args.work_dir), *attempt)?;
            // Every run of this partition from every committed map task. A map task writes no
            // run for a partition it saw no word of, and possibly several (spills): list them.
            let prefix = format!("part-{task:05}-");
            let mut inputs: Vec<PathBuf> = Vec::new();
            for m in 0..*maps {
                let done = TaskId::Map(m).dir(&args.work_dir).join("done");
                let entries = fs::read_dir(&done).map_err(|e| Error::temp_dir(&done, &e))?;
                for entry in entries {
                    let entry = entry.map_err(|e| Error::temp_dir(&done, &e))?;
                    if entry.file_name().to_str().is_some_and(|n| n.starts_with(&prefix)) {
                        inputs.push(entry.path());
                    }
                }
            }
            inputs.sort();
            let records = runfile::merge_files(&inputs, &dir.join("result.run"), &dir)?;
            Ok(Reply::ReduceDone { task: *task, attempt: *attempt, records })
        }
    }
}

fn create_attempt_dir(task_dir: &Path, attempt: u32) -> Result<PathBuf> {
    let fail = |e: io::Error| Error::temp_dir(task_dir, &e);
    // The work directory itself is never created here: if the coordinator removed it (job
    // over), the attempt must fail rather than resurrect it.
    match fs::create_dir(task_dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(fail(e)),
    }
    let dir = attempt_dir(task_dir, attempt);
    if dir.exists() {
        fs::remove_dir_all(&dir).map_err(fail)?;
    }
    fs::create_dir(&dir).map_err(fail)?;
    Ok(dir)
}

/// The bytes `start..end` of a file, mapped or read.
enum Range {
    Mapped(crate::input::MappedFile, usize, usize),
    Read(Vec<u8>),
}

impl std::ops::Deref for Range {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Range::Mapped(map, start, end) => &map[*start..*end],
            Range::Read(v) => v,
        }
    }
}

fn read_range(path: &Path, start: u64, end: u64, mmap: bool) -> Result<Range> {
    let name = crate::error::quote_path(path);
    let fail = |e: io::Error| Error::Input { path: name.clone(), reason: io_reason(&e) };
    let changed = || Error::Input { path: name.clone(), reason: "file changed while being read".into() };
    let mut file = File::open(path).map_err(fail)?;
    let len = file.metadata().map_err(fail)?.len();
    if len < end {
        return Err(changed());
    }
    if mmap && end > start {
        if let Some(map) = crate::input::MappedFile::map(&file, &name) {
            return Ok(Range::Mapped(map, start as usize, end as usize));
        }
    }
    let mut buf = vec![0u8; (end - start) as usize];
    file.seek(SeekFrom::Start(start)).map_err(fail)?;
    file.read_exact(&mut buf).map_err(
        |e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                changed()
            } else {
                fail(e)
            }
        },
    )?;
    Ok(Range::Read(buf))
}

/// Counts `data` with one map worker, in pieces of about 1 MiB cut on boundaries; whenever its
/// table passes this process's memory share (see [`crate::budget`]) it is written as runs.
/// Returns the map statistics and what was spilled before the end.
fn map_range<T: Tokenizer>(
    tokenizer: T,
    (source, data): (usize, &[u8]),
    dir: &Path,
    args: &WorkerArgs,
) -> Result<(MapStats, spill::SpillStats)> {
    // `max_memory` is this process's share: it is one worker.
    let spill_at = Budget::given(args.max_memory, args.test_tiny_budget).spill_at(1);
    let boundary = args.map.boundary(tokenizer.clone());
    let mut worker = args.map.worker(tokenizer, spill_at);
    let mut spilled = spill::SpillStats::default();
    let (mut spills, mut start) = (0usize, 0usize);
    worker.start_task(source);
    loop {
        let last = start >= data.len();
        if last || worker.table_bytes() > spill_at {
            let lists = worker.take().into_partitions(args.partitioner());
            let n = spills;
            let (_, written) = spill::write_runs(lists, dir, |p| part_name(p, n))?;
            if !last {
                spilled.merge(&written);
            }
            spills += 1;
            if spills == spill::MAX_RUNS {
                // Bound the files of one task: its runs of each partition merged into one.
                for p in 0..args.partitioner().count() {
                    let runs: Vec<PathBuf> =
                        (0..spills).map(|n| dir.join(part_name(p, n))).filter(|r| r.exists()).collect();
                    if !runs.is_empty() {
                        let merged = spill::compact(&runs, dir, &format!("compact-{p:05}.run"))?;
                        std::fs::rename(&merged, dir.join(part_name(p, 0))).map_err(|e| Error::temp_dir(dir, &e))?;
                    }
                }
                spills = 1;
            }
        }
        if last {
            break;
        }
        let end = crate::split::chunk_end(data, start, 1 << 20, &boundary);
        worker.map(&data[start..end]);
        start = end;
    }
    Ok((worker.take_stats(), spilled))
}
