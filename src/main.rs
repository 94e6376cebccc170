//! The `mrwc` binary: its exit status is the job's outcome. Nothing else lives here.

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(mrwc::main_status(std::env::args_os()))
}
