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
//! - `20M distinct`: `seq 1 20000000 | sed 's/^/w/'` (189 MB, every word distinct);
//! - `Chinese x10`: `../shared/corpus/zh-modern-1mb.txt` 10 times (10.5 MB);
//! - `Japanese x10`: `fixtures/ja/debian-reference.ja.txt` 10 times (10.1 MB, 42% of its bytes
//!   Japanese), and the 1 MB fixture alone against Janome;
//! - `first Han run`: one Chinese, one Japanese and one English word, each in a file of its own:
//!   the dictionaries' set-up is the difference to the English one;
//! - `10 KB`: the head of kjv, for start-up latency;
//! - `mrwc gen`: the generator itself, `--size 200M` to /dev/null, for a small, the default, and
//!   a large vocabulary, and Han.
//!
//! Peers (`benches/peers.py`, in a venv the benchmark creates under the data directory with
//! duckdb, polars and jieba from pip): DuckDB's SQL and Polars' lazy frame with mrwc's
//! whitespace rule in the English, 1M-vocabulary and 20M-distinct groups (their output equals
//! `mrwc -t whitespace`'s byte for byte on kjv), jieba + `collections.Counter` on Chinese, and
//! Janome + `collections.Counter` on Japanese.
//! Without the venv (no network, no pip) the peers are left out with a printed reason.
//!
//! Every round runs each command of a group once, in order, after one warm-up round; the table
//! gives the median wall time, the median of the per-round ratios to refcount (pairs from the
//! same round, so drift on a shared machine cancels), and the peak resident memory (wait4's
//! ru_maxrss). Checklists of the targets of issues #7 and #18 follow the tables; their ratios are
//! paired the same way (the `kjv x100` group also runs the 43 MB input, for the scaling ratio).

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
    /// The group's title.
    group: String,
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
                group: title.to_string(),
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

/// The group a row set came from, named by its first command's input.
fn rows_title(rows: &[Row]) -> &str {
    &rows[0].group
}

fn ratio(rows: &[Row], name: &str) -> f64 {
    rows.iter().find(|r| r.name == name).and_then(|r| r.ratio).expect("row exists")
}

