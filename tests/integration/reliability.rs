//! Hostile inputs and faults (see the README's Reliability table): each guarantee is a test.

use std::io::Write;
use std::process::Stdio;

use crate::util::*;

fn big_input(t: &TestDir) -> std::path::PathBuf {
    let path = t.join("big.txt");
    let mut f = std::fs::File::create(&path).unwrap();
    let line = "lorem ipsum dolor sit amet consectetur ".repeat(1000);
    for _ in 0..1600 {
        f.write_all(line.as_bytes()).unwrap();
    }
    path
}

#[test]
fn a_mapped_file_truncated_during_the_run_is_reported_not_a_bus_error() {
    let t = TestDir::new();
    let input = big_input(&t);
    let mut m = t.cmd().args(["-j", "1", "--chunk-size", "64K", "-o", "out.tsv", "big.txt"]);
    // mrwc stops itself once the file is mapped, before reading it: the file shrinks then.
    m.cmd.env("MRWC_FAULT", "stop:read:opened").stdout(Stdio::null()).stderr(Stdio::piped());
    let child = m.cmd.spawn().unwrap();
    wait_for("the input mapped", || is_stopped(child.id()));
    std::fs::OpenOptions::new().write(true).open(&input).unwrap().set_len(4096).unwrap();
    // SAFETY: kill with the pid of our own stopped child.
    unsafe { libc::kill(child.id() as i32, libc::SIGCONT) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "mrwc: big.txt: file changed while being read (use --no-mmap to read it with read())\n"
    );
    assert_eq!(t.list("."), ["big.txt"], "output or temp file left behind");
}

#[test]
fn a_file_that_shrinks_under_no_mmap_is_reported() {
    let t = TestDir::new();
    let input = big_input(&t);
    let size = std::fs::metadata(&input).unwrap().len();
    let mut m = t.cmd().args(["-j", "1", "--no-mmap", "--chunk-size", "64K", "--output-dir", "out", "big.txt"]);
    // mrwc stops itself once the file is open, before reading it: the file shrinks then.
    m.cmd.env("MRWC_FAULT", "stop:read:opened").stdout(Stdio::null()).stderr(Stdio::piped());
    let child = m.cmd.spawn().unwrap();
    wait_for("the input opened", || is_stopped(child.id()));
    std::fs::OpenOptions::new().write(true).open(&input).unwrap().set_len(4096).unwrap();
    // SAFETY: kill with the pid of our own stopped child.
    unsafe { libc::kill(child.id() as i32, libc::SIGCONT) };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let want = format!("mrwc: big.txt: file changed while being read (its size was {size} bytes when opened, ");
    assert!(stderr.starts_with(&want), "{stderr}");
    assert_eq!(t.list("."), ["big.txt"], "output directory left behind");
}

#[test]
fn dev_stdin_and_character_devices_are_read_like_pipes() {
    assert_same("a\t2\nb\t1\n", &Mrwc::new().arg("/dev/stdin").stdin("a b a").stdout());
    assert_same("", &Mrwc::new().arg("/dev/null").stdout());
}

#[test]
fn binary_files_count_the_same_mapped_and_read() {
    // A small ELF executable from the system (the debug mrwc itself is ~100 MB).
    let elf = ["/usr/bin/env", "/bin/ls", "/bin/sh"].into_iter().find(|p| std::path::Path::new(p).is_file());
    let Some(elf) = elf else {
        skip("no system executable found");
        return;
    };
    for tokenizer in ["words", "whitespace"] {
        let mapped = Mrwc::new().args(["-t", tokenizer, elf]).output();
        let read = Mrwc::new().args(["-t", tokenizer, "--no-mmap", elf]).output();
        mapped.assert_code(0);
        assert!(!mapped.stdout_bytes.is_empty());
        assert!(mapped.stdout_bytes == read.stdout_bytes, "{tokenizer}");
    }
}

#[test]
fn line_ends_and_unusual_spaces_follow_the_rules() {
    let text = "a\r\nb\rc\x0bd\x0ce\u{a0}f g\n\n  h";
    assert_same(
        "a\t1\nb\t1\nc\t1\nd\t1\ne\u{a0}f\t1\ng\t1\nh\t1\n",
        &Mrwc::new().args(["-t", "whitespace"]).stdin(text).stdout(),
    );
    // NBSP separates in `words` (it is not a letter).
    assert_same("a\t1\nb\t1\nc\t1\nd\t1\ne\t1\nf\t1\ng\t1\nh\t1\n", &Mrwc::new().stdin(text).stdout());
    assert_same("", &Mrwc::new().stdin("").stdout());
    assert_same("end\t1\n", &Mrwc::new().stdin("end").stdout());
}

#[test]
fn invalid_utf8_counts_the_same_for_every_chunk_size() {
    let want = Mrwc::new().arg(fixture("invalid-utf8.bin")).stdout();
    for size in 1..48 {
        for mmap in ["--no-mmap", "--chunk-size"] {
            let args = ["-j", "2", "--chunk-size", &size.to_string(), mmap];
            let args = if mmap == "--no-mmap" { &args[..] } else { &args[..4] };
            assert_eq!(Mrwc::new().args(args).arg(fixture("invalid-utf8.bin")).stdout(), want, "size {size}");
        }
    }
}

