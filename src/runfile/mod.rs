//! Sorted runs on disk: the files of the procs runner's shuffle (and of spills). This file owns
//! the format (writer and reader); `merge.rs` merges runs.
//!
//! A run holds `(word, count)` records, each word at most once, in one of two orders: by the
//! word's bytes (the shuffle, spills, reduce outputs) or by count descending then word (the
//! external sort of the output stage). The magic says which:
//!
//! ```text
//!   "MRWCRUN1" (word order) or "MRWCRUNC" (count order)     magic, 8 bytes
//!   0x01 varint(len) word[len] varint(count)       one per record, strictly in the run's order
//!   0x00 u64le(records) u64le(checksum)            end of run
//! ```
//!
//! Varints are LEB128 (7 bits a byte, low bits first, at most 10 bytes). The checksum is FNV-1a
//! over the bytes of every record. A reader checks everything it can: the magic, the tags,
//! varint length, word order, the record count and the checksum, and that nothing follows the
//! end. A truncated or corrupt file is an error naming the file, never a panic or a silently
//! wrong count; and since a reduce task writes nothing visible before it has read every input
//! to its end, a corrupt input fails the task instead of changing the result.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;

use crate::error::{io_reason, quote_path, Error, Result};
use crate::partition::{fnv1a64_extend as fnv, FNV_OFFSET};

mod merge;

pub use merge::{fan_in, merge, merge_files, merge_paths, scratch_name};

const MAGIC_WORD: &[u8; 8] = b"MRWCRUN1";
const MAGIC_COUNT: &[u8; 8] = b"MRWCRUNC";

/// The order of a run's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Word bytes ascending.
    Word,
    /// Count descending, then word bytes ascending (the output's default order).
    Count,
}

impl Order {
    /// Whether record `a` comes strictly before record `b`.
    #[inline]
    pub fn before(self, a: (&[u8], u64), b: (&[u8], u64)) -> bool {
        match self {
            Order::Word => a.0 < b.0,
            Order::Count => a.1 > b.1 || (a.1 == b.1 && a.0 < b.0),
        }
    }
}
const RECORD: u8 = 1;
const END: u8 = 0;

fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

/// Writes one run. Words must come in strictly increasing byte order.
pub struct RunWriter<W: Write> {
    out: BufWriter<W>,
    record: Vec<u8>,
    records: u64,
    checksum: u64,
    bytes: u64,
}

impl<W: Write> RunWriter<W> {
    /// A writer of a word-ordered run.
    pub fn new(out: W) -> io::Result<RunWriter<W>> {
        RunWriter::with_order(out, Order::Word)
    }

    pub fn with_order(out: W, order: Order) -> io::Result<RunWriter<W>> {
        let mut out = BufWriter::with_capacity(1 << 16, out);
        out.write_all(match order {
            Order::Word => MAGIC_WORD,
            Order::Count => MAGIC_COUNT,
        })?;
        Ok(RunWriter { out, record: Vec::with_capacity(64), records: 0, checksum: FNV_OFFSET, bytes: 8 })
    }

    pub fn push(&mut self, word: &[u8], count: u64) -> io::Result<()> {
        self.record.clear();
        self.record.push(RECORD);
        put_varint(&mut self.record, word.len() as u64);
        self.record.extend_from_slice(word);
        put_varint(&mut self.record, count);
        self.checksum = fnv(self.checksum, &self.record);
        self.records += 1;
        self.bytes += self.record.len() as u64;
        self.out.write_all(&self.record)
    }

    /// Writes the end marker and flushes; returns the inner writer and the bytes written.
    pub fn finish(mut self) -> io::Result<(W, u64)> {
        self.out.write_all(&[END])?;
        self.out.write_all(&self.records.to_le_bytes())?;
        self.out.write_all(&self.checksum.to_le_bytes())?;
        self.bytes += 17;
        let out = self.out.into_inner().map_err(|e| e.into_error())?;
        Ok((out, self.bytes))
    }
}

/// Writes `records` (already in `order`, unique words) to a new file at `path`; returns its size.
pub fn write_file<'a>(path: &Path, order: Order, records: impl Iterator<Item = (&'a [u8], u64)>) -> Result<u64> {
    let fail = |e: io::Error| Error::temp_dir(path, &e);
    let file = crate::interrupt::creating(|| File::create(path)).map_err(fail)?;
    let mut w = RunWriter::with_order(file, order).map_err(fail)?;
    for (word, count) in records {
        w.push(word, count).map_err(fail)?;
    }
    let (file, bytes) = w.finish().map_err(fail)?;
    drop(file);
    Ok(bytes)
}

/// Reads one run, record by record.
pub struct RunReader<R: Read> {
    input: BufReader<R>,
    name: String,
    order: Order,
    word: Vec<u8>,
    count: u64,
    started: bool,
    done: bool,
    records: u64,
    checksum: u64,
    record: Vec<u8>,
}

