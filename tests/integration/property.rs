//! Property tests: for random inputs (ASCII, multi-byte UTF-8, invalid bytes, long words),
//! every runner, worker count, chunk size, partition count and read mode gives exactly the
//! counts of a naive reference implementation written here, independently of the engine.

use std::collections::BTreeMap;

use clap::Parser;
use mrwc::cli::Cli;
use mrwc::config::Config;
use mrwc::counters::Counters;
use mrwc::input::{plan, OnError, WalkOptions};
use mrwc::progress::Progress;
use mrwc::reduce::Reduced;
use proptest::prelude::*;
use unicode_general_category::{get_general_category, GeneralCategory as Gc};

type Counts = BTreeMap<Vec<u8>, u64>;

fn is_word_char(c: char) -> bool {
    use Gc::*;
    c == '_'
        || matches!(
            get_general_category(c),
            UppercaseLetter
                | LowercaseLetter
                | TitlecaseLetter
                | ModifierLetter
                | OtherLetter
                | NonspacingMark
                | SpacingMark
                | EnclosingMark
                | DecimalNumber
                | LetterNumber
                | OtherNumber
        )
}

/// Script groups of the `words` rule: a word never mixes two. `None` for combining marks,
/// which join the word they follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    Other,
    HanKana,
    Thai,
    Lao,
    Khmer,
    Myanmar,
}

fn group_of(c: char) -> Option<Group> {
    let u = c as u32;
    let mark = matches!(get_general_category(c), Gc::NonspacingMark | Gc::SpacingMark | Gc::EnclosingMark);
    Some(match u {
        0x3400..=0x4dbf | 0x4e00..=0x9fff | 0xf900..=0xfaff | 0x20000..=0x3ffff | 0x3005..=0x3007 | 0x303b => {
            Group::HanKana
        }
        0x3040..=0x30ff | 0x31f0..=0x31ff | 0xff66..=0xff9f | 0x1b000..=0x1b16f => Group::HanKana,
        0x0e00..=0x0e7f => Group::Thai,
        0x0e80..=0x0eff => Group::Lao,
        0x1780..=0x17ff | 0x19e0..=0x19ff => Group::Khmer,
        0x1000..=0x109f | 0xa9e0..=0xa9ff | 0xaa60..=0xaa7f => Group::Myanmar,
        _ if mark => return None,
        _ => Group::Other,
    })
}

/// What the `words` (or `unicode`) rule gives for a text: the exact counts of words outside the
/// segmented scripts, and the runs of each segmented script group (Han and kana, Thai, Lao,
/// Khmer, Myanmar), which the engine's segmenters cut.
#[derive(Debug, Default)]
struct WordsExpected {
    exact: Counts,
    runs: BTreeMap<u8, Vec<String>>,
}

/// The `words` rule, the slow and obvious way: decode (invalid bytes become U+FFFD, which is a
/// separator), then walk the characters: a word grows while its characters are word characters
/// of its script group (or apostrophes between two such). How a Chinese, Japanese or Thai run
/// is cut is the segmenters' business, and no cut is right or wrong here: this reference never
/// calls the engine, and [`check_words`] checks only what holds for any segmentation.
fn reference_words(text: &[u8], lower: bool) -> WordsExpected {
    let chars: Vec<char> = String::from_utf8_lossy(text).chars().collect();
    let joins = |c: char, group: Group| is_word_char(c) && group_of(c).is_none_or(|g| g == group);
    let mut expected = WordsExpected::default();
    let mut flush = |word: &mut String, group: Group| {
        if word.is_empty() {
            return;
        }
        if group == Group::Other {
            let w = if lower { word.to_lowercase() } else { word.clone() };
            *expected.exact.entry(w.into_bytes()).or_default() += 1;
        } else {
            expected.runs.entry(group as u8).or_default().push(word.clone());
        }
        word.clear();
    };
    let mut word = String::new();
    let mut group = Group::Other;
    for (i, &c) in chars.iter().enumerate() {
        let apostrophe = (c == '\'' || c == '\u{2019}') && chars.get(i + 1).is_some_and(|&next| joins(next, group));
        if !word.is_empty() && (joins(c, group) || apostrophe) {
            word.push(c);
        } else {
            flush(&mut word, group);
            if is_word_char(c) {
                group = group_of(c).unwrap_or(Group::Other);
                word.push(c);
            }
        }
    }
    flush(&mut word, group);
    expected
}

