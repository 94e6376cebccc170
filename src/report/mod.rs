//! `--report FILE.html`: a page to look at, written beside the counts.
//!
//! [`Summary`] is gathered from the reduced result (every record, whatever `--top` and
//! `--min-count` keep for the output): the 25 most frequent words, the number of words per
//! count (from which the rank/frequency curve follows without sorting the vocabulary), the
//! tokens per word length, and, when keys name files (`--by-file`, `--df`), tokens and distinct
//! words per file. `html.rs` renders it as one self-contained page: inline SVG, no script from
//! anywhere, no font file, a font stack that reaches the system's CJK fonts. The page is
//! committed as atomically as the output (a temp file renamed into place).

mod html;

use std::collections::{BTreeMap, HashMap};

use crate::counters::Counters;
use crate::error::Result;
use crate::keys::{Keys, Tag};
use crate::reduce::Reduced;

/// Words shown in the bar chart.
pub const TOP: usize = 25;
/// Word lengths (in characters) shown one by one; longer words share the last bar.
pub const LONGEST: usize = 20;

/// Tokens and distinct words of one input file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileSummary {
    pub name: String,
    pub tokens: u64,
    pub distinct: u64,
}

/// The [`TOP`] most frequent words of a stream of records, in bounded memory: candidates
/// gather up to twice the number kept, then the best are kept and the worst of them becomes
/// the bar a later word must pass.
#[derive(Default)]
struct TopWords {
    items: Vec<(Vec<u8>, u64)>,
    floor: Option<(u64, Vec<u8>)>,
}

impl TopWords {
    fn offer(&mut self, word: &[u8], count: u64) {
        let passes = self.floor.as_ref().is_none_or(|(c, w)| count > *c || (count == *c && word < w.as_slice()));
        if passes {
            self.items.push((word.to_vec(), count));
            if self.items.len() >= 2 * TOP {
                self.keep_best();
                self.floor = self.items.last().map(|(w, c)| (*c, w.clone()));
            }
        }
    }

    fn keep_best(&mut self) {
        self.items.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        self.items.truncate(TOP);
    }

    fn finish(mut self) -> Vec<(String, u64)> {
        self.keep_best();
        self.items.into_iter().map(|(w, c)| (String::from_utf8_lossy(&w).into_owned(), c)).collect()
    }
}

/// What the report shows, gathered from every reduced record.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// The most frequent words, count descending then word ascending (the output's order).
    pub top: Vec<(String, u64)>,
    /// count -> how many words have it.
    pub count_of_counts: BTreeMap<u64, u64>,
    /// length in characters (up to [`LONGEST`], longer ones at `LONGEST + 1`) -> tokens.
    pub lengths: BTreeMap<usize, u64>,
    /// Per input file, with keys that name files; in input order.
    pub files: Vec<FileSummary>,
    pub tokens: u64,
    pub distinct: u64,
}

impl Summary {
    /// Reads every record of `reduced` (streaming runs from disk), with `names` the inputs'
    /// file column values by index.
    pub fn gather(reduced: &Reduced, keys: Keys, names: &[Vec<u8>]) -> Result<Summary> {
        let mut summary = Summary::default();
        let mut top = TopWords::default();
        let mut files: Vec<FileSummary> = Vec::new();
        // With keys that name files a word has one record per file: sum them per word first.
        let mut words: HashMap<Vec<u8>, u64> = HashMap::new();
        reduced.try_for_each(|_, key, count| {
            let (doc, tag, word) = keys.split(key);
            if tag != Tag::Occurrences {
                return Ok(());
            }
            if keys.names_file() {
                let doc = doc as usize;
                if files.len() <= doc {
                    files.resize(doc + 1, FileSummary::default());
                }
                files[doc].tokens += count;
                files[doc].distinct += 1;
                *words.entry(word.to_vec()).or_default() += count;
            } else {
                summary.add(word, count, &mut top);
            }
            Ok(())
        })?;
        for (word, count) in &words {
            summary.add(word, *count, &mut top);
        }
        summary.top = top.finish();
        for (i, file) in files.iter_mut().enumerate() {
            file.name = names.get(i).map_or_else(|| "-".into(), |n| String::from_utf8_lossy(n).into_owned());
        }
        summary.files = files.into_iter().filter(|f| f.tokens > 0).collect();
        Ok(summary)
    }

