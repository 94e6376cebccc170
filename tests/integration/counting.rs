//! What gets counted: inputs (files, stdin, trees, devices), tokenizers, case, runners.

use crate::util::*;

#[test]
fn counts_the_sample_fixture() {
    let out = Mrwc::new().arg(fixture("sample.txt")).stdout();
    assert_snapshot("sample.tsv", &out);
    assert!(out.starts_with("the\t11\nand\t10\n"), "{out}");
}

#[test]
fn stdin_is_read_with_no_input_or_dash() {
    let text = "b a b\nc b a\n";
    let want = "b\t3\na\t2\nc\t1\n";
    assert_same(want, &Mrwc::new().stdin(text).stdout());
    assert_same(want, &Mrwc::new().arg("-").stdin(text).stdout());
}

#[test]
fn files_and_stdin_are_counted_together() {
    let t = TestDir::new();
    t.write("f.txt", "x y\n");
    let out = t.cmd().args(["f.txt", "-"]).stdin("y z").stdout();
    assert_same("y\t2\nx\t1\nz\t1\n", &out);
}

#[test]
fn directories_are_walked_including_hidden_files() {
    let out = Mrwc::new().arg(fixture("tree")).stdout();
    assert_same("alpha\t4\nbeta\t4\ndelta\t2\ngamma\t2\nepsilon\t1\n", &out);
}

