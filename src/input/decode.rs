//! What an input's bytes are before they are text: compressed (gzip, bzip2, zstd, xz) and
//! byte-order marks (UTF-8, UTF-16 LE/BE).
//!
//! The format is taken from the first bytes (magic numbers), else from the file name's
//! extension, so a `.gz` file that is not gzip fails instead of being counted as binary
//! noise. Every decoder accepts concatenated streams (`cat a.gz b.gz`, pbzip2, zstd frames,
//! xz streams), as gzip(1) and Hadoop do. A decoder error names the format and the offset in the
//! compressed file where decoding stopped; the caller prefixes the input's name.
//!
//! After decompression, a UTF-8 BOM is skipped and UTF-16 text (with a BOM) is transcoded to
//! UTF-8, so the tokenizers only ever see UTF-8 (or whatever bytes the input really holds).

use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::encoding::{Decoding, Transcoder};

/// A compression format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Gzip,
    Bzip2,
    Zstd,
    Xz,
}

impl Codec {
    fn name(self) -> &'static str {
        match self {
            Codec::Gzip => "gzip",
            Codec::Bzip2 => "bzip2",
            Codec::Zstd => "zstd",
            Codec::Xz => "xz",
        }
    }
}

/// How many leading bytes [`sniff`] and [`Bom::of`] look at.
pub const HEAD: usize = 10;

/// The compression of a file from its first bytes, else its name.
pub fn sniff(head: &[u8], path: Option<&Path>) -> Option<Codec> {
    let by_magic = if head.starts_with(&[0x1f, 0x8b]) {
        Some(Codec::Gzip)
    } else if is_bzip2(head) {
        Some(Codec::Bzip2)
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some(Codec::Zstd)
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
        Some(Codec::Xz)
    } else {
        None
    };
    by_magic.or_else(|| match path?.extension()?.to_str()? {
        "gz" => Some(Codec::Gzip),
        "bz2" => Some(Codec::Bzip2),
        "zst" => Some(Codec::Zstd),
        "xz" => Some(Codec::Xz),
        _ => None,
    })
}

/// `BZh`, a block size digit, then the magic of a first block or of the end of stream: text
/// may well start with `BZh`, but not with the rest.
fn is_bzip2(head: &[u8]) -> bool {
    head.len() >= 10
        && head.starts_with(b"BZh")
        && (b'1'..=b'9').contains(&head[3])
        && (head[4..10] == [0x31, 0x41, 0x59, 0x26, 0x53, 0x59] || head[4..10] == [0x17, 0x72, 0x45, 0x38, 0x50, 0x90])
}

/// A byte-order mark at the start of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bom {
    Utf8,
    Utf16Le,
    Utf16Be,
}

impl Bom {
    pub fn of(head: &[u8]) -> Option<Bom> {
        if head.starts_with(&[0xef, 0xbb, 0xbf]) {
            Some(Bom::Utf8)
        } else if head.starts_with(&[0xff, 0xfe]) {
            Some(Bom::Utf16Le)
        } else if head.starts_with(&[0xfe, 0xff]) {
            Some(Bom::Utf16Be)
        } else {
            None
        }
    }

    pub fn bytes(self) -> usize {
        match self {
            Bom::Utf8 => 3,
            Bom::Utf16Le | Bom::Utf16Be => 2,
        }
    }
}

/// Magic numbers and byte-order marks: what [`peek`] must be able to see whole.
const SIGNATURES: &[&[u8]] = &[
    &[0x1f, 0x8b],
    b"BZh",
    &[0x28, 0xb5, 0x2f, 0xfd],
    &[0xfd, b'7', b'z', b'X', b'Z', 0x00],
    &[0xef, 0xbb, 0xbf],
    &[0xff, 0xfe],
    &[0xfe, 0xff],
];

/// Whether `head` could still turn into a signature with more bytes.
fn undecided(head: &[u8]) -> bool {
    head.len() < HEAD
        && (head.is_empty()
            || head.starts_with(b"BZh")
            || SIGNATURES.iter().any(|s| s.len() > head.len() && s.starts_with(head)))
}

