//! Load with sessions against the real binary on 127.0.0.1.
//!
//! * `fifty_clients_with_their_own_jars_each_reach_visit_200` (normal suite, a few seconds): 50
//!   concurrent clients, each with its own cookie jar, 200 requests each. Half log in under a
//!   user name of their own (`--user`), half all as cobra with independent jars. Every client
//!   ends at exactly visit #200, nothing answers 5xx, and no session crosses: the side channel
//!   shows, for every exchange, that the cookie the server received is the one it had sent to
//!   *that* client the time before, and the cookie it sent is the one that client got.
//! * `soak_at_full_load_memory_stays_flat` (ignored; run it on purpose, see docs/bad-input.md):
//!   the same 50 clients for SOAK_SECS (default 60) seconds, plus a side-channel subscriber that
//!   reads everything and one that never reads, printing the server's resident size (VmRSS)
//!   along the way; fails if it grows by more than a bound.
//!
//! ```text
//! cargo test -p greeting-server --test load
//! cargo test --release -p greeting-server --test load -- --ignored --nocapture
//! ```

mod common;

use common::*;
use futures_util::StreamExt;
use greeting_core::ExchangeReport;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CLIENTS: usize = 50;
const OWN_NAMES: usize = 25;
const REQUESTS: u64 = 200;

/// Client `i`'s user name and password: its own for the first half, cobra's for the rest.
fn credentials(i: usize) -> (String, String) {
    if i < OWN_NAMES {
        (format!("learner{i:02}"), format!("pw-{i:02}"))
    } else {
        ("cobra".into(), "hiss".into())
    }
}

fn start_server(extra: &[&str]) -> Server {
    let mut specs: Vec<String> = (0..OWN_NAMES)
        .map(|i| {
            let (u, p) = credentials(i);
            format!("{u}:{p}")
        })
        .collect();
    specs.push("cobra:hiss".into());
    let mut args: Vec<&str> = vec!["--secret-key", KEY];
    for s in &specs {
        args.extend(["--user", s.as_str()]);
    }
    args.extend_from_slice(extra);
    Server::start(&args)
}

/// A client for the side channel: no overall timeout (the stream outlives any).
fn stream_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

fn jar_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// What one client saw: the cookie value each response set, in order.
#[derive(Debug, Default)]
struct ClientLog {
    cookies: Vec<String>,
    failures: Vec<String>,
}

/// One client: `requests` greetings in a row with its own jar (or until `until`), checking each
/// answer against the visit it must be.
async fn run_client(
    server_base: String,
    i: usize,
    requests: u64,
    until: Option<Instant>,
    statuses: Arc<Mutex<HashMap<u16, u64>>>,
) -> ClientLog {
    let client = jar_client();
    let (user, password) = credentials(i);
    let mut log = ClientLog::default();
    let mut visit = 0u64;
    for n in 0..requests {
        if until.is_some_and(|t| Instant::now() >= t) {
            break;
        }
        let response = match client
            .get(format!("{server_base}/greeting"))
            .basic_auth(&user, Some(&password))
            .header("X-Playground-Exchange", format!("c{i}-{n}"))
            .send()
            .await
        {
            Ok(r) => r,
            Err(e) => {
                log.failures.push(format!("client {i} request {n}: {e}"));
                break;
            }
        };
        let status = response.status().as_u16();
        *statuses.lock().unwrap().entry(status).or_default() += 1;
        let cookie = set_cookie(&response).map(|(v, _)| v);
        let body = response.text().await.unwrap_or_default();
        visit += 1;
        let expected = if visit == 1 {
            format!("{{\n  \"message\": \"Welcome, {user}!\"\n}}\n")
        } else {
            format!("{{\n  \"message\": \"Welcome back, {user}! This is visit #{visit}.\"\n}}\n")
        };
        if status != 200 || body != expected {
            log.failures.push(format!(
                "client {i} request {n}: {status} {body:?}, expected visit {visit}"
            ));
            break;
        }
        let Some(cookie) = cookie else {
            log.failures
                .push(format!("client {i} request {n}: no cookie"));
            break;
        };
        // The cookie is this client's, at this visit (its signature is checked for the last
        // one of each client below: HMAC in a debug build costs more than the server's answer).
        match flask_cookie::decode(&cookie) {
            Ok(d) if d.value["username"] == user.as_str() && d.value["visit"] == visit => {}
            other => {
                log.failures.push(format!(
                    "client {i} request {n}: cookie {cookie}: {other:?}"
                ));
                break;
            }
        }
        log.cookies.push(cookie);
    }
    log
}

