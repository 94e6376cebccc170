//! The validated configuration of one job, built from the raw flags before any work starts.
//!
//! [`Config::from_cli`] checks what no single flag's parser can (values that depend on each
//! other, such as `--max-memory` against `--jobs`); sizes and durations are parsed by
//! [`crate::units`] as the flags are read. Everything downstream can trust a `Config` (for example
//! `jobs >= 1`, `partitions` small enough for five-digit part file names). Errors name the flag
//! and the bad value. The types composed here belong to their stages' rooms; this file owns none.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use crate::budget::Budget;
use crate::cli::{CountArgs, GenArgs};
use crate::error::{Error, Result};
use crate::gen::GenSpec;
use crate::input::encoding::Decoding;
use crate::input::{InputArg, OnError, Plan};
use crate::map::MapSpec;
use crate::online::Online;
use crate::output::{self, Column, ColumnList, Format, OutputTarget, SortOrder};
use crate::partition::Partitioner;
use crate::progress::Progress;
use crate::runner::{Job, Registration, Runner, RunnerArgs, Setup};
use clap::ValueEnum;

#[derive(Debug, Clone)]
pub struct Config {
    pub inputs: Vec<InputArg>,
    pub runner: &'static Registration,
    pub runner_args: RunnerArgs,
    /// Worker count: 1 for the local runner.
    pub jobs: usize,
    pub partitioner: Partitioner,
    pub chunk_size: usize,
    pub map: MapSpec,
    pub sort: SortOrder,
    pub top: Option<usize>,
    pub min_count: u64,
    /// `--total-order`: part files cut by word ranges (see `OutputSpec::total_order`).
    pub total_order: bool,
    pub format: Format,
    /// The output's columns (`--columns`, or what `--by-file` and `--df` add).
    pub columns: ColumnList,
    pub output: OutputTarget,
    pub mmap: bool,
    pub follow: bool,
    pub recursive: bool,
    pub keep_going: bool,
    /// Show a progress bar: only when stderr is a terminal and --quiet is absent.
    pub progress: bool,
    pub stats: bool,
    /// How inputs are decoded (`--encoding`, `--verbose`), and what decoding saw.
    pub decoding: Arc<Decoding>,
    /// `--stats-json`: where the JSON statistics go (`-` is `/dev/stderr`).
    pub stats_json: Option<OutputTarget>,
    /// `--report`: where the HTML report goes.
    pub report: Option<OutputTarget>,
    /// `--max-memory`, checked against the worker count.
    pub budget: Budget,
    /// Where the job's work directory (spills, procs shuffle) is created.
    pub tmp_dir: PathBuf,
    /// `--online`: count a stream as it arrives.
    pub online: Option<Online>,
}

impl Config {
    pub fn from_cli(args: &CountArgs) -> Result<Config> {
        let runner = crate::runner::registered(&args.runner.runner);
        let jobs = match (runner.single, args.jobs) {
            (true, _) => 1,
            (false, Some(n)) => n,
            (false, None) => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        let partitioner = args.partition.partitioner(jobs).skipping(args.map.keys().header_len());
        let top = args.top.map(|n| usize::try_from(n).unwrap_or(usize::MAX));
        let output = match (&args.output, &args.output_dir) {
            (Some(file), _) => OutputTarget::File(file.clone()),
            (None, Some(dir)) if dir.to_str().is_some_and(crate::input::is_url) => {
                OutputTarget::Url { url: dir.to_string_lossy().into_owned(), force: args.force }
            }
            (None, Some(dir)) => OutputTarget::Dir { path: dir.clone(), force: args.force },
            (None, None) => OutputTarget::Stdout,
        };
        output::check_target(&output)?;
        let stats_json = match &args.stats_json {
            None => None,
            Some(p) if p.as_os_str() == "-" => Some(OutputTarget::File(PathBuf::from("/dev/stderr"))),
            Some(p) if args.output.as_ref() == Some(p) => {
                return Err(usage("--stats-json", &p.to_string_lossy(), "the same file as -o"));
            }
            Some(p) => Some(OutputTarget::File(p.clone())),
        };
        if let Some(target) = &stats_json {
            output::check_target(target)?;
        }
        let report = match &args.report {
            None => None,
            Some(p) if args.output.as_ref() == Some(p) || args.stats_json.as_ref() == Some(p) => {
                return Err(usage("--report", &p.to_string_lossy(), "the same file as -o or --stats-json"));
            }
            Some(p) => Some(OutputTarget::File(p.clone())),
        };
        if let Some(target) = &report {
            output::check_target(target)?;
        }
        let tmp_dir = args.tmp_dir.clone().unwrap_or_else(std::env::temp_dir);
        if !tmp_dir.is_dir() {
            return Err(usage("--tmp-dir", &tmp_dir.to_string_lossy(), "not a directory"));
        }
        let budget = match args.max_memory {
            None => Budget::default_for(jobs),
            Some(n) => Budget::new(n, jobs, args.test_tiny_budget)
                .map_err(|why| usage("--max-memory", &crate::units::size_text(n), &why))?,
        };
        let online = match args.online {
            false => None,
            true if !runner.in_process => {
                let why = "--online runs in this process: use -r threads (the default) or -r local";
                return Err(usage("--runner", runner.name, why));
            }
            true => Some(Online {
                every: args.every.unwrap_or(std::time::Duration::from_secs(2)),
                top: top.unwrap_or(10),
                window: args.window,
                tail: args.tail,
            }),
        };
        let mut map = args.map.clone();
        map.prepare()?;
        let columns = columns(args)?;
        let inputs = if args.inputs.is_empty() {
            vec![InputArg::Stdin]
        } else {
            let to_input = |p: &PathBuf| match p.as_os_str().as_encoded_bytes() {
                b"-" => InputArg::Stdin,
                _ => InputArg::Path(p.clone()),
            };
            args.inputs.iter().map(to_input).collect()
        };
        let config = Config {
            inputs,
            runner,
            runner_args: args.runner.clone(),
            jobs,
            partitioner,
            chunk_size: args.chunk_size.unwrap_or(runner.chunk_size),
            map,
            sort: args.sort,
            top,
            min_count: args.min_count,
            total_order: args.total_order,
            format: args.format,
            columns,
            output,
            mmap: !args.no_mmap,
            follow: args.follow,
            recursive: !args.no_recursive,
            keep_going: args.keep_going,
            progress: !args.quiet && std::io::stderr().is_terminal(),
            stats: args.stats,
            decoding: Arc::new(Decoding::new(args.map.encoding, args.verbose)),
            stats_json,
            report,
            budget,
            tmp_dir,
            online,
        };
        if config.total_order && config.sort != SortOrder::Word {
            return Err(Error::Usage("--total-order needs --sort word".into()));
        }
        if config.total_order && !output::plain_records(config.map.keys(), config.columns) {
            let why = "--total-order takes word and count records only (no --by-file, --df or --columns)";
            return Err(Error::Usage(why.into()));
        }
        if let OutputTarget::Url { url, .. } = &config.output {
            if !runner.urls {
                return Err(usage("--output-dir", url, "a URL is written by -r spark only"));
            }
            if !config.parts_by_engine() {
                let why =
                    "a URL takes word and count records only (no --by-file, --df, --columns, --report or --online)";
                return Err(usage("--output-dir", url, why));
            }
        }
        Ok(config)
    }
}

impl Config {
    /// The runner this job asks for, built for the inputs of `plan`. A single input of known
    /// size that fits in one chunk is one map task: an in-process runner then runs it on the
    /// calling thread, since starting a pool would cost more (about a millisecond) than it
    /// saves. Online mode has a stream to keep up with, so it never is one task.
    pub fn build_runner(&self, plan: &Plan) -> Result<Box<dyn Runner>> {
        let one_task = self.online.is_none()
            && match plan.sources.as_slice() {
                [only] => only.size.is_some_and(|n| n <= self.chunk_size as u64),
                _ => false,
            };
        let setup = Setup { args: &self.runner_args, jobs: self.jobs, tmp_dir: &self.tmp_dir, one_task };
        (self.runner.build)(&setup)
    }