/// Checks the engine's counts against a [`WordsExpected`]: the words of unsegmented scripts
/// exactly; for each segmented group, what any segmentation keeps: every word is made of the
/// group's characters and is a piece of one of its runs, and the words' characters add up to
/// the runs' (the concatenation of a run's words is the run).
fn check_words(got: &Counts, want: &WordsExpected, segmented: fn(char) -> Option<u8>) -> Result<(), String> {
    // An apostrophe inside a segmented run may be cut off as punctuation or kept inside a
    // piece: only the run's other characters must add up.
    let letters = |r: &str| r.chars().filter(|&c| c != '\'' && c != '\u{2019}').count() as u64;
    let mut exact = Counts::new();
    let mut chars_got: BTreeMap<u8, u64> = BTreeMap::new();
    for (word, &count) in got {
        let text = String::from_utf8(word.clone()).map_err(|_| format!("{word:?} is not UTF-8"))?;
        match text.chars().find_map(segmented) {
            None => {
                exact.insert(word.clone(), count);
            }
            Some(group) => {
                let runs = want.runs.get(&group).map(Vec::as_slice).unwrap_or_default();
                if !runs.iter().any(|r| r.contains(&text)) {
                    return Err(format!("{text:?} is not a piece of any run of group {group} in the input: {runs:?}"));
                }
                *chars_got.entry(group).or_default() += count * letters(&text);
            }
        }
    }
    if exact != want.exact {
        return Err(format!("words outside segmented scripts differ:\n got {exact:?}\nwant {:?}", want.exact));
    }
    let chars_want: BTreeMap<u8, u64> =
        want.runs.iter().map(|(g, runs)| (*g, runs.iter().map(|r| letters(r)).sum())).collect();
    if chars_got != chars_want {
        return Err(format!("segmented words do not add up to their runs: {chars_got:?} vs {chars_want:?}"));
    }
    Ok(())
}

/// The segmented group of a character for the `words` rule.
fn segmented_by_words(c: char) -> Option<u8> {
    group_of(c).filter(|&g| g != Group::Other).map(|g| g as u8)
}

/// Characters that ICU's root word rules treat apart from plain UAX #29: ideographs and kana,
/// and the scripts of Line_Break=SA (complex context: Thai, Lao, Khmer, Myanmar, Tai Le, New Tai
/// Lue, Tai Tham, Tai Viet, Ahom), all as one group.
fn complex_context(c: char) -> Option<u8> {
    (segmented_by_words(c).is_some() || rare_complex(c)).then_some(200)
}

/// The Line_Break=SA scripts the `words` rule does not segment (Tai Le, New Tai Lue, Tai Tham,
/// Tai Viet, Ahom).
fn rare_complex(c: char) -> bool {
    matches!(c as u32, 0x1950..=0x19df | 0x1a20..=0x1aaf | 0xaa80..=0xaadf | 0x11700..=0x1174f)
}

/// Characters whose UAX #29 properties ICU4X and `unicode-segmentation` agree on: ASCII,
/// Latin, Greek, Cyrillic, general punctuation, CJK ideographs, kana, Hangul, Thai letters and
/// digits, and the common combining marks and emoji. Outside them the two differ by Unicode data version
/// (U+303B, U+16FF0 ...), which says nothing about mrwc.
fn well_known(c: char) -> bool {
    // Thai's combining marks and digits next to a Latin letter go through ICU's complex-script
    // path, where UAX #29 joins them.
    let thai_mark = matches!(c as u32, 0xe31 | 0xe34..=0xe3a | 0xe47..=0xe4e | 0xe50..=0xe59);
    !thai_mark
        && matches!(c as u32,
        0x00..=0x24f | 0x300..=0x36f | 0x370..=0x3ff | 0x400..=0x4ff | 0xe00..=0xe7f
        | 0x2000..=0x206f | 0x3040..=0x30ff | 0x4e00..=0x9fff | 0xac00..=0xd7a3 | 0x1f600..=0x1f64f)
}

