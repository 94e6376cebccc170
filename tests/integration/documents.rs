//! Per-file counts (`--by-file`), document frequency (`--df`, `--doc-per-line`) and output
//! columns (`--columns`): every runner, worker count, chunk size (down to one byte), partition
//! count and mode against a reference written here from the documented rules.

use std::collections::BTreeMap;

use crate::util::*;

/// The inputs: files that share words, a line repeated, a file without a final line end, an
/// empty file, words in several cases.
fn inputs(t: &TestDir) -> Vec<(String, String)> {
    let texts = [
        ("one.txt", "The cat sat on the mat\nthe cat\n\nA dog and THE cat\n".to_string()),
        ("two.txt", "a dog a dog\nmat\ncat cat cat".to_string()),
        ("empty.txt", String::new()),
        ("three.txt", "the end of the cat\nthe end of the cat\nend\n".repeat(7)),
    ];
    texts.iter().map(|(name, text)| (t.write(name, text).to_string_lossy().into_owned(), text.clone())).collect()
}

/// A line's words: ASCII whitespace splits them, `--case lower` lowercases them.
fn words(line: &str) -> Vec<String> {
    line.split_ascii_whitespace().map(str::to_lowercase).collect()
}

/// Counts of (file index, word), and of lines holding each (file index, word).
fn reference(files: &[(String, String)]) -> BTreeMap<(usize, String), (u64, u64)> {
    let mut out: BTreeMap<(usize, String), (u64, u64)> = BTreeMap::new();
    for (i, (_, text)) in files.iter().enumerate() {
        for line in text.split('\n') {
            let words = words(line);
            for w in &words {
                out.entry((i, w.clone())).or_default().0 += 1;
            }
            let mut distinct = words.clone();
            distinct.sort();
            distinct.dedup();
            for w in distinct {
                out.entry((i, w)).or_default().1 += 1;
            }
        }
    }
    out
}

/// The documented output: rows of a file together, files in input order, each file's rows by
/// count descending then word; `columns` picks what each row shows.
fn rows(files: &[(String, String)], by_file: bool, df: Option<&str>) -> String {
    let reference = reference(files);
    // (file, word) -> (count, df)
    let mut rows: BTreeMap<(usize, String), (u64, u64)> = BTreeMap::new();
    for ((file, word), (count, lines)) in &reference {
        let key = (if by_file { *file } else { 0 }, word.clone());
        let row = rows.entry(key).or_default();
        row.0 += count;
        row.1 += match df {
            Some("files") => 1,
            Some("lines") => *lines,
            _ => 0,
        };
    }
    let mut sorted: Vec<_> = rows.into_iter().collect();
    sorted.sort_by(|a, b| a.0 .0.cmp(&b.0 .0).then(b.1 .0.cmp(&a.1 .0)).then(a.0 .1.cmp(&b.0 .1)));
    let mut text = String::new();
    for ((file, word), (count, docs)) in sorted {
        if by_file {
            text.push_str(&format!("{}\t", files[file].0));
        }
        text.push_str(&format!("{word}\t{count}"));
        if df.is_some() {
            text.push_str(&format!("\t{docs}"));
        }
        text.push('\n');
    }
    text
}

fn sorted_lines(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable();
    lines
}