/// A subscriber that reads the side channel into `reports` (by exchange id) until stopped,
/// counting `lagged` events.
struct Collector {
    reports: Arc<Mutex<HashMap<String, ExchangeReport>>>,
    lagged: Arc<AtomicU64>,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Collector {
    async fn subscribe(server: &Server) -> Collector {
        let response = stream_client()
            .get(server.url("/playground/api/events"))
            .send()
            .await
            .unwrap();
        let reports = Arc::new(Mutex::new(HashMap::new()));
        let lagged = Arc::new(AtomicU64::new(0));
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(Self::read(
            response,
            reports.clone(),
            lagged.clone(),
            stopped,
        ));
        Collector {
            reports,
            lagged,
            stop,
            task,
        }
    }

    async fn read(
        response: reqwest::Response,
        reports: Arc<Mutex<HashMap<String, ExchangeReport>>>,
        lagged: Arc<AtomicU64>,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        let mut events = test_support::events(response.bytes_stream());
        loop {
            let event = tokio::select! {
                event = events.next() => event,
                _ = stop.wait_for(|s| *s) => return,
            };
            let Some((name, data)) = event else { return };
            match name.as_str() {
                "exchange" => {
                    if let Ok(report) = serde_json::from_str::<ExchangeReport>(&data) {
                        if let Some(id) = report.exchange_id.clone() {
                            reports.lock().unwrap().insert(id, report);
                        }
                    }
                }
                "lagged" => {
                    lagged.fetch_add(data.trim().parse().unwrap_or(1), Ordering::Relaxed);
                }
                _ => {}
            }
        }
    }

    /// Stops reading and waits for the reader to end.
    async fn finish(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_clients_with_their_own_jars_each_reach_visit_200() {
    let server = start_server(&[]);
    let collector = Collector::subscribe(&server).await;
    let (reports, lagged) = (collector.reports.clone(), collector.lagged.clone());

    let statuses = Arc::new(Mutex::new(HashMap::new()));
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            tokio::spawn(run_client(
                server.base.clone(),
                i,
                REQUESTS,
                None,
                statuses.clone(),
            ))
        })
        .collect();
    let mut logs = Vec::new();
    for c in clients {
        logs.push(c.await.unwrap());
    }
    let elapsed = started.elapsed();
    let total = (CLIENTS as u64) * REQUESTS;
    if let Some((user, system)) = test_support::cpu_times(server.pid()) {
        println!(
            "load: server CPU {:.2} s user + {:.2} s system",
            user.as_secs_f64(),
            system.as_secs_f64()
        );
    }
    println!(
        "load: {CLIENTS} clients x {REQUESTS} requests = {total} in {:.2} s ({:.0} req/s); statuses {:?}",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        statuses.lock().unwrap()
    );

    let failures: Vec<&String> = logs.iter().flat_map(|l| &l.failures).collect();
    assert!(
        failures.is_empty(),
        "{} failures, first: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    for (i, log) in logs.iter().enumerate() {
        assert_eq!(log.cookies.len() as u64, REQUESTS, "client {i}");
        let last = flask_cookie::verify(&log.cookies[199], &[KEY.as_bytes()], unix_now(), 3600)
            .unwrap_or_else(|e| panic!("client {i}: {e}"));
        assert_eq!(last.decoded.value["visit"], REQUESTS);
    }
    assert!(
        statuses.lock().unwrap().keys().all(|s| *s == 200),
        "{:?}",
        statuses.lock().unwrap()
    );

    // The side channel: every exchange, and each one chains within its own client.
    let deadline = Instant::now() + Duration::from_secs(20);
    while reports.lock().unwrap().len() < total as usize && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    collector.finish().await;
    let reports = reports.lock().unwrap();
    assert_eq!(
        lagged.load(Ordering::Relaxed),
        0,
        "the side channel skipped reports"
    );
    assert_eq!(reports.len(), total as usize, "reports seen");
    let mut crossed = Vec::new();
    for (i, log) in logs.iter().enumerate() {
        let (user, _) = credentials(i);
        for n in 0..REQUESTS as usize {
            let report = &reports[&format!("c{i}-{n}")];
            let expected_in = if n == 0 {
                None
            } else {
                Some(log.cookies[n - 1].as_str())
            };
            let ok = report.cookie_in.as_deref() == expected_in
                && report.cookie_out.as_deref() == Some(log.cookies[n].as_str())
                && report.user.as_deref() == Some(user.as_str())
                && report.session_out.as_ref().map(|s| s.visit) == Some(n as u64 + 1);
            if !ok {
                crossed.push(format!(
                    "client {i} exchange {n}: in {:?} out {:?} user {:?}",
                    report.cookie_in, report.cookie_out, report.user
                ));
            }
        }
    }
    assert!(
        crossed.is_empty(),
        "{} exchanges did not chain, first: {:?}",
        crossed.len(),
        &crossed[..crossed.len().min(5)]
    );
    assert!(!server.stderr().contains("panicked"));
}

/// The server's resident set size in KiB, from /proc/PID/status.
fn vm_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a 60-second soak: cargo test --release -p greeting-server --test load -- --ignored --nocapture"]
async fn soak_at_full_load_memory_stays_flat() {
    let secs: u64 = std::env::var("SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let server = start_server(&[]);
    let pid = server.pid();
    let start_rss = vm_rss_kib(pid).expect("VmRSS of the server");

    // A subscriber that reads everything, and one that connects and never reads.
    let collector = Collector::subscribe(&server).await;
    let (reports, lagged) = (collector.reports.clone(), collector.lagged.clone());
    let mut stalled = tokio::net::TcpStream::connect(&server.addr).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(
        &mut stalled,
        b"GET /playground/api/events HTTP/1.1\r\nHost: localhost\r\n\r\n",
    )
    .await
    .unwrap();

    let statuses = Arc::new(Mutex::new(HashMap::new()));
    let started = Instant::now();
    let until = started + Duration::from_secs(secs);
    // Each client runs sessions of 200 visits back to back (a new jar for each) until time is up.
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let base = server.base.clone();
            let statuses = statuses.clone();
            tokio::spawn(async move {
                let mut sessions = 0u64;
                let mut failures = Vec::new();
                while Instant::now() < until {
                    let log =
                        run_client(base.clone(), i, REQUESTS, Some(until), statuses.clone()).await;
                    failures.extend(log.failures);
                    sessions += 1;
                    // Keep the collector's memory in check: the reports are not checked here.
                    if failures.len() > 10 {
                        break;
                    }
                }
                (sessions, failures)
            })
        })
        .collect();

