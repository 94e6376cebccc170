//! Map: a map worker tokenizes pieces of text into its combining table (in-mapper combining).
//!
//! [`MapWorker`] is the one map worker of the engine: the in-process runners' threads, a procs
//! worker process, online mode's mapper threads and `mrwc map` all drive it the same way. It
//! keeps one [`CountTable`] across all the tasks it runs, so a word that appears in every chunk
//! is stored once per worker, not once per chunk: Hadoop's combiner applied as early as
//! possible, nothing per token ever leaves the worker. When the table passes the worker's
//! memory share ([`crate::budget::Budget::spill_at`]), [`MapWorker::map`] says so and the
//! driver takes the table away ([`MapWorker::take`]) to spill it: to sorted runs, to stdout
//! (`mrwc map`), or into running totals (online).
//!
//! The counting options live beside it: token filters in `filter.rs`, n-grams in `ngram.rs`.
//! [`MapSpec`] is their flag group and builds the workers.

mod filter;
mod ngram;

use std::path::PathBuf;
use std::sync::Arc;

pub use filter::{stopword_codes, Filter, FilterArgs};
pub use ngram::{Boundary, NGrams};

use ngram::Runs;

use crate::error::Result;
use crate::input::encoding::EncodingArg;
use crate::keys::{Docs, KeyArgs, Keys, Tag, HEADER};
use crate::partition::Partitioner;
use crate::records::Records;
use crate::table::{Ahead, CountTable};
use crate::tokenize::{Lexicons, Token, Tokenizer, TokenizerSpec};

/// The map-side flags: how text becomes counted words. One flag group, shared by the main
/// command, `mrwc map` and the procs workers, and handed on to other processes by
/// [`to_args`](Self::to_args) (procs workers, `mrwc map` under Spark), so every map worker of
/// a job counts the same way. A counting option is a field here and its rule in [`MapWorker`].
#[derive(Debug, Default, Clone, clap::Args)]
pub struct MapSpec {
    #[command(flatten)]
    pub tokenize: TokenizerSpec,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Count runs of N consecutive words (or of N to M words: `2..3`), joined by one space,
    /// instead of words; 1 <= N <= M <= 8. Formed after the filters (a dropped word is
    /// skipped); an n-gram never spans a line end.
    #[arg(long, value_name = "N|N..M", value_parser = NGrams::parse, help_heading = "Counting options")]
    pub ngram: Option<NGrams>,
    #[command(flatten)]
    pub keys: KeyArgs,
    /// The inputs' text encoding: utf-8 (bytes as they are), auto (detected per input from its
    /// first 64 KiB), or a WHATWG label: gb18030, gbk, big5, shift_jis, euc-jp, euc-kr,
    /// utf-16le, utf-16be, windows-1252, ...
    #[arg(long, value_name = "LABEL", default_value = "utf-8", value_parser = EncodingArg::parse)]
    pub encoding: EncodingArg,
    /// A user dictionary for Chinese and Japanese segmentation, in jieba's format: one `word
    /// [freq] [tag]` per line (UTF-8). Its words are cut whole. Repeatable.
    #[arg(long, value_name = "FILE", help_heading = "Counting options")]
    pub user_dict: Vec<PathBuf>,
    /// The filter the flags describe, once [`prepare`](Self::prepare) has loaded its lists.
    #[arg(skip)]
    loaded: Option<Arc<Filter>>,
    /// The segmenters' dictionaries, once [`prepare`](Self::prepare) has read the user's.
    #[arg(skip)]
    lexicons: Option<Arc<Lexicons>>,
}

impl MapSpec {
    /// Checks the flags and loads what they name (stopword lists, a vocabulary), once, before
    /// any work starts: a bad list is a usage error naming it.
    pub fn prepare(&mut self) -> Result<()> {
        self.keys.keys()?;
        self.loaded = Filter::build(&self.filter, &self.tokenize)?.map(Arc::new);
        self.lexicons = Some(Lexicons::with_user_dicts(&self.user_dict)?);
        Ok(())
    }

