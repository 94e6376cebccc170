//! `--tokenizer unicode`: the word boundaries of Unicode's UAX #29 (as implemented by the
//! unicode-segmentation crate), keeping the segments that hold a letter or a number. UAX #29
//! puts each Han ideograph and each Hiragana character in a segment of its own, joins Katakana,
//! and keeps `can't`, `3.14` and `e.g` whole. Invalid UTF-8 bytes separate words. A newline
//! always ends a segment (rule WB3a), so `\n` is the chunk boundary.

use unicode_segmentation::UnicodeSegmentation;

use crate::tokenize::{class, is_letter_or_number, Token, Tokenizer, WordMapper};

#[derive(Debug, Clone)]
pub struct Unicode {
    case: WordMapper,
}

impl Unicode {
    pub fn with(mapper: WordMapper) -> Unicode {
        Unicode { case: mapper }
    }
}

impl Tokenizer for Unicode {
    #[inline]
    fn is_boundary(&self, b: u8) -> bool {
        b == b'\n'
    }

    fn tokenize<F: FnMut(Token<'_>)>(&mut self, text: &[u8], mut emit: F) {
        // Segments end at a newline or at a very long line's forced cuts (`split::MAX_RUN`),
        // the same points at which the splitter may cut.
        let mut pos = 0;
        while pos < text.len() {
            let end = crate::split::chunk_end(text, pos, 1 << 16, &|b| b == b'\n');
            self.tokenize_segment(&text[pos..end], &mut emit);
            pos = end;
        }
    }
}

impl Unicode {
    fn tokenize_segment<F: FnMut(Token<'_>)>(&mut self, text: &[u8], mut emit: F) {
        for chunk in text.utf8_chunks() {
            for segment in chunk.valid().split_word_bounds() {
                if segment.chars().any(is_letter_or_number) {
                    let flags = segment.bytes().fold(0, |f, b| f | class::of(b));
                    emit(self.case.apply(Token::new(segment.as_bytes()), flags));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenize::testing::{assert_boundaries_hold, words_of};
    use crate::tokenize::{Case, Normalize};

    fn unicode(text: &str) -> Vec<String> {
        words_of(&mut Unicode::with(WordMapper::new(Case::Lower, Normalize::None)), text.as_bytes())
    }

    #[test]
    fn uax29_keeps_contractions_and_numbers() {
        assert_eq!(unicode("Can't stop: 3.14, e.g. U.S.A!"), ["can't", "stop", "3.14", "e.g", "u.s.a"]);
    }

    #[test]
    fn han_is_one_character_per_segment() {
        assert_eq!(unicode("例如CPU、内存"), ["例", "如", "cpu", "内", "存"]);
        assert_eq!(unicode("カタカナ です"), ["カタカナ", "で", "す"]);
    }

    #[test]
    fn boundary_contract_holds() {
        assert_boundaries_hold(
            &mut Unicode::with(WordMapper::new(Case::Lower, Normalize::None)),
            "can't\nstop 3.14\n例如\n".as_bytes(),
        );
    }
}
