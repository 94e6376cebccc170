//! Dictionary segmentation of the scripts that write words without spaces, for the `words`
//! tokenizer, and the dictionaries it reads ([`Lexicons`]).
//!
//! The `words` scanner ends a word wherever the script changes (see [`Script`]), so a run handed
//! here is all of one kind:
//!
//! - Han and kana, or Han alone on a Japanese line: Japanese. Cut by a morphological analyzer
//!   (vibrato, a Viterbi search over IPADIC's lexicon and connection costs, as MeCab does).
//!   Whether a kana-less Han run is Japanese is `--han`'s choice; by default (`auto`) it is when
//!   its line holds a kana character (the scanner decides, see `words.rs`).
//! - Han alone otherwise: Chinese. Cut by jieba (dictionary, HMM off). jieba's dictionary is
//!   Simplified, so a run is cut on its Simplified projection: every Traditional character is
//!   replaced by its Simplified form, character for character, the projection is segmented, and
//!   the cuts are applied to the original characters. The words counted are always the
//!   characters of the input (`檔案` stays `檔案`).
//! - Thai, Lao, Khmer, Myanmar: cut by ICU4X (its dictionaries and LSTM models).
//!
//! A segment counts as a word when it holds a letter or a number; ICU4X's word type is not
//! trusted (unicode-org/icu4x#8321 marks words that end in a combining mark as non-words).
//! Without the Cargo features (`segment-zh`, `segment-ja`, `segment-icu`) a run is kept whole,
//! or Chinese and Japanese fall back to ICU4X when only `segment-icu` is on.
//!
//! jieba's dictionary is compiled into the binary and read in place (`zh.rs`); IPADIC is
//! unpacked on the first Japanese run (`ja.rs`). Each is set up once per [`Lexicons`]: the
//! built-in one is shared by every job of the process; `--user-dict` gives a job its own, with
//! the user's words added to both the Chinese and the Japanese dictionary.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::error::{io_reason, quote_path, Error, Result};
use crate::tokenize::{is_letter_or_number, Kind};

#[cfg(feature = "segment-ja")]
mod ja;
#[cfg(feature = "segment-zh")]
mod zh;

/// The script class of a word character, as far as word boundaries care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Script {
    /// Latin, Cyrillic, Greek, Hangul, digits... : the engine's own rules.
    Other,
    Han,
    Kana,
    Thai,
    Lao,
    Khmer,
    Myanmar,
    /// Combining marks take the script of the character before them.
    Inherited,
}

impl Script {
    /// The group a word is made of: Han and kana join (Japanese mixes them in one word).
    #[inline]
    pub(crate) fn group(self) -> Script {
        match self {
            Script::Kana => Script::Han,
            Script::Inherited => Script::Other,
            s => s,
        }
    }

    /// Whether a character of this script continues a word of `group`.
    #[inline]
    pub(crate) fn joins(self, group: Script) -> bool {
        self == Script::Inherited || self.group() == group
    }
}

/// The script class of a non-ASCII word character (letters, marks, numbers) of kind `kind`
/// (the caller has looked it up already).
#[inline]
pub(crate) fn script_of(c: char, kind: Kind) -> Script {
    let u = c as u32;
    if u < 0x0e00 {
        // Latin, Greek, Cyrillic, Hebrew, Arabic, Indic...: only their marks differ.
        return if kind == Kind::Mark { Script::Inherited } else { Script::Other };
    }
    match u {
        0x4e00..=0x9fff | 0x3400..=0x4dbf | 0xf900..=0xfaff | 0x20000..=0x3ffff => Script::Han,
        // 々 〆 〇 and 〻: ideographic iteration and number marks.
        0x3005..=0x3007 | 0x303b => Script::Han,
        0x3040..=0x30ff | 0x31f0..=0x31ff | 0xff66..=0xff9f | 0x1b000..=0x1b16f => Script::Kana,
        0x0e00..=0x0e7f => Script::Thai,
        0x0e80..=0x0eff => Script::Lao,
        0x1780..=0x17ff | 0x19e0..=0x19ff => Script::Khmer,
        0x1000..=0x109f | 0xa9e0..=0xa9ff | 0xaa60..=0xaa7f => Script::Myanmar,
        _ if kind == Kind::Mark => Script::Inherited,
        _ => Script::Other,
    }
}

