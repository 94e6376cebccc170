//! `--format jsonl`: one `{"word":..,"count":..}` object per line. In online mode each line
//! also carries its snapshot's number and time, so lines of different snapshots can be told
//! apart without blank lines.

use std::io::{self, Write};
use std::time::SystemTime;

use super::{write_json_string, Column, RecordFormat, Row};

pub struct Jsonl;

impl RecordFormat for Jsonl {
    fn record(&self, out: &mut dyn Write, _index: u64, row: &Row, columns: &[Column]) -> io::Result<()> {
        super::json::write_object(out, row, columns)?;
        out.write_all(b"\n")
    }

    fn snapshot(&self, out: &mut dyn Write, number: u64, time: SystemTime, top: &[(&[u8], u64)]) -> io::Result<()> {
        let time = humantime::format_rfc3339_millis(time).to_string();
        for (word, count) in top {
            write!(out, "{{\"snapshot\":{number},\"time\":\"{time}\",\"word\":")?;
            write_json_string(out, word, false)?;
            writeln!(out, ",\"count\":{count}}}")?;
        }
        Ok(())
    }
}
