//! `-r spark`: the job on Apache Spark.
//!
//! ```text
//!  mrwc ── writes driver.py (embedded) to WORK ── spark-submit --files mrwc driver.py JOB
//!                                                   │ lines of the inputs as bytes, per partition:
//!                                                   │   lines | mrwc map --serve (one per Python worker)
//!                                                   │ reduceByKey(+, R)
//!  mrwc ◄── WORK/result.tsv (word<TAB>count) ◄──────┤ toLocalIterator
//!  └─ partitions, sorting, --top, formats, -o: the same output stage as every runner
//!                                                   │ or, with --output-dir (PartFiles):
//!                                                   │ reduceByKey(+, R, fnv1a64): mrwc's partitions
//!                                                   │ per partition: records | mrwc part (order, format)
//!  mrwc ◄── STAGING/engine-output/part-NNNNN-… ◄────┘ Spark's writer and output committer
//!  └─ adopted as part-NNNNN, _SUCCESS, one rename: the output stage's commit
//! ```
//!
//! With `--output-dir`, the records never pass through the driver: the executors order, format
//! and write each partition's part file (the bytes `-r threads` writes), into a directory inside
//! the output's staging directory, and the output stage renames them into place. Only when the
//! output needs the records here (`--by-file`, `--df`, `--columns`, `--report`) do they come
//! back as without it.
//!
//! Local inputs are expanded by mrwc's own planner (so Spark counts exactly the files the other
//! runners count) and passed as `file://` URLs of symlinks with neutral names in the work
//! directory (Hadoop's input format skips names starting with `.` or `_`);
//! `hdfs://`, `s3a://` and other URLs are passed through. Stdin is copied to the work directory.
//!
//! With a `local[...]` master, Spark is bound to the loopback address and its UI is off
//! (`SPARK_LOCAL_IP`, `spark.driver.bindAddress`, `spark.driver.host`, `spark.ui.enabled`):
//! otherwise it binds to the machine's external address. `spark.local.dir` is the job's work
//! directory, removed afterwards. Spark's own log goes to a file there; on failure, its last
//! error line is in mrwc's message.

pub mod part;

use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use crate::counters::Counters;
use crate::error::{io_reason, quote_path, Error, Result};
use crate::input::encoding::EncodingArg;
use crate::input::{self, decode, Opened};
use crate::interrupt;
use crate::keys::Keys;
use crate::partition::Partitioner;
use crate::records::Records;
use crate::reduce::Reduced;
use crate::runner::{Job, PartFiles, PartsTo, Registration, Runner};
use crate::spill::WorkDir;
use crate::table::CountTable;

const DRIVER: &str = include_str!("driver.py");

pub const RUNNER: Registration = Registration {
    name: "spark",
    about: "Apache Spark",
    in_process: false,
    chunk_size: 1 << 20,
    urls: true,
    single: false,
    build: |setup| {
        let args = &setup.args.spark;
        // Fail before any work when Spark is not there.
        find_submit(args.spark_submit.as_deref())?;
        Ok(Box::new(Spark {
            master: args.spark_master.clone().unwrap_or_else(|| format!("local[{}]", setup.jobs)),
            submit: args.spark_submit.clone(),
            tmp_dir: setup.tmp_dir.to_path_buf(),
        }))
    },
};

/// The flags of `-r spark`.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Runner spark")]
pub struct SparkArgs {
    /// The master URL (default `local[N]`, N = --jobs); local masters bind to 127.0.0.1.
    #[arg(long, value_name = "URL")]
    pub spark_master: Option<String>,
    /// The spark-submit to run (default: $SPARK_HOME/bin/spark-submit, then PATH).
    #[arg(long, value_name = "PATH")]
    pub spark_submit: Option<PathBuf>,
}

/// The spark runner's settings.
#[derive(Debug, Clone)]
pub struct Spark {
    pub master: String,
    pub submit: Option<PathBuf>,
    pub tmp_dir: PathBuf,
}