/// Whether Chinese and Japanese runs go to different segmenters in this build: only then does a
/// Han run's line decide anything.
pub(crate) const HAN_CONTEXT_MATTERS: bool = cfg!(any(feature = "segment-zh", feature = "segment-ja"));

/// Whether `line` holds a Hiragana or Katakana letter (U+3041..U+30FA, or halfwidth Katakana
/// U+FF66..U+FF9D): the mark of Japanese text. The prolonged sound mark and the middle dot are
/// left out, since Chinese text uses look-alikes of them. Scans UTF-8 bytes: these characters
/// are `E3 81..83 xx` and `EF BD A6..BF`, `EF BE 80..9D`.
pub(crate) fn has_kana(line: &[u8]) -> bool {
    memchr::memchr2_iter(0xe3, 0xef, line).any(|i| {
        let (Some(&b1), Some(&b2)) = (line.get(i + 1), line.get(i + 2)) else { return false };
        let c = match line[i] {
            0xe3 => 0x3000 + (u32::from(b1 & 0x3f) << 6) + u32::from(b2 & 0x3f),
            _ => 0xf000 + (u32::from(b1 & 0x3f) << 6) + u32::from(b2 & 0x3f),
        };
        b1 & 0xc0 == 0x80 && b2 & 0xc0 == 0x80 && matches!(c, 0x3041..=0x30fa | 0xff66..=0xff9d)
    })
}

/// The cuts of Han runs already segmented, by the run's bytes (and whether it was read as
/// Japanese): real text repeats its phrases, and a dictionary segmentation costs microseconds
/// per run (jieba's cut was half of the map phase on Chinese). One per tokenizer, so per map
/// worker; it holds at most `limit` bytes (its runs and their cuts, counted as the worker's
/// memory, see [`crate::budget`]) and is emptied whole when a run would not fit. The cuts of
/// a run do not depend on anything but the run and the dictionaries, so a hit gives the
/// words a fresh segmentation would.
///
/// The map is boxed and made on the first insert, so a tokenizer that never meets Han text
/// pays nothing for it.
#[derive(Debug, Clone, Default)]
pub(crate) struct SegmentCache {
    cuts: Option<Box<CutsByRun>>,
    bytes: usize,
    limit: usize,
}

/// A run's words as byte ranges of the run.
type Cuts = Box<[(u32, u32)]>;

/// The cached runs and their cuts: read as Chinese at 0, as Japanese at 1. Two maps keyed by
/// the run's bytes alone, so a lookup borrows the run instead of building a key.
type CutsByRun = [hashbrown::HashMap<Box<[u8]>, Cuts, ahash::RandomState>; 2];

/// What one cached run costs beyond its bytes and cuts: the map's slot and two boxes' headers.
const ENTRY_OVERHEAD: usize = 48;

impl SegmentCache {
    /// Sets the most bytes the cache may hold; 0 turns it off.
    pub(crate) fn limit(&mut self, bytes: usize) {
        self.limit = bytes;
        if self.bytes > bytes {
            self.clear();
        }
    }

    /// The bytes held.
    pub(crate) fn memory_bytes(&self) -> usize {
        self.bytes
    }

    fn clear(&mut self) {
        self.cuts = None;
        self.bytes = 0;
    }

    fn get(&self, run: &str, japanese: bool) -> Option<&Cuts> {
        self.cuts.as_ref()?[usize::from(japanese)].get(run.as_bytes())
    }

    fn insert(&mut self, run: &str, japanese: bool, cuts: &[(u32, u32)]) {
        let cost = run.len() + std::mem::size_of_val(cuts) + ENTRY_OVERHEAD;
        if cost > self.limit {
            return;
        }
        if self.bytes + cost > self.limit {
            self.clear();
        }
        self.bytes += cost;
        let maps = self.cuts.get_or_insert_with(Default::default);
        maps[usize::from(japanese)].insert(run.as_bytes().into(), cuts.into());
    }
}

