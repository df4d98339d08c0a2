//! A classroom under load (issue 17), run against a greeting server started with
//! [`Classroom::server_flags`]: two pages per address subscribed to the side channel, each with
//! its own token, while one scripted client per address makes greeting requests, half of them
//! tagged with the token of the first page at its address. Every page must receive exactly its
//! own exchanges and its address's untagged ones, with no `lagged` event; the throughput is
//! measured with no page subscribed and then with all of them. The server's test
//! (crates/greeting-server/tests/classroom_load.rs) and the benchmark row both run this.

use crate::sse::{events, next_event, Events};
use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// The password of the classroom's user (`cobra`).
const PASSWORD: &str = "pw-load-3317";
/// The address the server binds: not 127.0.0.1, so that the clients' addresses are other
/// learners' (with `--classroom`).
const SERVER_BIND: &str = "127.0.0.2";
/// How long one request, or the wait for one report, may take.
const PATIENCE: Duration = Duration::from_secs(60);

/// The shape of the classroom: `clients` addresses, each with one scripted client and two pages.
#[derive(Clone, Copy, Debug)]
pub struct Classroom {
    pub clients: usize,
    /// Greeting requests each client makes per run.
    pub requests: usize,
}

/// What one classroom run measured.
#[derive(Clone, Debug)]
pub struct ClassroomRun {
    pub pages: usize,
    /// Greeting requests per phase (all clients together).
    pub requests: usize,
    /// How long the clients took, and the server's CPU time meanwhile, with no page subscribed.
    pub alone: Duration,
    pub alone_cpu: Duration,
    /// The same with every page subscribed (the CPU time includes sending the reports).
    pub watched: Duration,
    pub watched_cpu: Duration,
    /// Reports the pages received, and how many they should have.
    pub delivered: usize,
    pub expected: usize,
    /// Pages that missed a report, got one not theirs, or saw a `lagged` event.
    pub failures: Vec<String>,
}

impl ClassroomRun {
    pub fn alone_rps(&self) -> f64 {
        self.requests as f64 / self.alone.as_secs_f64()
    }

    pub fn watched_rps(&self) -> f64 {
        self.requests as f64 / self.watched.as_secs_f64()
    }

    /// Throughput with every page subscribed over throughput with none.
    pub fn ratio(&self) -> f64 {
        self.watched_rps() / self.alone_rps()
    }

    /// Server CPU time per request, in microseconds.
    pub fn alone_cpu_us(&self) -> f64 {
        self.alone_cpu.as_secs_f64() * 1e6 / self.requests as f64
    }

    pub fn watched_cpu_us(&self) -> f64 {
        self.watched_cpu.as_secs_f64() * 1e6 / self.requests as f64
    }

    /// Every page got exactly what it may see, and nothing lagged.
    pub fn every_page_exact(&self) -> bool {
        self.failures.is_empty() && self.delivered == self.expected
    }
}

impl Classroom {
    /// Issue 17's classroom: 100 pages, 50 clients × 200 requests.
    pub const ISSUE_17: Classroom = Classroom {
        clients: 50,
        requests: 200,
    };

    pub fn pages(&self) -> usize {
        2 * self.clients
    }

    /// The server's flags for this classroom, besides its port and secret key.
    pub fn server_flags() -> Vec<String> {
        ["--bind", SERVER_BIND, "--classroom", "--user"]
            .into_iter()
            .map(String::from)
            .chain([format!("cobra:{PASSWORD}")])
            .collect()
    }

    /// Runs the classroom against the server at `server` (process `pid`, for its CPU time):
    /// a warm-up, the run with no page, then the pages subscribe and the run with them. Needs a
    /// multi-threaded tokio runtime. An error is a request that failed or a page that could not
    /// subscribe; what the pages received is in [`ClassroomRun::failures`].
    pub async fn run(&self, server: SocketAddr, pid: u32) -> Result<ClassroomRun, String> {
        assert!(
            self.clients <= 254,
            "one address per client: 127.0.3.1 to .254"
        );
        let untagged = vec![None; self.clients];
        self.run_clients(server, &untagged).await?;
        let cpu_before = cpu_time(pid);
        let alone = self.run_clients(server, &untagged).await?;
        let alone_cpu = cpu_time(pid).saturating_sub(cpu_before);

        let mut pages = Vec::new();
        for p in 0..self.pages() {
            pages.push(EventStream::subscribe(server, address(p / 2)).await?);
        }
        let tokens: Vec<Option<String>> = (0..self.clients)
            .map(|c| Some(pages[2 * c].token.clone()))
            .collect();
        let mut expected = 0;
        let mut readers = Vec::new();
        for (p, events) in pages.into_iter().enumerate() {
            let c = p / 2;
            let own: BTreeSet<String> = (0..self.requests)
                .filter(|n| p % 2 == 0 || n % 2 == 1)
                .map(|n| format!("{c}-{n}"))
                .collect();
            expected += own.len();
            readers.push(tokio::spawn(events.read_exactly(p, own)));
        }

        let cpu_before = cpu_time(pid);
        let watched = self.run_clients(server, &tokens).await?;
        let mut delivered = 0;
        let mut failures = Vec::new();
        for reader in readers {
            match reader.await {
                Ok(Ok(n)) => delivered += n,
                Ok(Err(why)) => failures.push(why),
                Err(e) => failures.push(format!("a page's reader failed: {e}")),
            }
        }
        let watched_cpu = cpu_time(pid).saturating_sub(cpu_before);
        Ok(ClassroomRun {
            pages: self.pages(),
            requests: self.clients * self.requests,
            alone,
            alone_cpu,
            watched,
            watched_cpu,
            delivered,
            expected,
            failures,
        })
    }

