//! `--tokenizer words` (the default): a word is a maximal run of Unicode letters (L*), marks
//! (M*), numbers (N*) and `_` of one script group, where an apostrophe (`'` or U+2019) is kept
//! only between two such characters (`don't`, `O'Reilly's`; the quotes in `'hello'` are
//! dropped). Everything else, including each byte of invalid UTF-8, separates words. A change of
//! script group also ends a word (`例如CPU` is `例如` and `cpu`), and runs of the scripts written
//! without spaces (Chinese, Japanese, Thai, Lao, Khmer, Myanmar) are cut by the dictionary
//! segmenters of [`segment`](super::segment).
//!
//! Whether a run of Han characters without kana is Chinese or Japanese is decided by its line
//! (`--han auto`, the default): Japanese when the line holds a kana character anywhere. So the
//! words of a line depend on the whole line, and the job cuts its input at line ends only
//! ([`Tokenizer::needs_lines`]); a line longer than the longest run kept whole (1 MiB) is judged
//! piece by piece.
//!
//! ASCII bytes are classified by a table; only non-ASCII characters are decoded and looked up
//! in the Unicode general category tables. Any ASCII byte that is neither a word character nor
//! an apostrophe is a chunk boundary: no word or apostrophe rule can reach across it, and a
//! UTF-8 sequence never contains an ASCII byte.

use std::sync::Arc;

use crate::split::chunk_end;
use crate::tokenize::segment::{has_kana, script_of, Lexicons, Script, SegmentCache, Segmenter, HAN_CONTEXT_MATTERS};
use crate::tokenize::{blocks, class, decode_utf8, kind_of, Kind, Lowered, Token, Tokenizer, WordMapper};
use crate::tokenize::{Case, Han, Normalize};

#[derive(Debug, Clone)]
pub struct Words {
    case: WordMapper,
    lowered: Lowered,
    han: Han,
    lexicons: Arc<Lexicons>,
    cache: SegmentCache,
}

impl Words {
    pub fn new(case: Case) -> Words {
        Words::with(WordMapper::new(case, Normalize::None))
    }

    /// Words mapped by `mapper`, with the built-in dictionaries and `--han auto`.
    pub fn with(mapper: WordMapper) -> Words {
        Words::segmenting(mapper, Han::Auto, Lexicons::builtin())
    }

    pub fn segmenting(mapper: WordMapper, han: Han, lexicons: Arc<Lexicons>) -> Words {
        Words { case: mapper, lowered: Lowered::default(), han, lexicons, cache: SegmentCache::default() }
    }
}

/// The line a position of the tokenized text is in, and whether it holds kana: looked up for a
/// line's first Han run only (runs come in order).
#[derive(Default)]
struct LineContext {
    end: usize,
    japanese: bool,
}

impl LineContext {
    fn japanese_at(&mut self, text: &[u8], at: usize) -> bool {
        if at >= self.end {
            let start = memchr::memrchr(b'\n', &text[..at]).map_or(0, |k| k + 1);
            self.end = memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |k| at + k + 1);
            self.japanese = has_kana(&text[start..self.end]);
        }
        self.japanese
    }
}

/// What the character at the start of `s` is, for the scanner: a word character (with its
/// length and script), an apostrophe, or a separator (with how many bytes to skip).
enum Unit {
    Word(usize, Script),
    Apostrophe(usize),
    Separator(usize),
}

#[inline]
fn unit_at(s: &[u8]) -> Unit {
    let c = class::of(s[0]);
    if c & class::WORD != 0 {
        return Unit::Word(1, Script::Other);
    }
    if c & class::APOSTROPHE != 0 {
        return Unit::Apostrophe(1);
    }
    if c & class::NON_ASCII == 0 {
        return Unit::Separator(1);
    }
    match decode_utf8(s) {
        // Letters, marks and numbers belong to words; one category look-up decides both that
        // and a mark's script.
        Some((ch, len)) => match kind_of(ch) {
            Kind::Other if ch == '\u{2019}' => Unit::Apostrophe(len),
            Kind::Other => Unit::Separator(len),
            kind => Unit::Word(len, script_of(ch, kind)),
        },
        None => Unit::Separator(1),
    }
}

/// Text is cut (on boundary bytes) into segments of about this size; an all-ASCII segment takes
/// the bitmask path, any other the scalar Unicode path. Small enough that one curly quote in
/// English text sends little to the slow path, large enough that the ASCII check is noise.
const SEGMENT: usize = 2048;

#[inline]
fn is_boundary(b: u8) -> bool {
    class::of(b) & (class::WORD | class::APOSTROPHE | class::NON_ASCII) == 0
}

impl Tokenizer for Words {
    #[inline]
    fn is_boundary(&self, b: u8) -> bool {
        is_boundary(b)
    }

    fn needs_lines(&self) -> bool {
        self.han == Han::Auto && HAN_CONTEXT_MATTERS
    }

    fn limit_cache(&mut self, bytes: usize) {
        self.cache.limit(bytes);
    }

