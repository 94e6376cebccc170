//! `mrwc map` and `mrwc reduce`: the Hadoop Streaming contract, and the pipeline equality
//! `mrwc map < f | LC_ALL=C sort | mrwc reduce` == `mrwc f --sort word`.

use crate::util::*;

/// `LC_ALL=C sort`: lines in byte order.
fn sort_lines(text: &[u8]) -> Vec<u8> {
    let mut lines: Vec<&[u8]> = text.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
    lines.sort();
    lines.iter().flat_map(|l| l.iter().copied().chain([b'\n'])).collect()
}

fn pipeline(input: &[u8], map_args: &[&str]) -> Vec<u8> {
    let mapped = Mrwc::new().arg("map").args(map_args).stdin(input).output();
    mapped.assert_code(0);
    let reduced = Mrwc::new().arg("reduce").stdin(sort_lines(&mapped.stdout_bytes)).output();
    reduced.assert_code(0);
    reduced.stdout_bytes
}

#[test]
fn map_sort_reduce_equals_sort_word_on_fixtures() {
    for name in ["sample.txt", "invalid-utf8.bin"] {
        let input = std::fs::read(fixture(name)).unwrap();
        for tokenizer in ["words", "whitespace"] {
            let want = Mrwc::new().args(["--sort", "word", "-t", tokenizer]).arg(fixture(name)).output();
            want.assert_code(0);
            assert!(pipeline(&input, &["-t", tokenizer]) == want.stdout_bytes, "{name} {tokenizer}");
        }
    }
    if let Some(kjv) = shared_corpus("kjv.txt") {
        let want = Mrwc::new().args(["--sort", "word"]).arg(&kjv).output();
        want.assert_code(0);
        assert!(pipeline(&std::fs::read(&kjv).unwrap(), &[]) == want.stdout_bytes);
        // A tiny budget makes the mapper write partial counts early: the sums still agree.
        assert!(
            pipeline(&std::fs::read(&kjv).unwrap(), &["--max-memory", "64K", "--test-tiny-budget"])
                == want.stdout_bytes
        );
    }
}

#[test]
fn reduce_sums_unsorted_input_with_unsorted() {
    let input = "b\t1\na\t2\nb\t3\nc\t1\na\t1\n";
    let run = Mrwc::new().args(["reduce", "--unsorted"]).stdin(input).output();
    run.assert_code(0);
    assert_same("a\t3\nb\t4\nc\t1\n", &run.stdout);
    let spilled =
        Mrwc::new().args(["reduce", "--unsorted", "--max-memory", "1", "--test-tiny-budget"]).stdin(input).output();
    assert_same("a\t3\nb\t4\nc\t1\n", &spilled.stdout);
}

#[test]
fn reduce_refuses_input_that_is_not_grouped() {
    let run = Mrwc::new().arg("reduce").stdin("b\t1\na\t2\nb\t3\n").output();
    run.assert_code(1);
    run.assert_stderr("mrwc: reduce: line 2: input is not grouped by key: sort it (LC_ALL=C sort) or use --unsorted\n");
}

#[test]
fn malformed_lines_fail_with_their_number_or_are_skipped() {
    for (input, message) in [
        ("a\t1\nno tab here\n", "mrwc: reduce: line 2: no TAB between key and count\n"),
        ("a\t1\nb\tx\n", "mrwc: reduce: line 2: the count is not a plain decimal number\n"),
        ("a\t1\nb\t-4\n", "mrwc: reduce: line 2: the count is not a plain decimal number\n"),
        ("a\t99999999999999999999\n", "mrwc: reduce: line 1: the count is larger than 18446744073709551615\n"),
        (
            "a\t18446744073709551615\na\t1\n",
            "mrwc: reduce: line 2: count overflow: the total exceeds 18446744073709551615\n",
        ),
    ] {
        let run = Mrwc::new().arg("reduce").stdin(input).output();
        run.assert_code(1);
        run.assert_stderr(message);
    }
    let run =
        Mrwc::new().args(["reduce", "--skip-bad-records", "--counters"]).stdin("a\t1\nbad\na\t2\nb\tx\n").output();
    run.assert_code(0);
    assert_same("a\t3\n", &run.stdout);
    assert_same(
        "mrwc: reduce: skipped 2 bad records (first: line 2: no TAB between key and count)\n\
         reporter:counter:mrwc,REDUCE_INPUT_RECORDS,2\n\
         reporter:counter:mrwc,REDUCE_OUTPUT_RECORDS,1\n\
         reporter:counter:mrwc,BAD_RECORDS,2\n",
        &run.stderr,
    );
}

