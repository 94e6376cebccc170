//! The `mrwc` binary: turns a job's outcome into an exit status. Nothing else lives here.

use std::process::ExitCode;

use mrwc::Outcome;

fn main() -> ExitCode {
    match mrwc::run_cli(std::env::args_os()) {
        Ok(Outcome::Complete) => ExitCode::SUCCESS,
        Ok(Outcome::Partial) => ExitCode::from(1),
        Err(err) => {
            mrwc::error::diag(&err);
            ExitCode::from(err.exit_code())
        }
    }
}
