//! The validated configuration of one job, built from the raw flags before any work starts.
//!
//! [`Config::from_cli`] is the only place that checks flag values; everything downstream can
//! trust a `Config` (for example `jobs >= 1`, `chunk_size >= 1`, `partitions` small enough for
//! five-digit part file names). Errors name the flag and the bad value.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::ValueEnum;

use crate::cli::{CountArgs, GenArgs};
use crate::error::{quote_path, Error, Result};
use crate::gen::GenSpec;

/// Highest partition count: part files are named `part-00000` to `part-99999`.
pub const MAX_PARTITIONS: usize = 100_000;

/// Highest `--jobs`: each job is a thread or a process with its own table and buffers; far
/// more than any machine's cores only multiplies memory and start-up.
pub const MAX_JOBS: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RunnerKind {
    /// One thread, tasks in order.
    Local,
    /// Rayon worker threads (default).
    Threads,
    /// Worker processes with an on-disk shuffle.
    Procs,
    /// Apache Spark.
    Spark,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TokenizerKind {
    /// Runs of Unicode letters, marks, numbers and `_`, with inner apostrophes (don't); a change
    /// of script ends a word; Chinese, Japanese and Thai-like runs are segmented by dictionary.
    Words,
    /// Runs of bytes that are not ASCII whitespace, punctuation included.
    Whitespace,
    /// mrjob's word-count example: Python's `[\w']+` per line (UTF-8, else latin-1).
    Mrjob,
    /// Unicode UAX #29 word boundaries; segments holding a letter or number.
    Unicode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Case {
    /// Full Unicode lowercase (ASCII fast path).
    Lower,
    /// Full Unicode case folding: `Straße` and `STRASSE` count together.
    Fold,
    /// Keep words as written.
    Keep,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Normalize {
    /// Words as they are in the input.
    None,
    /// Canonical composition: a decomposed `café` counts with the composed one.
    Nfc,
    /// Compatibility composition: also fullwidth `ＣＰＵ` -> `CPU`, ligatures, superscripts.
    Nfkc,
}

/// How text becomes words: the flags shared by the main command, `mrwc map` and the workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Args)]
pub struct TokenizerSpec {
    /// How text is cut into words.
    #[arg(short = 't', long, value_enum, default_value_t = TokenizerKind::Words)]
    pub tokenizer: TokenizerKind,
    /// Case mapping applied to each word (after --normalize).
    #[arg(long = "case", value_enum, default_value_t = Case::Lower)]
    pub case: Case,
    /// Unicode normalization applied to each word.
    #[arg(long, value_enum, default_value_t = Normalize::None)]
    pub normalize: Normalize,
}

impl TokenizerSpec {
    /// The same flags as command-line arguments, for a worker process or `mrwc map` elsewhere.
    pub fn to_args(&self) -> Vec<String> {
        vec![
            "--tokenizer".into(),
            value_name(self.tokenizer),
            "--case".into(),
            value_name(self.case),
            "--normalize".into(),
            value_name(self.normalize),
        ]
    }
}

/// The command-line spelling of an enum value.
pub fn value_name<E: ValueEnum>(value: E) -> String {
    value.to_possible_value().expect("no value is skipped").get_name().to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SortOrder {
    /// Count descending, ties by word (bytewise ascending).
    Count,
    /// Word, bytewise ascending.
    Word,
    /// No order (cheapest).
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// word<TAB>count
    Tsv,
    /// RFC 4180, with a `word,count` header and CRLF line ends.
    Csv,
    /// One JSON array of {"word":..,"count":..} objects.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// mrjob's default output protocol: JSON-encoded key, TAB, count.
    Mrjob,
}

/// One command-line input before it is opened or walked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputArg {
    Stdin,
    Path(PathBuf),
}

/// Where the result goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputTarget {
    Stdout,
    File(PathBuf),
    Dir { path: PathBuf, force: bool },
}

#[derive(Debug, Clone)]
pub struct Config {
    pub inputs: Vec<InputArg>,
    pub runner: RunnerKind,
    /// Worker count: 1 for the local runner.
    pub jobs: usize,
    pub partitions: usize,
    pub chunk_size: usize,
    pub tokenize: TokenizerSpec,
    pub sort: SortOrder,
    pub top: Option<usize>,
    pub min_count: u64,
    pub format: Format,
    pub output: OutputTarget,
    pub mmap: bool,
    pub follow: bool,
    pub recursive: bool,
    pub keep_going: bool,
    /// Show a progress bar: only when stderr is a terminal and --quiet is absent.
    pub progress: bool,
    pub stats: bool,
    /// Bytes the job's tables and buffers may hold before spilling (`--max-memory`).
    pub max_memory: usize,
    /// `--test-tiny-budget`: no floor under `max_memory` (tests only).
    pub tiny_budget: bool,
    /// Where the job's work directory (spills, procs shuffle) is created.
    pub tmp_dir: PathBuf,
    /// procs: silence after which an attempt is killed.
    pub task_timeout: std::time::Duration,
    /// procs: attempts per task.
    pub max_attempts: u32,
    /// spark: master URL.
    pub spark_master: String,
    /// spark: spark-submit given with --spark-submit.
    pub spark_submit: Option<PathBuf>,
    /// `--online`: count a stream as it arrives.
    pub online: Option<Online>,
}

/// The settings of online mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Online {
    /// Time between snapshots.
    pub every: std::time::Duration,
    /// Words per snapshot: `--top`, else 10.
    pub top: usize,
    /// Sliding window length; `None` counts all time.
    pub window: Option<std::time::Duration>,
    /// Follow files (`--tail`).
    pub tail: bool,
}

impl Config {
    pub fn from_cli(args: &CountArgs) -> Result<Config> {
        let jobs = match (args.runner, args.jobs) {
            (_, Some(0)) => return Err(usage("--jobs", "0", "must be at least 1")),
            (_, Some(n)) if n > MAX_JOBS => {
                return Err(usage("--jobs", &n.to_string(), &format!("must be at most {MAX_JOBS}")))
            }
            (RunnerKind::Local, _) => 1,
            (_, Some(n)) => n,
            (_, None) => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        let partitions = match args.partitions {
            Some(0) => return Err(usage("--partitions", "0", "must be at least 1")),
            Some(r) if r > MAX_PARTITIONS => {
                let why = format!("must be at most {MAX_PARTITIONS}");
                return Err(usage("--partitions", &r.to_string(), &why));
            }
            Some(r) => r,
            None => jobs.min(MAX_PARTITIONS),
        };
        let chunk_size = match (&args.chunk_size, args.runner) {
            (None, RunnerKind::Procs) => 16 << 20,
            (None, _) => 1 << 20,
            (Some(text), _) => match parse_size(text) {
                Some(0) => return Err(usage("--chunk-size", text, "must be at least 1")),
                Some(n) => n,
                None => {
                    let why = "expected bytes with an optional K, M or G suffix (e.g. 512K, 4M)";
                    return Err(usage("--chunk-size", text, why));
                }
            },
        };
        let top = match args.top {
            Some(0) => return Err(usage("--top", "0", "must be at least 1")),
            Some(n) => Some(usize::try_from(n).unwrap_or(usize::MAX)),
            None => None,
        };
        let output = match (&args.output, &args.output_dir) {
            (Some(file), _) => OutputTarget::File(file.clone()),
            (None, Some(dir)) => OutputTarget::Dir { path: dir.clone(), force: args.force },
            (None, None) => OutputTarget::Stdout,
        };
        check_output(&output)?;
        let tmp_dir = args.tmp_dir.clone().unwrap_or_else(std::env::temp_dir);
        if !tmp_dir.is_dir() {
            return Err(usage("--tmp-dir", &tmp_dir.to_string_lossy(), "not a directory"));
        }
        let task_timeout = parse_duration(&args.task_timeout).filter(|d| !d.is_zero()).ok_or_else(|| {
            usage("--task-timeout", &args.task_timeout, "expected a duration such as 600, 90s, 0.5s, 10m or 500ms")
        })?;
        let max_memory = match &args.max_memory {
            None => crate::spill::default_budget().max(crate::spill::budget_floor(jobs)),
            Some(text) => match parse_size(text) {
                Some(n) => {
                    crate::spill::check_budget(n, jobs, args.test_tiny_budget)
                        .map_err(|why| usage("--max-memory", text, &why))?;
                    n
                }
                None => return Err(usage("--max-memory", text, "expected bytes with a K, M or G suffix (e.g. 512M)")),
            },
        };
        if args.max_attempts == 0 {
            return Err(usage("--max-attempts", "0", "must be at least 1"));
        }
        let online = if args.online { Some(online(args, top)?) } else { None };
        let inputs = if args.inputs.is_empty() {
            vec![InputArg::Stdin]
        } else {
            let to_input = |p: &PathBuf| match p.as_os_str().as_encoded_bytes() {
                b"-" => InputArg::Stdin,
                _ => InputArg::Path(p.clone()),
            };
            args.inputs.iter().map(to_input).collect()
        };
        Ok(Config {
            inputs,
            runner: args.runner,
            jobs,
            partitions,
            chunk_size,
            tokenize: args.tokenize,
            sort: args.sort,
            top,
            min_count: args.min_count,
            format: args.format,
            output,
            mmap: !args.no_mmap,
            follow: args.follow,
            recursive: !args.no_recursive,
            keep_going: args.keep_going,
            progress: !args.quiet && std::io::stderr().is_terminal(),
            stats: args.stats,
            max_memory,
            tiny_budget: args.test_tiny_budget,
            tmp_dir,
            task_timeout,
            max_attempts: args.max_attempts,
            spark_master: args.spark_master.clone().unwrap_or_else(|| format!("local[{jobs}]")),
            spark_submit: args.spark_submit.clone(),
            online,
        })
    }
}

/// Validates the online-mode flags (clap already refused them without `--online`).
fn online(args: &CountArgs, top: Option<usize>) -> Result<Online> {
    if matches!(args.runner, RunnerKind::Procs | RunnerKind::Spark) {
        let why = "--online runs in this process: use -r threads (the default) or -r local";
        return Err(usage("--runner", &value_name(args.runner), why));
    }
    let duration = |flag: &str, text: &Option<String>, default: u64| -> Result<std::time::Duration> {
        let Some(text) = text else { return Ok(std::time::Duration::from_secs(default)) };
        parse_duration(text)
            .filter(|d| !d.is_zero())
            .ok_or_else(|| usage(flag, text, "expected a positive duration such as 500ms, 0.3s, 2s, 5m or 1h"))
    };
    let every = duration("--every", &args.every, 2)?;
    let window = match &args.window {
        None => None,
        Some(_) => Some(duration("--window", &args.window, 0)?),
    };
    Ok(Online { every, top: top.unwrap_or(10), window, tail: args.tail })
}

/// Validates `mrwc gen`'s flags.
pub fn gen_spec(args: &GenArgs) -> Result<(GenSpec, OutputTarget)> {
    let size = parse_size(&args.size)
        .ok_or_else(|| usage("--size", &args.size, "expected bytes with an optional K, M or G suffix (e.g. 1G)"))?;
    if args.vocab == 0 || args.vocab > u32::MAX as usize {
        return Err(usage("--vocab", &args.vocab.to_string(), "must be from 1 to 4294967295"));
    }
    if !(args.zipf.is_finite() && (0.0..=10.0).contains(&args.zipf)) {
        return Err(usage("--zipf", &args.zipf.to_string(), "must be from 0 to 10"));
    }
    let output = match &args.output {
        Some(path) => OutputTarget::File(path.clone()),
        None => OutputTarget::Stdout,
    };
    check_output(&output)?;
    let spec = GenSpec { size: size as u64, vocab: args.vocab, zipf: args.zipf, seed: args.seed, script: args.script };
    Ok((spec, output))
}

fn usage(flag: &str, value: &str, why: &str) -> Error {
    Error::Usage(format!("invalid value '{value}' for {flag}: {why}"))
}

/// Catches output mistakes before the job spends time counting: a missing parent directory,
/// an `-o` that names a directory, an `--output-dir` that exists without `--force` (or, with it,
/// is not a directory of mrwc's part files).
fn check_output(output: &OutputTarget) -> Result<()> {
    let (path, parent) = match output {
        OutputTarget::Stdout => return Ok(()),
        OutputTarget::File(p) | OutputTarget::Dir { path: p, .. } => (p, parent_dir(p)),
    };
    let bad = |reason: &str| Error::Usage(format!("{}: {reason}", quote_path(path)));
    // `-o LINK` writes the file the link names.
    let parent = match output {
        OutputTarget::File(p) if p.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink()) => {
            link_target(p).map(|t| parent_dir(&t)).map_err(|e| bad(&crate::error::io_reason(&e)))?
        }
        _ => parent,
    };
    if !parent.is_dir() {
        return Err(bad("parent directory does not exist"));
    }
    match output {
        OutputTarget::File(p) if p.is_dir() => Err(bad("Is a directory")),
        OutputTarget::Dir { path, force } if path.symlink_metadata().is_ok() => match force {
            false => Err(bad(crate::output::already_exists())),
            true => crate::output::check_replaceable(path).map_err(|why| bad(&why)),
        },
        _ => Ok(()),
    }
}

/// The directory a path's file lives in (`.` for a bare name).
pub fn parent_dir(path: &std::path::Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The file a symlink names, which may not exist yet: as with `sort -o`, an output is created
/// through a dangling link.
pub fn link_target(link: &std::path::Path) -> std::io::Result<PathBuf> {
    match std::fs::canonicalize(link) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let target = std::fs::read_link(link)?;
            Ok(if target.is_absolute() { target } else { parent_dir(link).join(target) })
        }
        resolved => resolved,
    }
}

