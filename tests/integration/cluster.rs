//! mrjob and Spark, when the Python environment that `.ci/run` builds is there (`MRWC_VENV`,
//! default `~/.cache/mrwc/venv`). Without it these tests print why and pass.

use std::process::Command;

use crate::util::*;

/// `mrwc -r spark` on a local[2] master, its work directory in `t`.
fn spark(t: &TestDir, submit: &std::path::Path) -> Mrwc {
    t.cmd().args(["-r", "spark", "--spark-master", "local[2]", "--spark-submit"]).arg(submit).args(["--tmp-dir", "."])
}

/// The mrjob job (`contrib/mrjob`) on mrjob's local runner, with this build's mrwc; mrjob's
/// scratch files go to `scratch`.
fn mrjob(venv: &std::path::Path, scratch: &TestDir) -> Command {
    let mut cmd = Command::new(venv.join("bin/python"));
    cmd.arg(root().join("contrib/mrjob/mr_wordcount.py")).args(["-r", "local", "--mrwc", bin()]);
    cmd.env("TMPDIR", scratch.path());
    cmd
}

#[test]
fn the_mrjob_job_gives_the_threads_counts() {
    let Some(venv) = venv() else { return };
    let scratch = TestDir::new();
    // Every map-side option reaches the cluster's `mrwc map` tasks.
    let unicode = ["--tokenizer", "unicode", "--case", "fold", "--normalize", "nfkc"];
    let filters = ["--stopwords", "en", "--min-len", "3", "--no-numbers", "--ngram", "1..2"];
    for options in [&[][..], &unicode[..], &filters[..]] {
        let inputs = [fixture("sample.txt"), fixture("multilingual.txt"), fixture("invalid-utf8.bin")];
        let out = mrjob(&venv, &scratch).args(options).args(&inputs).output().unwrap();
        if !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("No module named 'mrjob'") {
            skip(&format!("mrjob is not installed in {}", venv.display()));
            return;
        }
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let want = Mrwc::new().args(options).args(&inputs).stdout();
        assert_eq!(parse_tsv(&out.stdout), parse_tsv(want.as_bytes()), "{options:?}");
    }
    // A user dictionary (uploaded), --han and a legacy encoding reach the tasks too.
    let t = TestDir::new();
    let user = t.write("user.txt", "量子猫咖啡 5\n量子猫カフェ\n");
    let zh = "我们去量子猫咖啡。\n環境変数\n量子猫カフェに行きます。\n".repeat(20);
    let legacy = t.write("gb.txt", encoding_rs::GB18030.encode(&zh).0);
    let options = ["--user-dict".as_ref(), user.as_os_str(), "--han".as_ref(), "ja".as_ref()];
    let out = mrjob(&venv, &scratch).args(["--encoding", "gb18030"]).args(options).arg(&legacy).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let want = Mrwc::new().args(["--encoding", "gb18030"]).args(options).arg(&legacy).stdout();
    assert!(want.contains("量子猫咖啡\t20\n") && want.contains("変数\t20\n"), "{want}");
    assert_eq!(parse_tsv(&out.stdout), parse_tsv(want.as_bytes()));

    // Per-file counts and document frequency: the reducer folds the keyed records into the
    // main command's rows; Hadoop names a task's file `file://PATH`.
    let inputs = [fixture("sample.txt"), fixture("multilingual.txt")];
    for keys in [&["--by-file"][..], &["--df"], &["--by-file", "--df", "--doc-per-line"]] {
        let out = mrjob(&venv, &scratch).args(keys).args(&inputs).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8(out.stdout).unwrap();
        let mut got: Vec<&str> = text.lines().map(|l| l.strip_prefix("file://").unwrap_or(l)).collect();
        let want = Mrwc::new().args(keys).args(&inputs).stdout();
        let mut want: Vec<&str> = want.lines().collect();
        got.sort_unstable();
        want.sort_unstable();
        assert!(want.len() > 10 && got == want, "{keys:?}: {got:?}");
    }
}

