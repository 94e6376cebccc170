//! The memory budget (`--max-memory`) and how it is shared. Every memory rule of the engine is
//! derived here, and only here.
//!
//! The budget bounds what the job's tables and buffers hold; it does not count the text being
//! read (mapped files are the kernel's page cache) or the program itself.
//!
//! - **Map workers.** Each of the `W` map workers of a job, whoever drives them (threads, a
//!   procs worker process, online mode's mappers, `mrwc map`), gets `budget / W`. A worker spills
//!   its combining table when the table passes *half* of its share ([`Budget::spill_at`]),
//!   because spilling copies the table into sorted per-partition lists before writing them, so
//!   the peak is about the share itself. A spilled table is never smaller than [`MIN_SPILL`], so
//!   a tiny budget cannot write one file per record; [`floor`] is the smallest budget that
//!   allows it for `W` workers (128 KiB each, 1 MiB in all).
//!   Its tokenizer's cache (Chinese and Japanese segmentations, [`tokenizer_cache`]) counts
//!   with the table: at most an eighth of that half.
//! - **A procs worker process** is given its share ([`Budget::share`]) and treats it as a
//!   budget of one worker.
//! - **Online mode** gives half of the budget to the mappers' tables (shared as above) and half
//!   to the running totals ([`Budget::online`]); totals past their half keep their most
//!   frequent words and spill the rest.
//! - **The output stage**, when the result is on disk, sorts in buffers of half the budget
//!   ([`Budget::sort_buffer`]), at least [`MIN_SPILL`].
//! - **`mrwc reduce --unsorted`** is one worker: its table spills at [`Budget::spill_at`]`(1)`.
//!
//! ```text
//!   budget ─┬─ worker 0: table ≤ share/2 ─► spill (sorted copy ≤ share/2)
//!           ├─ ...                               share = budget / W
//!           └─ worker W-1
//!   online:  tables ≤ budget/2 (as above, W mappers), totals ≤ budget/2
//!   output:  sort buffer ≤ budget/2 (result on disk only)
//! ```

use crate::units::size_text;

/// The smallest table a map worker spills: whatever the budget, a spilled run holds at least
/// this much table data.
pub const MIN_SPILL: usize = 64 << 10;

/// The smallest `--max-memory` for `workers` map workers: each worker's share must hold a
/// [`MIN_SPILL`] table twice (a spill copies the table), and the whole at least 1 MiB.
pub fn floor(workers: usize) -> usize {
    (workers.max(1) * 2 * MIN_SPILL).max(1 << 20)
}

/// What a map worker's tokenizer may keep between calls (the segmentation cache of Chinese and
/// Japanese runs): an eighth of the worker's spill threshold, at most 8 MiB. It counts with the
/// worker's table against that threshold, and is emptied whole when full, so a spill always
/// leaves the worker below it.
pub fn tokenizer_cache(spill_at: usize) -> usize {
    (spill_at / 8).min(8 << 20)
}

/// A validated memory budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    bytes: usize,
    /// `--test-tiny-budget`: no floor, so that small test inputs spill.
    tiny: bool,
}

impl Budget {
    /// Checks `bytes` against [`floor`] for `workers` workers; `Err` is the reason, for a usage
    /// message. `tiny` (the hidden `--test-tiny-budget` flag) lifts the floor.
    pub fn new(bytes: usize, workers: usize, tiny: bool) -> Result<Budget, String> {
        let least = floor(workers);
        if bytes == 0 || (!tiny && bytes < least) {
            return Err(format!(
                "must be at least {} ({}K per worker, at least 1M: the smallest table a worker spills is {}K)",
                size_text(least),
                (2 * MIN_SPILL) >> 10,
                MIN_SPILL >> 10
            ));
        }
        Ok(Budget { bytes, tiny })
    }

    /// The default: half of the physical memory (1 GiB if it cannot be read), at least
    /// [`floor`].
    pub fn default_for(workers: usize) -> Budget {
        // SAFETY: sysconf has no preconditions; it returns -1 for unknown names.
        let (pages, size) = unsafe { (libc::sysconf(libc::_SC_PHYS_PAGES), libc::sysconf(libc::_SC_PAGESIZE)) };
        let half = if pages > 0 && size > 0 { (pages as usize).saturating_mul(size as usize) / 2 } else { 1 << 30 };
        Budget { bytes: half.max(floor(workers)), tiny: false }
    }

    /// A share handed over by a coordinator that already checked the whole (a procs worker's
    /// `--max-memory`).
    pub fn given(bytes: usize, tiny: bool) -> Budget {
        Budget { bytes, tiny }
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn tiny(&self) -> bool {
        self.tiny
    }

    /// One worker's share among `workers`, as a budget of its own.
    pub fn share(&self, workers: usize) -> Budget {
        Budget { bytes: self.bytes / workers.max(1), tiny: self.tiny }
    }

    /// The table size at which one of `workers` map workers spills: half of its share, never
    /// below [`MIN_SPILL`] unless the floor was lifted.
    pub fn spill_at(&self, workers: usize) -> usize {
        let half_share = self.share(workers).bytes / 2;
        if self.tiny {
            half_share
        } else {
            half_share.max(MIN_SPILL)
        }
    }

    /// Online mode's split: the mappers' tables' budget, and the running totals' limit in bytes.
    pub fn online(&self) -> (Budget, usize) {
        (Budget { bytes: self.bytes / 2, tiny: self.tiny }, self.bytes / 2)
    }

    /// The output stage's sort buffer, when the result is on disk.
    pub fn sort_buffer(&self) -> usize {
        (self.bytes / 2).max(MIN_SPILL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_half_the_memory() {
        // SAFETY: sysconf has no preconditions.
        let (pages, size) = unsafe { (libc::sysconf(libc::_SC_PHYS_PAGES), libc::sysconf(libc::_SC_PAGESIZE)) };
        assert!(pages > 0 && size > 0, "this test needs the physical memory size");
        assert_eq!(Budget::default_for(1).bytes(), pages as usize * size as usize / 2);
    }

    #[test]
    fn the_floor_and_the_spill_threshold_hold_together() {
        for workers in [1, 2, 16, 4096] {
            let least = floor(workers);
            assert!(least >= 1 << 20);
            let at_floor = Budget::new(least, workers, false).unwrap();
            assert!(Budget::new(least - 1, workers, false).is_err());
            assert!(Budget::new(1, workers, true).is_ok());
            // At the floor, a worker spills a table of at least MIN_SPILL within its share.
            assert!(at_floor.spill_at(workers) >= MIN_SPILL);
            assert!(2 * at_floor.spill_at(workers) <= least / workers);
        }
        assert_eq!(Budget::given(300, true).spill_at(1), 150);
        assert!(Budget::new(0, 1, true).is_err());
    }

    #[test]
    fn shares_and_splits_stay_within_the_budget() {
        let b = Budget::new(64 << 20, 4, false).unwrap();
        assert_eq!(b.share(4).bytes(), 16 << 20);
        assert_eq!(b.share(4).spill_at(1), b.spill_at(4));
        let (tables, totals) = b.online();
        assert!(tables.bytes() + totals <= b.bytes());
        assert!(b.sort_buffer() <= b.bytes());
    }
}
