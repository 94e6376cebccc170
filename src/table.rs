//! The counting hash table: the in-mapper combiner of a map task and the merge table of a reducer.
//!
//! ```text
//!   HashTable<Slot>  (hashbrown, SIMD probing)       arena: Vec<u8>
//!   ┌──────────────────────────────┐                 ┌──────────────────────────┐
//!   │ hash │ off │ len │ count     │ ─────────────►  │ the|and|of|中文|...       │
//!   └──────────────────────────────┘                 └──────────────────────────┘
//! ```
//!
//! Words are stored once, back to back, in one arena; a slot keeps the word's offset, length,
//! full hash and count. Looking up a word that is already present allocates nothing; a new word
//! appends its bytes to the arena. The full hash is kept so that growing the table never hashes
//! a word again. The hash is ahash with fixed seeds: fast, and the same in every run.

use hashbrown::HashTable;

use crate::partition::partition_of;
use crate::records::Records;

/// A count that would not fit in a `u64`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("count overflow: the total for one word exceeds 18446744073709551615")]
pub struct CountOverflow;

#[derive(Debug, Clone, Copy)]
struct Slot {
    hash: u64,
    off: usize,
    len: usize,
    count: u64,
}

pub struct CountTable {
    slots: HashTable<Slot>,
    arena: Vec<u8>,
    hasher: ahash::RandomState,
}

impl Default for CountTable {
    fn default() -> Self {
        CountTable::with_capacity(0)
    }
}

impl CountTable {
    pub fn with_capacity(words: usize) -> CountTable {
        CountTable {
            slots: HashTable::with_capacity(words),
            arena: Vec::with_capacity(words * 8),
            hasher: ahash::RandomState::with_seeds(
                0x243f_6a88_85a3_08d3,
                0x1319_8a2e_0370_7344,
                0xa409_3822_299f_31d0,
                0x082e_fa98_ec4e_6c89,
            ),
        }
    }

    /// Distinct words held.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Bytes held by the words.
    pub fn word_bytes(&self) -> usize {
        self.arena.len()
    }

    /// Counts one occurrence of `word`: the map side's hot path. It cannot overflow in practice
    /// (it would take 2^64 tokens), so it does not check.
    #[inline]
    pub fn add_one(&mut self, word: &[u8]) {
        let slot = self.slot_mut(word);
        slot.count = slot.count.wrapping_add(1);
    }

    /// Adds `n` occurrences of `word`, failing instead of wrapping.
    #[inline]
    pub fn add(&mut self, word: &[u8], n: u64) -> Result<(), CountOverflow> {
        let slot = self.slot_mut(word);
        slot.count = slot.count.checked_add(n).ok_or(CountOverflow)?;
        Ok(())
    }

    #[inline]
    fn slot_mut(&mut self, word: &[u8]) -> &mut Slot {
        use hashbrown::hash_table::Entry;
        let hash = self.hasher.hash_one(word);
        let arena = &self.arena;
        let eq = |s: &Slot| s.len == word.len() && &arena[s.off..s.off + s.len] == word;
        match self.slots.entry(hash, eq, |s| s.hash) {
            Entry::Occupied(slot) => slot.into_mut(),
            Entry::Vacant(vacant) => {
                let slot = Slot {
                    hash,
                    off: self.arena.len(),
                    len: word.len(),
                    count: 0,
                };
                self.arena.extend_from_slice(word);
                vacant.insert(slot).into_mut()
            }
        }
    }

    /// Every `(word, count)` pair, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], u64)> + '_ {
        self.slots
            .iter()
            .map(|s| (&self.arena[s.off..s.off + s.len], s.count))
    }

    /// Drains the table into one `Records` per partition (see [`crate::partition`]).
    pub fn into_partitions(self, partitions: usize) -> Vec<Records> {
        if partitions == 1 {
            let items = self
                .slots
                .iter()
                .map(|s| (s.off, s.len, s.count))
                .collect::<Vec<_>>();
            return vec![Records::from_parts(self.arena, items.into_iter())];
        }
        let per = self.slots.len() / partitions + 1;
        let bytes = self.arena.len() / partitions + 1;
        let mut out: Vec<Records> = (0..partitions)
            .map(|_| Records::with_capacity(per, bytes))
            .collect();
        for (word, count) in self.iter() {
            out[partition_of(word, partitions)].push(word, count);
        }
        out
    }

    /// All records in one list, without copying the words.
    pub fn into_records(self) -> Records {
        self.into_partitions(1).pop().expect("one partition")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn sorted(table: &CountTable) -> BTreeMap<Vec<u8>, u64> {
        table.iter().map(|(w, c)| (w.to_vec(), c)).collect()
    }

    #[test]
    fn counts_repeated_words_once_each() {
        let mut t = CountTable::default();
        for w in ["a", "b", "a", "", "a", "bb", "b"] {
            t.add_one(w.as_bytes());
        }
        let want: BTreeMap<Vec<u8>, u64> = [("", 1), ("a", 3), ("b", 2), ("bb", 1)]
            .iter()
            .map(|(w, c)| (w.as_bytes().to_vec(), *c))
            .collect();
        assert_eq!(sorted(&t), want);
        assert_eq!(t.word_bytes(), 4);
    }

    #[test]
    fn survives_growth_with_many_words() {
        let mut t = CountTable::default();
        for round in 0..3u64 {
            for i in 0..50_000u32 {
                t.add(format!("w{i}").as_bytes(), round + 1).unwrap();
            }
        }
        assert_eq!(t.len(), 50_000);
        assert!(t.iter().all(|(_, c)| c == 6));
    }

    #[test]
    fn add_reports_overflow_instead_of_wrapping() {
        let mut t = CountTable::default();
        t.add(b"x", u64::MAX - 1).unwrap();
        t.add(b"x", 1).unwrap();
        assert_eq!(t.add(b"x", 1), Err(CountOverflow));
    }

    #[test]
    fn partitions_hold_every_record_exactly_once() {
        let mut t = CountTable::default();
        for i in 0..1000u32 {
            t.add(format!("w{i}").as_bytes(), u64::from(i)).unwrap();
        }
        let parts = t.into_partitions(5);
        assert_eq!(parts.iter().map(Records::len).sum::<usize>(), 1000);
        for (p, records) in parts.iter().enumerate() {
            for (w, _) in records.iter() {
                assert_eq!(partition_of(w, 5), p);
            }
        }
    }
}
