//! `--format json`: one array, one `{"word":..,"count":..}` object a line (the keys are the
//! job's columns). An online snapshot is one whole array, so each is a JSON document of its own.

use std::io::{self, Write};

use super::{write_column, write_json_string, Column, RecordFormat, Row, WORD_COUNT};

pub struct Json;

impl RecordFormat for Json {
    fn header(&self, out: &mut dyn Write, _columns: &[Column]) -> io::Result<()> {
        out.write_all(b"[")
    }

    fn record(&self, out: &mut dyn Write, index: u64, row: &Row, columns: &[Column]) -> io::Result<()> {
        out.write_all(if index == 0 { b"\n" } else { b",\n" })?;
        write_object(out, row, columns)
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
        self.header(out, WORD_COUNT)?;
        for (i, (word, count)) in top.iter().enumerate() {
            self.record(out, i as u64, &Row::of(word, *count), WORD_COUNT)?;
        }
        self.footer(out, top.len() as u64)
    }
}

/// `{"word":"w","count":n}` (or the job's columns), shared with jsonl.
pub(super) fn write_object(out: &mut dyn Write, row: &Row, columns: &[Column]) -> io::Result<()> {
    for (i, &column) in columns.iter().enumerate() {
        out.write_all(if i == 0 { b"{\"" } else { b",\"" })?;
        out.write_all(column.name().as_bytes())?;
        out.write_all(b"\":")?;
        write_column(out, row, column, &|out, text| write_json_string(out, text, false))?;
    }
    out.write_all(if columns.is_empty() { b"{}" } else { b"}" })
}