/// Cuts runs into words; made per tokenizer call (it holds the Japanese analyzer's scratch
/// lattice, which borrows the dictionary).
pub(crate) struct Segmenter<'a> {
    #[cfg_attr(not(any(feature = "segment-zh", feature = "segment-ja")), allow(dead_code))]
    lexicons: &'a Lexicons,
    #[cfg(feature = "segment-ja")]
    ja: Option<vibrato::tokenizer::worker::Worker<'a>>,
    #[cfg(feature = "segment-zh")]
    zh: zh::Scratch,
    /// A run's cuts as a segmenter gives them, before they go to the cache.
    cuts: Vec<(u32, u32)>,
}

impl<'a> Segmenter<'a> {
    pub(crate) fn new(lexicons: &'a Lexicons) -> Segmenter<'a> {
        Segmenter {
            lexicons,
            #[cfg(feature = "segment-ja")]
            ja: None,
            #[cfg(feature = "segment-zh")]
            zh: zh::Scratch::default(),
            cuts: Vec::new(),
        }
    }

    /// The cuts of a Han run, from the cache or from the dictionary's segmenter (then cached).
    fn han(&mut self, cache: &mut SegmentCache, run: &str, japanese: bool, keep: &mut dyn FnMut(&str)) {
        if let Some(cuts) = cache.get(run, japanese) {
            for &(start, end) in cuts.iter() {
                keep(&run[start as usize..end as usize]);
            }
            return;
        }
        let mut cuts = std::mem::take(&mut self.cuts);
        cuts.clear();
        let base = run.as_ptr() as usize;
        let mut record = |w: &str| {
            let start = w.as_ptr() as usize - base;
            cuts.push((start as u32, (start + w.len()) as u32));
            keep(w);
        };
        match japanese {
            true => self.japanese(run, &mut record),
            false => self.chinese(run, &mut record),
        }
        if cache.limit > 0 {
            cache.insert(run, japanese, &cuts);
        }
        self.cuts = cuts;
    }

    /// Cuts `run`, all of one script group (`group` as from [`Script::group`]), into words.
    /// `japanese` says whether a Han-group run is Japanese (it holds kana, or its context says
    /// so).
    ///
    /// Every letter, number and mark of the run is counted: a piece the segmenter cuts off that
    /// is only combining marks joins the word before it (or, at the run's start, the word after
    /// it). Other pieces without a letter or number (an apostrophe) are punctuation and are
    /// dropped. (A mirrored reference in the property tests once hid that marks were dropped
    /// too.)
    /// `cache` holds the cuts of Han runs seen before (see [`SegmentCache`]).
    pub(crate) fn segment(
        &mut self,
        cache: &mut SegmentCache,
        run: &str,
        group: Script,
        japanese: bool,
        emit: &mut dyn FnMut(&str),
    ) {
        // The word not yet emitted, as a byte range of `run` and whether it holds a letter or
        // number yet: pieces are slices of `run`, in order, covering it.
        let mut pending: Option<(usize, usize, bool)> = None;
        let base = run.as_ptr() as usize;
        let mut keep = |w: &str| {
            let start = w.as_ptr() as usize - base;
            let end = start + w.len();
            let word = w.chars().any(is_letter_or_number);
            if !word && !w.chars().all(|c| crate::tokenize::kind_of(c) == Kind::Mark) {
                return;
            }
            pending = match pending {
                Some((s, e, true)) if word => {
                    emit(&run[s..e]);
                    Some((start, end, true))
                }
                // Marks join the word before them; a word-less start joins the word after it.
                Some((s, _, had)) => Some((s, end, had || word)),
                None => Some((start, end, word)),
            };
        };
        match group {
            Script::Han => self.han(cache, run, japanese, &mut keep),
            Script::Thai | Script::Lao | Script::Khmer | Script::Myanmar => icu(run, &mut keep),
            Script::Other | Script::Kana | Script::Inherited => keep(run),
        }
        if let Some((s, e, _)) = pending {
            emit(&run[s..e]);
        }
    }

    #[cfg(feature = "segment-zh")]
    fn chinese(&mut self, run: &str, emit: &mut dyn FnMut(&str)) {
        let projected = zh::simplified_projection(run);
        let text = projected.as_deref().unwrap_or(run);
        let base = text.as_ptr() as usize;
        self.lexicons.chinese().cut(text, &mut self.zh, &mut |word| {
            // The projection keeps every character's byte length, so its offsets are the run's.
            let start = word.as_ptr() as usize - base;
            emit(&run[start..start + word.len()]);
        });
    }

    #[cfg(not(feature = "segment-zh"))]
    fn chinese(&mut self, run: &str, emit: &mut dyn FnMut(&str)) {
        icu(run, emit)
    }

    #[cfg(feature = "segment-ja")]
    fn japanese(&mut self, run: &str, emit: &mut dyn FnMut(&str)) {
        let lexicons = self.lexicons;
        let worker = self.ja.get_or_insert_with(|| lexicons.japanese().new_worker());
        worker.reset_sentence(run);
        worker.tokenize();
        for token in worker.token_iter() {
            emit(&run[token.range_byte()]);
        }
    }

    #[cfg(not(feature = "segment-ja"))]
    fn japanese(&mut self, run: &str, emit: &mut dyn FnMut(&str)) {
        icu(run, emit)
    }
}

#[cfg(feature = "segment-icu")]
fn icu(run: &str, emit: &mut dyn FnMut(&str)) {
    use icu_segmenter::options::WordBreakInvariantOptions;
    use icu_segmenter::{WordSegmenter, WordSegmenterBorrowed};

    static SEGMENTER: OnceLock<WordSegmenterBorrowed<'static>> = OnceLock::new();
    let segmenter = SEGMENTER.get_or_init(|| WordSegmenter::new_auto(WordBreakInvariantOptions::default()));
    let mut prev = 0;
    for cut in segmenter.segment_str(run) {
        if cut > prev {
            emit(&run[prev..cut]);
        }
        prev = cut;
    }
}

#[cfg(not(feature = "segment-icu"))]
fn icu(run: &str, emit: &mut dyn FnMut(&str)) {
    emit(run)
}

/// A word of a user dictionary: jieba's `word [freq] [tag]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserWord {
    pub word: String,
    pub freq: Option<usize>,
    pub tag: Option<String>,
}