impl RunReader<File> {
    pub fn open(path: &Path) -> Result<RunReader<File>> {
        let file = File::open(path).map_err(|e| Error::temp_dir(path, &e))?;
        RunReader::new(file, quote_path(path))
    }
}

impl<R: Read> RunReader<R> {
    pub fn new(input: R, name: String) -> Result<RunReader<R>> {
        let mut reader = RunReader {
            input: BufReader::with_capacity(1 << 16, input),
            name,
            order: Order::Word,
            word: Vec::new(),
            count: 0,
            started: false,
            done: false,
            records: 0,
            checksum: FNV_OFFSET,
            record: Vec::new(),
        };
        let mut magic = [0u8; 8];
        reader.read_exact(&mut magic)?;
        reader.order = match &magic {
            MAGIC_WORD => Order::Word,
            MAGIC_COUNT => Order::Count,
            _ => return Err(reader.corrupt("not a run file (bad magic)")),
        };
        Ok(reader)
    }

    fn corrupt(&self, what: &str) -> Error {
        Error::Job(format!("{}: corrupt run file: {what}", self.name))
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> Result<()> {
        self.input.read_exact(buf).map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => self.corrupt("truncated"),
            _ => Error::Job(format!("{}: {}", self.name, io_reason(&e))),
        })
    }

    fn byte(&mut self) -> Result<u8> {
        let mut b = [0u8; 1];
        self.read_exact(&mut b)?;
        Ok(b[0])
    }

    fn varint(&mut self) -> Result<u64> {
        let mut v = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            self.record.push(b);
            if shift == 63 && b > 1 {
                return Err(self.corrupt("varint overflow"));
            }
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.corrupt("varint too long"))
    }

    /// Moves to the next record; false at the (verified) end of the run.
    pub fn advance(&mut self) -> Result<bool> {
        if self.done {
            return Ok(false);
        }
        match self.byte()? {
            RECORD => {}
            END => return self.finish().map(|()| false),
            _ => return Err(self.corrupt("bad record tag")),
        }
        self.record.clear();
        self.record.push(RECORD);
        let len = self.varint()?;
        // A word can't be longer than the file; refuse absurd lengths before allocating.
        if len > 1 << 40 {
            return Err(self.corrupt("word length out of range"));
        }
        let start = self.record.len();
        // Grow with the bytes that actually arrive: a corrupt length must not allocate what the
        // file does not hold (the fuzzer found a 28 GB allocation from a 40-byte file).
        let mut word = std::mem::take(&mut self.record);
        let read = (&mut self.input).take(len).read_to_end(&mut word);
        self.record = word;
        match read {
            Ok(n) if n as u64 == len => {}
            Ok(_) => return Err(self.corrupt("truncated")),
            Err(e) => return Err(Error::Job(format!("{}: {}", self.name, io_reason(&e)))),
        }
        let count = self.varint()?;
        let word = &self.record[start..start + len as usize];
        if self.started && !self.order.before((self.word.as_slice(), self.count), (word, count)) {
            return Err(self.corrupt("records out of order"));
        }
        self.word.clear();
        self.word.extend_from_slice(word);
        self.count = count;
        self.started = true;
        self.records += 1;
        self.checksum = fnv(self.checksum, &self.record);
        Ok(true)
    }

    fn finish(&mut self) -> Result<()> {
        let mut tail = [0u8; 16];
        self.read_exact(&mut tail)?;
        let records = u64::from_le_bytes(tail[..8].try_into().expect("8 bytes"));
        let checksum = u64::from_le_bytes(tail[8..].try_into().expect("8 bytes"));
        if records != self.records {
            return Err(self.corrupt("record count mismatch"));
        }
        if checksum != self.checksum {
            return Err(self.corrupt("checksum mismatch"));
        }
        let mut extra = [0u8; 1];
        match self.input.read(&mut extra) {
            Ok(0) => {}
            Ok(_) => return Err(self.corrupt("data after the end")),
            Err(e) => return Err(Error::Job(format!("{}: {}", self.name, io_reason(&e)))),
        }
        self.done = true;
        Ok(())
    }

    pub fn order(&self) -> Order {
        self.order
    }

    pub fn word(&self) -> &[u8] {
        &self.word
    }

    pub fn count(&self) -> u64 {
        self.count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_bytes(records: &[(&str, u64)]) -> Vec<u8> {
        let mut w = RunWriter::new(Vec::new()).unwrap();
        for (word, count) in records {
            w.push(word.as_bytes(), *count).unwrap();
        }
        w.finish().unwrap().0
    }

    fn read_all(bytes: &[u8]) -> Result<Vec<(String, u64)>> {
        let mut r = RunReader::new(bytes, "test.run".into())?;
        let mut out = Vec::new();
        while r.advance()? {
            out.push((String::from_utf8_lossy(r.word()).into_owned(), r.count()));
        }
        Ok(out)
    }

    #[test]
    fn round_trips_records() {
        let records = [("", 1), ("a", 2), ("ab", u64::MAX), ("中文", 300)];
        let got = read_all(&run_bytes(&records)).unwrap();
        let want: Vec<(String, u64)> = records.iter().map(|(w, c)| (w.to_string(), *c)).collect();
        assert_eq!(got, want);
        assert!(read_all(&run_bytes(&[])).unwrap().is_empty());
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = run_bytes(&[("alpha", 1), ("beta", 300)]);
        for len in 0..bytes.len() {
            let err = read_all(&bytes[..len]).unwrap_err().to_string();
            assert!(err.starts_with("test.run: corrupt run file"), "{len}: {err}");
        }
    }

    #[test]
    fn every_single_byte_corruption_is_an_error_or_harmless() {
        let bytes = run_bytes(&[("alpha", 1), ("beta", 300), ("gamma", 7)]);
        let good = read_all(&bytes).unwrap();
        for at in 0..bytes.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut bad = bytes.clone();
                bad[at] ^= flip;
                if let Ok(got) = read_all(&bad) {
                    assert_eq!(got, good, "corruption at {at} changed the records silently");
                }
            }
        }
    }

    #[test]
    fn a_huge_declared_length_is_truncation_not_an_allocation() {
        // Found by the run_reader fuzz target: a 1 TB word length in a tiny file.
        let bytes = include_bytes!("../../fuzz/regressions/run_reader-huge-length");
        assert!(read_all(bytes).is_err());
        let mut forged = b"MRWCRUN1\x01".to_vec();
        forged.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]); // len = 2^40 - 1
        forged.extend_from_slice(b"abc");
        assert_eq!(read_all(&forged).unwrap_err().to_string(), "test.run: corrupt run file: truncated");
    }

    #[test]
    fn out_of_order_words_are_rejected() {
        let bytes = run_bytes(&[("b", 1), ("a", 1)]);
        assert!(read_all(&bytes).unwrap_err().to_string().contains("out of order"));
        let mut w = RunWriter::with_order(Vec::new(), Order::Count).unwrap();
        w.push(b"b", 2).unwrap();
        w.push(b"c", 2).unwrap();
        w.push(b"a", 1).unwrap();
        assert_eq!(read_all(&w.finish().unwrap().0).unwrap().len(), 3);
        let mut w = RunWriter::with_order(Vec::new(), Order::Count).unwrap();
        w.push(b"a", 1).unwrap();
        w.push(b"b", 2).unwrap();
        assert!(read_all(&w.finish().unwrap().0).unwrap_err().to_string().contains("out of order"));
    }

    #[test]
    fn merge_sums_equal_words_in_order() {
        let a = run_bytes(&[("a", 1), ("c", 2), ("d", 1)]);
        let b = run_bytes(&[("b", 5), ("c", 3)]);
        let c = run_bytes(&[]);
        let d = run_bytes(&[("a", 10), ("e", 1)]);
        let runs = [&a, &b, &c, &d].iter().map(|r| RunReader::new(r.as_slice(), "r".into()).unwrap()).collect();
        let mut got = Vec::new();
        merge(runs, |w, n| {
            got.push((String::from_utf8_lossy(w).into_owned(), n));
            Ok(true)
        })
        .unwrap();
        let want = [("a", 11), ("b", 5), ("c", 5), ("d", 1), ("e", 1)];
        assert_eq!(got, want.iter().map(|(w, c)| (w.to_string(), *c)).collect::<Vec<_>>());
    }

    #[test]
    fn merging_many_files_goes_in_passes() {
        let dir = tempfile::tempdir().unwrap();
        let mut inputs = Vec::new();
        for i in 0..150u64 {
            let path = dir.path().join(format!("in-{i}.run"));
            let words = [format!("w{:03}", i % 7), format!("x{i:03}")];
            let mut sorted: Vec<_> = words.iter().map(|w| (w.as_bytes(), 1)).collect();
            sorted.sort();
            write_file(&path, Order::Word, sorted.into_iter()).unwrap();
            inputs.push(path);
        }
        let out = dir.path().join("out.run");
        let scratch = tempfile::tempdir().unwrap();
        assert_eq!(merge_files(&inputs, &out, scratch.path()).unwrap(), 157);
        assert_eq!(std::fs::read_dir(scratch.path()).unwrap().count(), 0, "intermediate runs left");
        let mut r = RunReader::open(&out).unwrap();
        let mut total = 0;
        while r.advance().unwrap() {
            total += r.count();
        }
        assert_eq!(total, 300);
    }

    #[test]
    fn merge_reports_overflow() {
        let a = run_bytes(&[("x", u64::MAX)]);
        let b = run_bytes(&[("x", 1)]);
        let runs = [&a, &b].iter().map(|r| RunReader::new(r.as_slice(), "r".into()).unwrap()).collect();
        assert!(merge(runs, |_, _| Ok(true)).unwrap_err().to_string().contains("overflow"));
    }
}
