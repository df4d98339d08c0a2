//! The server's log: `tracing` events on stderr through `tracing_subscriber::fmt`, in fmt's
//! default format without targets (`2026-11-26T03:38:06.123456Z  INFO exchange seq=1 ...`),
//! colours only for a person at a terminal.
//!
//! The one line per exchange ([`EXCHANGE_TARGET`]) is written by [`LogFormat`] straight to the
//! same bytes; every other event, and every event when colours are on or inside a span, goes to
//! fmt's own formatter.

use std::fmt;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::{Format, Full, Writer};
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;

/// The target of the exchange line (not printed).
pub const EXCHANGE_TARGET: &str = "greeting_server::exchange";

/// The log as the binary sets it up: INFO and above to `writer`, with colours when `ansi`.
pub fn subscriber<W>(writer: W, ansi: bool) -> impl Subscriber + Send + Sync + 'static
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(ansi)
        .with_max_level(Level::INFO)
        .event_format(LogFormat::default())
        .finish()
}

/// fmt's `Full` format without targets; the exchange line written directly, because fmt's
/// field painting and visitors cost more than the rest of the report (bench/PROFILE-NOTES.md).
#[derive(Debug)]
pub struct LogFormat {
    full: Format<Full, SystemTime>,
}

impl Default for LogFormat {
    fn default() -> Self {
        LogFormat {
            full: tracing_subscriber::fmt::format().with_target(false),
        }
    }
}

impl<S, N> FormatEvent<S, N> for LogFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        if meta.target() != EXCHANGE_TARGET
            || writer.has_ansi_escapes()
            || ctx.lookup_current().is_some()
        {
            return self.full.format_event(ctx, writer, event);
        }
        if SystemTime.format_time(&mut writer).is_err() {
            writer.write_str("<unknown time>")?;
        }
        writer.write_str(match *meta.level() {
            Level::TRACE => " TRACE ",
            Level::DEBUG => " DEBUG ",
            Level::INFO => "  INFO ",
            Level::WARN => "  WARN ",
            Level::ERROR => " ERROR ",
        })?;
        let mut fields = Fields {
            writer: &mut writer,
            first: true,
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        writer.write_char('\n')
    }
}

/// An event's fields as fmt's default visitor writes them without colours: the message as it
/// is, then `name=value` (values in `Debug`), separated by spaces.
struct Fields<'a, 'w> {
    writer: &'a mut Writer<'w>,
    first: bool,
    result: fmt::Result,
}

impl Fields<'_, '_> {
    fn field(&mut self, field: &Field, value: &dyn fmt::Debug) -> fmt::Result {
        if !std::mem::take(&mut self.first) {
            self.writer.write_char(' ')?;
        }
        let name = field.name();
        if name != "message" {
            self.writer
                .write_str(name.strip_prefix("r#").unwrap_or(name))?;
            self.writer.write_char('=')?;
        }
        write!(self.writer, "{value:?}")
    }
}

impl Visit for Fields<'_, '_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.record_debug(field, &format_args!("{value}"));
        } else {
            self.record_debug(field, &value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.result.is_ok() {
            self.result = self.field(field, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;
    use std::sync::{Arc, Mutex};

    /// A `MakeWriter` that collects what tracing writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    /// The events of this server's log, exchange lines among them.
    fn emit() {
        let client = std::net::SocketAddr::from(([127, 0, 0, 1], 50000));
        let path = "/greeting?a=\"b\" c";
        tracing::info!(
            target: EXCHANGE_TARGET,
            seq = 7u64,
            client = %client,
            method = %"GET",
            path = %path,
            status = 200u16,
            user = "co\"bra\n",
            visit = 3u64,
            "exchange"
        );
        tracing::info!(target: EXCHANGE_TARGET, r#type = "x", ok = true, n = -1i64, "exchange");
        tracing::warn!("refused GET / from {client}: \u{1b}[31m");
        let span = tracing::info_span!("conn", id = 1);
        let _entered = span.enter();
        tracing::info!(target: EXCHANGE_TARGET, seq = 8u64, "exchange");
    }

    /// The same events through `LogFormat` and through fmt's own default format (no target).
    fn both(ansi: bool) -> (String, String) {
        let ours = Captured::default();
        let sink = ours.clone();
        tracing::subscriber::with_default(subscriber(move || sink.clone(), ansi), emit);
        let reference = Captured::default();
        let sink = reference.clone();
        let fmt = tracing_subscriber::fmt()
            .with_writer(move || sink.clone())
            .with_target(false)
            .with_ansi(ansi)
            .with_max_level(Level::INFO)
            .finish();
        tracing::subscriber::with_default(fmt, emit);
        (ours.text(), reference.text())
    }

    /// Each line without its timestamp (`2026-11-26T03:38:06.123456Z`, 27 characters).
    fn untimed(log: &str) -> Vec<String> {
        log.lines()
            .map(|line| {
                let start = line.find('Z').map_or(0, |z| z + 1);
                line[start..].to_string()
            })
            .collect()
    }

    #[test]
    fn the_same_bytes_as_fmts_default_format() {
        for ansi in [false, true] {
            let (ours, reference) = both(ansi);
            assert_eq!(untimed(&ours), untimed(&reference), "ansi {ansi}");
            assert_eq!(ours.lines().count(), 4, "{ours}");
        }
        let (ours, _) = both(false);
        let first = ours.lines().next().unwrap();
        let (stamp, rest) = first.split_at(27);
        assert!(
            stamp.ends_with('Z') && stamp.as_bytes()[10] == b'T',
            "{stamp}"
        );
        assert_eq!(
            rest,
            "  INFO exchange seq=7 client=127.0.0.1:50000 method=GET path=/greeting?a=\"b\" c status=200 user=\"co\\\"bra\\n\" visit=3"
        );
    }
}
