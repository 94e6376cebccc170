//! Output formats: how records become bytes. One file per format, each a [`RecordFormat`];
//! [`Format`] is the `--format` flag and the list of them. Adding a format is a new file here
//! and two lines in this one (its variant and its [`Format::get`] arm).
//!
//! | format | record                         | around the records              |
//! |--------|--------------------------------|---------------------------------|
//! | tsv    | `word<TAB>count\n`             | nothing                         |
//! | csv    | `word,count\r\n` (RFC 4180)    | a `word,count` header           |
//! | json   | `{"word":"w","count":n}`       | `[` ... `]`, one record a line  |
//! | jsonl  | `{"word":"w","count":n}\n`     | nothing                         |
//! | mrjob  | `"w"<TAB>n\n`                  | nothing                         |
//! | uniq   | `%7d w\n` (`uniq -c`)          | nothing                         |
//!
//! tsv, csv, json and jsonl write the [`Column`]s a job asks for (`--columns`, or `file` and
//! `df` added by `--by-file` and `--df`) in its order: tab-separated, as the csv header's
//! names, or as the objects' keys. mrjob and uniq have one fixed layout (`config` refuses other
//! columns for them).
//!
//! tsv writes a word's bytes as they are, even when they are not UTF-8. csv, json and jsonl must
//! be valid UTF-8, so each invalid byte sequence is replaced by U+FFFD (as
//! `String::from_utf8_lossy` does). mrjob's key is what Python's `json.dumps` writes (mrjob's
//! default output protocol): everything outside printable ASCII is escaped (`\u00e9`, surrogate
//! pairs above U+FFFF), so mrwc's output matches an mrjob job's byte for byte.
//!
//! A format also frames online mode's snapshots ([`RecordFormat::snapshot`]): by default a
//! whole document followed by an empty line, so a reader of the stream can tell them apart.

mod csv;
mod json;
mod jsonl;
mod mrjob;
mod tsv;
mod uniq;

use std::io::{self, Write};
use std::time::SystemTime;

use clap::ValueEnum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `word<TAB>count`
    Tsv,
    /// RFC 4180, with a `word,count` header and CRLF line ends.
    Csv,
    /// One JSON array of {"word":..,"count":..} objects.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// mrjob's default output protocol: JSON-encoded key, TAB, count.
    Mrjob,
    /// `uniq -c`'s layout: the count right-aligned in 7 columns, a space, the word.
    Uniq,
}

impl Format {
    /// The format's implementation.
    pub fn get(self) -> &'static dyn RecordFormat {
        match self {
            Format::Tsv => &tsv::Tsv,
            Format::Csv => &csv::Csv,
            Format::Json => &json::Json,
            Format::Jsonl => &jsonl::Jsonl,
            Format::Mrjob => &mrjob::Mrjob,
            Format::Uniq => &uniq::Uniq,
        }
    }
}

/// An output column (`--columns`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Column {
    /// The input file (with --by-file).
    File,
    Word,
    Count,
    /// count / all tokens counted (after the filters), in the file with --by-file.
    Share,
    /// 1 for the most frequent word (in its file with --by-file), ties broken by word.
    Rank,
    /// Documents holding the word (with --df).
    Df,
}

impl Column {
    pub fn name(self) -> &'static str {
        match self {
            Column::File => "file",
            Column::Word => "word",
            Column::Count => "count",
            Column::Share => "share",
            Column::Rank => "rank",
            Column::Df => "df",
        }
    }
}

/// The columns every format writes when nothing else is asked for.
pub const WORD_COUNT: &[Column] = &[Column::Word, Column::Count];

/// A job's output columns: each at most once, in the order asked for. A fixed array, so that
/// the output's settings stay one `Copy` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnList {
    len: usize,
    items: [Column; 6],
}

impl Default for ColumnList {
    fn default() -> Self {
        ColumnList::new(WORD_COUNT).expect("valid")
    }
}