/// Reads the first bytes of `reader` and returns them with a reader that yields them again
/// followed by the rest. It reads only as far as it must to tell a signature: a live stream
/// whose first line is short is not held back waiting for more.
pub fn peek(mut reader: Box<dyn Read + Send>) -> io::Result<(Vec<u8>, Box<dyn Read + Send>)> {
    let mut head = Vec::with_capacity(HEAD);
    let mut buf = [0u8; HEAD];
    while undecided(&head) {
        match reader.read(&mut buf[..HEAD - head.len()]) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let again = io::Cursor::new(head.clone()).chain(reader);
    Ok((head, Box::new(again)))
}

/// Reads up to `n` bytes of `reader` (fewer only at its end) and returns them with a reader that
/// yields them again followed by the rest: what `--encoding auto` looks at.
pub fn peek_up_to(reader: Box<dyn Read + Send>, n: usize) -> io::Result<(Vec<u8>, Box<dyn Read + Send>)> {
    let mut head = Vec::new();
    let mut reader = reader;
    (&mut reader).take(n as u64).read_to_end(&mut head)?;
    let again = io::Cursor::new(head.clone()).chain(reader);
    Ok((head, Box::new(again)))
}

/// Whether the file at `path` is compressed or starts with a byte-order mark: whether its text
/// differs from its bytes.
pub fn needs_decoding(path: &Path) -> io::Result<bool> {
    let mut head = Vec::with_capacity(HEAD);
    std::fs::File::open(path)?.take(HEAD as u64).read_to_end(&mut head)?;
    Ok(sniff(&head, Some(path)).is_some() || Bom::of(&head).is_some())
}

/// What makes a file's bytes not its text, for a message: `gzip-compressed`, `UTF-16`...;
/// `None` for plain text (a UTF-8 byte order mark included).
pub fn encoded_as(path: &Path) -> io::Result<Option<String>> {
    let mut head = Vec::with_capacity(HEAD);
    std::fs::File::open(path)?.take(HEAD as u64).read_to_end(&mut head)?;
    Ok(match (sniff(&head, Some(path)), Bom::of(&head)) {
        (Some(codec), _) => Some(format!("{}-compressed", codec.name())),
        (None, Some(Bom::Utf16Le | Bom::Utf16Be)) => Some("UTF-16".to_string()),
        _ => None,
    })
}

/// Wraps `reader` (the raw bytes, from their start) in `codec`'s decoder.
pub fn decompress(codec: Codec, reader: Box<dyn Read + Send>) -> io::Result<Box<dyn Read + Send>> {
    let consumed = Arc::new(AtomicU64::new(0));
    let reader = RawErrors { inner: reader };
    let input = Counted { inner: BufReader::with_capacity(1 << 16, reader), consumed: Arc::clone(&consumed) };
    let decoder: Box<dyn Read + Send> = match codec {
        Codec::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(input)),
        Codec::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(input)),
        Codec::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(input)?),
        Codec::Xz => Box::new(liblzma::bufread::XzDecoder::new_multi_decoder(input)),
    };
    Ok(Box::new(Explained { inner: decoder, codec, consumed }))
}

/// Undoes a BOM: skips a UTF-8 one, transcodes UTF-16 (unpaired surrogates and an odd last
/// byte become U+FFFD, counted into `decoding`). `head` is what [`peek`] saw.
pub fn unbom(head: &[u8], reader: Box<dyn Read + Send>, decoding: &Arc<Decoding>) -> io::Result<Box<dyn Read + Send>> {
    let Some(bom) = Bom::of(head) else { return Ok(reader) };
    let encoding = match bom {
        Bom::Utf8 => {
            let mut reader = reader;
            io::copy(&mut (&mut reader).take(bom.bytes() as u64), &mut io::sink())?;
            return Ok(reader);
        }
        Bom::Utf16Le => encoding_rs::UTF_16LE,
        Bom::Utf16Be => encoding_rs::UTF_16BE,
    };
    // The transcoder drops the BOM itself.
    Ok(Box::new(Transcoder::new(reader, encoding, Arc::clone(decoding))))
}

