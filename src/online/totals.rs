//! Running totals of online mode: the reduce side of every micro-batch.
//!
//! Each micro-batch arrives already mapped, combined and cut into partitions (one [`Records`]
//! list per partition, reduced); [`Totals::add`] merges partition `p` into the totals of
//! partition `p`, so partitions merge in parallel and never share a word.
//!
//! With a window, each partition also keeps the batches it merged as *panes*: the batches of
//! one pane-length of time (a 32nd of the window). When a pane falls out of the window its
//! counts are subtracted and words that reach zero are removed, so memory follows the window,
//! not the stream. Counts then cover the last window plus at most one pane.
//!
//! Time is a parameter of every call (a `Duration` since the start), never read here: the caller
//! owns the clock, and tests drive it by hand.
//!
//! ```text
//!  batch ─► [p0 records] ─► totals p0 ─┐   window: panes p0: [t0..t1) [t1..t2) ... newest
//!           [p1 records] ─► totals p1 ─┼─► top N       expired pane ─► subtract, drop zeros
//!           [pR records] ─► totals pR ─┘
//! ```

use std::collections::VecDeque;
use std::time::Duration;

use rayon::prelude::*;

use crate::records::Records;

type Map = hashbrown::HashMap<Box<[u8]>, u64, ahash::RandomState>;

/// The approximate heap cost of one entry besides its word: box, count, table slot.
const ENTRY_OVERHEAD: usize = 48;

/// Panes per window: the window slides in steps of 1/PANES of its length.
pub const PANES: u32 = 32;

#[derive(Default)]
struct Partition {
    counts: Map,
    /// `(pane number, batches merged during it)`, oldest first; empty without a window.
    panes: VecDeque<(u64, Vec<Records>)>,
    bytes: usize,
    tokens: u64,
}

impl Partition {
    fn add(&mut self, records: &Records) {
        for (word, count) in records.iter() {
            match self.counts.get_mut(word) {
                Some(c) => *c += count,
                None => {
                    self.bytes += word.len() + ENTRY_OVERHEAD;
                    self.counts.insert(word.into(), count);
                }
            }
            self.tokens += count;
        }
    }

    fn subtract(&mut self, records: &Records) {
        for (word, count) in records.iter() {
            if let Some(c) = self.counts.get_mut(word) {
                *c -= count;
                if *c == 0 {
                    self.counts.remove(word);
                    self.bytes -= word.len() + ENTRY_OVERHEAD;
                }
            }
            self.tokens -= count;
        }
    }

    fn pane_bytes(&self) -> usize {
        self.panes.iter().flat_map(|(_, batches)| batches).map(Records::memory_bytes).sum()
    }
}

/// The running totals, by partition.
pub struct Totals {
    partitions: Vec<Partition>,
    pane: Option<Duration>,
}

impl Totals {
    pub fn new(partitions: usize, window: Option<Duration>) -> Totals {
        let pane = window.map(|w| (w / PANES).max(Duration::from_millis(1)));
        Totals { partitions: (0..partitions).map(|_| Partition::default()).collect(), pane }
    }

    /// Merges one reduced batch (a list per partition) that arrived at `now`.
    pub fn add(&mut self, now: Duration, batch: Vec<Records>) {
        let pane = self.pane.map(|len| pane_number(now, len));
        self.partitions.par_iter_mut().zip(batch).for_each(|(part, records)| {
            part.add(&records);
            if let Some(pane) = pane {
                match part.panes.back_mut() {
                    Some((n, batches)) if *n == pane => batches.push(records),
                    _ => part.panes.push_back((pane, vec![records])),
                }
            }
        });
    }

    /// Releases the panes wholly older than the window ending at `now`.
    pub fn expire(&mut self, now: Duration) {
        let Some(len) = self.pane else { return };
        // Pane k covers [k*len, (k+1)*len); it has left the window once (k+1)*len <= now - window.
        let window = len * PANES;
        let Some(horizon) = now.checked_sub(window) else { return };
        let first_live = pane_number(horizon, len);
        self.partitions.par_iter_mut().for_each(|part| {
            while part.panes.front().is_some_and(|(n, _)| *n < first_live) {
                let (_, batches) = part.panes.pop_front().expect("checked");
                batches.iter().for_each(|r| part.subtract(r));
            }
            if part.counts.len() * 4 < part.counts.capacity() {
                part.counts.shrink_to_fit();
            }
        });
    }

    /// Words counted (in the window, with one).
    pub fn tokens(&self) -> u64 {
        self.partitions.iter().map(|p| p.tokens).sum()
    }

    pub fn distinct(&self) -> usize {
        self.partitions.iter().map(|p| p.counts.len()).sum()
    }

    /// Approximate heap bytes held, panes included.
    pub fn memory_bytes(&self) -> usize {
        self.partitions.iter().map(|p| p.bytes + p.pane_bytes()).sum()
    }

    /// The `n` most frequent words, count descending then word ascending (the output order).
    pub fn top(&self, n: usize) -> Vec<(Box<[u8]>, u64)> {
        let mut best: Vec<(&[u8], u64)> = self
            .partitions
            .par_iter()
            .flat_map_iter(|p| top_of(p.counts.iter().map(|(w, c)| (&w[..], *c)), n))
            .collect();
        best.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        best.truncate(n);
        best.into_iter().map(|(w, c)| (w.into(), c)).collect()
    }

