//! SIGINT and SIGTERM: remove what the job was writing, then exit 130 or 143.
//!
//! Temp files and work directories register here while they exist. The signals are caught by a
//! dedicated thread (signal-hook's self-pipe iterator), not in a signal handler, so removing
//! files there is safe. Nothing registered means nothing to clean: the process just exits with
//! the conventional status, as if the signal had killed it.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

static PATHS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static CHILDREN: Mutex<Vec<u32>> = Mutex::new(Vec::new());
static INSTALL: Once = Once::new();

/// Starts the signal thread (once per process).
pub fn install() {
    INSTALL.call_once(|| {
        let Ok(mut signals) = Signals::new([SIGINT, SIGTERM]) else {
            return;
        };
        let spawned = std::thread::Builder::new()
            .name("mrwc-signals".into())
            .spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    kill_children();
                    remove_registered();
                    std::process::exit(128 + signal);
                }
            });
        // Without the thread the default action (die) still applies; only cleanup is lost.
        drop(spawned);
    });
}

/// Removes `path` (a file or a whole directory) if the process is interrupted.
pub fn register(path: &Path) {
    lock().push(path.to_path_buf());
}

/// Forgets `path`: it was committed or removed by its owner.
pub fn unregister(path: &Path) {
    lock().retain(|p| p != path);
}

/// Kills child process `pid` (a procs worker) if the process is interrupted, before the
/// registered paths are removed, so no worker writes into a directory being removed.
pub fn register_child(pid: u32) {
    CHILDREN.lock().unwrap_or_else(|p| p.into_inner()).push(pid);
}

pub fn unregister_child(pid: u32) {
    CHILDREN
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .retain(|&p| p != pid);
}

fn kill_children() {
    let children = std::mem::take(&mut *CHILDREN.lock().unwrap_or_else(|p| p.into_inner()));
    for &pid in &children {
        // SAFETY: kill has no memory-safety preconditions; the pids are our own children.
        unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    }
    for &pid in &children {
        let mut status = 0;
        // SAFETY: waitpid on our own child; reaping it here is fine since the process exits.
        unsafe { libc::waitpid(pid as i32, &mut status, 0) };
    }
}

fn lock() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    PATHS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn remove_registered() {
    for path in lock().drain(..) {
        let _ = match path.symlink_metadata() {
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(&path),
            Ok(_) => std::fs::remove_file(&path),
            Err(_) => Ok(()),
        };
    }
}