    /// Every client makes its requests (request `n` of client `c` is `c-n`, tagged with
    /// `tokens[c]` when `n` is even); how long they took.
    async fn run_clients(
        &self,
        server: SocketAddr,
        tokens: &[Option<String>],
    ) -> Result<Duration, String> {
        let started = Instant::now();
        let mut tasks = Vec::new();
        for (c, token) in tokens.iter().enumerate() {
            let (token, requests) = (token.clone(), self.requests);
            tasks.push(tokio::spawn(async move {
                let client = client_from(address(c));
                for n in 0..requests {
                    let mut request = Request::get(format!("http://{server}/greeting"))
                        .header(AUTHORIZATION, basic())
                        .header("X-Playground-Exchange", format!("{c}-{n}"));
                    if let (Some(token), 0) = (&token, n % 2) {
                        request = request.header("X-Playground-Page", token);
                    }
                    let response = send(&client, request).await?;
                    if response.status() != StatusCode::OK {
                        return Err(format!("client {c}: request {n} got {}", response.status()));
                    }
                    response
                        .into_body()
                        .collect()
                        .await
                        .map_err(|e| format!("client {c}: request {n}: {e}"))?;
                }
                Ok(())
            }));
        }
        for task in tasks {
            task.await.map_err(|e| e.to_string())??;
        }
        Ok(started.elapsed())
    }
}

/// Address of client `c`, and of pages `2c` and `2c + 1`.
fn address(c: usize) -> IpAddr {
    IpAddr::from([127, 0, 3, c as u8 + 1])
}

fn basic() -> String {
    let credentials = format!("cobra:{PASSWORD}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(credentials)
    )
}

type HttpClient = Client<HttpConnector, Empty<Bytes>>;

/// A keep-alive client whose connections come from `from`.
fn client_from(from: IpAddr) -> HttpClient {
    let mut connector = HttpConnector::new();
    connector.set_local_address(Some(from));
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new()).build(connector)
}

async fn send(
    client: &HttpClient,
    request: hyper::http::request::Builder,
) -> Result<Response<Incoming>, String> {
    let request = request.body(Empty::new()).map_err(|e| e.to_string())?;
    let uri = request.uri().clone();
    match tokio::time::timeout(PATIENCE, client.request(request)).await {
        Ok(Ok(response)) => Ok(response),
        Ok(Err(e)) => Err(format!("GET {uri}: {e}")),
        Err(_) => Err(format!("GET {uri}: no answer within {PATIENCE:?}")),
    }
}

/// One page's subscription to the side channel.
struct EventStream {
    events: Events,
    token: String,
    // The stream's connection lives as long as its client.
    _client: HttpClient,
}

/// What a page's reader needs of a report (the rest is skipped, not built).
#[derive(serde::Deserialize)]
struct Tagged {
    exchange_id: Option<String>,
}

impl EventStream {
    /// Subscribes from `from` and reads the `hello` event that carries the page's token.
    async fn subscribe(server: SocketAddr, from: IpAddr) -> Result<EventStream, String> {
        let client = client_from(from);
        let request = Request::get(format!("http://{server}/playground/api/events"))
            .header(ACCEPT, "text/event-stream");
        let response = send(&client, request).await?;
        if response.status() != StatusCode::OK {
            return Err(format!("subscribing from {from}: {}", response.status()));
        }
        let content_type = response.headers().get(CONTENT_TYPE);
        if content_type.is_none_or(|v| v != "text/event-stream") {
            return Err(format!(
                "the side channel's Content-Type is {content_type:?}"
            ));
        }
        let mut events = EventStream {
            events: events(response.into_body().into_data_stream()),
            token: String::new(),
            _client: client,
        };
        let (name, hello) = events
            .next(Duration::from_secs(10))
            .await
            .ok_or_else(|| format!("no hello event for a page from {from}"))?;
        let hello: serde_json::Value = serde_json::from_str(&hello)
            .map_err(|e| format!("the {name} event is not JSON ({e}): {hello}"))?;
        events.token = hello["token"]
            .as_str()
            .ok_or_else(|| format!("a {name} event without a token: {hello}"))?
            .to_string();
        Ok(events)
    }

    /// The next event as (name, data), or None when `within` passes or the stream ends.
    async fn next(&mut self, within: Duration) -> Option<(String, String)> {
        next_event(&mut self.events, within).await
    }

    /// Reads until page `p` has every exchange of `own`, failing on one not in it, a repeat or a
    /// `lagged` event; then nothing more may arrive within 300 ms. How many it received.
    async fn read_exactly(mut self, p: usize, own: BTreeSet<String>) -> Result<usize, String> {
        let mut seen = BTreeSet::new();
        while seen.len() < own.len() {
            let Some((name, data)) = self.next(PATIENCE).await else {
                return Err(format!(
                    "page {p}: only {} of {} reports",
                    seen.len(),
                    own.len()
                ));
            };
            match name.as_str() {
                "exchange" => {
                    let report: Tagged = serde_json::from_str(&data)
                        .map_err(|e| format!("page {p}: a report that is not JSON ({e})"))?;
                    let id = report.exchange_id.unwrap_or_default();
                    if !own.contains(&id) || !seen.insert(id.clone()) {
                        return Err(format!("page {p} got {id:?}, not one of its own"));
                    }
                }
                "lagged" => return Err(format!("page {p} lagged: {data}")),
                _ => {}
            }
        }
        match self.next(Duration::from_millis(300)).await {
            Some((name, data)) if name == "exchange" => {
                Err(format!("page {p} got one more: {data:.200}"))
            }
            _ => Ok(seen.len()),
        }
    }
}

/// A process's CPU time so far (user + system); zero when unreadable.
fn cpu_time(pid: u32) -> Duration {
    crate::cpu_times(pid).map_or(Duration::ZERO, |(user, system)| user + system)
}
