//! Tokenizers: how the bytes of a chunk become words.
//!
//! Every tokenizer implements [`Tokenizer`]. The trait has two duties that must agree:
//! [`Tokenizer::is_boundary`] tells the splitter after which bytes a chunk may end, and
//! [`Tokenizer::tokenize`] must give the same words for `a ++ b` as for `a` then `b` whenever `a`
//! ends with such a byte. That contract is what lets chunks be map tasks without cutting words.
//!
//! Tokenizers are generic-dispatched (the map loop is monomorphized per tokenizer) because the
//! per-token call is the hottest path of the engine. Each worker owns its own instance, so a
//! tokenizer may keep scratch buffers (for case mapping) without locking.
//!
//! Adding a tokenizer touches this folder only: its file, its [`TokenizerKind`] variant and its
//! arm in `with_tokenizer!`.

mod blocks;
mod case;
mod mrjob;
pub(crate) mod segment;
mod spec;
mod unicode;
mod whitespace;
mod words;

pub use case::WordMapper;
pub(crate) use case::{Lowered, LOWERED_MAX};
pub use mrjob::Mrjob;
pub use segment::{read_user_dict, Lexicons, UserWord};
pub use spec::{Case, Han, Normalize, TokenizerSpec};
pub use unicode::Unicode;
pub use whitespace::Whitespace;
pub use words::Words;

/// The tokenizers, as `--tokenizer` names them. Adding one is a file here, a variant, and its
/// arm in `with_tokenizer!`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TokenizerKind {
    /// Runs of Unicode letters, marks, numbers and `_`, with inner apostrophes (don't); a change
    /// of script ends a word; Chinese, Japanese and Thai-like runs are segmented by dictionary.
    Words,
    /// Runs of bytes that are not ASCII whitespace, punctuation included.
    Whitespace,
    /// mrjob's word-count example: Python's `[\w']+` per line (UTF-8, else latin-1).
    Mrjob,
    /// Unicode UAX #29 word boundaries; segments holding a letter or number.
    Unicode,
}

/// Evaluates `$body` with `$tok` bound to the tokenizer a [`TokenizerSpec`] describes, reading
/// the dictionaries `$lexicons` (an `Arc<Lexicons>`). The body
/// is compiled once per tokenizer: the per-token path must not go through a vtable.
///
/// [`TokenizerSpec`]: crate::tokenize::TokenizerSpec
macro_rules! with_tokenizer {
    ($spec:expr, $lexicons:expr, |$tok:ident| $body:expr) => {{
        let spec: $crate::tokenize::TokenizerSpec = $spec;
        let mapper = $crate::tokenize::WordMapper::new(spec.case, spec.normalize);
        match spec.tokenizer {
            $crate::tokenize::TokenizerKind::Words => {
                let lexicons: std::sync::Arc<$crate::tokenize::Lexicons> = $lexicons;
                let $tok = $crate::tokenize::Words::segmenting(mapper, spec.han, lexicons);
                $body
            }
            $crate::tokenize::TokenizerKind::Whitespace => {
                let $tok = $crate::tokenize::Whitespace::with(mapper);
                $body
            }
            $crate::tokenize::TokenizerKind::Mrjob => {
                let $tok = $crate::tokenize::Mrjob::with(mapper);
                $body
            }
            $crate::tokenize::TokenizerKind::Unicode => {
                let $tok = $crate::tokenize::Unicode::with(mapper);
                $body
            }
        }
    }};
}
pub(crate) use with_tokenizer;

/// Cuts text into words.
pub trait Tokenizer: Clone + Send {
    /// True when a chunk may end right after byte `b`: no word ever contains it, and it never
    /// changes how the bytes around it are read.
    fn is_boundary(&self, b: u8) -> bool;

    /// Whether the words of a line depend on the whole line (`words` decides per line whether
    /// Han text is Japanese): then text may be cut at line ends only, or, in a line too long to
    /// keep whole, after a boundary byte (see [`crate::map::Boundary`]).
    fn needs_lines(&self) -> bool {
        false
    }