/// `text` with the valid characters that are not [`well_known`] removed (invalid bytes kept),
/// for the `unicode` tokenizer's comparison with ICU4X.
fn well_known_only(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for chunk in text.utf8_chunks() {
        chunk.valid().chars().filter(|&c| well_known(c)).for_each(|c| out.extend(c.to_string().as_bytes()));
        out.extend_from_slice(chunk.invalid());
    }
    out
}

/// Words with their combining marks removed (and words that were only marks dropped): ICU and
/// `unicode-segmentation` attach a mark that follows an ideograph or a complex-context letter
/// differently, and where a mark attaches is the segmentation library's business, not mrwc's.
fn without_marks(counts: &Counts) -> Counts {
    let mut out = Counts::new();
    for (word, &count) in counts {
        let stripped: String = String::from_utf8_lossy(word).chars().filter(|&c| !is_mark(c)).collect();
        if !stripped.is_empty() {
            *out.entry(stripped.into_bytes()).or_default() += count;
        }
    }
    out
}

fn expected_without_marks(want: WordsExpected) -> WordsExpected {
    let strip = |w: &String| -> String { w.chars().filter(|&c| !is_mark(c)).collect() };
    WordsExpected {
        exact: without_marks(&want.exact),
        runs: want
            .runs
            .into_iter()
            .map(|(g, runs)| (g, runs.iter().map(strip).filter(|r| !r.is_empty()).collect()))
            .collect(),
    }
}

/// Checks the engine's counts of `text` with `tokenizer` against the reference.
fn check(tokenizer: &str, got: &Counts, text: &[u8], lower: bool) -> Result<(), String> {
    let want = match tokenizer {
        "words" => return check_words(got, &reference_words(text, lower), segmented_by_words),
        "unicode" => {
            let want = expected_without_marks(reference_unicode(text, lower));
            return check_words(&without_marks(got), &want, complex_context);
        }
        other => reference(other, text, lower),
    };
    if *got == want {
        Ok(())
    } else {
        Err(format!("counts differ:\n got {got:?}\nwant {want:?}"))
    }
}

/// The `mrjob` rule: per line, UTF-8 or else latin-1, Python's `[\w']+`, lowercased.
fn reference_mrjob(text: &[u8], lower: bool) -> Counts {
    let mut counts = Counts::new();
    for line in text.split(|&b| b == b'\n') {
        let line = match std::str::from_utf8(line) {
            Ok(s) => s.to_string(),
            Err(_) => line.iter().map(|&b| char::from(b)).collect(),
        };
        let is_token = |c: char| c == '\'' || (is_word_char(c) && !is_mark(c));
        for w in line.split(|c: char| !is_token(c)).filter(|w| !w.is_empty()) {
            let w = if lower { w.to_lowercase() } else { w.to_string() };
            *counts.entry(w.into_bytes()).or_default() += 1;
        }
    }
    counts
}

fn is_mark(c: char) -> bool {
    matches!(get_general_category(c), Gc::NonspacingMark | Gc::SpacingMark | Gc::EnclosingMark)
}

