//! A classroom under load (issue 17): 100 pages subscribed to the side channel, each with its own
//! token, two pages behind each address, while 50 scripted clients (one per address) make 200
//! greeting requests each, half of them tagged with the token of the first page at their
//! address. Every page must receive exactly its own exchanges and its address's untagged ones,
//! with no `lagged` event, and the server's throughput must hold up against the same run with
//! no page subscribed.
//!
//! The figures are printed (`--nocapture`): requests per second, and the server's own CPU time
//! per request (from /proc), which the clients sharing the cores disturb less. The bound here is
//! loose (at most four times the CPU per request of the run without pages), for a busy machine;
//! BENCHMARKS.md has the figure measured on a quiet one. A debug build runs 20 requests per
//! client instead of 200 to stay a few seconds long; `cargo test --release` runs the whole
//! classroom.

mod common;

use base64::Engine;
use common::*;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

const PAGES: usize = 100;
const CLIENTS: usize = 50;
const REQUESTS: usize = if cfg!(debug_assertions) { 20 } else { 200 };
const PW: &str = "pw-load-3317";

/// Address of client `c`, and of pages `2c` and `2c + 1`.
fn address(c: usize) -> [u8; 4] {
    [127, 0, 3, c as u8 + 1]
}

fn basic() -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("cobra:{PW}"))
    )
}

/// The server process's CPU time so far (user + system), from /proc.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name (which ends with ')'): utime and stime are 14 and 15.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<u64>().ok())
        .sum();
    // USER_HZ is 100 on Linux.
    Duration::from_millis(ticks * 10)
}

/// 50 clients x 200 requests; request `n` of client `c` is tagged with `tokens[c]` when `n`
/// is even. Returns how long it took.
async fn run_clients(server: &Server, tokens: &[Option<String>]) -> Duration {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (c, token) in tokens.iter().enumerate().take(CLIENTS) {
        let url = server.url("/greeting");
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .local_address(std::net::IpAddr::from(address(c)))
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap();
            for n in 0..REQUESTS {
                let mut request = client
                    .get(&url)
                    .header("Authorization", basic())
                    .header("X-Playground-Exchange", format!("{c}-{n}"));
                if let (Some(token), 0) = (&token, n % 2) {
                    request = request.header("X-Playground-Page", token);
                }
                let response = request.send().await.unwrap();
                assert_eq!(response.status(), 200);
                response.bytes().await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_pages_each_see_exactly_their_own_under_load() {
    let user = format!("cobra:{PW}");
    let server = Server::start(&[
        "--bind",
        "127.0.0.2",
        "--classroom",
        "--secret-key",
        KEY,
        "--user",
        &user,
    ]);

    // Warm up, then the figure with no subscriber.
    run_clients(&server, &vec![None; CLIENTS]).await;
    let cpu_before = cpu_time(server.pid());
    let alone = run_clients(&server, &vec![None; CLIENTS]).await;
    let alone_cpu = cpu_time(server.pid()) - cpu_before;

    let mut pages = Vec::new();
    for p in 0..PAGES {
        let mut events = EventStream::open(
            &client_from(address(p / 2)),
            &server.url("/playground/api/events"),
        )
        .await;
        let (name, hello) = events.next(Duration::from_secs(10)).await.unwrap();
        assert_eq!(name, "hello");
        let hello: serde_json::Value = serde_json::from_str(&hello).unwrap();
        pages.push((events, hello["token"].as_str().unwrap().to_string()));
    }
    let tokens: Vec<Option<String>> = (0..CLIENTS).map(|c| Some(pages[2 * c].1.clone())).collect();

    // Every page reads its stream while the clients run.
    let mut readers = Vec::new();
    for (p, (mut events, _)) in pages.into_iter().enumerate() {
        let c = p / 2;
        let expected: BTreeSet<String> = (0..REQUESTS)
            .filter(|n| p % 2 == 0 || n % 2 == 1)
            .map(|n| format!("{c}-{n}"))
            .collect();
        readers.push(tokio::spawn(async move {
            let mut seen = BTreeSet::new();
            while seen.len() < expected.len() {
                let Some((name, data)) = events.next(Duration::from_secs(60)).await else {
                    return Err(format!(
                        "page {p}: only {} of {} reports",
                        seen.len(),
                        expected.len()
                    ));
                };
                match name.as_str() {
                    "exchange" => {
                        let report: greeting_core::ExchangeReport =
                            serde_json::from_str(&data).unwrap();
                        let id = report.exchange_id.unwrap_or_default();
                        if !expected.contains(&id) || !seen.insert(id.clone()) {
                            return Err(format!("page {p} got {id}, not one of its own"));
                        }
                    }
                    "lagged" => return Err(format!("page {p} lagged: {data}")),
                    _ => {}
                }
            }
            // Nothing more arrives for it.
            match events.next(Duration::from_millis(300)).await {
                Some((name, data)) if name == "exchange" => {
                    Err(format!("page {p} got one more: {data:.200}"))
                }
                _ => Ok(seen.len()),
            }
        }));
    }

    let cpu_before = cpu_time(server.pid());
    let watched = run_clients(&server, &tokens).await;
    let mut delivered = 0;
    let mut failures = Vec::new();
    for reader in readers {
        match reader.await.unwrap() {
            Ok(n) => delivered += n,
            Err(why) => failures.push(why),
        }
    }
    let watched_cpu = cpu_time(server.pid()) - cpu_before;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(delivered, CLIENTS * (REQUESTS + REQUESTS / 2));

    let total = (CLIENTS * REQUESTS) as f64;
    let (alone_rps, watched_rps) = (total / alone.as_secs_f64(), total / watched.as_secs_f64());
    let per_request = |cpu: Duration| cpu.as_secs_f64() * 1e6 / total;
    eprintln!(
        "classroom load: {total} requests from {CLIENTS} clients; no page {alone_rps:.0} req/s \
         ({:.1} us server CPU each), {PAGES} pages {watched_rps:.0} req/s ({:.0}%; {:.1} us server \
         CPU each, the reports included), {delivered} reports delivered",
        per_request(alone_cpu),
        100.0 * watched_rps / alone_rps,
        per_request(watched_cpu),
    );
    assert!(
        per_request(watched_cpu) <= 4.0 * per_request(alone_cpu).max(5.0),
        "with {PAGES} pages {:.1} us of server CPU per request, alone {:.1} us",
        per_request(watched_cpu),
        per_request(alone_cpu)
    );
}
