//! The harness: a temp dir to build inputs in, and a builder that runs the real `mrwc` binary
//! and shows a readable diff when output differs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_mrwc")
}

/// The repository root (for fixtures).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    root().join("fixtures").join(name)
}

/// `../shared/corpus/NAME` when the shared corpora are beside the repository.
pub fn shared_corpus(name: &str) -> Option<PathBuf> {
    let p = root().join("../shared/corpus").join(name);
    if p.is_file() {
        Some(p)
    } else {
        skip(&format!("{} is absent", p.display()));
        None
    }
}

pub struct TestDir {
    dir: tempfile::TempDir,
}

impl TestDir {
    pub fn new() -> TestDir {
        TestDir { dir: tempfile::tempdir().expect("temp dir") }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a file (creating parent directories) and returns its path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&path, contents).expect("write");
        path
    }

    /// Names of the entries of a directory inside the test dir, sorted.
    pub fn list(&self, name: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.join(name))
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    pub fn cmd(&self) -> Mrwc {
        let mut m = Mrwc::new();
        m.cmd.current_dir(self.path());
        m
    }
}

/// A run of the binary being built.
pub struct Mrwc {
    pub cmd: Command,
    stdin: Option<Vec<u8>>,
}

impl Mrwc {
    pub fn new() -> Mrwc {
        Mrwc::wrapped(&[])
    }

    /// mrwc started through another program, e.g. `["setpriv", "--reuid=65534"]`.
    pub fn wrapped(wrapper: &[&str]) -> Mrwc {
        let mut cmd = match wrapper.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg(bin());
                c
            }
            None => Command::new(bin()),
        };
        cmd.env_remove("RUST_BACKTRACE");
        Mrwc { cmd, stdin: None }
    }

    pub fn args<I, S>(mut self, args: I) -> Mrwc
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.cmd.args(args);
        self
    }

    pub fn arg(mut self, arg: impl AsRef<std::ffi::OsStr>) -> Mrwc {
        self.cmd.arg(arg);
        self
    }

    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Mrwc {
        self.cmd.env(key, value);
        self
    }

    pub fn env_remove(mut self, key: &str) -> Mrwc {
        self.cmd.env_remove(key);
        self
    }

    pub fn stdin(mut self, data: impl Into<Vec<u8>>) -> Mrwc {
        self.stdin = Some(data.into());
        self
    }

    pub fn output(mut self) -> Run {
        self.cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        self.cmd.stdin(if self.stdin.is_some() { Stdio::piped() } else { Stdio::null() });
        let mut child = self.cmd.spawn().expect("spawn mrwc");
        if let Some(data) = self.stdin.take() {
            let mut pipe = child.stdin.take().expect("stdin");
            std::thread::spawn(move || {
                let _ = pipe.write_all(&data);
            });
        }
        Run::from(child.wait_with_output().expect("wait"))
    }

    /// Runs and checks for success; returns stdout.
    pub fn stdout(self) -> String {
        let run = self.output();
        run.assert_code(0);
        run.stdout
    }
}

pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stdout_bytes: Vec<u8>,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stdout_bytes: o.stdout,
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code,
            Some(code),
            "unexpected exit status\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn assert_stderr(&self, expected: &str) -> &Run {
        assert_same(expected, &self.stderr);
        self
    }
}

/// Equality with a line diff in the failure message.
#[track_caller]
pub fn assert_same(expected: &str, actual: &str) {
    if expected == actual {
        return;
    }
    let mut diff = String::new();
    let (e, a): (Vec<_>, Vec<_>) = (expected.lines().collect(), actual.lines().collect());
    for i in 0..e.len().max(a.len()) {
        match (e.get(i), a.get(i)) {
            (Some(x), Some(y)) if x == y => diff.push_str(&format!("  {x}\n")),
            (x, y) => {
                if let Some(x) = x {
                    diff.push_str(&format!("- {x}\n"));
                }
                if let Some(y) = y {
                    diff.push_str(&format!("+ {y}\n"));
                }
            }
        }
    }
    panic!("output differs (- expected, + actual):\n{diff}");
}

