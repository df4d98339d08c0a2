//! The load generator: N keep-alive connections over raw tokio TCP, closed loop (each connection
//! sends its next request when the last answer is in), for a fixed duration.
//!
//! In greeting mode every connection is one browser-like client with its own session: it sends
//! `Authorization: Basic` (cobra/hiss) and the `session` cookie it was last given, so every
//! request makes the server verify a cookie, count a visit and sign a new cookie. Each answer is
//! checked: status 200, a `Set-Cookie: session=...`, and the visit number one more than the last
//! (the first request of a connection, with no cookie yet, must be visit 1). Anything else is
//! counted as an error, never a panic.
//!
//! A server that closes the connection after each answer (Werkzeug's development server,
//! gunicorn's sync workers) is followed: the next request opens a new connection, and its
//! latency includes the connect. A reused connection that turns out closed is retried once on a
//! new one, as HTTP clients do.

use base64::Engine as _;
use std::collections::BTreeMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What each answer must look like.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Check {
    /// `GET /greeting`: 200, a new session cookie, visits that climb by one.
    Greeting,
    /// Any 200 (the hello ceiling).
    Status200,
}

/// One load run.
#[derive(Clone, Debug)]
pub struct LoadSpec {
    pub addr: SocketAddr,
    pub path: String,
    pub connections: usize,
    pub duration: Duration,
    pub check: Check,
    /// Basic auth user and password sent with every request.
    pub user: (String, String),
    /// How long one request may take before it counts as an error (and its connection is dropped).
    pub request_timeout: Duration,
    /// Worker threads of the generator's own runtime (1 = a current-thread runtime).
    pub client_threads: usize,
}

impl LoadSpec {
    pub fn new(
        addr: SocketAddr,
        path: &str,
        connections: usize,
        duration: Duration,
        check: Check,
    ) -> LoadSpec {
        LoadSpec {
            addr,
            path: path.to_string(),
            connections,
            duration,
            check,
            user: ("cobra".into(), "hiss".into()),
            request_timeout: Duration::from_secs(5),
            client_threads: 1,
        }
    }
}

/// What one load run measured.
#[derive(Clone, Debug, Default)]
pub struct LoadResult {
    pub connections: usize,
    /// Answers that passed the check.
    pub ok: u64,
    /// Requests that failed (I/O error, timeout, wrong status, no cookie, visit did not climb).
    pub errors: u64,
    /// Errors by kind, with a count.
    pub error_kinds: BTreeMap<String, u64>,
    /// TCP connections opened (== connections when the server keeps them alive).
    pub connects: u64,
    /// From the start to the end of the last request.
    pub elapsed: Duration,
    /// Latency of each good answer, nanoseconds, sorted.
    pub latencies_ns: Vec<u64>,
    /// The highest visit number seen on any connection.
    pub max_visit: u64,
}

