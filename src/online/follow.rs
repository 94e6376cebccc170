//! Online mode's readers: one thread per input, sending what it reads as it reads it.
//!
//! A reader sends raw reads, not words: cutting on token boundaries is the event loop's job, so
//! that when the job stops (EOF, signal) every byte that was read is in the loop's hands and is
//! counted. The channel is bounded, so a reader waits when the counting falls behind and memory
//! stays bounded whatever the input's speed.
//!
//! Without `--tail` an input is read to its end, decoded as in batch mode (compressed files,
//! byte-order marks). With `--tail` a file is followed as `tail -F` does, by polling:
//!
//! ```text
//!  read until EOF ─► wait ─► size shrank?          ─► Reset, read again from byte 0
//!        ▲                   another file at PATH?  ─► Reset, open it, read from byte 0
//!        └──────────────────  more bytes?           ─► read them
//! ```
//!
//! A followed file that disappears (between a rotation's rename and create) is waited for.
//! Followed files are read as raw bytes, without decompression: a compressed or UTF-16 file is
//! refused before the job starts (see `online::refuse_encoded_files`); inputs that are not
//! regular files (stdin, FIFOs, devices) are read to their end as without `--tail`.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::Arc;
use std::time::Duration;

use crate::error::Error;
use crate::input::encoding::Decoding;
use crate::input::{self, Opened, Source};

/// What a reader tells the event loop.
pub enum Event {
    /// Bytes read from input `usize`.
    Data(usize, Vec<u8>),
    /// The input's text restarted (rotation, truncation): what came before is complete.
    Reset(usize),
    /// The input ended.
    Eof(usize),
    /// The input failed; the loop reports it.
    Failed(usize, Error),
}

/// How long a follower sleeps when it has caught up.
const POLL: Duration = Duration::from_millis(100);
const READ: usize = 1 << 16;

/// Starts one reader thread per source. Readers stop on their own at EOF (or, following, when
/// `stop` is raised); a reader blocked in read() on a silent pipe is simply abandoned at exit.
pub fn spawn(
    sources: &[Source],
    tail: bool,
    (tx, stop): (SyncSender<Event>, Arc<AtomicBool>),
    decoding: &Arc<Decoding>,
) {
    for (idx, source) in sources.iter().enumerate() {
        let (source, reader_tx, stop) = (source.clone(), tx.clone(), Arc::clone(&stop));
        let decoding = Arc::clone(decoding);
        // Only regular files can grow, rotate and shrink; a FIFO or a device is read as a stream.
        let follow = tail && source.path.as_ref().is_some_and(|p| p.metadata().is_ok_and(|m| m.is_file()));
        let body = move || {
            let tx = reader_tx;
            let end = if follow {
                follow_file(idx, &source, &tx, &stop)
            } else {
                read_all(idx, &source, (&tx, &stop), &decoding)
            };
            let _ = tx.send(match end {
                Ok(()) => Event::Eof(idx),
                Err(e) => Event::Failed(idx, e),
            });
        };
        let spawned = std::thread::Builder::new().name(format!("mrwc-reader-{idx}")).spawn(body);
        if let Err(e) = spawned {
            let _ = tx.send(Event::Failed(idx, Error::Job(format!("cannot start a reader thread: {e}"))));
        }
    }
}

fn read_all(
    idx: usize,
    source: &Source,
    (tx, stop): (&SyncSender<Event>, &AtomicBool),
    decoding: &Arc<Decoding>,
) -> Result<(), Error> {
    let mut reader = match input::open(source, false, decoding)? {
        Opened::Stream(r) | Opened::Whole(r) => r,
        Opened::Mapped(..) => unreachable!("opened without mmap"),
    };
    pump(idx, source, reader.as_mut(), tx, stop).map(drop)
}

/// Sends everything `reader` has now; returns the bytes sent. `Ok` at EOF, and once `stop` is
/// raised (so that the loop, draining the channel, sees an end to what was read); a closed
/// channel (the loop has finished) also ends the reader quietly.
fn pump(
    idx: usize,
    source: &Source,
    reader: &mut dyn Read,
    tx: &SyncSender<Event>,
    stop: &AtomicBool,
) -> Result<u64, Error> {
    let mut sent = 0;
    while !stop.load(Ordering::Relaxed) {
        // One read() at a time: a live stream sends what it has, and waiting for a full buffer
        // would hold back a slow stream's lines.
        let mut buf = vec![0u8; READ];
        let n = loop {
            match reader.read(&mut buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::input(&source.name, &e)),
            }
        };
        if n == 0 {
            return Ok(sent);
        }
        buf.truncate(n);
        sent += n as u64;
        if tx.send(Event::Data(idx, buf)).is_err() {
            return Ok(sent);
        }
    }
    Ok(sent)
}

struct Followed {
    file: File,
    dev: u64,
    ino: u64,
    pos: u64,
}

fn open_followed(path: &Path) -> io::Result<Option<Followed>> {
    match File::open(path) {
        Ok(file) => {
            let meta = file.metadata()?;
            Ok(Some(Followed { file, dev: meta.dev(), ino: meta.ino(), pos: 0 }))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

fn follow_file(idx: usize, source: &Source, tx: &SyncSender<Event>, stop: &AtomicBool) -> Result<(), Error> {
    let path: PathBuf = source.path.clone().expect("followed inputs are files");
    let fail = |e: io::Error| Error::input(&source.name, &e);
    let mut current: Option<Followed> = None;
    while !stop.load(Ordering::Relaxed) {
        let Some(f) = current.as_mut() else {
            current = open_followed(&path).map_err(fail)?;
            if current.is_none() {
                std::thread::sleep(POLL);
            }
            continue;
        };
        f.pos += pump(idx, source, &mut f.file, tx, stop)?;
        // Caught up: has the file been truncated, or replaced?
        match std::fs::metadata(&path) {
            Ok(meta) if meta.dev() != f.dev || meta.ino() != f.ino => {
                // Rotated: the old file was read to its end; the new one starts from byte 0.
                current = None;
                send(tx, Event::Reset(idx))?;
                continue;
            }
            Ok(meta) if meta.len() < f.pos => {
                f.file.seek(SeekFrom::Start(0)).map_err(fail)?;
                f.pos = 0;
                send(tx, Event::Reset(idx))?;
                continue;
            }
            // Gone (mid-rotation): keep the old file until a new one appears.
            Ok(_) | Err(_) => {}
        }
        std::thread::sleep(POLL);
    }
    Ok(())
}

fn send(tx: &SyncSender<Event>, event: Event) -> Result<(), Error> {
    // A closed channel means the loop is done; the caller's next step sees `stop` or exits.
    let _ = tx.send(event);
    Ok(())
}
