//! `--tokenizer whitespace`: a word is a maximal run of bytes that are not ASCII whitespace
//! (space, \t, \n, \v, \f, \r). Punctuation and invalid UTF-8 stay inside words, as in Hadoop's
//! WordCount and `tr -s ' ' '\n' | sort | uniq -c`. Every whitespace byte is a chunk boundary.

use crate::config::{Case, Normalize};
use crate::tokenize::{blocks, class, Tokenizer, WordMapper};

#[derive(Debug, Clone)]
pub struct Whitespace {
    case: WordMapper,
}

impl Whitespace {
    pub fn new(case: Case) -> Whitespace {
        Whitespace::with(WordMapper::new(case, Normalize::None))
    }

    pub fn with(mapper: WordMapper) -> Whitespace {
        Whitespace { case: mapper }
    }
}

impl Tokenizer for Whitespace {
    #[inline]
    fn is_boundary(&self, b: u8) -> bool {
        class::of(b) & class::SPACE != 0
    }

    #[inline]
    fn tokenize<F: FnMut(&[u8])>(&mut self, text: &[u8], mut emit: F) {
        let case = &mut self.case;
        blocks::for_each_run(
            text,
            |block, _| !block.space,
            |start, end, flags| emit(case.apply(&text[start..end], flags)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenize::testing::{assert_boundaries_hold, words_of};

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
    fn boundary_contract_holds() {
        let mut t = Whitespace::new(Case::Lower);
        assert_boundaries_hold(&mut t, "Hello, wörld\nfoo\tBAR  x\u{a0}y \u{4e2d}".as_bytes());
    }
}