impl LoadResult {
    /// Good answers per second.
    pub fn throughput(&self) -> f64 {
        if self.elapsed.is_zero() {
            return 0.0;
        }
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    /// The latency at quantile `q` (0..=1), nearest rank, in microseconds.
    pub fn latency_us(&self, q: f64) -> f64 {
        percentile_sorted(&self.latencies_ns, q) as f64 / 1000.0
    }

    /// Whether the server kept its connections open (few connects for many requests).
    pub fn keep_alive(&self) -> bool {
        self.connects <= (self.connections as u64) * 2 + self.errors
    }

    pub fn error_summary(&self) -> String {
        if self.error_kinds.is_empty() {
            return "none".into();
        }
        self.error_kinds
            .iter()
            .map(|(k, n)| format!("{n}× {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Nearest-rank percentile of sorted values.
pub fn percentile_sorted(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Runs the load on a runtime of its own (so it can be called from plain threads).
pub fn run_load(spec: &LoadSpec) -> std::io::Result<LoadResult> {
    let runtime = if spec.client_threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(spec.client_threads)
            .enable_all()
            .build()?
    };
    Ok(runtime.block_on(load(spec.clone())))
}

/// The load itself, on the caller's runtime.
pub async fn load(spec: LoadSpec) -> LoadResult {
    let spec = Arc::new(spec);
    let start = Instant::now();
    let deadline = start + spec.duration;
    let tasks: Vec<_> = (0..spec.connections)
        .map(|_| {
            let spec = spec.clone();
            tokio::spawn(async move { connection_loop(&spec, deadline).await })
        })
        .collect();
    let mut result = LoadResult {
        connections: spec.connections,
        ..LoadResult::default()
    };
    for task in tasks {
        match task.await {
            Ok(conn) => {
                result.ok += conn.ok;
                result.errors += conn.errors;
                result.connects += conn.connects;
                result.max_visit = result.max_visit.max(conn.max_visit);
                for (k, n) in conn.error_kinds {
                    *result.error_kinds.entry(k).or_default() += n;
                }
                result.latencies_ns.extend(conn.latencies_ns);
            }
            Err(e) => {
                result.errors += 1;
                *result
                    .error_kinds
                    .entry(format!("load task failed: {e}"))
                    .or_default() += 1;
            }
        }
    }
    result.elapsed = start.elapsed();
    result.latencies_ns.sort_unstable();
    result
}

#[derive(Default)]
struct ConnStats {
    ok: u64,
    errors: u64,
    connects: u64,
    max_visit: u64,
    error_kinds: BTreeMap<String, u64>,
    latencies_ns: Vec<u64>,
}

impl ConnStats {
    fn error(&mut self, kind: impl Into<String>) {
        self.errors += 1;
        *self.error_kinds.entry(kind.into()).or_default() += 1;
    }
}

/// One parsed answer.
struct Answer {
    status: u16,
    /// The value of `Set-Cookie: session=VALUE; ...`, when there was one.
    session_cookie: Option<String>,
    /// The server will close the connection (Connection: close, or HTTP/1.0 without keep-alive).
    close: bool,
    body: Vec<u8>,
}

enum ExchangeError {
    /// A reused connection was closed before any byte of the answer: retry on a new one.
    StaleConnection,
    Io(String),
    Protocol(String),
}

/// A client-side connection: the stream and the bytes read past the last answer.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    used: bool,
}

async fn connection_loop(spec: &LoadSpec, deadline: Instant) -> ConnStats {
    let mut stats = ConnStats {
        latencies_ns: Vec::with_capacity(4096),
        ..ConnStats::default()
    };
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", spec.user.0, spec.user.1))
    );
    let mut conn: Option<Conn> = None;
    let mut cookie: Option<String> = None;
    let mut last_visit: u64 = 0;
    let mut request = Vec::with_capacity(512);

    while Instant::now() < deadline {
        request.clear();
        let _ = write!(
            request,
            "GET {} HTTP/1.1\r\nHost: {}\r\nAuthorization: {}\r\nAccept: */*\r\n",
            spec.path, spec.addr, auth
        );
        if let Some(c) = &cookie {
            let _ = write!(request, "Cookie: session={c}\r\n");
        }
        request.extend_from_slice(b"\r\n");

        let started = Instant::now();
        let mut outcome = tokio::time::timeout(
            spec.request_timeout,
            exchange(spec, &mut conn, &request, &mut stats),
        )
        .await;
        if matches!(outcome, Ok(Err(ExchangeError::StaleConnection))) {
            conn = None;
            outcome = tokio::time::timeout(
                spec.request_timeout,
                exchange(spec, &mut conn, &request, &mut stats),
            )
            .await;
        }
        let answer = match outcome {
            Ok(Ok(answer)) => answer,
            Ok(Err(ExchangeError::StaleConnection)) => {
                conn = None;
                stats.error("connection closed before the answer");
                continue;
            }
            Ok(Err(ExchangeError::Io(e))) => {
                conn = None;
                stats.error(e);
                // E.g. connection refused: don't spin.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
            Ok(Err(ExchangeError::Protocol(e))) => {
                conn = None;
                stats.error(e);
                continue;
            }
            Err(_) => {
                conn = None;
                stats.error(format!("no answer within {:?}", spec.request_timeout));
                continue;
            }
        };
        let latency = started.elapsed();
        if answer.close {
            conn = None;
        }
        if answer.status != 200 {
            stats.error(format!("status {}", answer.status));
            continue;
        }
        if spec.check == Check::Greeting {
            let Some(new_cookie) = answer.session_cookie else {
                stats.error("no Set-Cookie: session=");
                continue;
            };
            let expected = if cookie.is_some() { last_visit + 1 } else { 1 };
            let Some(visit) = visit_in_body(&answer.body) else {
                stats.error("no visit number in the body");
                cookie = Some(new_cookie);
                continue;
            };
            cookie = Some(new_cookie);
            last_visit = visit;
            stats.max_visit = stats.max_visit.max(visit);
            if visit != expected {
                stats.error("visit did not climb by one");
                continue;
            }
        }
        stats.ok += 1;
        stats.latencies_ns.push(latency.as_nanos() as u64);
    }
    stats
}

/// "Welcome, NAME!" is visit 1; "... This is visit #N." is N.
pub fn visit_in_body(body: &[u8]) -> Option<u64> {
    const MARK: &[u8] = b"visit #";
    if let Some(at) = body.windows(MARK.len()).position(|w| w == MARK) {
        let digits: Vec<u8> = body[at + MARK.len()..]
            .iter()
            .copied()
            .take_while(u8::is_ascii_digit)
            .collect();
        return std::str::from_utf8(&digits).ok()?.parse().ok();
    }
    let welcome = b"\"Welcome, ";
    body.windows(welcome.len())
        .any(|w| w == welcome)
        .then_some(1)
}

async fn exchange(
    spec: &LoadSpec,
    conn: &mut Option<Conn>,
    request: &[u8],
    stats: &mut ConnStats,
) -> Result<Answer, ExchangeError> {
    if conn.is_none() {
        let stream = TcpStream::connect(spec.addr)
            .await
            .map_err(|e| ExchangeError::Io(format!("connect: {}", e.kind())))?;
        let _ = stream.set_nodelay(true);
        stats.connects += 1;
        *conn = Some(Conn {
            stream,
            buf: Vec::with_capacity(4096),
            used: false,
        });
    }
    let c = conn.as_mut().expect("connected above");
    let reused = c.used;
    c.used = true;
    if let Err(e) = c.stream.write_all(request).await {
        return Err(if reused {
            ExchangeError::StaleConnection
        } else {
            ExchangeError::Io(format!("write: {}", e.kind()))
        });
    }
    read_answer(c, reused).await
}

async fn read_answer(c: &mut Conn, reused: bool) -> Result<Answer, ExchangeError> {
    let mut chunk = [0u8; 8192];
    // The head.
    let (head_len, status, session_cookie, content_length, close) = loop {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut headers);
        match response.parse(&c.buf) {
            Ok(httparse::Status::Complete(head_len)) => {
                let status = response.code.unwrap_or(0);
                let http10 = response.version == Some(0);
                let mut session_cookie = None;
                let mut content_length = None;
                let mut connection_close = http10;
                for h in response.headers.iter() {
                    if h.name.eq_ignore_ascii_case("set-cookie") {
                        if let Some(rest) = h.value.strip_prefix(b"session=") {
                            let end = rest.iter().position(|&b| b == b';').unwrap_or(rest.len());
                            session_cookie =
                                Some(String::from_utf8_lossy(&rest[..end]).into_owned());
                        }
                    } else if h.name.eq_ignore_ascii_case("content-length") {
                        content_length = std::str::from_utf8(h.value)
                            .ok()
                            .and_then(|v| v.trim().parse::<usize>().ok());
                    } else if h.name.eq_ignore_ascii_case("connection") {
                        let v = String::from_utf8_lossy(h.value).to_ascii_lowercase();
                        if v.contains("close") {
                            connection_close = true;
                        } else if v.contains("keep-alive") {
                            connection_close = false;
                        }
                    } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                        return Err(ExchangeError::Protocol(
                            "chunked answers are not supported by this load generator".into(),
                        ));
                    }
                }
                break (
                    head_len,
                    status,
                    session_cookie,
                    content_length,
                    connection_close,
                );
            }
            Ok(httparse::Status::Partial) => {}
            Err(e) => return Err(ExchangeError::Protocol(format!("bad answer: {e}"))),
        }
        let n = c
            .stream
            .read(&mut chunk)
            .await
            .map_err(|e| ExchangeError::Io(format!("read: {}", e.kind())))?;
        if n == 0 {
            return Err(if reused && c.buf.is_empty() {
                ExchangeError::StaleConnection
            } else {
                ExchangeError::Io("connection closed in the middle of an answer".into())
            });
        }
        c.buf.extend_from_slice(&chunk[..n]);
    };
    // The body: Content-Length bytes, or everything up to the close.
    let body = match content_length {
        Some(len) => {
            while c.buf.len() < head_len + len {
                let n = c
                    .stream
                    .read(&mut chunk)
                    .await
                    .map_err(|e| ExchangeError::Io(format!("read: {}", e.kind())))?;
                if n == 0 {
                    return Err(ExchangeError::Io(
                        "connection closed in the middle of a body".into(),
                    ));
                }
                c.buf.extend_from_slice(&chunk[..n]);
            }
            let body = c.buf[head_len..head_len + len].to_vec();
            c.buf.drain(..head_len + len);
            body
        }
        None if close => {
            loop {
                let n = c
                    .stream
                    .read(&mut chunk)
                    .await
                    .map_err(|e| ExchangeError::Io(format!("read: {}", e.kind())))?;
                if n == 0 {
                    break;
                }
                c.buf.extend_from_slice(&chunk[..n]);
            }
            let body = c.buf[head_len..].to_vec();
            c.buf.clear();
            body
        }
        None => {
            return Err(ExchangeError::Protocol(
                "an answer without Content-Length on a kept-alive connection".into(),
            ))
        }
    };
    Ok(Answer {
        status,
        session_cookie,
        close,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visits_from_bodies() {
        assert_eq!(
            visit_in_body(b"{\n  \"message\": \"Welcome, cobra!\"\n}\n"),
            Some(1)
        );
        assert_eq!(
            visit_in_body(b"{\n  \"message\": \"Welcome back, cobra! This is visit #42.\"\n}\n"),
            Some(42)
        );
        assert_eq!(visit_in_body(b"{}"), None);
    }

    #[test]
    fn nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile_sorted(&v, 0.5), 50);
        assert_eq!(percentile_sorted(&v, 0.99), 99);
        assert_eq!(percentile_sorted(&v, 1.0), 100);
        assert_eq!(percentile_sorted(&[], 0.5), 0);
    }
}
