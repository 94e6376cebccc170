//! Records: an owned list of `(word, count)` pairs, and `Slot`, the 24-byte form one record
//! takes both here and in the counting table.
//!
//! This is the currency between stages: a combiner's table is drained into one `Records` per
//! partition, the shuffle hands each partition's lists to its reducer, a reducer produces one
//! `Records` with unique words, and the output stage orders it in place.
//!
//! ```text
//!   Slot: │ word bytes 0..15 │ tag │ count: u64 │    tag = len + 1 (1..=16): the word is inline
//!         │ offset: u64 │ len: 56 bits │ tag │     │    tag = LONG: the word is in the arena
//!   tag = 0: an empty slot (the table's; a list holds none)
//! ```
//!
//! A word of up to 15 bytes lives in its record, so most words cost 24 bytes and no pointer;
//! longer words are appended to one arena per list. With 20 million distinct words the
//! records' size is the job's memory: the first version's items (offset, length, count) plus
//! the word in an arena took 33 bytes a word, and the output stage's sort added 64 more. A
//! slot is its own sort key ([`Records::sort`] compares two inline words as two integers), so
//! nothing is copied to sort, and a table turns into a list without copying its words
//! ([`crate::table::CountTable::into_records`]).

use std::cmp::Ordering;

/// The longest word a [`Slot`] holds inline.
pub(crate) const INLINE: usize = 15;

/// The tag of a word kept in the arena.
const LONG: u8 = 0xFF;

/// Lists are consumed from their end in steps of at least this many records, each step's memory
/// given back at once (see [`drain_back`]).
const DRAIN_STEP: usize = 1 << 16;

/// One record: the word's bytes (inline) or where they are (in an arena), its tag and its
/// count. The 16 key bytes are read as two little-endian words ([`Slot::a`], [`Slot::b`]),
/// which are the table's key: equal words, equal pair. Byte 15 is the tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, align(8))]
pub(crate) struct Slot {
    key: [u8; 16],
    pub(crate) count: u64,
}

pub(crate) const EMPTY: Slot = Slot { key: [0; 16], count: 0 };

impl Slot {
    /// A slot from its two key words (see [`inline_key`]) and a count.
    #[inline(always)]
    pub(crate) fn from_key(a: u64, b: u64, count: u64) -> Slot {
        let mut key = [0u8; 16];
        key[..8].copy_from_slice(&a.to_le_bytes());
        key[8..].copy_from_slice(&b.to_le_bytes());
        Slot { key, count }
    }

    /// The slot of a word kept at `offset` in an arena.
    pub(crate) fn long(offset: usize, len: usize, count: u64) -> Slot {
        debug_assert!(len > INLINE && (len as u64) < 1 << 56);
        Slot::from_key(offset as u64, len as u64 | u64::from(LONG) << 56, count)
    }

    #[inline(always)]
    pub(crate) fn a(&self) -> u64 {
        u64::from_le_bytes(self.key[..8].try_into().expect("8 bytes"))
    }

    #[inline(always)]
    pub(crate) fn b(&self) -> u64 {
        u64::from_le_bytes(self.key[8..].try_into().expect("8 bytes"))
    }

    #[inline(always)]
    pub(crate) fn is_empty(&self) -> bool {
        self.key[15] == 0
    }

    #[inline(always)]
    pub(crate) fn is_long(&self) -> bool {
        self.key[15] == LONG
    }

    /// The word's length.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        match self.key[15] {
            LONG => (self.b() & !(0xFF << 56)) as usize,
            tag => usize::from(tag) - 1,
        }
    }

    /// The word's bytes: in the slot, or in `arena` (the arena of the table or list that holds
    /// the slot).
    #[inline]
    pub(crate) fn word<'a>(&'a self, arena: &'a [u8]) -> &'a [u8] {
        match self.key[15] {
            LONG => &arena[self.a() as usize..][..self.len()],
            tag => &self.key[..usize::from(tag) - 1],
        }
    }

    /// Bytewise order of the words of two slots of one arena. Two inline words compare as their
    /// key words read big-endian: zero padding sorts a word before a longer one with the same
    /// bytes and the tag (length + 1) decides between them, as bytewise order does.
    #[inline(always)]
    pub(crate) fn cmp_words(&self, other: &Slot, arena: &[u8]) -> Ordering {
        if self.is_long() || other.is_long() {
            return self.cmp_long_words(other, arena);
        }
        u128::from_be_bytes(self.key).cmp(&u128::from_be_bytes(other.key))
    }

    #[cold]
    #[inline(never)]
    fn cmp_long_words(&self, other: &Slot, arena: &[u8]) -> Ordering {
        self.word(arena).cmp(other.word(arena))
    }
}