/// The compressed file itself. Its read errors (a disk error, a file that shrank) are not the
/// archive's fault: they are marked so that [`Explained`] passes them on unchanged.
struct RawErrors {
    inner: Box<dyn Read + Send>,
}

impl Read for RawErrors {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| io::Error::new(e.kind(), RawError(e)))
    }
}

/// A read error of the compressed file, as opposed to one of the decoder.
#[derive(Debug)]
struct RawError(io::Error);

impl std::fmt::Display for RawError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::error::io_reason(&self.0))
    }
}

impl std::error::Error for RawError {}

/// A buffered reader that counts the bytes its user consumed (the decoder's position).
struct Counted<R> {
    inner: BufReader<R>,
    consumed: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: Read> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.consumed.fetch_add(amt as u64, Ordering::Relaxed);
        self.inner.consume(amt)
    }
}

/// A decoder whose errors say what failed and where.
struct Explained {
    inner: Box<dyn Read + Send>,
    codec: Codec,
    consumed: Arc<AtomicU64>,
}

impl Read for Explained {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            if e.get_ref().is_some_and(|inner| inner.is::<RawError>()) {
                return e;
            }
            let at = self.consumed.load(Ordering::Relaxed);
            let name = self.codec.name();
            let why = if e.kind() == io::ErrorKind::UnexpectedEof {
                format!("truncated {name} data: input ends at byte {at} inside a compressed stream")
            } else {
                format!("corrupt {name} data near byte {at}: {}", crate::error::io_reason(&e))
            };
            io::Error::new(e.kind(), why)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read_all(r: &mut dyn Read) -> io::Result<Vec<u8>> {
        let mut v = Vec::new();
        r.read_to_end(&mut v)?;
        Ok(v)
    }

    fn boxed(bytes: Vec<u8>) -> Box<dyn Read + Send> {
        Box::new(io::Cursor::new(bytes))
    }

    fn gzip(text: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(text).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn formats_are_known_by_magic_then_by_name() {
        assert_eq!(sniff(&gzip(b"x")[..HEAD], None), Some(Codec::Gzip));
        assert_eq!(sniff(b"BZh91AY&SY", None), Some(Codec::Bzip2));
        assert_eq!(sniff(b"BZh9 is text", None), None);
        assert_eq!(sniff(b"hello", Some(Path::new("a.zst"))), Some(Codec::Zstd));
        assert_eq!(sniff(b"hello", Some(Path::new("a.txt"))), None);
        assert_eq!(sniff(b"", None), None);
    }

    #[test]
    fn peeking_stops_as_soon_as_no_signature_can_match() {
        // One byte at a time, as a slow pipe delivers them.
        struct Trickle(Vec<u8>, usize);
        impl Read for Trickle {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let Some(&b) = self.0.get(self.1) else { return Ok(0) };
                self.1 += 1;
                buf[0] = b;
                Ok(1)
            }
        }
        let (head, _) = peek(Box::new(Trickle(b"hi there".to_vec(), 0))).unwrap();
        assert_eq!(head, b"h");
        let (head, _) = peek(Box::new(Trickle(b"BZh9xyzwvut".to_vec(), 0))).unwrap();
        assert_eq!(head, b"BZh9xyzwvu");
        let (head, mut rest) = peek(Box::new(Trickle(b"\xef\xbb\xbfok".to_vec(), 0))).unwrap();
        assert_eq!(head, b"\xef\xbb\xbf");
        assert_eq!(read_all(&mut rest).unwrap(), b"\xef\xbb\xbfok");
    }

    #[test]
    fn concatenated_gzip_members_are_all_read() {
        let data = [gzip(b"one two "), gzip(b"three")].concat();
        let mut r = decompress(Codec::Gzip, boxed(data)).unwrap();
        assert_eq!(read_all(&mut r).unwrap(), b"one two three");
    }

