//! One job from start to end: plan the inputs, prepare the output, run the runner, write and
//! commit the result, report counters. Every check that can fail without reading the data
//! (flags, inputs, the output location) happens before the first map task starts.

use std::time::Instant;

use crate::config::Config;
use crate::counters::Counters;
use crate::error::{Error, Result};
use crate::input::{self, WalkOptions};
use crate::interrupt;
use crate::output::{self, OutputSpec, Sink};
use crate::progress::Progress;
use crate::runner::{Job, Runner};

/// How a job that did not fail ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every input was counted.
    Complete,
    /// `--keep-going` skipped some inputs; the rest were counted.
    Partial,
}

/// Runs a counting job. Warnings (inputs skipped under `--keep-going`) go to stderr as they
/// happen; the result goes where the config says.
pub fn run(config: &Config) -> Result<Outcome> {
    if let Some(online) = config.online {
        return crate::online::run(config, online);
    }
    let urls = config.runner == crate::config::RunnerKind::Spark;
    let plan = input::plan(&config.inputs, WalkOptions { recursive: config.recursive, follow: config.follow, urls });
    if !plan.errors.is_empty() && !config.keep_going {
        return Err(Error::BadInputs(plan.errors));
    }
    for e in &plan.errors {
        crate::error::diag(e);
    }
    let runner = Runner::new(config, &plan)?;
    interrupt::install();
    let sink = Sink::prepare(&config.output)?;

    let total = if config.progress { plan.text_bytes() } else { None };
    let big_enough = total.is_none_or(|n| n >= 16 << 20);
    let progress = Progress::new(config.progress && big_enough, total);
    let warn = |e: &Error| crate::error::diag(e);
    let job = Job { config, plan: &plan, progress: &progress, warn: &warn };
    let mut counters = Counters { runner: runner.name().to_string(), workers: runner.workers(), ..Counters::default() };

    let partitions = runner.run(&job, &mut counters);
    progress.finish();
    let partitions = partitions?;
    counters.input_files = (plan.file_count() as u64).saturating_sub(counters.skipped_inputs);

    let started = Instant::now();
    let spec = OutputSpec {
        sort: config.sort,
        top: config.top,
        min_count: config.min_count,
        format: config.format,
        parallel: matches!(runner, Runner::Threads(_)) && runner.workers() > 1,
        budget: config.max_memory,
    };
    counters.output_records = runner.install(|| output::write(&partitions, &spec, sink))?;
    counters.phases.push(("output", started.elapsed()));
    if config.stats {
        crate::error::stderr_text(&counters.report());
    }
    let skipped = plan.errors.len() as u64 + counters.skipped_inputs;
    Ok(if skipped > 0 { Outcome::Partial } else { Outcome::Complete })
}
