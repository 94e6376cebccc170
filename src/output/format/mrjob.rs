//! `--format mrjob`: mrjob's default output protocol, `json.dumps(key)<TAB>count`, escaped as
//! Python escapes it (`ensure_ascii`), so the bytes equal an mrjob job's.

use std::io::{self, Write};

use super::{write_json_string, write_u64, Column, RecordFormat, Row};

pub struct Mrjob;

impl RecordFormat for Mrjob {
    fn record(&self, out: &mut dyn Write, _index: u64, row: &Row, _columns: &[Column]) -> io::Result<()> {
        let (word, count) = (row.word, row.count);
        write_json_string(out, word, true)?;
        out.write_all(b"\t")?;
        write_u64(out, count)?;
        out.write_all(b"\n")
    }
}
