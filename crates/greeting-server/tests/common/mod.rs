//! Starting the real `greeting-server` binary on a free loopback port, and small helpers.
#![allow(dead_code)]

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use test_support::{start_listening, Announcing, ListeningChild, OutputLog, Sink};

pub const KEY: &str = "playground-demo-secret";
pub const VISIT1_PAYLOAD: &str = "eyJ1c2VybmFtZSI6ImNvYnJhIiwidmlzaXQiOjF9";
pub const VISIT2_PAYLOAD: &str = "eyJ1c2VybmFtZSI6ImNvYnJhIiwidmlzaXQiOjJ9";
pub const VISIT3_PAYLOAD: &str = "eyJ1c2VybmFtZSI6ImNvYnJhIiwidmlzaXQiOjN9";
pub const WELCOME: &str = "{\n  \"message\": \"Welcome, cobra!\"\n}\n";
/// A greeting's header names as the wire and the side channel's report show them, in order.
pub const REPORTED_GREETING_HEADERS: [&str; 6] = [
    "Content-Type",
    "Content-Length",
    "Vary",
    "Set-Cookie",
    "Server",
    "Date",
];

/// A header's value in a report's header list (name compared case-insensitively).
pub fn report_header<'a>(headers: &'a [greeting_core::Header], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// A running server, killed when dropped.
pub struct Server {
    process: ListeningChild,
    pub addr: String,
    pub base: String,
    stderr: OutputLog,
}

impl Server {
    /// `greeting-server --port 0 ARGS...` (with `--bind 127.0.0.1` unless ARGS bind elsewhere,
    /// and `--port 0` unless ARGS give a port).
    pub fn start(args: &[&str]) -> Server {
        Server::start_with_env(args, &[])
    }

    pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_greeting-server"));
        if !args.contains(&"--port") {
            command.args(["--port", "0"]);
        }
        if !args.contains(&"--bind") {
            command.args(["--bind", "127.0.0.1"]);
        }
        command.args(args);
        command.env_remove("GREETING_SECRET_KEY");
        for (k, v) in env {
            command.env(k, v);
        }
        let stderr = OutputLog::unbounded();
        let process = start_listening(
            command,
            Announcing {
                stderr: Sink::Keep(stderr.clone()),
                stop_grace: Duration::ZERO,
                ..Announcing::default()
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
        Server {
            base: process.url(),
            addr: process.addr().to_string(),
            process,
            stderr,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn port(&self) -> u16 {
        self.process.port()
    }

    pub fn pid(&self) -> u32 {
        self.process.pid().expect("the server runs until dropped")
    }

    pub fn stderr(&self) -> String {
        self.stderr.text()
    }

    /// Waits for the process to exit by itself.
    pub fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        self.process.wait_exit(within)
    }
}

/// A client without a cookie store (like plain `requests.get`).
pub fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap()
}

/// A client with a cookie store (like a `requests.Session`).
pub fn session_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap()
}

/// `GET url` with `client`, its JSON body read as `T` (a test's fetch of `/playground/api/info`).
pub async fn get_json<T: serde::de::DeserializeOwned>(client: &reqwest::Client, url: &str) -> T {
    client.get(url).send().await.unwrap().json().await.unwrap()
}

/// `GET url` as cobra/hiss carrying `session=COOKIE` by hand, as a script replaying a cookie would.
pub async fn greet_as_cobra_with(
    client: &reqwest::Client,
    url: String,
    cookie: impl std::fmt::Display,
) -> reqwest::Response {
    client
        .get(url)
        .basic_auth("cobra", Some("hiss"))
        .header("Cookie", format!("session={cookie}"))
        .send()
        .await
        .unwrap()
}

/// The `session=VALUE` value of a response's `Set-Cookie`, and its attributes.
pub fn set_cookie(response: &reqwest::Response) -> Option<(String, String)> {
    let header = response.headers().get("set-cookie")?.to_str().ok()?;
    let (first, attributes) = header.split_once("; ").unwrap_or((header, ""));
    let value = first.strip_prefix("session=")?;
    Some((value.to_string(), attributes.to_string()))
}

pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The Python peers' interpreter (PLAYGROUND_PYTHON, which the xtask sets, else python3) when it
/// can import `modules`, or why not.
#[allow(unused_imports)]
pub use test_support::python_with;

