//! Ownership of what a job leaves on disk while it runs: work directories, an `--output-dir`'s
//! staging directory, `-o`'s temp file.
//!
//! The owner holds an exclusive `flock` on the item itself (a directory can be locked like a
//! file) for as long as it lives. The kernel drops the lock when the owner's last descriptor
//! closes, however the process ends (SIGKILL included), and a lock is seen from every PID
//! namespace that shares the file system, so "is anyone still writing this?" is answered by
//! trying the lock, never by a process id (a container sharing `/tmp` has other pids).
//!
//! ```text
//!  create   PARENT/.mrwc-new-RANDOM          (a name nothing else ever claims)
//!  lock     flock(LOCK_EX) on it
//!  publish  rename to PARENT/PREFIX RANDOM SUFFIX   (the lock follows the inode)
//! ```
//!
//! So an item under its published name is locked from its first moment: a concurrent
//! [`clean`] can never take a live job's item for an abandoned one. [`clean`] removes only
//! published names whose lock it can take itself (and holds while removing), which is what
//! `mrwc clean` runs; a job never removes another run's leftovers on its own, so leftovers
//! never delay a job.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use crate::interrupt;

/// The published names of what a job owns, as (prefix, suffix) pairs.
pub const WORK_DIR: (&str, &str) = ("mrwc-job-", "");
pub const STAGING_DIR: (&str, &str) = (".mrwc-out-", "");
pub const TEMP_FILE: (&str, &str) = (".mrwc-", ".tmp");
const KINDS: [(&str, &str); 3] = [WORK_DIR, STAGING_DIR, TEMP_FILE];
const UNPUBLISHED: &str = ".mrwc-new-";

/// A file or directory this process created and holds the lock of. It is registered for
/// removal on SIGINT/SIGTERM and SIGBUS from its creation (inside [`interrupt::creating`], so a
/// signal never finds it created but unregistered) until [`Owned::remove`] or
/// [`Owned::release`]: no caller registers anything itself.
/// Dropping it removes the item, as a failed job must leave nothing behind.
#[derive(Debug)]
pub struct Owned {
    path: PathBuf,
    /// The locked descriptor: the file itself, or the directory opened read-only.
    handle: File,
}

impl Owned {
    /// Creates a locked directory `parent/PREFIX…SUFFIX`.
    pub fn dir(parent: &Path, kind: (&str, &str)) -> io::Result<Owned> {
        interrupt::creating(|| Owned::make_dir(parent, kind).inspect(|o| guard(o.path())))
    }

    fn make_dir(parent: &Path, (prefix, suffix): (&str, &str)) -> io::Result<Owned> {
        let fresh = tempfile::Builder::new().prefix(UNPUBLISHED).rand_bytes(10).tempdir_in(parent)?.keep();
        publish(fresh, prefix, suffix, |p| {
            OpenOptions::new().read(true).custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC).open(p)
        })
    }

    /// Creates a locked, empty file `parent/PREFIX…SUFFIX` with mode `0666 & !umask`.
    pub fn file(parent: &Path, kind: (&str, &str)) -> io::Result<Owned> {
        interrupt::creating(|| Owned::make_file(parent, kind).inspect(|o| guard(o.path())))
    }

    fn make_file(parent: &Path, (prefix, suffix): (&str, &str)) -> io::Result<Owned> {
        use std::os::unix::fs::PermissionsExt;
        let (file, fresh) = tempfile::Builder::new()
            .prefix(UNPUBLISHED)
            .rand_bytes(10)
            .permissions(fs::Permissions::from_mode(0o666))
            .tempfile_in(parent)?
            .keep()
            .map_err(|e| e.error)?;
        publish(fresh, prefix, suffix, |_| Ok(file))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The locked file (for a file item, the one to write).
    pub fn file_handle(&self) -> &File {
        &self.handle
    }

    /// Removes the item (a whole directory tree, or the file), keeping the lock until it is gone.
    pub fn remove(mut self) -> io::Result<()> {
        let removed = remove_item(&self.path);
        self.release_mut();
        removed
    }

    /// Removes the item; a failure is reported on stderr as `PATH: cannot remove WHAT: reason`
    /// (for drops, where there is nobody to return an error to).
    pub fn remove_or_warn(self, what: &str) {
        let path = self.path.clone();
        if let Err(e) = self.remove() {
            let (path, reason) = (crate::error::quote_path(&path), crate::error::io_reason(&e));
            crate::error::diag(format!("{path}: cannot remove {what}: {reason}"));
        }
    }

    /// Gives the item up without removing it (it was renamed into its final place).
    pub fn release(mut self) {
        self.release_mut();
    }

    /// What a run killed outright leaves: the item, with its lock gone.
    #[cfg(test)]
    fn abandon(mut self) {
        self.path = PathBuf::new();
    }

    fn release_mut(&mut self) {
        unguard(&self.path);
        self.path = PathBuf::new();
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = remove_item(&self.path);
            unguard(&self.path);
        }
    }
}