/// Compares `actual` with `tests/snapshots/NAME`; `MRWC_BLESS=1` (exactly) rewrites the
/// snapshot instead and says so; any other value of `MRWC_BLESS` is refused (`.ci/run` refuses
/// to run with it set at all).
#[track_caller]
pub fn assert_snapshot(name: &str, actual: &str) {
    let path = root().join("tests/snapshots").join(name);
    match std::env::var_os("MRWC_BLESS") {
        None => {}
        Some(v) if v == "1" => {
            let old = std::fs::read_to_string(&path).ok();
            if old.as_deref() != Some(actual) {
                std::fs::write(&path, actual).expect("write snapshot");
                eprintln!("blessed: rewrote {}", path.display());
            }
            return;
        }
        Some(v) => panic!("MRWC_BLESS={v:?}: set it to 1 to rewrite snapshots, or unset it to compare"),
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with MRWC_BLESS=1 to create it)", path.display()));
    assert_same(&expected, actual);
}

/// Parses `word<TAB>count` lines into a sorted map.
pub fn parse_tsv(text: &[u8]) -> std::collections::BTreeMap<Vec<u8>, u64> {
    let mut map = std::collections::BTreeMap::new();
    for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let tab = line.iter().rposition(|&b| b == b'\t').expect("a tab");
        let count: u64 = std::str::from_utf8(&line[tab + 1..]).unwrap().parse().unwrap();
        assert!(map.insert(line[..tab].to_vec(), count).is_none(), "duplicate word");
    }
    map
}

/// Waits until `ready()` holds: a state (a file, a process state, a line), never a length of
/// time. The deadline only turns a hang into a failure; it is far beyond any slow machine.
#[track_caller]
pub fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !ready() {
        assert!(start.elapsed() < std::time::Duration::from_secs(300), "never saw {what}");
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// Records that the running test skipped (part of) what it checks because a prerequisite is
/// missing. The harness hides a passing test's stderr, so the reason also goes to the file
/// named by `MRWC_SKIP_LOG` (set by `.ci/run`, which prints every skip at its end).
pub fn skip(reason: &str) {
    let current = std::thread::current();
    let test = current.name().unwrap_or("a test");
    eprintln!("skipped: {test}: {reason}");
    if let Some(log) = std::env::var_os("MRWC_SKIP_LOG") {
        use std::io::Write as _;
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(log).expect("MRWC_SKIP_LOG");
        writeln!(f, "{test}: {reason}").expect("MRWC_SKIP_LOG");
    }
}

/// Whether process `pid` is stopped (state `T` in /proc), i.e. reached a `stop:` fault point.
pub fn is_stopped(pid: u32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rsplit_once(") ").is_some_and(|(_, rest)| rest.starts_with('T'))
}

/// The pids of `pid`'s descendants (children first), from /proc.
pub fn descendants(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    let mut frontier = vec![pid];
    while let Some(parent) = frontier.pop() {
        let children = std::fs::read_to_string(format!("/proc/{parent}/task/{parent}/children")).unwrap_or_default();
        for child in children.split_whitespace().filter_map(|c| c.parse().ok()) {
            found.push(child);
            frontier.push(child);
        }
    }
    found
}

/// Whether the tests run as root (file permissions do not stop root).
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// The Python venv `.ci/run` builds (`MRWC_VENV`, default `~/.cache/mrwc/venv`): mrjob, pyspark,
/// Janome and the Python package's tools. Says why the test skips when it is absent.
pub fn venv() -> Option<PathBuf> {
    let dir = std::env::var_os("MRWC_VENV")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/mrwc/venv")))?;
    if dir.join("bin/python").is_file() {
        Some(dir)
    } else {
        skip(&format!("no Python venv at {} (bash .ci/run creates it)", dir.display()));
        None
    }
}
