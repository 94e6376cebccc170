//! The counting hash table: the in-mapper combiner of a map task and the merge table of a reducer.
//!
//! ```text
//!   slots: Vec<Slot>, a power of two of them, open addressing with linear probing
//!   ┌──────────────────────────────────────┐
//!   │ a: u64 │ b: u64 (top byte: tag) │ count │   tag = len+1 <= 16: a, b hold the word's bytes
//!   └──────────────────────────────────────┘   tag = LONG: a is an offset into the arena
//!   tag = 0: an empty slot                       arena: Vec<u8> = long|words|back|to|back
//! ```
//!
//! A slot is a `Slot`, the 24-byte record of `records.rs`: most words are short, so a word of
//! up to 15 bytes lives in its slot as two little-endian words, bytes `0..8` in `a` and `8..15`
//! in `b`, zero past the word's end, with the length (plus one) in `b`'s top byte. The pair
//! determines the word, so comparing is two integer compares, with no pointer to chase and no
//! `memcmp` call, and the pair is the whole input of the hash (one folded 64x64->128-bit
//! multiply). A [`Token`] whose buffer has 16 bytes from the word's start gives the key as two
//! unaligned loads, a mask and a tag looked up by length, with no branch on the length; other
//! words are assembled with a few branches. Longer words are appended to one arena and hashed
//! with ahash. Every table draws its own seeds (see `fresh_seeds`): tables fill each other
//! in slot order. Looking up a word already present never allocates.
//!
//! Only the lookup costs: profiling the map phase on English text showed the table at two
//! thirds of the time, most of it in hashing and in `memcmp` on arena keys; with keys inline,
//! the mispredicted branches on word length were the next cost.
//!
//! The table is its own open-addressing array rather than a general hash map because a slot
//! holds its whole key: finding a word touches one cache line (hashbrown's control bytes were
//! a second), and the line's address is known from the hash alone, so
//! [`add_tokens`](CountTable::add_tokens) can ask for the lines of a batch of words before it
//! looks any of them up. With a vocabulary larger than the cache (n-grams: kjv's 149,000
//! distinct bigrams take 6 MB of slots) the lookups were waiting on memory for 70% of the map
//! phase; fetching a batch at once overlaps those waits. The unigram path cannot hold a batch
//! of tokens (a tokenizer's token lives only as long as its callback), so once the slots pass
//! 4 MiB it holds the *keys* of the last 16 words instead, each counted 16 words after its slot
//! was asked for ([`add_token_ahead`](CountTable::add_token_ahead); a vocabulary of a million
//! words spent 80% of its map phase waiting on the first compare). Linear probing keeps a
//! word's neighbours in the same or the next line, and a word of up to 15 bytes found away from
//! its home slot trades places with the word there when it has been counted at least as often
//! (`CountTable::promote`): the frequent words end up found at the first compare, which
//! mispredicts less (callgrind's branch model, 4 MB of kjv: 153,000 -> 95,000 lookups that
//! went past their home slot). The table grows at 3/4 full, in place
//! (`CountTable::grow`), and hands its slots over as a list without copying them
//! ([`into_records`](CountTable::into_records)).

use crate::partition::Partitioner;
use crate::records::{drain_back, inline_key, prefetch, tag, Records, Slot, EMPTY, INLINE};
use crate::tokenize::{Token, WINDOW};

/// A count that would not fit in a `u64`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("count overflow: the total for one word exceeds 18446744073709551615")]
pub struct CountOverflow;

/// The fewest slots a table that holds anything has.
const MIN_SLOTS: usize = 16;
/// How many words ahead [`CountTable::add_tokens`] fetches slots: enough lookups in between to
/// cover a wait on memory, few enough that the lines fetched are still in the cache when used.
const AHEAD: usize = 32;

/// Slots past this many bytes no longer fit a core's share of the cache (1 MiB of L2 per core
/// and 32 MiB of L3 for two here): lookups wait on memory, and fetching slots ahead of their
/// lookups pays. Measured: with 2 MiB of slots (kjv x10 under `-t whitespace`) counting ahead
/// was 4% slower, with 16 MiB (`mrwc gen`'s default vocabulary) 14% faster, with 64 MiB 31%.
const LARGE: usize = 4 << 20;