/// Registers `path` with both cleanups that can end the process abruptly: SIGINT/SIGTERM (which
/// removes it whole) and SIGBUS from a truncated mapped input (whose handler can only unlink a
/// file or remove an empty directory; a directory with content is left for `mrwc clean`).
fn guard(path: &Path) {
    interrupt::register(path);
    crate::input::sigbus::register_cleanup(path);
}

fn unguard(path: &Path) {
    interrupt::unregister(path);
    crate::input::sigbus::unregister_cleanup(path);
}

fn publish(
    fresh: PathBuf,
    prefix: &str,
    suffix: &str,
    open: impl FnOnce(&Path) -> io::Result<File>,
) -> io::Result<Owned> {
    let undo = |e: io::Error| {
        let _ = remove_item(&fresh);
        e
    };
    let handle = open(&fresh).map_err(undo)?;
    lock(&handle, true).map_err(undo)?;
    let name = fresh.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let random = name.strip_prefix(UNPUBLISHED).unwrap_or(name);
    let path = fresh.with_file_name(format!("{prefix}{random}{suffix}"));
    fs::rename(&fresh, &path).map_err(undo)?;
    Ok(Owned { path, handle })
}

/// Takes the exclusive lock; `wait: false` fails with `WouldBlock` when someone holds it.
fn lock(file: &File, wait: bool) -> io::Result<()> {
    let op = libc::LOCK_EX | if wait { 0 } else { libc::LOCK_NB };
    loop {
        // SAFETY: flock on a descriptor we own.
        if unsafe { libc::flock(file.as_raw_fd(), op) } == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

fn remove_item(path: &Path) -> io::Result<()> {
    match path.symlink_metadata() {
        Ok(m) if m.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Whether `name` is the published name of something a job owns.
fn is_owned_name(name: &str) -> bool {
    KINDS.iter().any(|(prefix, suffix)| {
        name.len() > prefix.len() + suffix.len() && name.starts_with(prefix) && name.ends_with(suffix)
    })
}

/// What [`clean`] found in one directory.
#[derive(Debug, Default)]
pub struct Cleaned {
    pub removed: Vec<PathBuf>,
    /// Items whose owner is alive (their lock is held).
    pub live: usize,
    /// Items that could not be removed, with the cause.
    pub failed: Vec<(PathBuf, io::Error)>,
}

/// Removes the abandoned items directly inside `dir`: published names whose lock nobody holds.
/// A live job's items are never touched; neither is anything else in `dir`.
pub fn clean(dir: &Path) -> io::Result<Cleaned> {
    let mut cleaned = Cleaned::default();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if !name.to_str().is_some_and(is_owned_name) {
            continue;
        }
        let path = entry.path();
        let Ok(meta) = path.symlink_metadata() else { continue };
        if meta.file_type().is_symlink() {
            continue;
        }
        let opened = if meta.is_dir() {
            OpenOptions::new().read(true).custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW).open(&path)
        } else {
            OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW).open(&path)
        };
        let handle = match opened {
            Ok(h) => h,
            Err(e) => {
                cleaned.failed.push((path, e));
                continue;
            }
        };
        match lock(&handle, false) {
            Ok(()) => match (Owned { path: path.clone(), handle }).remove() {
                Ok(()) => cleaned.removed.push(path),
                Err(e) => cleaned.failed.push((path, e)),
            },
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => cleaned.live += 1,
            Err(e) => cleaned.failed.push((path, e)),
        }
    }
    cleaned.removed.sort();
    Ok(cleaned)
}

/// `mrwc clean [DIR...]`: cleans each directory (default: the system temp directory); returns
/// the report to print (`removed PATH` for each item removed), and an error when a directory
/// could not be read or an item removed (after the others were done).
pub fn clean_dirs(dirs: &[PathBuf]) -> (String, crate::Result<()>) {
    use crate::error::{io_reason, quote_path};
    let dirs = if dirs.is_empty() { vec![std::env::temp_dir()] } else { dirs.to_vec() };
    let mut report = String::new();
    let mut errors = Vec::new();
    for dir in &dirs {
        match clean(dir) {
            Ok(cleaned) => {
                for path in &cleaned.removed {
                    report.push_str(&format!("removed {}\n", quote_path(path)));
                }
                for (path, e) in &cleaned.failed {
                    errors.push(format!("{}: cannot remove: {}", quote_path(path), io_reason(e)));
                }
            }
            Err(e) => errors.push(format!("{}: {}", quote_path(dir), io_reason(&e))),
        }
    }
    match errors.len() {
        0 => (report, Ok(())),
        _ => (report, Err(crate::Error::Job(errors.join("\nmrwc: ")))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_item_is_kept_and_an_abandoned_one_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let live = Owned::dir(tmp.path(), WORK_DIR).unwrap();
        fs::write(live.path().join("spill.run"), "x").unwrap();
        let dead = Owned::dir(tmp.path(), STAGING_DIR).unwrap();
        fs::write(dead.path().join("part-00000"), "x").unwrap();
        let dead_path = dead.path().to_path_buf();
        dead.abandon();
        let dead_file = Owned::file(tmp.path(), TEMP_FILE).unwrap();
        let dead_file_path = dead_file.path().to_path_buf();
        dead_file.abandon();
        fs::write(tmp.path().join("mine.txt"), "not mrwc's").unwrap();
        fs::create_dir(tmp.path().join("mrwc-job-")).unwrap();
        // An old output moved aside by the non-atomic --force fallback is never taken.
        fs::create_dir(tmp.path().join(".mrwc-replaced-abc")).unwrap();

        let cleaned = clean(tmp.path()).unwrap();
        let mut want = vec![dead_path.clone(), dead_file_path];
        want.sort();
        assert_eq!(cleaned.removed, want);
        assert_eq!(cleaned.live, 1);
        assert!(live.path().join("spill.run").exists());
        assert!(tmp.path().join("mine.txt").exists() && tmp.path().join("mrwc-job-").exists());
        assert!(tmp.path().join(".mrwc-replaced-abc").exists());
        live.remove().unwrap();
    }

    #[test]
    fn items_are_published_under_their_kind_and_removed_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = Owned::dir(tmp.path(), WORK_DIR).unwrap();
        let name = dir.path().file_name().unwrap().to_str().unwrap().to_string();
        assert!(name.starts_with("mrwc-job-") && name.len() > 12, "{name}");
        fs::create_dir(dir.path().join("map-00000")).unwrap();
        let path = dir.path().to_path_buf();
        dir.remove().unwrap();
        assert!(!path.exists());
        let file = Owned::file(tmp.path(), TEMP_FILE).unwrap();
        let name = file.path().file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with(".mrwc-") && name.ends_with(".tmp"), "{name}");
        file.remove().unwrap();
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0);
    }
}