#[test]
fn per_file_counts_and_document_frequency_are_exact_on_every_runner_and_mode() {
    let t = TestDir::new();
    let files = inputs(&t);
    let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    let cases: [(&[&str], bool, Option<&str>); 4] = [
        (&["--by-file"], true, None),
        (&["--df"], false, Some("files")),
        (&["--df", "--doc-per-line"], false, Some("lines")),
        (&["--by-file", "--df", "--doc-per-line"], true, Some("lines")),
    ];
    for (flags, by_file, df) in cases {
        let want = rows(&files, by_file, df);
        let in_process = [("1", "1", "1"), ("2", "7", "3"), ("2", "64K", "2")];
        let procs = [("2", "9", "3")];
        for (runner, setups) in [("local", &in_process[..1]), ("threads", &in_process[..]), ("procs", &procs[..])] {
            for &(jobs, chunk, partitions) in setups {
                let run = t
                    .cmd()
                    .args(["-t", "whitespace", "-r", runner, "-j", jobs, "--chunk-size", chunk, "-p", partitions])
                    .args(flags)
                    .args(&paths)
                    .output();
                run.assert_code(0);
                assert_same(&want, &run.stdout);
            }
        }
        // A spilling job reads its result back from disk before it folds it.
        let spilled = t
            .cmd()
            .args(["-t", "whitespace", "-j", "2", "--chunk-size", "5", "--max-memory", "64K", "--test-tiny-budget"])
            .args(flags)
            .args(&paths)
            .output();
        spilled.assert_code(0);
        assert_same(&want, &spilled.stdout);
        // Part files hold the same rows, each part in the same order.
        let dir = t.join("parts");
        let parts = t.cmd().args(["-t", "whitespace", "-p", "3", "--force", "--output-dir"]).arg(&dir).args(flags);
        parts.args(&paths).output().assert_code(0);
        let mut joined = String::new();
        for part in ["part-00000", "part-00001", "part-00002"] {
            let text = std::fs::read_to_string(dir.join(part)).unwrap();
            let mut order = want.lines().filter(|l| text.lines().any(|m| m == *l));
            assert!(text.lines().all(|l| order.next() == Some(l)), "{flags:?} {part}: out of order");
            joined.push_str(&text);
        }
        assert_eq!(sorted_lines(&joined), sorted_lines(&want), "{flags:?}: part files");
        // Online mode's final result.
        let online = t.cmd().args(["-t", "whitespace", "--online", "-o", "online.tsv"]).args(flags).args(&paths);
        online.output().assert_code(0);
        assert_same(&want, &std::fs::read_to_string(t.join("online.tsv")).unwrap());
        // Hadoop Streaming: one map per file, named by --input-name, then sort, then reduce.
        let mut mapped = Vec::new();
        for (path, text) in &files {
            let map = t.cmd().args(["map", "-t", "whitespace", "--input-name", path]).args(flags).stdin(text.clone());
            let run = map.output();
            run.assert_code(0);
            mapped.extend_from_slice(run.stdout.as_bytes());
        }
        let mut lines: Vec<&[u8]> = mapped.split_inclusive(|&b| b == b'\n').collect();
        lines.sort_unstable();
        let combined = t.cmd().args(["reduce"]).stdin(lines.concat()).output();
        combined.assert_code(0);
        let reduced = t.cmd().args(["reduce"]).args(flags).stdin(combined.stdout.clone()).output();
        reduced.assert_code(0);
        assert_eq!(sorted_lines(&reduced.stdout), sorted_lines(&want), "{flags:?}: map | sort | reduce");
        let unsorted = t.cmd().args(["reduce", "--unsorted"]).args(flags).stdin(mapped.clone()).output();
        assert_eq!(sorted_lines(&unsorted.stdout), sorted_lines(&want), "{flags:?}: reduce --unsorted");
    }
}

#[test]
fn ngrams_count_per_file() {
    let t = TestDir::new();
    let files = inputs(&t);
    let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    let run = t.cmd().args(["-t", "whitespace", "--by-file", "--ngram", "2", "--sort", "word"]).args(&paths).output();
    run.assert_code(0);
    let mut want = String::new();
    for (path, text) in &files {
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        for line in text.split('\n') {
            for pair in words(line).windows(2) {
                *counts.entry(pair.join(" ")).or_default() += 1;
            }
        }
        for (gram, count) in counts {
            want.push_str(&format!("{path}\t{gram}\t{count}\n"));
        }
    }
    assert_same(&want, &run.stdout);
}

