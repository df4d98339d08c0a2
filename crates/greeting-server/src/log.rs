//! The server's log on stderr: `tracing`'s default format for every line, and the one line per
//! exchange written directly, byte for byte what `tracing` writes, without its per-event
//! formatting machinery.
//!
//! Why: under load the exchange line is written once per request, and going through
//! `tracing_subscriber::fmt` costs more than the rest of the request's own work besides the
//! cookie (visitors over `dyn Debug`, `core::fmt` for every integer, the timestamp broken down
//! from scratch each time). The direct writer keeps the line identical (a unit test formats the
//! same exchange through `tracing_subscriber` and compares) and still writes it whole, with one
//! `write(2)` to stderr and no buffer, so it is never lost at exit. It writes through its own
//! duplicate of the stderr descriptor rather than `std::io::stderr()`, whose lock would be held
//! across that system call: with two worker threads logging every request, the other thread
//! then waits on the lock (a futex sleep and wake-up per request, measured with strace). One
//! `write(2)` of a whole line needs no lock to stay whole: a pipe takes writes of up to
//! `PIPE_BUF` (4096) bytes at once, and a line here is far shorter. With colours on (stderr is a
//! terminal, a person is reading) the line goes through `tracing` as before: there speed does not
//! matter and its styling is its own.

use std::cell::RefCell;
use std::fs::File;
use std::io::{IsTerminal, Write as _};
use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// The longest path written (in characters), so a long URL cannot flood the log.
pub const MAX_LOGGED_PATH_CHARS: usize = 200;

/// Where exchange lines are written directly: a duplicate of the stderr descriptor, set once by
/// [`init`]. Unset in unit tests, on a terminal, and if the descriptor could not be duplicated:
/// then `tracing` writes the line as usual.
static DIRECT: OnceLock<File> = OnceLock::new();

/// Sets up `tracing` for stderr (INFO and above, no target, colours on a terminal) and the
/// direct writer for exchange lines when stderr is not a terminal.
pub fn init() {
    let ansi = std::io::stderr().is_terminal();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(ansi)
        .with_max_level(tracing::Level::INFO)
        .init();
    if !ansi {
        if let Ok(fd) = std::io::stderr().as_fd().try_clone_to_owned() {
            let _ = DIRECT.set(File::from(fd));
        }
    }
}

/// What one exchange line says. Never the credentials, the cookies or the key.
#[derive(Debug, Clone, Copy)]
pub struct ExchangeLine<'a> {
    pub seq: u64,
    pub client: SocketAddr,
    pub method: &'a str,
    pub path: &'a str,
    pub status: u16,
    /// `-` when nobody was authenticated.
    pub user: &'a str,
    /// 0 when no session was written.
    pub visit: u64,
}

