//! The playground's side channel against the real binary: who sees what by the client's address
//! (loopback or not). The side channel's reports, server info, reset, plant, CORS and the static
//! page are tested in-process in tests/routes.rs; what the log holds, in tests/chapter.rs.

mod common;

use common::*;
use greeting_core::{ExchangeReport, ServerInfo};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

/// A subscriber to `GET /playground/api/events` that has seen the stream's `hello`.
struct Events {
    stream: EventStream,
}

impl Events {
    async fn open(server: &Server, client: &reqwest::Client) -> Events {
        let url = server.url("/playground/api/events");
        let mut events = Events {
            stream: EventStream::open(client, &url).await,
        };
        let (name, data) = events.next().await.expect("a hello event");
        assert_eq!(name, "hello", "{data}");
        events
    }

    /// The next event as (name, data), or None after 10 s.
    async fn next(&mut self) -> Option<(String, String)> {
        self.stream.next(Duration::from_secs(10)).await
    }

    /// The report whose `exchange_id` is `id` (reports before it are skipped; any of them
    /// listed in `must_not_see` fails the test).
    async fn report(&mut self, id: &str, must_not_see: &[&str]) -> ExchangeReport {
        loop {
            let (name, data) = self
                .next()
                .await
                .unwrap_or_else(|| panic!("no report {id} within 10 s"));
            if name != "exchange" {
                continue;
            }
            let report: ExchangeReport = serde_json::from_str(&data).unwrap();
            if let Some(seen) = report.exchange_id.as_deref() {
                assert!(
                    !must_not_see.contains(&seen),
                    "saw {seen}, which belongs to another client"
                );
                if seen == id {
                    return report;
                }
            }
        }
    }
}

/// Beyond loopback (here `--classroom` on 127.0.0.2, which the server treats exactly as a
/// non-loopback bind, so that no test listens on every interface), each client sees only the
/// exchanges of its own IP, credentials are masked and the key is not revealed.
#[tokio::test]
async fn beyond_loopback_each_client_sees_only_its_own_exchanges() {
    let server = Server::start(&["--bind", "127.0.0.2", "--classroom", "--secret-key", KEY]);
    let url = |path: &str| format!("http://{}{path}", server.addr);
    let from = |ip: [u8; 4]| {
        reqwest::Client::builder()
            .local_address(IpAddr::V4(Ipv4Addr::from(ip)))
            .timeout(Duration::from_secs(15))
            .build()
            .unwrap()
    };
    let me = from([127, 0, 0, 1]);
    let other = from([127, 0, 0, 2]);

    let info: ServerInfo = get_json(&me, &url("/playground/api/info")).await;
    assert_eq!(
        (info.teaching, info.secret_key, info.sees_all_clients),
        (false, None, false)
    );

    let mut events = Events {
        stream: EventStream::open(&me, &url("/playground/api/events")).await,
    };
    assert_eq!(events.next().await.unwrap().0, "hello");

    let other_response = other
        .get(url("/greeting"))
        .basic_auth("cobra", Some("hiss"))
        .header("X-Playground-Exchange", "theirs")
        .send()
        .await;
    assert_eq!(
        other_response.expect("a request from 127.0.0.2").status(),
        200
    );
    me.get(url("/greeting"))
        .basic_auth("cobra", Some("hiss"))
        .header("X-Playground-Exchange", "mine")
        .send()
        .await
        .unwrap();
    let report = events.report("mine", &["theirs"]).await;
    assert_eq!(
        report_header(&report.request_headers, "Authorization"),
        Some("Basic <cobra:***>")
    );

    // The control: bound to loopback, the same two clients see each other's exchanges.
    let server = Server::start(&["--secret-key", KEY]);
    let mut events = Events::open(&server, &me).await;
    other
        .get(server.url("/greeting"))
        .basic_auth("cobra", Some("hiss"))
        .header("X-Playground-Exchange", "theirs")
        .send()
        .await
        .unwrap();
    let report = events.report("theirs", &[]).await;
    assert!(report.client.starts_with("127.0.0.2:"), "{}", report.client);
}
