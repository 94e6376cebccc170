//! Regression tests: each is named after the bug it pins, with the way it was seen in its doc
//! comment. A test here failed before its fix.
//!
//! Tests that must catch mrwc at a precise moment use fault injection
//! (`MRWC_FAULT=stop:commit:before|after` stops the process at the rename that commits the
//! output) and wait for a state (the process stopped, a file present), never for a time.

use std::path::Path;
use std::process::{Child, Stdio};

use crate::util::*;

/// Starts `m` and waits until it stops itself at the fault point it was given.
fn start_stopped(mut m: Mrwc) -> Child {
    m.cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
    let mut child = m.cmd.spawn().expect("spawn mrwc");
    wait_for("mrwc to stop at its commit point", || {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("mrwc ended ({status}) before reaching its commit point");
        }
        is_stopped(child.id()) || descendants(child.id()).into_iter().any(is_stopped)
    });
    child
}

fn signal(child: &Child, sig: i32) {
    // SAFETY: kill with the pid of our own child, not yet reaped.
    assert_eq!(unsafe { libc::kill(child.id() as i32, sig) }, 0);
}

fn hidden_entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".mrwc-"))
        .collect();
    names.sort();
    names
}

fn write_old_output(t: &TestDir, dir: &str) {
    t.write(&format!("{dir}/part-00000"), "old\t1\n");
    t.write(&format!("{dir}/_SUCCESS"), "");
}