/// Finds spark-submit: the flag, then `$SPARK_HOME/bin`, then `PATH`.
pub fn find_submit(flag: Option<&Path>) -> Result<PathBuf> {
    if let Some(path) = flag {
        return if path.is_file() {
            Ok(path.to_path_buf())
        } else {
            Err(Error::Usage(format!("--spark-submit {}: No such file", quote_path(path))))
        };
    }
    let from_home = std::env::var_os("SPARK_HOME").map(|home| PathBuf::from(home).join("bin/spark-submit"));
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("spark-submit"));
    from_home.into_iter().chain(on_path).find(|p| p.is_file()).ok_or_else(|| {
        Error::Usage(
            "-r spark: spark-submit not found (install Spark, e.g. `pip install pyspark` with Java 17 or newer, \
             then give --spark-submit PATH, set SPARK_HOME, or put it on PATH)"
                .into(),
        )
    })
}

impl Runner for Spark {
    fn workers(&self) -> usize {
        1
    }

    fn run(&self, job: &Job, counters: &mut Counters) -> Result<Reduced> {
        let submit = find_submit(self.submit.as_deref())?;
        let work = Arc::new(WorkDir::create(&self.tmp_dir)?);
        let temp_err = |path: &Path, e: io::Error| Error::temp_dir(path, &e);
        let started = Instant::now();

        // Spark sees local inputs through neutral names: Hadoop's input formats drop files whose
        // name starts with `.` or `_` even when named, and expand glob characters.
        // Text that mrwc decodes (compressed, UTF-16, with a BOM) and stdin are written out as
        // plain text, since Spark would read them raw: Hadoop picks a codec by file name only.
        // Sources first, then URLs: an input's index is its `file` column's (see `job.rs`).
        let mut inputs: Vec<String> = Vec::new();
        for (i, source) in job.plan.sources.iter().enumerate() {
            let link = work.path().join(format!("input-{i:06}"));
            // Under --encoding, every input is decoded here: `mrwc map` on an executor sees one
            // split of a file, too little to detect an encoding from.
            let plain = match &source.path {
                Some(p) => {
                    job.map.encoding == EncodingArg::Utf8
                        && !decode::needs_decoding(p).map_err(|e| Error::input(&source.name, &e))?
                }
                None => false,
            };
            if let (true, Some(p)) = (plain, &source.path) {
                let target = fs::canonicalize(p).map_err(|e| Error::input(&source.name, &e))?;
                interrupt::creating(|| std::os::unix::fs::symlink(&target, &link)).map_err(|e| temp_err(&link, e))?;
            } else {
                let mut reader = match input::open(source, false, &job.decoding)? {
                    Opened::Stream(r) | Opened::Whole(r) => r,
                    Opened::Mapped(..) => unreachable!("opened without mmap"),
                };
                let mut file = interrupt::creating(|| fs::File::create(&link)).map_err(|e| temp_err(&link, e))?;
                // A read error names the input; a write error, the work directory.
                let mut buf = vec![0u8; 1 << 16];
                loop {
                    let n = match reader.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(Error::input(&source.name, &e)),
                    };
                    file.write_all(&buf[..n]).map_err(|e| temp_err(&link, e))?;
                }
            }
            inputs.push(format!("file://{}", link.display()));
        }
        inputs.extend(job.plan.urls.iter().cloned());
        counters.input_files = inputs.len() as u64;
        counters.map.input_bytes = job.plan.known_bytes();
        let driver = work.path().join("driver.py");
        interrupt::creating(|| fs::write(&driver, DRIVER)).map_err(|e| temp_err(&driver, e))?;
        let result = work.path().join("result.tsv");
        // The inputs reach the executors as UTF-8 (decoded above).
        let mut utf8_map = job.map.clone();
        utf8_map.encoding = EncodingArg::Utf8;
        let stats = work.path().join("parts.stats");
        let output = match &job.part_files {
            Some(parts) => format!(
                ",\"output\":{{\"dir\":{},\"commit\":{},\"force\":{},\"part_args\":{},\"top\":{},\"min_count\":{},\"total_order\":{},\"stats\":{}}}",
                json_string(&match &parts.to {
                    PartsTo::Staging(dir) => format!("file://{}", dir.display()),
                    PartsTo::Url { url, .. } => url.clone(),
                }),
                matches!(parts.to, PartsTo::Url { .. }),
                matches!(parts.to, PartsTo::Url { force: true, .. }),
                json_list(&parts.part_args),
                parts.top.map_or("null".into(), |n| n.to_string()),
                parts.min_count,
                parts.total_order,
                json_string(&stats.to_string_lossy()),
            ),
            None => String::new(),
        };
        let spec = format!(
            "{{\"inputs\":{},\"map_args\":{},\"result\":{},\"partitions\":{},\"per_input\":{}{output}}}",
            json_list(&inputs),
            json_list(&utf8_map.to_args()),
            json_string(&result.to_string_lossy()),
            job.partitioner.count(),
            job.map.keys().names_file(),
        );
        let exe = std::env::current_exe().map_err(|e| Error::Job(format!("cannot find the mrwc executable: {e}")))?;
        let log_path = work.path().join("spark.log");
        let log = interrupt::creating(|| fs::File::create(&log_path)).map_err(|e| temp_err(&log_path, e))?;

