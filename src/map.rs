//! Map: a map task tokenizes one chunk into its worker's combining table (in-mapper combining).
//!
//! A worker keeps one [`CountTable`] across all the tasks it runs, so a word that appears in
//! every chunk is stored once per worker, not once per chunk; the table is drained into
//! partitions when the worker runs out of tasks. This is Hadoop's combiner applied as early as
//! possible: nothing per token ever leaves the worker.

use crate::table::CountTable;
use crate::tokenize::Tokenizer;

/// What map tasks did, summed per worker and then per job.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct MapStats {
    pub tasks: u64,
    pub input_bytes: u64,
    /// Tokens emitted by the tokenizer (Hadoop's "map output records").
    pub output_records: u64,
}

impl MapStats {
    pub fn merge(&mut self, other: &MapStats) {
        self.tasks += other.tasks;
        self.input_bytes += other.input_bytes;
        self.output_records += other.output_records;
    }
}

/// Runs one map task, or one piece of a task that arrives in pieces: every token of `chunk` is
/// counted into `table`. The caller counts tasks.
#[inline]
pub fn map_task<T: Tokenizer>(tokenizer: &mut T, chunk: &[u8], table: &mut CountTable, stats: &mut MapStats) {
    let mut tokens = 0u64;
    tokenizer.tokenize(chunk, |word| {
        table.add_token(word);
        tokens += 1;
    });
    stats.input_bytes += chunk.len() as u64;
    stats.output_records += tokens;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Case;
    use crate::tokenize::Words;

    #[test]
    fn tasks_combine_into_one_table() {
        let mut tok = Words::new(Case::Lower);
        let mut table = CountTable::default();
        let mut stats = MapStats::default();
        map_task(&mut tok, b"the cat and THE hat", &mut table, &mut stats);
        map_task(&mut tok, b"the end", &mut table, &mut stats);
        assert_eq!(stats, MapStats { tasks: 0, input_bytes: 26, output_records: 7 });
        assert_eq!(table.len(), 5);
        let mut the = 0;
        table.for_each(|w, c| {
            if w == b"the" {
                the = c
            }
        });
        assert_eq!(the, 3);
    }
}