    /// The same flags as command-line arguments, with file names made absolute (another
    /// process may run elsewhere in the file tree).
    pub fn to_args(&self) -> Vec<String> {
        let mut args = self.tokenize.to_args();
        args.extend(self.filter.to_args());
        if let Some(grams) = self.ngram {
            args.extend(["--ngram".to_string(), grams.to_arg()]);
        }
        args.extend(self.keys.to_args());
        if self.encoding != EncodingArg::Utf8 {
            args.extend(["--encoding".to_string(), self.encoding.to_arg()]);
        }
        for file in &self.user_dict {
            let absolute = std::path::absolute(file).unwrap_or_else(|_| file.clone());
            args.extend(["--user-dict".to_string(), absolute.display().to_string()]);
        }
        args
    }

    /// The dictionaries the `words` tokenizer reads: the built-in ones plus `--user-dict`'s
    /// words (read by [`prepare`](Self::prepare)).
    pub fn lexicons(&self) -> Arc<Lexicons> {
        assert!(self.lexicons.is_some() || self.user_dict.is_empty(), "MapSpec::prepare was not called");
        self.lexicons.clone().unwrap_or_else(Lexicons::builtin)
    }

    /// What this job's keys hold (see [`crate::keys`]); [`prepare`](Self::prepare) has
    /// checked the flags.
    pub fn keys(&self) -> Keys {
        self.keys.keys().unwrap_or_default()
    }

    /// A map worker of this spec, whose table is full past `spill_at` bytes (see
    /// [`crate::budget`]); `tokenizer` is the one [`TokenizerSpec`] names.
    pub fn worker<T: Tokenizer>(&self, mut tokenizer: T, spill_at: usize) -> MapWorker<T> {
        tokenizer.limit_cache(crate::budget::tokenizer_cache(spill_at));
        assert!(self.loaded.is_some() || !self.filter.is_set(), "MapSpec::prepare was not called");
        let filter = self.loaded.clone();
        let ngrams = self.ngram.filter(|g| *g != NGrams { min: 1, max: 1 });
        let rule = self.boundary(tokenizer.clone());
        let (table, stats, runs) = (CountTable::default(), MapStats::default(), Runs::default());
        let keyed = Keyed { keys: self.keys(), source: 0, key: Vec::new() };
        MapWorker { tokenizer, filter, ngrams, rule, keyed, runs, table, stats, spill_at }
    }

    /// Where this job's input may be cut (after the tokenizer's boundaries, or at line ends
    /// when n-grams of several words are counted, lines are documents or the tokenizer reads
    /// whole lines); every driver cuts
    /// chunks and pieces with it.
    pub fn boundary<T: Tokenizer>(&self, tokenizer: T) -> Boundary<T> {
        let lines = self.ngram.is_some_and(NGrams::spans_words)
            || self.keys().df == Some(Docs::Lines)
            || tokenizer.needs_lines();
        Boundary { tokenizer, lines }
    }
}

/// What map tasks did, summed per worker and then per job.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct MapStats {
    pub tasks: u64,
    pub input_bytes: u64,
    /// Records the map side counted (Hadoop's "map output records"): the tokens the filters
    /// kept, or the n-grams formed from them.
    pub output_records: u64,
    /// Records the combining table handed on (distinct words per table, summed).
    pub combined: u64,
    /// Tokens the counting options dropped (stopwords, length, numbers, vocabulary).
    pub removed: u64,
    /// Byte sequences that did not decode under `--encoding` (each read as U+FFFD).
    pub undecodable: u64,
}

impl MapStats {
    pub fn merge(&mut self, other: &MapStats) {
        self.tasks += other.tasks;
        self.input_bytes += other.input_bytes;
        self.output_records += other.output_records;
        self.combined += other.combined;
        self.removed += other.removed;
        self.undecodable += other.undecodable;
    }
}

/// One map worker: its tokenizer, its combining table and what it has done.
pub struct MapWorker<T> {
    tokenizer: T,
    filter: Option<Arc<Filter>>,
    /// `--ngram`, unless it is plain words.
    ngrams: Option<NGrams>,
    /// The rule that ends a run (line ends and forced cuts, for n-grams and line documents),
    /// the one every driver cuts this job's input with.
    rule: Boundary<T>,
    keyed: Keyed,
    runs: Runs,
    table: CountTable,
    stats: MapStats,
    spill_at: usize,
}