/// #20.1: `mrwc data --output-dir data --force` deleted the inputs before anything was
/// checked, then failed with "No such file"; `--output-dir . --force` emptied the working
/// directory; `--output-dir /dev/null --force` (as root) removed the device node.
#[test]
fn output_dir_force_deleted_inputs_the_working_directory_and_devices() {
    let t = TestDir::new();
    t.write("data/in.txt", "a b a");
    t.write("work/keep.txt", "precious");
    t.write("plain.txt", "not a directory");
    for (dir, cwd, why) in [
        ("data", ".", "holds in.txt, which mrwc does not write"),
        (".", "work", "holds keep.txt, which mrwc does not write"),
        ("/dev/null", ".", "not a directory"),
        ("plain.txt", ".", "not a directory"),
    ] {
        let mut m = t.cmd().args(["data", "--output-dir", dir, "--force"]);
        m.cmd.current_dir(t.join(cwd));
        let run = m.output();
        run.assert_code(2);
        assert!(run.stderr.starts_with(&format!("mrwc: {dir}: ")) && run.stderr.contains(why), "{}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    }
    assert_eq!(std::fs::read_to_string(t.join("data/in.txt")).unwrap(), "a b a");
    assert_eq!(std::fs::read_to_string(t.join("work/keep.txt")).unwrap(), "precious");
    assert_eq!(std::fs::read_to_string(t.join("plain.txt")).unwrap(), "not a directory");
    assert!(std::fs::metadata("/dev/null").unwrap().file_type().is_char_device_like());
    assert_eq!(t.list("."), ["data", "plain.txt", "work"], "something was left beside the inputs");
}

trait CharDevice {
    fn is_char_device_like(&self) -> bool;
}

impl CharDevice for std::fs::FileType {
    fn is_char_device_like(&self) -> bool {
        use std::os::unix::fs::FileTypeExt;
        self.is_char_device()
    }
}

/// #20.2: run A (slow) and run B (`--force`) on the same `--output-dir`; B committed; A then
/// failed, and its cleanup removed `out/`, which B owned by then.
#[test]
fn a_failed_run_removed_an_output_dir_committed_by_another_run() {
    let t = TestDir::new();
    t.write("a.txt", "from a");
    t.write("b.txt", "from b");
    for ending in ["fails at its commit", "is interrupted"] {
        let a = start_stopped(
            t.cmd().args(["--output-dir", "out", "-p", "1", "a.txt"]).env("MRWC_FAULT", "stop:commit:before"),
        );
        t.cmd().args(["--output-dir", "out", "--force", "-p", "1", "b.txt"]).output().assert_code(0);
        if ending == "is interrupted" {
            signal(&a, libc::SIGTERM);
        }
        signal(&a, libc::SIGCONT);
        let out = a.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if ending == "is interrupted" {
            assert_eq!(out.status.code(), Some(143), "{stderr}");
        } else {
            assert_eq!(out.status.code(), Some(1), "{stderr}");
            assert_same(
                "mrwc: out: was created by another run while this one ran; not replaced (use --force)\n",
                &stderr,
            );
        }
        assert_eq!(t.list("out"), ["_SUCCESS", "part-00000"], "run A {ending}: B's output was touched");
        assert_eq!(std::fs::read_to_string(t.join("out/part-00000")).unwrap(), "b\t1\nfrom\t1\n");
        assert_eq!(hidden_entries(t.path()), Vec::<String>::new(), "run A {ending}: staging left behind");
        std::fs::remove_dir_all(t.join("out")).unwrap();
    }
}

/// #20.3: `--output-dir out --force` removed the previous output before the job ran, so a job
/// that then failed (a truncated .gz) left no output at all. `-o` kept the old file.
#[test]
fn output_dir_force_destroyed_the_old_output_of_a_job_that_then_failed() {
    let t = TestDir::new();
    write_old_output(&t, "out");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, "word ".repeat(10_000).as_bytes()).unwrap();
    let whole = gz.finish().unwrap();
    t.write("bad.gz", &whole[..whole.len() / 2]);
    let run = t.cmd().args(["--output-dir", "out", "--force", "-p", "1", "bad.gz"]).output();
    run.assert_code(2);
    assert!(run.stderr.starts_with("mrwc: bad.gz: "), "{}", run.stderr);
    assert_eq!(t.list("out"), ["_SUCCESS", "part-00000"]);
    assert_eq!(std::fs::read_to_string(t.join("out/part-00000")).unwrap(), "old\t1\n");
    assert_eq!(hidden_entries(t.path()), Vec::<String>::new());
    // The same job on good input replaces it, parts and all.
    t.write("good.txt", "new");
    t.cmd().args(["--output-dir", "out", "--force", "-p", "1", "good.txt"]).output().assert_code(0);
    assert_eq!(std::fs::read_to_string(t.join("out/part-00000")).unwrap(), "new\t1\n");
    assert_eq!(t.list("."), ["bad.gz", "good.txt", "out"]);
}

/// #20.4: `-o /dev/stdout` redirected to a regular file replaced that file by rename:
/// `{ echo HEADER; mrwc in.txt -o /dev/stdout; echo FOOTER; } > log` kept only the counts, and
/// `-o /dev/stderr --stats 2> e` lost the stats.
#[test]
fn o_dev_stdout_redirected_to_a_file_replaced_the_file() {
    let t = TestDir::new();
    t.write("in.txt", "b a b");
    let script = format!(
        "{{ echo HEADER; '{bin}' in.txt -o /dev/stdout; echo MIDDLE; '{bin}' in.txt -o /proc/self/fd/1; \
         ln -sf /dev/stdout link; '{bin}' in.txt -o link; echo FOOTER; }} > log; \
         '{bin}' in.txt -o /dev/stderr --stats 2> err; '{bin}' in.txt -o /dev/fd/5 5>> log",
        bin = bin()
    );
    let run = std::process::Command::new("sh").arg("-c").arg(&script).current_dir(t.path()).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let log = std::fs::read_to_string(t.join("log")).unwrap();
    assert_same("HEADER\nb\t2\na\t1\nMIDDLE\nb\t2\na\t1\nb\t2\na\t1\nFOOTER\nb\t2\na\t1\n", &log);
    let err = std::fs::read_to_string(t.join("err")).unwrap();
    assert!(err.starts_with("b\t2\na\t1\nmrwc: counters"), "{err}");
    assert!(std::fs::symlink_metadata(t.join("link")).unwrap().file_type().is_symlink());
    assert_eq!(hidden_entries(t.path()), Vec::<String>::new());
}

/// #20.5: "is the owner alive?" used the PID alone, so a job in another PID namespace (a
/// container sharing `/tmp` or a data volume) had its live work directory and output removed
/// as "a killed run's". Ownership is now a lock held on the item, seen from every namespace.
#[test]
fn a_live_job_in_another_pid_namespace_lost_its_work_and_output() {
    let t = TestDir::new();
    std::fs::create_dir(t.join("tmp")).unwrap();
    let text: String = (0..20_000).map(|i| format!("w{} ", i % 5000)).collect();
    t.write("in.txt", &text);
    let args = ["--output-dir", "out", "-p", "1", "-r", "procs", "-j", "2", "--tmp-dir", "tmp", "in.txt"];
    let unshare = std::process::Command::new("unshare").args(["--pid", "--fork", "true"]).output();
    let mut live = if unshare.is_ok_and(|o| o.status.success()) {
        // mrwc must not be the namespace's init (pid 1 ignores its own SIGSTOP): sh is.
        Mrwc::wrapped(&["unshare", "--pid", "--fork", "--kill-child", "sh", "-c", "\"$0\" \"$@\"; exit $?"])
    } else {
        skip("unshare --pid is not permitted here; the job runs in this namespace");
        Mrwc::new()
    };
    live.cmd.current_dir(t.path());
    let live = start_stopped(live.args(args).env("MRWC_FAULT", "stop:commit:before"));
    // The live job's pid (as seen in its own namespace) is 1 or so: nothing here.
    let work: Vec<String> = t.list("tmp");
    assert_eq!(work.len(), 1, "{work:?}");
    let staging = hidden_entries(t.path());
    assert_eq!(staging.len(), 1, "{staging:?}");
    // Another job on the same tmp dir, and an explicit clean, leave the live job's things alone.
    t.cmd().args(["-r", "procs", "--tmp-dir", "tmp", "in.txt", "-o", "other.tsv"]).output().assert_code(0);
    let cleaned = t.cmd().args(["clean", "tmp", "."]).output();
    cleaned.assert_code(0);
    assert_eq!(cleaned.stdout, "");
    assert_eq!(t.list("tmp"), work);
    assert_eq!(hidden_entries(t.path()), staging);
    // Stopped inside `unshare`: continue the whole process group of the wrapper.
    for pid in descendants(live.id()).into_iter().chain([live.id()]) {
        // SAFETY: kill with a pid of our own descendants.
        unsafe { libc::kill(pid as i32, libc::SIGCONT) };
    }
    let out = live.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (got, want) = (
        parse_tsv(&std::fs::read(t.join("out/part-00000")).unwrap()),
        parse_tsv(&std::fs::read(t.join("other.tsv")).unwrap()),
    );
    assert!(got == want, "the live job's counts differ from another run's");
    assert_eq!(t.list("tmp"), Vec::<String>::new());
    assert_eq!(hidden_entries(t.path()), Vec::<String>::new());
}

/// #20.14: the SIGKILL test of `-o` atomicity killed the run within 55 ms of a run that took
/// 0.5-0.7 s, so no round reached the rename, both checks sat behind an `if` that never held,
/// and no old file was present. Now mrwc is killed exactly before and after the rename that
/// commits, with an old output present, and every round asserts.
#[test]
fn sigkill_at_the_commit_point_leaves_the_old_output_or_the_whole_new_one() {
    let t = TestDir::new();
    let text: String = (0..50_000).map(|i| format!("w{} ", i % 7000)).collect();
    t.write("in.txt", &text);
    let want = Mrwc::new().arg(t.join("in.txt")).stdout();
    for point in ["before", "after"] {
        t.write("out.tsv", "old\t1\n");
        let child =
            start_stopped(t.cmd().args(["-o", "out.tsv", "in.txt"]).env("MRWC_FAULT", format!("stop:commit:{point}")));
        signal(&child, libc::SIGKILL);
        child.wait_with_output().unwrap();
        let got = std::fs::read_to_string(t.join("out.tsv")).unwrap();
        match point {
            "before" => assert_eq!(got, "old\t1\n", "killed before the rename: the old file must stay"),
            _ => assert_eq!(got, want, "killed after the rename: the new file must be whole"),
        }
        // The killed run's temp file (before) is hidden, and `mrwc clean` removes it.
        let left = hidden_entries(t.path());
        assert_eq!(left.len(), usize::from(point == "before"), "{left:?}");
        let cleaned = t.cmd().args(["clean", "."]).output();
        cleaned.assert_code(0);
        assert_eq!(cleaned.stdout.lines().count(), left.len(), "{}", cleaned.stdout);
        assert_eq!(hidden_entries(t.path()), Vec::<String>::new());

        write_old_output(&t, "dir");
        let m = t.cmd().args(["--output-dir", "dir", "--force", "-p", "2", "in.txt"]);
        let child = start_stopped(m.env("MRWC_FAULT", format!("stop:commit:{point}")));
        signal(&child, libc::SIGKILL);
        child.wait_with_output().unwrap();
        match point {
            "before" => {
                assert_eq!(t.list("dir"), ["_SUCCESS", "part-00000"]);
                assert_eq!(std::fs::read_to_string(t.join("dir/part-00000")).unwrap(), "old\t1\n");
            }
            _ => {
                assert_eq!(t.list("dir"), ["_SUCCESS", "part-00000", "part-00001"]);
                let mut all = parse_tsv(&std::fs::read(t.join("dir/part-00000")).unwrap());
                all.extend(parse_tsv(&std::fs::read(t.join("dir/part-00001")).unwrap()));
                assert_eq!(all, parse_tsv(want.as_bytes()));
            }
        }
        // Before: the staging directory; after: the old output, exchanged out of the way.
        assert_eq!(hidden_entries(t.path()).len(), 1);
        t.cmd().args(["clean", "."]).output().assert_code(0);
        assert_eq!(hidden_entries(t.path()), Vec::<String>::new());
        std::fs::remove_dir_all(t.join("dir")).unwrap();
    }
}

/// #20.11: a closed stdout was an error (exit 1, "Broken pipe") whenever the result was on
/// disk: `seq 100000 | mrwc -r procs | head -1`, and any spilled run. It ends quietly with 0,
/// as a result in memory does.
#[test]
fn a_closed_stdout_was_an_error_when_the_result_was_on_disk() {
    let t = TestDir::new();
    let text: String = (0..100_000).map(|i| format!("{i}\n")).collect();
    t.write("in.txt", &text);
    for args in [
        vec!["-r", "procs"],
        vec!["-r", "threads", "--max-memory", "64M", "--chunk-size", "64K"],
        vec!["-r", "procs", "--sort", "word"],
        vec!["-r", "procs", "--sort", "none", "-f", "json"],
    ] {
        let script = format!("'{}' {} --tmp-dir . in.txt | head -1", bin(), args.join(" "));
        let mut sh = std::process::Command::new("bash");
        sh.args(["-o", "pipefail", "-c", &script]).current_dir(t.path());
        let out = sh.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1, "{args:?}");
        assert_eq!(t.list("."), ["in.txt"], "{args:?}: work directory left behind");
    }
}