/// Logs one exchange.
pub fn exchange(line: &ExchangeLine<'_>) {
    let path = truncate_chars(line.path, MAX_LOGGED_PATH_CHARS);
    let Some(mut stderr) = DIRECT.get() else {
        tracing::info!(
            seq = line.seq,
            client = %line.client,
            method = %line.method,
            path = %path,
            status = line.status,
            user = line.user,
            visit = line.visit,
            "exchange"
        );
        return;
    };
    thread_local! {
        // The line is built in a buffer reused by each worker thread, so writing it allocates
        // nothing once the buffer has grown to a line's size.
        static BUFFER: RefCell<LineBuffer> = const { RefCell::new(LineBuffer::new()) };
    }
    BUFFER.with(|buffer| {
        let Ok(mut buffer) = buffer.try_borrow_mut() else {
            return;
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        buffer.text.clear();
        buffer.write_timestamp(now.as_secs(), now.subsec_micros());
        write_exchange_fields(&mut buffer.text, line, path);
        // One write_all, as tracing's writer does: the line goes out whole at once. A closed
        // stderr is not the client's problem: the error is dropped, as tracing drops it.
        let _ = stderr.write_all(&buffer.text);
    });
}

/// `path`, cut after `max` characters.
fn truncate_chars(path: &str, max: usize) -> &str {
    match path.char_indices().nth(max) {
        Some((end, _)) => &path[..end],
        None => path,
    }
}

/// A line under construction, and the date and time of day of the last second it was stamped
/// with (`2026-11-26T03:38:06.`), so the calendar is worked out once per second, not per line.
struct LineBuffer {
    text: Vec<u8>,
    stamped_second: Option<u64>,
    second_prefix: Vec<u8>,
}

impl LineBuffer {
    const fn new() -> LineBuffer {
        LineBuffer {
            text: Vec::new(),
            stamped_second: None,
            second_prefix: Vec::new(),
        }
    }

    /// `2026-11-26T03:38:06.123456Z `, as tracing's `SystemTime` timer writes it.
    fn write_timestamp(&mut self, secs: u64, micros: u32) {
        if self.stamped_second != Some(secs) {
            self.second_prefix.clear();
            write_second_prefix(&mut self.second_prefix, secs);
            self.stamped_second = Some(secs);
        }
        self.text.extend_from_slice(&self.second_prefix);
        push_padded(&mut self.text, u64::from(micros), 6);
        self.text.extend_from_slice(b"Z ");
    }
}

/// `YYYY-MM-DDTHH:MM:SS.` for Unix seconds (UTC), as tracing's `DateTime` writes years 0..=9999.
fn write_second_prefix(out: &mut Vec<u8>, secs: u64) {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    if year > 9999 {
        // tracing writes `+YEAR`; never reached before the year 10000.
        let _ = write!(out, "+{year}");
    } else {
        push_padded(out, year, 4);
    }
    out.push(b'-');
    push_padded(out, month, 2);
    out.push(b'-');
    push_padded(out, day, 2);
    out.push(b'T');
    push_padded(out, rem / 3600, 2);
    out.push(b':');
    push_padded(out, rem % 3600 / 60, 2);
    out.push(b':');
    push_padded(out, rem % 60, 2);
    out.push(b'.');
}

/// Year, month (1..=12) and day (1..=31) of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, for days on or after the epoch).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// The rest of the line after the timestamp, as tracing's default format writes the event
/// `info!(seq, client = %.., method = %.., path = %.., status, user, visit, "exchange")`.
fn write_exchange_fields(out: &mut Vec<u8>, line: &ExchangeLine<'_>, path: &str) {
    out.extend_from_slice(b" INFO exchange seq=");
    push_u64(out, line.seq);
    out.extend_from_slice(b" client=");
    push_socket_addr(out, line.client);
    out.extend_from_slice(b" method=");
    out.extend_from_slice(line.method.as_bytes());
    out.extend_from_slice(b" path=");
    out.extend_from_slice(path.as_bytes());
    out.extend_from_slice(b" status=");
    push_u64(out, u64::from(line.status));
    out.extend_from_slice(b" user=");
    push_debug_str(out, line.user);
    out.extend_from_slice(b" visit=");
    push_u64(out, line.visit);
    out.push(b'\n');
}

/// A `&str` field as tracing records it: with `Debug`, so quoted and escaped.
fn push_debug_str(out: &mut Vec<u8>, s: &str) {
    let plain = s
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\');
    if plain {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // Escapes, control characters, non-ASCII: exactly `str`'s Debug, which is what tracing
        // uses. Rare (a user name with such characters), so the general path is fine.
        let _ = write!(out, "{s:?}");
    }
}

/// `127.0.0.1:5000` as `SocketAddr`'s Display writes it.
fn push_socket_addr(out: &mut Vec<u8>, addr: SocketAddr) {
    match addr {
        SocketAddr::V4(v4) => {
            let [a, b, c, d] = v4.ip().octets();
            for (i, octet) in [a, b, c, d].into_iter().enumerate() {
                if i > 0 {
                    out.push(b'.');
                }
                push_u64(out, u64::from(octet));
            }
            out.push(b':');
            push_u64(out, u64::from(v4.port()));
        }
        // IPv6 text has its own rules (zero compression, scope ids): leave it to Display.
        SocketAddr::V6(v6) => {
            let _ = write!(out, "{v6}");
        }
    }
}

fn push_u64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

/// `value` in decimal, with leading zeros up to `width` digits.
fn push_padded(out: &mut Vec<u8>, value: u64, width: usize) {
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(value);
    out.extend(std::iter::repeat_n(
        b'0',
        width.saturating_sub(digits.len()),
    ));
    out.extend_from_slice(digits.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV6};
    use std::sync::{Arc, Mutex};

    /// A `MakeWriter` that collects what tracing writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// What tracing's default format (as `init` configures it, colours off) writes for `line`.
    fn through_tracing(line: &ExchangeLine<'_>) -> String {
        let captured = Captured::default();
        let sink = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || sink.clone())
            .with_target(false)
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .finish();
        // DIRECT is never set in unit tests (`init` is not called), so `exchange` goes through
        // tracing here.
        tracing::subscriber::with_default(subscriber, || exchange(line));
        let bytes = captured.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        String::from_utf8(bytes).unwrap_or_default()
    }

    fn direct(line: &ExchangeLine<'_>, secs: u64, micros: u32) -> String {
        let mut buffer = LineBuffer::new();
        buffer.write_timestamp(secs, micros);
        write_exchange_fields(
            &mut buffer.text,
            line,
            truncate_chars(line.path, MAX_LOGGED_PATH_CHARS),
        );
        String::from_utf8(buffer.text).unwrap_or_default()
    }

    #[test]
    fn the_direct_line_is_tracings_line() {
        let long_path = format!("/{}", "é".repeat(300));
        let v6 = SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::LOCALHOST, 443, 0, 0));
        let v4 = SocketAddr::from((Ipv4Addr::new(127, 0, 0, 1), 60110));
        let cases = [
            ExchangeLine {
                seq: 1,
                client: v4,
                method: "GET",
                path: "/greeting",
                status: 200,
                user: "cobra",
                visit: 1,
            },
            ExchangeLine {
                seq: u64::MAX,
                client: SocketAddr::from((Ipv4Addr::new(10, 0, 255, 9), 0)),
                method: "POST",
                path: "/playground/api/plant",
                status: 204,
                user: "-",
                visit: 0,
            },
            ExchangeLine {
                seq: 42,
                client: v6,
                method: "DELETE",
                path: &long_path,
                status: 405,
                user: "Zoë \"Q\" \\ Ray\t",
                visit: 18_446_744_073_709_551_614,
            },
        ];
        for line in &cases {
            let traced = through_tracing(line);
            // tracing stamps its own time: compare the stamp's shape, then everything after it.
            let (stamp, rest) = traced.split_at(traced.find(' ').unwrap_or(0));
            assert_eq!(stamp.len(), "2026-11-26T03:38:06.123456Z".len(), "{traced}");
            let ours = direct(line, 1_764_128_286, 123_456);
            assert_eq!(&ours[27..], rest, "{line:?}");
        }
    }

    #[test]
    fn timestamps_like_tracings() {
        let check = |secs: u64, micros: u32, expected: &str| {
            let mut buffer = LineBuffer::new();
            buffer.write_timestamp(secs, micros);
            assert_eq!(buffer.text, format!("{expected} ").as_bytes());
        };
        check(0, 0, "1970-01-01T00:00:00.000000Z");
        check(951_782_400, 7, "2000-02-29T00:00:00.000007Z");
        check(1_764_128_286, 123_456, "2025-11-26T03:38:06.123456Z");
        check(4_107_542_399, 999_999, "2100-02-28T23:59:59.999999Z");
        check(253_402_300_799, 1, "9999-12-31T23:59:59.000001Z");
        // The cached second is reused, then replaced when the second changes.
        let mut buffer = LineBuffer::new();
        buffer.write_timestamp(59, 1);
        buffer.write_timestamp(59, 2);
        buffer.write_timestamp(60, 3);
        assert_eq!(
            String::from_utf8_lossy(&buffer.text),
            "1970-01-01T00:00:59.000001Z 1970-01-01T00:00:59.000002Z 1970-01-01T00:01:00.000003Z "
        );
    }

    #[test]
    fn paths_are_cut_by_characters() {
        assert_eq!(truncate_chars("/abc", 2), "/a");
        assert_eq!(truncate_chars("/é", 200), "/é");
        assert_eq!(truncate_chars("éé", 1), "é");
    }
}