/// The keyed side of a worker: the job's key layout, the input being mapped, a key buffer.
struct Keyed {
    keys: Keys,
    source: usize,
    key: Vec<u8>,
}

impl Keyed {
    /// Counts `tokens` (one run's) under the current input's header, and, when lines are
    /// documents, the run's distinct tokens once each under the line tag.
    fn add(&mut self, table: &mut CountTable, tokens: &[Token<'_>]) {
        let mut add = |key: &mut Vec<u8>, header: [u8; HEADER], word: &[u8]| {
            key.clear();
            key.extend_from_slice(&header);
            key.extend_from_slice(word);
            table.add_one(key);
        };
        let header = self.keys.header(self.source, Tag::Occurrences);
        for token in tokens {
            add(&mut self.key, header, token);
        }
        if self.keys.df == Some(Docs::Lines) {
            let mut distinct: Vec<&[u8]> = tokens.iter().map(|t| &**t).collect();
            distinct.sort_unstable();
            distinct.dedup();
            let header = self.keys.header(self.source, Tag::Lines);
            for word in distinct {
                add(&mut self.key, header, word);
            }
        }
    }
}

/// A finished worker's table, cut into one list per partition, and its statistics.
pub struct MapOutput {
    pub partitions: Vec<Records>,
    pub stats: MapStats,
}

impl<T: Tokenizer> MapWorker<T> {
    /// Counts that a task started: one chunk of input number `source` (its index in the
    /// plan) is one task, whatever pieces it arrives in.
    pub fn start_task(&mut self, source: usize) {
        self.stats.tasks += 1;
        self.keyed.source = source;
    }

    /// Counts every token (or n-gram) of `piece`, which must end where [`MapSpec::boundary`]
    /// allows a cut, or at the end of its input, into the table. Returns true when the table is past the worker's share: the
    /// driver should [`take`](Self::take) it.
    #[inline]
    pub fn map(&mut self, piece: &[u8]) -> bool {
        if !self.keyed.keys.plain() {
            return self.map_keyed(piece);
        }
        if self.ngrams.is_some() {
            return self.map_ngrams(piece);
        }
        let (table, mut tokens) = (&mut self.table, 0u64);
        // Two loops, so that a job without counting options pays nothing for them; a table too
        // large for the cache fetches slots ahead of their lookups (a vocabulary of a million
        // words spent 80% of its map phase waiting for the first compare of a lookup). The
        // callbacks are forced inline: the tokenizers call `emit` from several places, and LLVM
        // left it a call per token, which cost 10% of kjv x10's time with one worker (perf stat:
        // 59.5 -> 53.5 ms; callgrind: 11% fewer instructions under `-t whitespace`). N-grams
        // only copy each word in their callback and got slower inlined (90 -> 97 ms), so theirs
        // stay as they are.
        match &self.filter {
            None if table.is_large() => {
                let mut ahead = Ahead::default();
                self.tokenizer.tokenize(
                    piece,
                    #[inline(always)]
                    |word| {
                        table.add_token_ahead(word, &mut ahead);
                        tokens += 1;
                    },
                );
                table.flush(&mut ahead);
            }
            None => self.tokenizer.tokenize(
                piece,
                #[inline(always)]
                |word| {
                    table.add_token(word);
                    tokens += 1;
                },
            ),
            Some(filter) => {
                let mut removed = 0u64;
                self.tokenizer.tokenize(
                    piece,
                    #[inline(always)]
                    |word| {
                        if filter.keeps(&word) {
                            table.add_token(word);
                            tokens += 1;
                        } else {
                            removed += 1;
                        }
                    },
                );
                self.stats.removed += removed;
            }
        }
        self.stats.input_bytes += piece.len() as u64;
        self.stats.output_records += tokens;
        self.table.memory_bytes() + self.tokenizer.cache_bytes() > self.spill_at
    }

