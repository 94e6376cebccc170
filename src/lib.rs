//! mrwc: a MapReduce word-count engine.
//!
//! A job walks through the stages in one direction ([`job`] sets it up and tears it down):
//!
//! ```text
//!  cli ──► config ──► job ──► runner (local | threads | procs | spark) or online mode
//!                                │ drives
//!    input ─► split ─► map (tokenize + combine) ─► partition ─► shuffle ─► reduce ─► output/commit
//!                      MapWorker, spills by budget                                  └─► counters
//! ```
//!
//! - [`input`] expands arguments into sources and opens them (mmap, or read() as a fallback);
//! - [`split`] cuts sources into chunks on token boundaries: each chunk is a map task;
//! - [`tokenize`] cuts a chunk into words; a [`map::MapWorker`] counts them into its combining
//!   [`table`] (in-mapper combining), spilling ([`spill`]) past its share of the [`budget`];
//! - [`partition`] sends each combined word to reducer `hash(word) mod R`; [`shuffle`] regroups
//!   the lists by partition; [`reduce`] merges each partition, in memory or from disk;
//! - [`output`] orders, formats and commits the result atomically.
//! - [`online`] runs the same stages on input that keeps arriving (`--online`): micro-batches
//!   into running totals, with snapshots.
//!
//! `docs/design.md` describes the whole; `CONTRIBUTING.md` says where to add a format, a
//! tokenizer, a runner, a partitioner or a counting option.
//!
//! A stage never knows which runner drives it; a runner only schedules.

pub mod budget;
pub mod cli;
pub mod config;
pub mod counters;
pub mod error;
pub mod gen;
pub mod input;
pub mod interrupt;
pub mod job;
pub mod keys;
pub mod map;
pub mod online;
pub mod output;
pub mod owner;
pub mod partition;
pub mod progress;
pub mod records;
pub mod reduce;
pub mod report;
pub mod runfile;
pub mod runner;
pub mod shuffle;
pub mod spill;
pub mod split;
pub mod streaming;
pub mod table;
pub mod tokenize;
pub mod units;

use std::ffi::OsString;
use std::io::{self, Write};

use clap::{CommandFactory, Parser};

pub use error::{Error, Result};
pub use job::Outcome;

/// Runs a command line as the `mrwc` binary does (the Python package's `mrwc` command too) and
/// returns its exit status: 0, 1 when `--keep-going` skipped inputs, or the error's
/// [`Error::exit_code`] after its one-line message on stderr.
pub fn main_status<I: IntoIterator<Item = OsString>>(args: I) -> u8 {
    let outcome = run_cli(args);
    // Once SIGINT or SIGTERM has started tearing the job down, the signal thread ends the
    // process with 130 or 143; what the job returned while being torn down (a killed worker, a
    // removed work directory) must not race it with a message and another status.
    interrupt::wait_if_interrupted();
    match outcome {
        Ok(Outcome::Complete) => 0,
        Ok(Outcome::Partial) => 1,
        Err(err) => {
            error::diag(&err);
            err.exit_code()
        }
    }
}

/// Parses the command line and runs what it asks for. Usage errors, `--help` and `--version`
/// are handled by clap, which prints and exits (status 2 for usage errors).
pub fn run_cli<I: IntoIterator<Item = OsString>>(args: I) -> Result<Outcome> {
    let cli = cli::Cli::parse_from(args);
    match cli.command {
        Some(cli::Command::Completions { shell }) => print_generated(|out| {
            clap_complete::generate(shell, &mut cli::Cli::command(), "mrwc", out);
            Ok(())
        }),
        Some(cli::Command::Man) => print_generated(|out| clap_mangen::Man::new(cli::Cli::command()).render(out)),
        Some(cli::Command::Gen(args)) => {
            let (spec, output) = config::gen_spec(&args)?;
            interrupt::install();
            gen::generate(&spec, output::Sink::prepare(&output)?)?;
            Ok(Outcome::Complete)
        }
        Some(cli::Command::Map(args)) => streaming::map(&args).map(|()| Outcome::Complete),
        Some(cli::Command::Reduce(args)) => streaming::reduce(&args).map(|()| Outcome::Complete),
        Some(cli::Command::Clean { dirs }) => {
            let (report, result) = owner::clean_dirs(&dirs);
            print_generated(|out| out.write_all(report.as_bytes()))?;
            result.map(|()| Outcome::Complete)
        }
        Some(cli::Command::Worker(args)) => runner::procs::worker::run(&args).map(|()| Outcome::Complete),
        Some(cli::Command::Part(args)) => runner::spark::part::run(&args).map(|()| Outcome::Complete),
        None if cli.count.map.filter.stopwords.iter().any(|s| s == "list") => {
            print_generated(|out| out.write_all(map::stopword_codes().as_bytes()))
        }
        None => job::run(&config::Config::from_cli(&cli.count)?),
    }
}

fn print_generated(render: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<Outcome> {
    output::Sink::Stdout.write_one(render)?;
    Ok(Outcome::Complete)
}
