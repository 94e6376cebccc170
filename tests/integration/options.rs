//! Counting options (`--stopwords`, `--min-len`, `--max-len`, `--no-numbers`, `--only`):
//! every runner, worker count, chunk size (down to one byte), partition count and mode against
//! a reference written here from the documented rules, never from the engine's code.

use std::collections::BTreeMap;

use crate::util::*;

/// The documented rules over the `whitespace` tokenizer's words (ASCII whitespace splits,
/// `--case lower` lowercases): a word is kept when its length in characters is within bounds,
/// it has a letter (with `no_numbers`), it is not a stopword and (with `only`) it is listed.
struct Rules<'a> {
    stop: &'a [&'a str],
    min: usize,
    max: usize,
    no_numbers: bool,
    only: Option<&'a [&'a str]>,
}

impl Rules<'_> {
    /// Kept words with their counts, and how many tokens were dropped.
    fn count(&self, text: &str) -> (BTreeMap<Vec<u8>, u64>, u64) {
        self.grams(text, 1, 1)
    }

    /// Runs of `n..=m` kept words of one line, joined by a space, with their counts, and how
    /// many tokens were dropped.
    fn grams(&self, text: &str, n: usize, m: usize) -> (BTreeMap<Vec<u8>, u64>, u64) {
        let (mut counts, mut dropped) = (BTreeMap::new(), 0);
        for line in text.split('\n') {
            let mut kept = Vec::new();
            for word in line.split([' ', '\t', '\r', '\x0b', '\x0c']).filter(|w| !w.is_empty()) {
                let word = word.to_lowercase();
                let chars = word.chars().count();
                let keep = chars >= self.min
                    && chars <= self.max
                    && (!self.no_numbers || word.chars().any(char::is_alphabetic))
                    && !self.stop.contains(&word.as_str())
                    && self.only.is_none_or(|only| only.contains(&word.as_str()));
                if keep {
                    kept.push(word);
                } else {
                    dropped += 1;
                }
            }
            for len in n..=m {
                for gram in kept.windows(len) {
                    *counts.entry(gram.join(" ").into_bytes()).or_insert(0) += 1;
                }
            }
        }
        (counts, dropped)
    }
}

/// Words of every kind the filters look at: stopwords in several cases, numbers, short and long
/// words, multi-byte characters, and words of the vocabulary.
fn corpus() -> String {
    let words = [
        "The",
        "the",
        "THE",
        "and",
        "Lord",
        "said",
        "2024",
        "1:1",
        "3.14",
        "x86",
        "a",
        "I",
        "内核",
        "内",
        "Straße",
        "counting",
        "extraordinarily",
        "é",
        "ok",
        "vocabulary",
        "word",
        "of",
        "Of",
        "wörter",
    ];
    let mut text = String::new();
    let mut state = 7u64;
    for line in 0..400 {
        for _ in 0..(3 + line % 9) {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            text.push_str(words[(state >> 33) as usize % words.len()]);
            text.push(if state & 1 == 0 { ' ' } else { '\t' });
        }
        text.push('\n');
    }
    text
}

const STOP: &[&str] = &["the", "and", "of", "straße"];
const ONLY: &[&str] = &["lord", "said", "counting", "内核", "x86", "the", "wörter", "2024"];

