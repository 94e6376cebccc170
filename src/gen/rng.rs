//! The generator's randomness and math, defined here so every platform agrees bit for bit:
//! wyrand, and `ln`/`exp` from basic IEEE arithmetic (not the platform's libm).

/// wyrand: small, fast, and good enough for text; defined here so every platform agrees.
#[derive(Debug, Clone)]
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn new(seed: u64, stream: u64) -> Rng {
        let mut r = Rng(seed ^ stream.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        r.next();
        r
    }

    #[inline]
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(Self::STEP);
        Self::output(self.0)
    }

    const STEP: u64 = 0xa076_1d64_78bd_642f;

    #[inline]
    pub(super) fn output(state: u64) -> u64 {
        let t = u128::from(state).wrapping_mul(u128::from(state ^ 0xe703_7ed1_a0b4_28db));
        (t as u64) ^ ((t >> 64) as u64)
    }

    /// What the `steps`-th call of `next` from now will return (the state only moves by a
    /// constant), without drawing it.
    #[inline]
    pub(super) fn peek(&self, steps: u64) -> u64 {
        Self::output(self.0.wrapping_add(steps.wrapping_mul(Self::STEP)))
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; the tiny bias is irrelevant here).
    #[inline]
    pub(super) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    pub(super) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i as u64 + 1) as usize);
        }
    }
}

/// Natural logarithm from basic IEEE operations only (deterministic everywhere).
pub(super) fn det_ln(x: f64) -> f64 {
    debug_assert!(x > 0.0);
    // x = m * 2^e with m in [1, 2); ln x = e ln 2 + 2 atanh((m - 1) / (m + 1)).
    let bits = x.to_bits();
    let e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let m = f64::from_bits((bits & ((1 << 52) - 1)) | (1023 << 52));
    let z = (m - 1.0) / (m + 1.0);
    let z2 = z * z;
    let (mut term, mut sum) = (z, 0.0);
    for k in 0..40 {
        sum += term / f64::from(2 * k + 1);
        term *= z2;
    }
    e as f64 * std::f64::consts::LN_2 + 2.0 * sum
}

/// `e^x` from basic IEEE operations only.
pub(super) fn det_exp(x: f64) -> f64 {
    // e^x = 2^k e^r with r in [-ln2/2, ln2/2].
    let k = (x / std::f64::consts::LN_2).round();
    let r = x - k * std::f64::consts::LN_2;
    let (mut term, mut sum) = (1.0, 1.0);
    for i in 1..30 {
        term *= r / f64::from(i);
        sum += term;
    }
    sum * f64::from_bits(((k as i64 + 1023) as u64) << 52)
}