/// The Python of the peers' venv (`DATA/peers-venv`, created when missing), or `None`.
fn peers_python(data: &Path) -> Option<PathBuf> {
    let venv = data.join("peers-venv");
    let python = venv.join("bin/python");
    let ready = |py: &Path| {
        Command::new(py).args(["-c", "import duckdb, polars, jieba, janome"]).status().is_ok_and(|s| s.success())
    };
    if !ready(&python) {
        eprintln!("== creating {} (duckdb, polars, jieba, janome)", venv.display());
        let made = Command::new("python3").args(["-m", "venv"]).arg(&venv).status().is_ok_and(|s| s.success())
            && Command::new(venv.join("bin/pip"))
                .args(["install", "-q", "duckdb", "polars", "jieba", "janome"])
                .status()
                .is_ok_and(|s| s.success());
        if !made || !ready(&python) {
            eprintln!("skipped: the peers (DuckDB, Polars, jieba, Janome): their venv could not be built");
            return None;
        }
    }
    Some(python)
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
    let distinct = ensure(&data.join("w20m.txt"), |p| shell_to(p, "seq 1 20000000 | sed 's/^/w/'"));
    let zh = root.join("../shared/corpus/zh-modern-1mb.txt");
    let zh10 = ensure(&data.join("zh10.txt"), |p| repeat_file(&zh, 10, p));
    let ja = root.join("fixtures/ja/debian-reference.ja.txt");
    let ja10 = ensure(&data.join("ja10.txt"), |p| repeat_file(&ja, 10, p));
    let one_word = |name: &str, word: &str| ensure(&data.join(name), |p| shell_to(p, &format!("printf '{word}\\n'")));
    let (han1, kana1, latin1) = (one_word("zh1.txt", "的"), one_word("ja1.txt", "を"), one_word("en1.txt", "a"));
    let python = peers_python(&data);
    let peers_py = root.join("benches/peers.py");
    // The peers of one input, when their venv is there.
    let peers = |engines: &[(&str, &str)], input: &Path| -> Vec<Cmd> {
        let Some(py) = &python else { return Vec::new() };
        engines
            .iter()
            .map(|(name, engine)| {
                cmd(name, format!("{} {} {engine} {}", py.display(), peers_py.display(), input.display()))
            })
            .collect()
    };
    let sql_and_frames = [("DuckDB", "duckdb"), ("Polars", "polars")];
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
    a.extend(peers(&sql_and_frames, &kjv10));
    if !quick {
        a.push(cmd(
            "tr, sort, uniq -c, sort -rn",
            format!("sh -c \"LC_ALL=C tr -s ' \\n\\t' '\\n' < {k10} | LC_ALL=C sort | uniq -c | sort -rn\""),
        ));
    }
    let a = group("kjv x10 (43 MB)", &a, runs, true);
    let mut b = vec![
        cmd("refcount", format!("{rc} < {k100}")),
        cmd("mrwc -t whitespace", format!("{mrwc} -q -t whitespace {k100}")),
        cmd("mrwc (words)", format!("{mrwc} -q {k100}")),
        cmd("mrwc -t whitespace, kjv x10", format!("{mrwc} -q -t whitespace {k10}")),
    ];
    b.extend(peers(&sql_and_frames, &kjv100));
    let b = group("kjv x100 (430 MB)", &b, runs, true);
    let mut c = vec![
        cmd("refcount", format!("{rc} < {g}")),
        cmd("mrwc -t whitespace", format!("{mrwc} -q -t whitespace {g}")),
        cmd("mrwc -t whitespace -j 1", format!("{mrwc} -q -t whitespace -j 1 {g}")),
        cmd("mrwc (words)", format!("{mrwc} -q {g}")),
    ];
    c.extend(peers(&sql_and_frames, &gen));
    let c = group("mrwc gen, 200 MB, 1M-word vocabulary", &c, runs, true);
    let dd = distinct.display();
    let mut h = vec![
        cmd("refcount", format!("{rc} < {dd}")),
        cmd("mrwc -t whitespace", format!("{mrwc} -q -t whitespace {dd}")),
        cmd("mrwc -t whitespace -j 1", format!("{mrwc} -q -t whitespace -j 1 {dd}")),
    ];
    h.extend(peers(&sql_and_frames, &distinct));
    let h = group("20M distinct words (189 MB)", &h, runs, true);
    let zd = zh10.display();
    let mut z = vec![
        cmd("refcount", format!("{rc} < {zd}")),
        cmd("mrwc (words)", format!("{mrwc} -q {zd}")),
        cmd("mrwc (words) -j 1", format!("{mrwc} -q -j 1 {zd}")),
        cmd("mrwc -t whitespace", format!("{mrwc} -q -t whitespace {zd}")),
    ];
    z.extend(peers(&[("jieba + Counter", "jieba")], &zh10));
    let z = group("Chinese x10 (zh-modern-1mb.txt, 10.5 MB)", &z, runs, true);
    let jd = ja10.display();
    let j = group(
        "Japanese x10 (fixtures/ja, 10.1 MB)",
        &[
            cmd("refcount", format!("{rc} < {jd}")),
            cmd("mrwc (words)", format!("{mrwc} -q {jd}")),
            cmd("mrwc (words) -j 1", format!("{mrwc} -q -j 1 {jd}")),
            cmd("mrwc -t whitespace", format!("{mrwc} -q -t whitespace {jd}")),
        ],
        runs,
        true,
    );
    let mut j1 = vec![cmd("mrwc (words)", format!("{mrwc} -q {}", ja.display()))];
    j1.extend(peers(&[("Janome + Counter", "janome")], &ja));
    let j1 = group("Japanese, 1 MB (fixtures/ja)", &j1, runs, false);
    let first = group(
        "first Han run: one word (dictionary set-up)",
        &[
            cmd("English word", format!("{mrwc} -q {}", latin1.display())),
            cmd("Chinese word (jieba)", format!("{mrwc} -q {}", han1.display())),
            cmd("Japanese word (IPADIC)", format!("{mrwc} -q {}", kana1.display())),
        ],
        runs.max(20),
        false,
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

    println!("\n### Peers: median of the per-round ratios to mrwc\n");
    let mut peer_rows = 0;
    for (rows, against) in [
        (&a, "mrwc -t whitespace"),
        (&b, "mrwc -t whitespace"),
        (&c, "mrwc -t whitespace"),
        (&h, "mrwc -t whitespace"),
        (&z, "mrwc (words)"),
        (&j1, "mrwc (words)"),
    ] {
        for peer in ["DuckDB", "Polars", "jieba + Counter", "Janome + Counter"] {
            if rows.iter().any(|r| r.name == peer) {
                let x = paired(rows, peer, against);
                let rss = row(rows, peer).max_rss_mib / row(rows, against).max_rss_mib.max(0.1);
                println!("- (info) {peer} / {against}, {}: {x:.2}x the time, {rss:.2}x the peak RSS", rows_title(rows));
                peer_rows += 1;
            }
        }
    }
    if peer_rows == 0 {
        println!("- (info) no peers ran");
    }
    let distinct_rss = row(&h, "mrwc -t whitespace").max_rss_mib * 1024.0 * 1024.0 / 20_000_000.0;
    println!("- (info) 20M distinct words: mrwc peak RSS {distinct_rss:.0} bytes per distinct word");

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
    let rss_stdin = a.iter().find(|r| r.name == "mrwc -t whitespace < stdin").map_or(0.0, |r| r.max_rss_mib);
    check("peak RSS, kjv x10 from stdin < 64 MiB", rss_stdin < 64.0, format!("{rss_stdin:.1} MiB"));
    // --size 200M is 200 MiB; the output stops short of it by less than a line per 4 MiB block.
    let gen_mbs = |name: &str| 200.0 * 1.048_576 / row(&e, name).median_s;
    let default = gen_mbs("default (--vocab 200000)");
    check("gen, default vocabulary, well above 500 MB/s (600)", default >= 600.0, format!("{default:.0} MB/s"));
    let gen_ratio = ratio(&c, "mrwc -t whitespace");
    println!("- (info) large vocabulary, whitespace: {gen_ratio:.2} x refcount");
    for name in ["--vocab 1000", "--vocab 1000000", "--script han"] {
        println!("- (info) gen {name}: {:.0} MB/s", gen_mbs(name));
    }

    println!("\n### Targets (issue #18)\n");
    let words = ratio(&a, "mrwc (words)");
    check("kjv x10, words, all cores <= 0.20 x refcount", words <= 0.20, format!("{words:.2}"));
    check("kjv x10, whitespace, all cores <= 0.22 x refcount", ws <= 0.22, format!("{ws:.2}"));
    // A peer's time over mrwc's: how many times faster mrwc is.
    let faster = |rows: &[Row], against: &str| -> Option<f64> {
        ["DuckDB", "Polars"]
            .iter()
            .filter(|p| rows.iter().any(|r| r.name == **p))
            .map(|p| paired(rows, p, against))
            .reduce(f64::min)
    };
    match faster(&h, "mrwc -t whitespace") {
        Some(x) => {
            check("20M distinct: >= 2x faster than Polars and DuckDB", x >= 2.0, format!("{x:.2}x (the slower margin)"))
        }
        None => println!("- [?] 20M distinct: >= 2x faster than Polars and DuckDB: no peers ran"),
    }
    let rss = row(&h, "mrwc -t whitespace").max_rss_mib;
    check("20M distinct: peak RSS <= 1 GiB", rss <= 1024.0, format!("{rss:.0} MiB"));
    match faster(&c, "mrwc -t whitespace") {
        Some(x) => check("1M-word vocabulary: >= 4x faster than Polars and DuckDB", x >= 4.0, format!("{x:.2}x")),
        None => println!("- [?] 1M-word vocabulary: >= 4x faster than Polars and DuckDB: no peers ran"),
    }
    let mbs = |rows: &[Row], name: &str, bytes: u64| bytes as f64 / 1e6 / row(rows, name).median_s;
    let zh_bytes = fs::metadata(&zh10).map_or(0, |m| m.len());
    let zh2 = mbs(&z, "mrwc (words)", zh_bytes);
    check(&format!("Chinese x10, {cores} threads >= 100 MB/s"), zh2 >= 100.0, format!("{zh2:.0} MB/s"));
    let zh1 = mbs(&z, "mrwc (words) -j 1", zh_bytes);
    check("Chinese x10, 1 thread >= 60 MB/s", zh1 >= 60.0, format!("{zh1:.0} MB/s"));
    // A difference of two medians: with nothing to set up it is noise around zero, either sign.
    let setup = |name: &str| (row(&first, name).median_s - row(&first, "English word").median_s) * 1000.0;
    let zh_setup = setup("Chinese word (jieba)");
    check("first Chinese run: dictionary set-up <= 30 ms", zh_setup <= 30.0, format!("{zh_setup:.1} ms"));
    let ja_setup = setup("Japanese word (IPADIC)");
    check("first Japanese run: dictionary set-up <= 30 ms", ja_setup <= 30.0, format!("{ja_setup:.1} ms"));
    let ja_bytes = fs::metadata(&ja10).map_or(0, |m| m.len());
    let (ja2, ja1) = (mbs(&j, "mrwc (words)", ja_bytes), mbs(&j, "mrwc (words) -j 1", ja_bytes));
    println!("- (info) Japanese x10: {ja2:.0} MB/s on {cores} threads, {ja1:.0} MB/s on one");
    check("no regression: 10 KB file < 5 ms", start < 5.0, format!("{start:.2} ms"));
    check("no regression: kjv x10 from stdin < 64 MiB", rss_stdin < 64.0, format!("{rss_stdin:.1} MiB"));
}