/// How many words [`CountTable::add_token_ahead`] holds while their slots are fetched.
pub const AHEAD_TOKENS: usize = 16;

/// The words [`CountTable::add_token_ahead`] holds, as keys (hash and two key words).
#[derive(Debug, Default)]
pub struct Ahead {
    keys: [Option<(u64, u64, u64)>; AHEAD_TOKENS],
    next: usize,
}

#[inline(always)]
fn load8(s: &[u8]) -> u64 {
    u64::from_le_bytes(s[..8].try_into().expect("8 bytes"))
}

/// For each length up to [`INLINE`], the masks that keep a word's bytes in its two key words
/// and the tag that goes with them: one load instead of computing two shifted masks, which
/// callgrind counted at 15 instructions a token on English text.
const KEY_MASKS: [[u64; 3]; INLINE + 1] = {
    let mut masks = [[0u64; 3]; INLINE + 1];
    let mut n = 0;
    while n <= INLINE {
        masks[n] = [low_bytes(n), low_bytes(n.saturating_sub(8)), tag(n)];
        n += 1;
    }
    masks
};

/// The low `k` bytes of a word (all 8 for `k >= 8`).
#[inline(always)]
const fn low_bytes(k: usize) -> u64 {
    if k >= 8 {
        !0
    } else {
        !(!0u64 << (8 * k))
    }
}

/// The key words of a word of at most [`INLINE`] bytes, read from its window.
#[inline(always)]
fn window_key(window: &[u8; WINDOW], n: usize) -> (u64, u64) {
    let [low, high, tag] = KEY_MASKS[n];
    (load8(window) & low, load8(&window[8..]) & high | tag)
}

/// The key words of a token of at most [`INLINE`] bytes, by its window when it has one.
#[inline(always)]
fn token_key(token: &Token<'_>) -> (u64, u64) {
    match token.window() {
        Some(window) => window_key(window, token.len()),
        None => inline_key(token),
    }
}

#[inline(always)]
fn fold(x: u64, y: u64) -> u64 {
    let p = u128::from(x).wrapping_mul(u128::from(y));
    (p as u64) ^ ((p >> 64) as u64)
}

#[inline(always)]
fn inline_hash(seed: [u64; 2], a: u64, b: u64) -> u64 {
    fold(a ^ seed[0], b ^ seed[1])
}

/// Seeds for a new table's hashes, different for every table. A table filled in the order of
/// another's slots with the same hash (a reduce fed by `mrwc map`, whose output is in slot
/// order, or any part of it) gets words that were neighbours there into neighbouring homes,
/// which turns linear probing quadratic: 200,000 of `mrwc map`'s first output lines took `mrwc
/// part` 21 s to count with fixed seeds. The order of `--sort none` was never specified.
fn fresh_seeds() -> [u64; 6] {
    use std::hash::BuildHasher;
    let state = std::collections::hash_map::RandomState::new();
    std::array::from_fn(|i| state.hash_one(i) | 1)
}

pub struct CountTable {
    /// A power of two of slots (or none, before the first word).
    slots: Vec<Slot>,
    /// `64 - log2(slots.len())`: a hash's top bits pick its home slot.
    shift: u32,
    /// Occupied slots.
    used: usize,
    /// The most words the slots take (3/4 of them): one compare per lookup decides growth.
    grow_at: usize,
    arena: Vec<u8>,
    /// The short words' hash seeds (see `fresh_seeds`).
    seed: [u64; 2],
    long_hasher: ahash::RandomState,
}

impl Default for CountTable {
    fn default() -> Self {
        CountTable::with_capacity(0)
    }
}

impl CountTable {
    pub fn with_capacity(words: usize) -> CountTable {
        let seeds = fresh_seeds();
        let mut table = CountTable {
            slots: Vec::new(),
            shift: 64,
            used: 0,
            grow_at: 0,
            arena: Vec::new(),
            seed: [seeds[0], seeds[1]],
            long_hasher: ahash::RandomState::with_seeds(seeds[2], seeds[3], seeds[4], seeds[5]),
        };
        table.reserve(words);
        table
    }

