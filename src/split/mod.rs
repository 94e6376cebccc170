//! Split: cutting sources into chunks, the inputs of map tasks.
//!
//! A chunk never cuts a word or a UTF-8 character: it always ends right after a byte for which
//! the tokenizer's `is_boundary` holds (or at the end of its source). Two ways to get there:
//!
//! ```text
//!  mapped file  |----chunk_size----|>>|----chunk_size----|>|--rest--|
//!               the edge moves forward to just after the next boundary byte
//!
//!  stream       [carry][---- read up to chunk_size ----]
//!               cut after the last boundary byte read; the tail is carried into the next chunk
//! ```
//!
//! A mapped chunk is a range of the shared map (no copy); a streamed chunk owns its bytes. A
//! word longer than `chunk_size` makes its chunk longer, up to [`MAX_RUN`] bytes: a longer run
//! without a boundary byte is cut every `MAX_RUN` bytes (the same cut points whoever cuts), so
//! memory is bounded by the chunk size plus `MAX_RUN`, and each byte is scanned for boundaries
//! about once. A source
//! that cannot be split (a compressed file) is one chunk holding its reader: the worker that
//! takes it reads it in pieces, cut the same way as a stream.
//!
//! Workers that share one splitter all finish together only if the last chunks are small: with
//! equal chunks, one worker is still counting its last chunk while the others idle (half a chunk
//! on average). So a splitter told how many workers pull from it ([`Splitter::taper`]) shrinks
//! the chunks of the last mapped source once the rest of it is under two chunks per worker: each
//! is half of a worker's share of the rest, down to a sixteenth of the chunk size.
//!
//! The splitter is a plain iterator; it neither knows nor cares which runner pulls from it.

use std::io::{self, Read};
use std::ops::Range;
use std::sync::Arc;

use crate::error::{Error, Result};
use encoding_rs::Encoding;

use crate::input::encoding::{self, Decoding};
use crate::input::{self, MappedFile, Opened, Source};

mod cut;

pub use cut::{chunk_end, last_forced_cut, Cut, LegacyCut, MAX_RUN};

/// A map task's input.
pub struct Chunk {
    /// Index of the source in the plan.
    pub source: usize,
    data: ChunkData,
}

enum ChunkData {
    /// A range of a mapped file; with an encoding, of legacy-encoded bytes decoded when read.
    Mapped {
        map: Arc<MappedFile>,
        range: Range<usize>,
        legacy: Option<Legacy>,
    },
    Owned(Vec<u8>),
    Whole(Box<dyn Read + Send>),
}

/// A legacy encoding a mapped source is in, and the job's record of decoding.
#[derive(Clone)]
struct Legacy {
    encoding: &'static Encoding,
    decoding: Arc<Decoding>,
}

impl Chunk {
    /// Calls `f` with the chunk's text: at once for a mapped or read chunk (decoded to UTF-8
    /// first when its source is in a legacy encoding), piece by piece (each about `size` bytes,
    /// cut after a boundary byte) for a whole-source stream. The error is the source's read
    /// error; the caller names the source.
    pub fn for_each_piece(&mut self, size: usize, rule: &impl Cut, mut f: impl FnMut(&[u8])) -> io::Result<()> {
        match &mut self.data {
            ChunkData::Mapped { map, range, legacy: None } => f(&map[range.clone()]),
            ChunkData::Mapped { map, range, legacy: Some(legacy) } => {
                let mut text = Vec::with_capacity(range.len() + range.len() / 2);
                let bad = encoding::decode_into(legacy.encoding, &map[range.clone()], &mut text);
                legacy.decoding.add_undecodable(bad);
                f(&text)
            }
            ChunkData::Owned(v) => f(v),
            ChunkData::Whole(reader) => {
                let mut carry = Vec::new();
                while let Some(piece) = next_piece(reader.as_mut(), &mut carry, size.max(1), rule)? {
                    f(&piece);
                    // A stream may never end: a cancelled job stops between its pieces.
                    if crate::interrupt::cancelled() {
                        return Err(io::Error::new(io::ErrorKind::Interrupted, "cancelled"));
                    }
                }
            }
        }
        Ok(())
    }

