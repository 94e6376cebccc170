//! Online mode: snapshots while a stream is still arriving, exact final totals, following
//! appended, rotated and truncated files, signals, slow consumers, bounded memory.
//!
//! No test sleeps and then hopes: each one waits (with a generous deadline) for the snapshot
//! that proves what it needs, then goes on. The sliding window's timing is tested with an
//! injected clock in `online::totals`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::util::{bin, parse_tsv, wait_for, Mrwc, TestDir};

/// Whether a thread of `pid` is blocked writing into a full pipe (its stdout, unread).
fn blocked_writing(pid: u32) -> bool {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
        .any(|task| std::fs::read_to_string(task.path().join("wchan")).is_ok_and(|w| w.contains("pipe_write")))
}

/// Whether no signal is pending for `pid` or any of its threads.
fn no_signal_pending(pid: u32) -> bool {
    let zero = |status: &str, key: &str| {
        status.lines().find_map(|l| l.strip_prefix(key)).is_some_and(|m| m.trim().chars().all(|c| c == '0'))
    };
    std::fs::read_dir(format!("/proc/{pid}/task")).into_iter().flatten().flatten().all(|task| {
        std::fs::read_to_string(task.path().join("status")).is_ok_and(|s| zero(&s, "SigPnd:") && zero(&s, "ShdPnd:"))
    })
}

/// How many times the threads of `pid` have gone to sleep and woken (voluntary context
/// switches): it grows with each snapshot tick, so a test can wait for ticks, not time.
fn wakeups(pid: u32) -> u64 {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("status")).ok())
        .filter_map(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
                .and_then(|n| n.trim().parse::<u64>().ok())
        })
        .sum()
}