    /// Calls `emit` with each word of `text`, in order, after case mapping.
    fn tokenize<F: FnMut(Token<'_>)>(&mut self, text: &[u8], emit: F);

    /// Lets the tokenizer keep up to `bytes` of its own between calls (a cache of what it
    /// worked out); its map worker counts them as its memory.
    fn limit_cache(&mut self, _bytes: usize) {}

    /// The bytes the tokenizer keeps between calls.
    fn cache_bytes(&self) -> usize {
        0
    }
}

/// Bytes a [`Token`] may carry from its word's start: the longest word the counting table keeps
/// inline in its slot.
pub const WINDOW: usize = 16;

/// A word as a tokenizer hands it over, and derefs to: its bytes, plus, when the buffer the word
/// was cut from holds [`WINDOW`] bytes from the word's start, those bytes. With them the
/// counting table loads a short word's key as two fixed-size loads and a mask, with no branch on
/// the word's length (word lengths in text are random, so such branches mispredict).
#[derive(Debug, Clone, Copy)]
pub struct Token<'a> {
    word: &'a [u8],
    window: Option<&'a [u8; WINDOW]>,
}

impl<'a> Token<'a> {
    /// The word `text[start..end]`.
    #[inline(always)]
    pub fn at(text: &'a [u8], start: usize, end: usize) -> Token<'a> {
        let window = text.get(start..start + WINDOW).map(|w| w.try_into().expect("WINDOW bytes"));
        Token { word: &text[start..end], window }
    }

    /// A word cut from a buffer of its own.
    #[inline]
    pub fn new(word: &'a [u8]) -> Token<'a> {
        Token::at(word, 0, word.len())
    }

    /// The word's bytes followed by whatever follows it in its buffer, when there are enough.
    #[inline(always)]
    pub fn window(&self) -> Option<&'a [u8; WINDOW]> {
        self.window
    }
}

impl std::ops::Deref for Token<'_> {
    type Target = [u8];

    #[inline(always)]
    fn deref(&self) -> &[u8] {
        self.word
    }
}

/// Byte classes shared by the tokenizers' lookup table.
pub(crate) mod class {
    /// ASCII whitespace: space, \t, \n, \v, \f, \r.
    pub const SPACE: u8 = 1;
    /// ASCII A-Z.
    pub const UPPER: u8 = 2;
    /// Any byte >= 0x80 (part of a multi-byte character, or invalid).
    pub const NON_ASCII: u8 = 4;
    /// ASCII letters, digits and `_`.
    pub const WORD: u8 = 8;
    /// ASCII apostrophe.
    pub const APOSTROPHE: u8 = 16;

    pub static TABLE: [u8; 256] = {
        let mut t = [0u8; 256];
        let mut b = 0usize;
        while b < 256 {
            let c = b as u8;
            t[b] = match c {
                b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' => SPACE,
                b'A'..=b'Z' => WORD | UPPER,
                b'a'..=b'z' | b'0'..=b'9' | b'_' => WORD,
                b'\'' => APOSTROPHE,
                0x80..=0xff => NON_ASCII,
                _ => 0,
            };
            b += 1;
        }
        t
    };

    #[inline(always)]
    pub fn of(b: u8) -> u8 {
        TABLE[b as usize]
    }
}

/// What a character is to the tokenizers, from one look at its general category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A letter (L*) or a number (N*).
    LetterOrNumber,
    /// A combining mark (M*).
    Mark,
    Other,
}

