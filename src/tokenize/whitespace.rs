//! `--tokenizer whitespace`: a word is a maximal run of bytes that are not ASCII whitespace
//! (space, \t, \n, \v, \f, \r). Punctuation and invalid UTF-8 stay inside words, as in Hadoop's
//! WordCount and `tr -s ' ' '\n' | sort | uniq -c`. Every whitespace byte is a chunk boundary.
//!
//! Text is scanned in segments of a few kilobytes cut after whitespace. An ASCII segment is
//! lowered as a whole (when the case rule lowers) and its words are emitted with no per-word
//! case work; a segment with any byte >= 0x80 tracks, per word, whether it needs Unicode case
//! mapping.

use crate::split::chunk_end;
use crate::tokenize::{blocks, class, Lowered, Token, Tokenizer, WordMapper};
use crate::tokenize::{Case, Normalize};

#[derive(Debug, Clone)]
pub struct Whitespace {
    case: WordMapper,
    lowered: Lowered,
}

/// Segment size: the lowered copy stays in the L1 cache while it is scanned.
const SEGMENT: usize = 4096;

impl Whitespace {
    pub fn new(case: Case) -> Whitespace {
        Whitespace::with(WordMapper::new(case, Normalize::None))
    }

    pub fn with(mapper: WordMapper) -> Whitespace {
        Whitespace { case: mapper, lowered: Lowered::default() }
    }
}

impl Tokenizer for Whitespace {
    #[inline]
    fn is_boundary(&self, b: u8) -> bool {
        class::of(b) & class::SPACE != 0
    }

    #[inline]
    fn tokenize<F: FnMut(Token<'_>)>(&mut self, text: &[u8], mut emit: F) {
        let member = |block: &blocks::Block, _| !block.space;
        let mut pos = 0;
        while pos < text.len() {
            let end = chunk_end(text, pos, SEGMENT, &|b| self.is_boundary(b));
            let ascii = text[pos..end].is_ascii();
            blocks::case_mapped_runs(text, (pos, end), ascii, member, &mut self.case, &mut self.lowered, &mut emit);
            pos = end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenize::testing::{assert_boundaries_hold, words_of};
    use crate::tokenize::LOWERED_MAX;

    #[test]
    fn splits_on_ascii_whitespace_only() {
        let mut t = Whitespace::new(Case::Keep);
        let text = "a\tb\nc\r\nd\x0be\x0cf  g\u{a0}h, (i)";
        assert_eq!(words_of(&mut t, text.as_bytes()), ["a", "b", "c", "d", "e", "f", "g\u{a0}h,", "(i)"]);
    }

    #[test]
    fn lowercases_and_keeps_punctuation() {
        let mut t = Whitespace::new(Case::Lower);
        assert_eq!(words_of(&mut t, b"The END. the"), ["the", "end.", "the"]);
    }

    #[test]
    fn empty_and_blank_inputs_have_no_words() {
        let mut t = Whitespace::new(Case::Lower);
        assert!(words_of(&mut t, b"").is_empty());
        assert!(words_of(&mut t, b" \n\t\r ").is_empty());
    }

    #[test]
    fn invalid_utf8_stays_inside_words() {
        let mut t = Whitespace::new(Case::Lower);
        let mut got = Vec::new();
        t.tokenize(b"A\xff\xfeB c", |w| got.push(w.to_vec()));
        assert_eq!(got, vec![b"a\xff\xfeb".to_vec(), b"c".to_vec()]);
    }

    #[test]
    fn long_text_matches_a_naive_split_across_segments() {
        // Several segments, some all ASCII (lowered as a whole), some not (mapped word by word).
        let ascii = ["The", "END.", "x", "WORDS-and", "Q", "plain"];
        let mixed = ["Élan", "naïve", "ΣΟΦΟΣ", "a\u{a0}b", "The", "x"];
        let mut text = String::new();
        let mut seed = 7u32;
        for i in 0..6000 {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            // Stretches of 1,500 ASCII words, so that whole segments are ASCII.
            let pieces = if (i / 1500) % 2 == 0 { ascii } else { mixed };
            text.push_str(pieces[(seed >> 16) as usize % pieces.len()]);
            text.push_str([" ", "\n", "\t", "  "][(seed >> 8) as usize % 4]);
        }
        assert!(text.len() > 4 * SEGMENT);
        let want: Vec<String> = text.split_ascii_whitespace().map(str::to_lowercase).collect();
        assert_eq!(words_of(&mut Whitespace::new(Case::Lower), text.as_bytes()), want);
        let kept: Vec<String> = text.split_ascii_whitespace().map(String::from).collect();
        assert_eq!(words_of(&mut Whitespace::new(Case::Keep), text.as_bytes()), kept);
    }

    #[test]
    fn a_word_longer_than_a_lowered_segment_is_lowered_on_its_own() {
        let huge = format!("Ab{}c", "X".repeat(LOWERED_MAX));
        let text = format!("The {huge} END\nof it");
        let want = ["the".to_string(), huge.to_lowercase(), "end".into(), "of".into(), "it".into()];
        assert_eq!(words_of(&mut Whitespace::new(Case::Lower), text.as_bytes()), want);
    }

    #[test]
    fn boundary_contract_holds() {
        let mut t = Whitespace::new(Case::Lower);
        assert_boundaries_hold(&mut t, "Hello, wörld\nfoo\tBAR  x\u{a0}y \u{4e2d}".as_bytes());
    }
}