/// #20.12: on a busy machine `procs::a_hanging_worker_times_out_and_its_task_is_retried`
/// failed: healthy attempts also passed the 1 s `--task-timeout`, which measured how long a
/// task took. Workers now beat from a thread that does not wait on the task, so a task three
/// timeouts long is not retried, and a stopped process still is.
#[test]
fn a_slow_healthy_task_was_killed_as_hung_by_the_task_timeout() {
    let t = TestDir::new();
    let input = t.write("in.txt", "a b c a\n");
    for (fault, timeout, failed) in [("slow:map-0:1", "1s", 0), ("hang:map-0:1", "0.5s", 1)] {
        let run = t
            .cmd()
            .args(["-r", "procs", "-j", "1", "--tmp-dir", ".", "--task-timeout", timeout, "--stats"])
            .arg(&input)
            .env("MRWC_FAULT", fault)
            .output();
        run.assert_code(0);
        assert_eq!(run.stdout, "a\t2\nb\t1\nc\t1\n");
        let want = format!("failed attempts                        {failed}");
        assert!(run.stderr.contains(&want), "{fault}: {}", run.stderr);
    }
    assert_eq!(t.list("."), ["in.txt"]);
}

/// #20.13: `-j 100001` got past the 100,000-partition limit (the partition count defaults to
/// the job count); `--every 0.3s` was refused (decimal durations are accepted everywhere).
#[test]
fn jobs_past_the_partition_limit_and_decimal_durations_were_mishandled() {
    let run = Mrwc::new().args(["-j", "100001", "-"]).stdin("x").output();
    run.assert_code(2);
    run.assert_stderr(
        "error: invalid value '100001' for '--jobs <N>': must be at most 4096\n\nFor more information, try '--help'.\n",
    );
    let run = Mrwc::new().args(["-r", "procs", "--task-timeout", "0.25s", "-"]).stdin("x y x").output();
    run.assert_code(0);
    assert_eq!(run.stdout, "x\t2\ny\t1\n");
    let run = Mrwc::new().args(["--online", "--every", "0.3s", "-q", "-"]).stdin("x y x\n").output();
    run.assert_code(0);
    assert!(run.stdout.contains("x\t2"), "{}", run.stdout);
}

