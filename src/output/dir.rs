//! `--output-dir DIR`'s commit: parts and `_SUCCESS` go into a staging directory `.mrwc-out-*`
//! beside DIR, owned by this run (see [`crate::owner`]), which becomes DIR in one rename at
//! commit: `renameat2(RENAME_NOREPLACE)`, or with `--force` `RENAME_EXCHANGE` over a DIR that
//! holds nothing but mrwc's part files, whose old parts are then removed. See `commit.rs` for
//! the other sinks.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::commit::BUFFER;
use crate::error::{io_reason, quote_path, Error, Result};
use crate::interrupt;
use crate::output::parent_dir;
use crate::owner::{self, Owned};

/// Whether an existing `--output-dir` may be replaced by `--force`: a real directory holding
/// only what mrwc writes there. `Err` says why not, for a one-line message.
pub(crate) fn check_replaceable(path: &Path) -> std::result::Result<(), String> {
    let meta = path.symlink_metadata().map_err(|e| io_reason(&e))?;
    if meta.file_type().is_symlink() {
        return Err("is a symbolic link; --force replaces only a directory mrwc wrote".into());
    }
    if !meta.is_dir() {
        return Err("not a directory; --force replaces only a directory mrwc wrote".into());
    }
    for entry in fs::read_dir(path).map_err(|e| io_reason(&e))? {
        let entry = entry.map_err(|e| io_reason(&e))?;
        let name = entry.file_name();
        let ours = is_output_file(name.as_bytes()) && entry.file_type().is_ok_and(|t| t.is_file());
        if !ours {
            return Err(format!(
                "holds {}, which mrwc does not write; --force replaces only a directory of part files and _SUCCESS",
                quote_path(Path::new(&name))
            ));
        }
    }
    Ok(())
}

/// The partition of an engine's part file: `part-NNNNN`, alone or followed by `-` and more.
fn engine_part_index(name: &[u8]) -> Option<usize> {
    let rest = name.strip_prefix(b"part-")?;
    let (digits, tail) = rest.split_at(rest.len().min(5));
    let ours = digits.len() == 5 && digits.iter().all(u8::is_ascii_digit) && (tail.is_empty() || tail[0] == b'-');
    ours.then(|| digits.iter().fold(0, |n, d| n * 10 + usize::from(d - b'0')))
}

/// `part-NNNNN` or `_SUCCESS`: the only names an mrwc output directory holds.
fn is_output_file(name: &[u8]) -> bool {
    name == b"_SUCCESS" || name.strip_prefix(b"part-").is_some_and(|n| n.len() == 5 && n.iter().all(u8::is_ascii_digit))
}

/// An `--output-dir` being written into its staging directory. Dropping it without
/// [`DirCommit::commit`] removes the staging directory and nothing else.
pub struct DirCommit {
    path: PathBuf,
    staging: Option<Owned>,
    /// `--force`: an existing DIR may be exchanged at commit.
    force: bool,
}

impl DirCommit {
    pub(super) fn start(path: &Path, force: bool) -> Result<DirCommit> {
        let fail = |e: &io::Error| Error::output(quote_path(path), e);
        if path.symlink_metadata().is_ok() {
            if !force {
                return Err(Error::Usage(format!("{}: {}", quote_path(path), ALREADY_EXISTS)));
            }
            check_replaceable(path).map_err(|why| Error::Usage(format!("{}: {why}", quote_path(path))))?;
        }
        // `.` or `..` cannot be renamed onto; the directory's real name can.
        let path = match fs::canonicalize(path) {
            Ok(real) => real,
            Err(_) => path.to_path_buf(),
        };
        let staging = Owned::dir(&parent_dir(&path), owner::STAGING_DIR).map_err(|e| fail(&e))?;
        Ok(DirCommit { path, staging: Some(staging), force })
    }

    pub(super) fn staging(&self) -> &Path {
        self.staging.as_ref().expect("staging until commit or drop").path()
    }

