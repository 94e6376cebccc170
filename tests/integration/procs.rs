//! `-r procs`: same output as the other runners, and Hadoop's failure semantics (retry, commit
//! by rename, clean failure), exercised with the `MRWC_FAULT` hook.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::util::*;

fn procs(t: &TestDir) -> Mrwc {
    let tmp = t.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    t.cmd().args(["-r", "procs", "--tmp-dir"]).arg(tmp)
}

#[track_caller]
fn assert_no_work_dirs(t: &TestDir) {
    assert_eq!(t.list("tmp"), Vec::<String>::new(), "work directory left behind");
}

#[test]
fn procs_output_is_byte_identical_to_threads() {
    let t = TestDir::new();
    let fixtures: Vec<PathBuf> = vec![fixture("sample.txt"), fixture("tree"), fixture("invalid-utf8.bin")];
    let mut corpora = fixtures.clone();
    corpora.extend(shared_corpus("kjv.txt"));
    corpora.extend(shared_corpus("zh-modern-1mb.txt"));
    // Tiny chunks make one task per 100 bytes: right for fixtures, far too many for corpora.
    let cases: [(&[&str], &[PathBuf]); 3] = [
        (&["-j", "2", "--chunk-size", "256K"], &corpora),
        (&["-j", "3", "--chunk-size", "64K", "-p", "5", "--no-mmap"], &corpora),
        (&["-j", "3", "--chunk-size", "100", "-p", "5", "--no-mmap"], &fixtures),
    ];
    for (extra, inputs) in cases {
        let threads = Mrwc::new().args(extra).args(inputs).output();
        threads.assert_code(0);
        let run = procs(&t).args(extra).args(inputs).output();
        run.assert_code(0);
        assert!(run.stdout_bytes == threads.stdout_bytes, "{extra:?}");
        assert_no_work_dirs(&t);
    }
}

#[test]
fn procs_reads_stdin_and_writes_every_output_kind() {
    let t = TestDir::new();
    let text = "b a b\nc b a\n";
    assert_same("b\t3\na\t2\nc\t1\n", &procs(&t).arg("-").stdin(text).stdout());
    let out = procs(&t).args(["--output-dir", "out", "-p", "2", "-f", "jsonl", "-"]).stdin(text).stdout();
    assert_eq!(out, "");
    assert_eq!(t.list("out"), ["_SUCCESS", "part-00000", "part-00001"]);
    let threads = t.cmd().args(["--output-dir", "out2", "-p", "2", "-f", "jsonl", "-"]).stdin(text).stdout();
    assert_eq!(threads, "");
    for part in ["part-00000", "part-00001"] {
        assert_eq!(std::fs::read(t.join("out").join(part)).unwrap(), std::fs::read(t.join("out2").join(part)).unwrap());
    }
    assert_no_work_dirs(&t);
}

#[test]
fn a_worker_that_crashes_on_its_first_attempt_is_retried() {
    let t = TestDir::new();
    let want = Mrwc::new().arg(fixture("sample.txt")).stdout();
    for fault in ["crash:map-0:1", "kill:map-0:1", "exit:reduce-0:1", "fail:map-0:1"] {
        let mut m = procs(&t).args(["--stats", "-j", "2"]).arg(fixture("sample.txt"));
        m.cmd.env("MRWC_FAULT", fault);
        let run = m.output();
        run.assert_code(0);
        assert_eq!(run.stdout, want, "{fault}");
        assert!(run.stderr.contains("failed attempts                        1"), "{fault}: {}", run.stderr);
        assert_no_work_dirs(&t);
    }
}

#[test]
fn a_task_that_fails_every_attempt_fails_the_job_cleanly() {
    let t = TestDir::new();
    let input = t.write("in.txt", "some words here\n");
    let mut m = procs(&t).args(["-j", "2", "-o", "out.tsv"]).arg(&input);
    m.cmd.env("MRWC_FAULT", "exit:map-0:*");
    let run = m.output();
    run.assert_code(1);
    let want = format!(
        "mrwc: task map-00000 (input {} bytes 0..16) failed 4 attempts; last: worker exited with status 3\n",
        input.display()
    );
    run.assert_stderr(&want);
    assert_eq!(run.stdout, "");
    assert_eq!(t.list("."), ["in.txt", "tmp"], "output file left behind");
    assert_no_work_dirs(&t);
}

#[test]
fn max_attempts_is_honoured() {
    let t = TestDir::new();
    let mut m = procs(&t).args(["--max-attempts", "2"]).arg(fixture("sample.txt"));
    m.cmd.env("MRWC_FAULT", "fail:map-0:*");
    let run = m.output();
    run.assert_code(1);
    assert!(run.stderr.contains("failed 2 attempts; last: injected failure (fail:map-0:*)"), "{}", run.stderr);
}

