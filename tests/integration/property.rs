//! Property tests: for random inputs (ASCII, multi-byte UTF-8, invalid bytes, long words),
//! every runner, worker count, chunk size, partition count and read mode gives exactly the
//! counts of a naive reference implementation written here, independently of the engine.

use std::collections::BTreeMap;

use clap::Parser;
use mrwc::cli::Cli;
use mrwc::config::Config;
use mrwc::counters::Counters;
use mrwc::input::{plan, WalkOptions};
use mrwc::progress::Progress;
use mrwc::reduce::Reduced;
use mrwc::runner::{Job, Runner};
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

/// The `words` rule, the slow and obvious way: decode (invalid bytes become U+FFFD, which is a
/// separator), mark each character as in-word, split into maximal runs.
fn reference_words(text: &[u8], lower: bool) -> Counts {
    let chars: Vec<char> = String::from_utf8_lossy(text).chars().collect();
    let keep: Vec<bool> = (0..chars.len())
        .map(|i| {
            let c = chars[i];
            is_word_char(c)
                || ((c == '\'' || c == '\u{2019}')
                    && i > 0
                    && is_word_char(chars[i - 1])
                    && i + 1 < chars.len()
                    && is_word_char(chars[i + 1]))
        })
        .collect();
    let mut counts = Counts::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if keep[i] {
            word.push(c);
        }
        if (!keep[i] || i + 1 == chars.len()) && !word.is_empty() {
            let w = if lower { word.to_lowercase() } else { word.clone() };
            *counts.entry(w.into_bytes()).or_default() += 1;
            word.clear();
        }
    }
    counts
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
    let runner = Runner::new(&config).expect("runner");
    let progress = Progress::hidden();
    let warn = |e: &mrwc::Error| panic!("unexpected warning: {e}");
    let job = Job { config: &config, plan: &plan, progress: &progress, warn: &warn };
    let reduced = runner.run(&job, &mut Counters::default()).expect("job runs");
    assert_eq!(reduced.partitions(), config.partitions);
    let mut counts = Counts::new();
    let mut add = |p: usize, word: &[u8], count: u64| {
        assert_eq!(mrwc::partition::partition_of(word, config.partitions), p, "word in the wrong partition");
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
    proptest::collection::vec(piece(), 0..80).prop_map(|pieces| pieces.concat())
}

#[derive(Debug, Clone)]
struct Setup {
    runner: &'static str,
    jobs: usize,
    chunk: usize,
    partitions: usize,
    mmap: bool,
    whitespace: bool,
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
        any::<bool>(),
        any::<bool>(),
        prop_oneof![Just(None), Just(Some(1)), Just(Some(300)), Just(Some(4096))],
    )
        .prop_map(|(runner, jobs, chunk, partitions, mmap, whitespace, lower, memory)| Setup {
            runner,
            jobs,
            chunk,
            partitions,
            mmap,
            whitespace,
            lower,
            memory,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn every_runner_matches_the_reference(text in text(), s in setup()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("input");
        std::fs::write(&path, &text).unwrap();
        let mut args: Vec<String> = vec![
            "-r".into(), s.runner.into(),
            "-j".into(), s.jobs.to_string(),
            "--chunk-size".into(), s.chunk.to_string(),
            "-p".into(), s.partitions.to_string(),
            "-t".into(), (if s.whitespace { "whitespace" } else { "words" }).into(),
            "--case".into(), (if s.lower { "lower" } else { "keep" }).into(),
        ];
        if !s.mmap {
            args.push("--no-mmap".into());
        }
        if let Some(m) = s.memory {
            args.extend(["--max-memory".into(), m.to_string(), "--tmp-dir".into(), dir.path().to_string_lossy().into_owned()]);
        }
        let want = if s.whitespace { reference_whitespace(&text, s.lower) } else { reference_words(&text, s.lower) };
        prop_assert_eq!(engine(&args, &path), want);
    }
}

proptest! {
    // Processes are slower to start than threads: fewer cases, same oracle.
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn the_procs_runner_matches_the_reference(text in text(), s in setup()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("input");
        std::fs::write(&path, &text).unwrap();
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mrwc"));
        cmd.args(["-q", "-r", "procs", "--tmp-dir"]).arg(dir.path());
        cmd.args(["-j", &s.jobs.to_string(), "--chunk-size", &s.chunk.max(8).to_string(), "-p", &s.partitions.to_string()]);
        cmd.args(["-t", if s.whitespace { "whitespace" } else { "words" }, "--case", if s.lower { "lower" } else { "keep" }]);
        if !s.mmap {
            cmd.arg("--no-mmap");
        }
        if let Some(m) = s.memory {
            cmd.args(["--max-memory", &m.to_string()]);
        }
        let out = cmd.arg(&path).output().unwrap();
        prop_assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let want = if s.whitespace { reference_whitespace(&text, s.lower) } else { reference_words(&text, s.lower) };
        let mut got = Counts::new();
        for line in out.stdout.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let tab = line.iter().rposition(|&b| b == b'\t').unwrap();
            got.insert(line[..tab].to_vec(), std::str::from_utf8(&line[tab + 1..]).unwrap().parse().unwrap());
        }
        prop_assert_eq!(got, want);
    }
}

#[test]
fn reference_implementations_agree_with_hand_counts() {
    let words = reference_words("Don't 'quote' ΣΑΣ a\u{2019}b x\u{ff}y a,b".as_bytes(), true);
    let want: Counts = [("don't", 1), ("quote", 1), ("σας", 1), ("a\u{2019}b", 1), ("xÿy", 1), ("a", 1), ("b", 1)]
        .iter()
        .map(|(w, c)| (w.as_bytes().to_vec(), *c))
        .collect();
    assert_eq!(words, want);
    let ws = reference_whitespace(b"A\xffB a\xffb\tc", true);
    assert_eq!(ws.get(b"a\xffb".as_slice()), Some(&2));
}