impl ColumnList {
    /// The list of `columns`, unless one is named twice or none is named.
    pub fn new(columns: &[Column]) -> Result<ColumnList, String> {
        let mut items = [Column::Word; 6];
        for (i, &c) in columns.iter().enumerate() {
            if columns[..i].contains(&c) {
                return Err(format!("column '{}' is named twice", c.name()));
            }
            items[i] = c;
        }
        if columns.is_empty() {
            return Err("no column named".into());
        }
        Ok(ColumnList { len: columns.len(), items })
    }

    /// The columns of a job that does not name them: `word,count`, after `file` with
    /// `--by-file`, before `df` with `--df`.
    pub fn defaults(keys: crate::keys::Keys) -> ColumnList {
        let mut list = Vec::new();
        list.extend(keys.by_file.then_some(Column::File));
        list.extend([Column::Word, Column::Count]);
        list.extend(keys.df.map(|_| Column::Df));
        ColumnList::new(&list).expect("distinct columns")
    }

    pub fn as_slice(&self) -> &[Column] {
        &self.items[..self.len]
    }

    pub fn contains(&self, column: Column) -> bool {
        self.as_slice().contains(&column)
    }
}

/// One output record, with every column a format may be asked to write.
#[derive(Debug, Clone, Copy, Default)]
pub struct Row<'a> {
    pub file: &'a [u8],
    pub word: &'a [u8],
    pub count: u64,
    pub share: f64,
    pub rank: u64,
    pub df: u64,
}

impl<'a> Row<'a> {
    pub fn of(word: &'a [u8], count: u64) -> Row<'a> {
        Row { word, count, ..Row::default() }
    }
}

/// How a format writes a text column (a word, a file name).
pub(crate) type WriteText<'f> = &'f dyn Fn(&mut dyn Write, &[u8]) -> io::Result<()>;

/// Writes the value of `column` of `row`: numbers as digits, text through `text`.
pub(crate) fn write_column(out: &mut dyn Write, row: &Row, column: Column, text: WriteText) -> io::Result<()> {
    match column {
        Column::File => text(out, row.file),
        Column::Word => text(out, row.word),
        Column::Count => write_u64(out, row.count),
        // Shortest text that reads back as the same number, as Python's repr writes it.
        Column::Share => write!(out, "{:?}", row.share),
        Column::Rank => write_u64(out, row.rank),
        Column::Df => write_u64(out, row.df),
    }
}

/// How records are written in one format.
pub trait RecordFormat: Sync {
    /// What comes before the first record.
    fn header(&self, _out: &mut dyn Write, _columns: &[Column]) -> io::Result<()> {
        Ok(())
    }

    /// Record number `index` (0, 1, ...).
    fn record(&self, out: &mut dyn Write, index: u64, row: &Row, columns: &[Column]) -> io::Result<()>;

    /// A record of the plain `word`, `count` columns appended to `line`, as [`record`] would
    /// write it, for a format whose such records do not depend on their index; `false` when the
    /// format has no such form. The writer then makes one write per record instead of one per
    /// field: 20 million records spent 0.4 s in four dynamic writes each.
    ///
    /// [`record`]: RecordFormat::record
    fn word_count_line(&self, _line: &mut Vec<u8>, _word: &[u8], _count: u64) -> bool {
        false
    }

    /// What comes after the last of `records` records.
    fn footer(&self, _out: &mut dyn Write, _records: u64) -> io::Result<()> {
        Ok(())
    }

    /// One online snapshot, number `number` taken at `time`, of the words in `top`.
    fn snapshot(&self, out: &mut dyn Write, number: u64, time: SystemTime, top: &[(&[u8], u64)]) -> io::Result<()> {
        let _ = (number, time);
        self.header(out, WORD_COUNT)?;
        for (i, (word, count)) in top.iter().enumerate() {
            self.record(out, i as u64, &Row::of(word, *count), WORD_COUNT)?;
        }
        self.footer(out, top.len() as u64)?;
        out.write_all(b"\n")
    }
}

/// Writes records in one format, with the format's header and footer.
pub struct RecordWriter<'c, W: Write> {
    out: W,
    format: &'static dyn RecordFormat,
    columns: &'c [Column],
    records: u64,
    /// One record being assembled (see [`RecordFormat::word_count_line`]).
    line: Vec<u8>,
}

