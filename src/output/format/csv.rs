//! `--format csv`: RFC 4180, a header naming the columns (`word,count`), CRLF line ends; a
//! field holding a comma, a quote or a line end is quoted, its quotes doubled.

use std::io::{self, Write};

use super::{write_column, Column, RecordFormat, Row};

pub struct Csv;

impl RecordFormat for Csv {
    fn header(&self, out: &mut dyn Write, columns: &[Column]) -> io::Result<()> {
        let names: Vec<&str> = columns.iter().map(|c| c.name()).collect();
        out.write_all(names.join(",").as_bytes())?;
        out.write_all(b"\r\n")
    }

    fn record(&self, out: &mut dyn Write, _index: u64, row: &Row, columns: &[Column]) -> io::Result<()> {
        for (i, &column) in columns.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            write_column(out, row, column, &write_field)?;
        }
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
