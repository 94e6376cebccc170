//! `--max-memory`: spilling, external merge and sort give the same bytes as an unlimited run;
//! memory stays bounded; an unusable or full temp directory fails cleanly.

use std::process::{Command, Stdio};

use crate::util::*;

/// A generated input with about 50,000 distinct words.
fn many_words(t: &TestDir) -> std::path::PathBuf {
    let path = t.join("many.txt");
    Mrwc::new().args(["gen", "--size", "2M", "--vocab", "300000", "--zipf", "0.6", "-o"]).arg(&path).stdout();
    path
}

#[test]
fn a_tiny_budget_gives_byte_identical_output_for_every_runner_and_order() {
    let t = TestDir::new();
    let input = many_words(&t);
    std::fs::create_dir(t.join("tmp")).unwrap();
    for flags in [
        &["--sort", "count"][..],
        &["--sort", "word", "-f", "json"],
        &["--top", "50"],
        &["--top", "20", "--sort", "word"],
        &["--min-count", "3", "-f", "csv"],
    ] {
        let want = Mrwc::new().args(flags).arg(&input).output();
        want.assert_code(0);
        for runner in ["local", "threads", "procs"] {
            let run = t
                .cmd()
                .args(["-r", runner, "--max-memory", "64K", "--test-tiny-budget", "--tmp-dir", "tmp", "--stats"])
                .args(flags)
                .arg(&input)
                .output();
            run.assert_code(0);
            assert!(run.stdout_bytes == want.stdout_bytes, "{runner} {flags:?}");
            assert!(
                !run.stderr.contains("spills                                 0"),
                "{runner}: no spill\n{}",
                run.stderr
            );
            assert_eq!(t.list("tmp"), Vec::<String>::new(), "spill files left behind");
        }
    }
}

#[test]
fn sort_none_after_a_spill_holds_the_same_records() {
    let t = TestDir::new();
    let input = many_words(&t);
    let want = parse_tsv(Mrwc::new().arg(&input).output().stdout_bytes.as_slice());
    let run = Mrwc::new().args(["--max-memory", "64K", "--test-tiny-budget", "--sort", "none"]).arg(&input).output();
    run.assert_code(0);
    assert_eq!(parse_tsv(&run.stdout_bytes), want);
}

#[test]
fn output_dir_parts_are_identical_with_and_without_a_budget() {
    let t = TestDir::new();
    let input = many_words(&t);
    for extra in [&[][..], &["--top", "100"]] {
        let _ = std::fs::remove_dir_all(t.join("a"));
        let _ = std::fs::remove_dir_all(t.join("b"));
        t.cmd().args(["--output-dir", "a", "-p", "3"]).args(extra).arg(&input).stdout();
        t.cmd()
            .args(["--output-dir", "b", "-p", "3", "--max-memory", "64K", "--test-tiny-budget"])
            .args(extra)
            .arg(&input)
            .stdout();
        for part in ["part-00000", "part-00001", "part-00002", "_SUCCESS"] {
            let (a, b) =
                (std::fs::read(t.join("a").join(part)).unwrap(), std::fs::read(t.join("b").join(part)).unwrap());
            assert!(a == b, "{part} differs {extra:?}");
        }
    }
}

#[test]
#[allow(clippy::zombie_processes)] // reaped with wait4 below, for its rusage
fn five_million_distinct_words_stay_within_twice_the_budget() {
    // Peak RSS must stay under 2 x 64 MiB plus a fixed base of 32 MiB (the binary, the thread
    // stacks, read buffers and the allocator's slack), measured with wait4's ru_maxrss.
    let t = TestDir::new();
    let mut cmd = Command::new(bin());
    cmd.args(["-q", "--max-memory", "64M", "--tmp-dir"]).arg(t.path()).args([
        "-t",
        "whitespace",
        "--sort",
        "none",
        "-",
    ]);
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let mut line = String::with_capacity(1 << 20);
        for i in 0..5_000_000u64 {
            line.push_str(&format!("w{i:x} "));
            if line.len() > 1 << 20 {
                std::io::Write::write_all(&mut stdin, line.as_bytes()).unwrap();
                line.clear();
            }
        }
        std::io::Write::write_all(&mut stdin, line.as_bytes()).unwrap();
    });
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut lines = 0u64;
        let mut buf = [0u8; 1 << 16];
        loop {
            match std::io::Read::read(&mut stdout, &mut buf) {
                Ok(0) | Err(_) => return lines,
                Ok(n) => lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64,
            }
        }
    });
    writer.join().unwrap();
    let mut status = 0;
    // SAFETY: rusage is plain data written by wait4; the pid is our own child, reaped once here.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32);
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "status {status}");
    assert_eq!(reader.join().unwrap(), 5_000_000, "every distinct word is in the output");
    let peak_mib = usage.ru_maxrss as f64 / 1024.0;
    eprintln!("peak RSS with --max-memory 64M: {peak_mib:.1} MiB");
    assert!(peak_mib < 2.0 * 64.0 + 32.0, "peak RSS {peak_mib:.1} MiB");
    assert_eq!(t.list("."), Vec::<String>::new(), "spill files left behind");
}