#[test]
fn spark_gives_byte_identical_output_to_threads() {
    let Some(venv) = venv() else { return };
    let submit = venv.join("bin/spark-submit");
    if !submit.is_file() || Command::new("java").arg("-version").output().is_err() {
        skip("spark-submit or java is missing");
        return;
    }
    let t = TestDir::new();
    // A gzip file without its extension: Spark would read it raw; mrwc hands it over decoded.
    let data = TestDir::new();
    let gz = data.write("sample-gz", {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut e, &std::fs::read(fixture("multilingual.txt")).unwrap()).unwrap();
        e.finish().unwrap()
    });
    let inputs = [fixture("sample.txt"), fixture("tree"), fixture("invalid-utf8.bin"), gz];
    let want = Mrwc::new().args(&inputs).output();
    want.assert_code(0);
    let run = spark(&t, &submit).args(&inputs).output();
    run.assert_code(0);
    assert!(run.stdout_bytes == want.stdout_bytes, "{}\n---\n{}", run.stdout, run.stderr);
    assert_eq!(t.list("."), Vec::<String>::new(), "work directory left behind");

    // The counting options reach Spark's `mrwc map` tasks (a stopword file by its absolute path,
    // n-grams within lines).
    let stop = data.write("stop.txt", "the\nand\n");
    let options = [
        "--stopwords".as_ref(),
        stop.as_os_str(),
        "--min-len".as_ref(),
        "3".as_ref(),
        "--ngram".as_ref(),
        "1..2".as_ref(),
    ];
    let want = Mrwc::new().args(options).args(&inputs).output();
    want.assert_code(0);
    assert!(!want.stdout.contains("the\t"), "{}", want.stdout);
    let run = spark(&t, &submit).args(options).args(&inputs).output();
    run.assert_code(0);
    assert!(run.stdout_bytes == want.stdout_bytes, "{}\n---\n{}", run.stdout, run.stderr);

    // A user dictionary (by its absolute path) and a legacy encoding (decoded on the driver).
    let user = data.write("user.txt", "量子猫咖啡 5\n");
    let legacy = data.write("gb.txt", encoding_rs::GB18030.encode(&"我们去量子猫咖啡。\n".repeat(30)).0);
    let options = ["--user-dict".as_ref(), user.as_os_str(), "--encoding".as_ref(), "gb18030".as_ref()];
    let want = Mrwc::new().args(options).arg(&legacy).output();
    assert!(want.stdout.contains("量子猫咖啡\t30\n"), "{}", want.stdout);
    let run = spark(&t, &submit).args(options).arg(&legacy).output();
    run.assert_code(0);
    assert!(run.stdout_bytes == want.stdout_bytes, "{}\n---\n{}", run.stdout, run.stderr);

    // Per-file counts and document frequency: each input is mapped knowing its index.
    for keys in [&["--by-file", "--df", "--doc-per-line"][..], &["--df", "--columns", "word,df,rank"]] {
        let want = Mrwc::new().args(keys).args(&inputs).output();
        want.assert_code(0);
        let run = spark(&t, &submit).args(keys).args(&inputs).output();
        run.assert_code(0);
        assert!(run.stdout_bytes == want.stdout_bytes, "{keys:?}: {}\n---\n{}", run.stdout, run.stderr);
    }

    // Lines reach `mrwc map` with their bytes: a word that is not UTF-8 stays as it was.
    let whitespace = ["-t", "whitespace"];
    let want = Mrwc::new().args(whitespace).args(&inputs).output();
    assert!(want.stdout_bytes.contains(&0xff), "{}", want.stdout);
    let run = spark(&t, &submit).args(whitespace).args(&inputs).output();
    run.assert_code(0);
    assert!(run.stdout_bytes == want.stdout_bytes, "{}\n---\n{}", run.stdout, run.stderr);

    // --output-dir: the executors write the part files, with the bytes and the per-part order
    // of `-r threads --output-dir` (formats, orders, a global --top, --min-count, words that
    // are not UTF-8, empty partitions); nothing comes back through the driver (no load phase).
    let cases: [&[&str]; 4] = [
        &["-t", "whitespace", "-p", "3"],
        &["-p", "7", "-f", "csv", "-s", "word"],
        &["-p", "2", "-n", "5", "--min-count", "2", "-f", "json"],
        &["-p", "40", "-f", "jsonl"],
    ];
    for options in cases {
        let want = t.cmd().args(options).args(["--output-dir", "threads"]).args(&inputs).output();
        want.assert_code(0);
        let run = spark(&t, &submit).args(options).args(["--output-dir", "spark", "--stats-json", "stats.json"]);
        let run = run.args(&inputs).output();
        run.assert_code(0);
        assert_same_dirs(&t.join("spark"), &t.join("threads"), options);
        let stats = std::fs::read_to_string(t.join("stats.json")).unwrap();
        assert!(stats.contains("\"name\":\"spark\"") && !stats.contains("\"name\":\"load\""), "{stats}");
        for dir in ["spark", "threads", "stats.json"] {
            remove(&t.join(dir));
        }
        assert_eq!(t.list("."), Vec::<String>::new(), "{options:?}: something was left behind");
    }

    // --total-order: Spark cuts word ranges from a sample; the parts, in order, are the one
    // word order of -r threads.
    let want = Mrwc::new().args(["-s", "word"]).args(&inputs).output();
    let run = spark(&t, &submit).args(["-s", "word", "--total-order", "-p", "4", "--output-dir", "ordered"]);
    run.args(&inputs).output().assert_code(0);
    let names = t.list("ordered");
    assert_eq!(names.len(), 5, "{names:?}");
    let parts: Vec<u8> = names[1..].iter().flat_map(|n| std::fs::read(t.join("ordered").join(n)).unwrap()).collect();
    assert!(parts == want.stdout_bytes, "the parts are not the one word order");
    remove(&t.join("ordered"));

    // An --output-dir URL (file:// here; hdfs:// and s3a:// go the same way): the driver
    // commits it through Hadoop's FileSystem API, with the same part files; an existing one is
    // kept without --force and replaced with it.
    let url = format!("file://{}", t.join("url").display());
    let options = ["-p", "3", "-f", "csv"];
    t.cmd().args(options).args(["--output-dir", "threads"]).args(&inputs).output().assert_code(0);
    spark(&t, &submit).args(options).args(["--output-dir", &url]).args(&inputs).output().assert_code(0);
    assert_same_dirs(&t.join("url"), &t.join("threads"), &options);
    let run = spark(&t, &submit).args(["--output-dir", &url]).args(&inputs).output();
    run.assert_code(1);
    assert!(run.stderr.ends_with(&format!("{url}: already exists (use --force to replace it)\n")), "{}", run.stderr);
    assert_same_dirs(&t.join("url"), &t.join("threads"), &["kept"]);
    let run = spark(&t, &submit).args(["-p", "2", "--force", "--output-dir", &url]).args(&inputs).output();
    run.assert_code(0);
    remove(&t.join("threads"));
    t.cmd().args(["-p", "2", "--output-dir", "threads"]).args(&inputs).output().assert_code(0);
    assert_same_dirs(&t.join("url"), &t.join("threads"), &["replaced"]);
    for dir in ["url", "threads"] {
        remove(&t.join(dir));
    }
    assert_eq!(t.list("."), Vec::<String>::new(), "a staging directory was left behind");
}

