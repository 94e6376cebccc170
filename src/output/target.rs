//! Where a result goes (`-o FILE`, `--output-dir DIR`, stdout), and the checks made on it
//! before any work starts, so that a job never counts for minutes and then finds it cannot
//! write.

use std::path::{Path, PathBuf};

use crate::error::{quote_path, Error, Result};

/// Where the result goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputTarget {
    Stdout,
    File(PathBuf),
    Dir {
        path: PathBuf,
        force: bool,
    },
    /// `--output-dir hdfs://…` (any `scheme://` URL): written and committed by the engine
    /// that runs the job (`-r spark`), never by this process.
    Url {
        url: String,
        force: bool,
    },
}

/// Catches output mistakes before the job spends time counting: a missing parent directory,
/// an `-o` that names a directory, an `--output-dir` that exists without `--force` (or, with it,
/// is not a directory of mrwc's part files).
pub fn check(output: &OutputTarget) -> Result<()> {
    let (path, parent) = match output {
        // The engine checks a URL before its job starts.
        OutputTarget::Stdout | OutputTarget::Url { .. } => return Ok(()),
        OutputTarget::File(p) | OutputTarget::Dir { path: p, .. } => (p, parent_dir(p)),
    };
    let bad = |reason: &str| Error::Usage(format!("{}: {reason}", quote_path(path)));
    // `-o LINK` writes the file the link names.
    let parent = match output {
        OutputTarget::File(p) if p.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink()) => {
            link_target(p).map(|t| parent_dir(&t)).map_err(|e| bad(&crate::error::io_reason(&e)))?
        }
        _ => parent,
    };
    if !parent.is_dir() {
        return Err(bad("parent directory does not exist"));
    }
    match output {
        OutputTarget::File(p) if p.is_dir() => Err(bad("Is a directory")),
        OutputTarget::Dir { path, force } if path.symlink_metadata().is_ok() => match force {
            false => Err(bad(super::already_exists())),
            true => super::check_replaceable(path).map_err(|why| bad(&why)),
        },
        _ => Ok(()),
    }
}

/// The directory a path's file lives in (`.` for a bare name).
pub fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The file a symlink names, which may not exist yet: as with `sort -o`, an output is created
/// through a dangling link.
pub fn link_target(link: &Path) -> std::io::Result<PathBuf> {
    match std::fs::canonicalize(link) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let target = std::fs::read_link(link)?;
            Ok(if target.is_absolute() { target } else { parent_dir(link).join(target) })
        }
        resolved => resolved,
    }
}
