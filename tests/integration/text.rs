//! Real-world text: segmentation of Chinese (Simplified and Traditional), Japanese and Thai,
//! the `mrjob` and `unicode` tokenizers (the first against Python itself), case folding,
//! normalization, compressed inputs and byte-order marks.

use std::io::Write;
use std::process::Command;

#[cfg_attr(not(all(feature = "segment-zh", feature = "segment-icu")), allow(unused_imports))]
use crate::util::{assert_snapshot, fixture, parse_tsv, shared_corpus, skip, Mrwc, TestDir};

fn words(args: &[&str], text: &str) -> Vec<String> {
    let out = Mrwc::new().args(["--sort", "none", "--format", "tsv"]).args(args).stdin(text).stdout();
    let mut got: Vec<String> = out.lines().map(|l| l.split('\t').next().unwrap().to_string()).collect();
    got.sort();
    got
}

fn sorted(words: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = words.iter().map(|w| w.to_string()).collect();
    v.sort();
    v.dedup();
    v
}

#[cfg(feature = "segment-zh")]
#[test]
fn the_sample_sentences_are_cut_into_words() {
    assert_eq!(
        words(&[], "计算机系统的工作原理和功能由各种模块组成"),
        sorted(&["计算机系统", "的", "工作", "原理", "和", "功能", "由", "各种", "模块", "组成"])
    );
    assert_eq!(
        words(&[], "它们通过总线（Bus）连接，例如CPU、内存和I/O设备。"),
        sorted(&["它们", "通过", "总线", "bus", "连接", "例如", "cpu", "内存", "和", "i", "o", "设备"])
    );
}

#[cfg(feature = "segment-zh")]
#[test]
fn traditional_chinese_words_stay_whole() {
    let got = words(&[], "請檢查檔案的選項，這個問題需要補丁。");
    for w in ["檔案", "選項", "問題", "補丁", "這個"] {
        assert!(got.contains(&w.to_string()), "{w} missing from {got:?}");
    }
}

#[cfg(feature = "segment-icu")]
#[test]
fn japanese_is_segmented_with_its_kana() {
    let got = words(&[], "東京都は日本の首都です。この仕組みはLinuxカーネルで動きます。");
    for w in ["東京", "日本", "首都", "仕組み", "linux", "カーネル"] {
        assert!(got.contains(&w.to_string()), "{w} missing from {got:?}");
    }
}

/// The multilingual fixture as each tokenizer counts it, pinned: a change in segmentation shows
/// up here as a diff of whole words.
#[cfg(all(feature = "segment-zh", feature = "segment-icu"))]
#[test]
fn the_multilingual_fixture_is_pinned_for_every_tokenizer() {
    for tokenizer in ["words", "whitespace", "mrjob", "unicode"] {
        let out = Mrwc::new().args(["--sort", "word", "-t", tokenizer]).arg(fixture("multilingual.txt")).stdout();
        assert_snapshot(&format!("multilingual-{tokenizer}.tsv"), &out);
    }
}

#[cfg(feature = "segment-icu")]
#[test]
fn thai_is_segmented() {
    let got = words(&[], "ภาษาไทยง่ายนิดเดียว");
    assert!(got.len() >= 3 && got.contains(&"ภาษา".to_string()), "{got:?}");
}

/// The 30 most frequent tokens made of Han characters only.
#[cfg(feature = "segment-zh")]
fn top_han(counts: &std::collections::BTreeMap<Vec<u8>, u64>) -> Vec<(String, u64)> {
    let mut han: Vec<(String, u64)> = counts
        .iter()
        .map(|(w, c)| (String::from_utf8_lossy(w).into_owned(), *c))
        .filter(|(w, _)| w.chars().all(|c| ('\u{3400}'..='\u{9fff}').contains(&c)))
        .collect();
    han.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    han.truncate(30);
    han
}

