//! End-to-end benchmark: mrwc against the fixed C yardstick and the classic Unix recipes.
//!
//! Entry point: `cargo bench --bench e2e` (add `-- --quick` for 3 runs and no slow pipeline).
//! Environment: `MRWC_BENCH_RUNS` (runs per command, default 5), `MRWC_BENCH_DATA` (where inputs
//! are built and cached, default `target/bench-data`).
//!
//! Groups, each with its own inputs built here:
//! - `kjv x10`: `../shared/corpus/kjv.txt` concatenated 10 times (43 MB): refcount
//!   (`../shared/bench/refcount.c`, built here), mrwc whitespace, words and bigrams with all
//!   cores and `-j 1`, mrwc reading stdin, `wc -w`, and `tr | sort | uniq -c | sort -rn`;
//! - `kjv x100`: 430 MB of the same, for scaling;
//! - `gen 1M vocab`: 200 MB from `mrwc gen --vocab 1000000` (many distinct words);
//! - `10 KB`: the head of kjv, for start-up latency;
//! - `mrwc gen`: the generator itself, `--size 200M` to /dev/null, for a small, the default, and
//!   a large vocabulary, and Han.
//!
//! Every round runs each command of a group once, in order, after one warm-up round; the table
//! gives the median wall time, the median of the per-round ratios to refcount (pairs from the
//! same round, so drift on a shared machine cancels), and the peak resident memory (wait4's
//! ru_maxrss). A checklist of the targets of issue #7 follows the tables; its ratios are paired
//! the same way (the `kjv x100` group also runs the 43 MB input, for the scaling ratio).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Cmd {
    name: String,
    shell: String,
}

struct Sample {
    wall: Duration,
    max_rss_kib: i64,
}

fn cmd(name: &str, shell: String) -> Cmd {
    Cmd { name: name.to_string(), shell }
}

/// Runs `sh -c "exec SHELL"` once and collects its wall time and peak memory. The child is
/// reaped with wait4 (for its rusage), not through the `Child` handle.
#[allow(clippy::zombie_processes)]
fn run_once(shell: &str) -> Sample {
    let started = Instant::now();
    let child = Command::new("sh")
        .arg("-c")
        .arg(format!("exec {shell}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn sh");
    let mut status = 0;
    // SAFETY: rusage is plain data, fully written by wait4; the pid is our own child, reaped
    // here exactly once (the Child handle is dropped without waiting).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    assert_eq!(pid, child.id() as i32, "wait4 failed");
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "command failed: {shell}");
    Sample { wall, max_rss_kib: usage.ru_maxrss }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

struct Row {
    name: String,
    median_s: f64,
    ratio: Option<f64>,
    max_rss_mib: f64,
    /// Wall time of each round, in round order.
    walls: Vec<f64>,
}

/// Runs a group round-robin and prints its table. The first command is the yardstick.
fn group(title: &str, cmds: &[Cmd], runs: usize, yardstick: bool) -> Vec<Row> {
    eprintln!("== {title}: warm-up");
    for c in cmds {
        run_once(&c.shell);
    }
    let mut samples: Vec<Vec<Sample>> = cmds.iter().map(|_| Vec::new()).collect();
    for round in 0..runs {
        eprintln!("== {title}: round {}/{runs}", round + 1);
        for (i, c) in cmds.iter().enumerate() {
            samples[i].push(run_once(&c.shell));
        }
    }
    let rows: Vec<Row> = cmds
        .iter()
        .zip(&samples)
        .map(|(c, s)| {
            let ratio = yardstick.then(|| {
                median(s.iter().zip(&samples[0]).map(|(x, y)| x.wall.as_secs_f64() / y.wall.as_secs_f64()).collect())
            });
            Row {
                name: c.name.clone(),
                median_s: median(s.iter().map(|x| x.wall.as_secs_f64()).collect()),
                ratio,
                max_rss_mib: s.iter().map(|x| x.max_rss_kib).max().unwrap_or(0) as f64 / 1024.0,
                walls: s.iter().map(|x| x.wall.as_secs_f64()).collect(),
            }
        })
        .collect();
    println!("\n### {title} ({runs} runs, medians)\n");
    if yardstick {
        println!("| command | wall (s) | x refcount | peak RSS (MiB) |\n|---|---:|---:|---:|");
    } else {
        println!("| command | wall (s) | peak RSS (MiB) |\n|---|---:|---:|");
    }
    for r in &rows {
        match r.ratio {
            Some(x) => println!("| {} | {:.3} | {:.2} | {:.1} |", r.name, r.median_s, x, r.max_rss_mib),
            None => println!("| {} | {:.4} | {:.1} |", r.name, r.median_s, r.max_rss_mib),
        }
    }
    rows
}

fn ensure(path: &Path, build: impl FnOnce(&Path)) -> PathBuf {
    if !path.exists() {
        let tmp = path.with_extension("partial");
        build(&tmp);
        fs::rename(&tmp, path).expect("rename input");
    }
    path.to_path_buf()
}

/// Builds an input with a shell command, so this process never holds the data: a child's
/// ru_maxrss includes what it inherited from the parent before exec.
fn shell_to(dst: &Path, script: &str) {
    let out = fs::File::create(dst).expect("create input");
    let ok = Command::new("sh").arg("-c").arg(script).stdout(out).status();
    assert!(ok.is_ok_and(|s| s.success()), "building input failed: {script}");
}

fn repeat_file(src: &Path, times: usize, dst: &Path) {
    shell_to(dst, &format!("for i in $(seq {times}); do cat '{}'; done", src.display()));
}

fn check(label: &str, ok: bool, detail: String) {
    println!("- [{}] {label}: {detail}", if ok { "x" } else { " " });
}

fn row<'a>(rows: &'a [Row], name: &str) -> &'a Row {
    rows.iter().find(|r| r.name == name).expect("row exists")
}

