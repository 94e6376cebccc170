//! Text encodings (`--encoding`): which encoding a source is in, and decoding it to UTF-8, the
//! only encoding the tokenizers read.
//!
//! `utf-8` (the default) reads bytes as they are, as every version of mrwc did: a UTF-8 BOM is
//! skipped, UTF-16 with a BOM is transcoded, and invalid bytes separate words. Any other label
//! (WHATWG's: `gb18030`, `gbk`, `big5`, `shift_jis`, `euc-jp`, `euc-kr`, `utf-16le`,
//! `windows-1252`, ...) decodes every input with encoding_rs, a byte-order mark overriding the
//! label as the WHATWG Encoding Standard says; `auto` picks per input from its first 64 KiB (a
//! BOM, else valid UTF-8, else chardetng's guess). A byte sequence the encoding cannot map
//! becomes U+FFFD (which no word contains) and is counted ([`Decoding::undecodable`]).
//!
//! A mapped file in an ASCII-compatible multi-byte encoding still splits into parallel tasks: it
//! is cut at line ends (or, in a line over 1 MiB, after ASCII whitespace). Those bytes are safe
//! cut points in every such encoding, since no trailing byte of a multi-byte character is below
//! 0x30 (Shift_JIS and Big5 trail bytes start at 0x40, GBK's at 0x40, GB18030's four-byte
//! sequences use 0x30..0x39, EUC-JP and EUC-KR stay above 0x80) and none of them keeps state from
//! one character to the next. UTF-16 and ISO-2022-JP (stateful: an escape sequence sets the
//! meaning of the bytes after it) cannot be cut without decoding from the start, so such a file
//! is one task, decoded as it is read, like a compressed file.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use encoding_rs::{DecoderResult, Encoding, UTF_8};

/// How many leading bytes `auto` looks at.
pub const SNIFF: usize = 64 << 10;

/// `--encoding`'s value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EncodingArg {
    /// Bytes as they are (the default).
    #[default]
    Utf8,
    /// Detected per input.
    Auto,
    /// Every input in this encoding (unless its BOM says otherwise).
    Label(&'static Encoding),
}

impl EncodingArg {
    /// Parses `--encoding`: `utf-8`, `auto` or a WHATWG label (case-insensitive).
    pub fn parse(s: &str) -> Result<EncodingArg, String> {
        if s.eq_ignore_ascii_case("auto") {
            return Ok(EncodingArg::Auto);
        }
        match Encoding::for_label(s.trim().as_bytes()) {
            Some(e) if e == UTF_8 => Ok(EncodingArg::Utf8),
            // WHATWG maps a few dangerous labels (iso-2022-kr, hz-gb-2312...) to "replacement",
            // which decodes every input to one U+FFFD: refuse instead.
            Some(e) if e == encoding_rs::REPLACEMENT => Err(format!("{s:?} is not supported (WHATWG maps it to replacement)")),
            Some(e) => Ok(EncodingArg::Label(e)),
            None => Err(format!(
                "unknown encoding {s:?} (auto, utf-8, or a WHATWG label: gb18030, gbk, big5, shift_jis, euc-jp, euc-kr, \
                 utf-16le, utf-16be, windows-1252, ...)"
            )),
        }
    }

    /// The value as a command-line argument.
    pub fn to_arg(self) -> String {
        match self {
            EncodingArg::Utf8 => "utf-8".into(),
            EncodingArg::Auto => "auto".into(),
            EncodingArg::Label(e) => e.name().to_ascii_lowercase(),
        }
    }

    /// The encoding of a source whose text starts with `head` (decompressed, at least
    /// [`SNIFF`] bytes unless the source is shorter); `None` under the default `utf-8`, whose
    /// bytes are read as they are.
    pub fn resolve(self, head: &[u8]) -> Option<Resolved> {
        let label = match self {
            EncodingArg::Utf8 => return None,
            EncodingArg::Label(e) => e,
            EncodingArg::Auto => detect(head),
        };
        // A byte-order mark outranks the label, as in browsers.
        let encoding = Encoding::for_bom(head).map_or(label, |(bom, _)| bom);
        Some(Resolved { encoding, detected: self == EncodingArg::Auto })
    }
}

/// A source's encoding, and whether `auto` guessed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    pub encoding: &'static Encoding,
    pub detected: bool,
}

impl Resolved {
    /// Whether a mapped file in this encoding may be cut at line ends and decoded piece by
    /// piece (see the module documentation).
    pub fn splits(self) -> bool {
        self.encoding.is_ascii_compatible() && self.encoding != UTF_8
    }
}

