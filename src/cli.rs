//! Raw command-line flags, as clap parses them. Nothing here is validated beyond what clap's
//! types check: [`crate::config::Config::from_cli`] turns these into a checked configuration
//! before any work starts. The doc comments below are the `--help` text.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::gen::Script;
use crate::output::{Format, SortOrder};
use crate::runner::RunnerArgs;
use crate::units;

#[derive(Debug, Parser)]
#[command(
    name = "mrwc",
    version,
    about = "Count word frequencies as a MapReduce job: split, map, shuffle, reduce.",
    long_about = "Count word frequencies in files, directory trees and stdin as a MapReduce job \
                  on one machine: inputs are split into chunks on token boundaries, each chunk is \
                  a map task that tokenizes and combines in a hash table, the combined counts are \
                  hash-partitioned, each partition is reduced, and the result is sorted and \
                  written.\n\nA file whose name is also a subcommand (map, reduce, gen, clean, man, completions) can be \
                  given as ./NAME.",
    args_conflicts_with_subcommands = true,
    after_help = "Exit status: 0 success, 1 the job failed while running or --keep-going \
                  skipped inputs, 2 usage error or unreadable input (nothing was counted), \
                  130/143 interrupted by SIGINT/SIGTERM."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub count: CountArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a shell completion script on stdout.
    Completions {
        /// The shell to generate completions for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) on stdout: `mrwc man | man -l -`.
    Man,
    /// Write a reproducible synthetic corpus: lines of words drawn from a Zipf distribution
    /// over a generated vocabulary. The same arguments give the same bytes on every machine.
    Gen(GenArgs),
    /// Hadoop Streaming mapper: text on stdin, `word<TAB>count` lines on stdout (combined).
    Map(crate::streaming::MapArgs),
    /// Hadoop Streaming reducer or combiner: `word<TAB>count` lines in, summed per word out.
    Reduce(crate::streaming::ReduceArgs),
    /// Remove what runs killed outright (SIGKILL, a crash, a power cut) left in DIR: work
    /// directories `mrwc-job-*`, output staging directories `.mrwc-out-*` and `-o` temp files
    /// `.mrwc-*.tmp` whose owner is gone. What a running job owns is kept (it holds a lock on
    /// it), and nothing else in DIR is touched. Jobs never do this themselves.
    Clean {
        /// Directories to clean (default: the system temp directory, as --tmp-dir).
        #[arg(value_name = "DIR")]
        dirs: Vec<std::path::PathBuf>,
    },
    /// A worker process of `-r procs` (started by mrwc itself).
    #[command(hide = true)]
    Worker(crate::runner::procs::worker::WorkerArgs),
    /// A Spark executor's writer of one `--output-dir` part file (started by `-r spark`).
    #[command(hide = true)]
    Part(crate::runner::spark::part::PartArgs),
}

#[derive(Debug, Args)]
pub struct GenArgs {
    /// Bytes to write, at most (e.g. 100M, 1G); whole lines only.
    #[arg(long, value_name = "SIZE", default_value = "100M", value_parser = units::size)]
    pub size: usize,
    /// Distinct words in the vocabulary.
    #[arg(long, value_name = "N", default_value_t = 200_000)]
    pub vocab: usize,
    /// Zipf exponent s: the word of rank r is drawn with weight 1/r^s (0 = uniform).
    #[arg(long, value_name = "S", default_value_t = 1.0)]
    pub zipf: f64,
    /// Seed of the generator.
    #[arg(long, value_name = "N", default_value_t = 7)]
    pub seed: u64,
    /// Writing system of the words.
    #[arg(long, value_enum, default_value_t = Script::Latin)]
    pub script: Script,
    /// Write to FILE atomically instead of stdout.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CountArgs {
    /// Files or directories to count; `-` or nothing means stdin. Directories are walked
    /// recursively in byte order of names, hidden files included. gzip, bzip2, zstd and xz
    /// data is decompressed (found by its magic bytes or a .gz/.bz2/.zst/.xz name); a UTF-8
    /// byte-order mark is skipped and UTF-16 text with a BOM is transcoded.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Map workers: threads, or processes with -r procs (default: the number of available cores).
    #[arg(short = 'j', long, value_name = "N", value_parser = units::count_up_to(crate::runner::MAX_JOBS))]
    pub jobs: Option<usize>,

    /// Memory budget of the job's tables and buffers (e.g. 512M, 2G). Past it, map workers
    /// spill sorted runs to --tmp-dir, partitions are merged from disk and the output is sorted
    /// externally. Default: half of the physical memory; at least 1M and 128K per worker.
    #[arg(long, value_name = "SIZE", value_parser = units::size)]
    pub max_memory: Option<usize>,

    /// Tests only: lift the floor under --max-memory, so small inputs spill.
    #[arg(long, hide = true)]
    pub test_tiny_budget: bool,

    /// Directory for work files: spills, and the procs runner's shuffle (default: the system
    /// temp directory).
    #[arg(long, value_name = "DIR")]
    pub tmp_dir: Option<PathBuf>,

