//! `-r procs`'s worker processes: starting them, the scheduler that hands tasks out, retries
//! failed attempts and kills silent workers, and the commit of each task's first success.

use std::collections::VecDeque;
use std::fs;
use std::io::{self, Read};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::counters::Counters;
use crate::error::{io_reason, Error, Result};
use crate::interrupt;
use crate::runner::Job;

use super::protocol::{read_frame, write_frame, Reply, Request};
use super::worker::attempt_dir;
use super::Procs;

/// A task as the coordinator tracks it.
pub struct Task {
    pub name: String,
    /// What the task reads, for error messages.
    pub input: String,
    pub request: Request,
}

enum Event {
    Reply(usize, String),
    Exited(usize, String),
}

struct Running {
    task: usize,
    attempt: u32,
    last_heard: Instant,
}

struct WorkerState {
    pid: u32,
    stdin: Option<ChildStdin>,
    running: Option<Running>,
    alive: bool,
    timed_out: bool,
    /// Whether any frame came from it yet: until then it may still be starting (exec, loading
    /// its binary on a busy machine), which is not a hang.
    started: bool,
}

/// How long a worker that has sent nothing yet may take to start before its attempt times out
/// (added to `--task-timeout`).
const START_ALLOWANCE: Duration = Duration::from_secs(60);

/// The worker processes of a job and the events they send.
pub struct Pool<'a> {
    procs: &'a Procs,
    args: Vec<String>,
    work: PathBuf,
    workers: Vec<WorkerState>,
    tx: mpsc::Sender<Event>,
    rx: mpsc::Receiver<Event>,
}

impl<'a> Pool<'a> {
    pub fn new(procs: &'a Procs, job: &Job, work: &Path) -> Pool<'a> {
        let mut args: Vec<String> = vec!["worker".into()];
        args.extend(job.map.to_args());
        args.extend(job.partitioner.to_args());
        let share = job.budget.share(procs.workers);
        args.extend(["--max-memory".into(), share.bytes().to_string()]);
        if share.tiny() {
            args.push("--test-tiny-budget".into());
        }
        // Four heartbeats per timeout, so one late beat on a busy machine is not a timeout.
        let beat = (procs.task_timeout / 4).clamp(Duration::from_millis(10), Duration::from_secs(10));
        args.extend(["--heartbeat-ms".into(), beat.as_millis().to_string()]);
        if !job.mmap {
            args.push("--no-mmap".into());
        }
        let (tx, rx) = mpsc::channel();
        Pool { procs, args, work: work.to_path_buf(), workers: Vec::new(), tx, rx }
    }

    fn live(&self) -> usize {
        self.workers.iter().filter(|w| w.alive).count()
    }

    fn spawn(&mut self) -> Result<()> {
        // The running binary itself, even if its file was replaced or removed meanwhile (an
        // upgrade during a long job): /proc/self/exe names the inode, not the path.
        let exe = match Path::new("/proc/self/exe") {
            p if p.exists() => p.to_path_buf(),
            _ => std::env::current_exe().map_err(|e| Error::Job(format!("cannot find the mrwc executable: {e}")))?,
        };
        let mut child = Command::new(exe)
            .args(&self.args)
            .arg("--work-dir")
            .arg(&self.work)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::Job(format!("cannot start a worker process: {}", io_reason(&e))))?;
        let index = self.workers.len();
        let pid = child.id();
        interrupt::register_child(pid);
        let (stdout, mut stderr) = (child.stdout.take().expect("piped"), child.stderr.take().expect("piped"));
        let stdin = child.stdin.take();
        let tx = self.tx.clone();
        std::thread::spawn(move || {
            let errors = std::thread::spawn(move || {
                let mut text = Vec::new();
                let _ = stderr.read_to_end(&mut text);
                let text = String::from_utf8_lossy(&text).trim().to_string();
                let tail: String = text.lines().last().unwrap_or("").chars().rev().take(300).collect();
                tail.chars().rev().collect::<String>()
            });
            let mut input = io::BufReader::new(stdout);
            while let Ok(Some(frame)) = read_frame(&mut input) {
                if tx.send(Event::Reply(index, frame)).is_err() {
                    break;
                }
            }
            let status = child.wait();
            let tail = errors.join().unwrap_or_default();
            let mut cause = match status {
                Ok(s) if s.signal().is_some() => {
                    let sig = s.signal().unwrap_or(0);
                    format!("worker killed by signal {sig}{}", signal_name(sig))
                }
                Ok(s) => match s.code() {
                    Some(0) => "worker exited before finishing the task".to_string(),
                    Some(code) => format!("worker exited with status {code}"),
                    None => "worker ended".to_string(),
                },
                Err(e) => format!("worker lost: {e}"),
            };
            if !tail.is_empty() {
                cause.push_str(&format!("; stderr: {tail}"));
            }
            let _ = tx.send(Event::Exited(index, cause));
        });
        self.workers.push(WorkerState { pid, stdin, running: None, alive: true, timed_out: false, started: false });
        Ok(())
    }