    /// Distinct words held.
    pub fn len(&self) -> usize {
        self.used
    }

    pub fn is_empty(&self) -> bool {
        self.used == 0
    }

    /// Heap bytes the table holds: slots and the arena. What the memory budget is checked
    /// against.
    pub fn memory_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Slot>() + self.arena.capacity()
    }

    /// Counts one occurrence of `word`: the map side's hot path. It cannot overflow in practice
    /// (it would take 2^64 tokens), so it does not check.
    #[inline]
    pub fn add_one(&mut self, word: &[u8]) {
        let slot = self.slot_mut(word);
        slot.count = slot.count.wrapping_add(1);
    }

    /// [`add_one`](Self::add_one) for a token from a tokenizer, using its window when it has one.
    #[inline(always)]
    pub fn add_token(&mut self, token: Token<'_>) {
        let n = token.len();
        self.reserve(1);
        let slot = match token.window() {
            Some(window) if n <= INLINE => {
                let (a, b) = window_key(window, n);
                self.inline_slot(inline_hash(self.seed, a, b), a, b)
            }
            _ => self.slot_mut(&token),
        };
        slot.count = slot.count.wrapping_add(1);
    }

    /// Whether lookups are likely to wait on memory: the slots no longer fit a core's share of
    /// the cache, and [`add_token_ahead`](Self::add_token_ahead) pays off.
    #[inline]
    pub fn is_large(&self) -> bool {
        self.slots.len() * std::mem::size_of::<Slot>() > LARGE
    }

    /// [`add_token`](Self::add_token) one step behind the fetch of the word's slot: a word of up
    /// to `INLINE` (15) bytes is held, as its key, in `ahead` while its slot is fetched, and counted
    /// once [`AHEAD_TOKENS`] later words have been seen (or at [`flush`](Self::flush)). The key
    /// is the word, so nothing borrowed is kept; longer words are counted at once (counting is
    /// commutative). For the unigram path, whose tokens live only as long as the tokenizer's
    /// callback, where [`add_tokens`](Self::add_tokens) needs them all at once.
    #[inline]
    pub fn add_token_ahead(&mut self, token: Token<'_>, ahead: &mut Ahead) {
        if token.len() > INLINE {
            return self.add_token(token);
        }
        let (a, b) = token_key(&token);
        let hash = inline_hash(self.seed, a, b);
        if !self.slots.is_empty() {
            prefetch(&self.slots[self.home(hash)]);
        }
        let i = ahead.next % AHEAD_TOKENS;
        ahead.next += 1;
        if let Some((hash, a, b)) = ahead.keys[i].replace((hash, a, b)) {
            self.count_key(hash, a, b);
        }
    }

    /// Counts the words [`add_token_ahead`](Self::add_token_ahead) still holds.
    pub fn flush(&mut self, ahead: &mut Ahead) {
        for key in &mut ahead.keys {
            if let Some((hash, a, b)) = key.take() {
                self.count_key(hash, a, b);
            }
        }
        ahead.next = 0;
    }

    #[inline(always)]
    fn count_key(&mut self, hash: u64, a: u64, b: u64) {
        self.reserve(1);
        let slot = self.inline_slot(hash, a, b);
        slot.count = slot.count.wrapping_add(1);
    }

    /// [`add_token`](Self::add_token) for a run of tokens, looked up in batches whose slots are
    /// fetched from memory before the first of them is compared: for vocabularies larger than
    /// the cache.
    pub fn add_tokens(&mut self, tokens: &[Token<'_>]) {
        // No growth inside the run, so the lines fetched are the ones looked at.
        self.reserve(tokens.len());
        let seed = self.seed;
        let hashes: Vec<u64> = tokens
            .iter()
            .map(|token| {
                if token.len() <= INLINE {
                    let (a, b) = token_key(token);
                    inline_hash(seed, a, b)
                } else {
                    self.long_hasher.hash_one(&**token)
                }
            })
            .collect();
        for &hash in hashes.iter().take(AHEAD) {
            prefetch(&self.slots[self.home(hash)]);
        }
        for (i, (&hash, token)) in hashes.iter().zip(tokens).enumerate() {
            if let Some(&later) = hashes.get(i + AHEAD) {
                prefetch(&self.slots[self.home(later)]);
            }
            let slot = if token.len() <= INLINE {
                let (a, b) = token_key(token);
                self.inline_slot(hash, a, b)
            } else {
                self.long_slot(hash, token)
            };
            slot.count = slot.count.wrapping_add(1);
        }
    }

    /// Adds `n` occurrences of `word`, failing instead of wrapping.
    #[inline]
    pub fn add(&mut self, word: &[u8], n: u64) -> Result<(), CountOverflow> {
        let slot = self.slot_mut(word);
        slot.count = slot.count.checked_add(n).ok_or(CountOverflow)?;
        Ok(())
    }

    /// Makes room for `more` new words without growing on the way.
    #[inline(always)]
    fn reserve(&mut self, more: usize) {
        if self.used + more > self.grow_at {
            self.grow(self.used + more);
        }
    }

    /// Makes the table a power of two of slots that holds `words` at most 3/4 full, in place:
    /// the slots are reallocated (for a large table the kernel moves its pages, nothing is
    /// copied) and rehashed from the last cluster down, so the old slots are never alive next
    /// to the new ones. Copying into a new array had two tables' worth of slots alive at every
    /// growth: at 10 million words a worker's 384 MiB table and its 192 MiB predecessor, for each
    /// worker at about the same time.
    ///
    /// Doubling sends a word whose home was `h` to `2h` or `2h + 1`, so the words of a run of
    /// occupied slots that starts at `s` all go to `2s` or later. Taken from the last run down,
    /// every slot above the run being moved is final (moved, or empty for good), and the run's
    /// words are placed by probing only those and the run's own, now empty, slots. Within a run
    /// the words keep their order, which is the order they were first seen: words seen early
    /// are the frequent ones, and they stay nearest their homes. (Moving words one at a time
    /// from the last slot down reversed that order at every growth, and English ran 50% slower.)
    /// The words of the run at the start of the table (which may have wrapped around the end),
    /// and any whose probe would wrap, are set aside and placed last.
    #[cold]
    #[inline(never)]
    fn grow(&mut self, words: usize) {
        let size = (words * 4 / 3 + 1).next_power_of_two().max(MIN_SLOTS).max(self.slots.len() * 2);
        let old = self.slots.len();
        self.slots.reserve_exact(size - old);
        self.slots.resize(size, EMPTY);
        self.grow_at = size / 4 * 3;
        self.shift = 64 - size.trailing_zeros();
        let take = |slots: &mut [Slot], i: usize| std::mem::replace(&mut slots[i], EMPTY);
        let mut later = Vec::new();
        let mut first = 0;
        while first < old && !self.slots[first].is_empty() {
            later.push(take(&mut self.slots, first));
            first += 1;
        }
        let mut run = Vec::new();
        let mut end = old;
        while end > first {
            if self.slots[end - 1].is_empty() {
                end -= 1;
                continue;
            }
            let mut start = end - 1;
            while start > first && !self.slots[start - 1].is_empty() {
                start -= 1;
            }
            run.extend((start..end).map(|i| take(&mut self.slots, i)));
            for slot in run.drain(..) {
                let mut at = self.home(self.hash_of(&slot));
                while at < size && !self.slots[at].is_empty() {
                    at += 1;
                }
                match self.slots.get_mut(at) {
                    Some(free) => *free = slot,
                    None => later.push(slot),
                }
            }
            end = start;
        }
        for slot in later {
            let mut at = self.home(self.hash_of(&slot));
            while !self.slots[at].is_empty() {
                at = (at + 1) & (size - 1);
            }
            self.slots[at] = slot;
        }
    }

    fn hash_of(&self, s: &Slot) -> u64 {
        if s.is_long() {
            self.long_hasher.hash_one(s.word(&self.arena))
        } else {
            inline_hash(self.seed, s.a(), s.b())
        }
    }

    #[inline(always)]
    fn home(&self, hash: u64) -> usize {
        // A shift by 64 (no slots yet) is never asked for: every lookup reserves first.
        (hash >> self.shift) as usize
    }

    #[inline(always)]
    fn slot_mut(&mut self, word: &[u8]) -> &mut Slot {
        self.reserve(1);
        if word.len() <= INLINE {
            let (a, b) = inline_key(word);
            return self.inline_slot(inline_hash(self.seed, a, b), a, b);
        }
        self.long_slot(self.long_hasher.hash_one(word), word)
    }

    /// The slot of a short word, inserted with a zero count if new; room must be reserved.
    #[inline(always)]
    fn inline_slot(&mut self, hash: u64, a: u64, b: u64) -> &mut Slot {
        let mask = self.slots.len() - 1;
        let home = self.home(hash);
        let mut i = home;
        loop {
            let s = &self.slots[i];
            if s.a() == a && s.b() == b {
                if i != home {
                    return self.promote(home, i);
                }
                return &mut self.slots[i];
            }
            if s.is_empty() {
                self.used += 1;
                self.slots[i] = Slot::from_key(a, b, 0);
                return &mut self.slots[i];
            }
            i = (i + 1) & mask;
        }
    }

    /// The slot at `found`, a word found away from its home slot `home`, moved home first
    /// when it has been counted at least as often as the word there. Any two words may trade
    /// those places: every slot between either word's home and `found` is occupied, so both
    /// are still found by probing from their homes.
    #[inline(never)]
    fn promote(&mut self, home: usize, found: usize) -> &mut Slot {
        if self.slots[found].count >= self.slots[home].count {
            self.slots.swap(home, found);
            return &mut self.slots[home];
        }
        &mut self.slots[found]
    }

    /// The slot of a word longer than [`INLINE`]; room must be reserved.
    #[inline(never)]
    fn long_slot(&mut self, hash: u64, word: &[u8]) -> &mut Slot {
        let mask = self.slots.len() - 1;
        let b = Slot::long(0, word.len(), 0).b();
        let mut i = self.home(hash);
        loop {
            let s = &self.slots[i];
            if s.b() == b && s.word(&self.arena) == word {
                return &mut self.slots[i];
            }
            if s.is_empty() {
                self.arena.extend_from_slice(word);
                self.used += 1;
                self.slots[i] = Slot::long(self.arena.len() - word.len(), word.len(), 0);
                return &mut self.slots[i];
            }
            i = (i + 1) & mask;
        }
    }

    /// Takes `word` out of the table, returning its count. The words after it in its cluster
    /// move back into the hole (backward-shift deletion), so no lookup ever walks past a
    /// tombstone. A long word's bytes stay in the arena until the table is dropped.
    pub fn remove(&mut self, word: &[u8]) -> Option<u64> {
        let mut hole = self.find(word)?;
        let count = self.slots[hole].count;
        self.used -= 1;
        let mask = self.slots.len() - 1;
        let mut next = hole;
        loop {
            next = (next + 1) & mask;
            let s = self.slots[next];
            if s.is_empty() {
                break;
            }
            // The word at `next` may fill the hole unless its home lies after the hole (in
            // probing order) and at or before `next`: it would then be found no more.
            let home = self.home(self.hash_of(&s));
            let stays = if hole <= next { hole < home && home <= next } else { hole < home || home <= next };
            if !stays {
                self.slots[hole] = s;
                hole = next;
            }
        }
        self.slots[hole] = EMPTY;
        Some(count)
    }

    /// Where `word` is, if it is in the table.
    fn find(&self, word: &[u8]) -> Option<usize> {
        if self.used == 0 {
            return None;
        }
        let (hash, a, b) = if word.len() <= INLINE {
            let (a, b) = inline_key(word);
            (inline_hash(self.seed, a, b), a, b)
        } else {
            (self.long_hasher.hash_one(word), 0, Slot::long(0, word.len(), 0).b())
        };
        let mask = self.slots.len() - 1;
        let mut i = self.home(hash);
        loop {
            let s = &self.slots[i];
            if s.is_empty() {
                return None;
            }
            if s.b() == b && (if s.is_long() { s.word(&self.arena) == word } else { s.a() == a }) {
                return Some(i);
            }
            i = (i + 1) & mask;
        }
    }

    /// Calls `f` with every `(word, count)` pair, in no particular order.
    pub fn for_each(&self, mut f: impl FnMut(&[u8], u64)) {
        for s in self.slots.iter().filter(|s| !s.is_empty()) {
            f(s.word(&self.arena), s.count);
        }
    }

    /// Drains the table into one `Records` per partition (see [`crate::partition`]), giving
    /// the slots' memory back as they are moved (see `drain_back`). With one partition,
    /// nothing is moved ([`into_records`](Self::into_records)).
    pub fn into_partitions(self, by: Partitioner) -> Vec<Records> {
        let partitions = by.count();
        if partitions == 1 {
            return vec![self.into_records()];
        }
        // Room for an eighth more than an even share, so a list seldom regrows; with many partitions
        // of a small table (`-p 100000`) each list starts at one record.
        let per = self.used / partitions * 9 / 8 + 1;
        let mut out: Vec<Records> = (0..partitions).map(|_| Records::with_capacity(per)).collect();
        let arena = self.arena;
        drain_back(self.slots, |s| {
            if !s.is_empty() {
                out[by.of(s.word(&arena))].push_slot(s, &arena);
            }
        });
        out
    }

    /// All records in one list: the occupied slots moved down in place, the rest given back.
    pub fn into_records(self) -> Records {
        let mut slots = self.slots;
        slots.retain(|s| !s.is_empty());
        slots.shrink_to_fit();
        Records::from_parts(slots, self.arena)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// The longest run of occupied slots: what a lookup may have to walk.
    fn longest_cluster(table: &CountTable) -> usize {
        let (mut longest, mut run) = (0, 0);
        for slot in &table.slots {
            run = if slot.is_empty() { 0 } else { run + 1 };
            longest = longest.max(run);
        }
        longest
    }

    #[test]
    fn a_table_filled_in_another_tables_order_does_not_cluster() {
        // `mrwc map`'s output is in its table's slot order; a reducer that reads its first
        // lines gets words whose homes were neighbours. With one hash for both tables they
        // piled up in a few thousand slots (counting took minutes).
        let mut source = CountTable::default();
        for i in 0..200_000 {
            source.add_one(format!("w{i}").as_bytes());
        }
        let ordered = source.into_records();
        let mut sink = CountTable::default();
        for (word, count) in ordered.iter().take(20_000) {
            sink.add(word, count).unwrap();
        }
        assert!(longest_cluster(&sink) < 200, "a run of {} occupied slots", longest_cluster(&sink));
    }

    #[test]
    fn a_word_counted_more_often_moves_into_its_home_slot() {
        // Every word is first seen in the first round, in order, and counted (i % 40) + 1
        // times: how often a word is counted has nothing to do with when it took its slot, so
        // without promotion many frequent words would wait behind rarer ones in their clusters.
        let mut table = CountTable::default();
        let word = |i: usize| format!("w{i}");
        let mut want = BTreeMap::new();
        for round in 0..40 {
            for i in (0..3000).filter(|i| i % 40 >= round) {
                table.add_one(word(i).as_bytes());
                *want.entry(word(i).into_bytes()).or_insert(0) += 1;
            }
        }
        assert_eq!(sorted(&table), want);
        let mut away = 0;
        for (at, slot) in table.slots.iter().enumerate().filter(|(_, s)| !s.is_empty()) {
            let home = table.home(table.hash_of(slot));
            if home != at {
                away += 1;
                // The word at home may have been counted once more since this one last came by.
                assert!(slot.count <= table.slots[home].count + 1, "slot {at}: a word seen more often than its home's");
            }
        }
        assert!(away > 100, "only {away} words away from home: the test has no collisions to look at");
    }

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
    fn batched_tokens_count_as_one_at_a_time() {
        // Runs long enough to grow the table inside `add_tokens`, words of every form (inline
        // with and without a window, arena), each seen many times.
        let words: Vec<String> = (0..5000).map(|i| "x".repeat(i % 40) + &i.to_string()).collect();
        let text = words.join(" ") + &" ".repeat(WINDOW);
        let mut spans = Vec::new();
        let mut at = 0;
        for w in &words {
            spans.push((at, at + w.len()));
            at += w.len() + 1;
        }
        let (mut batched, mut single) = (CountTable::default(), CountTable::default());
        for round in 0..3 {
            for run in spans.chunks(700 + round * 300) {
                let tokens: Vec<Token> = run.iter().map(|&(s, e)| Token::at(text.as_bytes(), s, e)).collect();
                batched.add_tokens(&tokens);
                let bare: Vec<Token> = run.iter().map(|&(s, e)| Token::new(&text.as_bytes()[s..e])).collect();
                batched.add_tokens(&bare);
                for &(s, e) in run {
                    single.add_one(&text.as_bytes()[s..e]);
                    single.add_one(&text.as_bytes()[s..e]);
                }
            }
        }
        assert_eq!(batched.len(), 5000);
        assert_eq!(sorted(&batched), sorted(&single));
    }

    #[test]
    fn tokens_counted_ahead_count_as_one_at_a_time() {
        // From an empty table through growth and past `LARGE`, words of every form (inline with
        // and without a window, arena), flushed at uneven points with words still held.
        let words: Vec<String> =
            (0..200_000).map(|i| i % 150_000).map(|k| "y".repeat(k % 37) + &k.to_string()).collect();
        let text = words.join(" ") + &" ".repeat(WINDOW);
        let (mut ahead_table, mut single) = (CountTable::default(), CountTable::default());
        let mut ahead = Ahead::default();
        let mut at = 0;
        for (i, w) in words.iter().enumerate() {
            let token = if i % 3 == 0 {
                Token::new(&text.as_bytes()[at..at + w.len()])
            } else {
                Token::at(text.as_bytes(), at, at + w.len())
            };
            ahead_table.add_token_ahead(token, &mut ahead);
            single.add_one(w.as_bytes());
            if i % 1001 == 0 {
                ahead_table.flush(&mut ahead);
            }
            at += w.len() + 1;
        }
        ahead_table.flush(&mut ahead);
        assert!(ahead_table.is_large());
        assert_eq!(ahead_table.len(), 150_000);
        assert_eq!(sorted(&ahead_table), sorted(&single));
        assert!(ahead.keys.iter().all(Option::is_none));
    }

    #[test]
    fn removed_words_are_gone_and_the_rest_still_found() {
        // Enough words for long clusters, of every form, removed in an order unrelated to the
        // slots; every word left must still be found, with its count.
        let words: Vec<Vec<u8>> = (0..20_000u32)
            .map(|i| "z".repeat(i as usize % 23).into_bytes())
            .zip(0..)
            .map(|(mut w, i): (Vec<u8>, u32)| {
                w.extend_from_slice(i.to_string().as_bytes());
                w
            })
            .collect();
        let mut t = CountTable::default();
        let mut want = BTreeMap::new();
        for (i, w) in words.iter().enumerate() {
            t.add(w, i as u64 + 1).unwrap();
            want.insert(w.clone(), i as u64 + 1);
        }
        for (i, w) in words.iter().enumerate().filter(|(i, _)| i % 3 != 1) {
            assert_eq!(t.remove(w), Some(i as u64 + 1));
            assert_eq!(t.remove(w), None);
            want.remove(w);
        }
        assert_eq!(t.len(), want.len());
        assert_eq!(sorted(&t), want);
        for (w, c) in &want {
            assert_eq!(t.find(w).map(|i| t.slots[i].count), Some(*c), "{w:?}");
        }
        assert_eq!(t.remove(b"never counted"), None);
        assert_eq!(CountTable::default().remove(b"x"), None);
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