    #[command(flatten)]
    pub partition: crate::partition::PartitionArgs,

    /// Target size of a map task's chunk (e.g. 65536, 512K, 2M). Chunk edges move forward to
    /// the next token boundary, so a word or a UTF-8 character is never cut. Default: 1M, or
    /// 16M with -r procs (each task there is a round trip to a process and a set of files).
    #[arg(long, value_name = "SIZE", value_parser = units::positive_size)]
    pub chunk_size: Option<usize>,

    #[command(flatten)]
    pub map: crate::map::MapSpec,

    /// Output order: by count (descending, ties by word), by word (bytewise), by document
    /// frequency (with --df), or none. With --by-file, files come first, in input order.
    #[arg(short = 's', long, value_enum, default_value_t = SortOrder::Count)]
    pub sort: SortOrder,

    /// Keep only the N most frequent words (ties broken by word), then order them by --sort.
    #[arg(short = 'n', long, value_name = "N", value_parser = units::positive::<u64>)]
    pub top: Option<u64>,

    /// Drop words seen fewer than N times.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub min_count: u64,

    /// Output format.
    #[arg(short = 'f', long, value_enum, default_value_t = Format::Tsv)]
    pub format: Format,

    /// The output's columns, in order: a comma-separated list of file, word, count, share,
    /// rank, df (default: word,count, with file first under --by-file and df last under --df).
    #[arg(long, value_name = "LIST", value_enum, value_delimiter = ',')]
    pub columns: Option<Vec<crate::output::Column>>,

    /// Write the result to FILE atomically (a temp file in the same directory, renamed into
    /// place) instead of stdout. A device or named pipe (/dev/null) is written in place.
    #[arg(short = 'o', long, value_name = "FILE", conflicts_with = "output_dir")]
    pub output: Option<PathBuf>,

    /// Write Hadoop-style part-NNNNN files (one per partition) and an empty _SUCCESS into DIR.
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,

    /// With --output-dir: replace DIR if it exists.
    #[arg(long, requires = "output_dir")]
    pub force: bool,

    /// With --output-dir and --sort word: parts in one global order (part-00000 holds the
    /// first words), cut by word ranges instead of by hash, as Hadoop's TotalOrderPartitioner.
    #[arg(long, requires = "output_dir")]
    pub total_order: bool,

    /// Read files with read() instead of memory-mapping them. Mapping is faster, but if another
    /// process truncates a file while it is mapped, the job is stopped with an error.
    #[arg(long)]
    pub no_mmap: bool,

    /// Follow symbolic links found while walking directories (links named on the command line
    /// are always followed).
    #[arg(short = 'L', long)]
    pub follow: bool,

    /// Refuse directories instead of walking them.
    #[arg(long)]
    pub no_recursive: bool,

    /// Count the readable inputs, warn about the others, and exit 1 instead of failing.
    #[arg(short = 'k', long)]
    pub keep_going: bool,

    /// Never show the progress bar.
    #[arg(short = 'q', long)]
    pub quiet: bool,

    /// Print Hadoop-style counters and phase timings on stderr after the run.
    #[arg(long)]
    pub stats: bool,

    /// Say on stderr how each input is read (its encoding under --encoding).
    #[arg(short = 'v', long)]
    pub verbose: bool,

    /// Write the counters, phase timings, throughput, peak memory, runner and core count as
    /// one JSON object to FILE after the run (`-`: stderr); FILE is written atomically.
    #[arg(long, value_name = "FILE")]
    pub stats_json: Option<PathBuf>,

    /// Also write a self-contained HTML page about the result to FILE (atomically): counters,
    /// the most frequent words, the rank/frequency plot with its fitted Zipf exponent, word
    /// lengths, and per-file figures with --by-file or --df.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,

    /// Count a stream as it arrives: micro-batches into running totals, with a snapshot of the
    /// top words every --every. Ends at EOF, SIGINT or SIGTERM with the final totals (exit 0).
    #[arg(long, help_heading = "Online mode")]
    pub online: bool,

    /// Time between snapshots (e.g. 500ms, 2s, 1m) [default: 2s].
    #[arg(long, value_name = "DURATION", requires = "online", help_heading = "Online mode", value_parser = units::positive_duration)]
    pub every: Option<Duration>,

    /// Count over a sliding window of this length (e.g. 5m) instead of all time; counts older
    /// than the window are released.
    #[arg(long, value_name = "DURATION", requires = "online", help_heading = "Online mode", value_parser = units::positive_duration)]
    pub window: Option<Duration>,

    /// Follow files as `tail -F` does: read what is appended, and reopen a file from its start
    /// when it is rotated or truncated. Stop with SIGINT or SIGTERM.
    #[arg(long, requires = "online", help_heading = "Online mode")]
    pub tail: bool,

    // Last: each runner's flag group sets its own help heading, which clap keeps for the
    // flags that follow it.
    #[command(flatten)]
    pub runner: RunnerArgs,
}
