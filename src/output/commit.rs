//! Where the result goes, and how it is committed so that no reader ever sees half of it.
//!
//! - stdout: written through a buffer and flushed explicitly (an error on drop would be lost).
//!   A closed pipe (`mrwc big.txt | head -1`) is not an error: the job ends quietly.
//! - `-o FILE`: a temp file `.mrwc-*.tmp` is created in FILE's directory *before* the job starts
//!   (so an unwritable directory fails fast), filled, synced and renamed over FILE. A failed or
//!   interrupted run removes the temp file; FILE is either the old one or the complete new one.
//!   A symbolic link is followed: the file it names is replaced, the link stays. A FILE that is
//!   not a regular file (`/dev/null`, a named pipe) is opened before the job starts and written
//!   in place, since renaming over it would replace the device node or pipe with a regular
//!   file. A FILE that names one of mrwc's own descriptors (`/dev/stdout`, `/dev/stderr`,
//!   `/dev/fd/N`, `/proc/self/fd/N`) is written through that descriptor, at its offset, as
//!   the shell's own redirection would: renaming over what it points at would replace a log
//!   the caller is appending to. Such outputs cannot be atomic.
//! - `--output-dir DIR`: parts and `_SUCCESS` are written into a staging directory
//!   `.mrwc-out-*` beside DIR, which this run owns (see [`crate::owner`]), and the staging
//!   directory becomes DIR in one rename at commit. Until then DIR is not touched: a failed,
//!   interrupted or killed run leaves the old DIR (or none) as it was, and removes (or, killed
//!   outright, leaves for `mrwc clean`) only its own staging directory. `--force` replaces an
//!   existing DIR only if it holds nothing but what mrwc writes there (`part-NNNNN` files and
//!   `_SUCCESS`), and only at commit, by an atomic exchange; the old parts are then removed.
//!   Anything else (an input directory, `.`, a device, a plain file) is refused before the job
//!   starts. A DIR that another run created while this one ran is not replaced without
//!   `--force`: the job fails instead.
//!
//! Fault injection, for tests: `MRWC_FAULT=stop:commit:before` (or `:after`) makes the process
//! stop itself (SIGSTOP) just before (after) the rename that commits `-o` or `--output-dir`, so
//! that a test can kill it at exactly that point.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{quote_path, Error, Result};
use crate::interrupt;
use crate::output::{link_target, parent_dir, OutputTarget};
use crate::owner::{self, Owned};

use super::dir::DirCommit;

pub(super) const BUFFER: usize = 1 << 16;

/// An output prepared before the job runs.
pub enum Sink {
    Stdout,
    File {
        path: PathBuf,
        temp: Owned,
    },
    /// A device, a FIFO or one of mrwc's own descriptors, written in place.
    Special {
        path: PathBuf,
        file: File,
    },
    Dir(DirCommit),
    /// An `--output-dir` URL, which the engine writes and commits (see [`OutputTarget::Url`]).
    Url {
        url: String,
        force: bool,
    },
}

impl Sink {
    /// The staging directory of an `--output-dir` being written (where an engine may write
    /// part files, see [`crate::runner::PartFiles`]).
    pub fn staging(&self) -> Option<&Path> {
        match self {
            Sink::Dir(commit) => Some(commit.staging()),
            _ => None,
        }
    }

    pub fn prepare(target: &OutputTarget) -> Result<Sink> {
        match target {
            OutputTarget::Stdout => Ok(Sink::Stdout),
            OutputTarget::File(path) => {
                let error = |e: io::Error| Error::output(quote_path(path), &e);
                if let Some(fd) = descriptor_alias(path) {
                    let file = duplicate(fd).map_err(error)?;
                    return Ok(Sink::Special { path: path.clone(), file });
                }
                if fs::metadata(path).is_ok_and(|m| !m.is_file()) {
                    let file = OpenOptions::new().write(true).open(path).map_err(error)?;
                    return Ok(Sink::Special { path: path.clone(), file });
                }
                let target = match fs::symlink_metadata(path) {
                    Ok(m) if m.file_type().is_symlink() => link_target(path).map_err(error)?,
                    _ => path.clone(),
                };
                let temp = Owned::file(&parent_dir(&target), owner::TEMP_FILE).map_err(error)?;
                Ok(Sink::File { path: target, temp })
            }
            OutputTarget::Dir { path, force } => DirCommit::start(path, *force).map(Sink::Dir),
            OutputTarget::Url { url, force } => Ok(Sink::Url { url: url.clone(), force: *force }),
        }
    }