#[test]
fn no_recursive_refuses_directories() {
    let run = Mrwc::new().arg("--no-recursive").arg(fixture("tree")).output();
    run.assert_code(2);
    assert!(run.stderr.ends_with(": Is a directory\n"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
}

#[test]
fn symlinks_in_trees_need_follow() {
    let t = TestDir::new();
    t.write("data/real.txt", "one two\n");
    t.write("elsewhere/linked.txt", "three\n");
    std::os::unix::fs::symlink(t.join("elsewhere/linked.txt"), t.join("data/link.txt")).unwrap();
    assert_same("one\t1\ntwo\t1\n", &t.cmd().arg("data").stdout());
    assert_same("one\t1\nthree\t1\ntwo\t1\n", &t.cmd().args(["--follow", "data"]).stdout());
}

#[test]
fn whitespace_tokenizer_keeps_punctuation() {
    let out = Mrwc::new().args(["-t", "whitespace"]).stdin("Hello, hello world. (world)\n").stdout();
    assert_same("(world)\t1\nhello\t1\nhello,\t1\nworld.\t1\n", &out);
}

#[test]
fn case_keep_keeps_capitals() {
    let out = Mrwc::new().args(["--case", "keep"]).stdin("The the THE the").stdout();
    assert_same("the\t2\nTHE\t1\nThe\t1\n", &out);
}

#[test]
fn invalid_utf8_separates_words_or_stays_inside_them() {
    let words = Mrwc::new().arg(fixture("invalid-utf8.bin")).stdout();
    assert_same("one\t3\neight\t1\nfour\t1\nive\t1\nnine\t1\nseven\t1\nsix\t1\nthree\t1\ntwo\t1\n", &words);
    let run = Mrwc::new().args(["-t", "whitespace"]).arg(fixture("invalid-utf8.bin")).output();
    run.assert_code(0);
    let counts = parse_tsv(&run.stdout_bytes);
    assert_eq!(counts.len(), 3);
    assert_eq!(counts[&b"one".to_vec()], 1);
    assert_eq!(counts[&b"\xfeone".to_vec()], 1);
}

#[test]
fn runners_jobs_chunks_and_partitions_agree_on_the_fixture() {
    let want = Mrwc::new().arg(fixture("sample.txt")).stdout();
    for runner in ["local", "threads"] {
        for (jobs, chunk, parts) in [("1", "1", "1"), ("2", "7", "3"), ("4", "64", "7"), ("3", "1M", "2")] {
            let args = ["-r", runner, "-j", jobs, "--chunk-size", chunk, "-p", parts];
            let got = Mrwc::new().args(args).arg(fixture("sample.txt")).stdout();
            assert_eq!(got, want, "{args:?}");
        }
    }
}

#[test]
fn runners_agree_byte_for_byte_on_the_shared_corpora() {
    for name in ["kjv.txt", "zh-modern-1mb.txt", "linux-docs-en-2mb.txt"] {
        let Some(path) = shared_corpus(name) else {
            continue;
        };
        let local = Mrwc::new().args(["-r", "local"]).arg(&path).output();
        local.assert_code(0);
        for args in [["-j", "2", "--chunk-size", "64K"], ["-j", "3", "--chunk-size", "1000"]] {
            let threads = Mrwc::new().args(args).arg(&path).arg("--no-mmap").output();
            threads.assert_code(0);
            assert!(local.stdout_bytes == threads.stdout_bytes, "{name} {args:?}");
        }
    }
}

#[test]
fn mmap_and_read_give_the_same_counts() {
    let t = TestDir::new();
    let mut text = Vec::new();
    for i in 0..20_000 {
        text.extend_from_slice(format!("w{} x\u{e9}{} ", i % 997, i % 13).as_bytes());
    }
    t.write("big.txt", &text);
    let mapped = t.cmd().args(["--chunk-size", "4K", "big.txt"]).stdout();
    let read = t.cmd().args(["--chunk-size", "4K", "--no-mmap", "big.txt"]).stdout();
    assert_eq!(mapped, read);
    let piped = Mrwc::new().args(["--chunk-size", "4K"]).stdin(text).stdout();
    assert_eq!(mapped, piped);
}

#[test]
fn proc_files_with_size_zero_are_counted_like_a_pipe() {
    // Files whose content does not change between two reads, but whose size reads as 0.
    for name in ["/proc/version", "/proc/filesystems"] {
        let path = std::path::Path::new(name);
        let Ok(text) = std::fs::read(path) else {
            skip(&format!("{name} is not readable"));
            continue;
        };
        assert_eq!(path.metadata().unwrap().len(), 0, "{name} reports a size");
        let direct = Mrwc::new().arg(path).stdout();
        assert!(!direct.is_empty());
        assert_same(&Mrwc::new().stdin(text).stdout(), &direct);
    }
}

#[test]
fn fifos_are_read_as_streams() {
    let t = TestDir::new();
    let fifo = t.join("fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo has no other preconditions.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let writer = std::thread::spawn(move || std::fs::write(&fifo, "pipe pipe line\n").unwrap());
    let out = t.cmd().arg("fifo").stdout();
    writer.join().unwrap();
    assert_same("pipe\t2\nline\t1\n", &out);
}

#[test]
fn stats_reports_counters_on_stderr() {
    let run = Mrwc::new().args(["--stats", "-r", "local"]).arg(fixture("sample.txt")).output();
    run.assert_code(0);
    for line in [
        "mrwc: counters (runner local, 1 worker)",
        "input files                            1",
        "map tasks                              1",
        "reduce partitions                      1",
        "mrwc: phases",
    ] {
        assert!(run.stderr.contains(line), "missing {line:?} in\n{}", run.stderr);
    }
    let distinct = run.stdout.lines().count();
    assert!(run.stderr.contains(&format!("distinct words{:>26}", distinct)), "{}", run.stderr);
}

#[test]
fn stats_json_holds_the_same_counters_as_one_object() {
    let t = TestDir::new();
    let keys = [
        "input_files",
        "skipped_inputs",
        "input_bytes",
        "map_tasks",
        "map_output_records",
        "filtered_tokens",
        "combine_output_records",
        "reduce_partitions",
        "distinct_words",
        "output_records",
        "spills",
        "spilled_records",
        "spilled_bytes",
        "failed_attempts",
        "workers",
        "cores",
        "total_seconds",
        "bytes_per_second",
        "peak_rss_bytes",
        "children_peak_rss_bytes",
    ];
    for runner in ["local", "threads", "procs"] {
        let run = t
            .cmd()
            .args(["-r", runner, "--stats", "--stopwords", "en", "--stats-json", "stats.json", "-o", "out.tsv"])
            .arg(fixture("sample.txt"))
            .output();
        run.assert_code(0);
        assert_eq!(t.list("."), ["out.tsv", "stats.json"], "{runner}: temp files left");
        let text = std::fs::read_to_string(t.join("stats.json")).unwrap();
        assert_eq!(text.lines().count(), 1, "one object on one line: {text}");
        let json: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        for key in keys {
            assert!(json[key].is_number(), "{runner}: {key} missing in {text}");
        }
        assert_eq!(json["runner"], runner);
        assert_eq!(json["mrwc_version"], env!("CARGO_PKG_VERSION"));
        // The same numbers as the text report, and as the output itself.
        let lines = std::fs::read_to_string(t.join("out.tsv")).unwrap().lines().count() as u64;
        assert_eq!(json["distinct_words"], lines);
        assert_eq!(json["output_records"], lines);
        for (name, key) in [("filtered tokens", "filtered_tokens"), ("map output records", "map_output_records")] {
            let row = run.stderr.lines().find(|l| l.trim_start().starts_with(name)).expect(name);
            let value: u64 = row.split_whitespace().last().unwrap().replace(',', "").parse().unwrap();
            assert_eq!(json[key], value, "{runner}: {name}");
        }
        assert!(json["filtered_tokens"].as_u64().unwrap() > 0);
        let phases: Vec<&str> =
            json["phases"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
        assert_eq!(phases, ["map", "reduce", "output"]);
        std::fs::remove_file(t.join("stats.json")).unwrap();
        std::fs::remove_file(t.join("out.tsv")).unwrap();
    }
    // `-` is stderr; a place that cannot be written fails before any work, naming it.
    let run = Mrwc::new().args(["-q", "--stats-json", "-"]).stdin("a b a\n").output();
    run.assert_code(0);
    let json: serde_json::Value = serde_json::from_str(run.stderr.trim()).expect("JSON on stderr");
    assert_eq!(json["distinct_words"], 2);
    let run = t.cmd().args(["--stats-json", "no/such/dir/s.json", "-o", "out.tsv", "-"]).stdin("a").output();
    run.assert_code(2);
    run.assert_stderr("mrwc: no/such/dir/s.json: parent directory does not exist\n");
    assert_eq!(t.list("."), Vec::<String>::new());
}

#[test]
fn quiet_runs_print_nothing_on_stderr() {
    let run = Mrwc::new().arg("-q").arg(fixture("sample.txt")).output();
    run.assert_code(0);
    assert_eq!(run.stderr, "");
}
