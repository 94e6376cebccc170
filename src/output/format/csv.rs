//! `--format csv`: RFC 4180, a `word,count` header, CRLF line ends; a word holding a comma, a
//! quote or a line end is quoted, its quotes doubled.

use std::io::{self, Write};

use super::{write_u64, RecordFormat};

pub struct Csv;

impl RecordFormat for Csv {
    fn header(&self, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(b"word,count\r\n")
    }

    fn record(&self, out: &mut dyn Write, _index: u64, word: &[u8], count: u64) -> io::Result<()> {
        write_field(out, word)?;
        out.write_all(b",")?;
        write_u64(out, count)?;
        out.write_all(b"\r\n")
    }
}

fn write_field(out: &mut dyn Write, word: &[u8]) -> io::Result<()> {
    let text = String::from_utf8_lossy(word);
    if !text.contains([',', '"', '\r', '\n']) {
        return out.write_all(text.as_bytes());
    }
    out.write_all(b"\"")?;
    out.write_all(text.replace('"', "\"\"").as_bytes())?;
    out.write_all(b"\"")
}