    /// Writes the whole result as one stream and commits it.
    pub fn write_one(self, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<()> {
        match self {
            Sink::Stdout => {
                if stdout_was_closed() {
                    return Err(Error::output("write error", &io::Error::from_raw_os_error(libc::EBADF)));
                }
                stream_to(io::stdout().lock(), write).map_err(|e| Error::output("write error", &e))
            }
            Sink::File { path, temp } => {
                let written = (|| {
                    let mut out = BufWriter::with_capacity(BUFFER, temp.file_handle());
                    write(&mut out)?;
                    out.flush()?;
                    drop(out);
                    temp.file_handle().sync_data()
                })();
                let temp_path = temp.path().to_path_buf();
                let result = written.and_then(|()| {
                    crate::interrupt::stop_at("commit:before");
                    interrupt::creating(|| fs::rename(&temp_path, &path))?;
                    crate::interrupt::stop_at("commit:after");
                    Ok(())
                });
                match result {
                    Ok(()) => temp.release(),
                    Err(_) => drop(temp.remove()),
                }
                result.map_err(|e| Error::output(quote_path(&path), &e))
            }
            Sink::Special { path, file } => stream_to(file, write).map_err(|e| Error::output(quote_path(&path), &e)),
            Sink::Dir(_) => unreachable!("a directory sink takes parts"),
            // The job hands a URL to the engine only when it writes the parts there (see
            // `Config::from_cli`); this process cannot.
            Sink::Url { url, .. } => Err(Error::Output {
                what: url,
                reason: "only the engine that runs the job can write an --output-dir URL".into(),
            }),
        }
    }
}

/// The descriptor that `path` names when it is one of this process's own (`/dev/stdout`,
/// `/dev/stderr`, `/dev/stdin`, `/dev/fd/N`, `/proc/self/fd/N`, `/proc/PID/fd/N` with our pid),
/// directly or through symbolic links.
fn descriptor_alias(path: &Path) -> Option<i32> {
    let mut path = path.to_path_buf();
    for _ in 0..40 {
        if let Some(fd) = descriptor_name(&path) {
            return Some(fd);
        }
        let target = fs::read_link(&path).ok()?;
        path = if target.is_absolute() { target } else { parent_dir(&path).join(target) };
    }
    None
}

fn descriptor_name(path: &Path) -> Option<i32> {
    let parts: Vec<&[u8]> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.as_bytes()),
            _ => None,
        })
        .collect();
    if !path.is_absolute() || path.components().any(|c| matches!(c, Component::ParentDir | Component::CurDir)) {
        return None;
    }
    let number = |b: &[u8]| std::str::from_utf8(b).ok()?.parse::<i32>().ok();
    let pid = std::process::id().to_string();
    match parts[..] {
        [b"dev", b"stdin"] => Some(0),
        [b"dev", b"stdout"] => Some(1),
        [b"dev", b"stderr"] => Some(2),
        [b"dev", b"fd", n] => number(n),
        [b"proc", who, b"fd", n] if who == b"self" || who == b"thread-self" || who == pid.as_bytes() => number(n),
        _ => None,
    }
}

/// A new descriptor for the open file behind `fd`, sharing its offset.
fn duplicate(fd: i32) -> io::Result<File> {
    use std::os::unix::io::FromRawFd;
    // SAFETY: F_DUPFD_CLOEXEC on any number either fails (EBADF) or returns a new descriptor
    // that we then own.
    let new = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) };
    if new < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `new` is a fresh descriptor owned by nothing else.
    Ok(unsafe { File::from_raw_fd(new) })
}

/// Writes through a buffer to a stream (stdout, a device, a pipe), flushing explicitly; a reader
/// that went away (`| head -1`) ends the output quietly.
fn stream_to(stream: impl Write, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(BUFFER, stream);
    match write(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        result => result,
    }
}

