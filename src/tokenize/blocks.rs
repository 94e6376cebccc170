//! Bitmask scanning: the tokenizers' fast path.
//!
//! Text is classified 64 bytes at a time into bitmasks (bit `k` describes byte `k` of the
//! block): ASCII whitespace, ASCII word characters, apostrophes, capitals, and bytes >= 0x80.
//! A tokenizer turns those into a *member* mask (which bytes belong to words) and
//! [`for_each_run`] emits each maximal run of member bytes, with whether it holds capitals or
//! non-ASCII bytes, so case mapping knows when it can return the word untouched.
//!
//! ```text
//!  bytes   T h e ␠ e n d . ␠ ...
//!  member  1 1 1 0 1 1 1 0 0        runs: [0,3) [4,7)   (whitespace tokenizer: member = !space)
//!  upper   1 0 0 0 0 0 0 0 0        run [0,3) has a capital
//! ```
//!
//! On x86_64 the classification uses SSE2 (part of the x86_64 baseline, so no runtime
//! detection); elsewhere a table lookup per byte builds the same masks.

use crate::tokenize::{class, Lowered, Token, WordMapper, LOWERED_MAX};

/// The masks of one 64-byte block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Block {
    pub space: u64,
    pub word: u64,
    pub apostrophe: u64,
    pub upper: u64,
    pub high: u64,
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn classify(bytes: &[u8; 64]) -> Block {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is part of the x86_64 baseline; loads are unaligned loads of 16 bytes
    // within `bytes`, which is 64 bytes long.
    unsafe {
        let splat = |b: u8| _mm_set1_epi8(b as i8);
        // `x - lo <= span` as unsigned bytes: min(x - lo, span) == x - lo.
        let in_range = |v: __m128i, lo: u8, span: u8| {
            let t = _mm_sub_epi8(v, splat(lo));
            _mm_cmpeq_epi8(_mm_min_epu8(t, splat(span)), t)
        };
        let mut block = Block::default();
        for i in 0..4 {
            let v = _mm_loadu_si128(bytes.as_ptr().add(16 * i) as *const __m128i);
            let space = _mm_or_si128(_mm_cmpeq_epi8(v, splat(b' ')), in_range(v, b'\t', 4));
            let upper = in_range(v, b'A', 25);
            let lower = in_range(_mm_or_si128(v, splat(0x20)), b'a', 25);
            let word = _mm_or_si128(_mm_or_si128(lower, in_range(v, b'0', 9)), _mm_cmpeq_epi8(v, splat(b'_')));
            let apostrophe = _mm_cmpeq_epi8(v, splat(b'\''));
            let shift = 16 * i as u32;
            let bits = |m: __m128i| u64::from(_mm_movemask_epi8(m) as u16) << shift;
            block.space |= bits(space);
            block.upper |= bits(upper);
            block.word |= bits(word);
            block.apostrophe |= bits(apostrophe);
            block.high |= bits(v);
        }
        block
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn classify(bytes: &[u8; 64]) -> Block {
    let mut block = Block::default();
    for (k, &b) in bytes.iter().enumerate() {
        let c = class::of(b);
        let bit = 1u64 << k;
        let set = |on: bool| if on { bit } else { 0 };
        block.space |= set(c & class::SPACE != 0);
        block.word |= set(c & class::WORD != 0);
        block.apostrophe |= set(c & class::APOSTROPHE != 0);
        block.upper |= set(c & class::UPPER != 0);
        block.high |= set(c & class::NON_ASCII != 0);
    }
    block
}

/// Bits `0..k` set (all 64 for `k >= 64`).
#[inline(always)]
fn below(k: u32) -> u64 {
    if k >= 64 {
        !0
    } else {
        (1u64 << k) - 1
    }
}

/// Classifies `text` block by block and calls `emit(start, end, flags)` for every maximal run
/// of bytes whose bit is set in `member(block, next)`, where `next` is the byte after the block
/// (if any) and `flags` holds [`class::UPPER`] and [`class::NON_ASCII`] when the run has such
/// bytes (always 0 without `FLAGS`: text already lowered and known to be ASCII needs no flags,
/// and computing them is a fifth of the scan's work). The last partial block is padded with
/// spaces, which no tokenizer takes into words.
#[inline(always)]
pub(crate) fn for_each_run<const FLAGS: bool>(
    text: &[u8],
    mut member: impl FnMut(&Block, Option<u8>) -> u64,
    mut emit: impl FnMut(usize, usize, u8),
) {
    let n = text.len();
    let mut pending: Option<usize> = None;
    let mut pending_flags = 0u8;
    let mut carry = 0u64;
    let mut base = 0;
    while base < n {
        let block = match text.get(base..base + 64) {
            Some(full) => classify(full.try_into().expect("64 bytes")),
            None => {
                let mut padded = [b' '; 64];
                padded[..n - base].copy_from_slice(&text[base..]);
                classify(&padded)
            }
        };
        let t = member(&block, text.get(base + 64).copied());
        let shifted = (t << 1) | carry;
        let mut starts = t & !shifted;
        let mut ends = !t & shifted;
        carry = t >> 63;
        let flag_of = |range: u64| {
            let mut f = 0;
            if block.upper & range != 0 {
                f |= class::UPPER;
            }
            if block.high & range != 0 {
                f |= class::NON_ASCII;
            }
            f
        };
        // A run still open from an earlier block ends at this block's first end (if any);
        // after it, starts and ends alternate, so each start pairs with the next end, and only
        // the block's last start may lack one (its run goes on into the next block).
        if let Some(start) = pending {
            if ends == 0 {
                if FLAGS {
                    pending_flags |= flag_of(!0);
                }
                base += 64;
                continue;
            }
            let e = ends.trailing_zeros();
            ends &= ends - 1;
            let flags = if FLAGS { pending_flags | flag_of(below(e)) } else { 0 };
            emit(start, base + e as usize, flags);
            pending = None;
            pending_flags = 0;
        }
        while starts != 0 {
            let s = starts.trailing_zeros();
            starts &= starts - 1;
            if ends == 0 {
                pending = Some(base + s as usize);
                if FLAGS {
                    pending_flags = flag_of(!below(s));
                }
                break;
            }
            let e = ends.trailing_zeros();
            ends &= ends - 1;
            let flags = if FLAGS { flag_of(below(e) & !below(s)) } else { 0 };
            emit(base + s as usize, base + e as usize, flags);
        }
        base += 64;
    }
    if let Some(start) = pending {
        emit(start, n, pending_flags);
    }
}

/// Emits the runs of the segment `text[pos..end]` (see [`for_each_run`]) as tokens after case
/// mapping. An all-ASCII segment (`ascii`) of at most [`LOWERED_MAX`] bytes takes no per-word
/// case work: it is lowered as a whole when the case rule lowers, and left as it is otherwise;
/// any other segment is mapped word by word, with the flags of each run.
#[inline(always)]
pub(crate) fn case_mapped_runs(
    text: &[u8],
    (pos, end): (usize, usize),
    ascii: bool,
    member: impl FnMut(&Block, Option<u8>) -> u64,
    case: &mut WordMapper,
    lowered: &mut Lowered,
    emit: &mut impl FnMut(Token<'_>),
) {
    let segment = &text[pos..end];
    let lowers = case.lowers_ascii();
    // The run callbacks are forced inline so that `emit` (which the caller may force inline,
    // see `MapWorker::map`) ends up in the scan loop rather than behind a call per word.
    if !ascii || (lowers && segment.len() > LOWERED_MAX) {
        for_each_run::<true>(
            segment,
            member,
            #[inline(always)]
            |s, e, flags| emit(case.apply(Token::at(text, pos + s, pos + e), flags)),
        );
    } else if lowers {
        let lowered = lowered.lower(segment);
        for_each_run::<false>(
            segment,
            member,
            #[inline(always)]
            |s, e, _| emit(Token::at(lowered, s, e)),
        );
    } else {
        for_each_run::<false>(
            segment,
            member,
            #[inline(always)]
            |s, e, _| emit(Token::at(text, pos + s, pos + e)),
        );
    }
}

/// The member mask of the `words` rule for an all-ASCII block: word characters, plus
/// apostrophes with a word character on both sides. `prev_word` is whether the byte before
/// the block is a word character; `next` is the byte after the block.
#[inline(always)]
pub(crate) fn ascii_words(block: &Block, prev_word: u64, next: Option<u8>) -> u64 {
    let next_word = next.is_some_and(|b| class::of(b) & class::WORD != 0) as u64;
    let left = (block.word << 1) | prev_word;
    let right = (block.word >> 1) | (next_word << 63);
    block.word | (block.apostrophe & left & right)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(text: &[u8]) -> Vec<(usize, usize, u8)> {
        let mut out = Vec::new();
        for_each_run::<true>(text, |b, _| !b.space, |s, e, f| out.push((s, e, f)));
        out
    }

    #[test]
    fn classify_matches_the_scalar_table() {
        let bytes: Vec<u8> = (0..=255u8).collect();
        for block in bytes.chunks(64) {
            let b = classify(block.try_into().unwrap());
            for (k, &byte) in block.iter().enumerate() {
                let c = class::of(byte);
                let bit = |m: u64| m >> k & 1 == 1;
                assert_eq!(bit(b.space), c & class::SPACE != 0, "space {byte:#x}");
                assert_eq!(bit(b.word), c & class::WORD != 0, "word {byte:#x}");
                assert_eq!(bit(b.apostrophe), c & class::APOSTROPHE != 0, "apostrophe {byte:#x}");
                assert_eq!(bit(b.upper), c & class::UPPER != 0, "upper {byte:#x}");
                assert_eq!(bit(b.high), c & class::NON_ASCII != 0, "high {byte:#x}");
            }
        }
    }

    #[test]
    fn runs_cross_block_edges_and_carry_flags() {
        let mut text = vec![b'a'; 70];
        text[3] = b' ';
        text[66] = b'Q';
        text[68] = b'\n';
        let flags_high = class::NON_ASCII;
        assert_eq!(runs(&text), vec![(0, 3, 0), (4, 68, class::UPPER), (69, 70, 0)]);
        let mut text = vec![b'x'; 130];
        text[1] = 0xc3;
        assert_eq!(runs(&text), vec![(0, 130, flags_high)]);
    }

    #[test]
    fn runs_without_flags_are_the_same_runs() {
        let text = b"The END.  of\tA\xc3\xa9 line\nZ";
        let mut plain = Vec::new();
        for_each_run::<false>(text, |b, _| !b.space, |s, e, f| plain.push((s, e, f)));
        let flagged: Vec<_> = runs(text).into_iter().map(|(s, e, _)| (s, e, 0)).collect();
        assert_eq!(plain, flagged);
    }

    proptest::proptest! {
        /// Runs of every length and position, across block edges, with and without flags,
        /// against a byte-by-byte scan.
        #[test]
        fn runs_match_a_byte_by_byte_scan(text in proptest::collection::vec(
            proptest::sample::select(vec![b' ', b'\n', b'a', b'z', b'A', 0xc3]), 0..400)) {
            let mut want = Vec::new();
            let mut k = 0;
            while k < text.len() {
                if text[k].is_ascii_whitespace() {
                    k += 1;
                    continue;
                }
                let start = k;
                let mut flags = 0;
                while k < text.len() && !text[k].is_ascii_whitespace() {
                    flags |= class::of(text[k]) & (class::UPPER | class::NON_ASCII);
                    k += 1;
                }
                want.push((start, k, flags));
            }
            proptest::prop_assert_eq!(runs(&text), want.clone());
            let mut plain = Vec::new();
            for_each_run::<false>(&text, |b, _| !b.space, |s, e, f| plain.push((s, e, f)));
            let unflagged: Vec<_> = want.iter().map(|&(s, e, _)| (s, e, 0)).collect();
            proptest::prop_assert_eq!(plain, unflagged);
        }
    }

    #[test]
    fn runs_of_empty_and_blank_text() {
        assert!(runs(b"").is_empty());
        assert!(runs(&[b' '; 200]).is_empty());
        assert_eq!(runs(&[b'z'; 64]), vec![(0, 64, 0)]);
        assert_eq!(runs(&[b'z'; 128]), vec![(0, 128, 0)]);
    }
}
