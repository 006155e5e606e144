//! The `herald` binary: parse the command line and hand over to [`herald::cli`].

use std::process::ExitCode;

/// mimalloc instead of the system allocator: under ingest load glibc's malloc spent a tenth of the CPU
/// growing and protecting its arenas, and it returns freed memory to the system less readily.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    herald::cli::main()
}