/// Runs a command to completion within a time limit; (status ok, stdout, stderr).
pub fn run_with_timeout(command: &mut Command, limit: Duration) -> (bool, String, String) {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("spawn");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_thread = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_thread = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = out_thread.join().unwrap_or_default();
    let stderr = err_thread.join().unwrap_or_default();
    match status {
        Some(s) => (s.success(), stdout, stderr),
        None => (
            false,
            stdout,
            format!("timed out after {limit:?}\n{stderr}"),
        ),
    }
}

/// One HTTP exchange on a fresh TCP connection, as raw bytes: what came back before the server
/// closed the connection (or `within` ran out).
#[derive(Debug, Clone)]
pub struct RawReply {
    /// The status code, or None when the server closed without a response.
    pub status: Option<u16>,
    /// The status line and headers as text.
    pub head: String,
    pub body: Vec<u8>,
    /// The server closed the connection (rather than the time running out).
    pub closed: bool,
}

impl RawReply {
    /// A header's value (name compared case-insensitively), the first if several.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.head
            .lines()
            .skip(1)
            .filter_map(|line| {
                let (n, v) = line.split_once(':')?;
                n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
            })
            .collect()
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `request` on a new connection to `addr` and reads until the server closes it (send
/// `Connection: close`) or `within` passes.
pub async fn raw_exchange(addr: &str, request: &[u8], within: Duration) -> RawReply {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = Vec::new();
    let mut closed = false;
    let io = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        // The server may answer and close before it has read everything (e.g. a 431).
        let _ = stream.write_all(request).await;
        let mut chunk = [0u8; 8192];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => {
                    closed = true;
                    break;
                }
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    };
    let _ = tokio::time::timeout(within, io).await;
    let (head, body) = match buf.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(end) => (
            String::from_utf8_lossy(&buf[..end]).into_owned(),
            buf[end + 4..].to_vec(),
        ),
        None => (String::from_utf8_lossy(&buf).into_owned(), Vec::new()),
    };
    let status = head
        .strip_prefix("HTTP/1.")
        .and_then(|rest| rest.get(2..5))
        .and_then(|code| code.parse().ok());
    RawReply {
        status,
        head,
        body,
        closed,
    }
}

/// A reader of `GET /playground/api/events` (Server-Sent Events).
pub struct EventStream {
    events: test_support::Events,
}

impl EventStream {
    /// Subscribes with `client` (give it no overall timeout: the stream outlives any).
    pub async fn open(client: &reqwest::Client, url: &str) -> EventStream {
        let response = client.get(url).send().await.expect("subscribe");
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        EventStream {
            events: test_support::events(response.bytes_stream()),
        }
    }

    /// The next event as (name, data), or None when `within` passes or the stream ends.
    pub async fn next(&mut self, within: Duration) -> Option<(String, String)> {
        test_support::next_event(&mut self.events, within).await
    }

    /// Every `exchange` report up to and including the one with `exchange_id == id`.
    pub async fn reports_until(&mut self, id: &str) -> Vec<greeting_core::ExchangeReport> {
        let mut seen = Vec::new();
        loop {
            let (name, data) = self
                .next(Duration::from_secs(10))
                .await
                .unwrap_or_else(|| panic!("no report {id} within 10 s"));
            if name != "exchange" {
                continue;
            }
            let report: greeting_core::ExchangeReport = serde_json::from_str(&data).unwrap();
            let done = report.exchange_id.as_deref() == Some(id);
            seen.push(report);
            if done {
                return seen;
            }
        }
    }
}

/// A client with no overall timeout, from a given loopback source address.
pub fn client_from(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::V4(std::net::Ipv4Addr::from(ip)))
        .connect_timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// A Flask app from tests/peer/, killed when dropped.
pub struct FlaskPeer {
    _process: ListeningChild,
    pub base: String,
}

/// Starts tests/peer/SCRIPT with `env` and waits for its `flask peer listening on URL` line.
pub fn start_flask_peer(
    python: &str,
    script: &str,
    env: &[(&str, &str)],
) -> Result<FlaskPeer, String> {
    let path = format!("{}/tests/peer/{script}", env!("CARGO_MANIFEST_DIR"));
    let mut command = Command::new(python);
    command.arg(&path).env("PYTHONUNBUFFERED", "1");
    for (k, v) in env {
        command.env(k, v);
    }
    let process = start_listening(
        command,
        Announcing {
            stop_grace: Duration::ZERO,
            ..Announcing::default()
        },
    )
    .map_err(|e| format!("{script}: {e}"))?;
    Ok(FlaskPeer {
        base: process.url(),
        _process: process,
    })
}
