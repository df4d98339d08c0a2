//! The playground's API against the real binary: the side channel (and what the log holds of
//! it) and who sees what by address. Server info, reset, plant, CORS and the static page are
//! tested in-process in tests/routes.rs.

mod common;

use common::*;
use greeting_core::{ExchangeReport, ServerInfo, Session, SessionIn};
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

fn header<'a>(headers: &'a [greeting_core::Header], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

#[tokio::test]
async fn the_side_channel_reports_each_exchange_matched_by_its_id() {
    let server = Server::start(&["--secret-key", KEY]);
    let mut events = Events::open(&server, &plain_client()).await;
    let client = session_client();

    let response = client
        .get(server.url("/greeting"))
        .basic_auth("cobra", Some("hiss"))
        .header("X-Playground-Exchange", "g-1")
        .send()
        .await
        .unwrap();
    let (cookie, _) = set_cookie(&response).unwrap();
    // The greeting response carries nothing beyond the chapter's headers.
    assert_eq!(response.headers().len(), 6);
    let report = events.report("g-1", &[]).await;
    assert_eq!(
        (report.method.as_str(), report.path.as_str(), report.status),
        ("GET", "/greeting", 200)
    );
    assert_eq!(report.user.as_deref(), Some("cobra"));
    assert_eq!(report.session_in, SessionIn::None);
    assert_eq!(
        report.session_out,
        Some(Session {
            username: "cobra".into(),
            visit: 1
        })
    );
    assert_eq!(report.cookie_in, None);
    assert_eq!(report.cookie_out.as_deref(), Some(cookie.as_str()));
    assert_eq!(report.body, WELCOME);
    assert!(report.client.starts_with("127.0.0.1:"));
    assert!(report.seq >= 1);
    let names: Vec<&str> = report
        .response_headers
        .iter()
        .map(|h| h.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "Content-Type",
            "Content-Length",
            "Vary",
            "Set-Cookie",
            "Server",
            "Date"
        ]
    );
    // On loopback the learner sees their own request as sent, credentials included.
    assert_eq!(
        header(&report.request_headers, "Authorization"),
        Some("Basic Y29icmE6aGlzcw==")
    );
    assert_eq!(
        header(&report.request_headers, "X-Playground-Exchange"),
        Some("g-1")
    );

    client
        .get(server.url("/greeting"))
        .basic_auth("cobra", Some("hiss"))
        .header("X-Playground-Exchange", "g-2")
        .send()
        .await
        .unwrap();
    let report = events.report("g-2", &[]).await;
    assert_eq!(
        report.session_in,
        SessionIn::Continued {
            username: "cobra".into(),
            visit: 1
        }
    );
    assert_eq!(report.cookie_in.as_deref(), Some(cookie.as_str()));
    assert_eq!(report.session_out.unwrap().visit, 2);

    // A tampered cookie: the report says why it was refused; the response does not.
    plain_client()
        .get(server.url("/greeting"))
        .basic_auth("cobra", Some("hiss"))
        .header(
            "Cookie",
            format!(
                "session={VISIT2_PAYLOAD}.{}",
                cookie.split_once('.').unwrap().1
            ),
        )
        .header("X-Playground-Exchange", "g-3")
        .send()
        .await
        .unwrap();
    let report = events.report("g-3", &[]).await;
    match report.session_in {
        SessionIn::Rejected { reason } => assert!(reason.contains("signature"), "{reason}"),
        other => panic!("{other:?}"),
    }

    plain_client()
        .get(server.url("/user"))
        .basic_auth("cobra", Some("meow"))
        .header("X-Playground-Exchange", "u-1")
        .send()
        .await
        .unwrap();
    let report = events.report("u-1", &[]).await;
    assert_eq!(
        (report.status, report.body.as_str(), report.user),
        (401, "{}\n", None)
    );
    assert!(report.notes[0].starts_with("401"), "{:?}", report.notes);

    plain_client()
        .post(server.url("/greeting"))
        .header("X-Playground-Exchange", "m-1")
        .send()
        .await
        .unwrap();
    assert_eq!(events.report("m-1", &[]).await.status, 405);

    // The log has one line per exchange and never a credential, cookie or key.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let log = server.stderr();
    assert!(
        log.lines().filter(|l| l.contains("exchange")).count() >= 5,
        "{log}"
    );
    for secret in ["hiss", "meow", "Y29icmE6", KEY, &cookie] {
        assert!(!log.contains(secret), "the log holds {secret}:\n{log}");
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

    let info: ServerInfo = me
        .get(url("/playground/api/info"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
        header(&report.request_headers, "Authorization"),
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