/// #20.7: `--chunk-size 100G` on stdin, with `--no-mmap` or with procs allocated the whole chunk
/// up front: abort (exit 134) on a 6-byte input, and a `.mrwc-*.tmp` left behind.
#[test]
fn a_huge_chunk_size_allocated_the_chunk_up_front() {
    let t = TestDir::new();
    t.write("in.txt", "a b a\n");
    for args in [
        vec!["-"],
        vec!["--no-mmap", "in.txt"],
        vec!["-r", "procs", "--tmp-dir", ".", "-"],
        vec!["-r", "procs", "--tmp-dir", ".", "--no-mmap", "in.txt"],
    ] {
        let run = t.cmd().args(["--chunk-size", "100G", "-o", "out.tsv"]).args(&args).stdin("a b a\n").output();
        run.assert_code(0);
        assert_eq!(std::fs::read_to_string(t.join("out.tsv")).unwrap(), "a\t2\nb\t1\n", "{args:?}");
        assert_eq!(t.list("."), ["in.txt", "out.tsv"], "{args:?}");
    }
}

/// Bytes `pid` has read so far (`rchar` in /proc/PID/io).
fn bytes_read(pid: u32) -> u64 {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap_or_default();
    io.lines().find_map(|l| l.strip_prefix("rchar: ")).and_then(|n| n.trim().parse().ok()).unwrap_or(0)
}