/// `auto`'s guess for text starting with `head`: UTF-8 when it is valid UTF-8 (a character cut
/// by the end of `head` aside), else chardetng's guess (which knows the legacy encodings of
/// Chinese, Japanese, Korean, Cyrillic, Greek, ... from their byte statistics).
fn detect(head: &[u8]) -> &'static Encoding {
    let valid = match std::str::from_utf8(head) {
        Ok(_) => true,
        // Only a character cut short by the end of `head` is allowed.
        Err(e) => e.error_len().is_none() && head.len() - e.valid_up_to() < 4,
    };
    if valid {
        return UTF_8;
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Allow);
    detector.feed(head, head.len() < SNIFF);
    detector.guess(None, chardetng::Utf8Detection::Allow)
}

/// What a job's decoding saw: the inputs decoded per encoding, and the byte sequences that did
/// not decode. Shared by every reader and task of the job.
#[derive(Debug, Default)]
pub struct Decoding {
    pub arg: EncodingArg,
    undecodable: AtomicU64,
    /// Encoding name -> (inputs, of which detected).
    seen: Mutex<BTreeMap<&'static str, (u64, u64)>>,
    /// Print each input's encoding on stderr as it is opened (`--verbose`).
    pub verbose: bool,
}

impl Decoding {
    pub fn new(arg: EncodingArg, verbose: bool) -> Decoding {
        Decoding { arg, verbose, ..Decoding::default() }
    }