    fn cache_bytes(&self) -> usize {
        self.cache.memory_bytes()
    }

    fn tokenize<F: FnMut(Token<'_>)>(&mut self, text: &[u8], mut emit: F) {
        // The segmenter borrows the dictionaries through a clone of their `Arc` (`self` is
        // borrowed mutably meanwhile), made only when a segment is not ASCII: n-grams tokenize
        // line by line, and making and dropping both for every line cost 3-6% of a bigram job
        // on English with one worker (perf stat, 10 runs: 143.8-151.3 -> 138.9-142.1 ms).
        let lexicons = std::cell::OnceCell::new();
        let mut segmenter = None;
        let mut line = LineContext::default();
        let mut pos = 0;
        while pos < text.len() {
            let end = chunk_end(text, pos, SEGMENT, &is_boundary);
            if text[pos..end].is_ascii() {
                self.tokenize_ascii(text, pos, end, &mut emit);
            } else {
                let segmenter = segmenter
                    .get_or_insert_with(|| Segmenter::new(lexicons.get_or_init(|| Arc::clone(&self.lexicons))));
                self.tokenize_unicode(text, (pos, end), (segmenter, &mut line), &mut emit);
            }
            pos = end;
        }
    }
}

impl Words {
    /// The bitmask path, for the segment `text[pos..end]` when it has no byte >= 0x80.
    #[inline]
    fn tokenize_ascii<F: FnMut(Token<'_>)>(&mut self, text: &[u8], pos: usize, end: usize, emit: &mut F) {
        let mut prev_word = 0;
        let member = |block: &blocks::Block, next: Option<u8>| {
            let m = blocks::ascii_words(block, prev_word, next);
            prev_word = block.word >> 63;
            m
        };
        blocks::case_mapped_runs(text, (pos, end), true, member, &mut self.case, &mut self.lowered, emit);
    }