    /// [`top`](Self::top) of what `shown` makes of the keys (summed when several keys show
    /// the same; left out when `shown` says `None`): for keys with a header.
    pub fn top_shown(&self, n: usize, shown: impl Fn(&[u8]) -> Option<Vec<u8>>) -> Vec<(Box<[u8]>, u64)> {
        let mut sums: std::collections::HashMap<Vec<u8>, u64> = Default::default();
        for (key, count) in self.partitions.iter().flat_map(|p| p.counts.iter()) {
            if let Some(s) = shown(key) {
                *sums.entry(s).or_default() += *count;
            }
        }
        let mut best = top_of(sums.iter().map(|(w, c)| (&w[..], *c)), n);
        best.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        best.into_iter().map(|(w, c)| (w.into(), c)).collect()
    }

    /// Moves out all but the `keep` most frequent words of each partition, as one list per
    /// partition (for spilling when the totals outgrow the memory budget).
    pub fn evict(&mut self, keep: usize) -> Vec<Records> {
        self.partitions
            .par_iter_mut()
            .map(|part| {
                let kept: Vec<Box<[u8]>> = top_of(part.counts.iter().map(|(w, c)| (&w[..], *c)), keep)
                    .into_iter()
                    .map(|(w, _)| w.into())
                    .collect();
                let mut out = Records::default();
                let mut stay = Map::default();
                for word in kept {
                    let count = part.counts.remove(&word).expect("kept word is present");
                    stay.insert(word, count);
                }
                for (word, count) in part.counts.drain() {
                    out.push(&word, count);
                }
                part.bytes = stay.keys().map(|w| w.len() + ENTRY_OVERHEAD).sum();
                part.counts = stay;
                out
            })
            .collect()
    }

    /// The totals as one list per partition, for the final output.
    pub fn into_records(self) -> Vec<Records> {
        self.partitions
            .into_iter()
            .map(|p| {
                let mut r = Records::with_capacity(p.counts.len());
                p.counts.iter().for_each(|(w, c)| r.push(w, *c));
                r
            })
            .collect()
    }
}

fn pane_number(t: Duration, len: Duration) -> u64 {
    (t.as_nanos() / len.as_nanos()) as u64
}

/// The `n` largest by count (ties: smaller word first), unordered.
fn top_of<'a>(entries: impl Iterator<Item = (&'a [u8], u64)>, n: usize) -> Vec<(&'a [u8], u64)> {
    let mut all: Vec<(&[u8], u64)> = entries.collect();
    if all.len() > n && n > 0 {
        all.select_nth_unstable_by(n - 1, |a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    }
    all.truncate(n);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(partitions: usize, words: &[(&str, u64)]) -> Vec<Records> {
        let mut out: Vec<Records> = (0..partitions).map(|_| Records::default()).collect();
        for (w, c) in words {
            out[crate::partition::partition_of(w.as_bytes(), partitions)].push(w.as_bytes(), *c);
        }
        out
    }

    fn top(t: &Totals) -> Vec<(String, u64)> {
        t.top(100).into_iter().map(|(w, c)| (String::from_utf8(w.into()).unwrap(), c)).collect()
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn batches_add_up_across_partitions() {
        let mut t = Totals::new(3, None);
        t.add(secs(0), batch(3, &[("a", 2), ("b", 1)]));
        t.add(secs(100), batch(3, &[("a", 1), ("c", 5)]));
        t.expire(secs(1000));
        assert_eq!(top(&t), [("c".into(), 5), ("a".into(), 3), ("b".into(), 1)]);
        assert_eq!((t.tokens(), t.distinct()), (9, 3));
        assert_eq!(t.top(1), [(b"c"[..].into(), 5)]);
    }

    #[test]
    fn a_window_forgets_what_left_it() {
        // A 32 s window: panes of 1 s. The clock is this test's, not the machine's.
        let mut t = Totals::new(2, Some(secs(32)));
        t.add(secs(0), batch(2, &[("old", 4), ("both", 1)]));
        t.add(secs(20), batch(2, &[("mid", 2), ("both", 1)]));
        t.add(secs(40), batch(2, &[("new", 1), ("both", 1)]));
        t.expire(secs(40));
        // Pane 0 ([0, 1)) left the window (8, 40]: "old" is gone, and so is one "both".
        assert_eq!(top(&t), [("both".into(), 2), ("mid".into(), 2), ("new".into(), 1)]);
        assert_eq!(t.tokens(), 5);
        t.expire(secs(52));
        assert_eq!(top(&t), [("both".into(), 2), ("mid".into(), 2), ("new".into(), 1)]);
        t.expire(secs(53));
        assert_eq!(top(&t), [("both".into(), 1), ("new".into(), 1)]);
        t.expire(secs(100));
        assert_eq!((t.tokens(), t.distinct()), (0, 0));
        assert_eq!(t.memory_bytes(), 0);
    }

    #[test]
    fn eviction_keeps_the_most_frequent_words() {
        let mut t = Totals::new(1, None);
        t.add(secs(0), batch(1, &[("a", 9), ("b", 5), ("c", 1), ("d", 1)]));
        let out = t.evict(2);
        let mut moved: Vec<_> = out[0].iter().map(|(w, c)| (w.to_vec(), c)).collect();
        moved.sort();
        assert_eq!(moved, [(b"c".to_vec(), 1), (b"d".to_vec(), 1)]);
        assert_eq!(top(&t), [("a".into(), 9), ("b".into(), 5)]);
    }
}