    /// `map` for n-grams: each run's kept words, then their n-grams. A run ends at a line end or
    /// at a forced cut of a long line: the cut points of the job's input, found here with the
    /// same rule (the piece starts at one), so an n-gram never spans one whether or not it
    /// also ends a piece.
    fn map_ngrams(&mut self, piece: &[u8]) -> bool {
        let Some(grams) = self.ngrams else { unreachable!("n-grams are on") };
        let (rule, mut grams_out, mut removed) = (&self.rule, 0u64, 0u64);
        let (table, runs) = (&mut self.table, &mut self.runs);
        let mut count = |runs: &mut Runs| {
            runs.count(|batch| {
                table.add_tokens(batch);
                grams_out += batch.len() as u64;
            })
        };
        let mut start = 0;
        while start < piece.len() {
            let end = rule.run_end(piece, start);
            let filter = self.filter.as_deref();
            self.tokenizer.tokenize(&piece[start..end], |word| match filter {
                Some(f) if !f.keeps(&word) => removed += 1,
                _ => runs.push(&word),
            });
            start = end;
            if runs.end_run(grams) {
                count(runs);
            }
        }
        count(runs);
        self.stats.removed += removed;
        self.stats.input_bytes += piece.len() as u64;
        self.stats.output_records += grams_out;
        self.table.memory_bytes() + self.tokenizer.cache_bytes() > self.spill_at
    }

    /// `map` for keys with a header ([`crate::keys`]): each word or n-gram after its input's
    /// header, and, when lines are documents, each line's distinct ones once more under the
    /// line tag. Runs are lines when the job cuts at lines, else the whole piece.
    fn map_keyed(&mut self, piece: &[u8]) -> bool {
        let grams = self.ngrams.unwrap_or(NGrams { min: 1, max: 1 });
        let (mut out, mut removed) = (0u64, 0u64);
        let mut start = 0;
        while start < piece.len() {
            let end = if self.rule.lines { self.rule.run_end(piece, start) } else { piece.len() };
            let (runs, filter) = (&mut self.runs, self.filter.as_deref());
            self.tokenizer.tokenize(&piece[start..end], |word| match filter {
                Some(f) if !f.keeps(&word) => removed += 1,
                _ => runs.push(&word),
            });
            start = end;
            runs.end_run(grams);
            let (table, keyed) = (&mut self.table, &mut self.keyed);
            runs.count(|tokens| {
                out += tokens.len() as u64;
                keyed.add(table, tokens);
            });
        }
        self.stats.removed += removed;
        self.stats.input_bytes += piece.len() as u64;
        self.stats.output_records += out;
        self.table.memory_bytes() + self.tokenizer.cache_bytes() > self.spill_at
    }

    /// Bytes the table holds.
    pub fn table_bytes(&self) -> usize {
        self.table.memory_bytes()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Takes the table away (to spill it), leaving an empty one.
    pub fn take(&mut self) -> CountTable {
        self.stats.combined += self.table.len() as u64;
        std::mem::take(&mut self.table)
    }

    /// Takes the statistics gathered since the last call.
    pub fn take_stats(&mut self) -> MapStats {
        std::mem::take(&mut self.stats)
    }

    /// Ends the worker: its table as one list per partition, and its statistics.
    pub fn finish(mut self, by: Partitioner) -> MapOutput {
        let table = self.take();
        MapOutput { partitions: table.into_partitions(by), stats: self.stats }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenize::{Case, Words};

    fn spec() -> MapSpec {
        MapSpec::default()
    }

    #[test]
    fn tasks_combine_into_one_table() {
        let mut worker = spec().worker(Words::new(Case::Lower), usize::MAX);
        worker.start_task(0);
        assert!(!worker.map(b"the cat and THE hat"));
        worker.start_task(0);
        assert!(!worker.map(b"the end"));
        let out = worker.finish(Partitioner::hash(1));
        assert_eq!(
            out.stats,
            MapStats { tasks: 2, input_bytes: 26, output_records: 7, combined: 5, removed: 0, undecodable: 0 }
        );
        let the = out.partitions[0].iter().find(|(w, _)| *w == b"the").map(|(_, c)| c);
        assert_eq!(the, Some(3));
    }

    #[test]
    fn a_full_table_is_reported_and_taken() {
        let mut worker = spec().worker(Words::new(Case::Lower), 0);
        assert!(worker.map(b"one two"));
        let table = worker.take();
        assert_eq!(table.len(), 2);
        assert!(worker.is_empty());
        assert_eq!(worker.finish(Partitioner::hash(2)).stats.combined, 2);
    }
}
