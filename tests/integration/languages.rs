//! Chinese and Japanese as users meet them: Japanese cut by its morphological analyzer, Han text
//! judged by its line, user dictionaries on every runner, and text in legacy encodings.

use std::collections::BTreeMap;

use crate::util::*;

/// The counts of a tsv output.
fn counts(text: &str) -> BTreeMap<String, u64> {
    text.lines()
        .map(|l| {
            let (w, c) = l.rsplit_once('\t').expect("word<TAB>count");
            (w.to_string(), c.parse().unwrap())
        })
        .collect()
}

#[cfg(feature = "segment-ja")]
/// The words mrwc counts in `line`, in the order they appear in it, joined by `/` (the examples
/// hold each word once).
fn cut(line: &str, extra: &[&str]) -> String {
    let out = Mrwc::new().args(["-q", "--sort", "word", "-f", "tsv"]).args(extra).arg("-").stdin(line).stdout();
    let mut words: Vec<(usize, String)> =
        counts(&out).into_keys().map(|w| (line.find(w.as_str()).unwrap_or(usize::MAX), w)).collect();
    words.sort();
    words.into_iter().map(|(_, w)| w).collect::<Vec<_>>().join("/")
}

#[cfg(feature = "segment-ja")]
#[test]
fn japanese_is_cut_as_an_ipadic_analyzer_cuts_it() {
    // The sentences the language issue found cut into fragments (しま/す, れま, った場).
    assert_eq!(cut("ファイルを指定します。\n", &[]), "ファイル/を/指定/し/ます");
    assert_eq!(cut("変数の書式を変更されます。\n", &[]), "変数/の/書式/を/変更/さ/れ/ます");
    assert_eq!(cut("となった場合の内容\n", &[]), "と/なっ/た/場合/の/内容");
    assert_eq!(cut("してください\n", &[]), "し/て/ください");
    // Kanji compounds in a Japanese line, and with --han ja on their own.
    assert_eq!(cut("環境変数と標準入力を読む\n", &[]), "環境/変数/と/標準/入力/を/読む");
    assert_eq!(cut("変数\n", &["--han", "ja"]), "変数");
    assert_eq!(cut("書式\n", &["--han", "ja"]), "書式");
}

#[cfg(all(feature = "segment-zh", feature = "segment-ja"))]
#[test]
fn han_text_without_kana_is_chinese_unless_its_line_or_han_says_japanese() {
    // A line without kana is Chinese: jieba does not know the Japanese form 変.
    let text = "环境变量\n環境変数\n環境変数を使う\n";
    let got = counts(&Mrwc::new().args(["-q", "-"]).stdin(text).stdout());
    assert_eq!(got.get("环境变量"), Some(&1), "{got:?}");
    assert_eq!(got.get("変"), Some(&1), "{got:?}");
    assert_eq!(got.get("変数"), Some(&1), "{got:?}");
    let ja = counts(&Mrwc::new().args(["-q", "--han", "ja", "-"]).stdin(text).stdout());
    assert_eq!(ja.get("変数"), Some(&2), "{ja:?}");
    let zh = counts(&Mrwc::new().args(["-q", "--han", "zh", "-"]).stdin(text).stdout());
    // A run with kana is Japanese whatever --han says.
    assert_eq!(zh.get("変数"), Some(&1), "{zh:?}");
    assert_eq!(zh.get("変"), Some(&1), "{zh:?}");
    // The words are the same whatever cuts the input: every runner, chunks down to a byte.
    let t = TestDir::new();
    let long = text.repeat(50) + &"変数の書式、环境变量 ".repeat(40) + "\n";
    t.write("in.txt", &long);
    let want = t.cmd().args(["-q", "-r", "local", "in.txt"]).stdout();
    for args in [
        ["-r", "threads", "--chunk-size", "1"],
        ["-r", "threads", "--chunk-size", "7"],
        ["-r", "procs", "--chunk-size", "64"],
    ] {
        assert_same(&want, &t.cmd().args(["-q"]).args(args).arg("in.txt").stdout());
    }
    let piped = t.cmd().args(["map"]).stdin(long.clone()).stdout();
    let reduced = t.cmd().args(["reduce", "--unsorted"]).stdin(piped).stdout();
    assert_eq!(counts(&want), counts(&reduced));
}

