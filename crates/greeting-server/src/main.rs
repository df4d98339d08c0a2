//! The `greeting-server` binary:
//!
//! ```text
//! greeting-server [serve] [--bind 127.0.0.1] [--port 5000] [--secret-key KEY] [--user NAME:PASSWORD]...
//!                 [--static DIR] [--allow-origin ORIGIN]... [--allow-host NAME]... [--www-authenticate]
//!                 [--no-teaching] [--classroom] [--instructor-token TOKEN] [--reveal-secret-key]
//!                 [--read-timeout SECS] [--sessions cookie|server] [--session-store memory|redis://HOST:PORT]
//! greeting-server decode COOKIE [--secret-key KEY]... [--json]
//! greeting-server sign JSON --secret-key KEY [--timestamp UNIX_SECS]
//! ```
//!
//! The server itself is the `greeting_server` library.

use clap::Parser;
use greeting_server::{logging, serve, tools, Cli, Command, ServeArgs};
use std::io::IsTerminal;
use std::process::ExitCode;

/// mimalloc: the binary's allocations cost fewer instructions than with glibc's malloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => run_server(cli.serve),
        Some(Command::Serve(args)) => run_server(args),
        Some(Command::Decode(args)) => tools::decode(args),
        Some(Command::Sign(args)) => tools::sign(args),
    }
}

fn run_server(args: ServeArgs) -> ExitCode {
    // The log, one line per exchange among them: INFO and above on stderr, colours only for a
    // person at a terminal.
    let log = logging::subscriber(std::io::stderr, std::io::stderr().is_terminal());
    if let Err(e) = tracing::subscriber::set_global_default(log) {
        eprintln!("greeting-server: cannot set up the log: {e}");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("greeting-server: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("greeting-server: {e}");
            ExitCode::FAILURE
        }
    }
}