    /// The scalar path, for the segment `text[pos..end]`: decodes non-ASCII characters and
    /// looks up their category and script.
    fn tokenize_unicode<F: FnMut(Token<'_>)>(
        &mut self,
        text: &[u8],
        (pos, n): (usize, usize),
        (segmenter, line): (&mut Segmenter<'_>, &mut LineContext),
        emit: &mut F,
    ) {
        let mut i = pos;
        while i < n {
            // Skip to the start of a word.
            let (first_len, script) = match unit_at(&text[i..]) {
                Unit::Word(len, script) => (len, script),
                Unit::Apostrophe(len) | Unit::Separator(len) => {
                    i += len;
                    continue;
                }
            };
            let start = i;
            let group = script.group();
            let mut kana = script == Script::Kana;
            let mut flags = class::of(text[i]);
            i += first_len;
            while i < n {
                let c = class::of(text[i]);
                if c & class::WORD != 0 {
                    if group != Script::Other {
                        break;
                    }
                    flags |= c;
                    i += 1;
                    continue;
                }
                match unit_at(&text[i..]) {
                    Unit::Word(len, s) if s.joins(group) => {
                        kana |= s == Script::Kana;
                        flags |= c;
                        i += len;
                    }
                    Unit::Apostrophe(len)
                        if i + len < n && matches!(unit_at(&text[i + len..]), Unit::Word(_, s) if s.joins(group)) =>
                    {
                        flags |= c;
                        i += len;
                    }
                    _ => break,
                }
            }
            let word = &text[start..i];
            if group == Script::Other {
                emit(self.case.apply(Token::at(text, start, i), flags));
            } else {
                // Only whole, valid characters were taken, so the word is UTF-8.
                let run = std::str::from_utf8(word).expect("scanned characters are valid UTF-8");
                let japanese = group == Script::Han
                    && match self.han {
                        Han::Auto => kana || line.japanese_at(text, start),
                        Han::Zh => kana,
                        Han::Ja => true,
                    };
                let case = &mut self.case;
                let emit = &mut |w: &str| emit(case.apply_caseless(Token::new(w.as_bytes())));
                segmenter.segment(&mut self.cache, run, group, japanese, emit);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenize::testing::{assert_boundaries_hold, words_of};
    use crate::tokenize::LOWERED_MAX;

    fn lower(text: &str) -> Vec<String> {
        words_of(&mut Words::new(Case::Lower), text.as_bytes())
    }

    #[test]
    fn a_word_longer_than_a_lowered_segment_is_lowered_on_its_own() {
        let huge = format!("Ab{}c", "X".repeat(LOWERED_MAX));
        let text = format!("The {huge}, END.");
        let want = ["the".to_string(), huge.to_lowercase(), "end".into()];
        assert_eq!(lower(&text), want);
    }

    #[test]
    fn letters_numbers_and_underscore_make_words() {
        assert_eq!(lower("Hello, world! x_1 42nd (test)"), ["hello", "world", "x_1", "42nd", "test"]);
    }

    #[test]
    fn apostrophes_are_kept_only_inside_words() {
        assert_eq!(lower("don't O'Reilly's 'hello' rock'n'roll"), ["don't", "o'reilly's", "hello", "rock'n'roll"]);
        assert_eq!(lower("it\u{2019}s \u{2019}quoted\u{2019}"), ["it\u{2019}s", "quoted"]);
        assert_eq!(lower("a'' b '' c'"), ["a", "b", "c"]);
    }

    #[test]
    fn unicode_letters_marks_and_numbers_are_word_characters() {
        assert_eq!(lower("Café naïve Straße"), ["café", "naïve", "straße"]);
        // NFD: e + combining acute is one word.
        assert_eq!(lower("cafe\u{301} ok"), ["cafe\u{301}", "ok"]);
        assert_eq!(lower("Ⅻ ½ ٣"), ["ⅻ", "½", "٣"]);
        assert_eq!(lower("Привет, мир"), ["привет", "мир"]);
    }

    #[test]
    fn punctuation_and_symbols_separate_words() {
        assert_eq!(
            lower("a-b a.b a/b a\u{a0}b a\u{3001}b €5 a😀b"),
            ["a", "b", "a", "b", "a", "b", "a", "b", "a", "b", "5", "a", "b"]
        );
    }

    #[test]
    fn invalid_utf8_bytes_separate_words() {
        let mut t = Words::new(Case::Lower);
        let got = words_of(&mut t, b"abc\xffdef\xc3ghi\xed\xa0\x80jkl\xc0\xafmno");
        assert_eq!(got, ["abc", "def", "ghi", "jkl", "mno"]);
    }

    #[test]
    fn a_change_of_script_ends_a_word() {
        assert_eq!(lower("x中y"), ["x", "中", "y"]);
        assert_eq!(lower("don't中"), ["don't", "中"]);
        assert_eq!(lower("2023年"), ["2023", "年"]);
        assert_eq!(lower("cafe\u{301}中"), ["cafe\u{301}", "中"]);
    }

    #[cfg(feature = "segment-zh")]
    #[test]
    fn mixed_chinese_and_english_is_cut_at_script_changes_and_by_dictionary() {
        assert_eq!(lower("例如CPU、内存和I/O设备"), ["例如", "cpu", "内存", "和", "i", "o", "设备"]);
        assert_eq!(
            lower("它们通过总线（Bus）连接，例如CPU、内存和I/O设备。"),
            ["它们", "通过", "总线", "bus", "连接", "例如", "cpu", "内存", "和", "i", "o", "设备"]
        );
        // An apostrophe inside a Han run is no word of its own.
        assert_eq!(lower("don't中'文"), ["don't", "中", "文"]);
    }

    #[cfg(any(feature = "segment-ja", feature = "segment-icu"))]
    #[test]
    fn japanese_runs_with_kana_keep_their_words() {
        let words = lower("Linuxの仕組みを説明します。");
        assert_eq!(words[..3], ["linux", "の", "仕組み"]);
    }

    #[cfg(all(feature = "segment-zh", feature = "segment-ja"))]
    #[test]
    fn a_line_with_kana_makes_its_han_runs_japanese() {
        // 変数 alone is Chinese to jieba, which does not know the Japanese form 変.
        assert_eq!(lower("環境変数\n"), ["環境", "変", "数"]);
        // The same run after a comma of a line with kana, before it, or with `--han ja`.
        assert_eq!(lower("環境変数、標準入力を読む\n"), ["環境", "変数", "標準", "入力", "を", "読む"]);
        assert_eq!(lower("読む：環境変数\n"), ["読む", "環境", "変数"]);
        let mut ja = Words::segmenting(WordMapper::new(Case::Lower, Normalize::None), Han::Ja, Lexicons::builtin());
        assert_eq!(words_of(&mut ja, "環境変数\n".as_bytes()), ["環境", "変数"]);
        // Each line is judged on its own.
        assert_eq!(lower("标准输入\n変数を\n"), ["标准", "输入", "変数", "を"]);
        let mut zh = Words::segmenting(WordMapper::new(Case::Lower, Normalize::None), Han::Zh, Lexicons::builtin());
        assert_eq!(words_of(&mut zh, "環境変数、を\n".as_bytes())[..2], ["環境", "変"]);
        let text = "英語の本\n计算机系统、工作原理 は 終わり\n標準入力\n".as_bytes();
        assert_boundaries_hold(&mut Words::new(Case::Lower), text);
    }

    #[test]
    fn keep_case_keeps_words_as_written() {
        assert_eq!(words_of(&mut Words::new(Case::Keep), b"The THE the"), ["The", "THE", "the"]);
    }

    #[test]
    fn boundary_contract_holds() {
        let mut t = Words::new(Case::Lower);
        let text = ["don't 'x' it\u{2019}s, café-crème; 中文, a_b".as_bytes(), b"\xff,c\xc3"].concat();
        assert_boundaries_hold(&mut t, &text);
        assert_boundaries_hold(&mut t, b"a'b'c,d''e");
    }
}