    /// Runs every task of a phase to success; returns each task's final reply, in task order.
    pub fn run_phase(&mut self, tasks: &[Task], counters: &mut Counters) -> Result<Vec<Reply>> {
        let mut queue: VecDeque<usize> = (0..tasks.len()).collect();
        let mut attempts = vec![0u32; tasks.len()];
        let mut last_worker: Vec<Option<usize>> = vec![None; tasks.len()];
        let mut done: Vec<Option<Reply>> = vec![None; tasks.len()];
        let mut remaining = tasks.len();
        let wanted = self.procs.workers.min(tasks.len().max(1));
        while self.live() < wanted {
            self.spawn()?;
        }
        while remaining > 0 {
            crate::interrupt::check_cancelled()?;
            self.assign(tasks, &mut queue, &mut attempts, &mut last_worker)?;
            let wait =
                self.next_deadline().map_or(Duration::from_secs(1), |d| d.saturating_duration_since(Instant::now()));
            let event = match self.rx.recv_timeout(wait.max(Duration::from_millis(1))) {
                Ok(event) => event,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    self.kill_silent_workers();
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    unreachable!("the pool holds a sender")
                }
            };
            let failure = match event {
                Event::Reply(w, frame) => {
                    self.workers[w].started = true;
                    let reply = Reply::decode(&frame)
                        .map_err(|e| Error::Job(format!("worker {}: {e}", self.workers[w].pid)))?;
                    let (task, attempt) = reply.task();
                    let current =
                        self.workers[w].running.as_ref().is_some_and(|r| r.task == task && r.attempt == attempt);
                    if !current {
                        continue;
                    }
                    match reply {
                        Reply::Progress { .. } => {
                            if let Some(r) = self.workers[w].running.as_mut() {
                                r.last_heard = Instant::now();
                            }
                            continue;
                        }
                        Reply::Failed { ref reason, .. } => {
                            self.workers[w].running = None;
                            Some((task, reason.clone()))
                        }
                        _ => {
                            self.workers[w].running = None;
                            if done[task].is_none() {
                                self.commit(&tasks[task], attempt)?;
                                done[task] = Some(reply);
                                remaining -= 1;
                            }
                            None
                        }
                    }
                }
                Event::Exited(w, cause) => {
                    let state = &mut self.workers[w];
                    state.alive = false;
                    state.stdin = None;
                    interrupt::unregister_child(state.pid);
                    let cause = if state.timed_out {
                        format!(
                            "no answer for {} s (task timeout); worker killed",
                            self.procs.task_timeout.as_secs_f64()
                        )
                    } else {
                        cause
                    };
                    let failed = state.running.take().map(|r| (r.task, cause));
                    if remaining > 0 && self.live() < wanted {
                        self.spawn()?;
                    }
                    failed
                }
            };
            if let Some((task, cause)) = failure {
                counters.failed_attempts += 1;
                if attempts[task] >= self.procs.max_attempts {
                    let t = &tasks[task];
                    return Err(Error::Job(format!(
                        "task {} ({}) failed {} attempt{}; last: {cause}",
                        t.name,
                        t.input,
                        attempts[task],
                        if attempts[task] == 1 { "" } else { "s" }
                    )));
                }
                queue.push_front(task);
            }
        }
        Ok(done.into_iter().map(|r| r.expect("every task done")).collect())
    }

    /// Gives queued tasks to idle workers, avoiding the worker a task last failed on when
    /// another one is free.
    fn assign(
        &mut self,
        tasks: &[Task],
        queue: &mut VecDeque<usize>,
        attempts: &mut [u32],
        last_worker: &mut [Option<usize>],
    ) -> Result<()> {
        for w in 0..self.workers.len() {
            if queue.is_empty() {
                break;
            }
            if !self.workers[w].alive || self.workers[w].running.is_some() {
                continue;
            }
            let idle_others =
                self.workers.iter().enumerate().filter(|(i, s)| *i != w && s.alive && s.running.is_none()).count();
            let pick = queue.iter().position(|&t| last_worker[t] != Some(w) || idle_others == 0).unwrap_or(0);
            let task = queue.remove(pick).expect("non-empty queue");
            attempts[task] += 1;
            last_worker[task] = Some(w);
            let request = match &tasks[task].request {
                Request::Map { task, source, path, start, end, .. } => Request::Map {
                    task: *task,
                    attempt: attempts[*task],
                    source: *source,
                    path: path.clone(),
                    start: *start,
                    end: *end,
                },
                Request::Reduce { task, maps, .. } => {
                    Request::Reduce { task: *task, attempt: attempts[*task], maps: *maps }
                }
            };
            let state = &mut self.workers[w];
            let allowance = if state.started { Duration::ZERO } else { START_ALLOWANCE };
            state.running = Some(Running { task, attempt: attempts[task], last_heard: Instant::now() + allowance });
            if let Some(stdin) = state.stdin.as_mut() {
                // A worker that died before reading is reported by its Exited event, which
                // fails this attempt; nothing to do here.
                let _ = write_frame(stdin, &request.encode());
            }
        }
        Ok(())
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.workers
            .iter()
            .filter(|w| w.alive && !w.timed_out)
            .filter_map(|w| w.running.as_ref().map(|r| r.last_heard + self.procs.task_timeout))
            .min()
    }

    fn kill_silent_workers(&mut self) {
        let now = Instant::now();
        for w in self.workers.iter_mut().filter(|w| w.alive && !w.timed_out) {
            if w.running.as_ref().is_some_and(|r| r.last_heard + self.procs.task_timeout <= now) {
                w.timed_out = true;
                // SAFETY: kill has no memory-safety preconditions; the pid is our live child.
                unsafe { libc::kill(w.pid as i32, libc::SIGKILL) };
            }
        }
    }

    /// Commits an attempt: its directory becomes the task's `done` directory.
    fn commit(&self, task: &Task, attempt: u32) -> Result<()> {
        let task_dir = task.request.id().dir(&self.work);
        let done = task_dir.join("done");
        interrupt::creating(|| fs::rename(attempt_dir(&task_dir, attempt), &done))
            .map_err(|e| Error::temp_dir(&done, &e))
    }

    /// Closes every worker's stdin (they exit when idle) and waits for them.
    pub fn shutdown(&mut self) {
        for w in &mut self.workers {
            w.stdin = None;
        }
        self.wait_all(Duration::from_secs(30));
    }

    fn wait_all(&mut self, limit: Duration) {
        let deadline = Instant::now() + limit;
        while self.live() > 0 {
            match self.rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(Event::Exited(w, _)) => {
                    self.workers[w].alive = false;
                    interrupt::unregister_child(self.workers[w].pid);
                }
                Ok(Event::Reply(..)) => {}
                Err(_) => break,
            }
        }
    }
}

impl Drop for Pool<'_> {
    /// On failure, no worker outlives the job: kill the live ones and wait for them, so none
    /// writes into the work directory after it is removed.
    fn drop(&mut self) {
        for w in self.workers.iter_mut().filter(|w| w.alive) {
            w.stdin = None;
            if w.running.is_some() {
                // SAFETY: kill has no memory-safety preconditions; the pid is our live child.
                unsafe { libc::kill(w.pid as i32, libc::SIGKILL) };
            }
        }
        self.wait_all(Duration::from_secs(10));
    }
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGKILL => " (SIGKILL)",
        libc::SIGABRT => " (SIGABRT)",
        libc::SIGSEGV => " (SIGSEGV)",
        libc::SIGBUS => " (SIGBUS)",
        libc::SIGTERM => " (SIGTERM)",
        libc::SIGINT => " (SIGINT)",
        _ => "",
    }
}
