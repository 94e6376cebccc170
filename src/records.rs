//! Records: an owned list of `(word, count)` pairs whose words share one byte arena.
//!
//! This is the currency between stages: a combiner's table is drained into one `Records` per
//! partition, the shuffle hands each partition's lists to its reducer, and a reducer produces one
//! `Records` with unique words for the output stage. One arena per list keeps millions of words
//! in a few allocations and makes dropping a partition cheap.

/// A list of `(word, count)` records.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Records {
    arena: Vec<u8>,
    items: Vec<Item>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Item {
    off: usize,
    len: usize,
    count: u64,
}

impl Records {
    pub fn with_capacity(records: usize, bytes: usize) -> Records {
        Records { arena: Vec::with_capacity(bytes), items: Vec::with_capacity(records) }
    }

    pub fn push(&mut self, word: &[u8], count: u64) {
        self.items.push(Item { off: self.arena.len(), len: word.len(), count });
        self.arena.extend_from_slice(word);
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Heap bytes held (words and record entries).
    pub fn memory_bytes(&self) -> usize {
        self.arena.capacity() + self.items.capacity() * std::mem::size_of::<Item>()
    }

    /// Bytes held by the words.
    pub fn word_bytes(&self) -> usize {
        self.arena.len()
    }

    /// The records ordered by word bytes (for sorted runs).
    pub fn sorted_by_word(&self) -> Vec<(&[u8], u64)> {
        let mut v: Vec<(&[u8], u64)> = self.iter().collect();
        v.sort_unstable_by(|a, b| a.0.cmp(b.0));
        v
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&[u8], u64)> + '_ {
        self.items.iter().map(|it| (&self.arena[it.off..it.off + it.len], it.count))
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
        let got: Vec<_> = r.iter().map(|(w, c)| (w.to_vec(), c)).collect();
        assert_eq!(got, vec![(b"b".to_vec(), 2), (vec![], 1), ("中".as_bytes().to_vec(), 3)]);
        assert_eq!(r.word_bytes(), 4);
    }
}