/// Checks that segmentation happened: the frequent words are counted whole, and a good part of
/// the 30 most frequent Han tokens are words of two or more characters. Not half: the most
/// frequent words of Chinese are one-character function words (的 在 是 和 了 被 将 ...) that
/// every dictionary lists as words; on zh-modern-1mb jieba gives 10 of 30 with HMM off (11
/// with it) and ICU4X 8; on zh-tw-manpages-1mb 14 (ICU4X 14). A tokenizer that cut Han into
/// characters scores 0, one that kept runs whole fails the frequent-word check.
#[cfg(feature = "segment-zh")]
fn check_corpus(name: &str, expected: &[&str]) {
    let Some(path) = shared_corpus(name) else { return };
    let out = Mrwc::new().arg(&path).output();
    out.assert_code(0);
    let counts = parse_tsv(&out.stdout_bytes);
    for w in expected {
        assert!(counts.get(w.as_bytes()).is_some_and(|&c| c >= 50), "{name}: {w} is not a frequent word");
    }
    let top = top_han(&counts);
    let multi = top.iter().filter(|(w, _)| w.chars().count() >= 2).count();
    assert!(multi >= 10, "{name}: only {multi} of the top 30 Han tokens are words of 2+ characters: {top:?}");
}

#[cfg(feature = "segment-zh")]
#[test]
fn simplified_corpus_counts_whole_words() {
    check_corpus("zh-modern-1mb.txt", &["内核", "使用", "可以", "内存", "设备", "问题"]);
}

#[cfg(feature = "segment-zh")]
#[test]
fn traditional_corpus_counts_whole_words() {
    check_corpus("zh-tw-manpages-1mb.txt", &["檔案", "選項", "命令", "使用", "設定", "輸出"]);
}

#[test]
fn unicode_tokenizer_follows_uax29() {
    assert_eq!(
        words(&["-t", "unicode"], "Can't stop 3.14 例如CPU"),
        sorted(&["can't", "stop", "3.14", "例", "如", "cpu"])
    );
}

#[test]
fn case_fold_and_normalization() {
    assert_eq!(words(&["--case", "fold"], "Straße STRASSE strasse"), ["strasse"]);
    assert_eq!(words(&["--normalize", "nfkc"], "ＣＰＵ cpu"), ["cpu"]);
    assert_eq!(words(&["--normalize", "nfc"], "cafe\u{301} café"), ["café"]);
    assert_eq!(words(&[], "cafe\u{301} café"), sorted(&["cafe\u{301}", "café"]));
}

/// Python's `[\w']+` over each line, as mrjob's word-count example runs it.
const PYTHON_MRJOB: &str = r#"
import collections, re, sys
WORD_RE = re.compile(r"[\w']+")
counts = collections.Counter()
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        for raw in f:
            raw = raw.rstrip(b"\n")
            try:
                line = raw.decode("utf_8")
            except UnicodeDecodeError:
                line = raw.decode("latin_1")
            for word in WORD_RE.findall(line):
                counts[word.lower()] += 1
out = sys.stdout.buffer
for word in sorted(counts):
    out.write(word.encode("utf_8") + b"\t" + str(counts[word]).encode() + b"\n")
"#;

/// Text from scripts whose characters are the same in every Unicode version since 6, with
/// marks, digits, apostrophes, punctuation and invalid bytes between them.
fn random_unicode(seed: u64, lines: usize) -> Vec<u8> {
    const RANGES: &[(u32, u32)] = &[
        (0x20, 0x7e),
        (0xa0, 0x24f),
        (0x300, 0x36f),
        (0x391, 0x3c9),
        (0x400, 0x45f),
        (0x660, 0x669),
        (0x2160, 0x2188),
        (0x3041, 0x3096),
        (0x30a1, 0x30fa),
        (0x4e00, 0x4fff),
        (0xff10, 0xff5a),
    ];
    let mut state = seed;
    let mut next = |n: u64| {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) % n
    };
    let mut out = Vec::new();
    for _ in 0..lines {
        for _ in 0..next(40) {
            match next(20) {
                0 => out.push(0xff),
                1 => out.push(b'\''),
                2 | 3 => out.push(b' '),
                _ => {
                    let (lo, hi) = RANGES[next(RANGES.len() as u64) as usize];
                    let c = char::from_u32(lo + next(u64::from(hi - lo + 1)) as u32).unwrap_or('x');
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                }
            }
        }
        out.push(b'\n');
    }
    out
}

