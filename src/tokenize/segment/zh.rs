//! Chinese segmentation: jieba's dictionary and its cut (dictionary only, no HMM), and the
//! Simplified projection that Traditional runs are cut on.
//!
//! The dictionary is `dict/zh/dict.txt`, compiled by `build.rs` into a trie that is read where
//! it lies in the binary: nothing is parsed or built when a process meets its first Han run
//! (jieba-rs rebuilt its trie from the text in every process, 75 ms). The cut is jieba's: every
//! dictionary word starting at each character is a way forward, a word weighs
//! `ln(freq) - ln(total)` (a character no word starts with: `ln(1) - ln(total)`), and the route
//! of greatest total weight is taken, the longer word on a tie. The unit tests hold it to
//! jieba-rs's cuts, word for word, on the corpus and on random text.
//!
//! User words (`--user-dict`) are added as jieba adds them ([`Dictionary::add_word`]): a word
//! without a frequency gets the one that keeps it whole, and every word changes the total.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

static TRIE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/zh-trie.bin"));
static SIMPLIFIED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/zh-simplified.bin"));

/// The span of the Simplified table: the CJK blocks U+3400..U+9FFF.
const FIRST: u32 = 0x3400;
const LAST: u32 = 0x9fff;

/// The run with Traditional characters replaced by Simplified ones; `None` when nothing changes
/// (all Simplified text, and most Traditional words' neighbours). Every replacement has the
/// byte length of the character it replaces (build.rs keeps no other), so the projection's
/// offsets are the run's.
pub(crate) fn simplified_projection(run: &str) -> Option<String> {
    let mapped = |c: char| {
        let u = c as u32;
        if !(FIRST..=LAST).contains(&u) {
            return None;
        }
        let at = 2 * (u - FIRST) as usize;
        let to = u16::from_le_bytes([SIMPLIFIED[at], SIMPLIFIED[at + 1]]);
        (to != 0).then(|| char::from_u32(u32::from(to))).flatten()
    };
    let first = run.char_indices().find(|&(_, c)| mapped(c).is_some())?.0;
    let mut out = String::with_capacity(run.len());
    out.push_str(&run[..first]);
    out.extend(run[first..].chars().map(|c| mapped(c).unwrap_or(c)));
    Some(out)
}

/// The little-endian u32 at index `i` of `bytes`.
#[inline(always)]
fn u32_at(bytes: &[u8], i: usize) -> u32 {
    u32::from_le_bytes(bytes[4 * i..4 * i + 4].try_into().expect("four bytes"))
}

/// The built-in dictionary's trie, as build.rs lays it out: a header of three u64s (nodes `n`,
/// distinct frequencies `f`, total frequency), then u32 arrays: the root's child for every
/// character below U+10000 (0: none), `first_child` (n + 1 entries: node i's children are nodes
/// `first_child[i]..first_child[i + 1]`, sorted by character), every node's character, the
/// distinct frequencies; then a u16 per node: 1 + the index of its word's frequency, 0 when the
/// path to it is not a word. Node 0 is the root.
struct Trie {
    root: &'static [u8],
    first_child: &'static [u8],
    labels: &'static [u8],
    freq_of: &'static [u8],
    /// `ln` of each distinct frequency, at 1 + its index (as `freq_of` refers to them).
    log_freqs: Box<[f64]>,
    freqs: &'static [u8],
    total: u64,
}

impl Trie {
    fn builtin() -> &'static Trie {
        static BUILTIN: OnceLock<Trie> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            let header = |i: usize| u64::from_le_bytes(TRIE[8 * i..8 * i + 8].try_into().expect("eight bytes"));
            let (n, f, total) = (header(0) as usize, header(1) as usize, header(2));
            let mut rest = &TRIE[24..];
            let mut take = |len: usize| {
                let (head, tail) = rest.split_at(len);
                rest = tail;
                head
            };
            let root = take(4 * 0x10000);
            let first_child = take(4 * (n + 1));
            let labels = take(4 * n);
            let freqs = take(4 * f);
            let freq_of = take(2 * n);
            assert!(rest.is_empty(), "the Chinese trie is laid out as build.rs writes it");
            let log_freqs = std::iter::once(0.0).chain((0..f).map(|i| f64::from(u32_at(freqs, i)).ln())).collect();
            Trie { root, first_child, labels, freq_of, log_freqs, freqs, total }
        })
    }

    /// The child of `node` by `c`.
    #[inline(always)]
    fn child(&self, node: u32, c: char) -> Option<u32> {
        let c = c as u32;
        if node == 0 && c < 0x10000 {
            let child = u32_at(self.root, c as usize);
            return (child != 0).then_some(child);
        }
        let (mut lo, mut hi) = (u32_at(self.first_child, node as usize), u32_at(self.first_child, node as usize + 1));
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match u32_at(self.labels, mid as usize).cmp(&c) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    /// 1 + the index of the frequency of the word ending at `node`, 0 when it is not a word.
    #[inline(always)]
    fn freq_index(&self, node: u32) -> usize {
        let at = 2 * node as usize;
        usize::from(u16::from_le_bytes([self.freq_of[at], self.freq_of[at + 1]]))
    }

    /// The frequency of `word`, when it is a word.
    fn freq(&self, word: &str) -> Option<u64> {
        let mut node = 0;
        for c in word.chars() {
            node = self.child(node, c)?;
        }
        match self.freq_index(node) {
            0 => None,
            i => Some(u64::from(u32_at(self.freqs, i - 1))),
        }
    }
}

