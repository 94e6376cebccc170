//! Inputs: turning command-line arguments into an ordered list of sources, and opening one.
//!
//! [`plan`] runs before any work starts. It walks directories (see `walk.rs`), checks that every
//! regular file can be opened, and collects one `PATH: reason` line per bad input, so the job can
//! fail (or, with `--keep-going`, warn) before counting anything. Files are closed again after
//! the check and reopened lazily by [`open`] when the splitter reaches them, so thousands of
//! inputs never hold thousands of descriptors.
//!
//! [`open`] memory-maps regular files with a real size and falls back to read() for everything
//! else: stdin, FIFOs, character devices, files whose size is 0 but that have content
//! (`/proc/cpuinfo`), and any file that cannot be mapped. Compressed and UTF-16 inputs are
//! decoded as they are read (see [`decode`]); a regular file of that kind is one task.

pub mod decode;
pub mod encoding;
pub mod sigbus;
mod walk;

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use memmap2::{Advice, Mmap};

use encoding::{Decoding, EncodingArg, Transcoder, SNIFF};
use encoding_rs::Encoding;

use crate::error::{io_reason, quote_path, Error, Result};

/// One command-line input before it is opened or walked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputArg {
    Stdin,
    Path(PathBuf),
}

/// What a job does with an input that fails while being read: without `--keep-going` the
/// failure ends the job; with it, the failure is reported on stderr, the input skipped and
/// counted. One policy for every runner and mode.
#[derive(Debug, Default)]
pub struct OnError {
    keep_going: bool,
    skipped: std::sync::atomic::AtomicU64,
}

impl OnError {
    pub fn new(keep_going: bool) -> OnError {
        OnError { keep_going, skipped: Default::default() }
    }

