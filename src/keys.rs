//! Keys: what a record's key holds on its way from map to output.
//!
//! A plain job's key is the word (or n-gram). With `--by-file` or `--df`, a key is the word
//! after a fixed [`HEADER`] of five bytes:
//!
//! ```text
//!   ┌──────────────────────┬─────────┬──────────────┐
//!   │ document: u32, BE    │ tag: u8 │ word bytes   │
//!   └──────────────────────┴─────────┴──────────────┘
//!   document: the input's index in the plan (--by-file, or --df counting files), else 0
//!   tag 0: occurrences of the word; tag 1: lines holding it (--df --doc-per-line)
//! ```
//!
//! Every stage between map and output moves keys as opaque bytes, so the runners, the spill
//! files and the shuffle need nothing new. A fixed width keeps the header unambiguous whatever
//! bytes a word holds, and big-endian makes the byte order of keys the input order of files.
//! The partitioner hashes the word alone ([`Keys::header_len`]), so all of a word's records meet
//! in one partition, and a word goes to the same partition with or without these options;
//! the output stage folds them into rows (`crate::output::rows`).
//!
//! Document frequency counting files: a file's chunks go to many map tasks, so no task can tell
//! whether a word was seen in the file before; its key carries the file, and the fold counts
//! the files a word has records for. Counting lines: a line never spans a cut (the job cuts at
//! line ends, as for n-grams), so the map worker counts each line's distinct words itself.

//!
//! Between processes (`mrwc map` and `mrwc reduce` under Hadoop Streaming, mrjob and Spark) a
//! key travels as text: `word<TAB>file<TAB>tag` before the count's TAB, the file as its name
//! (empty unless the key names one), the tag `c` (occurrences) or `l` (lines). The word comes
//! first so that Hadoop's default key (the first field) partitions and sorts by it, and
//! `LC_ALL=C sort` keeps each word's lines together.

use crate::error::{Error, Result};

/// Bytes before the word in a key of a job with [`Keys::header_len`] > 0.
pub const HEADER: usize = 5;

/// The flags that choose the key layout, shared by the main command, `mrwc map` and
/// `mrwc reduce`.
#[derive(Debug, Default, Clone, clap::Args)]
pub struct KeyArgs {
    /// Count per input file: each record is (file, word); files are written in input order,
    /// and --top and --min-count apply per file.
    #[arg(long, help_heading = "Counting options")]
    pub by_file: bool,
    /// Also count, for each word, the documents it occurs in (the `df` column): each input
    /// file, or each line with --doc-per-line.
    #[arg(long, help_heading = "Counting options")]
    pub df: bool,
    /// With --df: each line is a document (one-document-per-line corpora, JSONL dumps).
    #[arg(long, requires = "df", help_heading = "Counting options")]
    pub doc_per_line: bool,
}

impl KeyArgs {
    /// The layout the flags ask for, unless they contradict each other.
    pub fn keys(&self) -> Result<Keys> {
        if self.by_file && self.df && !self.doc_per_line {
            return Err(Error::Usage(
                "--df with --by-file: each file would be one document of its own counts; add \
                 --doc-per-line to count, per file, the lines that hold each word"
                    .into(),
            ));
        }
        let df = self.df.then_some(if self.doc_per_line { Docs::Lines } else { Docs::Files });
        Ok(Keys { by_file: self.by_file, df })
    }

    /// The same flags as arguments, for another process.
    pub fn to_args(&self) -> Vec<String> {
        let flags = [(self.by_file, "--by-file"), (self.df, "--df"), (self.doc_per_line, "--doc-per-line")];
        flags.iter().filter(|(set, _)| *set).map(|(_, flag)| flag.to_string()).collect()
    }
}

/// What a document is, for `--df`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Docs {
    /// Each input file (the default).
    Files,
    /// Each line (`--doc-per-line`).
    Lines,
}

/// The kind of count a record holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    /// How often the word occurs.
    Occurrences = 0,
    /// How many lines hold the word.
    Lines = 1,
}

/// What a word's records add up to in a row: its count and its documents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub count: u64,
    pub df: u64,
}

/// The key layout of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Keys {
    pub by_file: bool,
    pub df: Option<Docs>,
}

impl Keys {
    /// Whether keys are bare words.
    pub fn plain(self) -> bool {
        !self.by_file && self.df.is_none()
    }

    /// Bytes before the word: 0 for plain keys, else [`HEADER`].
    pub fn header_len(self) -> usize {
        if self.plain() {
            0
        } else {
            HEADER
        }
    }

    /// Whether a key names its input file.
    pub fn names_file(self) -> bool {
        self.by_file || self.df == Some(Docs::Files)
    }

    /// The header of a record of input `source`.
    pub fn header(self, source: usize, tag: Tag) -> [u8; HEADER] {
        let doc = if self.names_file() { u32::try_from(source).expect("fewer than 2^32 inputs") } else { 0 };
        let d = doc.to_be_bytes();
        [d[0], d[1], d[2], d[3], tag as u8]
    }