/// A user word: its frequency and that frequency's `ln`.
#[derive(Debug, Clone, Copy)]
struct UserFreq {
    freq: u64,
    log: f64,
}

/// jieba's dictionary, with the words a job added.
pub(crate) struct Dictionary {
    trie: &'static Trie,
    /// Words added, which take the place of the trie's word of the same characters.
    user: HashMap<Box<str>, UserFreq>,
    /// Every prefix of every added word (the words themselves included): how far a walk over
    /// added words goes on.
    user_prefixes: HashSet<Box<str>>,
    log_total: f64,
    total: u64,
}

/// What one cut reuses from the last: characters, route.
#[derive(Default)]
pub(crate) struct Scratch {
    /// The block's characters and their byte offsets in it.
    chars: Vec<(u32, char)>,
    /// From each character: the weight of the best route through the rest of the block, and
    /// the character after its first word.
    route: Vec<(f64, u32)>,
}

impl Dictionary {
    pub(crate) fn builtin() -> Dictionary {
        let trie = Trie::builtin();
        Dictionary {
            trie,
            user: HashMap::new(),
            user_prefixes: HashSet::new(),
            log_total: (trie.total as f64).ln(),
            total: trie.total,
        }
    }

    /// The frequency of `word`, when it is a word.
    fn freq(&self, word: &str) -> Option<u64> {
        match self.user.get(word) {
            Some(u) => Some(u.freq),
            None => self.trie.freq(word),
        }
    }

    /// Adds `word` with `freq`, or with the frequency that makes the cut keep it whole (jieba's
    /// `suggest_freq`), replacing the frequency of a word already there.
    pub(crate) fn add_word(&mut self, word: &str, freq: Option<usize>) {
        if word.is_empty() {
            return;
        }
        let freq = freq.map_or_else(|| self.suggest_freq(word), |f| f as u64);
        let old = self.freq(word).unwrap_or(0);
        self.total = self.total + freq - old;
        self.log_total = (self.total as f64).ln();
        self.user.insert(word.into(), UserFreq { freq, log: (freq as f64).ln() });
        for (i, c) in word.char_indices() {
            self.user_prefixes.insert(word[..i + c.len_utf8()].into());
        }
    }

    /// The frequency that makes the cut keep `word` whole: above the product of its parts'
    /// probabilities, written as jieba computes it (the same floating-point steps, so the same
    /// frequency).
    fn suggest_freq(&self, word: &str) -> u64 {
        let log_total = self.log_total;
        let mut log_freq = 0f64;
        self.cut(word, &mut Scratch::default(), &mut |part| {
            log_freq = log_freq + (self.freq(part).unwrap_or(1) as f64).ln() - log_total;
        });
        ((log_freq + log_total).exp() as u64 + 1).max(self.freq(word).unwrap_or(1))
    }