    /// Whether the engine may write `--output-dir`'s part files itself (see
    /// [`crate::runner::PartFiles`]): the output is plain records, and nothing else in this
    /// process reads them (`--report` does; online mode writes its own).
    pub fn parts_by_engine(&self) -> bool {
        output::plain_records(self.map.keys(), self.columns) && self.report.is_none() && self.online.is_none()
    }

    /// What a runner needs of this job.
    pub fn job<'a>(&'a self, plan: &'a Plan, on_error: &'a OnError, progress: &'a Progress) -> Job<'a> {
        Job {
            plan,
            map: self.map.clone(),
            chunk_size: self.chunk_size,
            mmap: self.mmap,
            decoding: Arc::clone(&self.decoding),
            partitioner: self.partitioner,
            budget: self.budget,
            tmp_dir: &self.tmp_dir,
            on_error,
            progress,
            part_files: None,
        }
    }
}

/// Validates `mrwc gen`'s flags.
pub fn gen_spec(args: &GenArgs) -> Result<(GenSpec, OutputTarget)> {
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
    output::check_target(&output)?;
    let spec =
        GenSpec { size: args.size as u64, vocab: args.vocab, zipf: args.zipf, seed: args.seed, script: args.script };
    Ok((spec, output))
}

/// The output columns the flags ask for, checked against the counting options and the format.
fn columns(args: &CountArgs) -> Result<ColumnList> {
    let keys = args.map.keys.keys()?;
    if args.sort == SortOrder::Df && keys.df.is_none() {
        return Err(usage("--sort", "df", "sorting by document frequency needs --df"));
    }
    let asked = match &args.columns {
        Some(list) => list.clone(),
        None => ColumnList::defaults(keys).as_slice().to_vec(),
    };
    let text = || asked.iter().map(|c| c.name()).collect::<Vec<_>>().join(",");
    let columns = ColumnList::new(&asked).map_err(|why| usage("--columns", &text(), &why))?;
    if columns.contains(Column::File) && !keys.by_file {
        return Err(usage("--columns", &text(), "the file column needs --by-file"));
    }
    if columns.contains(Column::Df) && keys.df.is_none() {
        return Err(usage("--columns", &text(), "the df column needs --df"));
    }
    if columns != ColumnList::default() && matches!(args.format, Format::Mrjob | Format::Uniq) {
        let why = "this format writes a word and its count only: use tsv, csv, json or jsonl for other columns, --by-file or --df";
        return Err(usage("--format", args.format.to_possible_value().expect("a value").get_name(), why));
    }
    Ok(columns)
}

fn usage(flag: &str, value: &str, why: &str) -> Error {
    Error::Usage(format!("invalid value '{value}' for {flag}: {why}"))
}