#[test]
fn reduce_takes_crlf_and_keys_that_sort_before_tab() {
    // LC_ALL=C sort puts "a\x01" before "a" (0x01 < TAB): grouped, so accepted.
    let run = Mrwc::new().arg("reduce").stdin(&b"a\x01\t1\r\na\t2\r\na\t3\n"[..]).output();
    run.assert_code(0);
    assert_eq!(run.stdout_bytes, b"a\x01\t1\na\t5\n");
}

#[test]
fn map_is_a_quiet_filter_with_optional_counters() {
    let run = Mrwc::new().args(["map", "--counters"]).stdin("the cat the\n").output();
    run.assert_code(0);
    let mut lines: Vec<&str> = run.stdout.lines().collect();
    lines.sort();
    assert_eq!(lines, ["cat\t1", "the\t2"]);
    assert_same(
        "reporter:counter:mrwc,MAP_INPUT_BYTES,12\nreporter:counter:mrwc,MAP_OUTPUT_RECORDS,3\nreporter:counter:mrwc,COMBINE_OUTPUT_RECORDS,2\n",
        &run.stderr,
    );
    let quiet = Mrwc::new().arg("map").stdin("").output();
    quiet.assert_code(0);
    assert_eq!((quiet.stdout.as_str(), quiet.stderr.as_str()), ("", ""));
}

/// The frames of one `mrwc map --serve` task: `text` in frames of at most `size` bytes, cut
/// after a line end, then the end of the task.
fn task_frames(text: &[u8], size: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let cut = rest[..rest.len().min(size)].iter().rposition(|&b| b == b'\n').map_or(rest.len(), |i| i + 1);
        out.extend(format!("{cut}\n").bytes());
        out.extend(&rest[..cut]);
        rest = &rest[cut..];
    }
    out.extend(b"0\n");
    out
}

#[test]
fn map_serve_maps_task_after_task_as_map_does_each() {
    // What Spark's executors keep running: each task's records equal `mrwc map` on that task's
    // lines alone, then an empty line; a BOM at a task's start is skipped; a tiny budget
    // writes a task's records early, and they still sum to the task's counts.
    let many: String = (0..4000).map(|i| format!("w{i}{}", if i % 10 == 9 { "\n" } else { " " })).collect();
    let tasks: [Vec<u8>; 3] = [
        std::fs::read(fixture("multilingual.txt")).unwrap(),
        [&b"\xef\xbb\xbfthe cat\n"[..], b"the hat\n"].concat(),
        many.repeat(2).into_bytes(),
    ];
    for options in [&["-t", "whitespace"][..], &["--ngram", "1..2"], &["--max-memory", "64K", "--test-tiny-budget"]] {
        let input: Vec<u8> = tasks.iter().flat_map(|t| task_frames(t, 100)).collect();
        let run = Mrwc::new().args(["map", "--serve"]).args(options).stdin(input).output();
        run.assert_code(0);
        let outputs: Vec<&[u8]> = run.stdout_bytes.split(|&b| b == b'\n').collect();
        let per_task: Vec<Vec<u8>> = outputs
            .split(|line| line.is_empty())
            .take(tasks.len())
            .map(|lines| lines.iter().flat_map(|l| l.iter().copied().chain([b'\n'])).collect())
            .collect();
        assert_eq!(per_task.len(), tasks.len(), "{options:?}: {}", run.stdout);
        let lines = |text: &[u8]| text.iter().filter(|&&b| b == b'\n').count();
        for (i, (task, got)) in tasks.iter().zip(&per_task).enumerate() {
            let alone = Mrwc::new().arg("map").args(options).stdin(task.clone()).output();
            let sum = |mapped: &[u8]| Mrwc::new().args(["reduce", "--unsorted"]).stdin(mapped.to_vec()).stdout();
            let keys = sum(&alone.stdout_bytes);
            assert_eq!(sum(got), keys, "{options:?}");
            // The large task, and only under the tiny budget, was written out more than once.
            let early = lines(got) > lines(keys.as_bytes());
            assert_eq!(early, i == 2 && options.contains(&"64K"), "{options:?}, task {i}");
        }
    }
    // The end of input ends the process: between tasks quietly, within one without its records.
    let run =
        Mrwc::new().args(["map", "--serve"]).stdin([&task_frames(b"a b\n", 99)[..], b"4\nc d\n"].concat()).output();
    run.assert_code(0);
    assert_same("a\t1\nb\t1\n\n", &sorted_lines(&run.stdout));
    let run = Mrwc::new().args(["map", "--serve"]).stdin("x\n").output();
    run.assert_code(1);
    run.assert_stderr("mrwc: map --serve: expected a frame's size, got 'x\\n'\n");
}

/// The lines of `text`, sorted, each group between empty lines kept apart.
fn sorted_lines(text: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    let end = lines.iter().position(|l| l.is_empty()).unwrap_or(lines.len());
    lines[..end].sort_unstable();
    lines.iter().map(|l| format!("{l}\n")).collect()
}