#[test]
fn filters_give_the_reference_counts_on_every_runner_chunk_size_and_partition_count() {
    let t = TestDir::new();
    let text = corpus();
    let input = t.write("in.txt", &text);
    t.write("stop.txt", "# stopwords for the test\nThe\r\nAND\nof\nSTRASSE # not Straße under lower\nStraße\n");
    t.write("only.txt", ONLY.join("\n"));
    let cases: [(Vec<&str>, Rules); 4] = [
        (vec!["--stopwords", "stop.txt"], Rules { stop: STOP, min: 0, max: usize::MAX, no_numbers: false, only: None }),
        (vec!["--min-len", "2", "--max-len", "8"], Rules { stop: &[], min: 2, max: 8, no_numbers: false, only: None }),
        (vec!["--no-numbers"], Rules { stop: &[], min: 0, max: usize::MAX, no_numbers: true, only: None }),
        (
            vec!["--only", "only.txt", "--stopwords", "stop.txt", "--no-numbers", "--min-len", "2"],
            Rules { stop: STOP, min: 2, max: usize::MAX, no_numbers: true, only: Some(ONLY) },
        ),
    ];
    for (flags, rules) in &cases {
        let (want, dropped) = rules.count(&text);
        assert!(dropped > 0 && !want.is_empty(), "{flags:?}: the corpus must exercise the filter");
        let in_process = [("1", "1", "1"), ("2", "7", "3"), ("2", "64K", "2"), ("3", "100", "5")];
        // A procs map task is a process round trip: byte-sized chunks would only add time.
        let procs = [("1", "100", "1"), ("2", "1K", "3")];
        for (runner, setups) in [("local", &in_process[..1]), ("threads", &in_process[..]), ("procs", &procs[..])] {
            for &(jobs, chunk, partitions) in setups {
                let run = t
                    .cmd()
                    .args(["-t", "whitespace", "-r", runner, "-j", jobs, "--chunk-size", chunk, "-p", partitions])
                    .args(["--stats", "--sort", "word"])
                    .args(flags)
                    .arg(&input)
                    .output();
                run.assert_code(0);
                let setup = format!("{flags:?} -r {runner} -j {jobs} --chunk-size {chunk} -p {partitions}");
                assert_eq!(parse_tsv(run.stdout.as_bytes()), want, "{setup}");
                let filtered = run.stderr.lines().find(|l| l.contains("filtered tokens")).expect("the counter");
                assert_eq!(
                    filtered.split_whitespace().last().unwrap().replace(',', ""),
                    dropped.to_string(),
                    "{setup}"
                );
            }
        }
        // Online mode, and Hadoop Streaming's map | sort | reduce, apply the same options.
        let online =
            t.cmd().args(["-t", "whitespace", "--online", "-o", "online.tsv"]).args(flags).arg(&input).output();
        online.assert_code(0);
        assert_eq!(parse_tsv(&std::fs::read(t.join("online.tsv")).unwrap()), want, "online {flags:?}");
        let mapped = t.cmd().args(["map", "-t", "whitespace"]).args(flags).stdin(text.clone()).output();
        mapped.assert_code(0);
        let reduced = t.cmd().args(["reduce", "--unsorted"]).stdin(mapped.stdout.clone()).output();
        assert_eq!(parse_tsv(reduced.stdout.as_bytes()), want, "map | reduce {flags:?}");
    }
}

#[test]
fn ngrams_give_the_reference_counts_whatever_cuts_the_input() {
    let t = TestDir::new();
    let text = corpus();
    let input = t.write("in.txt", &text);
    t.write("stop.txt", STOP.join("\n"));
    let all = Rules { stop: &[], min: 0, max: usize::MAX, no_numbers: false, only: None };
    let filtered = Rules { stop: STOP, min: 2, max: usize::MAX, no_numbers: false, only: None };
    let cases: [(Vec<&str>, &Rules, usize, usize); 3] = [
        (vec!["--ngram", "2"], &all, 2, 2),
        (vec!["--ngram", "1..3"], &all, 1, 3),
        (vec!["--ngram", "2..3", "--stopwords", "stop.txt", "--min-len", "2"], &filtered, 2, 3),
    ];
    for (flags, rules, n, m) in cases {
        let (want, _) = rules.grams(&text, n, m);
        assert!(want.keys().any(|k| k.contains(&b' ')), "{flags:?}: no n-gram of several words");
        let in_process = [("1", "1", "1"), ("2", "5", "3"), ("2", "64K", "2")];
        let procs = [("2", "300", "3")];
        for (runner, setups) in [("local", &in_process[..1]), ("threads", &in_process[..]), ("procs", &procs[..])] {
            for &(jobs, chunk, partitions) in setups {
                let run = t
                    .cmd()
                    .args(["-t", "whitespace", "-r", runner, "-j", jobs, "--chunk-size", chunk, "-p", partitions])
                    .args(flags.iter())
                    .arg(&input)
                    .output();
                run.assert_code(0);
                let setup = format!("{flags:?} -r {runner} -j {jobs} --chunk-size {chunk} -p {partitions}");
                assert_eq!(parse_tsv(run.stdout.as_bytes()), want, "{setup}");
            }
        }
        let online =
            t.cmd().args(["-t", "whitespace", "--online", "-o", "online.tsv"]).args(flags.iter()).arg(&input).output();
        online.assert_code(0);
        assert_eq!(parse_tsv(&std::fs::read(t.join("online.tsv")).unwrap()), want, "online {flags:?}");
        let mapped = t.cmd().args(["map", "-t", "whitespace"]).args(flags.iter()).stdin(text.clone()).output();
        mapped.assert_code(0);
        let reduced = t.cmd().args(["reduce", "--unsorted"]).stdin(mapped.stdout.clone()).output();
        assert_eq!(parse_tsv(reduced.stdout.as_bytes()), want, "map | reduce {flags:?}");
    }
    for bad in ["0", "9", "3..2"] {
        let run = t.cmd().args(["--ngram", bad, "-"]).stdin("x").output();
        run.assert_code(2);
        assert!(run.stderr.contains("'--ngram <N|N..M>'"), "{bad}: {}", run.stderr);
    }
}