/// Two output directories hold the same names with the same bytes (hidden names aside: Hadoop's
/// local file system writes a `.NAME.crc` beside each file).
fn assert_same_dirs(got: &std::path::Path, want: &std::path::Path, what: &[&str]) {
    let names = |dir: &std::path::Path| {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| !n.to_string_lossy().starts_with('.'))
            .collect();
        names.sort();
        names
    };
    assert_eq!(names(got), names(want), "{what:?}");
    for name in names(want) {
        let (a, b) = (std::fs::read(got.join(&name)).unwrap(), std::fs::read(want.join(&name)).unwrap());
        assert!(
            a == b,
            "{what:?}: {name:?} differs:\n{}---\n{}",
            String::from_utf8_lossy(&a),
            String::from_utf8_lossy(&b)
        );
    }
}

fn remove(path: &std::path::Path) {
    if path.is_dir() {
        std::fs::remove_dir_all(path).unwrap();
    } else {
        std::fs::remove_file(path).unwrap();
    }
}

#[test]
fn a_missing_spark_is_a_clear_usage_error() {
    let run = Mrwc::new().args(["-r", "spark", "--spark-submit", "/no/such/spark-submit", "-"]).stdin("x").output();
    run.assert_code(2);
    run.assert_stderr("mrwc: --spark-submit /no/such/spark-submit: No such file\n");
    let run =
        Mrwc::new().args(["-r", "spark", "-"]).env("PATH", "/nonexistent").env_remove("SPARK_HOME").stdin("x").output();
    run.assert_code(2);
    assert!(run.stderr.contains("spark-submit not found (install Spark, e.g. `pip install pyspark`"), "{}", run.stderr);
}