/// The `unicode` rule: UAX #29 segments of each valid UTF-8 stretch that hold a letter or number.
/// The engine segments with the `unicode-segmentation` crate; this reference with ICU4X's
/// rule-based word segmenter, an independent implementation of the same standard. ICU's root
/// rules keep runs of ideographs, kana and South-East Asian scripts together where plain UAX #29
/// cuts them, so segments holding those are runs, checked as the `words` rule's runs are: only
/// by what holds for any cut.
fn reference_unicode(text: &[u8], lower: bool) -> WordsExpected {
    use icu_segmenter::options::WordBreakInvariantOptions;
    use icu_segmenter::WordSegmenter;
    let segmenter = WordSegmenter::new_for_non_complex_scripts(WordBreakInvariantOptions::default());
    let mut expected = WordsExpected::default();
    for chunk in text.utf8_chunks() {
        let valid = chunk.valid();
        let cuts: Vec<usize> = segmenter.segment_str(valid).collect();
        for pair in cuts.windows(2) {
            let w = &valid[pair[0]..pair[1]];
            if !w.chars().any(|c| is_word_char(c) && c != '_' && !is_mark(c)) {
                continue;
            }
            match w.chars().find_map(complex_context) {
                Some(group) => {
                    let w = if lower { w.to_lowercase() } else { w.to_string() };
                    expected.runs.entry(group).or_default().push(w);
                }
                None => {
                    let w = if lower { w.to_lowercase() } else { w.to_string() };
                    *expected.exact.entry(w.into_bytes()).or_default() += 1;
                }
            }
        }
    }
    expected
}

fn reference(tokenizer: &str, text: &[u8], lower: bool) -> Counts {
    match tokenizer {
        "whitespace" => reference_whitespace(text, lower),
        "mrjob" => reference_mrjob(text, lower),
        other => unreachable!("{other}"),
    }
}

/// The `whitespace` rule: split on the six ASCII whitespace bytes; lowercase the valid UTF-8
/// stretches of each word and keep invalid bytes.
fn reference_whitespace(text: &[u8], lower: bool) -> Counts {
    let mut counts = Counts::new();
    for word in text.split(|b| b" \t\n\r\x0b\x0c".contains(b)).filter(|w| !w.is_empty()) {
        let mut w = Vec::new();
        for chunk in word.utf8_chunks() {
            let valid = if lower { chunk.valid().to_lowercase() } else { chunk.valid().to_string() };
            w.extend_from_slice(valid.as_bytes());
            w.extend_from_slice(chunk.invalid());
        }
        *counts.entry(w).or_default() += 1;
    }
    counts
}

/// Runs the engine through the library with these flags over one input file.
fn engine(args: &[String], path: &std::path::Path) -> Counts {
    let mut argv = vec!["mrwc".to_string(), "-q".to_string()];
    argv.extend(args.iter().cloned());
    argv.push(path.to_string_lossy().into_owned());
    let cli = Cli::try_parse_from(&argv).expect("flags parse");
    let config = Config::from_cli(&cli.count).expect("valid config");
    let plan = plan(&config.inputs, WalkOptions { recursive: true, follow: false, urls: false });
    let runner = config.build_runner(&plan).expect("runner");
    let progress = Progress::hidden();
    // Without --keep-going, a read error fails the job (and the test).
    let on_error = OnError::new(false);
    let job = config.job(&plan, &on_error, &progress);
    let reduced = runner.run(&job, &mut Counters::default()).expect("job runs");
    assert_eq!(reduced.partitions(), config.partitioner.count());
    let mut counts = Counts::new();
    let mut add = |p: usize, word: &[u8], count: u64| {
        assert_eq!(mrwc::partition::partition_of(word, config.partitioner.count()), p, "word in the wrong partition");
        assert!(counts.insert(word.to_vec(), count).is_none(), "word in two partitions");
    };
    match &reduced {
        Reduced::Memory(partitions) => {
            for (p, records) in partitions.iter().enumerate() {
                records.iter().for_each(|(w, c)| add(p, w, c));
            }
        }
        Reduced::Disk { runs, .. } => {
            for (p, path) in runs.iter().enumerate() {
                let mut run = mrwc::runfile::RunReader::open(path).expect("reduced run");
                while run.advance().expect("valid run") {
                    add(p, run.word(), run.count());
                }
            }
        }
        Reduced::Written { .. } => panic!("the job offered no part files to write"),
    }
    counts
}

