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

use crate::split::{chunk_end, Cut, MAX_RUN};
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
    pub(crate) lines: bool,
}

impl<T: Tokenizer> Boundary<T> {
    /// Where the run that starts at `start` (a cut point) ends: the first cut after it. The
    /// same point as `chunk_end(data, start, 1, self)`; with n-grams, a line end found by
    /// `memchr` when there is one within [`MAX_RUN`] (a forced cut moves back to the last
    /// tokenizer boundary before it; when a line end is one, no forced cut comes before it).
    #[inline]
    pub fn run_end(&self, data: &[u8], start: usize) -> usize {
        if self.lines && self.tokenizer.is_boundary(b'\n') {
            let window = &data[start..data.len().min(start.saturating_add(MAX_RUN))];
            if let Some(k) = memchr::memchr(b'\n', window) {
                return start + k + 1;
            }
        }
        chunk_end(data, start, 1, self)
    }
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

/// The kept words of runs, copied out of the tokenizer (whose mapped words live in its scratch
/// buffer) one space apart, so that every n-gram is already a slice of one buffer, and the
/// n-grams of the runs ended so far. Many runs (lines) are gathered before their n-grams are
/// counted, so that the counting table gets them in batches long enough to fetch their slots
/// ahead of the lookups ([`crate::table::CountTable::add_tokens`]).
#[derive(Debug, Default)]
pub struct Runs {
    /// `w1 w2 w3 v1 v2 ...`, then [`WINDOW`] bytes of padding while n-grams are counted.
    bytes: Vec<u8>,
    /// Where each word of the current run starts and ends in `bytes`.
    words: Vec<(usize, usize)>,
    /// Where each n-gram of the ended runs starts and ends in `bytes`.
    grams: Vec<(usize, usize)>,
}

/// N-grams gathered before they are counted.
const GATHER: usize = 1024;

impl Runs {
    /// Adds a word to the current run.
    #[inline]
    pub fn push(&mut self, word: &Token<'_>) {
        if !self.words.is_empty() {
            self.bytes.push(b' ');
        }
        let start = self.bytes.len();
        match word.window() {
            // A copy of known size is a few moves, not a call.
            Some(window) if word.len() <= WINDOW => {
                self.bytes.extend_from_slice(window);
                self.bytes.truncate(start + word.len());
            }
            _ => self.bytes.extend_from_slice(word),
        }
        self.words.push((start, self.bytes.len()));
    }

    /// Ends the current run: its n-grams, shortest first, in order, join the gathered ones.
    /// Returns true when enough are gathered to [`count`](Self::count) them.
    pub fn end_run(&mut self, grams: NGrams) -> bool {
        let count = self.words.len();
        for n in grams.min..=grams.max.min(count) {
            let spans = self.words.windows(n).map(|w| (w[0].0, w[n - 1].1));
            self.grams.extend(spans);
        }
        self.words.clear();
        if self.grams.is_empty() {
            self.bytes.clear();
        }
        self.grams.len() >= GATHER
    }

    /// Hands the gathered n-grams to `add` and forgets them and their runs. Each comes with
    /// [`WINDOW`] readable bytes after its start, so the counting table takes short ones by
    /// its fast path, as it takes words cut from a chunk.
    pub fn count(&mut self, add: impl FnOnce(&[Token<'_>])) {
        debug_assert!(self.words.is_empty(), "a run is still open");
        if !self.grams.is_empty() {
            self.bytes.extend_from_slice(&[0; WINDOW]);
            let tokens: Vec<Token> = self.grams.iter().map(|&(s, e)| Token::at(&self.bytes, s, e)).collect();
            add(&tokens);
        }
        self.bytes.clear();
        self.grams.clear();
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

    fn counted(runs: &mut Runs) -> Vec<String> {
        let mut got = Vec::new();
        runs.count(|grams| got.extend(grams.iter().map(|g| String::from_utf8(g.to_vec()).unwrap())));
        got
    }

    #[test]
    fn a_run_gives_its_grams_shortest_first() {
        let mut runs = Runs::default();
        for w in ["a", "bb", "c"] {
            runs.push(&Token::new(w.as_bytes()));
        }
        assert!(!runs.end_run(NGrams { min: 1, max: 4 }));
        assert_eq!(counted(&mut runs), ["a", "bb", "c", "a bb", "bb c", "a bb c"]);
        assert!(!runs.end_run(NGrams { min: 2, max: 2 }));
        assert!(counted(&mut runs).is_empty(), "an empty run has no grams");
    }

    #[test]
    fn grams_never_join_two_runs() {
        let mut runs = Runs::default();
        let long = "x".repeat(40);
        for run in [vec!["a", "b"], vec!["c"], vec![], vec![long.as_str(), "d"]] {
            for w in run {
                // Words with windows (cut from a longer buffer) and without.
                let text = format!("{w}{}", " ".repeat(16));
                runs.push(&Token::at(text.as_bytes(), 0, w.len()));
            }
            runs.end_run(NGrams { min: 2, max: 3 });
        }
        assert_eq!(counted(&mut runs), ["a b".to_string(), format!("{long} d")]);
    }
}