#[test]
fn an_output_dir_url_needs_spark_and_plain_records() {
    let run = Mrwc::new().args(["--output-dir", "hdfs://nn/out", "-"]).stdin("x").output();
    run.assert_code(2);
    run.assert_stderr("mrwc: invalid value 'hdfs://nn/out' for --output-dir: a URL is written by -r spark only\n");
    for option in ["--by-file", "--df", "--report=r.html"] {
        let run = Mrwc::new().args(["-r", "spark", option, "--output-dir", "s3a://b/out", "-"]).stdin("x").output();
        run.assert_code(2);
        assert!(run.stderr.contains("for --output-dir: a URL takes word and count records only"), "{}", run.stderr);
    }
}

/// A Spark standalone cluster on 127.0.0.1: a master and one worker (2 cores) started from the
/// venv's pyspark with `spark-class`, on ports the kernel picks (so two runs cannot clash), each
/// in a process group of its own. Dropping it kills both groups (the worker's holds its
/// executors), however the test ends.
struct Standalone {
    url: String,
    dir: TestDir,
    children: Vec<std::process::Child>,
}

impl Standalone {
    fn start(venv: &std::path::Path) -> Option<Standalone> {
        use std::os::unix::process::CommandExt;
        let pyspark = std::fs::read_dir(venv.join("lib"))
            .ok()?
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("site-packages/pyspark"))
            .find(|p| p.join("bin/spark-class").is_file());
        let (Some(pyspark), true) = (pyspark, Command::new("java").arg("-version").output().is_ok()) else {
            skip("pyspark's spark-class or java is missing");
            return None;
        };
        let mut cluster = Standalone { url: String::new(), dir: TestDir::new(), children: Vec::new() };
        let spawn = |cluster: &mut Standalone, log: &str, args: &[&str]| {
            let log = std::fs::File::create(cluster.dir.join(log)).unwrap();
            let child = Command::new(pyspark.join("bin/spark-class"))
                .args(args)
                .env("SPARK_HOME", &pyspark)
                .env("SPARK_LOCAL_IP", "127.0.0.1")
                .process_group(0)
                .stdin(std::process::Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .unwrap();
            cluster.children.push(child);
        };
        let any_port = ["--host", "127.0.0.1", "--port", "0", "--webui-port", "0"];
        spawn(&mut cluster, "master.log", &[&["org.apache.spark.deploy.master.Master"][..], &any_port].concat());
        let master_log = cluster.dir.join("master.log");
        let url_in_log = || {
            let log = std::fs::read_to_string(&master_log).unwrap_or_default();
            let at = log.find("Starting Spark master at ")?;
            Some(log[at + 25..].split_whitespace().next()?.to_string())
        };
        wait_for("the master's URL in its log", || url_in_log().is_some());
        cluster.url = url_in_log().unwrap();
        let work = cluster.dir.join("work");
        let worker = [&["org.apache.spark.deploy.worker.Worker"][..], &any_port, &["--cores", "2", "--memory", "1g"]];
        let (url, work) = (cluster.url.clone(), work.to_string_lossy().into_owned());
        spawn(&mut cluster, "worker.log", &[&worker.concat()[..], &["--work-dir", &work, &url]].concat());
        wait_for("the worker to register with the master", || {
            std::fs::read_to_string(&master_log).unwrap_or_default().contains("Registering worker")
        });
        Some(cluster)
    }

    /// `mrwc -r spark` against this cluster (the README's standalone command), its work
    /// directory in `t`.
    fn mrwc(&self, t: &TestDir, submit: &std::path::Path) -> Mrwc {
        t.cmd()
            .args(["-r", "spark", "--spark-master", &self.url, "--spark-submit"])
            .arg(submit)
            .args(["--tmp-dir", "."])
            .env("SPARK_LOCAL_IP", "127.0.0.1")
    }

    /// The pids of the worker's descendants (executors, their Python workers, `mrwc map`)
    /// whose command line has `needle`.
    fn processes(&self, needle: &str) -> Vec<u32> {
        let mut parents = std::collections::HashMap::new();
        for entry in std::fs::read_dir("/proc").unwrap().filter_map(|e| e.ok()) {
            let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // The fields after the command name: state, ppid.
            if let Some(ppid) =
                stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok())
            {
                parents.insert(pid, ppid);
            }
        }
        let worker = self.children[1].id();
        let below_worker = |mut pid: u32| {
            while let Some(&parent) = parents.get(&pid) {
                if parent == worker {
                    return true;
                }
                pid = parent;
            }
            false
        };
        let has = |pid: u32| {
            String::from_utf8_lossy(&std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default()).contains(needle)
        };
        parents.keys().copied().filter(|&pid| below_worker(pid) && has(pid)).collect()
    }
}

