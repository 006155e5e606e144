//! The `herald` binary: parse the command line and hand over to [`herald::cli`].

use std::process::ExitCode;

fn main() -> ExitCode {
    herald::cli::main()
}