/// Peak resident memory of `pid` so far (`VmHWM`), in MiB.
fn peak_rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    kib / 1024.0
}

/// #20.6: one endless token grew without limit: `mrwc -t whitespace --max-memory 64M /dev/zero`
/// reached 8.4 GB RSS for 2 GB read. A run without a boundary byte is now cut every
/// `split::MAX_RUN` (1 MiB), so memory stays flat however long the token: here an endless
/// stream of zeros (whitespace tokenizer) and of letters (words tokenizer) is read until mrwc
/// has taken in 256 MiB, and its peak RSS is still a few chunks. Online mode too: there the
/// reader is much faster than the counting, so this also shows its back-pressure (a bounded
/// channel between readers and counting: the reader waits, memory does not grow).
#[test]
fn one_endless_token_grew_memory_without_limit() {
    for (tokenizer, byte, online) in [("whitespace", 0u8, false), ("words", b'a', false), ("whitespace", 0u8, true)] {
        let mode: &[&str] = if online { &["--online", "--every", "50ms"] } else { &[] };
        let mut m = Mrwc::new().args(mode).args(["-t", tokenizer, "--max-memory", "64M", "-j", "2", "-"]);
        m.cmd.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null());
        let mut child = m.cmd.spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || {
            let block = vec![byte; 1 << 20];
            // Ends when mrwc is killed (EPIPE).
            while std::io::Write::write_all(&mut stdin, &block).is_ok() {}
        });
        wait_for("mrwc to read 256 MiB of one token", || {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("{tokenizer}: mrwc ended ({status}) on an endless stream");
            }
            bytes_read(child.id()) >= 256 << 20
        });
        let peak = peak_rss_mib(child.id());
        child.kill().unwrap();
        child.wait().unwrap();
        writer.join().unwrap();
        // The binary and its dictionaries, two workers' chunks and one cut run each, the table:
        // far below the 256 MiB read (a token held whole would be all of it, and more).
        assert!(peak < 96.0, "{tokenizer}: peak RSS {peak:.1} MiB after reading 256 MiB of one token");
    }
}