/// Whether stdout was closed when mrwc started (`mrwc f >&-`): output would silently vanish,
/// and GNU tools report `write error: Bad file descriptor` there, as mrwc does. Rust's runtime
/// reopens a closed standard descriptor on /dev/null before `main`, so the descriptor is looked
/// at earlier, by a function the C runtime calls from `.init_array` (a /dev/null opened
/// read-write by the caller, as Python's `subprocess.DEVNULL` does, looks the same after `main`
/// starts and is not an error).
fn stdout_was_closed() -> bool {
    STDOUT_CLOSED_AT_START.load(Ordering::Relaxed)
}

static STDOUT_CLOSED_AT_START: AtomicBool = AtomicBool::new(false);

#[cfg(target_os = "linux")]
extern "C" fn note_closed_stdout() {
    // SAFETY: F_GETFD only reads the descriptor's flags.
    if unsafe { libc::fcntl(1, libc::F_GETFD) } == -1 {
        STDOUT_CLOSED_AT_START.store(true, Ordering::Relaxed);
    }
}

#[cfg(target_os = "linux")]
#[used]
#[link_section = ".init_array"]
static NOTE_CLOSED_STDOUT: extern "C" fn() = note_closed_stdout;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_sink_replaces_the_target_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.tsv");
        fs::write(&path, "old").unwrap();
        let sink = Sink::prepare(&OutputTarget::File(path.clone())).unwrap();
        sink.write_one(|w| w.write_all(b"new\n")).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new\n");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "temp file left behind");
    }

    #[test]
    fn a_symlinked_target_is_replaced_through_its_link() {
        let dir = tempfile::tempdir().unwrap();
        let (real, link) = (dir.path().join("real.tsv"), dir.path().join("link.tsv"));
        fs::write(&real, "old").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        Sink::prepare(&OutputTarget::File(link.clone())).unwrap().write_one(|w| w.write_all(b"new\n")).unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link was replaced");
        assert_eq!(fs::read_to_string(&real).unwrap(), "new\n");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2, "temp file left behind");
        // A dangling link: the file it names is created.
        let (missing, dangling) = (dir.path().join("new.tsv"), dir.path().join("dangling.tsv"));
        std::os::unix::fs::symlink("new.tsv", &dangling).unwrap();
        Sink::prepare(&OutputTarget::File(dangling.clone())).unwrap().write_one(|w| w.write_all(b"x\n")).unwrap();
        assert!(fs::symlink_metadata(&dangling).unwrap().file_type().is_symlink());
        assert_eq!(fs::read_to_string(&missing).unwrap(), "x\n");
    }

    #[test]
    fn a_fifo_target_is_written_in_place() {
        use std::os::unix::ffi::OsStrExt;
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let c_path = std::ffi::CString::new(fifo.as_os_str().as_bytes()).unwrap();
        // SAFETY: mkfifo reads a NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || fs::read_to_string(fifo).unwrap())
        };
        Sink::prepare(&OutputTarget::File(fifo.clone())).unwrap().write_one(|w| w.write_all(b"a\t1\n")).unwrap();
        // Checked before joining: a reader of a replaced FIFO would wait forever.
        assert!(fs::metadata(&fifo).unwrap().file_type().is_fifo(), "the FIFO was replaced by a file");
        assert_eq!(reader.join().unwrap(), "a\t1\n");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "temp file left behind");
    }

    #[test]
    fn failed_file_write_leaves_the_old_file_and_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.tsv");
        fs::write(&path, "old").unwrap();
        let sink = Sink::prepare(&OutputTarget::File(path.clone())).unwrap();
        let err = sink.write_one(|w| {
            w.write_all(b"partial")?;
            Err(io::Error::other("boom"))
        });
        assert!(err.is_err());
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn descriptor_names_are_recognised() {
        let pid = std::process::id();
        for (path, fd) in [
            ("/dev/stdout", Some(1)),
            ("/dev/stderr", Some(2)),
            ("/dev/fd/7", Some(7)),
            ("/proc/self/fd/1", Some(1)),
            (&format!("/proc/{pid}/fd/2"), Some(2)),
            ("/proc/1/fd/1", None),
            ("dev/stdout", None),
            ("/dev/null", None),
            ("/dev/../dev/stdout", None),
        ] {
            assert_eq!(descriptor_name(Path::new(path)), fd, "{path}");
        }
    }
}
