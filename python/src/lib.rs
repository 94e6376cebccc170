//! `mrwc._mrwc`: the Python extension module. It runs the engine in the Python process: the
//! `mrwc` command (the same code as the binary) and one counting job for `mrwc.count`, with the
//! GIL released while it counts. `python/mrwc/__init__.py` is the Python-facing API around it.

// pyo3 0.22's #[pyfunction] expands to an `.into()` of a `PyErr` into itself, which newer
// clippy flags in code that is not ours.
#![allow(clippy::useless_conversion)]

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use pyo3::exceptions::{
    PyFileNotFoundError, PyIsADirectoryError, PyKeyboardInterrupt, PyOSError, PyPermissionError, PyRuntimeError,
    PyValueError,
};
use pyo3::prelude::*;

/// Runs `argv` (its first item is the program's name) as the `mrwc` command; returns the exit
/// status. Usage errors, `--help` and `--version` exit the process, as the binary does.
#[pyfunction]
fn main(py: Python<'_>, argv: Vec<OsString>) -> u8 {
    py.allow_threads(|| mrwc::main_status(argv))
}

/// Counts `paths` with the flags of the main command (`flags`, without inputs or output
/// options); returns the records in output order as (word, count) pairs, words decoded from
/// UTF-8 with invalid bytes replaced, and the `--stats-json` object's text.
#[pyfunction]
fn count(py: Python<'_>, flags: Vec<String>, paths: Vec<PathBuf>) -> PyResult<(Vec<(String, u64)>, String)> {
    let dir = tempfile::Builder::new().prefix(".mrwc-py-").tempdir()?;
    let (out, stats) = (dir.path().join("counts.tsv"), dir.path().join("stats.json"));
    let mut argv: Vec<OsString> = vec!["mrwc".into(), "-q".into()];
    argv.extend(flags.into_iter().map(OsString::from));
    argv.extend(["-o".into(), out.clone().into(), "--stats-json".into(), stats.clone().into(), "--".into()]);
    argv.extend(paths.into_iter().map(OsString::from));
    let cli = mrwc::cli::Cli::try_parse_from(argv).map_err(|e| PyValueError::new_err(first_line(&e.to_string())))?;
    let config = mrwc::config::Config::from_cli(&cli.count).map_err(to_python)?;
    mrwc::interrupt::clear_cancel();
    let outcome = py.allow_threads(|| run_interruptibly(&config));
    outcome?.map_err(to_python)?;
    let text = std::fs::read(&out)?;
    let mut rows = Vec::new();
    for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        // Words never hold a TAB: every tokenizer cuts at it.
        let tab = line.iter().rposition(|&b| b == b'\t').ok_or_else(|| PyRuntimeError::new_err("malformed result"))?;
        let count = std::str::from_utf8(&line[tab + 1..]).ok().and_then(|c| c.parse().ok());
        let count = count.ok_or_else(|| PyRuntimeError::new_err("malformed result"))?;
        rows.push((String::from_utf8_lossy(&line[..tab]).into_owned(), count));
    }
    Ok((rows, std::fs::read_to_string(&stats)?))
}

/// Runs the job on a thread of its own while this one, every 50 ms, lets Python run its signal
/// handlers: a KeyboardInterrupt cancels the job, which stops at its next task and removes what
/// it created, and is then raised.
fn run_interruptibly(config: &mrwc::config::Config) -> PyResult<mrwc::Result<mrwc::Outcome>> {
    std::thread::scope(|scope| {
        let job = scope.spawn(|| mrwc::job::run_with(config, mrwc::job::Signals::Leave));
        let mut raised = None;
        while !job.is_finished() {
            std::thread::sleep(Duration::from_millis(50));
            if raised.is_none() {
                if let Err(e) = Python::with_gil(|py| py.check_signals()) {
                    mrwc::interrupt::cancel();
                    raised = Some(e);
                }
            }
        }
        let outcome = job.join().unwrap_or_else(|_| Err(mrwc::Error::Job("the job panicked".into())));
        match raised {
            Some(e) => Err(e),
            None => Ok(outcome),
        }
    })
}

fn first_line(text: &str) -> String {
    text.trim_end().strip_prefix("error: ").unwrap_or(text.trim_end()).to_string()
}

/// The Python exception of an mrwc error, with mrwc's message: an input that is missing is a
/// `FileNotFoundError` (an unreadable one a `PermissionError`, ...), as `open()` would raise.
fn to_python(e: mrwc::Error) -> PyErr {
    let message = e.to_string();
    let causes: Vec<&str> = match &e {
        mrwc::Error::BadInputs(lines) => lines.iter().map(|l| l.rsplit(": ").next().unwrap_or("")).collect(),
        mrwc::Error::Input { reason, .. } => vec![reason.as_str()],
        _ => Vec::new(),
    };
    let all = |cause: &str| !causes.is_empty() && causes.iter().all(|c| *c == cause);
    match e {
        mrwc::Error::Usage(_) => PyValueError::new_err(message),
        mrwc::Error::BadInputs(_) | mrwc::Error::Input { .. } if all("No such file or directory") => {
            PyFileNotFoundError::new_err(message)
        }
        mrwc::Error::BadInputs(_) | mrwc::Error::Input { .. } if all("Permission denied") => {
            PyPermissionError::new_err(message)
        }
        mrwc::Error::BadInputs(_) | mrwc::Error::Input { .. } if all("Is a directory") => {
            PyIsADirectoryError::new_err(message)
        }
        mrwc::Error::BadInputs(_) | mrwc::Error::Input { .. } => PyOSError::new_err(message),
        mrwc::Error::Output { .. } | mrwc::Error::TempDir { .. } => PyOSError::new_err(message),
        mrwc::Error::Job(_) => PyRuntimeError::new_err(message),
        mrwc::Error::Cancelled => PyKeyboardInterrupt::new_err(message),
    }
}

#[pymodule]
fn _mrwc(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(main, m)?)?;
    m.add_function(wrap_pyfunction!(count, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