/// A running `mrwc --online` whose stdout lines arrive on a channel.
struct Live {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Live {
    fn start(args: &[&str]) -> Live {
        let mut child = Command::new(bin())
            .args(["--online", "-f", "jsonl"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn mrwc");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Live { child, stdin, lines, seen: Vec::new() }
    }

    fn write(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(text.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// Waits for a snapshot in which `word` has `count`; returns that snapshot's number.
    fn wait_for(&mut self, word: &str, count: u64) -> u64 {
        let deadline = Instant::now() + Duration::from_secs(60);
        let want = format!("\"word\":\"{word}\",\"count\":{count}}}");
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self.lines.recv_timeout(left).unwrap_or_else(|_| {
                panic!("no snapshot with {word} = {count} within 60 s; saw:\n{}", self.seen.join("\n"))
            });
            self.seen.push(line.clone());
            if line.starts_with("{\"snapshot\":") && line.ends_with(&want) {
                let number = line["{\"snapshot\":".len()..].split(',').next().unwrap();
                return number.parse().unwrap();
            }
        }
    }

    fn signal(&self, signal: i32) {
        // SAFETY: kill with the pid of our own child.
        unsafe { libc::kill(self.child.id() as i32, signal) };
    }

    /// Closes stdin, waits for the exit; returns the status and the final totals (the lines
    /// after the last snapshot).
    fn finish(mut self) -> (Option<i32>, String, String) {
        drop(self.stdin.take());
        let out = self.child.wait_with_output().expect("wait");
        self.seen.extend(self.lines.iter());
        let finals: Vec<&String> = self.seen.iter().filter(|l| !l.starts_with("{\"snapshot\":")).collect();
        let finals = finals.iter().map(|l| format!("{l}\n")).collect();
        (out.status.code(), finals, String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Final jsonl totals as a map.
fn totals(jsonl: &str) -> BTreeMap<String, u64> {
    jsonl
        .lines()
        .map(|l| {
            let word = l.split("\"word\":\"").nth(1).unwrap().split('"').next().unwrap().to_string();
            let count = l.split("\"count\":").nth(1).unwrap().trim_end_matches('}').parse().unwrap();
            (word, count)
        })
        .collect()
}

fn batch(text: &str) -> BTreeMap<String, u64> {
    let out = Mrwc::new().stdin(text).output();
    out.assert_code(0);
    parse_tsv(&out.stdout_bytes).into_iter().map(|(w, c)| (String::from_utf8(w).unwrap(), c)).collect()
}

#[test]
fn snapshots_show_a_stream_while_it_arrives_and_the_end_is_exact() {
    let mut live = Live::start(&["--every", "100ms"]);
    let mut all = String::new();
    // Lines: the default tokenizer reads whole lines (a line's kana decide how its Han text is
    // cut), so a snapshot counts the lines that have ended.
    for (i, piece) in ["alpha beta alpha\n", "beta alpha gamma\n", "alpha delta\n"].iter().enumerate() {
        live.write(piece);
        all.push_str(piece);
        // Each piece shows up in a snapshot before the next one is even written.
        live.wait_for("alpha", [2, 3, 4][i]);
    }
    let (code, finals, stderr) = live.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(totals(&finals), batch(&all));
}

#[test]
fn a_word_split_across_writes_is_one_word() {
    let mut live = Live::start(&["--every", "50ms"]);
    live.write("hello\nwor");
    live.wait_for("hello", 1);
    live.write("ld again\n");
    live.wait_for("world", 1);
    let (code, finals, _) = live.finish();
    assert_eq!(code, Some(0));
    assert_eq!(totals(&finals), batch("hello world again\n"));
}

#[test]
fn sigint_and_sigterm_end_with_the_final_totals() {
    for signal in [libc::SIGINT, libc::SIGTERM] {
        let mut live = Live::start(&["--every", "100ms"]);
        live.write("one two two\nthree");
        live.wait_for("two", 2);
        live.signal(signal);
        // stdin stays open: the signal alone ends the job, and the unfinished "three" counts.
        let out = live.child.wait_with_output().expect("wait");
        assert_eq!(out.status.code(), Some(0), "signal {signal}: {}", String::from_utf8_lossy(&out.stderr));
        let mut seen = live.seen.clone();
        seen.extend(live.lines.iter());
        let finals: String =
            seen.iter().filter(|l| !l.starts_with("{\"snapshot\":")).map(|l| format!("{l}\n")).collect();
        assert_eq!(totals(&finals), batch("one two two\nthree"), "signal {signal}");
    }
}

#[test]
fn a_followed_file_is_read_as_it_grows_is_rotated_and_is_truncated() {
    let dir = TestDir::new();
    let log = dir.write("app.log", "start start\n");
    let mut live = Live::start(&["--tail", "--every", "50ms", log.to_str().unwrap()]);
    live.wait_for("start", 2);

    let append = |text: &str| {
        let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
        f.write_all(text.as_bytes()).unwrap();
    };
    append("grow grow\n");
    live.wait_for("grow", 2);

    // Rotation: the old file moves away, a new one starts at the same name.
    std::fs::rename(&log, dir.join("app.log.1")).unwrap();
    std::fs::write(&log, "rotated\n").unwrap();
    live.wait_for("rotated", 1);

    // Truncation (copytruncate style): the file restarts from byte 0.
    std::fs::write(&log, "").unwrap();
    append("cut\n");
    live.wait_for("cut", 1);

    live.signal(libc::SIGTERM);
    let (code, finals, stderr) = live.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(totals(&finals), batch("start start\ngrow grow\nrotated\ncut\n"));
}

#[test]
fn a_slow_consumer_makes_snapshots_drop_not_pile_up() {
    let dir = TestDir::new();
    let words: String = (0..3000).map(|i| format!("w{i} ")).collect::<String>() + "\n";
    let input = dir.write("words.txt", words.repeat(20));
    // Every 10 ms a snapshot of 3,000 words (about 90 KB): more than a pipe holds. Nobody reads
    // stdout until mrwc has finished, so all but the first few snapshots are dropped.
    let mut child = Command::new(bin())
        .args(["--online", "--tail", "--every", "10ms", "--top", "3000", "-f", "jsonl"])
        .arg(&input)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until snapshots have filled the pipe (the writer is blocked), then for the event
    // loop to wake for more ticks, whose snapshots must be dropped.
    wait_for("the snapshot writer blocked on the full pipe", || blocked_writing(child.id()));
    let woken = wakeups(child.id());
    wait_for("more ticks", || wakeups(child.id()) >= woken + 20);
    // SAFETY: kill with the pid of our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let mut stdout = String::new();
    std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut stdout).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("snapshots were dropped: stdout did not keep up"), "{stderr}");
    let finals: String =
        stdout.lines().filter(|l| !l.starts_with("{\"snapshot\":")).map(|l| format!("{l}\n")).collect();
    let finals = totals(&finals);
    assert_eq!(finals.len(), 3000);
    assert!(finals.values().all(|&c| c == 20));
}

#[test]
fn totals_past_the_memory_budget_spill_and_stay_exact() {
    let dir = TestDir::new();
    let input = dir.join("gen.txt");
    Mrwc::new()
        .args(["gen", "--size", "3M", "--vocab", "100000", "--seed", "3", "-o"])
        .arg(&input)
        .output()
        .assert_code(0);
    let want = Mrwc::new().args(["--sort", "word"]).arg(&input).stdout();
    let out = Mrwc::new()
        .args([
            "--online",
            "--every",
            "20ms",
            "--chunk-size",
            "64K",
            "--max-memory",
            "256K",
            "--test-tiny-budget",
            "--stats",
            "--sort",
            "word",
        ])
        .args(["--tmp-dir", dir.path().to_str().unwrap()])
        .arg("-")
        .stdin(std::fs::read(&input).unwrap())
        .output();
    out.assert_code(0);
    // Snapshot blocks (tsv) and the final totals share stdout: the totals are the last block.
    let last_block = out.stdout.rsplit("\n\n").next().unwrap();
    assert!(last_block == want, "final totals differ from the batch count");
    assert!(!out.stderr.contains("spills                                 0"), "{}", out.stderr);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "work files left behind");
}

#[test]
fn a_window_longer_than_the_stream_counts_everything() {
    let text = "a b c a b a\n".repeat(100);
    let out = Mrwc::new().args(["--online", "--window", "1h", "--every", "50ms"]).stdin(text.clone()).output();
    out.assert_code(0);
    let last_block = out.stdout.rsplit("\n\n").next().unwrap();
    assert_eq!(last_block, "a\t300\nb\t200\nc\t100\n");
}

#[test]
fn online_flags_are_checked() {
    let run = Mrwc::new().args(["--tail", "x"]).output();
    run.assert_code(2);
    assert!(run.stderr.contains("--online"), "{}", run.stderr);
    let run = Mrwc::new().args(["--online", "--every", "0s"]).output();
    run.assert_code(2);
    assert_eq!(
        run.stderr,
        "error: invalid value '0s' for '--every <DURATION>': must be longer than 0\n\nFor more information, try '--help'.\n"
    );
    let run = Mrwc::new().args(["--online", "-r", "procs"]).output();
    run.assert_code(2);
    assert!(run.stderr.contains("--online runs in this process"), "{}", run.stderr);
}

#[test]
fn a_second_signal_ends_a_stuck_final_output_with_130_or_143() {
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // Snapshots of 3,000 words into a pipe nobody reads: the writer blocks, so the final
        // totals that the first signal asks for can never be written; the second signal ends it.
        let words: String = (0..3000).map(|i| format!("w{i}\n")).collect();
        let mut child = Command::new(bin())
            .args(["--online", "--every", "10ms", "--top", "3000", "-f", "jsonl", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(words.as_bytes()).unwrap();
        wait_for("the writer blocked on the full pipe", || blocked_writing(child.id()));
        // SAFETY: kill with the pid of our own child.
        unsafe { libc::kill(child.id() as i32, signal) };
        // Delivered (nothing pending): the graceful stop has begun, and it cannot finish.
        wait_for("the first signal to be delivered", || no_signal_pending(child.id()));
        assert!(child.try_wait().unwrap().is_none(), "signal {signal}: ended though its output is stuck");
        // SAFETY: as above.
        unsafe { libc::kill(child.id() as i32, signal) };
        let mut status = None;
        wait_for("the second signal to end it", || {
            status = child.try_wait().unwrap();
            status.is_some()
        });
        drop(stdin);
        assert_eq!(status.and_then(|s| s.code()), Some(128 + signal), "signal {signal}");
    }
}

#[test]
fn final_totals_go_to_the_output_file_and_snapshots_to_stdout() {
    let t = TestDir::new();
    let text = "one two two three three three\n".repeat(50);
    let run = t.cmd().args(["--online", "--every", "10ms", "-o", "totals.tsv", "-"]).stdin(text.clone()).output();
    run.assert_code(0);
    let file = std::fs::read_to_string(t.join("totals.tsv")).unwrap();
    assert_eq!(file, "three\t150\ntwo\t100\none\t50\n");
    assert_eq!(t.list("."), ["totals.tsv"], "temp file left behind");
}

#[test]
fn a_closed_stdout_ends_online_mode_quietly() {
    // mrwc's own status, whatever `yes` and `head -c` end with.
    let script = format!(
        "yes 'alpha beta gamma' | head -c 20000000 | '{}' --online --every 10ms --top 3 | head -n 1; \
         exit ${{PIPESTATUS[2]}}",
        bin()
    );
    let out = Command::new("bash").args(["-c", &script]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(stderr, "");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
}

#[test]
fn a_window_releases_counts_that_slide_out_of_it() {
    let mut live = Live::start(&["--every", "20ms", "--window", "400ms", "--top", "100"]);
    live.write("old old old\n");
    live.wait_for("old", 3);
    // New words keep arriving; the window slides past the old ones, which must leave the
    // snapshots (their counts are released), while the new ones stay.
    let mut n = 0u64;
    let deadline = Instant::now() + Duration::from_secs(120);
    // The words of the snapshot being received; judged once the next one starts (complete).
    let (mut current, mut words): (String, Vec<String>) = (String::new(), Vec::new());
    loop {
        live.write("new\n");
        n += 1;
        let line = live.lines.recv_timeout(Duration::from_secs(60)).expect("a snapshot");
        live.seen.push(line.clone());
        let snapshot = line.split(',').next().unwrap_or_default().to_string();
        if snapshot != current {
            // A complete snapshot that shows "new" and no longer "old": the window moved on.
            if words.iter().any(|w| w == "new") && !words.iter().any(|w| w == "old") {
                break;
            }
            (current, words) = (snapshot, Vec::new());
        }
        words.extend(line.split("\"word\":\"").nth(1).and_then(|w| w.split('"').next()).map(str::to_string));
        assert!(Instant::now() < deadline, "old words never left the window; sent {n} new lines");
    }
    let (code, finals, stderr) = live.finish();
    assert_eq!(code, Some(0), "{stderr}");
    let finals = totals(&finals);
    assert!(!finals.contains_key("old"), "old words are in the final totals: {finals:?}");
}
