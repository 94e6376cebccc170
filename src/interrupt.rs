//! SIGINT and SIGTERM: stop child processes, remove what the job was writing, then exit 130 or
//! 143.
//!
//! Temp files, work directories and worker processes register here while they exist. The
//! signals are caught by a dedicated thread (signal-hook's self-pipe iterator), not in a signal
//! handler, so killing children and removing files there is safe. Nothing registered means
//! nothing to clean: the process just exits with the conventional status, as if the signal had
//! killed it.
//!
//! Order matters: children are killed and reaped first, so no worker writes into a directory
//! being removed; and once the cleanup has started, a child registered late (the job's own
//! threads keep running for a moment) is killed at once. The job's own threads create files
//! (spilled runs, merge outputs, part files) inside [`creating`]: the cleanup waits for every
//! creation under way, however long it takes, and no creation starts after it, so nothing
//! appears in a directory while or after it is removed.
//!
//! Online mode ends normally on a signal: it registers a [`on_first_signal`] callback, which the
//! first signal runs instead of the cleanup; a second signal still cleans up and exits.
//!
//! A job run by a library caller (the Python package) installs no signal handling: the process
//! is the caller's. The caller stops a job with [`cancel`] instead; runners look at
//! [`check_cancelled`] between tasks and end with [`Error::Cancelled`](crate::Error), and the
//! job removes what it created as on any error.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, Once, RwLock};

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

static PATHS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// Child processes to kill; `None` once the cleanup has started.
static CHILDREN: Mutex<Option<Vec<u32>>> = Mutex::new(Some(Vec::new()));
static INSTALL: Once = Once::new();
/// Set once the signal thread has started cleaning up; it will end the process.
static CLEANING: AtomicBool = AtomicBool::new(false);
/// Run by the first signal instead of exiting (online mode's graceful stop).
static FIRST: Mutex<Option<Stop>> = Mutex::new(None);
/// Signals delivered so far, counted in the handler itself: the iterator below reports which
/// signals are pending, not how many times each came, so two quick Ctrl-Cs would look like one.
static RECEIVED: AtomicUsize = AtomicUsize::new(0);
/// Whether [`on_first_signal`] armed a graceful first signal (read by the handler).
static FIRST_ARMED: AtomicBool = AtomicBool::new(false);
/// Set by the handler itself when a signal arrives that will end the process (any signal, or
/// the second when the first is graceful): from that moment the signal thread, not whatever
/// the job's threads were doing, decides the exit status, even before that thread has run.
static DOOMED: AtomicBool = AtomicBool::new(false);
/// Held shared by each creation under way, and exclusively by the cleanup.
static GATE: RwLock<()> = RwLock::new(());
/// Set by [`cancel`]: the job under way should stop at its next task.
static CANCELLED: AtomicBool = AtomicBool::new(false);
type Stop = Box<dyn FnOnce(i32) + Send>;

/// Starts the signal thread (once per process).
pub fn install() {
    INSTALL.call_once(|| {
        // Registered first, so the count is up before the iterator's action wakes its thread.
        for signal in [SIGINT, SIGTERM] {
            // SAFETY: the action only increments an atomic, which is async-signal-safe.
            let _ = unsafe {
                signal_hook::low_level::register(signal, || {
                    let received = RECEIVED.fetch_add(1, Ordering::SeqCst) + 1;
                    let graceful = usize::from(FIRST_ARMED.load(Ordering::SeqCst));
                    if received > graceful {
                        DOOMED.store(true, Ordering::SeqCst);
                    }
                })
            };
        }
        let Ok(mut signals) = Signals::new([SIGINT, SIGTERM]) else {
            return;
        };
        let spawned = std::thread::Builder::new().name("mrwc-signals".into()).spawn(move || {
            let mut handled = 0;
            for signal in signals.forever() {
                let received = RECEIVED.load(Ordering::SeqCst);
                let deliveries = received.saturating_sub(handled).max(1);
                handled = received.max(handled + 1);
                let first = FIRST.lock().unwrap_or_else(|p| p.into_inner()).take();
                if let Some(stop) = first {
                    stop(signal);
                    if deliveries < 2 {
                        continue;
                    }
                }
                CLEANING.store(true, Ordering::SeqCst);
                let children = children().take().unwrap_or_default();
                kill_and_reap(&children);
                let _closed = GATE.write().unwrap_or_else(|p| p.into_inner());
                remove_registered();
                std::process::exit(128 + signal);
            }
        });
        // Without the thread the default action (die) still applies; only cleanup is lost.
        drop(spawned);
    });
}

/// Asks the job under way in this process to stop at its next task (see [`check_cancelled`]).
pub fn cancel() {
    CANCELLED.store(true, Ordering::SeqCst);
}

