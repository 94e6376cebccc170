//! One job from start to end, batch or online: plan the inputs, build the runner, prepare the
//! output, run map/shuffle/reduce, write and commit the result, report counters. Every check
//! that can fail without reading the data (flags, inputs, the output location, the runner's
//! tools) happens before the first map task starts. This is the only place that sets a job up
//! and tears it down; online mode differs only in who drives map and reduce.

use std::time::Instant;

use crate::config::Config;
use crate::counters::Counters;
use crate::error::{Error, Result};
use crate::input::{self, OnError, WalkOptions};
use crate::interrupt;
use crate::online;
use crate::output::{self, OutputSpec, OutputTarget, Sink};
use crate::progress::Progress;
use crate::report;
use crate::runner::{PartFiles, PartsTo};

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
    run_with(config, Signals::Handle)
}

/// Who handles SIGINT and SIGTERM while a job runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signals {
    /// mrwc: they stop the job, remove what it was writing and end the process (130, 143).
    Handle,
    /// The process's owner (a library caller): the job installs nothing and stops when
    /// [`interrupt::cancel`] is called.
    Leave,
}

/// [`run`], with the signal handling of `signals`.
pub fn run_with(config: &Config, signals: Signals) -> Result<Outcome> {
    let urls = config.runner.urls && config.online.is_none();
    let plan = input::plan(&config.inputs, WalkOptions { recursive: config.recursive, follow: config.follow, urls });
    if !plan.errors.is_empty() && !config.keep_going {
        return Err(Error::BadInputs(plan.errors));
    }
    for e in &plan.errors {
        crate::error::diag(e);
    }
    if let Some(settings) = &config.online {
        online::check(&plan, settings, config.map.encoding)?;
    }
    let runner = config.build_runner(&plan)?;
    if signals == Signals::Handle {
        interrupt::install();
    }
    let sink = Sink::prepare(&config.output)?;
    let stats_sink = config.stats_json.as_ref().map(Sink::prepare).transpose()?;
    let report_sink = config.report.as_ref().map(Sink::prepare).transpose()?;

    let on_error = OnError::new(config.keep_going);
    // Online mode shows its own snapshots, never a progress bar.
    let bar = config.progress && config.online.is_none();
    // Decoded text is longer or shorter than its bytes: under --encoding the size is unknown.
    let sized = bar && config.map.encoding == crate::input::encoding::EncodingArg::Utf8;
    let total = if sized { plan.text_bytes() } else { None };
    let progress = Progress::new(bar && total.is_none_or(|n| n >= 16 << 20), total);
    // An input's index: its source's, or, for URLs (-r spark), after the sources.
    let urls = plan.urls.iter().map(|u| u.as_bytes().to_vec());
    let names: Vec<Vec<u8>> = plan.sources.iter().map(|s| s.file_column()).chain(urls).collect();
    let spec = OutputSpec {
        sort: config.sort,
        top: config.top,
        min_count: config.min_count,
        format: config.format,
        parallel: runner.pool().is_some(),
        budget: config.budget,
        keys: config.map.keys(),
        columns: config.columns,
        names: &names,
        partitioner: config.partitioner,
        total_order: config.total_order,
    };
    let mut job = config.job(&plan, &on_error, &progress);
    let to = match &sink {
        Sink::Dir(_) => sink.staging().map(|staging| PartsTo::Staging(staging.join("engine-output"))),
        Sink::Url { url, force } => Some(PartsTo::Url { url: url.clone(), force: *force }),
        _ => None,
    };
    job.part_files = to.filter(|_| config.parts_by_engine()).map(|to| PartFiles {
        to,
        part_args: output::part_args(&spec),
        top: config.top,
        min_count: config.min_count,
        total_order: config.total_order,
    });
    let mut counters = Counters { runner: config.runner.name, workers: runner.workers(), ..Counters::default() };

    let reduced = match config.online {
        None => {
            let reduced = runner.run(&job, &mut counters);
            progress.finish();
            let reduced = reduced?;
            counters.input_files = (plan.file_count() as u64).saturating_sub(on_error.skipped());
            reduced
        }
        Some(settings) => {
            counters.runner = "online";
            counters.workers = config.jobs;
            let mode = online::Mode {
                online: settings,
                mappers: config.jobs,
                format: config.format,
                final_to_stdout: matches!(config.output, OutputTarget::Stdout),
                pool: runner.pool(),
            };
            match online::run(&job, &mode, &mut counters)? {
                Some(reduced) => reduced,
                // The reader of stdout went away (`| head`): a normal, silent end.
                None => return Ok(Outcome::Complete),
            }
        }
    };
    counters.skipped_inputs = on_error.skipped();
    // Decoding done in this process (the procs workers' own is in their map statistics).
    counters.map.undecodable += config.decoding.undecodable();
    counters.encodings = config.decoding.encodings();

    // Gathered first: the output stage orders the records in place and consumes them.
    let summary = match report_sink {
        Some(_) => {
            let started = Instant::now();
            let summary = report::Summary::gather(&reduced, config.map.keys(), &names)?;
            counters.phases.push(("report", started.elapsed()));
            Some(summary)
        }
        None => None,
    };
    let started = Instant::now();
    counters.output_records = match runner.pool() {
        Some(pool) => pool.install(|| output::write(reduced, &spec, sink)),
        None => output::write(reduced, &spec, sink),
    }?;
    counters.phases.push(("output", started.elapsed()));
    if config.stats {
        crate::error::stderr_text(&counters.report());
    }
    if let Some(sink) = stats_sink {
        sink.write_one(|out| out.write_all(counters.to_json().as_bytes()))?;
    }
    if let (Some(sink), Some(summary)) = (report_sink, summary) {
        let page = report::render(&summary, &counters, &title(&plan));
        sink.write_one(|out| out.write_all(page.as_bytes()))?;
    }
    let skipped = plan.errors.len() as u64 + counters.skipped_inputs;
    Ok(if skipped > 0 { Outcome::Partial } else { Outcome::Complete })
}

/// The report's title: the inputs, the first few by name.
fn title(plan: &input::Plan) -> String {
    let names: Vec<String> = plan.sources.iter().map(|s| s.name.clone()).chain(plan.urls.iter().cloned()).collect();
    match names.len() {
        0 => "no input".into(),
        1..=3 => names.join(", "),
        n => format!("{} and {} more inputs", names[..3].join(", "), n - 3),
    }
}
