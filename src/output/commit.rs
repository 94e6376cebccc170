//! Where the result goes, and how it is committed so that no reader ever sees half of it.
//!
//! - stdout: written through a buffer and flushed explicitly (an error on drop would be lost).
//!   A closed pipe (`mrwc big.txt | head -1`) is not an error: the job ends quietly.
//! - `-o FILE`: a temp file `.mrwc-*.tmp` is created in FILE's directory *before* the job starts
//!   (so an unwritable directory fails fast), filled, synced and renamed over FILE. A failed or
//!   interrupted run removes the temp file; FILE is either the old one or the complete new one.
//!   A symbolic link is followed: the file it names is replaced, the link stays. A FILE that is
//!   not a regular file (`/dev/null`, `/dev/stdout`, a named pipe) is opened before the job
//!   starts and written in place, since renaming over it would replace the device node or pipe
//!   with a regular file; such an output cannot be atomic.
//! - `--output-dir DIR`: Hadoop's output committer. DIR and `DIR/_temporary/` are created when
//!   the job starts; parts are written under `_temporary/`, renamed into DIR, `_temporary/` is
//!   removed, and `_SUCCESS` is created last. A failed or interrupted run removes DIR. A run
//!   killed outright (SIGKILL) can leave DIR without `_SUCCESS`: the marker is what readers
//!   trust, as with Hadoop.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use tempfile::NamedTempFile;

use crate::config::{link_target, parent_dir, OutputTarget};
use crate::error::{io_reason, quote_path, Error, Result};
use crate::input::sigbus;
use crate::interrupt;

const BUFFER: usize = 1 << 16;

/// An output prepared before the job runs.
pub enum Sink {
    Stdout,
    File {
        path: PathBuf,
        temp: NamedTempFile,
    },
    /// A device or FIFO, written in place.
    Special {
        path: PathBuf,
        file: File,
    },
    Dir(DirCommit),
}

impl Sink {
    pub fn prepare(target: &OutputTarget) -> Result<Sink> {
        match target {
            OutputTarget::Stdout => Ok(Sink::Stdout),
            OutputTarget::File(path) => {
                let error = |e: io::Error| Error::output(quote_path(path), &e);
                if fs::metadata(path).is_ok_and(|m| !m.is_file()) {
                    let file = OpenOptions::new().write(true).open(path).map_err(error)?;
                    return Ok(Sink::Special { path: path.clone(), file });
                }
                let target = match fs::symlink_metadata(path) {
                    Ok(m) if m.file_type().is_symlink() => link_target(path).map_err(error)?,
                    _ => path.clone(),
                };
                let temp = tempfile::Builder::new()
                    .prefix(".mrwc-")
                    .suffix(".tmp")
                    .permissions(fs::Permissions::from_mode(0o666))
                    .tempfile_in(parent_dir(&target))
                    .map_err(error)?;
                interrupt::register(temp.path());
                sigbus::register_cleanup(temp.path());
                Ok(Sink::File { path: target, temp })
            }
            OutputTarget::Dir { path, force } => DirCommit::start(path, *force).map(Sink::Dir),
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
                    let mut out = BufWriter::with_capacity(BUFFER, temp.as_file());
                    write(&mut out)?;
                    out.flush()?;
                    drop(out);
                    temp.as_file().sync_data()
                })();
                let temp_path = temp.path().to_path_buf();
                let result = match written {
                    Ok(()) => temp.persist(&path).map(drop).map_err(|e| e.error),
                    Err(e) => Err(e),
                };
                interrupt::unregister(&temp_path);
                sigbus::unregister_cleanup(&temp_path);
                result.map_err(|e| Error::output(quote_path(&path), &e))
            }
            Sink::Special { path, file } => stream_to(file, write).map_err(|e| Error::output(quote_path(&path), &e)),
            Sink::Dir(_) => unreachable!("a directory sink takes parts"),
        }
    }
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

/// Whether `path` is the output directory of a run that was killed outright: no `_SUCCESS`, and
/// a `_temporary/owner-PID` whose process is gone. Such a directory holds nothing a reader may
/// trust, so a new run replaces it without `--force`, as Hadoop cleans stale `_temporary` data.
pub(crate) fn is_stale_output_dir(path: &Path) -> bool {
    if path.join("_SUCCESS").exists() {
        return false;
    }
    let Ok(entries) = fs::read_dir(path.join("_temporary")) else { return false };
    let owners: Vec<i32> =
        entries.flatten().filter_map(|e| e.file_name().to_str()?.strip_prefix("owner-")?.parse().ok()).collect();
    !owners.is_empty() && owners.into_iter().all(interrupt::process_is_gone)
}

/// An `--output-dir` being written. Dropping it without [`DirCommit::commit`] removes it.
pub struct DirCommit {
    path: PathBuf,
    temporary: PathBuf,
    done: bool,
}

