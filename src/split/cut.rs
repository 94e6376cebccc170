//! Where text may be cut: after a boundary byte of the job's tokenizer, or, inside a run with
//! none, at the forced cuts every [`MAX_RUN`] bytes. Every cutter (mapped chunks, stream pieces,
//! tokenizer segments, procs ranges, online carries) uses these functions, so the cut points
//! depend on the text alone.

/// The longest run of bytes without a boundary byte that is kept whole. A longer run (one
/// endless token: `/dev/zero` under `-t whitespace`, a VM image, a sparse file) is cut every
/// `MAX_RUN` bytes counted from its start, each cut moved back to a character start (at most 3
/// bytes), and each piece counts as a word. Every cutter (mapped chunks, stream pieces,
/// tokenizer segments, procs ranges) computes the same cut points from the text alone, so the
/// counts never depend on the chunk size or the runner; and no buffer ever holds more than
/// `MAX_RUN` bytes of one token beyond its chunk.
pub const MAX_RUN: usize = 1 << 20;

/// Where text may be cut. `hard` bytes end a run: a cut may follow any of them. A job whose
/// runs are longer than words (`--ngram` cuts at line ends only) also has `soft` bytes (the
/// tokenizer's boundaries): a forced cut inside a run moves back to just after the last of them,
/// so that it does not split a word. Any `Fn(u8) -> bool` is a rule whose soft bytes are its
/// hard ones (none inside a run).
pub trait Cut {
    fn hard(&self, b: u8) -> bool;
    fn soft(&self, b: u8) -> bool {
        self.hard(b)
    }
    /// Whether `soft` differs from `hard` (else a forced cut need not look for soft bytes).
    fn has_soft(&self) -> bool {
        false
    }
}

impl<F: Fn(u8) -> bool> Cut for F {
    #[inline]
    fn hard(&self, b: u8) -> bool {
        self(b)
    }
}

/// Where a mapped file in a splittable legacy encoding may be cut: after a line end, or, in a
/// line over 1 MiB, after ASCII whitespace. No trailing byte of those encodings is below 0x30
/// (see `crate::input::encoding`), so such a byte is always a character of its own.
pub struct LegacyCut;

impl Cut for LegacyCut {
    #[inline]
    fn hard(&self, b: u8) -> bool {
        b == b'\n'
    }

