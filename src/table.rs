//! The counting hash table: the in-mapper combiner of a map task and the merge table of a reducer.
//!
//! ```text
//!   HashTable<Slot> (hashbrown, SIMD probing)
//!   ┌─────────────────────────────────────────┐
//!   │ a: u64 │ b: u64 │ len: u64 │ count: u64 │   len <= 16: a, b hold the word's bytes
//!   └─────────────────────────────────────────┘   len  > 16: a is an offset into the arena
//!                                                 arena: Vec<u8> = long|words|back|to|back
//! ```
//!
//! Most words are short, so a word of up to 16 bytes lives in its slot as two little-endian
//! words: bytes `0..8` in `a` and `8..16` in `b`, zero past the word's end. Together with the
//! length this determines the word, so comparing is two integer compares, with no pointer to
//! chase and no `memcmp` call, and the two words are the whole input of the hash (one folded
//! 64x64->128-bit multiply). A [`Token`] whose buffer has 16 bytes from the word's start gives
//! the key as two unaligned loads and a mask computed from the length, with no branch on the
//! length; other words are assembled with a few branches. Longer words are appended to one
//! arena and hashed with ahash (fixed seeds). Looking up a word already present never allocates.
//!
//! Only the lookup costs: profiling the map phase on English text showed the table at two
//! thirds of the time, most of it in hashing and in `memcmp` on arena keys; with keys inline,
//! the mispredicted branches on word length were the next cost.

use hashbrown::hash_table::Entry;
use hashbrown::HashTable;

use crate::partition::Partitioner;
use crate::records::Records;
use crate::tokenize::{Token, WINDOW};

/// A count that would not fit in a `u64`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("count overflow: the total for one word exceeds 18446744073709551615")]
pub struct CountOverflow;

const INLINE: usize = WINDOW;
const SEED_A: u64 = 0x243f_6a88_85a3_08d3;
const SEED_B: u64 = 0x1319_8a2e_0370_7344;

#[derive(Debug, Clone, Copy)]
struct Slot {
    a: u64,
    b: u64,
    len: u64,
    count: u64,
}

#[inline(always)]
fn load8(s: &[u8]) -> u64 {
    u64::from_le_bytes(s[..8].try_into().expect("8 bytes"))
}

#[inline(always)]
fn load4(s: &[u8]) -> u64 {
    u64::from(u32::from_le_bytes(s[..4].try_into().expect("4 bytes")))
}

/// The low `k` bytes of a word (all 8 for `k >= 8`).
#[inline(always)]
fn low_bytes(k: usize) -> u64 {
    if k >= 8 {
        !0
    } else {
        !(!0u64 << (8 * k))
    }
}

/// The inline form of a word of at most 16 bytes, read from its window.
#[inline(always)]
fn window_key(window: &[u8; WINDOW], n: usize) -> (u64, u64) {
    (load8(window) & low_bytes(n), load8(&window[8..]) & low_bytes(n.saturating_sub(8)))
}

/// The inline form of a word of at most 16 bytes, for a word without a window: overlapping
/// loads, shifted so that bytes past the word's end are zero.
#[inline(always)]
fn inline_key(w: &[u8]) -> (u64, u64) {
    let n = w.len();
    match n {
        8..=16 => (load8(w), load8(&w[n - 8..]).checked_shr(8 * (16 - n) as u32).unwrap_or(0)),
        4..=7 => (load4(w) | (load4(&w[n - 4..]) >> (8 * (8 - n))) << 32, 0),
        1..=3 => (u64::from(w[0]) | u64::from(w[n / 2]) << (8 * (n / 2)) | u64::from(w[n - 1]) << (8 * (n - 1)), 0),
        _ => (0, 0),
    }
}

/// Rebuilds the bytes of an inline word into `buf`.
#[inline]
fn inline_word(a: u64, b: u64, n: usize, buf: &mut [u8; INLINE]) -> &[u8] {
    buf[..8].copy_from_slice(&a.to_le_bytes());
    buf[8..].copy_from_slice(&b.to_le_bytes());
    &buf[..n]
}

#[inline(always)]
fn fold(x: u64, y: u64) -> u64 {
    let p = u128::from(x).wrapping_mul(u128::from(y));
    (p as u64) ^ ((p >> 64) as u64)
}