#[inline]
pub(crate) fn kind_of(c: char) -> Kind {
    use unicode_general_category::{get_general_category, GeneralCategory as Gc};
    if c.is_ascii() {
        return if c.is_ascii_alphanumeric() { Kind::LetterOrNumber } else { Kind::Other };
    }
    // CJK ideographs and Hangul syllables are all letters; skip the category search for them.
    if matches!(c as u32, 0x4e00..=0x9fff | 0x3400..=0x4dbf | 0xac00..=0xd7a3) {
        return Kind::LetterOrNumber;
    }
    match get_general_category(c) {
        Gc::UppercaseLetter
        | Gc::LowercaseLetter
        | Gc::TitlecaseLetter
        | Gc::ModifierLetter
        | Gc::OtherLetter
        | Gc::DecimalNumber
        | Gc::LetterNumber
        | Gc::OtherNumber => Kind::LetterOrNumber,
        Gc::NonspacingMark | Gc::SpacingMark | Gc::EnclosingMark => Kind::Mark,
        _ => Kind::Other,
    }
}

/// Whether `c` is a letter (L*) or a number (N*): what makes a segment a word for the
/// segmenters and the `unicode` tokenizer, and Python's `\w` (with `_`) for `mrjob`.
#[inline]
pub(crate) fn is_letter_or_number(c: char) -> bool {
    kind_of(c) == Kind::LetterOrNumber
}

/// Decodes one UTF-8 character at the start of `s`, rejecting overlong forms, surrogates and
/// code points above U+10FFFF. `None` means the first byte is not the start of a valid
/// character; callers treat that one byte as a separator and resynchronize on the next.
#[inline]
pub(crate) fn decode_utf8(s: &[u8]) -> Option<(char, usize)> {
    let b0 = *s.first()?;
    let (len, min, mut cp) = match b0 {
        0x00..=0x7f => return Some((b0 as char, 1)),
        0xc2..=0xdf => (2, 0x80, u32::from(b0 & 0x1f)),
        0xe0..=0xef => (3, 0x800, u32::from(b0 & 0x0f)),
        0xf0..=0xf4 => (4, 0x10000, u32::from(b0 & 0x07)),
        _ => return None,
    };
    let tail = s.get(1..len)?;
    for &b in tail {
        if b & 0xc0 != 0x80 {
            return None;
        }
        cp = (cp << 6) | u32::from(b & 0x3f);
    }
    if cp < min {
        return None;
    }
    char::from_u32(cp).map(|c| (c, len))
}

#[cfg(test)]
pub(crate) mod testing {
    use super::Tokenizer;

    /// All words of `text` as strings (lossy), for readable assertions.
    pub fn words_of<T: Tokenizer>(tok: &mut T, text: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        tok.tokenize(text, |w| out.push(String::from_utf8_lossy(&w).into_owned()));
        out
    }

    /// Checks the boundary contract: cutting after any boundary byte keeps the words.
    pub fn assert_boundaries_hold<T: Tokenizer>(tok: &mut T, text: &[u8]) {
        let whole = words_of(tok, text);
        for cut in 1..text.len() {
            let at_cut = text[cut - 1];
            if if tok.needs_lines() { at_cut == b'\n' } else { tok.is_boundary(at_cut) } {
                let mut parts = words_of(tok, &text[..cut]);
                parts.extend(words_of(tok, &text[cut..]));
                assert_eq!(parts, whole, "cut at {cut} of {text:?}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_accepts_valid_characters() {
        assert_eq!(decode_utf8("é".as_bytes()), Some(('é', 2)));
        assert_eq!(decode_utf8("中x".as_bytes()), Some(('中', 3)));
        assert_eq!(decode_utf8("😀".as_bytes()), Some(('😀', 4)));
    }

    #[test]
    fn decode_rejects_every_kind_of_invalid_sequence() {
        let bad: &[&[u8]] = &[
            b"\x80",             // lone continuation
            b"\xc3",             // truncated
            b"\xe4\xb8",         // truncated 3-byte
            b"\xc0\xaf",         // overlong '/'
            b"\xe0\x80\xaf",     // overlong 3-byte
            b"\xed\xa0\x80",     // surrogate D800
            b"\xf4\x90\x80\x80", // above U+10FFFF
            b"\xf5\x80\x80\x80", // 0xF5..0xFF never start a character
            b"\xff",
            b"\xc3A", // lead byte followed by ASCII
        ];
        for s in bad {
            assert_eq!(decode_utf8(s), None, "{s:?}");
        }
    }
}