#[test]
fn a_huge_word_and_a_huge_line_are_cut_every_max_run() {
    // Scaled down from the 1 GiB word / 100 MB line of the issue so the debug test suite stays
    // fast; the code paths are the same (how long it takes is the benchmark's business, not a
    // test's). A run without a boundary byte longer than
    // split::MAX_RUN (1 MiB) is cut every MiB: the 8 MiB word is 8 words of 1 MiB.
    let t = TestDir::new();
    let word = "x".repeat(8 << 20);
    let piece = "x".repeat(1 << 20);
    t.write("word.txt", format!("a {word} b"));
    for args in [&["--chunk-size", "1M"][..], &["--no-mmap"], &["--chunk-size", "3M"]] {
        let run = t.cmd().args(args).args(["-t", "whitespace", "word.txt"]).output();
        run.assert_code(0);
        let counts = parse_tsv(&run.stdout_bytes);
        assert_eq!(counts.len(), 3);
        assert_eq!(counts[piece.as_bytes()], 8);
    }
    let piped = Mrwc::new().args(["-t", "whitespace", "-q", "-"]).stdin(format!("{word} {word}\n")).output();
    piped.assert_code(0);
    assert_eq!(parse_tsv(&piped.stdout_bytes)[piece.as_bytes()], 16);
    let line: String = (0..500_000).map(|i| format!("w{} ", i % 1000)).collect();
    let run = Mrwc::new().args(["--chunk-size", "4K", "-"]).stdin(line).output();
    run.assert_code(0);
    assert_eq!(run.stdout.lines().count(), 1000);
}

#[test]
fn a_file_that_vanishes_between_the_check_and_the_read_is_an_input_error() {
    // The FIFO comes first: the job blocks reading it, after every input was checked, so the
    // test removes the file exactly between the check and the read.
    for keep_going in [false, true] {
        let t = TestDir::new();
        t.write("later.txt", "later words");
        let fifo = t.join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let mut m = t.cmd().args(["-j", "1", "fifo", "later.txt"]);
        if keep_going {
            m.cmd.arg("--keep-going");
        }
        m.cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let child = m.cmd.spawn().unwrap();
        // A non-blocking open for writing succeeds only once mrwc has the FIFO open for
        // reading, that is, once every input was checked.
        let mut writer = None;
        wait_for("mrwc reading the FIFO", || {
            // SAFETY: a valid NUL-terminated path; the fd is owned by the File below.
            let fd = unsafe { libc::open(c.as_ptr(), libc::O_WRONLY | libc::O_NONBLOCK) };
            if fd >= 0 {
                writer = Some(unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fd) });
            }
            fd >= 0
        });
        std::fs::remove_file(t.join("later.txt")).unwrap();
        let mut writer = writer.unwrap();
        writer.write_all(b"first words").unwrap();
        drop(writer);
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr, "mrwc: later.txt: No such file or directory\n");
        if keep_going {
            assert_eq!(out.status.code(), Some(1));
            assert_eq!(String::from_utf8_lossy(&out.stdout), "first\t1\nwords\t1\n");
        } else {
            assert_eq!(out.status.code(), Some(2));
            assert!(out.stdout.is_empty());
        }
    }
}

#[test]
fn a_low_open_file_limit_is_enough_for_many_inputs_and_partitions() {
    let t = TestDir::new();
    for i in 0..5000 {
        t.write(&format!("many/f{i:04}.txt"), format!("w{} common\n", i % 10));
    }
    let words: String = (0..20_000).map(|i| format!("w{i} ")).collect();
    t.write("one.txt", &words);
    let want = Mrwc::new().arg(t.join("many")).stdout();
    let want_one = Mrwc::new().arg(t.join("one.txt")).stdout();
    // 5,000 inputs (opened lazily, one at a time), then 256 partitions (merges batched to the
    // descriptors left).
    let cases = [
        ("-r threads many", &want),
        ("-r local --no-mmap many", &want),
        ("-r threads -p 256 --max-memory 1K --test-tiny-budget one.txt", &want_one),
        ("-r procs -p 256 --chunk-size 8K one.txt", &want_one),
    ];
    for (extra, want) in cases {
        let script = format!("ulimit -n 32 && exec '{}' {extra} --tmp-dir .", bin());
        let mut m = t.cmd();
        m.cmd = std::process::Command::new("sh");
        m.cmd.current_dir(t.path()).args(["-c", &script]);
        let run = m.output();
        run.assert_code(0);
        assert_eq!(&run.stdout, want, "{extra}");
    }
}

#[test]
fn stats_on_a_closed_stderr_pipe_do_not_crash() {
    let mut m = Mrwc::new().args(["--stats", "--keep-going", "nope"]).arg(fixture("sample.txt"));
    m.cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    let mut child = m.cmd.spawn().unwrap();
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "a closed stderr must not turn into a panic (101)");
}

#[test]
fn closed_stdout_is_a_write_error() {
    let script = format!("exec '{}' '{}' >&-", bin(), fixture("sample.txt").display());
    let out = std::process::Command::new("sh").args(["-c", &script]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "mrwc: write error: Bad file descriptor\n");
}

#[test]
fn stdout_on_dev_null_opened_read_write_is_not_an_error() {
    // Python's subprocess.DEVNULL opens /dev/null read-write, as Rust's runtime does for a
    // closed descriptor; only the latter is an error.
    let null = std::fs::OpenOptions::new().read(true).write(true).open("/dev/null").unwrap();
    let out = std::process::Command::new(bin()).arg(fixture("sample.txt")).stdout(null).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty());
}