    /// The byte range of the source this chunk covers, when the source is mapped (a runner in
    /// another process can then read the range itself).
    pub fn mapped_range(&self) -> Option<Range<usize>> {
        match &self.data {
            ChunkData::Mapped { range, .. } => Some(range.clone()),
            ChunkData::Owned(_) | ChunkData::Whole(_) => None,
        }
    }

    /// Says that this chunk's task is done, so that its mapped pages can be dropped (see
    /// `MappedFile::release`) and a mapped input never shows up as resident memory in full:
    /// without this, counting a 430 MB file reports 417 MiB peak RSS, all of it clean page
    /// cache.
    pub fn release(self) {
        let ChunkData::Mapped { map, range, .. } = &self.data else {
            return;
        };
        map.release(range.start, range.end);
    }
}

enum Current {
    Mapped { map: Arc<MappedFile>, pos: usize, legacy: Option<Legacy> },
    Stream { reader: Box<dyn Read + Send>, carry: Vec<u8> },
}

/// Yields the chunks of all sources in order. An error ends its source (the next call moves on
/// to the next source), so `--keep-going` can skip a bad input and continue.
pub struct Splitter<'a, B> {
    sources: &'a [Source],
    next_source: usize,
    current: Option<(usize, Current)>,
    chunk_size: usize,
    /// How many workers share this splitter (1: no tapering).
    workers: usize,
    mmap: bool,
    rule: B,
    decoding: Arc<Decoding>,
}

impl<'a, B: Cut> Splitter<'a, B> {
    pub fn new(sources: &'a [Source], chunk_size: usize, mmap: bool, rule: B) -> Self {
        let decoding = Arc::default();
        Splitter {
            sources,
            next_source: 0,
            current: None,
            chunk_size: chunk_size.max(1),
            workers: 1,
            mmap,
            rule,
            decoding,
        }
    }

    /// Reads the sources as `decoding` says (`--encoding`); UTF-8 as it is by default.
    pub fn decoding(mut self, decoding: Arc<Decoding>) -> Self {
        self.decoding = decoding;
        self
    }