#[test]
fn mrjob_tokenizer_matches_python() {
    if Command::new("python3").arg("-c").arg("pass").output().map(|o| !o.status.success()).unwrap_or(true) {
        skip("python3 is not on PATH");
        return;
    }
    let dir = TestDir::new();
    let mut inputs = vec![dir.write("random.txt", random_unicode(7, 3000))];
    for name in ["kjv.txt", "zh-modern-1mb.txt", "zh-tw-manpages-1mb.txt", "linux-docs-en-2mb.txt"] {
        inputs.extend(shared_corpus(name));
    }
    for input in &inputs {
        let python = Command::new("python3").arg("-c").arg(PYTHON_MRJOB).arg(input).output().unwrap();
        assert!(python.status.success(), "{}", String::from_utf8_lossy(&python.stderr));
        let ours = Mrwc::new().args(["-t", "mrjob", "--sort", "word"]).arg(input).output();
        ours.assert_code(0);
        let (want, got) = (parse_tsv(&python.stdout), parse_tsv(&ours.stdout_bytes));
        let differ: Vec<_> = want
            .iter()
            .filter(|(w, c)| got.get(*w) != Some(c))
            .map(|(w, c)| format!("{}: python {c}, mrwc {:?}", String::from_utf8_lossy(w), got.get(w)))
            .take(10)
            .collect();
        assert!(differ.is_empty() && want.len() == got.len(), "{}: {differ:?}", input.display());
    }
}

fn gzip(text: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(text).unwrap();
    e.finish().unwrap()
}

fn compressed(format: &str, text: &[u8]) -> Vec<u8> {
    match format {
        "gz" => gzip(text),
        "bz2" => {
            let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
            e.write_all(text).unwrap();
            e.finish().unwrap()
        }
        "zst" => zstd::encode_all(text, 3).unwrap(),
        "xz" => {
            let mut e = liblzma::write::XzEncoder::new(Vec::new(), 6);
            e.write_all(text).unwrap();
            e.finish().unwrap()
        }
        other => unreachable!("{other}"),
    }
}

fn sample_text() -> Vec<u8> {
    (0..5000).map(|i| format!("line {i} of Some words, some MORE words {}\n", i % 7)).collect::<String>().into_bytes()
}

#[test]
fn every_compressed_format_counts_like_the_plain_text() {
    let dir = TestDir::new();
    let text = sample_text();
    let plain = dir.write("plain.txt", &text);
    let want = Mrwc::new().arg(&plain).stdout();
    for format in ["gz", "bz2", "zst", "xz"] {
        let data = compressed(format, &text);
        let named = dir.write(&format!("text.{format}"), &data);
        // Found by magic bytes too, without the extension.
        let unnamed = dir.write(&format!("text-{format}.dat"), &data);
        for runner in ["local", "threads", "procs"] {
            for file in [&named, &unnamed] {
                let got = Mrwc::new().args(["-r", runner, "--chunk-size", "4K"]).arg(file).stdout();
                assert!(got == want, "{format} {runner} {}: counts differ", file.display());
            }
        }
        let piped = Mrwc::new().stdin(data.clone()).stdout();
        assert!(piped == want, "{format} on stdin: counts differ");
    }
}

