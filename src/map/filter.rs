//! Token filters, the counting options that drop tokens before they are counted:
//! `--stopwords`, `--min-len`/`--max-len`, `--no-numbers` and `--only`.
//!
//! Every word is compared after the job's case mapping and normalization, and so is every
//! entry of a list: under the default `--case lower`, `--stopwords en` drops `The`. A token is
//! kept when its length in characters (Unicode scalar values; an invalid byte counts as one) is
//! within `--min-len..=--max-len`, it holds a letter (with `--no-numbers`), it is not a stopword
//! and, with `--only`, it is in the vocabulary. The filter is built once per job, before any
//! work starts, and shared by every map worker.
//!
//! Built-in stopword lists come from the `stop-words` crate (MIT OR Apache-2.0): for `ar`, `da`,
//! `de`, `el`, `en`, `es`, `fi`, `fr`, `hu`, `id`, `it`, `nl`, `no`, `pt`, `ro`, `ru`, `sv`, `tr`
//! the NLTK stopwords corpus (the Snowball project's lists, BSD), for `ja`, `ko`, `zh` the
//! Stopwords ISO collection (MIT).

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use crate::error::{io_reason, quote_path, Error, Result};
use crate::tokenize::{TokenizerSpec, WordMapper};
use crate::units;

/// The built-in stopword lists, by language code.
const CODES: &[(&str, &str)] = &[
    ("ar", "Arabic"),
    ("da", "Danish"),
    ("de", "German"),
    ("el", "Greek"),
    ("en", "English"),
    ("es", "Spanish"),
    ("fi", "Finnish"),
    ("fr", "French"),
    ("hu", "Hungarian"),
    ("id", "Indonesian"),
    ("it", "Italian"),
    ("ja", "Japanese"),
    ("ko", "Korean"),
    ("nl", "Dutch"),
    ("no", "Norwegian"),
    ("pt", "Portuguese"),
    ("ro", "Romanian"),
    ("ru", "Russian"),
    ("sv", "Swedish"),
    ("tr", "Turkish"),
    ("zh", "Chinese"),
];

/// `mrwc --stopwords list`: the built-in lists, one `CODE<TAB>LANGUAGE<TAB>WORDS` line each.
pub fn stopword_codes() -> String {
    let mut out = String::new();
    for (code, name) in CODES {
        out.push_str(&format!("{code}\t{name}\t{}\n", stop_words::get(code).len()));
    }
    out.push_str("none\t(no stopwords)\t0\n");
    out
}

/// The counting options' flags.
#[derive(Debug, Default, Clone, PartialEq, Eq, clap::Args)]
pub struct FilterArgs {
    /// Drop these words: a built-in list by language code (en, de, fr, es, ru, zh, ja, ...;
    /// `mrwc --stopwords list` prints them), `none`, or a file with one word per line (UTF-8,
    /// `#` starts a comment). Repeatable: the lists add up. Words are compared after --case and
    /// --normalize.
    #[arg(long, value_name = "LIST", help_heading = "Counting options")]
    pub stopwords: Vec<String>,
    /// Drop words shorter than N characters (`内核` has 2).
    #[arg(long, value_name = "N", value_parser = units::positive::<usize>, help_heading = "Counting options")]
    pub min_len: Option<usize>,
    /// Drop words longer than N characters.
    #[arg(long, value_name = "N", value_parser = units::positive::<usize>, help_heading = "Counting options")]
    pub max_len: Option<usize>,
    /// Drop words without a letter: numbers such as 2024, 1:1 or 3.14.
    #[arg(long, help_heading = "Counting options")]
    pub no_numbers: bool,
    /// Count only the words listed in FILE (a vocabulary, in a stopword file's format).
    #[arg(long, value_name = "FILE", help_heading = "Counting options")]
    pub only: Option<PathBuf>,
}

impl FilterArgs {
    /// Whether any counting option is given.
    pub fn is_set(&self) -> bool {
        self.stopwords.iter().any(|s| s != "none")
            || self.min_len.is_some()
            || self.max_len.is_some()
            || self.no_numbers
            || self.only.is_some()
    }

