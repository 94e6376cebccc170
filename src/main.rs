//! The `mrwc` binary: turns a job's outcome into an exit status. Nothing else lives here.

use std::process::ExitCode;

use mrwc::Outcome;

fn main() -> ExitCode {
    let outcome = mrwc::run_cli(std::env::args_os());
    // Once SIGINT or SIGTERM has started tearing the job down, the signal thread ends the
    // process with 130 or 143; what the job returned while being torn down (a killed worker, a
    // removed work directory) must not race it with a message and another status.
    mrwc::interrupt::wait_if_interrupted();
    match outcome {
        Ok(Outcome::Complete) => ExitCode::SUCCESS,
        Ok(Outcome::Partial) => ExitCode::from(1),
        Err(err) => {
            mrwc::error::diag(&err);
            ExitCode::from(err.exit_code())
        }
    }
}
