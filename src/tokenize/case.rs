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

use crate::tokenize::{class, Token, WINDOW};
use crate::tokenize::{Case, Normalize};

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

    /// The word after normalization and case mapping. `flags` is the OR of `class::of` over
    /// the word's bytes.
    #[inline]
    pub fn apply<'a>(&'a mut self, word: Token<'a>, flags: u8) -> Token<'a> {
        if flags & class::NON_ASCII == 0 {
            if self.case == Case::Keep || flags & class::UPPER == 0 {
                return word;
            }
            self.scratch.clear();
            self.scratch.extend_from_slice(&word);
            self.scratch.make_ascii_lowercase();
            return self.scratch_token();
        }
        if self.case == Case::Keep && self.normalize == Normalize::None {
            return word;
        }
        self.map_unicode(&word, self.case);
        self.scratch_token()
    }

    /// A whole word given on its own (a stopword, a vocabulary entry), mapped as the tokenizers
    /// map the words they cut, so that it compares equal to them.
    pub fn map_word(&mut self, word: &[u8]) -> Vec<u8> {
        let flags = word.iter().fold(0, |f, &b| f | class::TABLE[b as usize]);
        self.apply(Token::new(word), flags).to_vec()
    }

    /// For words of scripts without case (Han, kana, Thai...): normalization only.
    #[inline]
    pub fn apply_caseless<'a>(&'a mut self, word: Token<'a>) -> Token<'a> {
        if self.normalize == Normalize::None {
            return word;
        }
        self.map_unicode(&word, Case::Keep);
        self.scratch_token()
    }

    /// Whether ASCII capitals change (they do under `lower` and `fold`): tokenizers that scan
    /// ASCII text lower it up front, in `Lowered`, instead of word by word.
    #[inline]
    pub fn lowers_ascii(&self) -> bool {
        self.case != Case::Keep
    }

    /// The mapped word in the scratch buffer, padded so that it has a full window.
    fn scratch_token(&mut self) -> Token<'_> {
        let n = self.scratch.len();
        self.scratch.extend_from_slice(&[0; WINDOW]);
        Token::at(&self.scratch, 0, n)
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

/// ASCII text with its capitals lowered, for the tokenizers' bitmask paths: one pass over a
/// few kilobytes (which the compiler vectorizes) replaces a capital check and a copy per word.
/// The copy ends with [`WINDOW`] spaces, so every word in it has a full window, and spaces are
/// never part of a word. Segments are a few KiB unless one word is longer; past
/// [`LOWERED_MAX`] they are lowered word by word instead, so a huge word is not held twice.
pub(crate) const LOWERED_MAX: usize = 256 << 10;

#[derive(Debug, Clone, Default)]
pub(crate) struct Lowered {
    buf: Vec<u8>,
}

impl Lowered {
    /// `text` with A-Z lowered, followed by the padding; the words of the result are those of
    /// `text`, lowered, at the same offsets.
    #[inline]
    pub fn lower(&mut self, text: &[u8]) -> &[u8] {
        // Written once, not filled with spaces and then overwritten (the fill was a memset of
        // every segment: 4% of the instructions on English text).
        self.buf.clear();
        self.buf.reserve(text.len() + WINDOW);
        self.buf.extend(text.iter().map(|&b| b | (u8::from(b.wrapping_sub(b'A') < 26) << 5)));
        self.buf.extend_from_slice(&[b' '; WINDOW]);
        &self.buf
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
        String::from_utf8(m.apply(Token::new(word.as_bytes()), flags(word.as_bytes())).to_vec()).unwrap()
    }

    fn lower(word: &[u8]) -> Vec<u8> {
        WordMapper::new(Case::Lower, Normalize::None).apply(Token::new(word), flags(word)).to_vec()
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
    fn lowered_text_keeps_offsets_and_pads_with_spaces() {
        let mut l = Lowered::default();
        let all: Vec<u8> = (0..=255u8).collect();
        let got = l.lower(&all).to_vec();
        assert_eq!(got.len(), 256 + WINDOW);
        for (i, &b) in all.iter().enumerate() {
            assert_eq!(got[i], b.to_ascii_lowercase(), "byte {b:#x}");
        }
        assert!(got[256..].iter().all(|&b| b == b' '));
        assert_eq!(l.lower(b"AbC"), b"abc                ");
    }

    #[test]
    fn mapped_words_carry_a_full_window() {
        let mut m = WordMapper::new(Case::Lower, Normalize::None);
        let t = m.apply(Token::new(b"Hi"), class::UPPER);
        assert_eq!(&*t, b"hi");
        assert_eq!(t.window().map(|w| w.to_vec()), Some(b"hi\0\0\0\0\0\0\0\0\0\0\0\0\0\0".to_vec()));
    }

    #[test]
    fn invalid_bytes_are_kept_around_mapped_text() {
        assert_eq!(lower(b"AB\xffC\x80"), b"ab\xffc\x80");
    }

    #[test]
    fn keep_returns_the_word_unchanged() {
        let mut m = WordMapper::new(Case::Keep, Normalize::None);
        assert_eq!(&*m.apply(Token::new(b"MiXeD"), flags(b"MiXeD")), b"MiXeD");
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
        assert_eq!(&*m.apply_caseless(Token::new("ｶﾀｶﾅ".as_bytes())), "カタカナ".as_bytes());
        let mut m = WordMapper::new(Case::Lower, Normalize::None);
        assert_eq!(&*m.apply_caseless(Token::new("中文".as_bytes())), "中文".as_bytes());
    }
}