    /// Records that input `name` is read as `resolved`.
    pub fn note(&self, name: &str, resolved: Resolved) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let entry = seen.entry(resolved.encoding.name()).or_default();
        entry.0 += 1;
        entry.1 += u64::from(resolved.detected);
        drop(seen);
        if self.verbose {
            let how = if resolved.detected { "detected" } else { "as told" };
            crate::error::stderr_text(&format!("mrwc: {name}: decoding {} ({how})\n", resolved.encoding.name()));
        }
    }

    pub fn add_undecodable(&self, n: u64) {
        if n > 0 {
            self.undecodable.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Byte sequences that became U+FFFD.
    pub fn undecodable(&self) -> u64 {
        self.undecodable.load(Ordering::Relaxed)
    }

    /// The inputs decoded per encoding: (name, inputs, of which detected), by name.
    pub fn encodings(&self) -> Vec<(&'static str, u64, u64)> {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.iter().map(|(name, (n, d))| (*name, *n, *d)).collect()
    }
}

/// Decodes `bytes`, a whole number of characters in `encoding` (no BOM), appending UTF-8 to
/// `out`; returns how many sequences did not decode (each became U+FFFD).
pub fn decode_into(encoding: &'static Encoding, bytes: &[u8], out: &mut Vec<u8>) -> u64 {
    decode_with(&mut encoding.new_decoder_without_bom_handling(), bytes, true, out)
}

/// Feeds `input` to `decoder` (`last`: nothing follows), appending UTF-8 to `out`; returns how
/// many sequences did not decode. A character cut by the end of `input` stays in the decoder.
fn decode_with(decoder: &mut encoding_rs::Decoder, mut input: &[u8], last: bool, out: &mut Vec<u8>) -> u64 {
    let mut bad = 0;
    loop {
        let need = decoder.max_utf8_buffer_length_without_replacement(input.len()).unwrap_or(input.len() * 3 + 16);
        let at = out.len();
        out.resize(at + need.max(4), 0);
        let (result, read, written) = decoder.decode_to_utf8_without_replacement(input, &mut out[at..], last);
        out.truncate(at + written);
        input = &input[read..];
        match result {
            DecoderResult::InputEmpty => return bad,
            DecoderResult::OutputFull => {}
            DecoderResult::Malformed(..) => {
                bad += 1;
                out.extend_from_slice("\u{fffd}".as_bytes());
            }
        }
    }
}

/// A reader that decodes another from `encoding` to UTF-8 as it reads (a BOM, if any, already
/// chose the encoding and is dropped), counting undecodable sequences into `decoding`.
pub struct Transcoder {
    inner: Box<dyn Read + Send>,
    decoder: encoding_rs::Decoder,
    decoding: Arc<Decoding>,
    raw: Box<[u8]>,
    out: Vec<u8>,
    out_pos: usize,
    eof: bool,
}

impl Transcoder {
    pub fn new(inner: Box<dyn Read + Send>, encoding: &'static Encoding, decoding: Arc<Decoding>) -> Transcoder {
        let decoder = encoding.new_decoder_with_bom_removal();
        let raw = vec![0; 64 << 10].into_boxed_slice();
        Transcoder { inner, decoder, decoding, raw, out: Vec::new(), out_pos: 0, eof: false }
    }
}

impl Read for Transcoder {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.out_pos == self.out.len() && !self.eof {
            let n = loop {
                match self.inner.read(&mut self.raw) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            };
            self.eof = n == 0;
            self.out.clear();
            self.out_pos = 0;
            let bad = decode_with(&mut self.decoder, &self.raw[..n], self.eof, &mut self.out);
            self.decoding.add_undecodable(bad);
        }
        let n = buf.len().min(self.out.len() - self.out_pos);
        buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(encoding: &'static Encoding, bytes: &[u8]) -> (String, u64) {
        let mut out = Vec::new();
        let bad = decode_into(encoding, bytes, &mut out);
        (String::from_utf8(out).unwrap(), bad)
    }

    #[test]
    fn labels_parse_as_whatwg_names_them() {
        assert_eq!(EncodingArg::parse("UTF8"), Ok(EncodingArg::Utf8));
        assert_eq!(EncodingArg::parse("auto"), Ok(EncodingArg::Auto));
        assert_eq!(EncodingArg::parse("GBK"), Ok(EncodingArg::Label(encoding_rs::GBK)));
        assert_eq!(EncodingArg::parse("sjis"), Ok(EncodingArg::Label(encoding_rs::SHIFT_JIS)));
        assert_eq!(EncodingArg::parse("big5").unwrap().to_arg(), "big5");
        assert!(EncodingArg::parse("klingon").unwrap_err().contains("unknown encoding"));
        assert!(EncodingArg::parse("iso-2022-kr").unwrap_err().contains("replacement"));
    }

    #[test]
    fn auto_reads_boms_utf8_and_legacy_text() {
        let zh = "计算机系统的工作原理和功能由各种模块组成。".repeat(20);
        let (gbk, _, _) = encoding_rs::GB18030.encode(&zh);
        assert_eq!(EncodingArg::Auto.resolve(&gbk).unwrap().encoding, encoding_rs::GBK);
        let ja = "ファイルを指定します。変数の書式を変更されます。".repeat(20);
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(&ja);
        assert_eq!(EncodingArg::Auto.resolve(&sjis).unwrap().encoding, encoding_rs::SHIFT_JIS);
        assert_eq!(EncodingArg::Auto.resolve("héllo".as_bytes()).unwrap().encoding, UTF_8);
        // A character cut by the end of the sniffed bytes is still UTF-8.
        assert_eq!(EncodingArg::Auto.resolve(&"中文".as_bytes()[..4]).unwrap().encoding, UTF_8);
        assert_eq!(EncodingArg::Auto.resolve(b"\xff\xfeh\0i\0").unwrap().encoding, encoding_rs::UTF_16LE);
        // A BOM overrides a label; utf-8 resolves to nothing (bytes as they are).
        let told = EncodingArg::Label(encoding_rs::GBK).resolve(b"\xef\xbb\xbfx").unwrap();
        assert_eq!((told.encoding, told.detected), (UTF_8, false));
        assert_eq!(EncodingArg::Utf8.resolve(b"x"), None);
    }

    #[test]
    fn undecodable_sequences_become_replacement_characters_and_are_counted() {
        assert_eq!(decode_all(encoding_rs::GBK, b"\xd6\xd0\xce\xc4 ok"), ("中文 ok".into(), 0));
        assert_eq!(decode_all(encoding_rs::SHIFT_JIS, b"a\x82 b\xff"), ("a\u{fffd} b\u{fffd}".into(), 2));
        assert_eq!(decode_all(encoding_rs::EUC_JP, b"\xa4\xa2"), ("あ".into(), 0));
    }

    #[test]
    fn the_transcoder_matches_one_shot_decoding_whatever_the_read_sizes() {
        let text = "ファイル,指定;変数\n".repeat(5000) + "末";
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(&text);
        let mut bytes = sjis.into_owned();
        bytes.extend_from_slice(b"\x82"); // a truncated last character
        /// A reader that hands out 7 bytes at a time, so characters straddle reads.
        struct Dribble(Vec<u8>, usize);
        impl Read for Dribble {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min(7).min(self.0.len() - self.1);
                buf[..n].copy_from_slice(&self.0[self.1..self.1 + n]);
                self.1 += n;
                Ok(n)
            }
        }
        let decoding = Arc::new(Decoding::default());
        let mut t = Transcoder::new(Box::new(Dribble(bytes, 0)), encoding_rs::SHIFT_JIS, Arc::clone(&decoding));
        let mut out = String::new();
        t.read_to_string(&mut out).unwrap();
        assert_eq!(out, text + "\u{fffd}");
        assert_eq!(decoding.undecodable(), 1);
    }

    #[test]
    fn legacy_cuts_are_never_inside_a_character() {
        use crate::split::{Cut, LegacyCut};
        // Every trail byte of these encodings is at least 0x30: no cut byte can be one.
        for encoding in [encoding_rs::GB18030, encoding_rs::BIG5, encoding_rs::SHIFT_JIS, encoding_rs::EUC_JP] {
            let text: String = (0x4e00u32..0x4e00 + 3000).filter_map(char::from_u32).collect();
            let (bytes, _, _) = encoding.encode(&text);
            assert!(!bytes.iter().any(|&b| LegacyCut.soft(b)), "{}", encoding.name());
        }
    }
}