    /// `Err(e)` when the job must end; `Ok` when the input was skipped.
    pub fn handle(&self, e: Error) -> Result<()> {
        if !self.keep_going {
            return Err(e);
        }
        crate::error::diag(&e);
        self.skipped.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// Inputs skipped so far.
    pub fn skipped(&self) -> u64 {
        self.skipped.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// One thing to read: stdin or a path, as the planner found it.
#[derive(Debug, Clone)]
pub struct Source {
    /// `None` for stdin.
    pub path: Option<PathBuf>,
    /// The name used in messages: `-` for stdin, otherwise the quoted path.
    pub name: String,
    /// The size of a regular file when it was planned; `None` when unknown until read (stdin,
    /// pipes, devices, `/proc` files).
    pub size: Option<u64>,
}

impl Source {
    /// The source as the `file` column of `--by-file` writes it: the path's bytes as the
    /// planner found it (as given, or under the directory given), `-` for stdin.
    pub fn file_column(&self) -> Vec<u8> {
        use std::os::unix::ffi::OsStrExt;
        self.path.as_ref().map_or_else(|| b"-".to_vec(), |p| p.as_os_str().as_bytes().to_vec())
    }
}

/// The ordered sources of a job, and the inputs that could not be used.
#[derive(Debug, Default)]
pub struct Plan {
    pub sources: Vec<Source>,
    /// One `PATH: reason` line per bad input, in argument order.
    pub errors: Vec<String>,
    /// Inputs given as URLs (`hdfs://...`), kept as they are for a runner that reads them
    /// itself (spark); see [`WalkOptions::urls`].
    pub urls: Vec<String>,
}

impl Plan {
    /// Sum of the known sizes.
    pub fn known_bytes(&self) -> u64 {
        self.sources.iter().filter_map(|s| s.size).sum()
    }

    /// The bytes of text the inputs hold, when that is known before reading: every size is
    /// known and no input is compressed or transcoded (whose text is not its size). Looks at
    /// the first bytes of every file, so only the progress bar asks.
    pub fn text_bytes(&self) -> Option<u64> {
        let plain = |s: &Source| {
            s.size.is_some() && s.path.as_deref().is_some_and(|p| decode::needs_decoding(p).is_ok_and(|d| !d))
        };
        self.sources.iter().all(plain).then(|| self.known_bytes())
    }

    /// How many inputs are files (stdin counts as one).
    pub fn file_count(&self) -> usize {
        self.sources.len()
    }
}

/// Options of the planner.
#[derive(Debug, Clone, Copy)]
pub struct WalkOptions {
    pub recursive: bool,
    pub follow: bool,
    /// Keep `scheme://...` arguments as URLs instead of paths (the spark runner reads them).
    pub urls: bool,
}

/// Whether an argument looks like a URL: `scheme://...` with a scheme of letters, digits, `+`,
/// `-` and `.`, starting with a letter.
pub(crate) fn is_url(text: &str) -> bool {
    text.split_once("://").is_some_and(|(scheme, _)| {
        scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    })
}

/// Expands the command-line inputs into sources, checking each one.
pub fn plan(inputs: &[InputArg], opts: WalkOptions) -> Plan {
    let mut plan = Plan::default();
    for input in inputs {
        match input {
            InputArg::Stdin => plan.sources.push(Source { path: None, name: "-".into(), size: None }),
            InputArg::Path(path) if opts.urls && path.to_str().is_some_and(is_url) => {
                plan.urls.push(path.to_string_lossy().into_owned())
            }
            InputArg::Path(path) => plan_path(path, opts, &mut plan),
        }
    }
    plan
}

fn plan_path(path: &Path, opts: WalkOptions, plan: &mut Plan) {
    // A path named on the command line is followed even when it is a symlink, as in rg and fd.
    let meta = match path.metadata() {
        Ok(m) => m,
        Err(e) => return plan.errors.push(format!("{}: {}", quote_path(path), io_reason(&e))),
    };
    if meta.is_dir() {
        if opts.recursive {
            walk::walk_dir(path, opts.follow, plan);
        } else {
            plan.errors.push(format!("{}: Is a directory", quote_path(path)));
        }
    } else {
        add_file(path, &meta, plan);
    }
}

/// Adds a non-directory. Regular files are opened once to prove they are readable; other kinds
/// (FIFOs, devices) are not opened now, since opening a FIFO blocks until it has a writer.
fn add_file(path: &Path, meta: &std::fs::Metadata, plan: &mut Plan) {
    let name = quote_path(path);
    if meta.is_file() {
        if let Err(e) = File::open(path) {
            return plan.errors.push(format!("{name}: {}", io_reason(&e)));
        }
        let size = (meta.len() > 0).then_some(meta.len());
        plan.sources.push(Source { path: Some(path.to_path_buf()), name, size });
    } else {
        plan.sources.push(Source { path: Some(path.to_path_buf()), name, size: None });
    }
}

/// An opened source: all of its bytes mapped, or a reader to stream them from.
pub enum Opened {
    /// The file's bytes; its text starts at the offset (after a UTF-8 byte-order mark). With an
    /// encoding, the bytes are in that legacy encoding (ASCII-compatible, so they split: see
    /// [`encoding`]) and each chunk is decoded on its own.
    Mapped(Arc<MappedFile>, usize, Option<&'static Encoding>),
    /// Read piece by piece by whoever pulls the splitter: stdin, pipes, `--no-mmap`.
    Stream(Box<dyn Read + Send>),
    /// A compressed or UTF-16 regular file. Its stream cannot be split, so it is one task: the
    /// reader moves to the worker that takes the task, and many such files decode in parallel.
    Whole(Box<dyn Read + Send>),
}

/// A mapped input file, registered with the SIGBUS handler for as long as it is mapped.
pub struct MappedFile {
    map: Mmap,
    counted: Windows,
    _sigbus: sigbus::Registration,
}

/// The mapped pages are given back a window of this many bytes at a time, once every byte of
/// the window has been counted. Each `MADV_DONTNEED` with two threads running makes the
/// kernel interrupt the other core to flush its TLB; per 1 MiB chunk, that cost kjv x10 about
/// 2% of its time on 2 cores. A window's pages stay resident until all of it is counted, so
/// a mapped input adds at most a few windows to the resident memory.
const RELEASE_WINDOW: usize = 8 << 20;

impl MappedFile {
    /// Maps `file` (named `name` in messages); `None` when it cannot be mapped.
    pub fn map(file: &File, name: &str) -> Option<MappedFile> {
        // SAFETY: the map is only ever read, and mrwc never writes to its inputs. The remaining
        // risk is another process truncating the file while it is mapped: reading a page past
        // the new end raises SIGBUS, which `sigbus` turns into an error message naming the file
        // (--no-mmap avoids it; a shrinking input cannot be counted correctly in any case).
        let map = unsafe { Mmap::map(file) }.ok()?;
        // Advice is only a hint; a kernel that ignores it changes nothing.
        let _ = map.advise(Advice::Sequential);
        let registration = sigbus::register(map.as_ptr(), map.len(), name);
        let counted = Windows::new(map.len(), RELEASE_WINDOW);
        Some(MappedFile { map, counted, _sigbus: registration })
    }

    /// Notes that `start..end` has been counted (or skipped) and will not be read again: once
    /// every byte of a window is, its pages' page-table entries are dropped. Each byte must be
    /// reported once at most.
    pub fn release(&self, start: usize, end: usize) {
        self.counted.count(start, end, |window| {
            // SAFETY: a read-only, shared, file-backed mapping: MADV_DONTNEED only drops
            // page-table entries; a later read would fault the pages back in from the file. A
            // window starts page-aligned (the map does, and a window is a multiple of pages).
            // Failure only means no memory saved.
            let _ = unsafe {
                self.map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, window.start, window.len())
            };
        });
    }
}

/// How much of each window of a byte range has been counted, by any thread.
struct Windows {
    size: usize,
    len: usize,
    counted: Box<[AtomicUsize]>,
}

impl Windows {
    fn new(len: usize, size: usize) -> Windows {
        Windows { size, len, counted: (0..len.div_ceil(size)).map(|_| AtomicUsize::new(0)).collect() }
    }

    /// Adds `start..end` to what is counted and calls `full` with each window it completes.
    fn count(&self, start: usize, end: usize, mut full: impl FnMut(std::ops::Range<usize>)) {
        let mut from = start;
        while from < end {
            let window = from / self.size;
            let span = window * self.size..((window + 1) * self.size).min(self.len);
            let to = end.min(span.end);
            let done = self.counted[window].fetch_add(to - from, Ordering::AcqRel) + (to - from);
            if done == span.len() {
                full(span);
            }
            from = to;
        }
    }
}

impl std::ops::Deref for MappedFile {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.map
    }
}

/// A regular file read with read(): its size at open must be what is read, or the file changed
/// while being read (mapped files get the same check from the SIGBUS handler).
struct SizeChecked {
    file: File,
    expected: u64,
    read: u64,
}

impl Read for SizeChecked {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        self.read += n as u64;
        if (n == 0 && self.read != self.expected) || self.read > self.expected {
            let why = format!(
                "file changed while being read (its size was {} bytes when opened, {} read)",
                self.expected, self.read
            );
            return Err(io::Error::other(why));
        }
        Ok(n)
    }
}

/// Opens a source for reading; `mmap` is false with `--no-mmap`; `decoding` says which
/// encoding text is in (and records what it found).
pub fn open(source: &Source, mmap: bool, decoding: &Arc<Decoding>) -> Result<Opened> {
    let fail = |e: io::Error| Error::input(&source.name, &e);
    let Some(path) = &source.path else {
        return decoded(Box::new(io::stdin()), None, (&source.name, decoding))
            .map(|(r, _)| Opened::Stream(r))
            .map_err(fail);
    };
    let file = File::open(path).map_err(fail)?;
    let meta = file.metadata().map_err(fail)?;
    if meta.is_dir() {
        return Err(Error::Input { path: source.name.clone(), reason: "Is a directory".into() });
    }
    let regular = meta.is_file() && meta.len() > 0;
    if mmap && regular {
        if let Some(map) = MappedFile::map(&file, &source.name) {
            if let Some((skip, resolved)) = mapped_reading(&map[..map.len().min(SNIFF)], path, decoding.arg) {
                map.release(0, skip);
                if let Some(r) = resolved {
                    decoding.note(&source.name, r);
                }
                let legacy = resolved.map(|r| r.encoding).filter(|&e| e != encoding_rs::UTF_8);
                crate::interrupt::stop_at("read:opened");
                return Ok(Opened::Mapped(Arc::new(map), skip, legacy));
            }
        }
    }
    crate::interrupt::stop_at("read:opened");
    let reader: Box<dyn Read + Send> =
        if regular { Box::new(SizeChecked { file, expected: meta.len(), read: 0 }) } else { Box::new(file) };
    let (reader, transformed) = decoded(reader, Some(path), (&source.name, decoding)).map_err(fail)?;
    Ok(if regular && transformed { Opened::Whole(reader) } else { Opened::Stream(reader) })
}

/// How a file whose first bytes are `head` is read when mapped, under `arg`: `Some((skip,
/// resolved))` when it is mapped, after `skip` bytes of a UTF-8 BOM, `resolved` being what
/// `--encoding` found (UTF-8, or a legacy encoding that splits: then it is cut at line ends
/// and decoded piece by piece); `None` when it is read through a decoder (compressed, UTF-16,
/// an encoding that does not split, such as ISO-2022-JP). The one rule for [`open`] and
/// [`legacy_encoding`] (a procs worker's), which must agree.
fn mapped_reading(head: &[u8], path: &Path, arg: EncodingArg) -> Option<(usize, Option<encoding::Resolved>)> {
    let skip = match (decode::sniff(&head[..head.len().min(decode::HEAD)], Some(path)), decode::Bom::of(head)) {
        (None, None) => 0,
        (None, Some(decode::Bom::Utf8)) => 3,
        _ => return None,
    };
    match arg.resolve(head) {
        None => Some((skip, None)),
        Some(r) if r.encoding == encoding_rs::UTF_8 => Some((skip, Some(r))),
        Some(r) if r.splits() => Some((0, Some(r))),
        Some(_) => None,
    }
}

/// The legacy encoding the file at `path` is mapped and split in under `encoding` (see
/// [`open`]): `None` when it is read as UTF-8, compressed, or decoded as a whole.
pub fn legacy_encoding(path: &Path, encoding: EncodingArg) -> io::Result<Option<&'static Encoding>> {
    if encoding == EncodingArg::Utf8 {
        return Ok(None);
    }
    let mut head = Vec::new();
    File::open(path)?.take(SNIFF as u64).read_to_end(&mut head)?;
    let resolved = mapped_reading(&head, path, encoding).and_then(|(_, r)| r);
    Ok(resolved.map(|r| r.encoding).filter(|&e| e != encoding_rs::UTF_8))
}