#[test]
fn a_hanging_worker_times_out_and_its_task_is_retried() {
    let t = TestDir::new();
    let want = Mrwc::new().arg(fixture("sample.txt")).stdout();
    let mut m = procs(&t).args(["--task-timeout", "1s", "--stats"]).arg(fixture("sample.txt"));
    m.cmd.env("MRWC_FAULT", "hang:map-0:1");
    let run = m.output();
    run.assert_code(0);
    assert_eq!(run.stdout, want);
    assert!(run.stderr.contains("failed attempts                        1"), "{}", run.stderr);
    assert_no_work_dirs(&t);
}

fn committed(tmp: &Path, task: &str) -> bool {
    std::fs::read_dir(tmp).into_iter().flatten().flatten().any(|job| job.path().join(task).join("done").is_dir())
}

#[test]
fn a_worker_killed_from_outside_is_replaced_and_the_result_is_exact() {
    let t = TestDir::new();
    let mut text = String::new();
    for i in 0..2000 {
        text.push_str(&format!("w{} x{}\n", i % 101, i % 7));
    }
    let input = t.write("in.txt", &text);
    let want = Mrwc::new().arg(&input).stdout();
    // One worker; map-1 hangs, so the test can kill the worker while it is busy.
    let mut m = procs(&t).args(["-j", "1", "--chunk-size", "4K", "--stats"]).arg(&input);
    m.cmd.env("MRWC_FAULT", "hang:map-1:1").stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = m.cmd.spawn().unwrap();
    let tmp = t.join("tmp");
    wait_for("map-0 committed", || committed(&tmp, "map-00000"));
    let workers = descendants(child.id());
    assert_eq!(workers.len(), 1, "{workers:?}");
    // SAFETY: kill with the pid of a worker process the test just observed.
    unsafe { libc::kill(workers[0] as i32, libc::SIGKILL) };
    let run = Run::from(child.wait_with_output().unwrap());
    run.assert_code(0);
    assert_eq!(run.stdout, want);
    assert!(run.stderr.contains("failed attempts                        1"), "{}", run.stderr);
    assert_no_work_dirs(&t);
}

#[test]
fn sigint_stops_the_workers_and_removes_the_work_directory() {
    for signal in [libc::SIGINT, libc::SIGTERM] {
        let t = TestDir::new();
        // Lines: the default tokenizer cuts chunks at line ends.
        let input = t.write("in.txt", "a b c\n".repeat(2000));
        let mut m = procs(&t).args(["-j", "2", "--chunk-size", "1K", "-o", "out.tsv"]).arg(&input);
        m.cmd.env("MRWC_FAULT", "hang:map-3:*").stdout(Stdio::piped()).stderr(Stdio::piped());
        let child = m.cmd.spawn().unwrap();
        wait_for("map-0 committed", || committed(&t.join("tmp"), "map-00000"));
        let workers = descendants(child.id());
        assert!(!workers.is_empty());
        // SAFETY: kill with our own child's pid.
        unsafe { libc::kill(child.id() as i32, signal) };
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(128 + signal), "signal {signal}");
        assert_no_work_dirs(&t);
        assert_eq!(t.list("."), ["in.txt", "tmp"], "signal {signal}");
        for pid in workers {
            let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            assert!(state.is_empty() || state.contains(") Z "), "signal {signal}: worker {pid} still running: {state}");
        }
    }
}

#[test]
fn work_directories_of_killed_jobs_are_left_to_mrwc_clean() {
    let t = TestDir::new();
    // A work directory whose owner is gone (nobody holds its lock), and things that are not
    // mrwc's: a job leaves them all alone, `mrwc clean` removes only the first.
    std::fs::create_dir_all(t.join("tmp/mrwc-job-abandoned/map-00000")).unwrap();
    std::fs::create_dir_all(t.join("tmp/unrelated")).unwrap();
    t.write("tmp/mrwc-notes.txt", "mine");
    procs(&t).arg(fixture("sample.txt")).stdout();
    assert_eq!(t.list("tmp"), ["mrwc-job-abandoned", "mrwc-notes.txt", "unrelated"]);
    let clean = t.cmd().args(["clean", "tmp"]).output();
    clean.assert_code(0);
    assert_same("removed tmp/mrwc-job-abandoned\n", &clean.stdout);
    assert_eq!(t.list("tmp"), ["mrwc-notes.txt", "unrelated"]);
}

#[test]
fn bad_procs_flags_are_usage_errors() {
    let t = TestDir::new();
    for (args, message) in [
        (
            vec!["--task-timeout", "soon"],
            "error: invalid value 'soon' for '--task-timeout <DURATION>': expected a duration such as 600, 90s, 0.5s, 10m, 1h or 500ms\n\nFor more information, try '--help'.\n",
        ),
        (vec!["--max-attempts", "0"], "error: invalid value '0' for '--max-attempts <N>': must be at least 1\n\nFor more information, try '--help'.\n"),
        (vec!["--tmp-dir", "/no/such/dir"], "mrwc: invalid value '/no/such/dir' for --tmp-dir: not a directory\n"),
    ] {
        let run = t.cmd().args(["-r", "procs"]).args(&args).stdin("x").output();
        run.assert_code(2);
        run.assert_stderr(message);
    }
}