/// The key words of a word of at most [`INLINE`] bytes, without a window: overlapping loads,
/// shifted so that bytes past the word's end are zero, and the tag in the top byte.
#[inline(always)]
pub(crate) fn inline_key(w: &[u8]) -> (u64, u64) {
    let n = w.len();
    debug_assert!(n <= INLINE);
    let load8 = |s: &[u8]| u64::from_le_bytes(s[..8].try_into().expect("8 bytes"));
    let load4 = |s: &[u8]| u64::from(u32::from_le_bytes(s[..4].try_into().expect("4 bytes")));
    let (a, b) = match n {
        8..=15 => (load8(w), load8(&w[n - 8..]).checked_shr(8 * (16 - n) as u32).unwrap_or(0)),
        4..=7 => (load4(w) | (load4(&w[n - 4..]) >> (8 * (8 - n))) << 32, 0),
        1..=3 => (u64::from(w[0]) | u64::from(w[n / 2]) << (8 * (n / 2)) | u64::from(w[n - 1]) << (8 * (n - 1)), 0),
        _ => (0, 0),
    };
    (a, b | tag(n))
}

/// The tag of an inline word of `n` bytes, in place in the second key word.
#[inline(always)]
pub(crate) const fn tag(n: usize) -> u64 {
    (n as u64 + 1) << 56
}

/// Consumes `items` from its end, calling `f` on each, and gives the memory of what it has
/// consumed back every so often: a list or a table being moved into another is never alive whole
/// next to its copy (with 20 million distinct words, that pair was the job's peak). Large
/// blocks shrink in place (glibc's `realloc` of a mapped block is an `mremap`); a step is at
/// least a sixteenth of what is left, so that where `realloc` copies instead, the copies add up
/// to a few times the list, not to its square.
pub(crate) fn drain_back<T>(mut items: Vec<T>, mut f: impl FnMut(T)) {
    while !items.is_empty() {
        let keep = items.len().saturating_sub(DRAIN_STEP.max(items.len() / 16));
        items.drain(keep..).rev().for_each(&mut f);
        items.shrink_to(keep);
    }
}

/// Asks the CPU to bring the cache line at `at` in; only a hint, it never faults.
#[inline(always)]
pub(crate) fn prefetch<T>(at: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint: it reads nothing architecturally and cannot fault, and SSE
    // is part of every x86_64 target.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(at.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}

/// A list of `(word, count)` records.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Records {
    arena: Vec<u8>,
    items: Vec<Slot>,
}

impl Records {
    pub fn with_capacity(records: usize) -> Records {
        Records { arena: Vec::new(), items: Vec::with_capacity(records) }
    }

    /// A list of a table's occupied slots and its arena (see [`Slot`]).
    pub(crate) fn from_parts(items: Vec<Slot>, arena: Vec<u8>) -> Records {
        Records { arena, items }
    }

    pub fn push(&mut self, word: &[u8], count: u64) {
        let item = if word.len() <= INLINE {
            let (a, b) = inline_key(word);
            Slot::from_key(a, b, count)
        } else {
            self.arena.extend_from_slice(word);
            Slot::long(self.arena.len() - word.len(), word.len(), count)
        };
        self.items.push(item);
    }

    /// Appends the record of a slot of another table or list, whose long words are in `arena`:
    /// an inline word's slot is copied as it is.
    pub(crate) fn push_slot(&mut self, slot: Slot, arena: &[u8]) {
        if slot.is_long() {
            self.push(slot.word(arena), slot.count);
        } else {
            self.items.push(slot);
        }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Heap bytes held (records and the arena).
    pub fn memory_bytes(&self) -> usize {
        self.arena.capacity() + self.items.capacity() * std::mem::size_of::<Slot>()
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&[u8], u64)> + DoubleEndedIterator + '_ {
        self.items.iter().map(|it| (it.word(&self.arena), it.count))
    }

