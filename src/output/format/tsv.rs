//! `--format tsv`: `word<TAB>count`, the Hadoop Streaming layout, or the job's columns one tab
//! apart. Words and file names are written as their bytes are, even when not UTF-8.

use std::io::{self, Write};

use super::{write_column, Column, RecordFormat, Row};

pub struct Tsv;

impl RecordFormat for Tsv {
    fn record(&self, out: &mut dyn Write, _index: u64, row: &Row, columns: &[Column]) -> io::Result<()> {
        for (i, &column) in columns.iter().enumerate() {
            if i > 0 {
                out.write_all(b"\t")?;
            }
            write_column(out, row, column, &|out, bytes| out.write_all(bytes))?;
        }
        out.write_all(b"\n")
    }

    fn word_count_line(&self, line: &mut Vec<u8>, word: &[u8], count: u64) -> bool {
        line.extend_from_slice(word);
        line.push(b'\t');
        line.extend_from_slice(super::decimal(count, &mut [0u8; 20]));
        line.push(b'\n');
        true
    }
}
