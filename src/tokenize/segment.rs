//! Dictionary segmentation of the scripts that write words without spaces, for the `words`
//! tokenizer.
//!
//! The `words` scanner ends a word wherever the script changes (see [`Script`]), so a run handed
//! here is all of one kind:
//!
//! - Han only: Chinese. Cut by jieba (dictionary, HMM off; one instance shared by all workers).
//!   jieba's dictionary is Simplified, so a run is cut on its Simplified projection: every
//!   Traditional character is replaced by its Simplified form, character for character, the
//!   projection is segmented, and the cuts are applied to the original characters. The words
//!   counted are always the characters of the input (`檔案` stays `檔案`).
//! - Han and kana with at least one Hiragana or Katakana character: Japanese. Cut by ICU4X's
//!   word segmenter (dictionary model), which keeps `仕組み` whole.
//! - Thai, Lao, Khmer, Myanmar: cut by ICU4X (its dictionaries and LSTM models).
//!
//! A segment counts as a word when it holds a letter or a number; ICU4X's word type is not
//! trusted (unicode-org/icu4x#8321 marks words that end in a combining mark as non-words).
//! Without the Cargo features (`segment-zh`, `segment-icu`) a run is kept whole, or Chinese
//! falls back to ICU4X when only `segment-icu` is on.

use crate::tokenize::{is_letter_or_number, Kind};

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

/// Cuts `run`, all of one script group (`group` as from [`Script::group`]), into words.
/// `kana` says whether a Han-group run holds any kana.
///
/// Every letter, number and mark of the run is counted: a piece the segmenter cuts off that is
/// only combining marks joins the word before it (or, at the run's start, the word after it).
/// Other pieces without a letter or number (an apostrophe) are punctuation and are dropped. (A
/// mirrored reference in the property tests once hid that marks were dropped too.)
pub(crate) fn segment(run: &str, group: Script, kana: bool, emit: &mut dyn FnMut(&str)) {
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
        Script::Han if !kana => chinese(run, &mut keep),
        Script::Han | Script::Thai | Script::Lao | Script::Khmer | Script::Myanmar => icu(run, &mut keep),
        Script::Other | Script::Kana | Script::Inherited => keep(run),
    }
    if let Some((s, e, _)) = pending {
        emit(&run[s..e]);
    }
}

#[cfg(feature = "segment-zh")]
fn chinese(run: &str, emit: &mut dyn FnMut(&str)) {
    let projected = zh::simplified_projection(run);
    let text = projected.as_deref().unwrap_or(run);
    for token in zh::jieba().cut(text, false) {
        // The projection keeps every character's byte length, so its offsets are the run's.
        emit(&run[token.byte_start..token.byte_end]);
    }
}

#[cfg(not(feature = "segment-zh"))]
fn chinese(run: &str, emit: &mut dyn FnMut(&str)) {
    icu(run, emit)
}

#[cfg(feature = "segment-icu")]
fn icu(run: &str, emit: &mut dyn FnMut(&str)) {
    use std::sync::OnceLock;

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

#[cfg(feature = "segment-zh")]
mod zh {
    use std::sync::OnceLock;

    use jieba_rs::Jieba;

    /// jieba loads its dictionary (350,000 words, about 0.14 s here) on the first Han run only,
    /// so a job without Chinese never pays for it.
    pub fn jieba() -> &'static Jieba {
        static JIEBA: OnceLock<Jieba> = OnceLock::new();
        JIEBA.get_or_init(Jieba::new)
    }

    const FIRST: u32 = 0x3400;
    const LAST: u32 = 0x9fff;

    /// Traditional -> Simplified for the CJK blocks U+3400..U+9FFF, 0 where a character stays.
    /// Only mappings between characters of three UTF-8 bytes are kept, so the projection of a
    /// string has the same byte offsets as the string.
    fn table() -> &'static [u16] {
        static TABLE: OnceLock<Box<[u16]>> = OnceLock::new();
        TABLE.get_or_init(|| {
            // One conversion of all characters, each on its own line so that fast2s's few
            // context rules (which look at neighbours) see none.
            let all: String = (FIRST..=LAST).filter_map(char::from_u32).flat_map(|c| [c, '\n']).collect();
            let converted = fast2s::convert(&all);
            let mut table = vec![0u16; (LAST - FIRST + 1) as usize];
            for (from, to) in all.split('\n').zip(converted.split('\n')) {
                let (Some(f), Some(t)) = (from.chars().next(), to.chars().next()) else { continue };
                if f != t && to.chars().count() == 1 && t.len_utf8() == 3 {
                    table[(f as u32 - FIRST) as usize] = t as u32 as u16;
                }
            }
            table.into_boxed_slice()
        })
    }

    /// The run with Traditional characters replaced by Simplified ones; `None` when nothing
    /// changes (all Simplified text, and most Traditional words' neighbours).
    pub fn simplified_projection(run: &str) -> Option<String> {
        let table = table();
        let mapped = |c: char| {
            let u = c as u32;
            (FIRST..=LAST).contains(&u).then(|| table[(u - FIRST) as usize]).filter(|&t| t != 0)
        };
        let first = run.char_indices().find(|&(_, c)| mapped(c).is_some())?.0;
        let mut out = String::with_capacity(run.len());
        out.push_str(&run[..first]);
        for c in run[first..].chars() {
            out.push(mapped(c).and_then(|t| char::from_u32(u32::from(t))).unwrap_or(c));
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(any(feature = "segment-zh", feature = "segment-icu"))]
    fn cut(run: &str) -> Vec<String> {
        let first = run.chars().next().unwrap();
        let group = script(first).group();
        let kana = run.chars().any(|c| script(c) == Script::Kana);
        let mut out = Vec::new();
        segment(run, group, kana, &mut |w| out.push(w.to_string()));
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

    #[cfg(feature = "segment-icu")]
    #[test]
    fn japanese_is_cut_by_icu4x() {
        assert_eq!(cut("東京都は日本の首都です"), ["東京", "都", "は", "日本", "の", "首都", "です"]);
        assert!(cut("仕組みを説明します").contains(&"仕組み".to_string()));
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
