//! `--format tsv` (the default): `word<TAB>count`, the word's bytes as they are.

use std::io::{self, Write};

use super::{write_u64, RecordFormat};

pub struct Tsv;

impl RecordFormat for Tsv {
    fn record(&self, out: &mut dyn Write, _index: u64, word: &[u8], count: u64) -> io::Result<()> {
        out.write_all(word)?;
        out.write_all(b"\t")?;
        write_u64(out, count)?;
        out.write_all(b"\n")
    }
}