#[test]
fn columns_top_and_min_count_apply_per_file() {
    let t = TestDir::new();
    let a = t.write("a.txt", "x x x y y z\n");
    let b = t.write("b.txt", "y y q\n");
    let (a, b) = (a.to_string_lossy().into_owned(), b.to_string_lossy().into_owned());
    let run = t.cmd().args(["--by-file", "-n", "2", "--columns", "rank,word,count,share,file", &a, &b]).output();
    run.assert_code(0);
    let want = format!(
        "1\tx\t3\t0.5\t{a}\n2\ty\t2\t0.3333333333333333\t{a}\n1\ty\t2\t0.6666666666666666\t{b}\n2\tq\t1\t0.3333333333333333\t{b}\n"
    );
    assert_same(&want, &run.stdout);
    let run = t.cmd().args(["--by-file", "--min-count", "2", "-f", "csv", "--sort", "word", &a, &b]).output();
    assert_same(&format!("file,word,count\r\n{a},x,3\r\n{a},y,2\r\n{b},y,2\r\n"), &run.stdout);
    // Ranks are in count order whatever --sort says; shares are of all tokens counted.
    let run = t.cmd().args(["--columns", "word,rank,share", "--sort", "word", "-f", "jsonl", &a, &b]).output();
    let want = "{\"word\":\"q\",\"rank\":3,\"share\":0.1111111111111111}\n\
                {\"word\":\"x\",\"rank\":2,\"share\":0.3333333333333333}\n\
                {\"word\":\"y\",\"rank\":1,\"share\":0.4444444444444444}\n\
                {\"word\":\"z\",\"rank\":4,\"share\":0.1111111111111111}\n";
    assert_same(want, &run.stdout);
    let run = t.cmd().args(["--df", "--doc-per-line", "--sort", "df", "-"]).stdin("b a\nb\nc c c\n").output();
    assert_same("b\t2\t2\nc\t3\t1\na\t1\t1\n", &run.stdout);
    let run = t.cmd().args(["--df", "-f", "json", &a, &b]).output();
    assert!(run.stdout.starts_with("[\n{\"word\":\"y\",\"count\":4,\"df\":2},\n"), "{}", run.stdout);
}

#[test]
fn contradictory_options_are_usage_errors_before_any_work() {
    let t = TestDir::new();
    let cases: [(&[&str], &str); 8] = [
        (&["--columns", "file"], "mrwc: invalid value 'file' for --columns: the file column needs --by-file\n"),
        (&["--columns", "word,df"], "mrwc: invalid value 'word,df' for --columns: the df column needs --df\n"),
        (&["--columns", "word,word"], "mrwc: invalid value 'word,word' for --columns: column 'word' is named twice\n"),
        (&["--columns", "words"], "error: invalid value 'words' for '--columns <LIST>'"),
        (&["--sort", "df"], "mrwc: invalid value 'df' for --sort: sorting by document frequency needs --df\n"),
        (
            &["--by-file", "-f", "uniq"],
            "mrwc: invalid value 'uniq' for --format: this format writes a word and its count only",
        ),
        (&["--by-file", "--df"], "mrwc: --df with --by-file: each file would be one document"),
        (&["--doc-per-line"], "error: the following required arguments were not provided:\n  --df"),
    ];
    for (args, want) in cases {
        let run = t.cmd().args(args).args(["-o", "out.tsv", "-"]).stdin("some text\n").output();
        run.assert_code(2);
        assert!(run.stderr.starts_with(want), "{args:?}: {}", run.stderr);
        assert!(t.list(".").is_empty(), "{args:?}: something was written");
    }
    let run = t.cmd().args(["map", "--by-file", "--input-name", "a\tb"]).stdin("x\n").output();
    run.assert_code(2);
    assert!(run.stderr.contains("holds a TAB or a line end"), "{}", run.stderr);
    let run = t.cmd().args(["reduce", "--by-file"]).stdin("x\t3\n").output();
    run.assert_code(1);
    assert!(run.stderr.contains("line 1: the key is not word<TAB>file<TAB>c|l"), "{}", run.stderr);
}
