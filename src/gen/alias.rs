//! Vose alias tables: drawing from a discrete distribution with one random number and one
//! or two table lookups.

/// Vose's alias table over weights: `sample` is one random number and one lookup.
pub(super) struct Alias {
    /// Per column: the threshold (out of 2^32) below which the column itself is chosen, and
    /// the alias chosen otherwise.
    pub(super) table: Vec<(u32, u32)>,
}

impl Alias {
    pub(super) fn new(weights: &[f64]) -> Alias {
        let n = weights.len();
        let total: f64 = weights.iter().sum();
        let mut scaled: Vec<f64> = weights.iter().map(|w| w * n as f64 / total).collect();
        let mut table = vec![(u32::MAX, 0u32); n];
        let (mut small, mut large): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| scaled[i] < 1.0);
        while let (Some(s), Some(&l)) = (small.pop(), large.last()) {
            table[s] = ((scaled[s] * 4_294_967_296.0).min(4_294_967_295.0) as u32, l as u32);
            scaled[l] -= 1.0 - scaled[s];
            if scaled[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        for i in large.into_iter().chain(small) {
            table[i] = (u32::MAX, i as u32);
        }
        Alias { table }
    }

    #[cfg(test)]
    pub(super) fn sample(&self, rng: &mut super::rng::Rng) -> usize {
        self.pick(rng.next())
    }

    /// The index the random number `r` picks.
    #[inline]
    pub(super) fn pick(&self, r: u64) -> usize {
        // Columns are fewer than 2^32, so a 64-bit multiply-shift picks one uniformly.
        let column = ((r >> 32) * self.table.len() as u64) >> 32;
        let (threshold, alias) = self.table[column as usize];
        // Without a branch: which one is taken is random, so a branch mispredicts often.
        let keep = u64::from((r as u32) < threshold).wrapping_neg();
        ((column & keep) | (u64::from(alias) & !keep)) as usize
    }
}
