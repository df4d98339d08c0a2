//! `greeting-server`: the Sessions chapter's Flask greeting server, in Rust.
//!
//! ```text
//! greeting-server [serve] [--bind 127.0.0.1] [--port 5000] [--secret-key KEY] [--user NAME:PASSWORD]...
//!                 [--static DIR] [--allow-origin ORIGIN]... [--www-authenticate] [--no-teaching]
//!                 [--classroom] [--reveal-secret-key] [--read-timeout SECS]
//! greeting-server decode COOKIE [--secret-key KEY]... [--json]
//! greeting-server sign JSON --secret-key KEY [--timestamp UNIX_SECS]
//! ```
//!
//! The chapter's exchange, byte for byte where it matters:
//!
//! * `GET /greeting` with Basic auth answers `{"message": "Welcome, cobra!"}` and sets
//!   `session=PAYLOAD.TIMESTAMP.SIGNATURE; HttpOnly; Path=/`, a Flask session cookie that a Flask
//!   app with the same secret key accepts (and vice versa); sent back, it gives
//!   `"Welcome back, cobra! This is visit #2."`. Headers come in the chapter's order
//!   (`Content-Type`, `Content-Length`, `Vary`, `Set-Cookie`, `Server`, `Date`) and the body is
//!   Flask's pretty JSON, so `Content-Length` is 35, then 58.
//! * `GET /user` answers the user's record; wrong or missing credentials get 401 and `{}`.
//! * `/playground/api/*` serves the playground page: server info, the exchange side channel
//!   (Server-Sent Events), and resetting or planting the HttpOnly session cookie.
//!
//! The rules live in `greeting_core` (pure, also compiled to wasm32 for the page's simulated
//! server); this crate is the HTTP around them. Layout, as in axum's examples: [`app`] (state,
//! router), [`handlers`], [`error`] (an error type that is a response), [`events`] (the side
//! channel and the per-exchange layer), [`cors`], [`edge`] (the layer every response passes
//! through), [`log`] (the exchange line), [`serve`] (the accept loop), [`tools`] (the
//! subcommands).

mod app;
mod cli;
mod cors;
mod edge;
mod error;
mod events;
mod handlers;
mod http;
mod log;
mod serve;
mod sessions;
mod tools;

use clap::Parser;
use cli::{Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => run_server(cli.serve),
        Some(Command::Serve(args)) => run_server(args),
        Some(Command::Decode(args)) => tools::decode(args),
        Some(Command::Sign(args)) => tools::sign(args),
    }
}

fn run_server(args: cli::ServeArgs) -> ExitCode {
    log::init();
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
    match runtime.block_on(serve::serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("greeting-server: {e}");
            ExitCode::FAILURE
        }
    }
}