/// The dictionaries of a job's segmenters, each loaded on first use: the built-in ones, plus the
/// words of `--user-dict` files.
#[derive(Default)]
pub struct Lexicons {
    user: Vec<UserWord>,
    #[cfg(feature = "segment-zh")]
    zh: OnceLock<zh::Dictionary>,
    #[cfg(feature = "segment-ja")]
    ja: OnceLock<vibrato::Tokenizer>,
}

impl std::fmt::Debug for Lexicons {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lexicons").field("user_words", &self.user.len()).finish()
    }
}

impl Lexicons {
    /// The built-in dictionaries, shared by every job of the process that has no user words.
    pub fn builtin() -> Arc<Lexicons> {
        static BUILTIN: OnceLock<Arc<Lexicons>> = OnceLock::new();
        BUILTIN.get_or_init(|| Arc::new(Lexicons::default())).clone()
    }

    /// The built-in dictionaries plus the words of `files` (see [`read_user_dict`]); the
    /// built-in ones when there are none.
    pub fn with_user_dicts(files: &[PathBuf]) -> Result<Arc<Lexicons>> {
        if files.is_empty() {
            return Ok(Lexicons::builtin());
        }
        let mut lexicons = Lexicons::default();
        for file in files {
            lexicons.user.extend(read_user_dict(file)?);
        }
        Ok(Arc::new(lexicons))
    }

    /// jieba's dictionary (350,000 words, compiled into the binary), with the user's words in
    /// both their own and their Simplified form (runs are cut on their Simplified projection).
    #[cfg(feature = "segment-zh")]
    fn chinese(&self) -> &zh::Dictionary {
        self.zh.get_or_init(|| {
            let mut dict = zh::Dictionary::builtin();
            for w in &self.user {
                dict.add_word(&w.word, w.freq);
                if let Some(simplified) = zh::simplified_projection(&w.word) {
                    dict.add_word(&simplified, w.freq);
                }
            }
            dict
        })
    }

