//! The server's log: `tracing` events on stderr through `tracing_subscriber::fmt`, in fmt's
//! default format without targets (`2026-11-26T03:38:06.123456Z  INFO exchange seq=1 ...`),
//! colours only for a person at a terminal. One line per exchange is logged under
//! [`EXCHANGE_TARGET`] (tests/log_line.rs checks it).

use tracing::field::{Field, Visit};
use tracing::{Level, Subscriber};
use tracing_subscriber::field::{MakeExt, VisitOutput};
use tracing_subscriber::fmt::format::{debug_fn, DefaultVisitor, Writer};
use tracing_subscriber::fmt::MakeWriter;

/// The target of the exchange line (not printed).
pub const EXCHANGE_TARGET: &str = "greeting_server::exchange";

/// The log as the binary sets it up: INFO and above to `writer`, with colours when `ansi`.
pub fn subscriber<W>(writer: W, ansi: bool) -> Box<dyn Subscriber + Send + Sync + 'static>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let log = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_target(false)
        .with_ansi(ansi)
        .with_max_level(Level::INFO);
    if ansi {
        return Box::new(log.finish());
    }
    // Without colours, fmt's own field formatting still paints every name and `=` in an empty
    // style; `name=value` written directly is the same text for less (bench/PROFILE-NOTES.md).
    Box::new(
        log.fmt_fields(debug_fn(plain_field).delimited(" "))
            .finish(),
    )
}

/// One field as fmt's default writes it without colours: the message as it is (its control
/// characters escaped by fmt's own visitor), any other field `name=value` with the value's
/// `Debug` (a `str` quoted and escaped).
fn plain_field(
    writer: &mut Writer<'_>,
    field: &Field,
    value: &dyn std::fmt::Debug,
) -> std::fmt::Result {
    if field.name() == "message" {
        let mut visitor = DefaultVisitor::new(writer.by_ref(), true);
        visitor.record_debug(field, value);
        visitor.finish()
    } else {
        write!(writer, "{field}={value:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;

    /// The lines after their timestamps of a few events of every kind of field, as `subscriber`
    /// writes them into a scratch file.
    fn lines_of<S>(subscriber: impl FnOnce(File) -> S, name: &str) -> Vec<String>
    where
        S: Subscriber + Send + Sync + 'static,
    {
        let path =
            std::env::temp_dir().join(format!("greeting-server-{}-{name}.log", std::process::id()));
        let file = File::create(&path).unwrap();
        tracing::subscriber::with_default(subscriber(file), || {
            let client = std::net::SocketAddr::from(([127, 0, 0, 1], 50000));
            tracing::info!(target: EXCHANGE_TARGET, seq = 1u64, client = %client, status = 200u16, user = "cob\"ra", visit = 2u64, "exchange");
            tracing::warn!(
                "refused from {client}: the host {:?} \u{1b}[31m\u{9b}",
                "evil\u{1b}"
            );
            tracing::info!(flag = true, ratio = 0.5, debugged = ?Some("x"), "with {} args", 2);
            tracing::info!(only = "fields, no message");
        });
        let text = std::fs::read_to_string(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        text.lines().map(|line| line[27..].to_string()).collect()
    }

    #[test]
    fn plain_lines_are_fmts_default_lines() {
        let ours = lines_of(|file| subscriber(file, false), "plain");
        let default = lines_of(
            |file| {
                tracing_subscriber::fmt()
                    .with_writer(file)
                    .with_target(false)
                    .with_ansi(false)
                    .with_max_level(Level::INFO)
                    .finish()
            },
            "default",
        );
        assert_eq!(ours.len(), 4, "{ours:?}");
        assert_eq!(ours, default);
        assert_eq!(
            ours[0],
            "  INFO exchange seq=1 client=127.0.0.1:50000 status=200 user=\"cob\\\"ra\" visit=2"
        );
        // The message's control characters escaped, as fmt's default does.
        assert!(ours[1].contains("\\x1b[31m"), "{}", ours[1]);
    }
}
