//! What happens to a word once it is cut: Unicode normalization (`--normalize`), then case
//! mapping (`--case lower|fold|keep`).
//!
//! The tokenizers already know, from their byte scan, whether a word holds ASCII capitals or any
//! non-ASCII byte; [`WordMapper::apply`] uses those flags so that the common case, a word that is
//! already lowercase ASCII, is returned as the same slice with no copy (ASCII is unchanged by
//! every normalization form, and folding ASCII is lowercasing it). Other words are mapped into a
//! scratch buffer that lives as long as the worker, so nothing is allocated per token. Invalid
//! UTF-8 inside a word (only the whitespace tokenizer keeps such bytes) is copied as is.

use std::borrow::Cow;

use unicode_normalization::{is_nfc_quick, is_nfkc_quick, IsNormalized, UnicodeNormalization};

use crate::config::{Case, Normalize};
use crate::tokenize::class;

#[derive(Debug, Clone)]
pub struct WordMapper {
    case: Case,
    normalize: Normalize,
    scratch: Vec<u8>,
    chars: String,
}

impl WordMapper {
    pub fn new(case: Case, normalize: Normalize) -> WordMapper {
        WordMapper { case, normalize, scratch: Vec::with_capacity(64), chars: String::new() }
    }

    /// The word after normalization and case mapping. `flags` is the OR of [`class::of`] over
    /// the word's bytes.
    #[inline]
    pub fn apply<'a>(&'a mut self, word: &'a [u8], flags: u8) -> &'a [u8] {
        if flags & class::NON_ASCII == 0 {
            if self.case == Case::Keep || flags & class::UPPER == 0 {
                return word;
            }
            self.scratch.clear();
            self.scratch.extend_from_slice(word);
            self.scratch.make_ascii_lowercase();
            return &self.scratch;
        }
        if self.case == Case::Keep && self.normalize == Normalize::None {
            return word;
        }
        self.map_unicode(word, self.case);
        &self.scratch
    }

    /// For words of scripts without case (Han, kana, Thai...): normalization only.
    #[inline]
    pub fn apply_caseless<'a>(&'a mut self, word: &'a [u8]) -> &'a [u8] {
        if self.normalize == Normalize::None {
            return word;
        }
        self.map_unicode(word, Case::Keep);
        &self.scratch
    }

    #[cold]
    fn map_unicode(&mut self, word: &[u8], case: Case) {
        self.scratch.clear();
        for chunk in word.utf8_chunks() {
            let valid = self.normalized(chunk.valid());
            match case {
                Case::Keep => self.scratch.extend_from_slice(valid.as_bytes()),
                // Capital sigma lowercases by context (final ς vs σ); the std implementation
                // of `str::to_lowercase` knows the rule, the per-char mapping below does not.
                Case::Lower if valid.contains('\u{3a3}') => {
                    self.scratch.extend_from_slice(valid.to_lowercase().as_bytes())
                }
                Case::Lower => {
                    self.chars.clear();
                    self.chars.extend(valid.chars().flat_map(char::to_lowercase));
                    self.scratch.extend_from_slice(self.chars.as_bytes());
                }
                Case::Fold => {
                    let folded = icu_casemap::CaseMapper::new().fold_string(&valid);
                    self.scratch.extend_from_slice(folded.as_bytes());
                }
            }
            self.scratch.extend_from_slice(chunk.invalid());
        }
    }

    fn normalized<'a>(&self, text: &'a str) -> Cow<'a, str> {
        // The quick checks answer Yes for almost all real text, which then needs no copy.
        match self.normalize {
            Normalize::None => Cow::Borrowed(text),
            Normalize::Nfc if is_nfc_quick(text.chars()) == IsNormalized::Yes => Cow::Borrowed(text),
            Normalize::Nfkc if is_nfkc_quick(text.chars()) == IsNormalized::Yes => Cow::Borrowed(text),
            Normalize::Nfc => Cow::Owned(text.nfc().collect()),
            Normalize::Nfkc => Cow::Owned(text.nfkc().collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(word: &[u8]) -> u8 {
        word.iter().fold(0, |f, &b| f | class::of(b))
    }

    fn map(case: Case, normalize: Normalize, word: &str) -> String {
        let mut m = WordMapper::new(case, normalize);
        String::from_utf8(m.apply(word.as_bytes(), flags(word.as_bytes())).to_vec()).unwrap()
    }

    fn lower(word: &[u8]) -> Vec<u8> {
        WordMapper::new(Case::Lower, Normalize::None).apply(word, flags(word)).to_vec()
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
        let mut m = WordMapper::new(Case::Keep, Normalize::None);
        assert_eq!(m.apply(b"MiXeD", flags(b"MiXeD")), b"MiXeD");
    }

    #[test]
    fn fold_is_full_case_folding() {
        assert_eq!(map(Case::Fold, Normalize::None, "Straße"), "strasse");
        assert_eq!(map(Case::Fold, Normalize::None, "STRASSE"), "strasse");
        assert_eq!(map(Case::Fold, Normalize::None, "ΣΟΦΟΣ"), "σοφοσ");
        assert_eq!(map(Case::Lower, Normalize::None, "Straße"), "straße");
    }

    #[test]
    fn normalization_comes_before_case_mapping() {
        assert_eq!(map(Case::Lower, Normalize::Nfkc, "ＣＰＵ"), "cpu");
        assert_eq!(map(Case::Keep, Normalize::Nfkc, "ＣＰＵ"), "CPU");
        assert_eq!(map(Case::Keep, Normalize::Nfc, "ＣＰＵ"), "ＣＰＵ");
        assert_eq!(map(Case::Keep, Normalize::Nfc, "cafe\u{301}"), "café");
        assert_eq!(map(Case::Keep, Normalize::None, "cafe\u{301}"), "cafe\u{301}");
        assert_eq!(map(Case::Lower, Normalize::Nfkc, "ﬁne"), "fine");
    }

    #[test]
    fn caseless_words_are_only_normalized() {
        let mut m = WordMapper::new(Case::Lower, Normalize::Nfkc);
        assert_eq!(m.apply_caseless("ｶﾀｶﾅ".as_bytes()), "カタカナ".as_bytes());
        let mut m = WordMapper::new(Case::Lower, Normalize::None);
        assert_eq!(m.apply_caseless("中文".as_bytes()), "中文".as_bytes());
    }
}