    let mut samples = vec![(0u64, start_rss)];
    while Instant::now() < until {
        tokio::time::sleep(Duration::from_secs(5).min(until - Instant::now())).await;
        reports.lock().unwrap().clear();
        if let Some(rss) = vm_rss_kib(pid) {
            samples.push((started.elapsed().as_secs(), rss));
        }
    }
    let mut failures = Vec::new();
    let mut sessions = 0;
    for c in clients {
        let (s, f) = c.await.unwrap();
        sessions += s;
        failures.extend(f);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let end_rss = vm_rss_kib(pid).unwrap();
    collector.finish().await;
    drop(stalled);

    let statuses = statuses.lock().unwrap().clone();
    let total: u64 = statuses.values().sum();
    println!(
        "soak: {secs} s, {CLIENTS} clients, {total} requests ({:.0} req/s), {sessions} sessions, statuses {statuses:?}, side channel lagged {}",
        total as f64 / elapsed,
        lagged.load(Ordering::Relaxed)
    );
    println!("soak: VmRSS (s, KiB): {samples:?}");
    let warm = samples.get(2).map(|s| s.1).unwrap_or(start_rss);
    println!(
        "soak: VmRSS at start {start_rss} KiB, after warm-up (10 s) {warm} KiB, at end {end_rss} KiB"
    );
    assert!(
        failures.is_empty(),
        "{:?}",
        &failures[..failures.len().min(5)]
    );
    assert!(statuses.keys().all(|s| *s == 200), "{statuses:?}");
    // Flat: after warm-up, no more than 16 MiB or 50 % of growth.
    let bound = warm + (warm / 2).max(16 * 1024);
    assert!(
        end_rss <= bound,
        "VmRSS grew from {warm} KiB (warm) to {end_rss} KiB (bound {bound})"
    );
    assert!(!server.stderr().contains("panicked"));
}