    fn soft(&self, b: u8) -> bool {
        matches!(b, b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r' | b' ')
    }

    fn has_soft(&self) -> bool {
        true
    }
}

/// The forced cut `MAX_RUN` bytes after `from` (a run's start or its previous cut), moved back
/// to just after the last soft byte after `from` if there is one, else to a character start;
/// `data.len()` when the run ends before it.
fn forced_cut(data: &[u8], from: usize, rule: &impl Cut) -> usize {
    let mut cut = from.saturating_add(MAX_RUN);
    if cut >= data.len() {
        return data.len();
    }
    if rule.has_soft() {
        if let Some(k) = data[from..cut].iter().rposition(|&b| rule.soft(b)) {
            return from + k + 1;
        }
    }
    for _ in 0..3 {
        if data[cut] & 0xc0 != 0x80 {
            break;
        }
        cut -= 1;
    }
    cut
}

/// Where a chunk starting at `start` ends: `start + size` moved forward to just after the next
/// boundary byte, or to the run's next forced cut (see [`MAX_RUN`]), or the end of `data`.
/// Always greater than `start` when `start < len`. `start` must itself be a cut point (the start
/// of the text, just after a boundary byte, or a forced cut). The tokenizers cut their scanning
/// segments with it too.
pub fn chunk_end(data: &[u8], start: usize, size: usize, rule: &impl Cut) -> usize {
    let is_boundary = |b: u8| rule.hard(b);
    let nominal = start.saturating_add(size.max(1));
    if nominal >= data.len() {
        return data.len();
    }
    // The last cut point before `nominal`: just after the last boundary byte (looked for within
    // one run's length first, which almost always finds it), else `start`; then forced cuts.
    let window = nominal.saturating_sub(MAX_RUN).max(start);
    let mut point = match data[window..nominal].iter().rposition(|&b| is_boundary(b)) {
        Some(k) => window + k + 1,
        None => data[start..window].iter().rposition(|&b| is_boundary(b)).map_or(start, |k| start + k + 1),
    };
    if point == nominal {
        return nominal;
    }
    let mut forced = forced_cut(data, point, rule);
    while forced < nominal {
        point = forced;
        forced = forced_cut(data, point, rule);
    }
    match data[nominal..forced].iter().position(|&b| is_boundary(b)) {
        Some(k) => nominal + k + 1,
        None => forced,
    }
}

/// Where the text of a growing buffer may be cut when it holds no boundary byte at all (it
/// starts at a cut point): its last forced cut that can be told from what was read, or 0.
pub fn last_forced_cut(buf: &[u8], rule: &impl Cut) -> usize {
    let mut cut = 0;
    // `forced_cut` looks at the byte at the cut, so only cuts before the end can be decided.
    while cut + MAX_RUN < buf.len() {
        cut = forced_cut(buf, cut, rule);
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::split::next_piece;

    fn space(b: u8) -> bool {
        b == b' ' || b == b'\n'
    }

    #[test]
    fn edge_moves_forward_past_a_word() {
        // "hello world": a nominal edge inside "hello" moves to just after the space.
        assert_eq!(chunk_end(b"hello world", 0, 2, &space), 6);
        // An edge right after the space stays.
        assert_eq!(chunk_end(b"hello world", 0, 6, &space), 6);
        // An edge on the space itself includes it.
        assert_eq!(chunk_end(b"hello world", 0, 5, &space), 6);
    }

    #[test]
    fn edge_never_cuts_a_multibyte_character() {
        let text = "ab 中文 cd".as_bytes();
        // Nominal edges inside 中 (bytes 3..6) move past the space after 文.
        for size in 4..=9 {
            assert_eq!(chunk_end(text, 0, size, &space), 10, "size {size}");
        }
    }

    /// Every end a cutter produces from `start` with chunks of `size`, walking the whole text.
    fn ends(data: &[u8], size: usize) -> Vec<usize> {
        let (mut pos, mut out) = (0, Vec::new());
        while pos < data.len() {
            pos = chunk_end(data, pos, size, &space);
            out.push(pos);
        }
        out
    }

    #[test]
    fn a_long_run_is_cut_every_max_run_at_the_same_points_for_every_size() {
        // "ab " then 2.5 MiB of three-byte characters, then " cd": MAX_RUN is 1 more than a
        // multiple of 3, so each cut falls on a character's second byte and moves back one.
        let mut data = b"ab ".to_vec();
        data.extend("中".repeat((5 << 19) / 3).as_bytes());
        data.extend(b" cd");
        let first = 3 + MAX_RUN - 1;
        let second = first + MAX_RUN - 1;
        assert_eq!((data[first], data[second]), (0xe4, 0xe4), "a character starts at each cut");
        let forced: Vec<usize> = vec![first, second];
        for size in [1, 2, 3, 1000, MAX_RUN - 1, MAX_RUN, MAX_RUN + 5, 3 * MAX_RUN] {
            let cuts = ends(&data, size);
            let inside: Vec<usize> =
                cuts.iter().copied().filter(|&c| c > 3 && c < data.len() && data[c - 1] != b' ').collect();
            // Every end inside the run is one of its cuts; chunks shorter than a run end at each.
            assert!(inside.iter().all(|c| forced.contains(c)), "size {size}: {inside:?}");
            if size < MAX_RUN {
                assert_eq!(inside, forced, "size {size}");
            }
        }
        // A stream read in any piece size cuts at the same points.
        for size in [1, 1000, 1 << 19, MAX_RUN + 1] {
            let mut reader: &[u8] = &data;
            let (mut carry, mut at, mut cuts) = (Vec::new(), 0, Vec::new());
            while let Some(piece) = next_piece(&mut reader, &mut carry, size, &space).unwrap() {
                at += piece.len();
                cuts.push(at);
            }
            assert!(cuts.contains(&first), "stream, size {size}: {cuts:?}");
            assert!(cuts.iter().all(|&c| c == first || c == second || c == data.len() || data[c - 1] == b' '));
        }
    }

    #[test]
    fn last_forced_cut_needs_the_byte_at_the_cut() {
        assert_eq!(last_forced_cut(&vec![b'x'; MAX_RUN], &space), 0);
        assert_eq!(last_forced_cut(&vec![b'x'; MAX_RUN + 1], &space), MAX_RUN);
        assert_eq!(last_forced_cut(&vec![b'x'; 2 * MAX_RUN + 1], &space), 2 * MAX_RUN);
    }

    #[test]
    fn chunk_larger_than_the_data_takes_it_all() {
        assert_eq!(chunk_end(b"abc def", 0, 100, &space), 7);
        assert_eq!(chunk_end(b"abcdef", 0, 2, &space), 6);
        assert_eq!(chunk_end(b"a b", 2, usize::MAX, &space), 3);
        // From inside the text, as the tokenizers cut their segments.
        let text = b"aaaa bbbb cccc";
        assert_eq!(chunk_end(text, 0, 3, &space), 5);
        assert_eq!(chunk_end(text, 0, 5, &space), 5);
        assert_eq!(chunk_end(text, 5, 1, &space), 10);
        assert_eq!(chunk_end(text, 10, 2, &space), 14);
        assert_eq!(chunk_end(text, 0, 100, &space), 14);
    }
}