    /// The record at `i`.
    pub fn get(&self, i: usize) -> (&[u8], u64) {
        let it = &self.items[i];
        (it.word(&self.arena), it.count)
    }

    /// Asks the CPU for the bytes of record `i`'s word when it is in the arena (an inline word
    /// is in the record itself, read in order).
    #[inline]
    pub fn prefetch_long_word(&self, i: usize) {
        let it = &self.items[i];
        if it.is_long() {
            prefetch(it.word(&self.arena).as_ptr());
        }
    }

    /// Consumes the list from its end, giving its memory back as it goes (see `drain_back`).
    pub fn drain(self, mut f: impl FnMut(&[u8], u64)) {
        let arena = self.arena;
        drain_back(self.items, |it| f(it.word(&arena), it.count));
    }

    /// All records of `lists` in one list; each list's memory is given back as it is moved.
    pub fn concat(lists: Vec<Records>) -> Records {
        let mut lists = lists.into_iter();
        let Some(mut all) = lists.next() else { return Records::default() };
        for list in lists {
            all.items.reserve(list.len());
            list.drain(|word, count| all.push(word, count));
        }
        all
    }

    /// Calls `f` with every record's word and a handle on its count, until `f` fails.
    pub fn try_update<E>(&mut self, mut f: impl FnMut(&[u8], &mut u64) -> Result<(), E>) -> Result<(), E> {
        let arena = &self.arena;
        self.items.iter_mut().try_for_each(|it| {
            let mut count = it.count;
            f(it.word(arena), &mut count)?;
            it.count = count;
            Ok(())
        })
    }

    /// Keeps the records `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(&[u8], u64) -> bool) {
        let arena = &self.arena;
        self.items.retain(|it| keep(it.word(arena), it.count));
    }

    /// Orders the records in place, on rayon's threads when `parallel`. Records are moved, not
    /// keys: two inline words compare as integers (`Slot::cmp_words`).
    pub fn sort(&mut self, by: SortKey, parallel: bool) {
        use rayon::slice::ParallelSliceMut;
        let cmp = by.comparator(&self.arena);
        if parallel {
            self.items.par_sort_unstable_by(cmp);
        } else {
            self.items.sort_unstable_by(cmp);
        }
    }

    /// Keeps the `n` first records in `by`'s order (in no particular order).
    pub fn select_first(&mut self, n: usize, by: SortKey) {
        if n >= self.len() {
            return;
        }
        let cmp = by.comparator(&self.arena);
        if n == 0 {
            self.items.clear();
        } else {
            self.items.select_nth_unstable_by(n - 1, cmp);
            self.items.truncate(n);
        }
    }
}

/// An order of records: the output stage's `--sort count` and `--sort word`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// Count descending, ties by word bytes ascending.
    CountThenWord,
    /// Word bytes ascending.
    Word,
}