#[cfg(all(feature = "segment-zh", feature = "segment-ja"))]
#[test]
fn a_user_dictionary_keeps_a_made_up_compound_whole_on_every_runner() {
    let t = TestDir::new();
    t.write("user.txt", "\u{feff}量子猫咖啡 5 n\r\n\r\n量子猫カフェ\r\n");
    t.write("in.txt", "我们去量子猫咖啡。\n量子猫カフェに行きます。\n");
    let without = counts(&t.cmd().args(["-q", "in.txt"]).stdout());
    assert!(!without.contains_key("量子猫咖啡") && !without.contains_key("量子猫カフェ"), "{without:?}");
    for runner in ["local", "threads", "procs"] {
        let got = counts(&t.cmd().args(["-q", "-r", runner, "--user-dict", "user.txt", "in.txt"]).stdout());
        assert_eq!(got.get("量子猫咖啡"), Some(&1), "{runner}: {got:?}");
        assert_eq!(got.get("量子猫カフェ"), Some(&1), "{runner}: {got:?}");
    }
    let mapped = t.cmd().args(["map", "--user-dict", "user.txt"]).stdin("量子猫咖啡\n量子猫カフェに\n").stdout();
    assert!(mapped.contains("量子猫咖啡\t1\n") && mapped.contains("量子猫カフェ\t1\n"), "{mapped}");
    let unmapped = t.cmd().args(["map"]).stdin("量子猫咖啡\n").stdout();
    assert!(!unmapped.contains("量子猫咖啡\t"), "{unmapped}");
}

#[test]
fn a_bad_user_dictionary_fails_before_any_work() {
    let t = TestDir::new();
    t.write("bad.txt", "好词 3 n\n坏词 3 n extra\n");
    t.write("in.txt", "x\n");
    let run = t.cmd().args(["-o", "out.tsv", "--user-dict", "bad.txt", "in.txt"]).output();
    run.assert_code(2);
    run.assert_stderr("mrwc: --user-dict bad.txt: line 2: expected `word [freq] [tag]`, got \"坏词 3 n extra\"\n");
    assert!(!t.join("out.tsv").exists());
    let run = t.cmd().args(["--user-dict", "missing.txt", "in.txt"]).output();
    run.assert_code(2);
    run.assert_stderr("mrwc: --user-dict missing.txt: No such file or directory\n");
    t.cmd().args(["map", "--user-dict", "bad.txt"]).stdin("x\n").output().assert_code(2);
}

#[cfg(feature = "segment-ja")]
#[test]
fn japanese_agrees_with_janome_on_ninety_seven_percent_of_its_tokens() {
    let Some(venv) = venv() else { return };
    use std::process::Command;
    let python = venv.join("bin/python");
    if !Command::new(&python).args(["-c", "import janome"]).output().is_ok_and(|o| o.status.success()) {
        skip(&format!("Janome is not installed in {}", venv.display()));
        return;
    }
    let corpus = fixture("ja/debian-reference.ja.txt");
    let t = TestDir::new();
    let ours = t.cmd().args(["-q", "--case", "keep", "-o", "mrwc.tsv"]).arg(&corpus).output();
    ours.assert_code(0);
    let script = t.write("agree.py", AGREEMENT);
    let out = Command::new(&python).arg(&script).arg(&corpus).arg(t.join("mrwc.tsv")).output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}{}", String::from_utf8_lossy(&out.stderr));
    let share: f64 = report.split_whitespace().last().unwrap().parse().unwrap();
    eprintln!("{report}");
    assert!(share >= 0.97, "agreement with Janome below 97%: {report}");
}

#[cfg(feature = "segment-ja")]
/// Counts Janome's tokens of each line of a file and compares them with mrwc's counts: the
/// share of Janome's Japanese tokens (all kana and Han) that mrwc counted too (per word, the
/// smaller of the two counts).
const AGREEMENT: &str = r#"
import collections, re, sys
from janome.tokenizer import Tokenizer
JA = re.compile(r'^[\u3041-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005-\u3007]+$')
tokenizer = Tokenizer()
janome = collections.Counter()
with open(sys.argv[1], encoding='utf-8') as f:
    for line in f:
        janome.update(w for w in tokenizer.tokenize(line.rstrip('\n'), wakati=True) if JA.match(w))
ours = collections.Counter()
with open(sys.argv[2], encoding='utf-8') as f:
    for line in f:
        word, count = line.rstrip('\n').rsplit('\t', 1)
        if JA.match(word):
            ours[word] += int(count)
total = sum(janome.values())
common = sum(min(c, ours[w]) for w, c in janome.items())
print(f'janome {total} Japanese tokens, mrwc {sum(ours.values())}, in common {common}, share {common / total:.4f}')
"#;

/// `text` without the characters `encoding` cannot encode (Big5 lacks some
/// Simplified characters and symbols), and its bytes in `encoding`.
fn encodable(text: &str, encoding: &'static encoding_rs::Encoding) -> (String, Vec<u8>) {
    let kept: String = text
        .chars()
        .filter(|c| {
            let (_, _, unmappable) = encoding.encode(c.encode_utf8(&mut [0; 4]));
            !unmappable
        })
        .collect();
    let bytes = encoding.encode(&kept).0.into_owned();
    (kept, bytes)
}