    /// Writes `parts` part files with `write(index, out)`, then commits them.
    pub fn commit(self, parts: usize, write: impl Fn(usize, &mut dyn Write) -> io::Result<()>) -> Result<()> {
        let staging = self.staging().to_path_buf();
        for i in 0..parts {
            let part = staging.join(format!("part-{i:05}"));
            let written = interrupt::creating(|| File::create(&part)).and_then(|file| {
                let mut out = BufWriter::with_capacity(BUFFER, &file);
                write(i, &mut out)?;
                out.flush()?;
                drop(out);
                file.sync_data()
            });
            written.map_err(|e| Error::output(quote_path(&part), &e))?;
        }
        self.finish()
    }

    /// Commits part files that the engine which ran the job wrote into `from`, a directory
    /// inside the staging one (see [`crate::runner::PartFiles`]): the file named
    /// `part-NNNNN` or `part-NNNNN-…` (Spark's writer adds its job's id) becomes part
    /// `NNNNN`, an empty one stands for a partition with no file (Spark writes none for an
    /// empty partition), and whatever else is in `from` (the engine's own `_SUCCESS`,
    /// checksum files) goes with it.
    pub fn adopt(self, from: &Path, parts: usize) -> Result<()> {
        let staging = self.staging().to_path_buf();
        let fail = |path: &Path, e: &io::Error| Error::output(quote_path(path), e);
        let mut found: Vec<Option<PathBuf>> = vec![None; parts];
        for entry in fs::read_dir(from).map_err(|e| fail(from, &e))? {
            let entry = entry.map_err(|e| fail(from, &e))?;
            let Some(i) = engine_part_index(entry.file_name().as_bytes()) else { continue };
            let slot = found.get_mut(i).filter(|slot| slot.is_none()).ok_or_else(|| Error::Output {
                what: quote_path(&entry.path()),
                reason: format!("a part file the job did not ask for ({parts} partitions, one file each)"),
            })?;
            *slot = Some(entry.path());
        }
        for (i, source) in found.iter().enumerate() {
            let part = staging.join(format!("part-{i:05}"));
            let placed = match source {
                Some(source) => interrupt::creating(|| fs::rename(source, &part)).and_then(|()| File::open(&part)),
                None => interrupt::creating(|| File::create(&part)),
            };
            placed.and_then(|file| file.sync_data()).map_err(|e| fail(&part, &e))?;
        }
        fs::remove_dir_all(from).map_err(|e| fail(from, &e))?;
        self.finish()
    }

    /// Writes `_SUCCESS` into the staging directory and publishes it as DIR.
    fn finish(mut self) -> Result<()> {
        let staging = self.staging().to_path_buf();
        let success = staging.join("_SUCCESS");
        interrupt::creating(|| File::create(&success)).map_err(|e| Error::output(quote_path(&success), &e))?;
        File::open(&staging).and_then(|d| d.sync_all()).map_err(|e| Error::output(quote_path(&staging), &e))?;
        crate::interrupt::stop_at("commit:before");
        let replaced = self.publish(&staging)?;
        crate::interrupt::stop_at("commit:after");
        if let Some(staging) = self.staging.take() {
            if replaced {
                // The old DIR now sits under the staging name: remove its parts, then it.
                remove_old_output(staging);
            } else {
                staging.release();
            }
        }
        Ok(())
    }

    /// Renames the staging directory to DIR; with `--force`, exchanges them when DIR exists.
    /// Returns whether an old DIR was exchanged (it is then at the staging path).
    fn publish(&self, staging: &Path) -> Result<bool> {
        let fail = |e: &io::Error| Error::output(quote_path(&self.path), e);
        match interrupt::creating(|| rename_noreplace(staging, &self.path)) {
            Ok(()) => return Ok(false),
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) || e.raw_os_error() == Some(libc::ENOTEMPTY) => {
                if !self.force {
                    let why = "was created by another run while this one ran; not replaced (use --force)";
                    return Err(Error::Output { what: quote_path(&self.path), reason: why.into() });
                }
            }
            Err(e) => return Err(fail(&e)),
        }
        check_replaceable(&self.path).map_err(|why| Error::Output { what: quote_path(&self.path), reason: why })?;
        interrupt::creating(|| rename_exchange(staging, &self.path)).map_err(|e| fail(&e))?;
        Ok(true)
    }
}

const ALREADY_EXISTS: &str = "already exists (use --force to replace it)";