impl SortKey {
    /// This order on the slots of one list, whose long words are in `arena`.
    fn comparator(self, arena: &[u8]) -> impl Fn(&Slot, &Slot) -> Ordering + Sync + '_ {
        move |x, y| match self {
            SortKey::CountThenWord => y.count.cmp(&x.count).then_with(|| x.cmp_words(y, arena)),
            SortKey::Word => x.cmp_words(y, arena),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_and_iterate_in_order() {
        let mut r = Records::default();
        r.push(b"b", 2);
        r.push(b"", 1);
        r.push("中".as_bytes(), 3);
        r.push(b"a word of twenty bytes", 4);
        let got: Vec<_> = r.iter().map(|(w, c)| (w.to_vec(), c)).collect();
        let want = vec![
            (b"b".to_vec(), 2),
            (vec![], 1),
            ("中".as_bytes().to_vec(), 3),
            (b"a word of twenty bytes".to_vec(), 4),
        ];
        assert_eq!(got, want);
    }

    /// Words of every length up to two past [`INLINE`], with NUL and 0xFF bytes at their ends.
    fn awkward_words() -> Vec<Vec<u8>> {
        let mut words = Vec::new();
        for len in 0..=INLINE + 2 {
            for last in [0u8, 1, b'a', 0xFF] {
                let mut w = vec![b'a'; len];
                if let Some(end) = w.last_mut() {
                    *end = last;
                }
                words.push(w);
            }
        }
        words
    }

    #[test]
    fn sorting_slots_is_bytewise_order() {
        let words = awkward_words();
        let mut r = Records::default();
        for (i, w) in words.iter().enumerate().rev() {
            r.push(w, (i % 3) as u64);
        }
        let mut by_word = r.clone();
        by_word.sort(SortKey::Word, false);
        let mut want: Vec<(Vec<u8>, u64)> = r.iter().map(|(w, c)| (w.to_vec(), c)).collect();
        want.sort_by(|x, y| x.0.cmp(&y.0));
        want.dedup();
        let got: Vec<(Vec<u8>, u64)> = by_word.iter().map(|(w, c)| (w.to_vec(), c)).collect();
        assert_eq!(got.len(), want.len());
        for pair in got.windows(2) {
            assert!(pair[0].0 <= pair[1].0, "{:?} after {:?}", pair[1].0, pair[0].0);
        }
        let mut by_count = r.clone();
        by_count.sort(SortKey::CountThenWord, true);
        let mut want = got.clone();
        want.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
        let got: Vec<(Vec<u8>, u64)> = by_count.iter().map(|(w, c)| (w.to_vec(), c)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn sorting_slots_matches_full_comparison_on_random_words() {
        // Words from a small alphabet with zero bytes, up to 20 bytes (inline and long), under
        // count ranges from all equal to the full 64 bits: ties within and past the key words.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut words: Vec<Vec<u8>> =
            (0..3000).map(|_| (0..next() % 21).map(|_| b"\0ab"[(next() % 3) as usize]).collect()).collect();
        words.sort();
        words.dedup();
        for (lo, hi) in [(7, 7), (1, 200), (0, u64::MAX)] {
            let mut records = Records::default();
            for w in &words {
                records.push(w, if hi == lo { lo } else { lo + next() % (hi - lo) });
            }
            for parallel in [false, true] {
                let mut want: Vec<(Vec<u8>, u64)> = records.iter().map(|(w, c)| (w.to_vec(), c)).collect();
                let mut got = records.clone();
                got.sort(SortKey::CountThenWord, parallel);
                want.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
                assert_eq!(got.iter().map(|(w, c)| (w.to_vec(), c)).collect::<Vec<_>>(), want, "counts {lo}..{hi}");
                got.sort(SortKey::Word, parallel);
                want.sort();
                assert_eq!(got.iter().map(|(w, c)| (w.to_vec(), c)).collect::<Vec<_>>(), want, "counts {lo}..{hi}");
            }
        }
    }

    #[test]
    fn select_first_keeps_the_first_in_order() {
        let mut r = Records::default();
        for (i, w) in awkward_words().iter().enumerate() {
            r.push(w, (i % 5) as u64);
        }
        let mut all = r.clone();
        all.sort(SortKey::CountThenWord, false);
        for n in [0, 1, 7, r.len(), r.len() + 3] {
            let mut top = r.clone();
            top.select_first(n, SortKey::CountThenWord);
            top.sort(SortKey::CountThenWord, false);
            let want: Vec<_> = all.iter().take(n).collect();
            assert_eq!(top.iter().collect::<Vec<_>>(), want);
        }
    }

    #[test]
    fn drain_and_concat_keep_every_record() {
        let mut lists = Vec::new();
        for k in 0..3u64 {
            let mut r = Records::default();
            for i in 0..(DRAIN_STEP as u64 + 10) {
                r.push(format!("word number {i} of list {k}").as_bytes(), i);
            }
            lists.push(r);
        }
        let mut want: Vec<(Vec<u8>, u64)> = lists.iter().flat_map(|r| r.iter().map(|(w, c)| (w.to_vec(), c))).collect();
        let mut got: Vec<(Vec<u8>, u64)> = Records::concat(lists).iter().map(|(w, c)| (w.to_vec(), c)).collect();
        want.sort();
        got.sort();
        assert_eq!(got, want);
    }
}
