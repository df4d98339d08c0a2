//! Faults, with the real binary on loopback: the server restarted (killed) in the middle of a
//! session, clients that give up mid-request, two servers behind one address, and clients that
//! go quiet (the server's read and idle timeouts).
//!
//! tests/chapter.rs has the simple restart case (a cookie from one run sent by hand to the next);
//! here a real cookie jar carries on across a crash and restart on the same port.

mod common;

use common::*;
use greeting_core::SessionIn;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A cookie jar that opens a new connection for every request (so that a restarted server or a
/// round-robin proxy sees each request on its own connection, as after a browser's retry).
fn jar() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap()
}

async fn visit(client: &reqwest::Client, base: &str, id: &str) -> (u16, String) {
    let response = client
        .get(format!("{base}/greeting"))
        .basic_auth("cobra", Some("hiss"))
        .header("X-Playground-Exchange", id)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

fn visit_message(n: u64) -> String {
    if n == 1 {
        WELCOME.to_string()
    } else {
        format!("{{\n  \"message\": \"Welcome back, cobra! This is visit #{n}.\"\n}}\n")
    }
}

/// Kill -9 in the middle of a session, start again on the same port: with the same key the jar's
/// cookie continues the session; with a fresh random key it starts over, and the side channel
/// says why (the signature no longer matches), so the page can explain it.
#[tokio::test]
async fn a_crash_and_restart_mid_session_continues_with_the_same_key_and_starts_over_with_a_new_one(
) {
    let client = jar();
    let first = Server::start(&["--secret-key", KEY]);
    let port = first.port().to_string();
    let base = first.base.clone();
    for n in 1..=3 {
        assert_eq!(visit(&client, &base, "x").await, (200, visit_message(n)));
    }
    drop(first); // SIGKILL: no graceful shutdown
    let again = Server::start(&["--secret-key", KEY, "--port", &port]);
    assert_eq!(again.base, base);
    for n in 4..=5 {
        assert_eq!(visit(&client, &base, "x").await, (200, visit_message(n)));
    }
    drop(again);

    // A random key per start: the same jar, a server restarted without --secret-key.
    let random = Server::start(&["--port", &port]);
    assert_eq!(visit(&client, &base, "r").await, (200, visit_message(1)));
    assert_eq!(visit(&client, &base, "r").await, (200, visit_message(2)));
    drop(random);
    let restarted = Server::start(&["--port", &port]);
    let mut events =
        EventStream::open(&plain_client(), &restarted.url("/playground/api/events")).await;
    assert_eq!(
        visit(&client, &base, "after-restart").await,
        (200, visit_message(1))
    );
    let report = events.reports_until("after-restart").await.pop().unwrap();
    match &report.session_in {
        SessionIn::Rejected { reason } => assert!(reason.contains("signature"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert!(restarted.stderr().contains("random"));
    assert_eq!(visit(&client, &base, "r").await, (200, visit_message(2)));
}

/// Two servers with the same key behind one address (a round-robin TCP proxy here) continue
/// each other's sessions: the session lives in the cookie, not in either server. With different
/// keys behind the same address, every request lands on the server that did not sign the cookie
/// and the session starts over each time.
#[tokio::test]
async fn two_servers_with_the_same_key_continue_each_others_sessions() {
    for (keys, expect_continuing) in [((KEY, KEY), true), ((KEY, "another-key"), false)] {
        let a = Server::start(&["--secret-key", keys.0]);
        let b = Server::start(&["--secret-key", keys.1]);
        let proxy = RoundRobin::start(vec![a.addr.clone(), b.addr.clone()]).await;
        let client = jar();
        for n in 1..=10u64 {
            let expected = if expect_continuing { n } else { 1 };
            assert_eq!(
                visit(&client, &proxy.base, "rr").await,
                (200, visit_message(expected)),
                "keys {keys:?}, request {n}"
            );
        }
        assert_eq!(proxy.counts(), vec![5, 5], "each server answered half");
        std::thread::sleep(Duration::from_millis(100));
        for server in [&a, &b] {
            assert_eq!(server.stderr().matches("exchange").count(), 5);
        }
    }
}

/// A TCP proxy on 127.0.0.1 that hands each new connection to the next backend in turn.
struct RoundRobin {
    base: String,
    counts: Arc<Vec<AtomicUsize>>,
    task: tokio::task::JoinHandle<()>,
}

impl RoundRobin {
    async fn start(backends: Vec<String>) -> RoundRobin {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let counts: Arc<Vec<AtomicUsize>> =
            Arc::new(backends.iter().map(|_| AtomicUsize::new(0)).collect());
        let c = counts.clone();
        let task = tokio::spawn(async move {
            let mut next = 0;
            while let Ok((mut inbound, _)) = listener.accept().await {
                let i = next % backends.len();
                next += 1;
                c[i].fetch_add(1, Ordering::Relaxed);
                let backend = backends[i].clone();
                tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&backend).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        RoundRobin { base, counts, task }
    }

    fn counts(&self) -> Vec<usize> {
        self.counts
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect()
    }
}

impl Drop for RoundRobin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Open file descriptors of a process (its sockets among them).
fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// What the process's descriptors are, sockets with their TCP ports and state (from
/// /proc/net/tcp and tcp6, state in hex: 01 established, 06 time-wait, 08 close-wait, 0A
/// listen), for a failure message.
fn fd_listing(pid: u32) -> String {
    let tcp: String = ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    let mut out = String::new();
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return out;
    };
    for entry in dir.flatten() {
        let target = std::fs::read_link(entry.path())
            .map(|t| t.display().to_string())
            .unwrap_or_default();
        let socket = target
            .strip_prefix("socket:[")
            .and_then(|t| t.strip_suffix(']'))
            .and_then(|inode| {
                tcp.lines().find_map(|l| {
                    let f: Vec<&str> = l.split_whitespace().collect();
                    (f.get(9) == Some(&inode)).then(|| {
                        let port = |a: &str| {
                            a.rsplit(':')
                                .next()
                                .and_then(|h| u16::from_str_radix(h, 16).ok())
                                .unwrap_or(0)
                        };
                        format!(
                            " local :{} remote :{} state {}",
                            port(f[1]),
                            port(f[2]),
                            f[3]
                        )
                    })
                })
            })
            .unwrap_or_default();
        out.push_str(&format!(
            "\n  fd {}: {target}{socket}",
            entry.file_name().to_string_lossy()
        ));
    }
    out
}

/// Connects and sends `bytes`, then drops the connection with a reset (SO_LINGER 0), without
/// reading the answer.
async fn send_and_abort(addr: &str, bytes: &[u8], read_first: bool) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let _ = stream.write_all(bytes).await;
    if read_first {
        let mut buf = [0u8; 64];
        let _ = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await;
    }
    #[allow(deprecated)]
    let _ = stream.set_linger(Some(Duration::ZERO));
    drop(stream);
}

/// Clients that give up in every phase of a request: the server keeps serving, doesn't panic,
/// and closes its side of every abandoned connection (no file descriptors leak).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_aborting_mid_request_leave_the_server_serving() {
    let mut server = Server::start(&["--secret-key", KEY]);
    let client = plain_client();
    assert_eq!(visit(&client, &server.base, "warm").await.0, 200);
    let baseline = open_fds(server.pid());

    let greeting =
        b"GET /greeting HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic Y29icmE6aGlzcw==\r\n\r\n";
    let aborts: Vec<(&str, Vec<u8>, bool)> = vec![
        ("connect only", vec![], false),
        ("half a request line", b"GET /greet".to_vec(), false),
        ("half the headers", b"GET /greeting HTTP/1.1\r\nHost: localhost\r\nAuthoriz".to_vec(), false),
        ("whole request, answer unread", greeting.to_vec(), false),
        ("after the first bytes of the answer", greeting.to_vec(), true),
        (
            "half a body",
            b"POST /playground/api/plant HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"cookie\": \"ab".to_vec(),
            false,
        ),
        (
            "side channel, after hello",
            b"GET /playground/api/events HTTP/1.1\r\nHost: localhost\r\n\r\n".to_vec(),
            true,
        ),
    ];
    let started = Instant::now();
    let mut tasks = Vec::new();
    for round in 0..20 {
        for (_, bytes, read_first) in &aborts {
            let addr = server.addr.clone();
            let bytes = bytes.clone();
            let read_first = *read_first;
            tasks.push(tokio::spawn(async move {
                send_and_abort(&addr, &bytes, read_first).await;
            }));
        }
        if round % 5 == 0 {
            // Real work in between.
            assert_eq!(visit(&client, &server.base, "between").await.0, 200);
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    println!(
        "{} aborted connections in {:?}",
        20 * aborts.len(),
        started.elapsed()
    );

    // Still serving; a session still works; every abandoned connection closed on the server's
    // side (a report on the side channel makes the server notice the dead subscribers too).
    let jar = session_client();
    for n in 1..=3 {
        assert_eq!(
            visit(&jar, &server.base, "after").await,
            (200, visit_message(n))
        );
    }
    // Allowed above the baseline: the test's own clients' pooled keep-alive connections (`jar`'s
    // is new; `client` may have been moved to a fresh one) and a couple more seen on a loaded
    // two-core machine. A leak of the abandoned connections would be counted in tens: 140 of
    // them were opened.
    const SLACK: usize = 4;
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut fds = open_fds(server.pid());
    while fds > baseline + SLACK && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(visit(&client, &server.base, "poke").await.0, 200);
        fds = open_fds(server.pid());
    }
    assert!(
        fds <= baseline + SLACK,
        "open fds: {baseline} before, {fds} after; the server's descriptors now:{}",
        fd_listing(server.pid())
    );
    assert!(
        server.wait_exit(Duration::from_millis(10)).is_none(),
        "the server exited"
    );
    let log = server.stderr();
    assert!(!log.contains("panicked"), "{log}");
}

/// Reads until the server closes the connection; how long that took (None: still open after
/// `limit`).
async fn time_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<(Duration, Vec<u8>)> {
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout_at((started + limit).into(), stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some((started.elapsed(), got)),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// Clients that go quiet (a hung browser tab, a half-open connection, a trickling attacker) are
/// disconnected after `--read-timeout`: while sending headers, while idle between keep-alive
/// requests, and in the middle of a body (with a 408). Without the flag the limit is 20 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_clients_are_disconnected_after_the_read_timeout() {
    let server = Server::start(&["--read-timeout", "1"]);
    let addr = server.addr.clone();
    let limit = Duration::from_secs(6);

    let silent = {
        let addr = addr.clone();
        tokio::spawn(async move {
            let mut s = TcpStream::connect(&addr).await.unwrap();
            time_until_closed(&mut s, limit).await
        })
    };
    let trickling = {
        let addr = addr.clone();
        tokio::spawn(async move {
            let mut s = TcpStream::connect(&addr).await.unwrap();
            let (mut reader, mut writer) = s.split();
            let trickle = async {
                let _ = writer.write_all(b"GET /greeting HTTP/1.1\r\n").await;
                for _ in 0..40 {
                    tokio::time::sleep(Duration::from_millis(150)).await;
                    if writer.write_all(b"X").await.is_err() {
                        break;
                    }
                }
            };
            let started = Instant::now();
            let mut buf = [0u8; 256];
            tokio::select! {
                _ = trickle => None,
                r = reader.read(&mut buf) => match r {
                    Ok(0) | Err(_) => Some(started.elapsed()),
                    Ok(_) => Some(started.elapsed()),
                },
            }
        })
    };
    let idle = {
        let addr = addr.clone();
        tokio::spawn(async move {
            let mut s = TcpStream::connect(&addr).await.unwrap();
            s.write_all(b"GET /greeting HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic Y29icmE6aGlzcw==\r\n\r\n")
                .await
                .unwrap();
            // The answer comes, then the connection idles until the server closes it.
            time_until_closed(&mut s, limit).await
        })
    };
    let stalled_body = {
        let addr = addr.clone();
        tokio::spawn(async move {
            let mut s = TcpStream::connect(&addr).await.unwrap();
            s.write_all(b"POST /playground/api/plant HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"cookie\"")
                .await
                .unwrap();
            time_until_closed(&mut s, limit).await
        })
    };

    let (took, got) = silent
        .await
        .unwrap()
        .expect("a silent connection is closed");
    assert!(
        took >= Duration::from_millis(700) && got.is_empty(),
        "{took:?} {got:?}"
    );
    let took = trickling
        .await
        .unwrap()
        .expect("a trickling client is cut off");
    assert!(took < Duration::from_secs(4), "{took:?}");
    let (took, got) = idle
        .await
        .unwrap()
        .expect("an idle keep-alive connection is closed");
    let got = String::from_utf8_lossy(&got);
    assert!(got.starts_with("HTTP/1.1 200 OK"), "{got}");
    assert!(took >= Duration::from_millis(700), "{took:?}");
    let (took, got) = stalled_body
        .await
        .unwrap()
        .expect("a stalled body is answered and closed");
    let got = String::from_utf8_lossy(&got);
    assert!(got.starts_with("HTTP/1.1 408 Request Timeout"), "{got}");
    assert!(took >= Duration::from_millis(700), "{took:?}");
    assert!(!server.stderr().contains("panicked"));

    // The default is longer: a quiet connection is still open after 2 s.
    let default = Server::start(&[]);
    let mut s = TcpStream::connect(&default.addr).await.unwrap();
    assert!(time_until_closed(&mut s, Duration::from_secs(2))
        .await
        .is_none());
}