impl DirCommit {
    fn start(path: &Path, force: bool) -> Result<DirCommit> {
        let fail = |e: &io::Error| Error::output(quote_path(path), e);
        if let Ok(meta) = path.symlink_metadata() {
            let stale = is_stale_output_dir(path);
            if !force && !stale {
                let why = "already exists (use --force to replace it)";
                return Err(Error::Usage(format!("{}: {why}", quote_path(path))));
            }
            if stale && !force {
                crate::error::diag(format!("{}: removing the unfinished output of a killed run", quote_path(path)));
            }
            let removed = if meta.is_dir() { fs::remove_dir_all(path) } else { fs::remove_file(path) };
            removed.map_err(|e| fail(&e))?;
        }
        fs::create_dir(path).map_err(|e| fail(&e))?;
        interrupt::register(path);
        let commit = DirCommit { path: path.to_path_buf(), temporary: path.join("_temporary"), done: false };
        fs::create_dir(&commit.temporary).map_err(|e| fail(&e))?;
        // Who is writing: a later run removes this directory if that process is gone.
        let owner = commit.owner();
        File::create(&owner).map_err(|e| fail(&e))?;
        // Still nearly empty during the map phase, when a SIGBUS can happen.
        sigbus::register_cleanup(&owner);
        sigbus::register_cleanup(&commit.temporary);
        sigbus::register_cleanup(path);
        Ok(commit)
    }

    fn owner(&self) -> PathBuf {
        self.temporary.join(format!("owner-{}", std::process::id()))
    }

    /// Writes `parts` part files with `write(index, out)`, then commits them.
    pub fn commit(mut self, parts: usize, write: impl Fn(usize, &mut dyn Write) -> io::Result<()>) -> Result<()> {
        sigbus::unregister_cleanup(&self.owner());
        sigbus::unregister_cleanup(&self.temporary);
        sigbus::unregister_cleanup(&self.path);
        let mut names = Vec::with_capacity(parts);
        for i in 0..parts {
            let name = format!("part-{i:05}");
            let temp = self.temporary.join(&name);
            let written = File::create(&temp).and_then(|file| {
                let mut out = BufWriter::with_capacity(BUFFER, &file);
                write(i, &mut out)?;
                out.flush()?;
                drop(out);
                file.sync_data()
            });
            written.map_err(|e| Error::output(quote_path(&temp), &e))?;
            names.push(name);
        }
        for name in &names {
            let (from, to) = (self.temporary.join(name), self.path.join(name));
            fs::rename(&from, &to).map_err(|e| Error::output(quote_path(&to), &e))?;
        }
        let _ = fs::remove_file(self.owner());
        fs::remove_dir(&self.temporary).map_err(|e| Error::output(quote_path(&self.temporary), &e))?;
        let success = self.path.join("_SUCCESS");
        File::create(&success).map_err(|e| Error::output(quote_path(&success), &e))?;
        self.done = true;
        interrupt::unregister(&self.path);
        Ok(())
    }
}

impl Drop for DirCommit {
    fn drop(&mut self) {
        if !self.done {
            if let Err(e) = fs::remove_dir_all(&self.path) {
                if e.kind() != io::ErrorKind::NotFound {
                    crate::error::diag(format!(
                        "{}: cannot remove unfinished output: {}",
                        quote_path(&self.path),
                        io_reason(&e)
                    ));
                }
            }
            interrupt::unregister(&self.path);
            sigbus::unregister_cleanup(&self.owner());
            sigbus::unregister_cleanup(&self.temporary);
            sigbus::unregister_cleanup(&self.path);
        }
    }
}

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
    fn dir_commit_writes_parts_then_success() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let Sink::Dir(commit) = Sink::prepare(&OutputTarget::Dir { path: out.clone(), force: false }).unwrap() else {
            panic!("not a dir sink")
        };
        assert!(out.join("_temporary").is_dir());
        commit.commit(2, |i, w| writeln!(w, "part {i}")).unwrap();
        let mut names: Vec<_> = fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        assert_eq!(names, ["_SUCCESS", "part-00000", "part-00001"]);
        assert_eq!(fs::read_to_string(out.join("part-00001")).unwrap(), "part 1\n");
    }

    #[test]
    fn dir_commit_dropped_before_commit_removes_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let sink = Sink::prepare(&OutputTarget::Dir { path: out.clone(), force: false }).unwrap();
        drop(sink);
        assert!(!out.exists());
    }

    #[test]
    fn existing_dir_needs_force() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        fs::write(out.join("stale"), "x").unwrap();
        assert!(Sink::prepare(&OutputTarget::Dir { path: out.clone(), force: false }).is_err());
        assert!(out.join("stale").exists());
        let sink = Sink::prepare(&OutputTarget::Dir { path: out.clone(), force: true }).unwrap();
        assert!(!out.join("stale").exists());
        drop(sink);
    }
}