    /// The same flags as arguments; files as absolute paths.
    pub fn to_args(&self) -> Vec<String> {
        let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()).display().to_string();
        let mut args = Vec::new();
        for list in &self.stopwords {
            let value = if is_code(list) { list.clone() } else { absolute(Path::new(list)) };
            args.extend(["--stopwords".to_string(), value]);
        }
        if let Some(n) = self.min_len {
            args.extend(["--min-len".to_string(), n.to_string()]);
        }
        if let Some(n) = self.max_len {
            args.extend(["--max-len".to_string(), n.to_string()]);
        }
        if self.no_numbers {
            args.push("--no-numbers".into());
        }
        if let Some(path) = &self.only {
            args.extend(["--only".to_string(), absolute(path)]);
        }
        args
    }
}

fn is_code(value: &str) -> bool {
    value == "none" || CODES.iter().any(|(code, _)| *code == value)
}

type WordSet = hashbrown::HashSet<Box<[u8]>, ahash::RandomState>;

/// A job's token filter.
#[derive(Debug)]
pub struct Filter {
    min_len: usize,
    max_len: usize,
    no_numbers: bool,
    stopwords: WordSet,
    only: Option<WordSet>,
}

impl Filter {
    /// The filter `args` describe, with its lists loaded and mapped as `tokenize` maps words;
    /// `None` when no option is given. Errors are usage errors naming the flag or the file.
    pub fn build(args: &FilterArgs, tokenize: &TokenizerSpec) -> Result<Option<Filter>> {
        if !args.is_set() {
            return Ok(None);
        }
        let (min_len, max_len) = (args.min_len.unwrap_or(0), args.max_len.unwrap_or(usize::MAX));
        if min_len > max_len {
            return Err(Error::Usage(format!(
                "invalid value '{min_len}' for --min-len: above --max-len {max_len}, so no word could be counted"
            )));
        }
        let mut mapper = WordMapper::new(tokenize.case, tokenize.normalize);
        let mut stopwords = WordSet::default();
        for list in &args.stopwords {
            match list.as_str() {
                "none" => {}
                code if is_code(code) => {
                    stopwords.extend(stop_words::get(code).iter().map(|w| mapper.map_word(w.as_bytes()).into()))
                }
                file => stopwords.extend(read_list("--stopwords", Path::new(file), &mut mapper)?),
            }
        }
        let only = match &args.only {
            Some(path) => Some(read_list("--only", path, &mut mapper)?.collect()),
            None => None,
        };
        Ok(Some(Filter { min_len, max_len, no_numbers: args.no_numbers, stopwords, only }))
    }

    /// Whether `word` is counted.
    #[inline]
    pub fn keeps(&self, word: &[u8]) -> bool {
        // Length first: it needs no lookup. Counting the bytes that start a character counts
        // characters in valid UTF-8 and one per byte in an invalid sequence's continuation.
        if self.min_len > 0 || self.max_len < usize::MAX {
            // ASCII (most words of most text) is checked a machine word at a time.
            let chars = if word.is_ascii() { word.len() } else { word.iter().filter(|&&b| b & 0xc0 != 0x80).count() };
            if chars < self.min_len || chars > self.max_len {
                return false;
            }
        }
        if self.no_numbers && !has_letter(word) {
            return false;
        }
        // An empty set would still hash every word.
        if !self.stopwords.is_empty() && self.stopwords.contains(word) {
            return false;
        }
        self.only.as_ref().is_none_or(|only| only.contains(word))
    }
}

fn has_letter(word: &[u8]) -> bool {
    if word.iter().any(u8::is_ascii_alphabetic) {
        return true;
    }
    word.utf8_chunks().any(|chunk| chunk.valid().chars().any(char::is_alphabetic))
}