#[inline(always)]
fn inline_hash(a: u64, b: u64, n: usize) -> u64 {
    fold(a ^ SEED_A, b ^ SEED_B ^ ((n as u64) << 56))
}

pub struct CountTable {
    slots: HashTable<Slot>,
    arena: Vec<u8>,
    /// Sum of the lengths of the words held.
    word_bytes: usize,
    long_hasher: ahash::RandomState,
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
            arena: Vec::new(),
            word_bytes: 0,
            long_hasher: ahash::RandomState::with_seeds(
                0xa409_3822_299f_31d0,
                0x082e_fa98_ec4e_6c89,
                0x4528_21e6_38d0_1377,
                0xbe54_66cf_34e9_0c6c,
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

    /// Heap bytes the table holds: slots (with hashbrown's control bytes and its 7/8 load) and
    /// the arena. What the memory budget is checked against.
    pub fn memory_bytes(&self) -> usize {
        self.slots.capacity() * (std::mem::size_of::<Slot>() + 1) * 8 / 7 + self.arena.capacity()
    }

    /// Bytes held by the words (inline words count their length).
    pub fn word_bytes(&self) -> usize {
        self.word_bytes
    }

    /// Counts one occurrence of `word`: the map side's hot path. It cannot overflow in practice
    /// (it would take 2^64 tokens), so it does not check.
    #[inline]
    pub fn add_one(&mut self, word: &[u8]) {
        let slot = self.slot_mut(word);
        slot.count = slot.count.wrapping_add(1);
    }

    /// [`add_one`](Self::add_one) for a token from a tokenizer, using its window when it has one.
    #[inline]
    pub fn add_token(&mut self, token: Token<'_>) {
        let n = token.len();
        let slot = match token.window() {
            Some(window) if n <= INLINE => self.inline_slot_mut(window_key(window, n), n),
            _ => self.slot_mut(&token),
        };
        slot.count = slot.count.wrapping_add(1);
    }

    /// Adds `n` occurrences of `word`, failing instead of wrapping.
    #[inline]
    pub fn add(&mut self, word: &[u8], n: u64) -> Result<(), CountOverflow> {
        let slot = self.slot_mut(word);
        slot.count = slot.count.checked_add(n).ok_or(CountOverflow)?;
        Ok(())
    }

    #[inline(always)]
    fn slot_mut(&mut self, word: &[u8]) -> &mut Slot {
        let n = word.len();
        if n <= INLINE {
            return self.inline_slot_mut(inline_key(word), n);
        }
        self.long_slot_mut(word)
    }

    #[inline(always)]
    fn inline_slot_mut(&mut self, (a, b): (u64, u64), n: usize) -> &mut Slot {
        let hash = inline_hash(a, b, n);
        let len = n as u64;
        let arena = &self.arena;
        let rehash = |s: &Slot| slot_hash(s, arena, &self.long_hasher);
        match self.slots.entry(hash, |s| s.a == a && s.b == b && s.len == len, rehash) {
            Entry::Occupied(slot) => slot.into_mut(),
            Entry::Vacant(vacant) => {
                self.word_bytes += n;
                vacant.insert(Slot { a, b, len, count: 0 }).into_mut()
            }
        }
    }

    #[inline(never)]
    fn long_slot_mut(&mut self, word: &[u8]) -> &mut Slot {
        let hash = self.long_hasher.hash_one(word);
        let len = word.len() as u64;
        let arena = &self.arena;
        let eq = |s: &Slot| s.len == len && &arena[s.a as usize..][..word.len()] == word;
        let rehash = |s: &Slot| slot_hash(s, arena, &self.long_hasher);
        match self.slots.entry(hash, eq, rehash) {
            Entry::Occupied(slot) => slot.into_mut(),
            Entry::Vacant(vacant) => {
                let a = self.arena.len() as u64;
                self.arena.extend_from_slice(word);
                self.word_bytes += word.len();
                vacant.insert(Slot { a, b: 0, len, count: 0 }).into_mut()
            }
        }
    }

    /// Calls `f` with every `(word, count)` pair, in no particular order.
    pub fn for_each(&self, mut f: impl FnMut(&[u8], u64)) {
        let mut buf = [0u8; INLINE];
        for s in self.slots.iter() {
            f(slot_word(s, &self.arena, &mut buf), s.count);
        }
    }

    /// Drains the table into one `Records` per partition (see [`crate::partition`]).
    pub fn into_partitions(self, by: Partitioner) -> Vec<Records> {
        let partitions = by.count();
        let per = self.slots.len() / partitions + 1;
        let bytes = self.word_bytes() / partitions + 1;
        let mut out: Vec<Records> = (0..partitions).map(|_| Records::with_capacity(per, bytes)).collect();
        self.for_each(|word, count| out[by.of(word)].push(word, count));
        out
    }

    /// All records in one list.
    pub fn into_records(self) -> Records {
        self.into_partitions(Partitioner::hash(1)).pop().expect("one partition")
    }
}

#[inline]
fn slot_word<'a>(s: &Slot, arena: &'a [u8], buf: &'a mut [u8; INLINE]) -> &'a [u8] {
    let n = s.len as usize;
    if n <= INLINE {
        inline_word(s.a, s.b, n, buf)
    } else {
        &arena[s.a as usize..][..n]
    }
}

fn slot_hash(s: &Slot, arena: &[u8], long_hasher: &ahash::RandomState) -> u64 {
    let n = s.len as usize;
    if n <= INLINE {
        inline_hash(s.a, s.b, n)
    } else {
        long_hasher.hash_one(&arena[s.a as usize..][..n])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn sorted(table: &CountTable) -> BTreeMap<Vec<u8>, u64> {
        let mut map = BTreeMap::new();
        table.for_each(|w, c| assert!(map.insert(w.to_vec(), c).is_none(), "duplicate {w:?}"));
        map
    }

    #[test]
    fn counts_repeated_words_once_each() {
        let mut t = CountTable::default();
        for w in ["a", "b", "a", "", "a", "bb", "b"] {
            t.add_one(w.as_bytes());
        }
        let want: BTreeMap<Vec<u8>, u64> =
            [("", 1), ("a", 3), ("b", 2), ("bb", 1)].iter().map(|(w, c)| (w.as_bytes().to_vec(), *c)).collect();
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
        let all = sorted(&t);
        assert_eq!(all.len(), 50_000);
        assert!(all.values().all(|&c| c == 6));
    }

    #[test]
    fn words_of_every_length_round_trip_through_their_slots() {
        let mut t = CountTable::default();
        let mut want = BTreeMap::new();
        // Lengths 0..=40 cross every inline form and the arena; pairs differ in one byte only.
        for len in 0..=40usize {
            for pos in 0..len.max(1) {
                let mut w: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
                if len > 0 {
                    w[pos] = b'#';
                }
                t.add_one(&w);
                *want.entry(w).or_insert(0) += 1;
            }
        }
        assert_eq!(sorted(&t), want);
    }

    #[test]
    fn a_word_with_a_window_and_without_is_one_entry() {
        // Each slice is counted once through its window (the bytes after it are not zero) and
        // once as a bare slice, which takes the branchy key path. The text's bytes are all
        // different, so every non-empty slice is a different word.
        let text: Vec<u8> = (0..48u8).map(|i| b'!' + i).collect();
        let mut t = CountTable::default();
        let mut distinct = std::collections::BTreeSet::new();
        for start in 0..8 {
            for end in start..=start + 24 {
                let token = Token::at(&text, start, end);
                assert!(token.window().is_some());
                t.add_token(token);
                t.add_one(&text[start..end]);
                distinct.insert(&text[start..end]);
            }
        }
        assert_eq!(t.len(), distinct.len(), "a key differs between the two paths");
        for (w, c) in sorted(&t) {
            assert_eq!(c, if w.is_empty() { 16 } else { 2 }, "{w:?}");
        }
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
        let parts = t.into_partitions(Partitioner::hash(5));
        assert_eq!(parts.iter().map(Records::len).sum::<usize>(), 1000);
        for (p, records) in parts.iter().enumerate() {
            for (w, _) in records.iter() {
                assert_eq!(crate::partition::partition_of(w, 5), p);
            }
        }
    }
}