#[test]
fn many_compressed_files_count_like_one_plain_file() {
    let dir = TestDir::new();
    let text = sample_text();
    let lines: Vec<&[u8]> = text.split_inclusive(|&b| b == b'\n').collect();
    for (i, part) in lines.chunks(lines.len().div_ceil(8)).enumerate() {
        dir.write(&format!("parts/p{i}.gz"), gzip(&part.concat()));
    }
    let plain = dir.write("all.txt", &text);
    let want = Mrwc::new().arg(&plain).stdout();
    let got = Mrwc::new().args(["-j", "2", "--stats"]).arg(dir.join("parts")).output();
    got.assert_code(0);
    assert!(got.stdout == want, "counts of the gzipped parts differ from the plain text's");
    assert!(got.stderr.contains("map tasks                              8"), "{}", got.stderr);
}

#[test]
fn concatenated_gzip_members_are_one_input() {
    let dir = TestDir::new();
    let file = dir.write("multi.gz", [gzip(b"alpha beta\n"), gzip(b"beta gamma\n"), gzip(b"")].concat());
    assert_eq!(Mrwc::new().args(["--sort", "word"]).arg(&file).stdout(), "alpha\t1\nbeta\t2\ngamma\t1\n");
}

#[test]
fn corrupt_and_truncated_archives_name_the_file_and_offset() {
    let dir = TestDir::new();
    let text = sample_text();
    for format in ["gz", "bz2", "zst", "xz"] {
        let data = compressed(format, &text);
        let cut = dir.write(&format!("cut.{format}"), &data[..data.len() / 2]);
        let run = Mrwc::new().arg(&cut).output();
        run.assert_code(2);
        let name = match format {
            "gz" => "gzip",
            "bz2" => "bzip2",
            "zst" => "zstd",
            _ => "xz",
        };
        let want = format!(
            "mrwc: {}: truncated {name} data: input ends at byte {} inside a compressed stream\n",
            cut.display(),
            data.len() / 2
        );
        assert_eq!(run.stderr, want);
        assert!(run.stdout.is_empty());

        let mut bad = data.clone();
        let at = data.len() / 2;
        bad[at] ^= 0x55;
        bad[at + 1] ^= 0xaa;
        let bad = dir.write(&format!("bad.{format}"), &bad);
        let run = Mrwc::new().arg(&bad).output();
        run.assert_code(2);
        let prefix = format!("mrwc: {}: corrupt {name} data near byte ", bad.display());
        assert!(run.stderr.starts_with(&prefix) && run.stderr.lines().count() == 1, "{format}: {}", run.stderr);
    }
    // A .gz that is not gzip at all is an error, not binary noise counted as words.
    let fake = dir.write("fake.gz", "just text\n");
    let run = Mrwc::new().arg(&fake).output();
    run.assert_code(2);
    assert!(run.stderr.contains("fake.gz: corrupt gzip data near byte "), "{}", run.stderr);
}

#[test]
fn byte_order_marks_are_honoured() {
    let dir = TestDir::new();
    let text = "Grüße, 中文 hello hello\n";
    let utf8 = dir.write("utf8.txt", ["\u{feff}".as_bytes(), text.as_bytes()].concat());
    let le: Vec<u8> = "\u{feff}".encode_utf16().chain(text.encode_utf16()).flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = "\u{feff}".encode_utf16().chain(text.encode_utf16()).flat_map(u16::to_be_bytes).collect();
    let le = dir.write("le.txt", le);
    let be = dir.write("be.txt", &be);
    let gz_be = dir.write("be.txt.gz", gzip(&std::fs::read(&be).unwrap()));
    let want = "hello\t2\ngrüße\t1\n中文\t1\n";
    for file in [&utf8, &le, &be, &gz_be] {
        for mmap in [&[][..], &["--no-mmap"][..]] {
            assert_eq!(Mrwc::new().args(mmap).arg(file).stdout(), want, "{} {mmap:?}", file.display());
        }
        assert_eq!(Mrwc::new().stdin(std::fs::read(file).unwrap()).stdout(), want, "{} on stdin", file.display());
    }
}
