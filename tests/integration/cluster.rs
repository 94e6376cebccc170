//! mrjob and Spark, when the Python environment that `.ci/run` builds is there (`MRWC_VENV`,
//! default `~/.cache/mrwc/venv`). Without it these tests print why and pass.

use std::process::Command;

use crate::util::*;

/// `mrwc -r spark` on a local[2] master, its work directory in `t`.
fn spark(t: &TestDir, submit: &std::path::Path) -> Mrwc {
    t.cmd().args(["-r", "spark", "--spark-master", "local[2]", "--spark-submit"]).arg(submit).args(["--tmp-dir", "."])
}

#[test]
fn the_mrjob_job_gives_the_threads_counts() {
    let Some(venv) = venv() else { return };
    // Every map-side option reaches the cluster's `mrwc map` tasks.
    let unicode = ["--tokenizer", "unicode", "--case", "fold", "--normalize", "nfkc"];
    let filters = ["--stopwords", "en", "--min-len", "3", "--no-numbers", "--ngram", "1..2"];
    for options in [&[][..], &unicode[..], &filters[..]] {
        let out = Command::new(venv.join("bin/python"))
            .arg(root().join("contrib/mrjob/mr_wordcount.py"))
            .args(["-r", "local", "--mrwc", bin()])
            .args(options)
            .arg(fixture("sample.txt"))
            .arg(fixture("multilingual.txt"))
            .arg(fixture("invalid-utf8.bin"))
            .env("TMPDIR", TestDir::new().path())
            .output()
            .unwrap();
        if !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("No module named 'mrjob'") {
            skip(&format!("mrjob is not installed in {}", venv.display()));
            return;
        }
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let want = Mrwc::new()
            .args(options)
            .arg(fixture("sample.txt"))
            .arg(fixture("multilingual.txt"))
            .arg(fixture("invalid-utf8.bin"))
            .stdout();
        assert_eq!(parse_tsv(&out.stdout), parse_tsv(want.as_bytes()), "{options:?}");
    }
    // A user dictionary (uploaded), --han and a legacy encoding reach the tasks too.
    let t = TestDir::new();
    let user = t.write(
        "user.txt",
        "量子猫咖啡 5
量子猫カフェ
",
    );
    let zh = "我们去量子猫咖啡。
環境変数
量子猫カフェに行きます。
"
    .repeat(20);
    let legacy = t.write("gb.txt", encoding_rs::GB18030.encode(&zh).0);
    let options = ["--user-dict".as_ref(), user.as_os_str(), "--han".as_ref(), "ja".as_ref()];
    let out = Command::new(venv.join("bin/python"))
        .arg(root().join("contrib/mrjob/mr_wordcount.py"))
        .args(["-r", "local", "--mrwc", bin(), "--encoding", "gb18030"])
        .args(options)
        .arg(&legacy)
        .env("TMPDIR", TestDir::new().path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let want = Mrwc::new().args(["--encoding", "gb18030"]).args(options).arg(&legacy).stdout();
    assert!(want.contains("量子猫咖啡\t20\n") && want.contains("変数\t20\n"), "{want}");
    assert_eq!(parse_tsv(&out.stdout), parse_tsv(want.as_bytes()));

    // Per-file counts and document frequency: the reducer folds the keyed records into the
    // main command's rows; Hadoop names a task's file `file://PATH`.
    let inputs = [fixture("sample.txt"), fixture("multilingual.txt")];
    for keys in [&["--by-file"][..], &["--df"], &["--by-file", "--df", "--doc-per-line"]] {
        let out = Command::new(venv.join("bin/python"))
            .arg(root().join("contrib/mrjob/mr_wordcount.py"))
            .args(["-r", "local", "--mrwc", bin()])
            .args(keys)
            .args(&inputs)
            .env("TMPDIR", TestDir::new().path())
            .output()
            .unwrap();
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