/// Reads a word list: one word per line, UTF-8, a byte-order mark and CRLF line ends accepted,
/// `#` starting a comment, blank lines skipped. An empty list, bytes that are not UTF-8 (named
/// by line) or an unreadable file is an error, since a filter that silently drops nothing (or
/// everything) would give a wrong count that looks right.
fn read_list<'m>(
    flag: &'static str,
    path: &Path,
    mapper: &'m mut WordMapper,
) -> Result<impl Iterator<Item = Box<[u8]>> + 'm> {
    let name = quote_path(path);
    let usage = |why: String| Error::Usage(format!("{flag} {name}: {why}"));
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        ErrorKind::NotFound if flag == "--stopwords" => usage(format!(
            "no such file, and not a built-in list (known: {}; `mrwc --stopwords list`)",
            CODES.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ")
        )),
        _ => usage(io_reason(&e)),
    })?;
    let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    let mut words = Vec::new();
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        let line = std::str::from_utf8(line).map_err(|_| usage(format!("line {}: not UTF-8", i + 1)))?;
        let word = line.split('#').next().unwrap_or("").trim();
        if !word.is_empty() {
            words.push(word.to_string());
        }
    }
    if words.is_empty() {
        return Err(usage("the list is empty".into()));
    }
    Ok(words.into_iter().map(move |w| mapper.map_word(w.as_bytes()).into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenize::{Case, Normalize, TokenizerKind};

    fn spec(case: Case) -> TokenizerSpec {
        TokenizerSpec { tokenizer: TokenizerKind::Words, case, normalize: Normalize::None, ..TokenizerSpec::default() }
    }

    fn filter(args: FilterArgs) -> Filter {
        Filter::build(&args, &spec(Case::Lower)).unwrap().expect("options given")
    }

    #[test]
    fn every_built_in_list_loads_and_english_drops_the() {
        for (code, _) in CODES {
            assert!(!stop_words::get(code).is_empty(), "{code}");
        }
        let f = filter(FilterArgs { stopwords: vec!["en".into()], ..FilterArgs::default() });
        assert!(!f.keeps(b"the") && !f.keeps(b"and") && f.keeps(b"lord"));
        let zh = filter(FilterArgs { stopwords: vec!["zh".into()], ..FilterArgs::default() });
        assert!(!zh.keeps("的".as_bytes()) && zh.keeps("内核".as_bytes()));
    }

    #[test]
    fn lists_are_mapped_as_the_words_are() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stop.txt");
        std::fs::write(&path, "\u{feff}# a comment\r\nThe\r\n\r\nStraße # trailing comment\n").unwrap();
        let args = FilterArgs { stopwords: vec![path.display().to_string()], ..FilterArgs::default() };
        let lower = Filter::build(&args, &spec(Case::Lower)).unwrap().unwrap();
        assert!(!lower.keeps(b"the") && !lower.keeps("straße".as_bytes()) && lower.keeps(b"#"));
        let keep = Filter::build(&args, &spec(Case::Keep)).unwrap().unwrap();
        assert!(!keep.keeps(b"The") && keep.keeps(b"the"));
    }

    #[test]
    fn lengths_count_characters_and_numbers_need_a_letter() {
        let f = filter(FilterArgs { min_len: Some(2), max_len: Some(3), no_numbers: true, ..FilterArgs::default() });
        assert!(f.keeps("内核".as_bytes()) && !f.keeps("内".as_bytes()) && !f.keeps(b"abcd"));
        assert!(!f.keeps(b"202") && !f.keeps(b"1:1") && f.keeps(b"x86") && f.keeps("é1".as_bytes()));
    }

    #[test]
    fn bad_lists_are_usage_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.txt");
        std::fs::write(&empty, "# only a comment\n\n").unwrap();
        let latin1 = dir.path().join("latin1.txt");
        std::fs::write(&latin1, b"ok\ncaf\xe9\n").unwrap();
        for (args, want) in [
            (vec![empty.display().to_string()], "the list is empty"),
            (vec![latin1.display().to_string()], "line 2: not UTF-8"),
            (vec!["xx".to_string()], "no such file, and not a built-in list (known: ar, da,"),
        ] {
            let args = FilterArgs { stopwords: args, ..FilterArgs::default() };
            let err = Filter::build(&args, &spec(Case::Lower)).unwrap_err().to_string();
            assert!(err.starts_with("--stopwords ") && err.contains(want), "{err}");
        }
        let args = FilterArgs { min_len: Some(3), max_len: Some(2), ..FilterArgs::default() };
        assert!(Filter::build(&args, &spec(Case::Lower)).is_err());
        let none = FilterArgs { stopwords: vec!["none".into()], ..FilterArgs::default() };
        assert!(Filter::build(&none, &spec(Case::Lower)).unwrap().is_none());
    }
}