    /// Cuts `text` into words, handed to `emit` in order; they cover `text`. Text outside the
    /// blocks of Han, ASCII letters, digits and `+#&._%-` is cut into characters (`\r\n` kept
    /// together); in a block, what the route leaves as single ASCII letters and digits in a row
    /// is one word.
    pub(crate) fn cut<'t>(&self, text: &'t str, scratch: &mut Scratch, emit: &mut dyn FnMut(&'t str)) {
        let mut rest = text;
        while let Some(first) = rest.chars().next() {
            let han = is_han_default(first);
            let chars = &mut scratch.chars;
            chars.clear();
            let mut end = rest.len();
            for (i, c) in rest.char_indices() {
                if is_han_default(c) != han {
                    end = i;
                    break;
                }
                chars.push((i as u32, c));
            }
            let (block, tail) = rest.split_at(end);
            rest = tail;
            if han {
                self.cut_block(block, scratch, emit);
                continue;
            }
            let mut i = 0;
            while let Some(&(at, c)) = scratch.chars.get(i) {
                let crlf = c == '\r' && matches!(scratch.chars.get(i + 1), Some(&(_, '\n')));
                let len = if crlf { 2 } else { c.len_utf8() };
                emit(&block[at as usize..at as usize + len]);
                i += if crlf { 2 } else { 1 };
            }
        }
    }

    fn cut_block<'t>(&self, block: &'t str, scratch: &mut Scratch, emit: &mut dyn FnMut(&'t str)) {
        let Scratch { chars, route } = scratch;
        let n = chars.len();
        let at = |i: usize| chars.get(i).map_or(block.len(), |&(offset, _)| offset as usize);
        route.clear();
        route.resize(n + 1, (0.0, n as u32));
        let log_total = self.log_total;
        let with_user = !self.user.is_empty();
        for idx in (0..n).rev() {
            let mut best: Option<(f64, u32)> = None;
            let mut consider = |end: usize, log_freq: f64| {
                let prob = log_freq - log_total + route[end].0;
                // Ends come in increasing order: `>=` takes the longer word on a tie.
                if best.is_none_or(|(b, _)| prob >= b) {
                    best = Some((prob, end as u32));
                }
            };
            let mut node = 0;
            for (j, &(_, c)) in chars.iter().enumerate().skip(idx) {
                let Some(next) = self.trie.child(node, c) else { break };
                node = next;
                let f = self.trie.freq_index(node);
                if f != 0 && !(with_user && self.user.contains_key(&block[at(idx)..at(j + 1)])) {
                    consider(j + 1, self.trie.log_freqs[f]);
                }
            }
            if with_user {
                for j in idx..n {
                    let word = &block[at(idx)..at(j + 1)];
                    if !self.user_prefixes.contains(word) {
                        break;
                    }
                    if let Some(u) = self.user.get(word) {
                        consider(j + 1, u.log);
                    }
                }
            }
            route[idx] = best.unwrap_or_else(|| (0.0 - log_total + route[idx + 1].0, idx as u32 + 1));
        }

        let mut x = 0;
        let mut letters: Option<usize> = None;
        while x < n {
            let y = route[x].1 as usize;
            if y - x == 1 && chars[x].1.is_ascii_alphanumeric() {
                letters.get_or_insert(x);
            } else {
                if let Some(start) = letters.take() {
                    emit(&block[at(start)..at(x)]);
                }
                emit(&block[at(x)..at(y)]);
            }
            x = y;
        }
        if let Some(start) = letters {
            emit(&block[at(start)..]);
        }
    }
}

