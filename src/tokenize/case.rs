//! Case mapping of one word at a time (`--case lower|keep`).
//!
//! The tokenizers already know, from their byte scan, whether a word holds ASCII capitals or any
//! non-ASCII byte; [`CaseMapper::apply`] uses those flags so that the common case, a word that is
//! already lowercase ASCII, is returned as the same slice with no copy. Other words are mapped
//! into a scratch buffer that lives as long as the worker, so nothing is allocated per token.
//! Invalid UTF-8 inside a word (only the whitespace tokenizer keeps such bytes) is copied as is.

use crate::config::Case;
use crate::tokenize::class;

#[derive(Debug, Clone)]
pub struct CaseMapper {
    case: Case,
    scratch: Vec<u8>,
    chars: String,
}

impl CaseMapper {
    pub fn new(case: Case) -> CaseMapper {
        CaseMapper { case, scratch: Vec::with_capacity(64), chars: String::new() }
    }

    /// The word after case mapping. `flags` is the OR of [`class::of`] over the word's bytes.
    #[inline]
    pub fn apply<'a>(&'a mut self, word: &'a [u8], flags: u8) -> &'a [u8] {
        if self.case == Case::Keep || flags & (class::UPPER | class::NON_ASCII) == 0 {
            return word;
        }
        self.scratch.clear();
        if flags & class::NON_ASCII == 0 {
            self.scratch.extend_from_slice(word);
            self.scratch.make_ascii_lowercase();
        } else {
            self.lower_unicode(word);
        }
        &self.scratch
    }

    #[cold]
    fn lower_unicode(&mut self, word: &[u8]) {
        for chunk in word.utf8_chunks() {
            let valid = chunk.valid();
            // Capital sigma lowercases by context (final ς vs σ); the std implementation of
            // `str::to_lowercase` knows the rule, the per-char mapping below does not.
            if valid.contains('\u{3a3}') {
                self.scratch.extend_from_slice(valid.to_lowercase().as_bytes());
            } else {
                self.chars.clear();
                self.chars.extend(valid.chars().flat_map(char::to_lowercase));
                self.scratch.extend_from_slice(self.chars.as_bytes());
            }
            self.scratch.extend_from_slice(chunk.invalid());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(word: &[u8]) -> u8 {
        word.iter().fold(0, |f, &b| f | class::of(b))
    }

    fn lower(word: &[u8]) -> Vec<u8> {
        CaseMapper::new(Case::Lower).apply(word, flags(word)).to_vec()
    }

    #[test]
    fn ascii_and_unicode_words_are_lowercased() {
        assert_eq!(lower(b"Hello"), b"hello");
        assert_eq!(lower(b"already"), b"already");
        assert_eq!(lower("ÉCOLE".as_bytes()), "école".as_bytes());
        assert_eq!(lower("ΣΟΦΟΣ".as_bytes()), "σοφος".as_bytes());
        assert_eq!(lower("İ".as_bytes()), "i\u{307}".as_bytes());
        assert_eq!(lower("中文".as_bytes()), "中文".as_bytes());
    }

    #[test]
    fn invalid_bytes_are_kept_around_mapped_text() {
        assert_eq!(lower(b"AB\xffC\x80"), b"ab\xffc\x80");
    }

    #[test]
    fn keep_returns_the_word_unchanged() {
        let mut m = CaseMapper::new(Case::Keep);
        assert_eq!(m.apply(b"MiXeD", flags(b"MiXeD")), b"MiXeD");
    }
}