#[test]
fn legacy_encodings_count_exactly_as_their_utf8_originals() {
    let ja = std::fs::read_to_string(fixture("ja/debian-reference.ja.txt")).unwrap();
    let mut cases =
        vec![("ja", ja.clone(), encoding_rs::SHIFT_JIS, "shift_jis"), ("ja", ja, encoding_rs::EUC_JP, "euc-jp")];
    for (name, encoding, label) in
        [("zh-modern-1mb.txt", encoding_rs::GB18030, "gb18030"), ("zh-tw-manpages-1mb.txt", encoding_rs::BIG5, "big5")]
    {
        match shared_corpus(name) {
            Some(path) => cases.push((name, std::fs::read_to_string(path).unwrap(), encoding, label)),
            None => skip(&format!("../shared/corpus/{name} is absent")),
        }
    }
    let t = TestDir::new();
    for (name, text, encoding, label) in cases {
        let (kept, bytes) = encodable(&text, encoding);
        t.write("utf8.txt", &kept);
        t.write("legacy.txt", &bytes);
        let want = t.cmd().args(["-q", "utf8.txt"]).stdout();
        let runs: [&[&str]; 6] = [
            &["--encoding", label],
            &["--encoding", "auto"],
            &["--encoding", label, "-r", "threads", "--chunk-size", "4K"],
            &["--encoding", label, "-r", "procs", "--chunk-size", "64K"],
            &["--encoding", "auto", "--no-mmap", "--chunk-size", "4K"],
            &["--encoding", label, "-r", "local", "--chunk-size", "1"],
        ];
        for args in runs {
            let got = t.cmd().args(["-q"]).args(args).arg("legacy.txt").stdout();
            assert!(got == want, "{name} in {label}, {args:?}: counts differ");
        }
        let got = t.cmd().args(["-q", "--encoding", "auto", "-"]).stdin(bytes.clone()).stdout();
        assert!(got == want, "{name} in {label} from stdin: counts differ");
        // Compressed: decompressed, then decoded.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &bytes).unwrap();
        t.write("legacy.txt.gz", gz.finish().unwrap());
        let got = t.cmd().args(["-q", "--encoding", label, "legacy.txt.gz"]).stdout();
        assert!(got == want, "{name} in {label}, gzip: counts differ");
        // auto says what it found.
        let run = t.cmd().args(["-q", "--verbose", "--encoding", "auto", "legacy.txt"]).output();
        let shown = run.stderr.clone();
        assert!(shown.starts_with("mrwc: legacy.txt: decoding ") && shown.contains("(detected)"), "{shown}");
    }
}

#[test]
fn undecodable_bytes_count_as_replacement_characters_and_are_reported() {
    let t = TestDir::new();
    // Shift_JIS: ファイル, then a lead byte with no valid trail, then ok.
    t.write("bad.txt", b"\x83t\x83@\x83C\x83\x8b \x82\xff ok\n\x81");
    let run = t.cmd().args(["-q", "--encoding", "shift_jis", "--stats", "--stats-json", "s.json", "bad.txt"]).output();
    run.assert_code(0);
    assert_eq!(counts(&run.stdout), counts("ファイル\t1\nok\t1\n"));
    let stats = &run.stderr;
    assert!(stats.contains("undecodable sequences                  2"), "{stats}");
    assert!(stats.contains("mrwc: input encodings\n  Shift_JIS"), "{stats}");
    let json = std::fs::read_to_string(t.join("s.json")).unwrap();
    assert!(json.contains("\"undecodable_sequences\":2"), "{json}");
    assert!(json.contains("\"encodings\":[{\"name\":\"Shift_JIS\",\"inputs\":1,\"detected\":0}]"), "{json}");
    // The same through a worker process.
    let run = t.cmd().args(["-q", "-r", "procs", "--encoding", "shift_jis", "--stats", "bad.txt"]).output();
    assert!(run.stderr.contains("undecodable sequences                  2"));
}

#[test]
fn encoding_flags_are_checked_before_any_work() {
    let t = TestDir::new();
    t.write("in.txt", "x\n");
    let run = t.cmd().args(["--encoding", "klingon", "-o", "out.tsv", "in.txt"]).output();
    run.assert_code(2);
    assert!(run.stderr.contains("unknown encoding \"klingon\""));
    let run = t.cmd().args(["--online", "--tail", "--encoding", "gbk", "in.txt"]).output();
    run.assert_code(2);
    assert!(run.stderr.contains("--tail follows files' raw bytes"));
    assert!(!t.join("out.tsv").exists());
}