impl Drop for Standalone {
    fn drop(&mut self) {
        // Executors and their Python workers put themselves in process groups of their own.
        for pid in self.processes("") {
            // SAFETY: kill with the pid of a descendant of this test's own worker process.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        }
        for child in &mut self.children {
            // SAFETY: kill with the process group of a child this test started.
            unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
            let _ = child.wait();
        }
    }
}

#[test]
fn a_standalone_cluster_counts_as_threads_does_and_survives_a_killed_executor() {
    let Some(venv) = venv() else { return };
    let submit = venv.join("bin/spark-submit");
    let Some(cluster) = Standalone::start(&venv) else { return };
    let t = TestDir::new();
    let inputs = [fixture("sample.txt"), fixture("multilingual.txt"), fixture("ja/debian-reference.ja.txt")];
    let want = Mrwc::new().args(&inputs).output();
    want.assert_code(0);
    let run = cluster.mrwc(&t, &submit).args(&inputs).output();
    run.assert_code(0);
    assert!(run.stdout_bytes == want.stdout_bytes, "{}\n---\n{}", run.stdout, run.stderr);
    assert_eq!(t.list("."), Vec::<String>::new(), "work directory left behind");

    // An executor's JVM killed while a task runs (a `mrwc map` of the job is alive): the master
    // starts another, Spark runs the lost tasks again, and the part files the executors write
    // hold exact counts, as `-r threads` writes them.
    let big = t.write("big.txt", std::fs::read_to_string(fixture("ja/debian-reference.ja.txt")).unwrap().repeat(8));
    let parts = ["-p", "3", "--output-dir"];
    t.cmd().args(parts).args(["threads".as_ref(), big.as_os_str()]).output().assert_code(0);
    let mut m = cluster.mrwc(&t, &submit).args(parts).args(["spark".as_ref(), big.as_os_str()]);
    m.cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let child = m.cmd.spawn().unwrap();
    let work = cluster.dir.join("work").to_string_lossy().into_owned();
    wait_for("a map task running on the cluster", || !cluster.processes(&format!("{work}/")).is_empty());
    let executors = cluster.processes("CoarseGrainedExecutorBackend");
    assert_eq!(executors.len(), 1, "{executors:?}");
    // SAFETY: kill with the pid of the executor JVM the test just found in its own cluster.
    unsafe { libc::kill(executors[0] as i32, libc::SIGKILL) };
    let run = Run::from(child.wait_with_output().unwrap());
    run.assert_code(0);
    assert_same_dirs(&t.join("spark"), &t.join("threads"), &["after an executor was killed"]);
    let master = std::fs::read_to_string(cluster.dir.join("master.log")).unwrap();
    assert!(master.matches("Launching executor").count() >= 2, "no executor replaced the killed one:\n{master}");
}

#[test]
fn a_spark_job_whose_every_attempt_fails_ends_with_one_line_and_writes_nothing() {
    let Some(venv) = venv() else { return };
    let submit = venv.join("bin/spark-submit");
    let Some(cluster) = Standalone::start(&venv) else { return };
    let t = TestDir::new();
    t.write("in.txt", "a b c\n");
    // The executors' Python cannot start (the driver's can): every attempt of every task fails.
    let broken = |m: Mrwc| m.env("PYSPARK_PYTHON", "/bin/false").env("PYSPARK_DRIVER_PYTHON", venv.join("bin/python"));
    let run = broken(cluster.mrwc(&t, &submit).args(["-o", "out.tsv", "in.txt"])).output();
    run.assert_code(1);
    assert!(
        run.stderr.starts_with("mrwc: -r spark: spark-submit failed")
            && run.stderr.lines().count() == 1
            && run.stderr.contains("Exception: ")
            && !run.stderr.contains("): at "),
        "{}",
        run.stderr
    );
    let run = broken(cluster.mrwc(&t, &submit).args(["--output-dir", "out", "in.txt"])).output();
    run.assert_code(1);
    assert_eq!(t.list("."), ["in.txt"], "an output or a work directory was left behind");
    let url = format!("file://{}", t.join("url").display());
    let run = broken(cluster.mrwc(&t, &submit).args(["--output-dir", &url, "in.txt"])).output();
    run.assert_code(1);
    assert_eq!(t.list("."), ["in.txt"], "a URL's output or staging directory was left behind");
}