#[test]
fn an_unusable_temp_directory_fails_cleanly() {
    let t = TestDir::new();
    let input = many_words(&t);
    let run = t
        .cmd()
        .args(["--max-memory", "1K", "--test-tiny-budget", "--tmp-dir", "/proc", "-o", "out.tsv"])
        .arg(&input)
        .output();
    run.assert_code(1);
    assert!(run.stderr.starts_with("mrwc: /proc: "), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert_eq!(t.list("."), ["many.txt"], "output left behind");
}

#[test]
fn a_full_temp_directory_fails_cleanly() {
    let t = TestDir::new();
    let input = many_words(&t);
    let full = t.join("full");
    std::fs::create_dir(&full).unwrap();
    let mounted = Command::new("mount").args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"]).arg(&full).output();
    if !mounted.is_ok_and(|o| o.status.success()) {
        skip("cannot mount a small tmpfs here (needs root)");
        return;
    }
    let run = t
        .cmd()
        .args(["--max-memory", "1K", "--test-tiny-budget", "--tmp-dir", "full", "-o", "out.tsv"])
        .arg(&input)
        .output();
    let listed = t.list("full");
    let _ = Command::new("umount").arg(&full).status();
    run.assert_code(1);
    assert!(run.stderr.contains("No space left on device"), "{}", run.stderr);
    assert_eq!(listed, Vec::<String>::new(), "spill files left on the full filesystem");
    assert_eq!(t.list("."), ["full", "many.txt"], "output left behind");
}

/// The peak resident memory (VmHWM) of `pid` and of each of its children so far, in MiB.
fn peaks_mib(pid: u32, peaks: &mut std::collections::BTreeMap<u32, f64>) {
    let hwm = |p: u32| -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{p}/status")).ok()?;
        let kib: f64 =
            status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
        Some(kib / 1024.0)
    };
    let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    for p in std::iter::once(pid).chain(children.split_whitespace().filter_map(|c| c.parse().ok())) {
        if let Some(mib) = hwm(p) {
            let peak = peaks.entry(p).or_insert(0.0);
            *peak = peak.max(mib);
        }
    }
}

#[test]
fn the_memory_budget_holds_on_every_runner() {
    // Two million distinct words through a file with --max-memory 64M: every process of the
    // job (the procs coordinator and each worker, which gets its share) stays under 2 x 64 MiB
    // plus the fixed 32 MiB base. Peaks are sampled from /proc while the job runs (VmHWM only
    // grows, so each sample is a lower bound of the peak, and the last one is taken as the
    // process ends); the threads runner's peak is pinned exactly by the five-million test.
    let t = TestDir::new();
    let text: String = (0..2_000_000u64).map(|i| format!("w{i:x} ")).collect();
    t.write("many.txt", &text);
    for runner in ["local", "threads", "procs"] {
        let mut cmd = Command::new(bin());
        cmd.args(["-q", "-r", runner, "--max-memory", "64M", "-t", "whitespace", "--sort", "none", "--tmp-dir"]);
        cmd.arg(t.path()).arg(t.join("many.txt"));
        cmd.stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut peaks = std::collections::BTreeMap::new();
        let status = loop {
            peaks_mib(child.id(), &mut peaks);
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        assert!(status.success(), "{runner}");
        let worst = peaks.values().copied().fold(0.0, f64::max);
        eprintln!("{runner}: peak RSS per process {peaks:?} MiB");
        assert!(!peaks.is_empty());
        assert!(worst < 2.0 * 64.0 + 32.0, "{runner}: a process peaked at {worst:.1} MiB");
        assert_eq!(t.list("."), ["many.txt"], "{runner}: spill files left behind");
    }
}