/// The median over rounds of `a / b`, both commands of one group: each pair ran in the same
/// round, seconds apart, so a slow spell of a shared machine slows both.
fn paired(rows: &[Row], a: &str, b: &str) -> f64 {
    median(row(rows, a).walls.iter().zip(&row(rows, b).walls).map(|(x, y)| x / y).collect())
}

fn ratio(rows: &[Row], name: &str) -> f64 {
    rows.iter().find(|r| r.name == name).and_then(|r| r.ratio).expect("row exists")
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return; // `cargo test --benches` and listing: nothing to run here.
    }
    let runs: usize =
        std::env::var("MRWC_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(if quick { 3 } else { 5 });
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let data = std::env::var_os("MRWC_BENCH_DATA").map(PathBuf::from).unwrap_or_else(|| root.join("target/bench-data"));
    fs::create_dir_all(&data).expect("data dir");
    let mrwc = env!("CARGO_BIN_EXE_mrwc");
    let kjv = root.join("../shared/corpus/kjv.txt");
    let refcount_src = root.join("../shared/bench/refcount.c");
    if !kjv.is_file() || !refcount_src.is_file() {
        eprintln!("skipped: ../shared/corpus/kjv.txt or ../shared/bench/refcount.c is absent");
        return;
    }
    let refcount = data.join("refcount");
    let built = Command::new("cc").args(["-O2", "-o"]).arg(&refcount).arg(&refcount_src).status();
    assert!(built.is_ok_and(|s| s.success()), "building refcount with cc failed");

    let kjv10 = ensure(&data.join("kjv10.txt"), |p| repeat_file(&kjv, 10, p));
    let kjv100 = ensure(&data.join("kjv100.txt"), |p| repeat_file(&kjv10, 10, p));
    let gen = ensure(&data.join("gen-200m-1m.txt"), |p| {
        let ok = Command::new(mrwc)
            .args(["gen", "--size", "200M", "--vocab", "1000000", "--seed", "7", "-o"])
            .arg(p)
            .status();
        assert!(ok.is_ok_and(|s| s.success()), "mrwc gen failed");
    });
    let small = ensure(&data.join("kjv-10k.txt"), |p| shell_to(p, &format!("head -c 10000 '{}'", kjv.display())));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (k10, k100, g, s) = (kjv10.display(), kjv100.display(), gen.display(), small.display());
    let rc = refcount.display();
    println!("# mrwc end-to-end benchmark\n\nMachine: {cores} cores; mrwc {}.", env!("CARGO_PKG_VERSION"));

    let mut a = vec![
        cmd("refcount", format!("{rc} < {k10}")),
        cmd("mrwc -t whitespace", format!("{mrwc} -q -t whitespace {k10}")),
        cmd("mrwc -t whitespace -j 1", format!("{mrwc} -q -t whitespace -j 1 {k10}")),
        cmd("mrwc (words)", format!("{mrwc} -q {k10}")),
        cmd("mrwc (words) -j 1", format!("{mrwc} -q -j 1 {k10}")),
        cmd("mrwc --ngram 2", format!("{mrwc} -q --ngram 2 {k10}")),
        cmd("mrwc --ngram 2 -j 1", format!("{mrwc} -q --ngram 2 -j 1 {k10}")),
        cmd("mrwc -t whitespace < stdin", format!("{mrwc} -q -t whitespace < {k10}")),
        cmd("wc -w", format!("wc -w {k10}")),
    ];
    if !quick {
        a.push(cmd(
            "tr, sort, uniq -c, sort -rn",
            format!("sh -c \"LC_ALL=C tr -s ' \\n\\t' '\\n' < {k10} | LC_ALL=C sort | uniq -c | sort -rn\""),
        ));
    }
    let a = group("kjv x10 (43 MB)", &a, runs, true);
    let b = group(
        "kjv x100 (430 MB)",
        &[
            cmd("refcount", format!("{rc} < {k100}")),
            cmd("mrwc -t whitespace", format!("{mrwc} -q -t whitespace {k100}")),
            cmd("mrwc (words)", format!("{mrwc} -q {k100}")),
            cmd("mrwc -t whitespace, kjv x10", format!("{mrwc} -q -t whitespace {k10}")),
        ],
        runs,
        true,
    );
    let c = group(
        "mrwc gen, 200 MB, 1M-word vocabulary",
        &[
            cmd("refcount", format!("{rc} < {g}")),
            cmd("mrwc -t whitespace", format!("{mrwc} -q -t whitespace {g}")),
            cmd("mrwc -t whitespace -j 1", format!("{mrwc} -q -t whitespace -j 1 {g}")),
            cmd("mrwc (words)", format!("{mrwc} -q {g}")),
        ],
        runs,
        true,
    );
    let d = group("10 KB file (start-up)", &[cmd("mrwc", format!("{mrwc} -q {s}"))], runs.max(20), false);
    let gen_cmd = |args: &str| format!("{mrwc} gen --size 200M {args}");
    let e = group(
        "mrwc gen --size 200M (210 MB), to /dev/null",
        &[
            cmd("--vocab 1000", gen_cmd("--vocab 1000")),
            cmd("default (--vocab 200000)", gen_cmd("")),
            cmd("--vocab 1000000", gen_cmd("--vocab 1000000")),
            cmd("--script han", gen_cmd("--script han")),
        ],
        runs,
        false,
    );

    println!("\n### Targets (issue #7)\n");
    let ws = ratio(&a, "mrwc -t whitespace");
    check("whitespace, all cores <= 0.33 x refcount", ws <= 0.33, format!("{ws:.2}"));
    let ws1 = ratio(&a, "mrwc -t whitespace -j 1");
    check("whitespace, -j 1 <= 0.68 x refcount", ws1 <= 0.68, format!("{ws1:.2}"));
    let words = paired(&a, "mrwc (words)", "mrwc -t whitespace");
    check("words <= 1.3 x whitespace", words <= 1.3, format!("{words:.2}"));
    let scale = paired(&b, "mrwc -t whitespace", "mrwc -t whitespace, kjv x10");
    check("430 MB <= 10.5 x 43 MB", scale <= 10.5, format!("{scale:.2}"));
    let speedup = paired(&a, "mrwc -t whitespace -j 1", "mrwc -t whitespace");
    check(&format!("{cores} threads >= 1.8 x faster than 1"), speedup >= 1.8, format!("{speedup:.2}"));
    let grams = paired(&a, "mrwc --ngram 2", "mrwc (words)");
    check("bigrams <= 3 x words (issue #16)", grams <= 3.0, format!("{grams:.2}"));
    let grams1 = paired(&a, "mrwc --ngram 2 -j 1", "mrwc (words) -j 1");
    check("bigrams, -j 1, <= 3 x words", grams1 <= 3.0, format!("{grams1:.2}"));
    let start = d[0].median_s * 1000.0;
    check("10 KB file < 5 ms", start < 5.0, format!("{start:.2} ms"));
    let rss = a.iter().find(|r| r.name == "mrwc -t whitespace < stdin").map_or(0.0, |r| r.max_rss_mib);
    check("peak RSS, kjv x10 from stdin < 64 MiB", rss < 64.0, format!("{rss:.1} MiB"));
    // --size 200M is 200 MiB; the output stops short of it by less than a line per 4 MiB block.
    let gen_mbs = |name: &str| 200.0 * 1.048_576 / row(&e, name).median_s;
    let default = gen_mbs("default (--vocab 200000)");
    check("gen, default vocabulary, well above 500 MB/s (600)", default >= 600.0, format!("{default:.0} MB/s"));
    let gen_ratio = ratio(&c, "mrwc -t whitespace");
    println!("- (info) large vocabulary, whitespace: {gen_ratio:.2} x refcount");
    for name in ["--vocab 1000", "--vocab 1000000", "--script han"] {
        println!("- (info) gen {name}: {:.0} MB/s", gen_mbs(name));
    }
}