#[test]
fn a_line_longer_than_a_mib_keeps_its_words_whole_under_ngrams() {
    // 3 MiB and more on one line: its forced cuts must fall between words, wherever it is cut.
    let t = TestDir::new();
    let mut line = String::new();
    let mut i = 0u64;
    while line.len() < 3 << 20 {
        line.push_str(&format!("w{} ", i % 5003));
        i += 1;
    }
    let text = format!("{line}\nend of text\n");
    let input = t.write("long.txt", &text);
    let words = t.cmd().args(["-t", "whitespace", "--sort", "word"]).arg(&input).output();
    words.assert_code(0);
    let mut first: Option<String> = None;
    for setup in [
        &["-r", "local"][..],
        &["-j", "2", "--chunk-size", "64K"],
        &["-j", "2", "--chunk-size", "100", "--no-mmap"],
        &["-r", "procs", "-j", "2", "--chunk-size", "512K"],
    ] {
        let run =
            t.cmd().args(["-t", "whitespace", "--ngram", "1..2", "--sort", "word"]).args(setup).arg(&input).output();
        run.assert_code(0);
        // The unigrams among the n-grams are exactly the words of a plain run: none was split.
        let unigrams: String = run.stdout.lines().filter(|l| !l.contains(' ')).map(|l| format!("{l}\n")).collect();
        assert!(unigrams == words.stdout, "{setup:?}: a word was split at a forced cut");
        match &first {
            None => first = Some(run.stdout),
            Some(f) => assert!(*f == run.stdout, "{setup:?}: n-grams depend on how the input was cut"),
        }
    }
    let online = t.cmd().args(["-t", "whitespace", "--ngram", "1..2", "--sort", "word", "--online", "-o", "o.tsv"]);
    online.arg(&input).output().assert_code(0);
    assert!(std::fs::read_to_string(t.join("o.tsv")).unwrap() == first.unwrap(), "online mode cut it elsewhere");
}

#[test]
fn built_in_lists_compare_after_case_mapping() {
    let run = Mrwc::new().args(["--stopwords", "en", "--sort", "word"]).stdin("The cat and THE hat of Oz\n").output();
    run.assert_code(0);
    assert_eq!(run.stdout, "cat\t1\nhat\t1\noz\t1\n");
    // Under --case keep the list's lower-case words no longer match capitalised ones.
    let keep = Mrwc::new().args(["--stopwords", "en", "--case", "keep", "--sort", "word"]).stdin("The the\n").output();
    assert_eq!(keep.stdout, "The\t1\n");
    let zh = Mrwc::new().args(["--stopwords", "zh", "--sort", "word"]).stdin("我的内核\n").output();
    assert!(!zh.stdout.contains("的\t"), "{}", zh.stdout);
    assert!(zh.stdout.contains("内核\t1"), "{}", zh.stdout);
    let list = Mrwc::new().args(["--stopwords", "list"]).output();
    list.assert_code(0);
    for code in ["en", "zh", "ja", "de", "fr", "es", "ru", "none"] {
        assert!(list.stdout.lines().any(|l| l.starts_with(&format!("{code}\t"))), "{code}: {}", list.stdout);
    }
}

#[test]
fn bad_lists_and_bounds_fail_before_any_work() {
    let t = TestDir::new();
    t.write("empty.txt", "# nothing\n\n");
    t.write("latin1.txt", b"ok\ncaf\xe9\n");
    let cases: [(Vec<&str>, &str); 6] = [
        (vec!["--stopwords", "xx"], "mrwc: --stopwords xx: no such file, and not a built-in list (known: ar, da, de,"),
        (vec!["--stopwords", "empty.txt"], "mrwc: --stopwords empty.txt: the list is empty\n"),
        (vec!["--stopwords", "latin1.txt"], "mrwc: --stopwords latin1.txt: line 2: not UTF-8\n"),
        (vec!["--only", "missing.txt"], "mrwc: --only missing.txt: No such file or directory\n"),
        (vec!["--min-len", "3", "--max-len", "2"], "mrwc: invalid value '3' for --min-len: above --max-len 2"),
        (vec!["--min-len", "0"], "error: invalid value '0' for '--min-len <N>': must be at least 1"),
    ];
    for (args, want) in cases {
        let run = t.cmd().args(&args).args(["-o", "out.tsv", "-"]).stdin("some text\n").output();
        run.assert_code(2);
        assert!(run.stderr.starts_with(want), "{args:?}: {}", run.stderr);
        assert_eq!(t.list("."), ["empty.txt", "latin1.txt"], "{args:?}: something was written");
    }
}

