//! `--format uniq`: the layout of `sort | uniq -c`, the count right-aligned in seven columns, a
//! space, the word (its bytes as they are), so scripts written around `uniq -c` read mrwc's
//! output unchanged. A count wider than seven digits widens its line, as `uniq -c` does.

use std::io::{self, Write};

use super::{write_u64, Column, RecordFormat, Row};

pub struct Uniq;

impl RecordFormat for Uniq {
    fn record(&self, out: &mut dyn Write, _index: u64, row: &Row, _columns: &[Column]) -> io::Result<()> {
        let (word, count) = (row.word, row.count);
        let digits = count.checked_ilog10().unwrap_or(0) as usize + 1;
        out.write_all(&b"       "[..7usize.saturating_sub(digits)])?;
        write_u64(out, count)?;
        out.write_all(b" ")?;
        out.write_all(word)?;
        out.write_all(b"\n")
    }
}