/// #20.6, the rule's other half: a run longer than `split::MAX_RUN` is cut at the same points
/// whatever the chunk size, the read mode and the runner, so its counts never change.
#[test]
fn a_run_longer_than_max_run_is_counted_the_same_by_every_runner_and_chunk_size() {
    let t = TestDir::new();
    // 2.5 MiB of one run with two-byte characters (the cuts move back to a character start),
    // between ordinary words; and a long line for the line-based tokenizers.
    let run = "é".repeat(5 << 18);
    t.write("in.txt", format!("ab {run} cd\n{}\n", "x".repeat(3 << 20)));
    let mut want: Option<String> = None;
    for tokenizer in ["whitespace", "words", "mrjob", "unicode"] {
        want = None;
        for args in [
            vec!["-r", "local"],
            vec!["-r", "threads", "-j", "3", "--chunk-size", "100K"],
            vec!["-r", "threads", "--chunk-size", "7", "--no-mmap"],
            vec!["-r", "procs", "-j", "2", "--chunk-size", "300K", "--tmp-dir", "."],
            vec!["-r", "local", "-"],
        ] {
            let mut m = t.cmd().args(["-t", tokenizer]).args(&args);
            if args.last() != Some(&"-") {
                m = m.arg("in.txt");
            } else {
                m = m.stdin(std::fs::read(t.join("in.txt")).unwrap());
            }
            let got = m.stdout();
            match &want {
                None => want = Some(got),
                Some(w) => assert!(&got == w, "{tokenizer} {args:?}: counts differ"),
            }
        }
        let got = want.clone().unwrap();
        let lines: Vec<&str> = got.lines().collect();
        // Every piece of the long runs is at most MAX_RUN bytes; the 3 MiB line of x is three
        // pieces of exactly 1 MiB.
        assert!(lines.iter().all(|l| l.len() <= (1 << 20) + 8), "{tokenizer}: a word longer than MAX_RUN");
        let x_mib = format!("{}\t3", "x".repeat(1 << 20));
        assert!(lines.contains(&x_mib.as_str()), "{tokenizer}: the long line was not cut into 3 MiB pieces");
    }
    let _ = want;
}