    /// Tapers the last chunks for `workers` workers pulling from this splitter (see the module
    /// documentation).
    pub fn taper(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    fn next_stream_chunk(&mut self, idx: usize) -> Result<Option<Chunk>> {
        let Some((_, Current::Stream { reader, carry })) = &mut self.current else {
            unreachable!("called on a stream source");
        };
        let piece = next_piece(reader.as_mut(), carry, self.chunk_size, &self.rule)
            .map_err(|e| Error::input(&self.sources[idx].name, &e))?;
        Ok(piece.map(|buf| Chunk { source: idx, data: ChunkData::Owned(buf) }))
    }
}

/// The next piece of a stream: about `size` bytes, ending right after a boundary byte, or the
/// rest at the end of the stream. `carry` holds what followed the last cut.
fn next_piece(reader: &mut dyn Read, carry: &mut Vec<u8>, size: usize, rule: &impl Cut) -> io::Result<Option<Vec<u8>>> {
    let mut buf = std::mem::take(carry);
    // No boundary can be in the carry: it is what followed the last one.
    let mut scanned = buf.len();
    let mut target = buf.len() + size;
    loop {
        if fill(reader, &mut buf, target)? {
            return Ok((!buf.is_empty()).then_some(buf));
        }
        if let Some(k) = buf[scanned..].iter().rposition(|&b| rule.hard(b)) {
            let cut = scanned + k + 1;
            *carry = buf[cut..].to_vec();
            buf.truncate(cut);
            return Ok(Some(buf));
        }
        // No boundary since the start of `buf`: one run. Past MAX_RUN it is cut at its forced
        // cuts, so one endless token never grows the buffer beyond a chunk and a run.
        let cut = last_forced_cut(&buf, rule);
        if cut > 0 {
            *carry = buf[cut..].to_vec();
            buf.truncate(cut);
            return Ok(Some(buf));
        }
        scanned = buf.len();
        target = buf.len() + size;
    }
}

/// What a streamed chunk reserves before it knows how much will arrive.
const FIRST_RESERVE: usize = 1 << 20;

/// Reads until `buf` holds `target` bytes or the reader is exhausted; returns true on EOF.
fn fill(reader: &mut dyn Read, buf: &mut Vec<u8>, target: usize) -> io::Result<bool> {
    let Some(want) = target.checked_sub(buf.len()).filter(|&w| w > 0) else { return Ok(false) };
    // Grown as bytes arrive, never reserved whole: `--chunk-size 100G` on a 6-byte stdin must
    // not ask for 100 GB up front.
    buf.reserve(want.min(FIRST_RESERVE));
    // read_to_end fills the spare capacity without zeroing it first (zeroing a 1 MiB target per
    // source cost 90 s for 5,000 small files read with --no-mmap), retries on EINTR, and stops
    // after `want` bytes or at the end of the input.
    let got = reader.take(want as u64).read_to_end(buf)?;
    Ok(got < want)
}

/// The size to cut the next chunk of a mapped source at, `rest` bytes from its end, for
/// `workers` workers; `last`: no source follows this one.
fn mapped_chunk_size(chunk_size: usize, workers: usize, last: bool, rest: usize) -> usize {
    if workers == 1 || !last {
        return chunk_size;
    }
    let floor = (chunk_size / 16).max(1);
    (rest / (2 * workers)).clamp(floor, chunk_size)
}

impl<B: Cut> Iterator for Splitter<'_, B> {
    type Item = Result<Chunk>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let idx = match &mut self.current {
                Some((idx, Current::Mapped { map, pos, legacy })) => {
                    let start = *pos;
                    if start < map.len() {
                        let last = self.next_source == self.sources.len();
                        let size = mapped_chunk_size(self.chunk_size, self.workers, last, map.len() - start);
                        let end = match legacy {
                            None => chunk_end(map, start, size, &self.rule),
                            Some(_) => chunk_end(map, start, size, &LegacyCut),
                        };
                        *pos = end;
                        let data =
                            ChunkData::Mapped { map: Arc::clone(map), range: start..end, legacy: legacy.clone() };
                        return Some(Ok(Chunk { source: *idx, data }));
                    }
                    self.current = None;
                    continue;
                }
                Some((idx, Current::Stream { .. })) => *idx,
                None => {
                    let idx = self.next_source;
                    let source = self.sources.get(idx)?;
                    self.next_source += 1;
                    match input::open(source, self.mmap, &self.decoding) {
                        Ok(Opened::Mapped(map, pos, encoding)) => {
                            let legacy =
                                encoding.map(|encoding| Legacy { encoding, decoding: Arc::clone(&self.decoding) });
                            self.current = Some((idx, Current::Mapped { map, pos, legacy }))
                        }
                        Ok(Opened::Stream(reader)) => {
                            self.current = Some((idx, Current::Stream { reader, carry: Vec::new() }))
                        }
                        Ok(Opened::Whole(reader)) => {
                            return Some(Ok(Chunk { source: idx, data: ChunkData::Whole(reader) }))
                        }
                        Err(e) => return Some(Err(e)),
                    }
                    continue;
                }
            };
            match self.next_stream_chunk(idx) {
                Ok(Some(chunk)) => return Some(Ok(chunk)),
                Ok(None) => self.current = None,
                Err(e) => {
                    self.current = None;
                    return Some(Err(e));
                }
            }
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn space(b: u8) -> bool {
        b == b' ' || b == b'\n'
    }

    fn bytes(mut chunk: Chunk) -> Vec<u8> {
        let mut out = Vec::new();
        chunk.for_each_piece(1 << 20, &space, |p| out.extend_from_slice(p)).unwrap();
        out
    }

    fn chunks_of(sources: &[Source], size: usize, mmap: bool) -> Vec<Vec<u8>> {
        Splitter::new(sources, size, mmap, space).map(|c| bytes(c.unwrap())).collect()
    }