/// The rules as a separate Python program (whitespace words, Python's `str.lower`, code-point
/// lengths, `str.isalpha`, n-grams per line), on the shared corpora.
const PYTHON_RULES: &str = r##"
import collections, re, sys
path, stop_path, min_len, n, m = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
stop = set()
for line in open(stop_path, encoding="utf-8"):
    word = line.split("#")[0].strip()
    if word:
        stop.add(word.lower())
counts = collections.Counter()
for line in open(path, "rb").read().split(b"\n"):
    kept = []
    for word in re.split(rb"[ \t\r\x0b\x0c]+", line):
        if not word:
            continue
        word = word.decode("utf-8").lower()
        if len(word) >= min_len and any(c.isalpha() for c in word) and word not in stop:
            kept.append(word)
    for size in range(n, m + 1):
        for i in range(len(kept) - size + 1):
            counts[" ".join(kept[i:i + size])] += 1
out = sys.stdout.buffer
for gram, count in counts.items():
    out.write(gram.encode("utf-8") + b"\t" + str(count).encode() + b"\n")
"##;

/// Whether `python3` runs here; says why the test skips when it does not.
fn python3() -> bool {
    let there = std::process::Command::new("python3").arg("--version").output().is_ok();
    if !there {
        skip("python3 is not installed");
    }
    there
}

#[test]
fn filters_and_ngrams_agree_with_a_python_implementation_on_the_shared_corpora() {
    if !python3() {
        return;
    }
    let t = TestDir::new();
    let script = t.write("rules.py", PYTHON_RULES);
    let stop = t.write("stop.txt", "# a few English and Chinese stopwords\nthe\nand\nof\nTo\n的\n了\n是\n");
    for name in ["kjv.txt", "zh-modern-1mb.txt", "linux-docs-en-2mb.txt"] {
        let Some(corpus) = shared_corpus(name) else {
            skip(&format!("../shared/corpus/{name} is absent"));
            continue;
        };
        let python = std::process::Command::new("python3")
            .arg(&script)
            .arg(&corpus)
            .arg(&stop)
            .args(["2", "1", "2"])
            .output()
            .unwrap();
        assert!(python.status.success(), "{}", String::from_utf8_lossy(&python.stderr));
        let run = t
            .cmd()
            .args(["-t", "whitespace", "--min-len", "2", "--no-numbers", "--ngram", "1..2", "--stopwords"])
            .arg(&stop)
            .arg(&corpus)
            .output();
        run.assert_code(0);
        let (want, got) = (parse_tsv(&python.stdout), parse_tsv(run.stdout.as_bytes()));
        assert!(want.len() > 1000, "{name}: {} grams", want.len());
        assert!(got == want, "{name}: {} grams from mrwc, {} from Python", got.len(), want.len());
    }
}

/// Per-file counts and line document frequency as a separate Python program (whitespace
/// words, `str.lower`), on the shared corpora: `file<TAB>word<TAB>count<TAB>lines`.
const PYTHON_DOCUMENTS: &str = r##"
import collections, re, sys
out = sys.stdout.buffer
for path in sys.argv[1:]:
    counts, lines = collections.Counter(), collections.Counter()
    for line in open(path, "rb").read().split(b"\n"):
        words = [w.decode("utf-8").lower() for w in re.split(rb"[ \t\r\x0b\x0c]+", line) if w]
        counts.update(words)
        lines.update(set(words))
    for word, count in counts.items():
        out.write(b"%s\t%s\t%d\t%d\n" % (path.encode(), word.encode("utf-8"), count, lines[word]))
"##;

#[test]
fn per_file_counts_and_line_documents_agree_with_a_python_implementation_on_the_shared_corpora() {
    if !python3() {
        return;
    }
    let corpora: Vec<_> =
        ["kjv.txt", "zh-modern-1mb.txt", "linux-docs-en-2mb.txt"].iter().filter_map(|n| shared_corpus(n)).collect();
    if corpora.len() < 3 {
        skip("a shared corpus is absent");
        return;
    }
    let t = TestDir::new();
    let script = t.write("documents.py", PYTHON_DOCUMENTS);
    let python = std::process::Command::new("python3").arg(&script).args(&corpora).output().unwrap();
    assert!(python.status.success(), "{}", String::from_utf8_lossy(&python.stderr));
    let run = t.cmd().args(["-t", "whitespace", "--by-file", "--df", "--doc-per-line"]).args(&corpora).output();
    run.assert_code(0);
    let mut want: Vec<&[u8]> = python.stdout.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
    let mut got: Vec<&[u8]> = run.stdout_bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
    want.sort_unstable();
    got.sort_unstable();
    assert!(want.len() > 50_000, "{} rows", want.len());
    assert!(got == want, "{} rows from mrwc, {} from Python", got.len(), want.len());
}