/// jieba's block characters: Han (the CJK Unified Ideographs and their extensions, as jieba
/// lists them), ASCII letters and digits, and `+#&._%-`.
#[inline]
fn is_han_default(c: char) -> bool {
    match c {
        '\u{4E00}'..='\u{9FFF}' => true,
        c if c.is_ascii() => c.is_ascii_alphanumeric() || matches!(c, '+' | '#' | '&' | '.' | '_' | '%' | '-'),
        '\u{3400}'..='\u{4DBF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2A6DF}'
        | '\u{2A700}'..='\u{2B73F}'
        | '\u{2B740}'..='\u{2B81F}'
        | '\u{2B820}'..='\u{2CEAF}'
        | '\u{2CEB0}'..='\u{2EBEF}'
        | '\u{2F800}'..='\u{2FA1F}' => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ours(dict: &Dictionary, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        dict.cut(text, &mut Scratch::default(), &mut |w| out.push(w.to_string()));
        out
    }

    fn jiebas(jieba: &jieba_rs::Jieba, text: &str) -> Vec<String> {
        jieba.cut(text, false).into_iter().map(|t| t.word.to_string()).collect()
    }

    fn reference() -> &'static jieba_rs::Jieba {
        static JIEBA: OnceLock<jieba_rs::Jieba> = OnceLock::new();
        JIEBA.get_or_init(jieba_rs::Jieba::new)
    }

    /// The texts the cut is held to jieba-rs's on: the fixtures with Han text, and the shared
    /// corpus's Chinese texts (modern Simplified, Traditional manuals, classical poetry) when
    /// they are there; their absence is logged as a skip (see `.ci/run`).
    fn texts() -> Vec<(std::path::PathBuf, String)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut paths = vec![root.join("fixtures/multilingual.txt"), root.join("fixtures/ja/debian-reference.ja.txt")];
        for name in ["zh-modern-1mb.txt", "zh-tw-manpages-1mb.txt", "zh-poetry-1mb.txt"] {
            let path = root.join("../shared/corpus").join(name);
            if path.is_file() {
                paths.push(path);
            } else if let Some(log) = std::env::var_os("MRWC_SKIP_LOG") {
                use std::io::Write as _;
                let mut f = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
                writeln!(f, "zh::tests: {} is absent", path.display()).unwrap();
            }
        }
        paths.into_iter().map(|p| (p.clone(), std::fs::read_to_string(&p).unwrap())).collect()
    }

    #[test]
    fn the_corpus_is_cut_as_jieba_rs_cuts_it() {
        let dict = Dictionary::builtin();
        let mut lines = 0;
        for (path, text) in texts() {
            for line in text.lines() {
                assert_eq!(ours(&dict, line), jiebas(reference(), line), "{}: {line}", path.display());
                if let Some(simplified) = simplified_projection(line) {
                    assert_eq!(ours(&dict, &simplified), jiebas(reference(), &simplified), "{simplified}");
                }
                lines += 1;
            }
        }
        assert!(lines > 100, "the texts hold Chinese ({lines} lines)");
    }

    #[test]
    fn user_words_weigh_as_jieba_rs_weighs_them() {
        // New words with and without a frequency, and built-in words made rarer and commoner.
        let words: [(&str, Option<usize>); 6] = [
            ("量子猫咖啡", Some(10)),
            ("量子猫", None),
            ("的", Some(3)),
            ("工作原理", None),
            ("猫咖", Some(900000)),
            ("我们", Some(1)),
        ];
        let mut dict = Dictionary::builtin();
        let mut jieba = jieba_rs::Jieba::new();
        for (word, freq) in words {
            dict.add_word(word, freq);
            let theirs = jieba.add_word(word, freq, None);
            assert_eq!(dict.freq(word), Some(theirs as u64), "{word}");
            for part in ["量子猫咖啡馆", "原理", "猫咖啡"] {
                assert_eq!(dict.suggest_freq(part) as usize, jieba.suggest_freq(part), "{part} after {word}");
            }
        }
        let texts = ["我喜欢量子猫咖啡的工作原理", "量子猫咖啡馆的猫咖很好", "的的的工作原理是量子猫", "我们的工作"];
        let builtin = Dictionary::builtin();
        assert_ne!(ours(&dict, texts[3]), ours(&builtin, texts[3]), "the rarer words change the cut");
        for text in texts {
            assert_eq!(ours(&dict, text), jiebas(&jieba, text), "{text}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// Text drawn from common characters (so that dictionary words form), a few rare ones,
        /// ASCII and the block-ending marks.
        #[test]
        fn random_text_is_cut_as_jieba_rs_cuts_it(text in proptest::collection::vec(prop_oneof![
            8 => proptest::sample::select("的一是了我不人在他有这个上们来到时大地为子中你说生国年着就那和要她出也得里后自以会家可下而过天去能对小多然于心学么之都好看起发当没成只如事把还用第样道想作种开美总从无情己面最女但现前些所同日手又行意动方期它头经长儿回位分爱老因很给名法间斯知世什两次使身者被高已亲其进此话常与活正感见明问力理尔点文几定本公特做外孩相西果走将月十实向声车全信重三机工物气每并别真打太新比才便夫再书部水像眼等体却加电主界门利海受听表德少克代员许稜先口由死安写性马光白或住难望教命花结乐色更拉东神记处让母父应直字场平报友关放至张认接告入笑内英军候民岁往何度山觉路带万男边风解叫任金快原吃妈变通师立象数四失满战远格士音轻目条呢".chars().collect::<Vec<_>>()),
            1 => proptest::sample::select(vec!['a', 'Z', '7', '.', '-', ' ', '\r', '\n', '々', '\u{301}', '\u{20001}', '\u{30001}', '。', 'é']),
        ], 0..40)) {
            let text: String = text.into_iter().collect();
            prop_assert_eq!(ours(&Dictionary::builtin(), &text), jiebas(reference(), &text));
        }
    }
}
