//! N-grams (`--ngram N` or `--ngram N..M`): counts of runs of N consecutive words, joined by
//! one space, formed after the token filters (a removed word is skipped, as scikit-learn's
//! CountVectorizer skips its stop words, so `the cat` around a dropped `and` becomes one bigram
//! of its neighbours).
//!
//! An n-gram never spans a line end. So that no chunk, piece or task ever cuts an n-gram's
//! context, a job that counts n-grams of several words cuts its input at line ends only
//! ([`Boundary`]); a line longer than [`crate::split::MAX_RUN`] gets a forced cut every MiB or
//! so, moved back to just after the tokenizer's last boundary before it, so that no word is
//! split; n-grams do not span those cuts either. The cut points depend on the text alone, so
//! the counts do not depend on the chunk size, the worker count, the partition count or the
//! runner.

use crate::split::Cut;
use crate::tokenize::{Token, Tokenizer, WINDOW};

/// The longest n-gram.
pub const MAX_N: usize = 8;

/// The n-gram lengths a job counts: `min..=max` words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NGrams {
    pub min: usize,
    pub max: usize,
}

impl NGrams {
    /// Parses `N` or `N..M` (1 <= N <= M <= 8); a clap value parser.
    pub fn parse(text: &str) -> Result<NGrams, String> {
        let number =
            |s: &str| s.trim().parse::<usize>().map_err(|_| format!("expected N or N..M with 1 <= N <= M <= {MAX_N}"));
        let (min, max) = match text.split_once("..") {
            Some((a, b)) => (number(a)?, number(b)?),
            None => (number(text)?, number(text)?),
        };
        if min == 0 || max > MAX_N || min > max {
            return Err(format!("expected N or N..M with 1 <= N <= M <= {MAX_N}"));
        }
        Ok(NGrams { min, max })
    }

    /// The flag's value, as `parse` reads it.
    pub fn to_arg(self) -> String {
        if self.min == self.max {
            self.min.to_string()
        } else {
            format!("{}..{}", self.min, self.max)
        }
    }

    /// Whether an n-gram may hold more than one word (then input is cut at line ends only).
    pub fn spans_words(self) -> bool {
        self.max > 1
    }
}

/// Where a job's input may be cut: after the tokenizer's boundary bytes, or, when n-grams of
/// several words are counted, after line ends only.
#[derive(Debug, Clone)]
pub struct Boundary<T> {
    pub(super) tokenizer: T,
    pub(super) lines: bool,
}

/// The tokenizer's boundaries; or, with n-grams, line ends (hard) and, for a forced cut in a
/// line over `MAX_RUN`, the tokenizer's last boundary before it (soft), so that no cut splits a
/// word.
impl<T: Tokenizer> Cut for Boundary<T> {
    #[inline]
    fn hard(&self, b: u8) -> bool {
        if self.lines {
            b == b'\n'
        } else {
            self.tokenizer.is_boundary(b)
        }
    }

    fn soft(&self, b: u8) -> bool {
        self.tokenizer.is_boundary(b)
    }

    fn has_soft(&self) -> bool {
        self.lines
    }
}

/// The kept words of one run, copied out of the tokenizer (whose mapped words live in its
/// scratch buffer) one space apart, so that every n-gram is already a slice of the buffer.
#[derive(Debug, Default)]
pub struct LineWords {
    /// `w1 w2 w3`, then [`WINDOW`] bytes of padding while n-grams are emitted.
    bytes: Vec<u8>,
    /// Where each word starts and ends in `bytes`.
    words: Vec<(usize, usize)>,
}

impl LineWords {
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.words.clear();
    }

    pub fn push(&mut self, word: &[u8]) {
        if !self.words.is_empty() {
            self.bytes.push(b' ');
        }
        let start = self.bytes.len();
        self.bytes.extend_from_slice(word);
        self.words.push((start, self.bytes.len()));
    }

    /// Calls `add` with every n-gram of the run, shortest first, in order. Each comes with
    /// [`WINDOW`] readable bytes after its start, so the counting table takes short ones by its
    /// fast path, as it takes words cut from a chunk.
    pub fn emit(&mut self, grams: NGrams, mut add: impl FnMut(Token<'_>)) {
        let count = self.words.len();
        if count < grams.min {
            return;
        }
        self.bytes.extend_from_slice(&[0; WINDOW]);
        for n in grams.min..=grams.max.min(count) {
            for first in 0..=count - n {
                add(Token::at(&self.bytes, self.words[first].0, self.words[first + n - 1].1));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_within_bounds() {
        assert_eq!(NGrams::parse("2"), Ok(NGrams { min: 2, max: 2 }));
        assert_eq!(NGrams::parse("1..3"), Ok(NGrams { min: 1, max: 3 }));
        for bad in ["0", "9", "3..2", "1..9", "x", "1..", "..2", ""] {
            assert!(NGrams::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(NGrams::parse("1..3").unwrap().to_arg(), "1..3");
        assert_eq!(NGrams::parse("2").unwrap().to_arg(), "2");
    }

    #[test]
    fn a_line_gives_its_grams_shortest_first() {
        let mut line = LineWords::default();
        for w in ["a", "bb", "c"] {
            line.push(w.as_bytes());
        }
        let mut got = Vec::new();
        line.emit(NGrams { min: 1, max: 4 }, |g| got.push(String::from_utf8(g.to_vec()).unwrap()));
        assert_eq!(got, ["a", "bb", "c", "a bb", "bb c", "a bb c"]);
        line.clear();
        line.emit(NGrams { min: 2, max: 2 }, |_| panic!("an empty line has no grams"));
    }
}