    /// A key's document, tag and word. Keys of this layout only.
    pub fn split(self, key: &[u8]) -> (u32, Tag, &[u8]) {
        if self.plain() {
            return (0, Tag::Occurrences, key);
        }
        let doc = u32::from_be_bytes(key[..4].try_into().expect("a key header"));
        let tag = if key[4] == Tag::Lines as u8 { Tag::Lines } else { Tag::Occurrences };
        (doc, tag, &key[HEADER..])
    }

    /// Adds one reduced record of a word (tag `tag`, total `value`) to the word's row: the
    /// fold's one rule, for the output stage and `mrwc reduce`. Occurrences add to the count
    /// and, when files are documents, one file (a word has one record per file); line records
    /// add their lines. `None` when a sum would pass `u64`.
    pub fn tally(self, row: &mut Tally, tag: Tag, value: u64) -> Option<()> {
        match tag {
            Tag::Occurrences => {
                row.count = row.count.checked_add(value)?;
                row.df += u64::from(self.df == Some(Docs::Files));
            }
            Tag::Lines => row.df = row.df.checked_add(value)?,
        }
        Some(())
    }

    /// Writes `key` in its text form (see the module's notes), the document named by `name`.
    pub fn write_text(self, out: &mut Vec<u8>, key: &[u8], name: &[u8]) {
        let (_, tag, word) = self.split(key);
        out.extend_from_slice(word);
        out.push(b'\t');
        if self.names_file() {
            out.extend_from_slice(name);
        }
        out.extend_from_slice(if tag == Tag::Lines { b"\tl" } else { b"\tc" });
    }

    /// The parts of a key in text form: word, document name, tag; `None` if it is not one.
    /// A word holds no TAB (every tokenizer cuts at TABs), nor does a document name.
    pub fn parse_text(text: &[u8]) -> Option<(&[u8], &[u8], Tag)> {
        let mut fields = text.split(|&b| b == b'\t');
        let (word, name, tag) = (fields.next()?, fields.next()?, fields.next()?);
        let tag = match tag {
            b"c" => Tag::Occurrences,
            b"l" => Tag::Lines,
            _ => return None,
        };
        fields.next().is_none().then_some((word, name, tag))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip_and_sort_by_file() {
        let keys = Keys { by_file: true, df: Some(Docs::Lines) };
        let mut a = keys.header(2, Tag::Lines).to_vec();
        a.extend_from_slice(b"zebra");
        assert_eq!(keys.split(&a), (2, Tag::Lines, &b"zebra"[..]));
        let mut b = keys.header(256, Tag::Occurrences).to_vec();
        b.extend_from_slice(b"ant");
        assert!(a < b, "file 2 sorts before file 256 whatever the words");
        assert_eq!(Keys::default().split(b"word"), (0, Tag::Occurrences, &b"word"[..]));
    }

    #[test]
    fn a_tally_adds_counts_files_and_lines_and_refuses_to_overflow() {
        let (files, lines) =
            (Keys { by_file: false, df: Some(Docs::Files) }, Keys { by_file: false, df: Some(Docs::Lines) });
        let mut row = Tally::default();
        files.tally(&mut row, Tag::Occurrences, 3).unwrap();
        files.tally(&mut row, Tag::Occurrences, 4).unwrap();
        assert_eq!(row, Tally { count: 7, df: 2 });
        let mut row = Tally::default();
        lines.tally(&mut row, Tag::Occurrences, 5).unwrap();
        lines.tally(&mut row, Tag::Lines, 2).unwrap();
        assert_eq!(row, Tally { count: 5, df: 2 });
        assert_eq!(lines.tally(&mut row, Tag::Occurrences, u64::MAX), None);
    }

    #[test]
    fn text_keys_round_trip() {
        let keys = Keys { by_file: true, df: Some(Docs::Lines) };
        let mut key = keys.header(3, Tag::Lines).to_vec();
        key.extend_from_slice(b"new york");
        let mut text = Vec::new();
        keys.write_text(&mut text, &key, b"a.txt");
        assert_eq!(text, b"new york\ta.txt\tl");
        assert_eq!(Keys::parse_text(&text), Some((&b"new york"[..], &b"a.txt"[..], Tag::Lines)));
        let lines = Keys { by_file: false, df: Some(Docs::Lines) };
        text.clear();
        lines.write_text(&mut text, &lines.header(0, Tag::Occurrences), b"ignored");
        assert_eq!(text, b"\t\tc");
        for bad in [&b"w\tf"[..], b"w\tf\tx", b"w\tf\tc\t1", b"w"] {
            assert_eq!(Keys::parse_text(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn only_file_keys_carry_the_file() {
        let lines = Keys { by_file: false, df: Some(Docs::Lines) };
        assert_eq!(lines.header(7, Tag::Occurrences), [0, 0, 0, 0, 0]);
        assert_eq!(Keys { by_file: false, df: Some(Docs::Files) }.header(7, Tag::Occurrences), [0, 0, 0, 7, 0]);
        assert_eq!(Keys::default().header_len(), 0);
        assert_eq!(lines.header_len(), HEADER);
    }
}