/// The message for an `--output-dir` that exists, when no `--force` was given.
pub(crate) fn already_exists() -> &'static str {
    ALREADY_EXISTS
}

/// Removes a replaced output directory: its part files and `_SUCCESS`, then the directory. A
/// file that appeared in it meanwhile is left, with the directory, and named.
fn remove_old_output(old: Owned) {
    let path = old.path().to_path_buf();
    if let Ok(entries) = fs::read_dir(&path) {
        for entry in entries.flatten() {
            if is_output_file(entry.file_name().as_bytes()) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
    if let Err(e) = fs::remove_dir(&path) {
        crate::error::diag(format!("{}: the replaced output was kept: {}", quote_path(&path), io_reason(&e)));
    }
    old.release();
}

fn rename2(from: &Path, to: &Path, flags: libc::c_uint) -> io::Result<()> {
    use std::ffi::CString;
    let c = |p: &Path| CString::new(p.as_os_str().as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput));
    let (from, to) = (c(from)?, c(to)?);
    // SAFETY: two NUL-terminated paths relative to the working directory.
    let r = unsafe { libc::renameat2(libc::AT_FDCWD, from.as_ptr(), libc::AT_FDCWD, to.as_ptr(), flags) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// rename(2) that fails with EEXIST instead of replacing an (empty) directory.
fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    match rename2(from, to, libc::RENAME_NOREPLACE) {
        Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS)) => {
            // A file system without the flag: check, then rename (a narrow race, as before).
            if to.symlink_metadata().is_ok() {
                return Err(io::Error::from_raw_os_error(libc::EEXIST));
            }
            fs::rename(from, to)
        }
        other => other,
    }
}

/// Swaps two directories atomically (the staging one and DIR).
fn rename_exchange(staging: &Path, dir: &Path) -> io::Result<()> {
    match rename2(staging, dir, libc::RENAME_EXCHANGE) {
        Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS)) => {
            // Without the flag: move DIR aside, then the staging into place. The aside name is
            // not one `mrwc clean` removes: killed between the two renames, it is the only copy
            // of the old output.
            let name = staging.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let aside = staging.with_file_name(name.replacen(".mrwc-out-", ".mrwc-replaced-", 1));
            fs::rename(dir, &aside)?;
            if let Err(e) = fs::rename(staging, dir) {
                let _ = fs::rename(&aside, dir);
                return Err(e);
            }
            fs::rename(&aside, staging)
        }
        other => other,
    }
}

impl Drop for DirCommit {
    fn drop(&mut self) {
        if let Some(staging) = self.staging.take() {
            staging.remove_or_warn("unfinished output");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::{OutputTarget, Sink};

    fn dir_sink(path: &Path, force: bool) -> Result<DirCommit> {
        match Sink::prepare(&OutputTarget::Dir { path: path.to_path_buf(), force })? {
            Sink::Dir(commit) => Ok(commit),
            _ => panic!("not a dir sink"),
        }
    }

    #[test]
    fn dir_commit_stages_beside_the_directory_and_publishes_it_whole() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let commit = dir_sink(&out, false).unwrap();
        assert!(!out.exists(), "the output directory appeared before the commit");
        assert!(commit.staging().starts_with(dir.path()) && commit.staging().is_dir());
        commit.commit(2, |i, w| writeln!(w, "part {i}")).unwrap();
        let mut names: Vec<_> = fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        assert_eq!(names, ["_SUCCESS", "part-00000", "part-00001"]);
        assert_eq!(fs::read_to_string(out.join("part-00001")).unwrap(), "part 1\n");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "staging directory left behind");
    }

