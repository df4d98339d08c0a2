//! The server's log: `tracing` events on stderr through `tracing_subscriber::fmt`, in fmt's
//! default format without targets (`2026-11-26T03:38:06.123456Z  INFO exchange seq=1 ...`),
//! colours only for a person at a terminal. One line per exchange is logged under
//! [`EXCHANGE_TARGET`] (tests/log_line.rs checks it).

use tracing::{Level, Subscriber};
use tracing_subscriber::fmt::MakeWriter;

/// The target of the exchange line (not printed).
pub const EXCHANGE_TARGET: &str = "greeting_server::exchange";

/// The log as the binary sets it up: INFO and above to `writer`, with colours when `ansi`.
pub fn subscriber<W>(writer: W, ansi: bool) -> impl Subscriber + Send + Sync + 'static
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_target(false)
        .with_ansi(ansi)
        .with_max_level(Level::INFO)
        .finish()
}