    #[test]
    fn mapped_and_streamed_chunks_cover_the_source_on_boundaries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let text = "one two  three\nfour fivefivefive six\n".repeat(3);
        fs::write(&path, &text).unwrap();
        let sources = [Source { path: Some(path), name: "f".into(), size: Some(text.len() as u64) }];
        for mmap in [true, false] {
            for size in [1, 2, 3, 7, 16, 1000] {
                let chunks = chunks_of(&sources, size, mmap);
                assert_eq!(chunks.concat(), text.as_bytes(), "mmap {mmap} size {size}");
                for c in &chunks[..chunks.len() - 1] {
                    assert!(space(*c.last().unwrap()), "chunk {c:?} ends inside a word");
                }
            }
        }
    }

    #[test]
    fn the_last_source_ends_in_smaller_chunks_when_workers_share_it() {
        let dir = tempfile::tempdir().unwrap();
        let (first, last) = (dir.path().join("first"), dir.path().join("last"));
        let text = "ab cd ".repeat(2_000);
        fs::write(&first, &text).unwrap();
        fs::write(&last, &text).unwrap();
        let size = Some(text.len() as u64);
        let sources = [
            Source { path: Some(first), name: "first".into(), size },
            Source { path: Some(last), name: "last".into(), size },
        ];
        let lens = |workers| -> Vec<(usize, usize)> {
            let splitter = Splitter::new(&sources, 1000, true, space).taper(workers);
            splitter.map(|c| c.unwrap()).map(|c| (c.source, c.mapped_range().unwrap().len())).collect()
        };
        // One worker: chunks of 1,000 bytes (cut after the next space), then each source's rest.
        let plain = lens(1);
        assert_eq!(plain.iter().filter(|c| c.1 < 1000).count(), 2, "{plain:?}");
        let tapered = lens(2);
        assert_eq!(tapered.iter().map(|c| c.1).sum::<usize>(), 2 * text.len());
        let (whole, shrinking): (Vec<(usize, usize)>, Vec<_>) = tapered.iter().partition(|c| c.0 == 0 || c.1 >= 1000);
        // The first source is cut as usual; the last one's chunks shrink to 1000 / 16 = 62.
        assert!(whole.iter().all(|c| c.1 <= 1002), "{tapered:?}");
        assert!(shrinking.len() > 10, "{tapered:?}");
        assert!(shrinking.windows(2).all(|w| w[1].1 <= w[0].1 + 2), "{tapered:?}");
        assert!(shrinking.iter().rev().skip(1).take(3).all(|c| (62..66).contains(&c.1)), "{tapered:?}");
    }

    #[test]
    fn a_word_longer_than_many_chunks_stays_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("long");
        let text = format!("a {} b", "x".repeat(10_000));
        fs::write(&path, &text).unwrap();
        let sources = [Source { path: Some(path), name: "long".into(), size: None }];
        for mmap in [true, false] {
            let chunks = chunks_of(&sources, 64, mmap);
            assert_eq!(chunks.concat(), text.as_bytes());
            let with_x: Vec<_> = chunks.iter().filter(|c| c.contains(&b'x')).collect();
            assert_eq!(with_x.len(), 1, "mmap {mmap}: the long word was cut");
            assert!(with_x[0].len() < 10_000 + 2 * 64 + 4, "mmap {mmap}: chunk grew past the word");
        }
    }

    #[test]
    fn a_compressed_file_is_one_chunk_read_in_pieces_on_boundaries() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.gz");
        let text = "one two  three\nfour fivefivefive six\n".repeat(50);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        fs::write(&path, gz.finish().unwrap()).unwrap();
        let sources = [Source { path: Some(path), name: "f.gz".into(), size: None }];
        for mmap in [true, false] {
            let mut chunks: Vec<Chunk> = Splitter::new(&sources, 7, mmap, space).map(Result::unwrap).collect();
            assert_eq!(chunks.len(), 1, "mmap {mmap}");
            let mut pieces = Vec::new();
            chunks[0].for_each_piece(16, &space, |p| pieces.push(p.to_vec())).unwrap();
            assert!(pieces.len() > 10);
            assert_eq!(pieces.concat(), text.as_bytes());
            assert!(pieces[..pieces.len() - 1].iter().all(|p| space(*p.last().unwrap())));
        }
    }

    #[test]
    fn an_unopenable_source_yields_an_error_and_the_next_source_continues() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good");
        fs::write(&good, "a b").unwrap();
        let sources = [
            Source { path: Some(dir.path().join("gone")), name: "gone".into(), size: None },
            Source { path: Some(good), name: "good".into(), size: Some(3) },
        ];
        let got: Vec<_> = Splitter::new(&sources, 1, true, space).collect();
        assert_eq!(got.len(), 3);
        assert!(got[0].as_ref().is_err_and(|e| e.to_string() == "gone: No such file or directory"));
        assert_eq!(bytes(got.into_iter().nth(1).unwrap().unwrap()), b"a ");
    }
}
