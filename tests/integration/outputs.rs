//! What comes out: formats, ordering, selection, and where the result is written.

use std::process::Stdio;

use crate::util::*;

#[test]
fn every_format_is_pinned_on_the_fixture() {
    for format in ["tsv", "csv", "json", "jsonl", "mrjob", "uniq"] {
        let out = Mrwc::new().args(["--format", format]).arg(fixture("sample.txt")).stdout();
        assert_snapshot(&format!("sample.{format}"), &out);
    }
}

#[test]
fn format_uniq_is_what_sort_uniq_c_prints() {
    // coreutils as the reference: the same words, one per line, through `sort | uniq -c`.
    let text = "b a b c b a\nwörd x 12 a\n";
    let words: String = text.split_whitespace().map(|w| format!("{w}\n")).collect();
    let mut uniq = std::process::Command::new("sh")
        .args(["-c", "LC_ALL=C sort | uniq -c | LC_ALL=C sort"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sh, sort and uniq");
    std::io::Write::write_all(&mut uniq.stdin.take().unwrap(), words.as_bytes()).unwrap();
    let want = String::from_utf8(uniq.wait_with_output().unwrap().stdout).unwrap();
    let run = Mrwc::new().args(["-t", "whitespace", "-f", "uniq"]).stdin(text).output();
    run.assert_code(0);
    let mut got: Vec<&str> = run.stdout.lines().collect();
    got.sort();
    let got: String = got.iter().map(|l| format!("{l}\n")).collect();
    assert_eq!(got, want);
}

#[test]
fn sort_word_and_none() {
    let text = "b a b c c c";
    assert_same("a\t1\nb\t2\nc\t3\n", &Mrwc::new().args(["--sort", "word"]).stdin(text).stdout());
    let none = Mrwc::new().args(["--sort", "none"]).stdin(text).stdout();
    let mut lines: Vec<_> = none.lines().collect();
    lines.sort();
    assert_eq!(lines, ["a\t1", "b\t2", "c\t3"]);
}

#[test]
fn top_and_min_count_select_records() {
    let text = "a b b c c c d d d d";
    assert_same("d\t4\nc\t3\n", &Mrwc::new().args(["--top", "2"]).stdin(text).stdout());
    assert_same("c\t3\nd\t4\n", &Mrwc::new().args(["-n", "2", "--sort", "word"]).stdin(text).stdout());
    assert_same("d\t4\nc\t3\nb\t2\n", &Mrwc::new().args(["--min-count", "2"]).stdin(text).stdout());
    assert_same("d\t4\n", &Mrwc::new().args(["--min-count", "2", "-n", "1"]).stdin(text).stdout());
}

#[test]
fn ties_are_broken_by_bytes_of_the_word() {
    let out = Mrwc::new().stdin("zeta Zeta alpha éclair beta").args(["--case", "keep"]).stdout();
    assert_same("Zeta\t1\nalpha\t1\nbeta\t1\nzeta\t1\néclair\t1\n", &out);
}

#[test]
fn output_file_is_written_atomically() {
    let t = TestDir::new();
    t.write("in.txt", "x y x");
    t.write("out.tsv", "old contents");
    let run = t.cmd().args(["-o", "out.tsv", "in.txt"]).output();
    run.assert_code(0);
    assert_eq!(run.stdout, "");
    assert_eq!(std::fs::read_to_string(t.join("out.tsv")).unwrap(), "x\t2\ny\t1\n");
    assert_eq!(t.list("."), ["in.txt", "out.tsv"]);
}

#[test]
fn failed_run_leaves_no_output_file() {
    let t = TestDir::new();
    let run = t.cmd().args(["-o", "out.tsv", "missing.txt"]).output();
    run.assert_code(2);
    assert_eq!(t.list("."), Vec::<String>::new());
}

#[test]
fn output_file_in_a_missing_directory_fails_before_counting() {
    let t = TestDir::new();
    let run = t.cmd().args(["-o", "no/such/dir/out.tsv", "-"]).stdin("x").output();
    run.assert_code(2);
    run.assert_stderr("mrwc: no/such/dir/out.tsv: parent directory does not exist\n");
    // Before counting: the input is a FIFO that nobody ever writes, so a job that started to
    // read it would block forever; this one fails without opening it.
    let fifo = t.join("never-written");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo reads a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    for output in [&["-o", "no/such/dir/out.tsv"][..], &["--output-dir", "no/such/dir"]] {
        let run = t.cmd().args(output).arg(&fifo).output();
        run.assert_code(2);
        assert!(run.stderr.contains("parent directory does not exist"), "{}", run.stderr);
    }
}

#[test]
fn output_through_a_symlink_writes_the_file_it_names() {
    let t = TestDir::new();
    t.write("in.txt", "x y x");
    std::os::unix::fs::symlink("made.tsv", t.join("link.tsv")).unwrap();
    t.cmd().args(["-o", "link.tsv", "in.txt"]).output().assert_code(0);
    assert_eq!(std::fs::read_to_string(t.join("made.tsv")).unwrap(), "x\t2\ny\t1\n");
    assert!(std::fs::symlink_metadata(t.join("link.tsv")).unwrap().file_type().is_symlink());
    // A link into a missing directory fails like a missing directory, before counting.
    std::os::unix::fs::symlink("no/such/out.tsv", t.join("bad.tsv")).unwrap();
    let run = t.cmd().args(["-o", "bad.tsv", "in.txt"]).output();
    run.assert_code(2);
    run.assert_stderr("mrwc: bad.tsv: parent directory does not exist\n");
    assert_eq!(t.list("."), ["bad.tsv", "in.txt", "link.tsv", "made.tsv"]);
}

#[test]
fn output_dir_has_one_part_per_partition_and_success_last() {
    let t = TestDir::new();
    // At the commit point (the process stopped just before the rename), the staging directory
    // holds every part and _SUCCESS, and DIR does not exist yet: readers see DIR only whole.
    let mut m = t.cmd().args(["--output-dir", "out", "-p", "3", "--sort", "word"]).arg(fixture("sample.txt"));
    m.cmd.env("MRWC_FAULT", "stop:commit:before").stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = m.cmd.spawn().unwrap();
    wait_for("the commit point", || is_stopped(child.id()));
    let staging = t.list(".").into_iter().find(|n| n.starts_with(".mrwc-out-")).expect("a staging directory");
    assert_eq!(t.list(&staging), ["_SUCCESS", "part-00000", "part-00001", "part-00002"]);
    assert!(!t.join("out").exists(), "DIR visible before the commit");
    // SAFETY: kill with the pid of our own stopped child.
    unsafe { libc::kill(child.id() as i32, libc::SIGCONT) };
    assert!(child.wait().unwrap().success());
    std::fs::remove_dir_all(t.join("out")).unwrap();

    let run = t.cmd().args(["--output-dir", "out", "-p", "3", "--sort", "word"]).arg(fixture("sample.txt")).output();
    run.assert_code(0);
    assert_eq!(t.list("out"), ["_SUCCESS", "part-00000", "part-00001", "part-00002"]);
    let mut all = std::collections::BTreeMap::new();
    for part in ["part-00000", "part-00001", "part-00002"] {
        let text = std::fs::read(t.join("out").join(part)).unwrap();
        let words: Vec<_> = parse_tsv(&text).into_keys().collect();
        let lines: Vec<_> = text.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
        assert_eq!(words.len(), lines.len());
        all.extend(parse_tsv(&text));
    }
    let whole = Mrwc::new().arg(fixture("sample.txt")).stdout();
    assert_eq!(all, parse_tsv(whole.as_bytes()));
    assert_eq!(std::fs::metadata(t.join("out/_SUCCESS")).unwrap().len(), 0);
}

#[test]
fn total_order_parts_are_consecutive_word_ranges_of_nearly_equal_size() {
    // In memory, spilled, from procs' runs on disk; with --top and --min-count.
    let t = TestDir::new();
    let text: String = (0..3000).map(|i| format!("w{:x} {}\n", i * 7919 % 3001, "common ".repeat(i % 3))).collect();
    let input = t.write("in.txt", text);
    let tiny = ["--max-memory", "64K", "--test-tiny-budget"];
    let cases: [&[&str]; 5] =
        [&["-r", "threads"], &["-r", "local"], &["-r", "procs"], &tiny, &["-n", "1000", "--min-count", "1"]];
    for options in cases {
        let want = Mrwc::new().args(["-s", "word"]).args(options).arg(&input).output();
        want.assert_code(0);
        for parts in [1, 4, 7] {
            let run = t.cmd().args(["-s", "word", "--total-order", "--output-dir", "out", "-p"]).arg(parts.to_string());
            run.args(options).arg(&input).output().assert_code(0);
            let names = t.list("out");
            assert_eq!(names.len(), parts + 1, "{options:?} -p {parts}: {names:?}");
            let texts: Vec<Vec<u8>> =
                names[1..].iter().map(|n| std::fs::read(t.join("out").join(n)).unwrap()).collect();
            assert!(texts.concat() == want.stdout_bytes, "{options:?} -p {parts}: the parts are not the one order");
            let sizes: Vec<usize> = texts.iter().map(|p| p.iter().filter(|&&b| b == b'\n').count()).collect();
            let (least, most) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
            assert!(most - least <= 1, "{options:?} -p {parts}: part sizes {sizes:?}");
            std::fs::remove_dir_all(t.join("out")).unwrap();
        }
    }
    let run = Mrwc::new().args(["--total-order", "--output-dir", "x", "-"]).stdin("a").output();
    run.assert_code(2);
    run.assert_stderr("mrwc: --total-order needs --sort word\n");
    let run =
        Mrwc::new().args(["--total-order", "-s", "word", "--by-file", "--output-dir", "x", "-"]).stdin("a").output();
    run.assert_code(2);
    assert!(run.stderr.contains("--total-order takes word and count records only"), "{}", run.stderr);
}

#[test]
fn existing_output_dir_is_refused_without_force() {
    let t = TestDir::new();
    t.write("out/keep.txt", "precious");
    let run = t.cmd().args(["--output-dir", "out", "-"]).stdin("x").output();
    run.assert_code(2);
    run.assert_stderr("mrwc: out: already exists (use --force to replace it)\n");
    assert_eq!(t.list("out"), ["keep.txt"]);
    // --force replaces only a directory of mrwc's own part files.
    let run = t.cmd().args(["--output-dir", "out", "--force", "-p", "1", "-"]).stdin("x").output();
    run.assert_code(2);
    run.assert_stderr(
        "mrwc: out: holds keep.txt, which mrwc does not write; --force replaces only a directory of part files and _SUCCESS\n",
    );
    assert_eq!(t.list("out"), ["keep.txt"]);
    std::fs::remove_file(t.join("out/keep.txt")).unwrap();
    write_old(&t);
    let run = t.cmd().args(["--output-dir", "out", "--force", "-p", "1", "-"]).stdin("x").output();
    run.assert_code(0);
    assert_eq!(t.list("out"), ["_SUCCESS", "part-00000"]);
    assert_eq!(std::fs::read_to_string(t.join("out/part-00000")).unwrap(), "x\t1\n");
}

#[test]
fn failed_run_leaves_no_output_dir() {
    let t = TestDir::new();
    let run = t.cmd().args(["--output-dir", "out", "missing.txt"]).output();
    run.assert_code(2);
    assert!(!t.join("out").exists());
}

#[test]
fn completions_and_man_page_are_generated() {
    let bash = Mrwc::new().args(["completions", "bash"]).stdout();
    assert!(bash.contains("--chunk-size") && bash.contains("complete"), "{bash}");
    let zsh = Mrwc::new().args(["completions", "zsh"]).stdout();
    assert!(zsh.contains("#compdef mrwc"));
    let man = Mrwc::new().arg("man").stdout();
    assert!(man.contains(".TH mrwc") && man.contains("\\-\\-no\\-mmap"), "{man}");
}

#[test]
fn a_file_named_like_a_subcommand_can_be_counted_with_a_path() {
    let t = TestDir::new();
    t.write("man", "manual labour");
    assert_same("labour\t1\nmanual\t1\n", &t.cmd().arg("./man").stdout());
}

#[test]
fn a_killed_run_leaves_the_output_dir_alone_and_mrwc_clean_removes_its_staging() {
    let t = TestDir::new();
    write_old(&t);
    // What SIGKILL leaves: the run's staging directory beside DIR, its lock gone with it.
    let mut m = t.cmd().args(["--output-dir", "out", "--force", "-"]);
    m.cmd.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = m.cmd.spawn().unwrap();
    wait_for("the staging directory", || t.list(".").iter().any(|n| n.starts_with(".mrwc-out-")));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(t.list("out"), ["_SUCCESS", "part-00000"]);
    assert_eq!(std::fs::read_to_string(t.join("out/part-00000")).unwrap(), "old\t1\n");
    // A later run neither waits for it nor removes it; `mrwc clean` does.
    let run = t.cmd().args(["--output-dir", "out", "--force", "-p", "1", "-"]).stdin("x").output();
    run.assert_code(0);
    run.assert_stderr("");
    let staging: Vec<String> = t.list(".").into_iter().filter(|n| n.starts_with(".mrwc-out-")).collect();
    assert_eq!(staging.len(), 1);
    let clean = t.cmd().args(["clean", "."]).output();
    clean.assert_code(0);
    assert_same(&format!("removed ./{}\n", staging[0]), &clean.stdout);
    assert_eq!(t.list("."), ["out"]);
}

fn write_old(t: &TestDir) {
    t.write("out/part-00000", "old\t1\n");
    t.write("out/_SUCCESS", "");
}

#[test]
fn an_output_device_is_written_in_place_never_replaced() {
    let t = TestDir::new();
    t.write("in.txt", "a b a");
    // Written in place: the device's own error comes back. A rename over it would have
    // "succeeded" by replacing the device node (as root).
    if std::path::Path::new("/dev/full").exists() {
        let run = t.cmd().args(["-o", "/dev/full", "in.txt"]).output();
        run.assert_code(1);
        run.assert_stderr("mrwc: /dev/full: No space left on device\n");
    } else {
        skip("/dev/full is absent");
    }
    use std::os::unix::fs::FileTypeExt;
    t.cmd().args(["-o", "/dev/null", "in.txt"]).output().assert_code(0);
    assert!(std::fs::metadata("/dev/null").unwrap().file_type().is_char_device());
    assert!(std::fs::metadata("/dev/full").map_or(true, |m| m.file_type().is_char_device()));
    assert_eq!(t.list("."), ["in.txt"]);
}