/// #20.8: `--max-memory 1` wrote one run file per record (8 million files, 31 GB). The budget
/// now has a floor (128K per worker, 1M in all), a spilled run holds at least 64 KiB of table,
/// and a partition never has more than 128 spilled runs: past that its oldest 64 are merged.
#[test]
fn a_tiny_budget_wrote_one_run_file_per_record() {
    for (args, floor) in [(vec!["-j", "2"], "1M"), (vec!["-j", "16"], "2M"), (vec!["-r", "local"], "1M")] {
        let run = Mrwc::new().args(&args).args(["--max-memory", "1", "-"]).stdin("x").output();
        run.assert_code(2);
        let want = format!(
            "mrwc: invalid value '1' for --max-memory: must be at least {floor} (128K per worker, at least 1M: the \
             smallest table a worker spills is 64K)\n"
        );
        run.assert_stderr(&want);
    }
    let run = Mrwc::new().args(["reduce", "--unsorted", "--max-memory", "64K"]).stdin("a\t1\n").output();
    run.assert_code(2);
    // With the floor lifted (tests only) every record spills, yet the work directory never
    // holds more than 128 runs of a partition: 20,000 distinct words, one partition, a budget
    // that spills after each few words.
    let t = TestDir::new();
    std::fs::create_dir(t.join("tmp")).unwrap();
    // One word a line: the default tokenizer cuts chunks at line ends.
    let text: String = (0..20_000).map(|i| format!("w{i}\n")).collect();
    t.write("in.txt", &text);
    let want = Mrwc::new().arg(t.join("in.txt")).stdout();
    let mut m =
        t.cmd().args(["-r", "local", "-p", "1", "--max-memory", "300", "--test-tiny-budget", "--chunk-size", "64"]);
    m = m.args(["--tmp-dir", "tmp", "--stats", "in.txt"]);
    let mut cmd = m.cmd;
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut most = 0;
    // Sample the work directory while the job runs (a state, not a time: each look is a count).
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap());
    while child.try_wait().unwrap().is_none() {
        for job in std::fs::read_dir(t.join("tmp")).unwrap().flatten() {
            let runs = std::fs::read_dir(job.path()).map(|d| d.count()).unwrap_or(0);
            most = most.max(runs);
        }
    }
    let out = reader.join().unwrap();
    assert_eq!(out, want);
    let status = child.wait_with_output().unwrap();
    let stats = String::from_utf8_lossy(&status.stderr);
    let spills: u64 = stats
        .lines()
        .find_map(|l| l.trim().strip_prefix("spills"))
        .and_then(|n| n.trim().replace(',', "").parse().ok())
        .expect("spills counter");
    assert!(spills > 1000, "the budget did not make the job spill often: {spills}\n{stats}");
    // 128 runs, plus a merge's output and its scratch at the moment of a compaction.
    assert!(most <= 128 + 2, "{most} files in the work directory");
    assert_eq!(t.list("tmp"), Vec::<String>::new());
}

/// #20.13: a file name holding U+202E RIGHT-TO-LEFT OVERRIDE reached the terminal raw in error
/// messages (`evil<RLO>txt.exe` displays as `evilexe.txt`).
#[test]
fn a_right_to_left_override_in_a_name_reached_the_terminal() {
    let t = TestDir::new();
    let run = t.cmd().arg("missing\u{202e}txt.exe").output();
    run.assert_code(2);
    run.assert_stderr("mrwc: 'missing\\u{202e}txt.exe': No such file or directory\n");
}

/// #20.9: SIGINT or SIGTERM while spills were being written fast left the work directory behind
/// (6 of 6 trials): the cleanup removed it while worker threads kept creating runs in it. Each
/// round here waits until runs are being written, interrupts, and finds nothing left.
#[test]
fn sigint_while_spills_were_written_left_the_work_directory() {
    let t = TestDir::new();
    std::fs::create_dir(t.join("tmp")).unwrap();
    let text: String = (0..400_000).map(|i| format!("w{i} ")).collect();
    t.write("in.txt", &text);
    for (round, signal_number) in
        [libc::SIGINT, libc::SIGTERM, libc::SIGINT, libc::SIGTERM, libc::SIGINT, libc::SIGTERM].into_iter().enumerate()
    {
        let runner = if round % 2 == 0 { "threads" } else { "local" };
        let mut m = t.cmd().args(["-r", runner, "-j", "2", "--max-memory", "2K", "--test-tiny-budget"]);
        m = m.args(["--chunk-size", "4K", "--tmp-dir", "tmp", "-o", "out.tsv", "in.txt"]);
        m.cmd.stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = m.cmd.spawn().unwrap();
        // Runs being written: the work directory holds some.
        wait_for("spilled runs", || {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("round {round}: the job ended ({status}) before it was interrupted");
            }
            std::fs::read_dir(t.join("tmp"))
                .unwrap()
                .flatten()
                .any(|d| std::fs::read_dir(d.path()).is_ok_and(|mut e| e.next().is_some()))
        });
        signal(&child, signal_number);
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(128 + signal_number),
            "round {round}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(t.list("tmp"), Vec::<String>::new(), "round {round}: work directory left behind");
        assert_eq!(t.list("."), ["in.txt", "tmp"], "round {round}: output or temp file left behind");
    }
}