    #[test]
    fn adopted_engine_parts_are_renamed_and_the_missing_ones_are_empty() {
        assert_eq!(engine_part_index(b"part-00003-5f1c-c000.txt"), Some(3));
        assert_eq!(engine_part_index(b"part-00012"), Some(12));
        for name in [&b"part-0001"[..], b"part-000123", b".part-00001-x.crc", b"_SUCCESS", b"part-00001x"] {
            assert_eq!(engine_part_index(name), None, "{}", String::from_utf8_lossy(name));
        }
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let commit = dir_sink(&out, false).unwrap();
        let engine = commit.staging().join("engine-output");
        fs::create_dir(&engine).unwrap();
        fs::write(engine.join("part-00002-abc-c000.txt"), "b\t1\n").unwrap();
        fs::write(engine.join("part-00000-abc-c000.txt"), "a\t2\n").unwrap();
        fs::write(engine.join(".part-00000-abc-c000.txt.crc"), "x").unwrap();
        fs::write(engine.join("_SUCCESS"), "").unwrap();
        commit.adopt(&engine, 3).unwrap();
        let mut names: Vec<_> = fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        assert_eq!(names, ["_SUCCESS", "part-00000", "part-00001", "part-00002"]);
        assert_eq!(fs::read_to_string(out.join("part-00000")).unwrap(), "a\t2\n");
        assert_eq!(fs::read_to_string(out.join("part-00001")).unwrap(), "");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "staging directory left behind");

        // A part the job did not ask for fails the commit, and nothing is published.
        let other = dir.path().join("other");
        let commit = dir_sink(&other, false).unwrap();
        let engine = commit.staging().join("engine-output");
        fs::create_dir(&engine).unwrap();
        fs::write(engine.join("part-00005-abc-c000.txt"), "").unwrap();
        let err = commit.adopt(&engine, 3).unwrap_err().to_string();
        assert!(err.contains("a part file the job did not ask for"), "{err}");
        assert!(!other.exists());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "staging directory left behind");
    }

    #[test]
    fn dir_commit_dropped_before_commit_removes_only_its_staging() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        drop(dir_sink(&out, false).unwrap());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
        // With --force over an old output: the old one stays as it was.
        fs::create_dir(&out).unwrap();
        fs::write(out.join("part-00000"), "old\n").unwrap();
        fs::write(out.join("_SUCCESS"), "").unwrap();
        drop(dir_sink(&out, true).unwrap());
        assert_eq!(fs::read_to_string(out.join("part-00000")).unwrap(), "old\n");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn force_replaces_only_an_mrwc_output_directory_and_only_at_commit() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        fs::write(out.join("part-00000"), "old\n").unwrap();
        fs::write(out.join("part-00007"), "old\n").unwrap();
        assert!(dir_sink(&out, false).is_err());
        let commit = dir_sink(&out, true).unwrap();
        assert_eq!(fs::read_to_string(out.join("part-00007")).unwrap(), "old\n", "replaced before the commit");
        commit.commit(1, |_, w| writeln!(w, "new")).unwrap();
        let mut names: Vec<_> = fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        assert_eq!(names, ["_SUCCESS", "part-00000"]);
        assert_eq!(fs::read_to_string(out.join("part-00000")).unwrap(), "new\n");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "the old output was left beside");
        // Anything mrwc does not write makes the directory not its own.
        for (name, what) in [("notes.txt", "a file"), ("part-1", "a short part name"), ("sub", "a directory")] {
            let other = dir.path().join(format!("other-{name}"));
            fs::create_dir(&other).unwrap();
            if name == "sub" {
                fs::create_dir(other.join(name)).unwrap();
            } else {
                fs::write(other.join(name), "x").unwrap();
            }
            let err = dir_sink(&other, true).err().unwrap_or_else(|| panic!("{what} was accepted")).to_string();
            assert!(err.contains("which mrwc does not write"), "{err}");
            assert!(other.join(name).exists());
        }
        let file = dir.path().join("plain");
        fs::write(&file, "x").unwrap();
        assert!(dir_sink(&file, true).is_err());
        assert_eq!(fs::read_to_string(&file).unwrap(), "x");
    }

    #[test]
    fn a_directory_created_by_another_run_meanwhile_is_not_replaced_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let commit = dir_sink(&out, false).unwrap();
        fs::create_dir(&out).unwrap();
        fs::write(out.join("part-00000"), "theirs\n").unwrap();
        let err = commit.commit(1, |_, w| writeln!(w, "mine")).unwrap_err().to_string();
        assert!(err.contains("created by another run"), "{err}");
        assert_eq!(fs::read_to_string(out.join("part-00000")).unwrap(), "theirs\n");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "staging directory left behind");
    }
}
