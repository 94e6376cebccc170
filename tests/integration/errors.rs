//! Bad inputs, bad flags and broken outputs: the message, the exit status, and nothing left
//! behind.

use std::io::Read;
use std::process::Stdio;

use crate::util::*;

#[test]
fn missing_file_fails_with_its_name_and_exit_2() {
    let t = TestDir::new();
    t.write("ok.txt", "fine");
    let run = t.cmd().args(["ok.txt", "nope.txt", "gone/x.txt"]).output();
    run.assert_code(2);
    run.assert_stderr("mrwc: nope.txt: No such file or directory\nmrwc: gone/x.txt: No such file or directory\n");
    assert_eq!(run.stdout, "");
}

#[test]
fn keep_going_counts_the_rest_and_exits_1() {
    let t = TestDir::new();
    t.write("ok.txt", "fine fine");
    let run = t.cmd().args(["--keep-going", "nope.txt", "ok.txt"]).output();
    run.assert_code(1);
    run.assert_stderr("mrwc: nope.txt: No such file or directory\n");
    assert_same("fine\t2\n", &run.stdout);
}

#[test]
fn dangling_symlink_is_a_bad_input() {
    let t = TestDir::new();
    std::os::unix::fs::symlink(t.join("nowhere"), t.join("dangling")).unwrap();
    let run = t.cmd().arg("dangling").output();
    run.assert_code(2);
    run.assert_stderr("mrwc: dangling: No such file or directory\n");
}

#[test]
fn unreadable_file_fails_with_permission_denied() {
    let t = TestDir::new();
    let secret = t.write("secret.txt", "hidden words");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    let mut cmd = t.cmd();
    if is_root() {
        // Root reads anything: run as nobody through setpriv, or skip when that is impossible.
        let nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];
        if Mrwc::wrapped(&nobody).arg("--version").output().code.is_none_or(|c| c != 0) {
            skip("running as root, and user nobody cannot run the test binary here");
            return;
        }
        std::fs::set_permissions(t.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        cmd = Mrwc::wrapped(&nobody);
        cmd.cmd.current_dir(t.path());
    }
    let run = cmd.arg("secret.txt").output();
    run.assert_code(2);
    run.assert_stderr("mrwc: secret.txt: Permission denied\n");
}

#[test]
fn file_names_with_control_characters_are_escaped() {
    let t = TestDir::new();
    let run = t.cmd().arg("bad\nname\x1b[31m").output();
    run.assert_code(2);
    run.assert_stderr("mrwc: 'bad\\nname\\u{1b}[31m': No such file or directory\n");
}

#[test]
fn bad_flag_values_name_the_flag() {
    for (args, message) in [
        // Values one flag's parser can check are refused by clap, in its format.
        (vec!["--jobs", "0"], "error: invalid value '0' for '--jobs <N>': must be at least 1\n\nFor more information, try '--help'.\n"),
        (vec!["--chunk-size", "lots"], "error: invalid value 'lots' for '--chunk-size <SIZE>': expected bytes with an optional K, M, G or T suffix (e.g. 4096, 512K, 4M, 1G)\n\nFor more information, try '--help'.\n"),
        (vec!["--partitions", "0"], "error: invalid value '0' for '--partitions <R>': must be at least 1\n\nFor more information, try '--help'.\n"),
        (vec!["--top", "0"], "error: invalid value '0' for '--top <N>': must be at least 1\n\nFor more information, try '--help'.\n"),
        (vec!["--max-memory", "lots"], "error: invalid value 'lots' for '--max-memory <SIZE>': expected bytes with an optional K, M, G or T suffix (e.g. 4096, 512K, 4M, 1G)\n\nFor more information, try '--help'.\n"),
    ] {
        let run = Mrwc::new().args(&args).stdin("x").output();
        run.assert_code(2);
        run.assert_stderr(message);
    }
}

#[test]
fn unknown_flags_are_usage_errors() {
    let run = Mrwc::new().arg("--frobnicate").output();
    run.assert_code(2);
    assert!(run.stderr.contains("unexpected argument '--frobnicate'"), "{}", run.stderr);
    let run = Mrwc::new().args(["--format", "xml"]).output();
    run.assert_code(2);
}

#[test]
fn full_disk_on_stdout_is_an_error() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        skip("/dev/full is absent");
        return;
    };
    let mut m = Mrwc::new().arg(fixture("sample.txt"));
    m.cmd.stdout(full).stderr(Stdio::piped());
    let out = m.cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "mrwc: write error: No space left on device\n");
}

#[test]
fn closed_pipe_on_stdout_ends_quietly() {
    // 200,000 distinct words: far more output than a pipe buffer holds.
    let text: String = (0..200_000).map(|i| format!("w{i} ")).collect();
    let mut m = Mrwc::new().arg("-");
    m.cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = m.cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    std::thread::spawn(move || std::io::Write::write_all(&mut stdin, text.as_bytes()));
    let mut first = [0u8; 16];
    child.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn sigint_removes_the_temp_output_file() {
    let t = TestDir::new();
    let mut m = t.cmd().args(["-o", "out.tsv", "-"]);
    m.cmd.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::piped());
    let mut child = m.cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    std::io::Write::write_all(&mut stdin, b"some words ").unwrap();
    // The temp file exists once the job has started; wait for it instead of sleeping blindly.
    wait_for("the temp file", || t.list(".").iter().any(|n| n.ends_with(".tmp")));
    // SAFETY: kill with a valid pid of our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    assert_eq!(out.status.code(), Some(130));
    assert_eq!(t.list("."), Vec::<String>::new(), "temp file left behind");
}

#[test]
fn sigterm_removes_an_unfinished_output_dir() {
    let t = TestDir::new();
    let mut m = t.cmd().args(["--output-dir", "out", "-"]);
    m.cmd.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::piped());
    let mut child = m.cmd.spawn().unwrap();
    let stdin = child.stdin.take().unwrap();
    wait_for("the staging directory", || t.list(".").iter().any(|n| n.starts_with(".mrwc-out-")));
    // SAFETY: kill with a valid pid of our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    assert_eq!(out.status.code(), Some(143));
    assert_eq!(t.list("."), Vec::<String>::new(), "output or staging directory left behind");
}