/// Parses `600` (seconds), `90s`, `10m`, `1h`, `500ms`, and decimals of each (`0.3s`, `1.5m`,
/// `2.5ms`), to the nanosecond.
pub fn parse_duration(text: &str) -> Option<std::time::Duration> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() || fraction.contains('.') || fraction.len() > 9 {
        return None;
    }
    let nanos_per_unit: u128 = match unit.trim() {
        "ms" => 1_000_000,
        "" | "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return None,
    };
    let whole: u128 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let scale = 10u128.pow(fraction.len() as u32);
    let fraction: u128 = if fraction.is_empty() { 0 } else { fraction.parse().ok()? };
    let nanos = whole.checked_mul(nanos_per_unit)?.checked_add(fraction * nanos_per_unit / scale)?;
    let secs = u64::try_from(nanos / 1_000_000_000).ok()?;
    Some(std::time::Duration::new(secs, (nanos % 1_000_000_000) as u32))
}

/// Parses `4096`, `512K`, `4M`, `1G`, `2MiB`, `64kb` (binary multiples, case-insensitive).
pub fn parse_size(text: &str) -> Option<usize> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, suffix) = t.split_at(split);
    let n: usize = digits.parse().ok()?;
    let shift = match suffix.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return None,
    };
    n.checked_mul(1usize.checked_shl(shift)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_suffixes() {
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("512K"), Some(512 << 10));
        assert_eq!(parse_size("4m"), Some(4 << 20));
        assert_eq!(parse_size("2MiB"), Some(2 << 20));
        assert_eq!(parse_size("1G"), Some(1 << 30));
        assert_eq!(parse_size("1 kb"), Some(1024));
    }

    #[test]
    fn durations_parse_with_units() {
        use std::time::Duration;
        assert_eq!(parse_duration("600"), Some(Duration::from_secs(600)));
        assert_eq!(parse_duration("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Some(Duration::from_secs(600)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("0.3s"), Some(Duration::from_millis(300)));
        assert_eq!(parse_duration(".5m"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("2.5ms"), Some(Duration::from_micros(2500)));
        assert_eq!(parse_duration("1."), Some(Duration::from_secs(1)));
        for bad in ["x", ".", "1.2.3s", "-1s", "1e3", "1.0000000001s", "99999999999999999999h", "s"] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn bad_sizes_are_rejected() {
        for bad in ["", "M", "1.5M", "-1", "4X", "99999999999999999999"] {
            assert_eq!(parse_size(bad), None, "{bad:?}");
        }
    }
}