/// Words up to this long are written through [`RecordFormat::word_count_line`]; the line buffer
/// never holds more.
const LINE_WORD_MAX: usize = 4096;

impl<'c, W: Write> RecordWriter<'c, W> {
    pub fn new(mut out: W, format: Format, columns: &'c [Column]) -> io::Result<RecordWriter<'c, W>> {
        let format = format.get();
        format.header(&mut out, columns)?;
        Ok(RecordWriter { out, format, columns, records: 0, line: Vec::new() })
    }

    pub fn write(&mut self, word: &[u8], count: u64) -> io::Result<()> {
        if self.columns == WORD_COUNT && word.len() <= LINE_WORD_MAX {
            self.line.clear();
            if self.format.word_count_line(&mut self.line, word, count) {
                self.records += 1;
                return self.out.write_all(&self.line);
            }
        }
        self.write_row(&Row::of(word, count))
    }

    pub fn write_row(&mut self, row: &Row) -> io::Result<()> {
        self.format.record(&mut self.out, self.records, row, self.columns)?;
        self.records += 1;
        Ok(())
    }

    /// Writes the footer and flushes; returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.format.footer(&mut self.out, self.records)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

pub(crate) fn write_u64(out: &mut (impl Write + ?Sized), n: u64) -> io::Result<()> {
    out.write_all(decimal(n, &mut [0u8; 20]))
}

/// The decimal digits of `n`, written at the end of `buf`.
pub(crate) fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[i..]
}

/// Writes `word` as a JSON string. With `ascii_only`, behaves as Python's `json.dumps`
/// (`ensure_ascii=True`): every character outside U+0020..U+007E is escaped.
pub(crate) fn write_json_string(out: &mut (impl Write + ?Sized), word: &[u8], ascii_only: bool) -> io::Result<()> {
    out.write_all(b"\"")?;
    for chunk in word.utf8_chunks() {
        let valid = chunk.valid();
        let mut plain_from = 0;
        for (i, c) in valid.char_indices() {
            let short: Option<&[u8]> = match c {
                '"' => Some(b"\\\""),
                '\\' => Some(b"\\\\"),
                '\n' => Some(b"\\n"),
                '\r' => Some(b"\\r"),
                '\t' => Some(b"\\t"),
                '\u{8}' => Some(b"\\b"),
                '\u{c}' => Some(b"\\f"),
                _ => None,
            };
            let escape = short.is_some() || (c as u32) < 0x20 || (ascii_only && !(' '..='~').contains(&c));
            if !escape {
                continue;
            }
            out.write_all(&valid.as_bytes()[plain_from..i])?;
            plain_from = i + c.len_utf8();
            match short {
                Some(s) => out.write_all(s)?,
                None => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        write!(out, "\\u{unit:04x}")?;
                    }
                }
            }
        }
        out.write_all(&valid.as_bytes()[plain_from..])?;
        if !chunk.invalid().is_empty() {
            if ascii_only {
                out.write_all(b"\\ufffd")?;
            } else {
                out.write_all("\u{fffd}".as_bytes())?;
            }
        }
    }
    out.write_all(b"\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(format: Format, records: &[(&[u8], u64)]) -> String {
        let mut w = RecordWriter::new(Vec::new(), format, WORD_COUNT).unwrap();
        for (word, count) in records {
            w.write(word, *count).unwrap();
        }
        String::from_utf8(w.finish().unwrap()).unwrap()
    }

    const SAMPLE: &[(&[u8], u64)] = &[(b"the", 3), ("café".as_bytes(), 2), (b"a,\"b\"", 1)];

    #[test]
    fn tsv() {
        assert_eq!(render(Format::Tsv, SAMPLE), "the\t3\ncafé\t2\na,\"b\"\t1\n");
    }

    #[test]
    fn word_count_lines_are_the_records_bytes() {
        // Every format that has the one-write form writes the bytes of its field-by-field form,
        // for words that are empty, not UTF-8, hold tabs and quotes, or pass the line limit.
        let long = vec![b'x'; LINE_WORD_MAX + 1];
        let words: [&[u8]; 6] = [b"", b"the", b"\xff\xfe\0", b"a\tb\"c", "中文".as_bytes(), &long];
        let formats = [Format::Tsv, Format::Csv, Format::Json, Format::Jsonl, Format::Mrjob, Format::Uniq];
        let mut with_lines = 0;
        for format in formats {
            for (i, word) in words.iter().enumerate() {
                for count in [0, 1, 9, 10, 4096, u64::MAX] {
                    let mut line = Vec::new();
                    if !format.get().word_count_line(&mut line, word, count) {
                        continue;
                    }
                    with_lines += 1;
                    let mut record = Vec::new();
                    format.get().record(&mut record, i as u64, &Row::of(word, count), WORD_COUNT).unwrap();
                    assert_eq!(line, record, "{format:?} {word:?} {count}");
                }
            }
        }
        assert!(with_lines > 0, "no format writes one line");
    }

    #[test]
    fn csv_quotes_per_rfc_4180() {
        assert_eq!(render(Format::Csv, SAMPLE), "word,count\r\nthe,3\r\ncafé,2\r\n\"a,\"\"b\"\"\",1\r\n");
        assert_eq!(render(Format::Csv, &[]), "word,count\r\n");
    }

    #[test]
    fn json_and_jsonl() {
        assert_eq!(
            render(Format::Json, SAMPLE),
            "[\n{\"word\":\"the\",\"count\":3},\n{\"word\":\"café\",\"count\":2},\n{\"word\":\"a,\\\"b\\\"\",\"count\":1}\n]\n"
        );
        assert_eq!(render(Format::Json, &[]), "[]\n");
        assert_eq!(
            render(Format::Jsonl, &SAMPLE[..2]),
            "{\"word\":\"the\",\"count\":3}\n{\"word\":\"café\",\"count\":2}\n"
        );
    }

    #[test]
    fn mrjob_escapes_like_python_json_dumps() {
        // json.dumps("café") == '"caf\\u00e9"', json.dumps("😀") == '"\\ud83d\\ude00"'
        let got = render(Format::Mrjob, &[("café".as_bytes(), 2), ("😀".as_bytes(), 1), (b"a\x7fb\\", 1)]);
        assert_eq!(got, "\"caf\\u00e9\"\t2\n\"\\ud83d\\ude00\"\t1\n\"a\\u007fb\\\\\"\t1\n");
    }

    #[test]
    fn invalid_utf8_is_replaced_in_text_formats_and_kept_in_tsv() {
        let rec: &[(&[u8], u64)] = &[(b"a\xffb", 1)];
        assert_eq!(render(Format::Jsonl, rec), "{\"word\":\"a\u{fffd}b\",\"count\":1}\n");
        assert_eq!(render(Format::Csv, rec), "word,count\r\na\u{fffd}b,1\r\n");
        let mut w = RecordWriter::new(Vec::new(), Format::Tsv, WORD_COUNT).unwrap();
        w.write(b"a\xffb", 1).unwrap();
        assert_eq!(w.finish().unwrap(), b"a\xffb\t1\n");
    }

    #[test]
    fn control_characters_are_escaped_in_json() {
        assert_eq!(render(Format::Jsonl, &[(b"a\x01\x0c", 1)]), "{\"word\":\"a\\u0001\\f\",\"count\":1}\n");
    }

    #[test]
    fn uniq_aligns_counts_as_uniq_c_does() {
        let got = render(Format::Uniq, &[(b"the", 3), ("é".as_bytes(), 1234567), (b"x", 12345678), (b"y", 0)]);
        assert_eq!(got, "      3 the\n1234567 é\n12345678 x\n      0 y\n");
    }

    #[test]
    fn counts_print_in_full() {
        assert_eq!(render(Format::Tsv, &[(b"x", u64::MAX), (b"y", 0)]), "x\t18446744073709551615\ny\t0\n");
    }
}