        let mut cmd = Command::new(&submit);
        cmd.args(["--master", &self.master]);
        cmd.args(["--conf", &format!("spark.local.dir={}", work.path().display())]);
        cmd.args(["--conf", "spark.ui.showConsoleProgress=false"]);
        if self.master.starts_with("local") {
            cmd.env("SPARK_LOCAL_IP", "127.0.0.1");
            for conf in ["spark.driver.bindAddress=127.0.0.1", "spark.driver.host=127.0.0.1", "spark.ui.enabled=false"]
            {
                cmd.args(["--conf", conf]);
            }
        }
        cmd.arg("--files").arg(&exe).arg(&driver).arg(&spec);
        // A pip-installed spark-submit runs the Python next to it: its directory goes first.
        if let Some(bin) = submit.parent() {
            let path = std::env::var_os("PATH").unwrap_or_default();
            let joined = std::env::join_paths(std::iter::once(bin.to_path_buf()).chain(std::env::split_paths(&path)));
            if let Ok(joined) = joined {
                cmd.env("PATH", joined);
            }
        }
        cmd.stdin(Stdio::null()).stdout(log.try_clone().map_err(|e| temp_err(&log_path, e))?).stderr(log);
        let status = cmd
            .status()
            .map_err(|e| Error::Job(format!("-r spark: cannot run {}: {}", quote_path(&submit), io_reason(&e))))?;
        let done = match &job.part_files {
            // Spark's committer writes its _SUCCESS last; the driver commits a URL itself.
            Some(PartFiles { to: PartsTo::Staging(dir), .. }) => dir.join("_SUCCESS").is_file() && stats.is_file(),
            Some(PartFiles { to: PartsTo::Url { .. }, .. }) => stats.is_file(),
            None => result.is_file(),
        };
        if !status.success() || !done {
            let cause = last_error_line(&log_path).unwrap_or_else(|| "see Spark's log".into());
            return Err(Error::Job(format!("-r spark: spark-submit failed ({status}): {cause}")));
        }
        counters.phases.push(("spark", started.elapsed()));
        counters.reduce_partitions = job.partitioner.count() as u64;
        if let Some(parts) = &job.part_files {
            let text = fs::read_to_string(&stats).map_err(|e| Error::temp_dir(&stats, &e))?;
            let numbers: Vec<u64> = text.split_whitespace().filter_map(|n| n.parse().ok()).collect();
            let [distinct, written] = numbers[..] else {
                return Err(Error::Job(format!("-r spark: malformed part statistics: {}", text.trim())));
            };
            counters.distinct_words = distinct;
            let dir = match &parts.to {
                PartsTo::Staging(dir) => Some(dir.clone()),
                PartsTo::Url { .. } => None,
            };
            return Ok(Reduced::Written { dir, parts: job.partitioner.count(), written });
        }

        let started = Instant::now();
        let reduced = load(&result, job.partitioner, job.map.keys())?;
        counters.distinct_words = reduced.iter().map(|r| r.len() as u64).sum();
        counters.phases.push(("load", started.elapsed()));
        Ok(Reduced::Memory(reduced))
    }
}