/// `reader` decompressed and decoded to UTF-8 (its byte-order mark undone, or its encoding
/// decoded under `--encoding`); true when either changed it beyond skipping a UTF-8 BOM.
fn decoded(
    reader: Box<dyn Read + Send>,
    path: Option<&Path>,
    (name, decoding): (&str, &Arc<Decoding>),
) -> io::Result<(Box<dyn Read + Send>, bool)> {
    let (head, reader) = decode::peek(reader)?;
    let (head, reader, compressed) = match decode::sniff(&head, path) {
        Some(codec) => {
            let (head, reader) = decode::peek(decode::decompress(codec, reader)?)?;
            (head, reader, true)
        }
        None => (head, reader, false),
    };
    let (head, reader) = match decoding.arg {
        EncodingArg::Auto => decode::peek_up_to(reader, SNIFF)?,
        _ => (head, reader),
    };
    if let Some(resolved) = decoding.arg.resolve(&head) {
        decoding.note(name, resolved);
        if resolved.encoding != encoding_rs::UTF_8 {
            let transcoder = Transcoder::new(reader, resolved.encoding, Arc::clone(decoding));
            return Ok((Box::new(transcoder), true));
        }
    }
    let utf16 = match decode::Bom::of(&head) {
        Some(decode::Bom::Utf16Le) => Some(encoding_rs::UTF_16LE),
        Some(decode::Bom::Utf16Be) => Some(encoding_rs::UTF_16BE),
        _ => None,
    };
    // A UTF-16 file is decoded under any --encoding (its BOM says so): shown and counted too.
    if let Some(encoding) = utf16 {
        decoding.note(name, encoding::Resolved { encoding, detected: true });
    }
    Ok((decode::unbom(&head, reader, decoding)?, compressed || utf16.is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn opts() -> WalkOptions {
        WalkOptions { recursive: true, follow: false, urls: false }
    }

    proptest::proptest! {
        /// Chunks reported in any order complete each window once, after its last byte.
        #[test]
        fn a_window_is_full_once_all_its_bytes_are_counted(
            len in 1usize..100, size in 1usize..20, cuts in proptest::collection::vec(0usize..100, 0..12),
            order in proptest::collection::vec(proptest::num::usize::ANY, 12)) {
            let mut points: Vec<usize> = cuts.into_iter().filter(|&c| c < len).chain([0, len]).collect();
            points.sort_unstable();
            points.dedup();
            let mut chunks: Vec<(usize, usize)> = points.windows(2).map(|w| (w[0], w[1])).collect();
            for (i, k) in order.iter().enumerate().take(chunks.len()) {
                let j = k % chunks.len();
                chunks.swap(i, j);
            }
            let windows = Windows::new(len, size);
            let mut seen = vec![false; len];
            let mut full = Vec::new();
            for &(start, end) in &chunks {
                seen[start..end].iter_mut().for_each(|b| *b = true);
                windows.count(start, end, |w| {
                    assert!(seen[w.clone()].iter().all(|&b| b), "window {w:?} full too early");
                    full.push(w);
                });
            }
            full.sort_by_key(|w| w.start);
            let want: Vec<_> = (0..len.div_ceil(size)).map(|k| k * size..((k + 1) * size).min(len)).collect();
            proptest::prop_assert_eq!(full, want);
        }
    }

    #[test]
    fn missing_files_are_reported_and_others_kept() {
        let dir = tempfile::tempdir().unwrap();
        let ok = dir.path().join("ok.txt");
        fs::write(&ok, "a b").unwrap();
        let missing = dir.path().join("missing.txt");
        let plan = plan(&[InputArg::Path(ok), InputArg::Path(missing.clone())], opts());
        assert_eq!(plan.sources.len(), 1);
        assert_eq!(plan.errors, vec![format!("{}: No such file or directory", missing.display())]);
    }

    #[test]
    fn directories_are_refused_without_recursion() {
        let dir = tempfile::tempdir().unwrap();
        let o = WalkOptions { recursive: false, follow: false, urls: false };
        let plan = plan(&[InputArg::Path(dir.path().into())], o);
        assert!(plan.errors[0].ends_with(": Is a directory"), "{:?}", plan.errors);
    }

    #[test]
    fn empty_and_proc_like_files_are_streamed() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty");
        fs::write(&empty, "").unwrap();
        let src = Source { path: Some(empty), name: "empty".into(), size: None };
        assert!(matches!(open(&src, true, &Arc::default()).unwrap(), Opened::Stream(_)));
        let full = dir.path().join("full");
        fs::write(&full, "x").unwrap();
        let src = Source { path: Some(full), name: "full".into(), size: Some(1) };
        assert!(matches!(open(&src, true, &Arc::default()).unwrap(), Opened::Mapped(_, 0, None)));
        assert!(matches!(open(&src, false, &Arc::default()).unwrap(), Opened::Stream(_)));
    }
}