/// #20.10: a run started after a killed one spent minutes deleting that run's leftovers before
/// counting anything. Jobs no longer remove other runs' leftovers at all (`mrwc clean` does): a
/// killed run's work directory with 20,000 files is left as it is by the next job.
#[test]
fn a_new_job_spent_minutes_removing_a_killed_runs_leftovers() {
    let t = TestDir::new();
    let stale = t.join("tmp/mrwc-job-killedbefore");
    std::fs::create_dir_all(&stale).unwrap();
    for i in 0..20_000 {
        std::fs::write(stale.join(format!("spill-{i:06}-p00000.run")), "").unwrap();
    }
    t.write("in.txt", "a b a");
    for runner in ["threads", "procs"] {
        let run = t.cmd().args(["-r", runner, "--max-memory", "1M", "--tmp-dir", "tmp", "in.txt"]).output();
        run.assert_code(0);
        assert_eq!(run.stdout, "a\t2\nb\t1\n");
        assert_eq!(std::fs::read_dir(&stale).unwrap().count(), 20_000, "{runner} touched another run's files");
    }
    let clean = t.cmd().args(["clean", "tmp"]).output();
    clean.assert_code(0);
    assert_eq!(clean.stdout, "removed tmp/mrwc-job-killedbefore\n");
    assert_eq!(t.list("tmp"), Vec::<String>::new());
}

/// #20.13: `--online --tail` read UTF-16 and compressed files as raw bytes, silently counting
/// noise. They are refused before the job starts, naming the file and what it is; without
/// `--tail` they are decoded, as in batch mode.
#[test]
fn online_tail_counted_compressed_and_utf16_files_as_noise() {
    let t = TestDir::new();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, b"alpha beta alpha\n").unwrap();
    t.write("log.gz", gz.finish().unwrap());
    let utf16: Vec<u8> =
        [0xff, 0xfe].into_iter().chain("alpha beta alpha\n".encode_utf16().flat_map(u16::to_le_bytes)).collect();
    t.write("log16.txt", utf16);
    for (file, kind) in [("log.gz", "gzip-compressed"), ("log16.txt", "UTF-16")] {
        let run = t.cmd().args(["--online", "--tail", file]).output();
        run.assert_code(2);
        run.assert_stderr(&format!(
            "mrwc: {file}: --tail follows a file's raw bytes, and this file is {kind}; pipe its decoded text into mrwc \
             --online instead, or drop --tail\n"
        ));
        let run = t.cmd().args(["--online", "--every", "10ms", "-o", "totals.tsv", file]).output();
        run.assert_code(0);
        assert_eq!(std::fs::read_to_string(t.join("totals.tsv")).unwrap(), "alpha\t2\nbeta\t1\n", "{file}");
    }
}

/// #20.13: a procs job failed when its binary was replaced mid-run (an upgrade during a long
/// job): replacement workers were started from the path, which then held another program or
/// nothing. They start from /proc/self/exe, the running binary itself. Here a worker hangs,
/// the binary file is removed, and the timed-out task is retried by a newly started worker.
#[test]
fn a_procs_job_failed_when_its_binary_was_replaced_mid_run() {
    let t = TestDir::new();
    let copy = t.join("mrwc-copy");
    std::fs::copy(bin(), &copy).unwrap();
    t.write("in.txt", "a b a\n");
    let mut cmd = std::process::Command::new(&copy);
    cmd.current_dir(t.path()).args(["-r", "procs", "-j", "1", "--tmp-dir", ".", "--task-timeout", "5s", "in.txt"]);
    cmd.env("MRWC_FAULT", "hang:map-0:1").stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    wait_for("the worker to hang", || descendants(child.id()).into_iter().any(is_stopped));
    std::fs::remove_file(&copy).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "a\t2\nb\t1\n");
}