/// Reads the driver's `key<TAB>count` lines into partitions (a key appears once); a key in
/// text form (see [`crate::keys`]) becomes a key with a header again, its document the input
/// index `mrwc map` was given.
fn load(path: &Path, by: Partitioner, keys: Keys) -> Result<Vec<Records>> {
    let file = fs::File::open(path).map_err(|e| Error::temp_dir(path, &e))?;
    let mut tables: Vec<CountTable> = (0..by.count()).map(|_| CountTable::default()).collect();
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line).map_err(|e| Error::temp_dir(path, &e))?;
        if n == 0 {
            break;
        }
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        let bad = || Error::Job(format!("-r spark: malformed result line: {}", String::from_utf8_lossy(text)));
        let tab = text.iter().rposition(|&b| b == b'\t').ok_or_else(bad)?;
        let count = std::str::from_utf8(&text[tab + 1..]).ok().and_then(|c| c.parse().ok()).ok_or_else(bad)?;
        let mut key = &text[..tab];
        let with_header;
        if !keys.plain() {
            let (word, name, tag) = Keys::parse_text(key).ok_or_else(bad)?;
            let doc = match keys.names_file() {
                true => std::str::from_utf8(name).ok().and_then(|n| n.parse().ok()).ok_or_else(bad)?,
                false => 0,
            };
            with_header = [&keys.header(doc, tag)[..], word].concat();
            key = &with_header;
        }
        tables[by.of(key)].add(key, count).map_err(|e| Error::Job(e.to_string()))?;
    }
    Ok(tables.into_iter().map(CountTable::into_records).collect())
}

fn last_error_line(log: &Path) -> Option<String> {
    let text = fs::read_to_string(log).ok()?;
    // Not a stack frame (`at ...`, `... 12 more`): the message of the last error raised.
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("at ") && !l.starts_with("..."))
        .collect();
    let line = lines
        .iter()
        .rev()
        .find(|l| l.contains("Error: ") || l.contains("Exception: ") || l.contains("error:"))
        .or(lines.last())?;
    Some(line.chars().take(300).collect())
}

/// A JSON string, escaped by the output stage's JSON writer.
fn json_string(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len() + 2);
    crate::output::format::write_json_string(&mut out, s.as_bytes(), false).expect("writing to a Vec");
    String::from_utf8(out).expect("JSON of UTF-8 is UTF-8")
}

fn json_list(items: &[String]) -> String {
    format!("[{}]", items.iter().map(|s| json_string(s)).collect::<Vec<_>>().join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(json_list(&["a\"b".into(), "c\\d\n".into()]), r#"["a\"b","c\\d\n"]"#);
    }

    #[test]
    fn a_missing_spark_submit_says_how_to_get_it() {
        let err = find_submit(Some(Path::new("/no/such/spark-submit"))).unwrap_err().to_string();
        assert!(err.contains("No such file"), "{err}");
    }

    #[test]
    fn the_error_line_is_a_message_not_a_stack_frame() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("spark.log");
        let text = "INFO starting\norg.apache.spark.SparkException: Job aborted: Task 0 failed 4 times\n\tat \
                    org.apache.spark.util.SparkErrorUtils.tryWithSafeFinally(SparkErrorUtils.scala:83)\n\t... 12 more\n";
        fs::write(&log, text).unwrap();
        assert_eq!(
            last_error_line(&log).unwrap(),
            "org.apache.spark.SparkException: Job aborted: Task 0 failed 4 times"
        );
    }

    #[test]
    fn results_load_into_their_partitions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.tsv");
        fs::write(&path, b"a\t3\nb\t1\nx\xff\t2\n").unwrap();
        let parts = load(&path, Partitioner::hash(3), Keys::default()).unwrap();
        assert_eq!(parts.iter().map(Records::len).sum::<usize>(), 3);
        for (p, records) in parts.iter().enumerate() {
            assert!(records.iter().all(|(w, _)| crate::partition::partition_of(w, 3) == p));
        }
    }
}