    fn add(&mut self, word: &[u8], count: u64, top: &mut TopWords) {
        self.tokens += count;
        self.distinct += 1;
        *self.count_of_counts.entry(count).or_default() += 1;
        let chars = String::from_utf8_lossy(word).chars().count();
        *self.lengths.entry(chars.min(LONGEST + 1)).or_default() += count;
        top.offer(word, count);
    }

    /// The rank/frequency curve: for each count, descending, the first and last rank of the
    /// words that have it.
    pub fn ranks(&self) -> Vec<(u64, u64, u64)> {
        let mut rank = 0u64;
        self.count_of_counts
            .iter()
            .rev()
            .map(|(&count, &words)| {
                let first = rank + 1;
                rank += words;
                (first, rank, count)
            })
            .collect()
    }

    /// The Zipf exponent s of frequency ~ rank^-s, a least-squares line through
    /// (log rank, log frequency) over ranks up to 1000 (the curve's head, where Zipf's law is
    /// meant to hold); `None` with fewer than two points.
    pub fn zipf_exponent(&self) -> Option<f64> {
        self.zipf_fit().map(|(s, _)| s)
    }

    /// [`zipf_exponent`](Self::zipf_exponent) and the line's intercept (ln frequency at rank 1).
    pub fn zipf_fit(&self) -> Option<(f64, f64)> {
        let points: Vec<(f64, f64)> = self
            .ranks()
            .iter()
            .flat_map(|&(first, last, count)| [(first, count), (last, count)])
            .filter(|&(rank, _)| rank <= 1000)
            .map(|(rank, count)| ((rank as f64).ln(), (count as f64).ln()))
            .collect();
        let n = points.len() as f64;
        if points.len() < 2 {
            return None;
        }
        let (sx, sy) = points.iter().fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
        let (mx, my) = (sx / n, sy / n);
        let (sxy, sxx) =
            points.iter().fold((0.0, 0.0), |(a, b), (x, y)| (a + (x - mx) * (y - my), b + (x - mx).powi(2)));
        (sxx > 0.0).then(|| (-sxy / sxx, my - sxy / sxx * mx))
    }
}

/// The report page of a job.
pub fn render(summary: &Summary, counters: &Counters, title: &str) -> String {
    html::page(summary, counters, title)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Records;

    #[test]
    fn a_summary_has_the_top_words_counts_of_counts_and_lengths() {
        let mut r = Records::default();
        for (w, c) in [("the", 8), ("a", 4), ("cat", 2), ("内核", 2), ("zebra", 1)] {
            r.push(w.as_bytes(), c);
        }
        let s = Summary::gather(&Reduced::Memory(vec![r]), Keys::default(), &[]).unwrap();
        assert_eq!(s.top[0], ("the".to_string(), 8));
        assert_eq!(s.top[2], ("cat".to_string(), 2));
        assert_eq!(s.count_of_counts, BTreeMap::from([(1, 1), (2, 2), (4, 1), (8, 1)]));
        assert_eq!(s.ranks(), [(1, 1, 8), (2, 2, 4), (3, 4, 2), (5, 5, 1)]);
        assert_eq!(s.lengths, BTreeMap::from([(1, 4), (2, 2), (3, 10), (5, 1)]));
        assert_eq!((s.tokens, s.distinct), (17, 5));
        // Exactly f = 8 / r for the first ranks: s = 1.
        let mut r = Records::default();
        for (i, c) in [840u64, 420, 280, 210, 168].iter().enumerate() {
            r.push(format!("w{i}").as_bytes(), *c);
        }
        let s = Summary::gather(&Reduced::Memory(vec![r]), Keys::default(), &[]).unwrap();
        assert!((s.zipf_exponent().unwrap() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn the_top_keeps_the_most_frequent_whatever_the_order_they_come_in() {
        let mut r = Records::default();
        for i in 0..1000u64 {
            r.push(format!("w{i:04}").as_bytes(), (i * 7919) % 1000);
        }
        let s = Summary::gather(&Reduced::Memory(vec![r]), Keys::default(), &[]).unwrap();
        let mut want: Vec<(String, u64)> = (0..1000u64).map(|i| (format!("w{i:04}"), (i * 7919) % 1000)).collect();
        want.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        want.truncate(TOP);
        assert_eq!(s.top, want);
    }
}