    #[test]
    fn truncated_and_corrupt_data_name_the_offset() {
        let data = gzip(&b"some words ".repeat(1000));
        let cut = data[..data.len() / 2].to_vec();
        let err = read_all(&mut decompress(Codec::Gzip, boxed(cut.clone())).unwrap()).unwrap_err();
        assert!(err.to_string().starts_with("truncated gzip data"), "{err}");
        assert!(err.to_string().contains(&format!("byte {}", cut.len())), "{err}");
        let mut bad = data.clone();
        bad[12] ^= 0xff;
        let err = read_all(&mut decompress(Codec::Gzip, boxed(bad)).unwrap()).unwrap_err();
        assert!(err.to_string().starts_with("corrupt gzip data near byte "), "{err}");
    }

    #[test]
    fn a_read_error_of_the_file_is_not_called_corruption() {
        // The archive is fine; the file fails after its first 20 bytes.
        struct Failing(io::Cursor<Vec<u8>>);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0.position() >= 20 {
                    return Err(io::Error::other("file changed while being read"));
                }
                let n = buf.len().min(20 - self.0.position() as usize);
                self.0.read(&mut buf[..n])
            }
        }
        for codec in [Codec::Gzip, Codec::Bzip2, Codec::Zstd, Codec::Xz] {
            let data = match codec {
                Codec::Gzip => gzip(&b"word ".repeat(10_000)),
                Codec::Bzip2 => {
                    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
                    e.write_all(&b"word ".repeat(10_000)).unwrap();
                    e.finish().unwrap()
                }
                Codec::Zstd => zstd::encode_all(&b"word ".repeat(10_000)[..], 3).unwrap(),
                Codec::Xz => {
                    let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
                    e.write_all(&b"word ".repeat(10_000)).unwrap();
                    e.finish().unwrap()
                }
            };
            let reader = Box::new(Failing(io::Cursor::new(data)));
            let err = read_all(&mut decompress(codec, reader).unwrap()).unwrap_err();
            assert_eq!(err.to_string(), "file changed while being read", "{codec:?}");
        }
    }

    #[test]
    fn utf8_bom_is_skipped() {
        let r = unbom(b"\xef\xbb\xbfab", boxed(b"\xef\xbb\xbfab".to_vec()), &Arc::default()).unwrap();
        assert_eq!(read_all(&mut { r }).unwrap(), b"ab");
    }

    #[test]
    fn utf16_is_transcoded_in_both_orders() {
        let text = "Grüße 中文 😀\n";
        let le: Vec<u8> = [0xfeff_u16].into_iter().chain(text.encode_utf16()).flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = [0xfeff_u16].into_iter().chain(text.encode_utf16()).flat_map(u16::to_be_bytes).collect();
        for data in [le, be] {
            let mut r = unbom(&data[..HEAD], boxed(data.clone()), &Arc::default()).unwrap();
            assert_eq!(read_all(&mut r).unwrap(), text.as_bytes());
        }
    }

    #[test]
    fn utf16_pairs_split_across_reads_and_odd_bytes() {
        // A one-byte-at-a-time reader splits every surrogate pair.
        struct Slow(io::Cursor<Vec<u8>>);
        impl Read for Slow {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min(1);
                self.0.read(&mut buf[..n])
            }
        }
        let mut data: Vec<u8> = "\u{feff}😀a".encode_utf16().flat_map(u16::to_le_bytes).collect();
        data.push(0x41);
        let decoding = Arc::new(Decoding::default());
        let mut r = unbom(&data[..2], Box::new(Slow(io::Cursor::new(data.clone()))), &decoding).unwrap();
        assert_eq!(read_all(&mut r).unwrap(), "😀a\u{fffd}".as_bytes());
        let lone: Vec<u8> = [0xfeff_u16, 0xd800, 0x61].iter().flat_map(|u| u.to_le_bytes()).collect();
        let mut r = unbom(&lone[..4], boxed(lone.clone()), &decoding).unwrap();
        assert_eq!(read_all(&mut r).unwrap(), "\u{fffd}a".as_bytes());
        assert_eq!(decoding.undecodable(), 2);
    }
}
