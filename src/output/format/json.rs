//! `--format json`: one array, one `{"word":..,"count":..}` object a line. An online snapshot
//! is one whole array, so each is a JSON document of its own.

use std::io::{self, Write};

use super::{write_json_string, write_u64, RecordFormat};

pub struct Json;

impl RecordFormat for Json {
    fn header(&self, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(b"[")
    }

    fn record(&self, out: &mut dyn Write, index: u64, word: &[u8], count: u64) -> io::Result<()> {
        out.write_all(if index == 0 { b"\n" } else { b",\n" })?;
        write_object(out, word, count)
    }

    fn footer(&self, out: &mut dyn Write, records: u64) -> io::Result<()> {
        out.write_all(if records == 0 { b"]\n" } else { b"\n]\n" })
    }

    fn snapshot(
        &self,
        out: &mut dyn Write,
        _number: u64,
        _time: std::time::SystemTime,
        top: &[(&[u8], u64)],
    ) -> io::Result<()> {
        self.header(out)?;
        for (i, (word, count)) in top.iter().enumerate() {
            self.record(out, i as u64, word, *count)?;
        }
        self.footer(out, top.len() as u64)
    }
}

/// `{"word":"w","count":n}`, shared with jsonl.
pub(super) fn write_object(out: &mut dyn Write, word: &[u8], count: u64) -> io::Result<()> {
    out.write_all(b"{\"word\":")?;
    write_json_string(out, word, false)?;
    out.write_all(b",\"count\":")?;
    write_u64(out, count)?;
    out.write_all(b"}")
}