/// Forgets an earlier [`cancel`], before a new job starts.
pub fn clear_cancel() {
    CANCELLED.store(false, Ordering::SeqCst);
}

/// Whether [`cancel`] was called.
pub fn cancelled() -> bool {
    CANCELLED.load(Ordering::Relaxed)
}

/// `Err(Cancelled)` once [`cancel`] was called: runners ask between tasks.
pub fn check_cancelled() -> crate::Result<()> {
    match cancelled() {
        true => Err(crate::Error::Cancelled),
        false => Ok(()),
    }
}

/// Makes the next SIGINT or SIGTERM call `stop` (with the signal number) instead of ending the
/// process; the signal after that ends it as usual.
pub fn on_first_signal(stop: impl FnOnce(i32) + Send + 'static) {
    *FIRST.lock().unwrap_or_else(|p| p.into_inner()) = Some(Box::new(stop));
    FIRST_ARMED.store(true, Ordering::SeqCst);
}

/// Blocks forever once a signal's cleanup has started: the signal thread exits the process with
/// the signal's status.
pub fn wait_if_interrupted() {
    while CLEANING.load(Ordering::SeqCst) || DOOMED.load(Ordering::SeqCst) {
        std::thread::park();
    }
}

/// Runs `create`, which makes a file or directory (and registers what must be removed on a
/// signal), so that a signal's cleanup never overlaps it: the cleanup waits until `create`
/// returns, and once the cleanup has begun `create` is not run (an `Interrupted` error). Never
/// call it from inside `create`.
pub fn creating<T>(create: impl FnOnce() -> std::io::Result<T>) -> std::io::Result<T> {
    let _open = GATE.read().unwrap_or_else(|p| p.into_inner());
    if CLEANING.load(Ordering::SeqCst) {
        return Err(std::io::Error::new(std::io::ErrorKind::Interrupted, "interrupted"));
    }
    create()
}

/// Removes `path` (a file or a whole directory) if the process is interrupted.
pub fn register(path: &Path) {
    paths().push(path.to_path_buf());
}

/// Forgets `path`: it was committed or removed by its owner.
pub fn unregister(path: &Path) {
    paths().retain(|p| p != path);
}

/// Kills child process `pid` (a procs worker) if the process is interrupted.
pub fn register_child(pid: u32) {
    let mut children = children();
    match children.as_mut() {
        Some(list) => list.push(pid),
        None => kill_and_reap(&[pid]),
    }
}

/// Forgets child `pid`: it has exited.
pub fn unregister_child(pid: u32) {
    if let Some(list) = children().as_mut() {
        list.retain(|&p| p != pid);
    }
}

/// Whether no process has this pid any more (a killed job's leftovers may then be removed). A
/// process we may not signal (EPERM) still exists, so only ESRCH counts as gone.
pub fn process_is_gone(pid: i32) -> bool {
    // SAFETY: kill with signal 0 sends nothing; it only checks whether the process exists.
    let result = unsafe { libc::kill(pid, 0) };
    result != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
}

fn paths() -> MutexGuard<'static, Vec<PathBuf>> {
    PATHS.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn children() -> MutexGuard<'static, Option<Vec<u32>>> {
    CHILDREN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn kill_and_reap(pids: &[u32]) {
    for &pid in pids {
        // SAFETY: kill has no memory-safety preconditions; the pids are our own children.
        unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    }
    for &pid in pids {
        let mut status = 0;
        // SAFETY: waitpid on our own child. Another thread may reap it first (ECHILD): fine.
        unsafe { libc::waitpid(pid as i32, &mut status, 0) };
    }
}

fn remove_registered() {
    for path in paths().drain(..) {
        // Nothing is being created (see `creating`) and the workers are dead: one pass is enough.
        let _ = match path.symlink_metadata() {
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(&path),
            Ok(_) => std::fs::remove_file(&path),
            Err(_) => Ok(()),
        };
    }
}
/// Fault injection, for tests that must catch mrwc at a precise moment: with
/// `MRWC_FAULT=stop:POINT` (comma-separated with others), the process stops itself (SIGSTOP) at
/// `POINT` until SIGCONT. Points: `commit:before` and `commit:after` (the rename that commits
/// an output), `read:opened` (a file opened to be read with read(), before its first byte).
pub fn stop_at(point: &str) {
    let Ok(faults) = std::env::var("MRWC_FAULT") else { return };
    if faults.split(',').any(|f| f.strip_prefix("stop:") == Some(point)) {
        // SAFETY: raise has no preconditions; the process stops until SIGCONT or SIGKILL.
        unsafe { libc::raise(libc::SIGSTOP) };
    }
}