/// Pieces that random inputs are made of: the cases that break tokenizers and splitters.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    let fixed: Vec<&'static [u8]> = vec![
        b"the",
        b"The",
        b"THE",
        b"don't",
        b"'",
        b"''",
        b"o'",
        b"_",
        b"42",
        b" ",
        b"  ",
        b"\n",
        b"\t",
        b"\r\n",
        b"\x0b",
        b"\x0c",
        b",",
        b"-",
        b".",
        "é".as_bytes(),
        "É".as_bytes(),
        "e\u{301}".as_bytes(),
        "中文".as_bytes(),
        "日本語".as_bytes(),
        "仕組み".as_bytes(),
        "计算机系统的工作原理".as_bytes(),
        "檔案選項".as_bytes(),
        "ภาษาไทย".as_bytes(),
        "ΣΑΣ".as_bytes(),
        "σ".as_bytes(),
        "\u{2019}".as_bytes(),
        "İ".as_bytes(),
        "😀".as_bytes(),
        "\u{a0}".as_bytes(),
        b"\x80",
        b"\xff",
        b"\xc3",
        b"\xe4\xb8",
        b"\xed\xa0\x80",
        b"\xc0\xaf",
        b"\xf4\x90\x80\x80",
    ];
    prop_oneof![
        6 => proptest::sample::select(fixed).prop_map(|s| s.to_vec()),
        2 => "[a-zA-Z]{1,12}".prop_map(String::into_bytes),
        1 => "\\PC{1,6}".prop_map(String::into_bytes),
        1 => proptest::collection::vec(any::<u8>(), 1..8),
        1 => (1usize..400).prop_map(|n| vec![b'x'; n]),
    ]
}

fn text() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(piece(), 0..80).prop_map(|pieces| {
        let text = pieces.concat();
        // A leading byte order mark selects the input's encoding (UTF-16, or a UTF-8 BOM to
        // drop), which the decoding tests cover; the references here read bytes as UTF-8.
        if [&b"\xff\xfe"[..], b"\xfe\xff", b"\xef\xbb\xbf"].iter().any(|bom| text.starts_with(bom)) {
            [b" ".as_slice(), &text].concat()
        } else {
            text
        }
    })
}

#[derive(Debug, Clone)]
struct Setup {
    runner: &'static str,
    jobs: usize,
    chunk: usize,
    partitions: usize,
    mmap: bool,
    tokenizer: &'static str,
    lower: bool,
    /// `--max-memory`: tiny budgets make every task spill.
    memory: Option<usize>,
}