    /// The Japanese analyzer: IPADIC compiled by `dict/ja/regenerate` (see [`ja`]), with the
    /// user's words as nouns.
    #[cfg(feature = "segment-ja")]
    fn japanese(&self) -> &vibrato::Tokenizer {
        self.ja.get_or_init(|| ja::tokenizer(&self.user))
    }
}

/// Reads a user dictionary in jieba's format: one `word [freq] [tag]` per line, fields split by
/// spaces or tabs, `freq` a positive integer and `tag` a part-of-speech name of ASCII letters;
/// UTF-8, a byte-order mark and CRLF line ends accepted, blank lines skipped. An unreadable file,
/// a malformed line (named by number) or a file with no words is a usage error.
pub fn read_user_dict(path: &Path) -> Result<Vec<UserWord>> {
    let name = quote_path(path);
    let usage = |why: String| Error::Usage(format!("--user-dict {name}: {why}"));
    let bytes = std::fs::read(path).map_err(|e| usage(io_reason(&e)))?;
    let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    let mut words = Vec::new();
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        let at = |why: &str| usage(format!("line {}: {why}", i + 1));
        let line = std::str::from_utf8(line).map_err(|_| at("not UTF-8"))?;
        let mut fields = line.split([' ', '\t', '\r']).filter(|f| !f.is_empty());
        let Some(word) = fields.next() else { continue };
        let mut rest: Vec<&str> = fields.collect();
        let freq = match rest.first().map(|f| f.parse::<usize>()) {
            Some(Ok(0)) => return Err(at("a frequency must be at least 1")),
            Some(Ok(n)) => {
                rest.remove(0);
                Some(n)
            }
            Some(Err(_)) if rest[0].bytes().all(|b| b.is_ascii_digit() || b == b'-' || b == b'+') => {
                return Err(at(&format!("bad frequency {:?}", rest[0])))
            }
            _ => None,
        };
        let tag = match rest.as_slice() {
            [] => None,
            [tag] if tag.bytes().all(|b| b.is_ascii_alphabetic()) => Some(tag.to_string()),
            _ => return Err(at(&format!("expected `word [freq] [tag]`, got {line:?}"))),
        };
        words.push(UserWord { word: word.to_string(), freq, tag });
    }
    if words.is_empty() {
        return Err(usage("the dictionary has no words".into()));
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words of `run`, Japanese when it holds kana.
    #[cfg(any(feature = "segment-zh", feature = "segment-ja", feature = "segment-icu"))]
    fn cut(run: &str) -> Vec<String> {
        cut_as(run, run.chars().any(|c| script(c) == Script::Kana))
    }

    #[cfg(any(feature = "segment-zh", feature = "segment-ja", feature = "segment-icu"))]
    fn cut_as(run: &str, japanese: bool) -> Vec<String> {
        cut_with(&Lexicons::builtin(), run, japanese)
    }

    #[cfg(any(feature = "segment-zh", feature = "segment-ja", feature = "segment-icu"))]
    fn cut_with(lexicons: &Lexicons, run: &str, japanese: bool) -> Vec<String> {
        let group = script(run.chars().next().unwrap()).group();
        let mut out = Vec::new();
        Segmenter::new(lexicons)
            .segment(&mut SegmentCache::default(), run, group, japanese, &mut |w| out.push(w.to_string()));
        out
    }

    fn script(c: char) -> Script {
        use crate::tokenize::kind_of;
        script_of(c, kind_of(c))
    }

    #[test]
    fn scripts_are_classified() {
        assert_eq!(script('中'), Script::Han);
        assert_eq!(script('々'), Script::Han);
        assert_eq!(script('み'), Script::Kana);
        assert_eq!(script('ー'), Script::Kana);
        assert_eq!(script('ｶ'), Script::Kana);
        assert_eq!(script('ก'), Script::Thai);
        assert_eq!(script('é'), Script::Other);
        assert_eq!(script('\u{301}'), Script::Inherited);
        assert_eq!(script('한'), Script::Other);
        assert!(Script::Kana.joins(Script::Han));
        assert!(!Script::Other.joins(Script::Han));
    }

    #[cfg(feature = "segment-zh")]
    #[test]
    fn cached_runs_are_cut_as_fresh_ones_within_the_cache_limit() {
        let lexicons = Lexicons::builtin();
        let runs = ["计算机系统的工作原理", "环境変数を設定します", "计算机系统的工作原理", "由各种模块组成"];
        let cut = |cache: &mut SegmentCache, run: &str, japanese: bool| {
            let mut out = Vec::new();
            Segmenter::new(&lexicons).segment(cache, run, Script::Han, japanese, &mut |w| out.push(w.to_string()));
            out
        };
        let mut cache = SegmentCache::default();
        cache.limit(1 << 20);
        for (i, run) in runs.iter().enumerate() {
            let japanese = i == 1;
            let fresh = cut(&mut SegmentCache::default(), run, japanese);
            assert_eq!(cut(&mut cache, run, japanese), fresh, "{run}");
            assert_eq!(cut(&mut cache, run, japanese), fresh, "{run}, from the cache");
        }
        // A run is cached as Chinese and as Japanese apart.
        let entries = |cache: &SegmentCache| cache.cuts.as_ref().map_or(0, |m| m[0].len() + m[1].len());
        assert_eq!(entries(&cache), 3);
        assert!(cache.memory_bytes() > 0 && cache.memory_bytes() <= 1 << 20);
        // Past the limit the cache starts over; at 0 it keeps nothing.
        cache.limit(150);
        assert_eq!(cache.memory_bytes(), 0);
        cut(&mut cache, runs[0], false);
        cut(&mut cache, runs[3], false);
        assert!(entries(&cache) == 1 && cache.memory_bytes() <= 150, "{}", cache.memory_bytes());
        cache.limit(0);
        cut(&mut cache, runs[0], false);
        assert_eq!((entries(&cache), cache.memory_bytes()), (0, 0));
    }

    #[cfg(feature = "segment-zh")]
    #[test]
    fn simplified_chinese_is_cut_by_the_dictionary() {
        assert_eq!(
            cut("计算机系统的工作原理和功能由各种模块组成"),
            ["计算机系统", "的", "工作", "原理", "和", "功能", "由", "各种", "模块", "组成"]
        );
    }

    #[cfg(feature = "segment-zh")]
    #[test]
    fn traditional_chinese_is_cut_on_its_simplified_projection() {
        assert_eq!(cut("檔案選項問題補丁"), ["檔案", "選項", "問題", "補丁"]);
        assert_eq!(cut("使用者可以設定這個選項"), ["使用者", "可以", "設定", "這個", "選項"]);
        // Simplified words the Traditional dictionary of ICU4X would cut stay whole.
        assert_eq!(cut("内核"), ["内核"]);
        assert_eq!(zh::simplified_projection("内核"), None);
        assert_eq!(zh::simplified_projection("檔案").as_deref(), Some("档案"));
    }

    #[cfg(feature = "segment-ja")]
    #[test]
    fn japanese_is_cut_as_ipadic_cuts_it() {
        // The fragments ICU4X's dictionary made of these (`しま`/`す`, `れま`, `った場`) were
        // the reason for a morphological analyzer.
        assert_eq!(cut("ファイルを指定します"), ["ファイル", "を", "指定", "し", "ます"]);
        assert_eq!(cut("変数の書式を変更されます"), ["変数", "の", "書式", "を", "変更", "さ", "れ", "ます"]);
        assert_eq!(cut("となった場合の内容"), ["と", "なっ", "た", "場合", "の", "内容"]);
        assert_eq!(cut("してください"), ["し", "て", "ください"]);
        assert_eq!(cut("仕組みを説明します"), ["仕組み", "を", "説明", "し", "ます"]);
        // Kanji compounds, when the run is Japanese.
        assert_eq!(cut_as("変数", true), ["変数"]);
        assert_eq!(cut_as("環境変数", true), ["環境", "変数"]);
        assert_eq!(cut_as("標準入力", true), ["標準", "入力"]);
    }

    #[cfg(all(feature = "segment-zh", feature = "segment-ja"))]
    #[test]
    fn user_words_are_cut_whole_in_chinese_and_japanese() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("user.txt");
        std::fs::write(&path, "\u{feff}量子猫咖啡 10 n\r\n\n量子猫カフェ\r\n").unwrap();
        let user = Lexicons::with_user_dicts(&[path]).unwrap();
        let builtin = Lexicons::builtin();
        assert_eq!(cut_with(&builtin, "我喜欢量子猫咖啡", false), ["我", "喜欢", "量子", "猫", "咖啡"]);
        assert_eq!(cut_with(&user, "我喜欢量子猫咖啡", false), ["我", "喜欢", "量子猫咖啡"]);
        // Traditional text meets the word through its Simplified projection.
        assert_eq!(cut_with(&user, "我喜歡量子貓咖啡", false), ["我", "喜歡", "量子貓咖啡"]);
        assert_ne!(cut_with(&builtin, "量子猫カフェに行く", true)[0], "量子猫カフェ");
        assert_eq!(cut_with(&user, "量子猫カフェに行く", true), ["量子猫カフェ", "に", "行く"]);
    }

    #[test]
    fn user_dictionaries_are_read_in_jiebas_format() {
        let dir = tempfile::tempdir().unwrap();
        let read = |text: &str| {
            let path = dir.path().join("d.txt");
            std::fs::write(&path, text).unwrap();
            read_user_dict(&path).map_err(|e| e.to_string())
        };
        let word =
            |w: &str, f: Option<usize>, t: Option<&str>| UserWord { word: w.into(), freq: f, tag: t.map(Into::into) };
        assert_eq!(
            read("a\nb 3\r\nc 4 nz\n\n d\tvn\n").unwrap(),
            [
                word("a", None, None),
                word("b", Some(3), None),
                word("c", Some(4), Some("nz")),
                word("d", None, Some("vn"))
            ]
        );
        let err = read("ok 1\nbad 1 n extra\n").unwrap_err();
        assert!(err.contains("d.txt") && err.contains("line 2") && err.contains("word [freq] [tag]"), "{err}");
        assert!(read("w -3\n").unwrap_err().contains("line 1: bad frequency"));
        assert!(read("w 0\n").unwrap_err().contains("line 1"));
        std::fs::write(dir.path().join("bytes.txt"), b"w\n\xff\n").unwrap();
        let err = read_user_dict(&dir.path().join("bytes.txt")).unwrap_err().to_string();
        assert!(err.contains("line 2: not UTF-8"), "{err}");
        assert!(read("\n\n").unwrap_err().contains("no words"));
        assert!(read_user_dict(&dir.path().join("missing")).unwrap_err().to_string().contains("missing"));
    }

    #[test]
    fn kana_marks_a_line_as_japanese() {
        assert!(has_kana("変数を".as_bytes()));
        assert!(has_kana("ｶﾀｶﾅ".as_bytes()));
        assert!(has_kana("カ".as_bytes()));
        assert!(!has_kana("计算机。、「」".as_bytes()));
        // The prolonged sound mark and the middle dot alone are not kana.
        assert!(!has_kana("ー・".as_bytes()));
        assert!(!has_kana(b"\xe3\x81"));
    }

    #[cfg(feature = "segment-zh")]
    #[test]
    fn marks_after_a_segmented_word_join_it_instead_of_vanishing() {
        assert_eq!(cut("中文\u{9d7}"), ["中文\u{9d7}"]);
        assert_eq!(cut("计算机\u{301}系统"), ["计算机\u{301}", "系统"]);
        assert_eq!(cut("\u{ec8}"), ["\u{ec8}"]);
    }

    #[cfg(feature = "segment-icu")]
    #[test]
    fn thai_is_cut_by_icu4x() {
        let words = cut("ภาษาไทยง่ายนิดเดียว");
        assert!(words.len() >= 3, "{words:?}");
        assert_eq!(words.concat(), "ภาษาไทยง่ายนิดเดียว");
        assert_eq!(words[0], "ภาษา");
    }
}
