//! Hostile inputs and faults (see the README's Reliability table): each guarantee is a test.

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::util::*;

fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < Duration::from_secs(120), "never saw {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

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
    m.cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    let child = m.cmd.spawn().unwrap();
    let maps = format!("/proc/{}/maps", child.id());
    wait_until("the input mapped", || std::fs::read_to_string(&maps).unwrap_or_default().contains("big.txt"));
    std::fs::OpenOptions::new().write(true).open(&input).unwrap().set_len(4096).unwrap();
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
    m.cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    let child = m.cmd.spawn().unwrap();
    let fds = format!("/proc/{}/fd", child.id());
    let open = || {
        std::fs::read_dir(&fds)
            .into_iter()
            .flatten()
            .flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|target| target.ends_with("big.txt")))
    };
    wait_until("the input opened", open);
    std::fs::OpenOptions::new().write(true).open(&input).unwrap().set_len(4096).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let want = format!("mrwc: big.txt: file changed while being read (its size was {size} bytes when opened, ");
    assert!(stderr.starts_with(&want), "{stderr}");
    assert_eq!(t.list("."), ["big.txt"], "output directory left behind");
}