fn setup() -> impl Strategy<Value = Setup> {
    (
        proptest::sample::select(vec!["local", "threads"]),
        1usize..=4,
        prop_oneof![1usize..=16, 17usize..=300, Just(1 << 20)],
        1usize..=7,
        any::<bool>(),
        proptest::sample::select(vec!["words", "words", "whitespace", "mrjob", "unicode"]),
        any::<bool>(),
        prop_oneof![Just(None), Just(Some(1)), Just(Some(300)), Just(Some(4096))],
    )
        .prop_map(|(runner, jobs, chunk, partitions, mmap, tokenizer, lower, memory)| Setup {
            runner,
            jobs,
            chunk,
            partitions,
            mmap,
            tokenizer,
            lower,
            memory,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn every_runner_matches_the_reference(text in text(), s in setup()) {
        let text = if s.tokenizer == "unicode" { well_known_only(&text) } else { text };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("input");
        std::fs::write(&path, &text).unwrap();
        let mut args: Vec<String> = vec![
            "-r".into(), s.runner.into(),
            "-j".into(), s.jobs.to_string(),
            "--chunk-size".into(), s.chunk.to_string(),
            "-p".into(), s.partitions.to_string(),
            "-t".into(), s.tokenizer.into(),
            "--case".into(), (if s.lower { "lower" } else { "keep" }).into(),
        ];
        if !s.mmap {
            args.push("--no-mmap".into());
        }
        if let Some(m) = s.memory {
            args.extend(["--max-memory".into(), m.to_string(), "--test-tiny-budget".into(), "--tmp-dir".into(), dir.path().to_string_lossy().into_owned()]);
        }
        let got = engine(&args, &path);
        if let Err(why) = check(s.tokenizer, &got, &text, s.lower) {
            return Err(TestCaseError::fail(why));
        }
    }
}

proptest! {
    // Processes are slower to start than threads: fewer cases, same oracle.
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn the_procs_runner_matches_the_reference(text in text(), s in setup()) {
        let text = if s.tokenizer == "unicode" { well_known_only(&text) } else { text };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("input");
        std::fs::write(&path, &text).unwrap();
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mrwc"));
        cmd.args(["-q", "-r", "procs", "--tmp-dir"]).arg(dir.path());
        cmd.args(["-j", &s.jobs.to_string(), "--chunk-size", &s.chunk.max(8).to_string(), "-p", &s.partitions.to_string()]);
        cmd.args(["-t", s.tokenizer, "--case", if s.lower { "lower" } else { "keep" }]);
        if !s.mmap {
            cmd.arg("--no-mmap");
        }
        if let Some(m) = s.memory {
            cmd.args(["--max-memory", &m.to_string(), "--test-tiny-budget"]);
        }
        let out = cmd.arg(&path).output().unwrap();
        prop_assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let mut got = Counts::new();
        for line in out.stdout.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let tab = line.iter().rposition(|&b| b == b'\t').unwrap();
            got.insert(line[..tab].to_vec(), std::str::from_utf8(&line[tab + 1..]).unwrap().parse().unwrap());
        }
        if let Err(why) = check(s.tokenizer, &got, &text, s.lower) {
            return Err(TestCaseError::fail(why));
        }
    }
}

#[test]
fn reference_implementations_agree_with_hand_counts() {
    let words = reference_words("Don't 'quote' ΣΑΣ a\u{2019}b x\u{ff}y a,b".as_bytes(), true);
    let want: Counts = [("don't", 1), ("quote", 1), ("σας", 1), ("a\u{2019}b", 1), ("xÿy", 1), ("a", 1), ("b", 1)]
        .iter()
        .map(|(w, c)| (w.as_bytes().to_vec(), *c))
        .collect();
    assert_eq!(words.exact, want);
    assert!(words.runs.is_empty());
    let ws = reference_whitespace(b"A\xffB a\xffb\tc", true);
    assert_eq!(ws.get(b"a\xffb".as_slice()), Some(&2));
    let mixed = reference_words("x中y don't中文 ภาษา".as_bytes(), true);
    assert_eq!(
        mixed.exact.keys().map(|k| String::from_utf8_lossy(k).into_owned()).collect::<Vec<_>>(),
        ["don't", "x", "y"]
    );
    assert_eq!(mixed.runs[&(Group::HanKana as u8)], ["中", "中文"]);
    assert_eq!(mixed.runs[&(Group::Thai as u8)], ["ภาษา"]);
    let mrjob = reference_mrjob("'Quote' cafe\u{301}\nA\u{e9}".as_bytes(), true);
    assert_eq!(
        mrjob.keys().map(|k| String::from_utf8_lossy(k).into_owned()).collect::<Vec<_>>(),
        ["'quote'", "a\u{e9}", "cafe"]
    );
    let unicode = reference_unicode("Can't stop 3.14 中文".as_bytes(), true);
    assert_eq!(
        unicode.exact.keys().map(|k| String::from_utf8_lossy(k).into_owned()).collect::<Vec<_>>(),
        ["3.14", "can't", "stop"]
    );
}

#[test]
fn check_words_catches_what_a_segmenter_bug_would_do() {
    let want = reference_words("计算机系统 ok".as_bytes(), true);
    let counts = |pairs: &[(&str, u64)]| -> Counts { pairs.iter().map(|(w, c)| (w.as_bytes().to_vec(), *c)).collect() };
    // Any cut of the run passes: whole, in two, in characters.
    for good in [
        counts(&[("计算机系统", 1), ("ok", 1)]),
        counts(&[("计算机", 1), ("系统", 1), ("ok", 1)]),
        counts(&[("计", 1), ("算", 1), ("机", 1), ("系", 1), ("统", 1), ("ok", 1)]),
    ] {
        assert_eq!(check_words(&good, &want, segmented_by_words), Ok(()));
    }
    // A lost character, a doubled one, a piece that is not in the text, a wrong count.
    for bad in [
        counts(&[("计算机", 1), ("系", 1), ("ok", 1)]),
        counts(&[("计算机", 1), ("系统", 1), ("统", 1), ("ok", 1)]),
        counts(&[("计算", 1), ("机系统", 1), ("文", 1), ("ok", 1)]),
        counts(&[("计算机系统", 1), ("ok", 2)]),
    ] {
        assert!(check_words(&bad, &want, segmented_by_words).is_err(), "{bad:?} passed");
    }
}

/// What a line holds under the `whitespace` tokenizer and `--case lower`, in order.
fn whitespace_words(line: &[u8]) -> Vec<Vec<u8>> {
    let counts_of_one = |w: &[u8]| reference_whitespace(w, true).into_keys().next();
    line.split(|b| b" \t\r\x0b\x0c".contains(b)).filter(|w| !w.is_empty()).filter_map(counts_of_one).collect()
}

/// The documented rows of `--by-file`, `--df [--doc-per-line]` and `--ngram 1..max` over
/// `files`: per (file, gram) or per gram, the count and the documents (files or lines) holding
/// it; a gram is 1..=max consecutive words of one line joined by a space. Rows are in file
/// order, then count descending, then bytes.
fn reference_rows(files: &[(String, Vec<u8>)], by_file: bool, df: Option<bool>, max: usize) -> Vec<u8> {
    /// A row's count, the lines holding its gram, the files holding it.
    type Row = (u64, u64, std::collections::BTreeSet<usize>);
    let mut rows: BTreeMap<(usize, Vec<u8>), Row> = BTreeMap::new();
    for (i, (_, text)) in files.iter().enumerate() {
        for line in text.split(|&b| b == b'\n') {
            let words = whitespace_words(line);
            let mut grams: Vec<Vec<u8>> = Vec::new();
            for n in 1..=max {
                grams.extend(words.windows(n).map(|w| w.join(&b' ')));
            }
            let file = if by_file { i } else { 0 };
            for g in &grams {
                let row = rows.entry((file, g.clone())).or_default();
                row.0 += 1;
                row.2.insert(i);
            }
            grams.sort();
            grams.dedup();
            for g in grams {
                rows.entry((file, g)).or_default().1 += 1;
            }
        }
    }
    let mut sorted: Vec<_> = rows.into_iter().collect();
    sorted.sort_by(|a, b| a.0 .0.cmp(&b.0 .0).then(b.1 .0.cmp(&a.1 .0)).then(a.0 .1.cmp(&b.0 .1)));
    let mut out = Vec::new();
    for ((file, gram), (count, lines, in_files)) in sorted {
        if by_file {
            out.extend_from_slice(files[file].0.as_bytes());
            out.push(b'\t');
        }
        out.extend_from_slice(&gram);
        out.extend_from_slice(format!("\t{count}").as_bytes());
        match df {
            Some(true) => out.extend_from_slice(format!("\t{lines}").as_bytes()),
            Some(false) => out.extend_from_slice(format!("\t{}", in_files.len()).as_bytes()),
            None => {}
        }
        out.push(b'\n');
    }
    out
}

/// Text from a small vocabulary, so that words repeat within lines and across files (the
/// tokenizer's edge cases are `text()`'s business); an empty separator glues two words.
fn doc_text() -> impl Strategy<Value = Vec<u8>> {
    let words: Vec<&'static [u8]> = vec![b"the", b"The", b"a", b"cat", "é".as_bytes(), "中文".as_bytes(), b"x\xff"];
    let separators: Vec<&'static [u8]> = vec![b" ", b" ", b"\n", b"\t", b" \r\n", b""];
    let pair = (proptest::sample::select(words), proptest::sample::select(separators));
    proptest::collection::vec(pair, 0..60).prop_map(|pairs| pairs.iter().flat_map(|(w, s)| [*w, *s].concat()).collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// `--by-file`, `--df` and n-grams, whatever cuts the input: chunks down to one byte,
    /// workers, partitions, spills, the local, threads and procs runners.
    #[test]
    fn per_file_and_document_counts_match_the_reference(
        texts in proptest::collection::vec(doc_text(), 1..4),
        s in setup(),
        keys in 0usize..4,
        max in 1usize..=3,
        procs in proptest::bool::weighted(0.15),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let files: Vec<(String, Vec<u8>)> = texts
            .into_iter()
            .enumerate()
            .map(|(i, text)| {
                let path = dir.path().join(format!("in-{i}"));
                std::fs::write(&path, &text).unwrap();
                (path.to_string_lossy().into_owned(), text)
            })
            .collect();
        let (flags, by_file, df): (&[&str], bool, Option<bool>) = match keys {
            0 => (&["--by-file"], true, None),
            1 => (&["--df"], false, Some(false)),
            2 => (&["--df", "--doc-per-line"], false, Some(true)),
            _ => (&["--by-file", "--df", "--doc-per-line"], true, Some(true)),
        };
        let runner = if procs { "procs" } else { s.runner };
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mrwc"));
        cmd.args(["-q", "-t", "whitespace", "-r", runner, "--tmp-dir"]).arg(dir.path());
        cmd.args(["-j", &s.jobs.to_string(), "--chunk-size", &s.chunk.to_string(), "-p", &s.partitions.to_string()]);
        cmd.args(["--ngram", &format!("1..{max}")]).args(flags);
        if !s.mmap {
            cmd.arg("--no-mmap");
        }
        if let Some(m) = s.memory {
            cmd.args(["--max-memory", &(m.max(64 << 10)).to_string(), "--test-tiny-budget"]);
        }
        let out = cmd.args(files.iter().map(|(p, _)| p)).output().unwrap();
        prop_assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let want = reference_rows(&files, by_file, df, max);
        prop_assert!(out.stdout == want, "{flags:?} 1..{max} -r {runner}\ngot:\n{}\nwant:\n{}",
            String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&want));
    }
}

/// Text for the segmenters: Chinese and Japanese pieces, kana that make a line Japanese, spaces,
/// punctuation and line ends, so that Han runs meet every context and every cut.
fn cjk_text() -> impl Strategy<Value = String> {
    let pieces = vec![
        "変数",
        "環境",
        "標準入力",
        "を",
        "の",
        "します",
        "カフェ",
        "计算机",
        "系统的",
        "工作原理",
        "檔案選項",
        "读",
        "。",
        "、",
        " ",
        " ",
        "\n",
        "\n",
        "abc",
        "x1",
    ];
    proptest::collection::vec(proptest::sample::select(pieces), 0..120).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Whether a Han run is Chinese or Japanese depends on its line, so the job may cut only at
    /// line ends: the counts of segmented text must not depend on the runner, the workers, the
    /// chunk size, the partitions, spills or the read mode; nor, in a legacy encoding (cut at
    /// line ends and decoded chunk by chunk), on any of those either.
    #[test]
    fn segmented_counts_do_not_depend_on_how_the_input_is_cut(text in cjk_text(), s in setup(), gb in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("input");
        std::fs::write(&path, &text).unwrap();
        let want = engine(&["-r".into(), "local".into(), "--chunk-size".into(), "1G".into()], &path);
        let mut args: Vec<String> = vec![
            "-r".into(), s.runner.into(),
            "-j".into(), s.jobs.to_string(),
            "--chunk-size".into(), s.chunk.to_string(),
            "-p".into(), s.partitions.to_string(),
        ];
        if gb {
            std::fs::write(&path, encoding_rs::GB18030.encode(&text).0).unwrap();
            args.extend(["--encoding".into(), "gb18030".into()]);
        }
        if !s.mmap {
            args.push("--no-mmap".into());
        }
        if let Some(m) = s.memory {
            args.extend(["--max-memory".into(), m.to_string(), "--test-tiny-budget".into(), "--tmp-dir".into(), dir.path().to_string_lossy().into_owned()]);
        }
        let got = engine(&args, &path);
        prop_assert!(got == want, "{args:?}\ngot  {got:?}\nwant {want:?}");
    }
}
