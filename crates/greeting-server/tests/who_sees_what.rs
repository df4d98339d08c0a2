//! Who sees what, for a server that a whole class reaches: beyond loopback a learner sees only
//! the exchanges of their own address (never another learner's cookies or credentials; their
//! own clients' masked too, pages being told apart by token: tests/classroom.rs), the secret key is
//! revealed only when explicitly enabled, and CORS answers only the exact configured origins.
//!
//! "Beyond loopback" without listening on every interface: `--classroom` makes the server treat
//! its loopback address exactly as a non-loopback one (tests/playground_api.rs has the basic
//! per-IP case; `Config` unit tests check that a real non-loopback bind does the same). The
//! server listens on 127.0.0.2 and the learners connect from 127.0.0.3 and 127.0.0.4.
//! Constant-time password checks: greeting-core/tests/constant_time.rs.

mod common;

use base64::Engine;
use common::*;
use greeting_core::ServerInfo;
use std::time::Duration;

const PW_A: &str = "pw-A-7731";
const PW_B: &str = "pw-B-8842";

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn classroom(extra: &[&str]) -> Server {
    let a = format!("learnerA:{PW_A}");
    let b = format!("learnerB:{PW_B}");
    let mut args = vec![
        "--bind",
        "127.0.0.2",
        "--classroom",
        "--secret-key",
        KEY,
        "--user",
        &a,
        "--user",
        &b,
    ];
    args.extend_from_slice(extra);
    Server::start(&args)
}

/// A learner: a client from its own loopback address, with a cookie jar.
fn learner(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::V4(std::net::Ipv4Addr::from(ip)))
        .cookie_store(true)
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap()
}

/// Everything a response shows: status line, headers and body, as text.
async fn everything(response: reqwest::Response) -> String {
    let mut text = format!("{}\n", response.status());
    for (name, value) in response.headers() {
        text.push_str(&format!(
            "{name}: {}\n",
            String::from_utf8_lossy(value.as_bytes())
        ));
    }
    text.push_str(&response.text().await.unwrap_or_default());
    text
}

#[tokio::test]
async fn in_a_classroom_each_learner_sees_only_their_own_exchanges_and_never_the_key() {
    let server = classroom(&[]);
    assert!(server.addr.starts_with("127.0.0.2:"), "{}", server.addr);
    let url = |path: &str| server.url(path);
    let a = learner([127, 0, 0, 3]);
    let b = learner([127, 0, 0, 4]);

    // Each subscribes to the side channel.
    let mut a_events =
        EventStream::open(&client_from([127, 0, 0, 3]), &url("/playground/api/events")).await;
    let mut b_events =
        EventStream::open(&client_from([127, 0, 0, 4]), &url("/playground/api/events")).await;
    let (name, hello) = a_events.next(Duration::from_secs(10)).await.unwrap();
    assert_eq!(name, "hello");
    let hello: serde_json::Value = serde_json::from_str(&hello).unwrap();
    assert_eq!(hello["sees_all_clients"], false);
    assert!(hello["client"].as_str().unwrap().starts_with("127.0.0.3:"));
    assert_eq!(
        b_events.next(Duration::from_secs(10)).await.unwrap().0,
        "hello"
    );

    // B has a session of three visits, and tries A's name with B's password.
    let mut b_cookies = Vec::new();
    for n in 0..3 {
        let response = b
            .get(url("/greeting"))
            .basic_auth("learnerB", Some(PW_B))
            .header("X-Playground-Exchange", format!("b-{n}"))
            .send()
            .await
            .unwrap();
        b_cookies.push(set_cookie(&response).unwrap().0);
    }
    let response = b
        .get(url("/user"))
        .basic_auth("learnerA", Some(PW_B))
        .header("X-Playground-Exchange", "b-wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    // A has one visit.
    for id in ["a-0", "a-last"] {
        let response = a
            .get(url("/greeting"))
            .basic_auth("learnerA", Some(PW_A))
            .header("X-Playground-Exchange", id)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }

    // A's channel: A's exchanges only, A's own credentials masked.
    let seen = a_events.reports_until("a-last").await;
    assert_eq!(
        seen.len(),
        2,
        "A saw {:?}",
        seen.iter().map(|r| &r.exchange_id).collect::<Vec<_>>()
    );
    for report in &seen {
        assert!(report.client.starts_with("127.0.0.3:"), "{}", report.client);
        let json = serde_json::to_string(report).unwrap();
        for secret in b_cookies.iter().map(String::as_str).chain([
            PW_A,
            PW_B,
            KEY,
            &b64(&format!("learnerA:{PW_A}")),
            &b64(&format!("learnerB:{PW_B}")),
            "learnerB",
        ]) {
            assert!(!json.contains(secret), "A's report holds {secret}: {json}");
        }
        let authorization = report
            .request_headers
            .iter()
            .find(|h| h.name == "Authorization")
            .map(|h| h.value.as_str());
        assert_eq!(authorization, Some("Basic <learnerA:***>"));
    }
    // B's channel: B's four exchanges, none of A's.
    let seen = b_events.reports_until("b-wrong").await;
    let ids: Vec<_> = seen
        .iter()
        .filter_map(|r| r.exchange_id.as_deref())
        .collect();
    assert_eq!(ids, ["b-0", "b-1", "b-2", "b-wrong"]);
    // B's client is not B's page: in a classroom its cookies are hidden too (behind one NAT
    // address it could be another learner's), the visits it made still shown.
    assert_eq!(seen[2].cookie_in, None);
    assert_eq!(
        seen[2].session_in,
        greeting_core::SessionIn::Continued {
            username: "learnerB".into(),
            visit: 2
        }
    );
    let json = serde_json::to_string(&seen).unwrap();
    assert!(!json.contains(PW_B) && !json.contains(PW_A), "{json}");
    for cookie in &b_cookies {
        assert!(!json.contains(cookie.as_str()), "{json}");
    }

    // The key shows nowhere a learner can look.
    let info: ServerInfo = get_json(&a, &url("/playground/api/info")).await;
    assert_eq!(
        (
            info.teaching,
            info.secret_key.as_deref(),
            info.sees_all_clients
        ),
        (false, None, false)
    );
    let probes = vec![
        a.get(url("/playground/api/info")),
        a.get(url("/greeting")).basic_auth("learnerA", Some(PW_A)),
        a.get(url("/greeting")),
        a.get(url("/user")).basic_auth("learnerA", Some(PW_A)),
        a.get(url("/nope")),
        a.post(url("/greeting")),
        a.post(url("/playground/api/reset")),
        a.post(url("/playground/api/plant"))
            .json(&serde_json::json!({"cookie": "x.y.z"})),
        a.post(url("/playground/api/plant"))
            .json(&serde_json::json!({"cookie": b_cookies[0]})),
        a.request(reqwest::Method::OPTIONS, url("/greeting")),
    ];
    for probe in probes {
        let text = everything(probe.send().await.unwrap()).await;
        assert!(!text.contains(KEY), "{text}");
    }
    drop(a_events);
    drop(b_events);
    std::thread::sleep(Duration::from_millis(100));
    let log = server.stderr();
    assert!(log.contains("classroom mode"), "{log}");
    for secret in [KEY, PW_A, PW_B] {
        assert!(!log.contains(secret), "the log holds {secret}");
    }
}

#[tokio::test]
async fn in_a_classroom_the_key_is_revealed_only_when_asked() {
    let info = |server: &Server| {
        let url = server.url("/playground/api/info");
        async move {
            learner([127, 0, 0, 3])
                .get(url)
                .send()
                .await
                .unwrap()
                .json::<ServerInfo>()
                .await
                .unwrap()
        }
    };
    let revealed = classroom(&["--reveal-secret-key"]);
    let i = info(&revealed).await;
    assert_eq!(
        (i.teaching, i.secret_key.as_deref(), i.sees_all_clients),
        (true, Some(KEY), false)
    );
    assert!(
        revealed.stderr().contains("IS revealed") || {
            std::thread::sleep(Duration::from_millis(300));
            revealed.stderr().contains("IS revealed")
        }
    );
    // The same loopback address without --classroom: the learner's own machine, key shown.
    let own = Server::start(&["--bind", "127.0.0.2", "--secret-key", KEY]);
    let i = info(&own).await;
    assert_eq!(
        (i.secret_key.as_deref(), i.sees_all_clients),
        (Some(KEY), true)
    );
}

const PAGE: &str = "http://localhost:8080";

fn cors_headers(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .keys()
        .filter(|k| k.as_str().starts_with("access-control-"))
        .map(|k| k.to_string())
        .collect()
}

#[tokio::test]
async fn cors_answers_only_the_exact_configured_origin_on_every_path() {
    let server = Server::start(&["--allow-origin", PAGE, "--secret-key", KEY]);
    let client = plain_client();
    let requests = |origin: &str| {
        let with = |r: reqwest::RequestBuilder| r.header("Origin", origin);
        vec![
            (
                "GET /greeting",
                with(
                    client
                        .get(server.url("/greeting"))
                        .basic_auth("cobra", Some("hiss")),
                ),
            ),
            (
                "GET /greeting (401)",
                with(client.get(server.url("/greeting"))),
            ),
            (
                "GET /user",
                with(
                    client
                        .get(server.url("/user"))
                        .basic_auth("cobra", Some("hiss")),
                ),
            ),
            ("GET /nope (404)", with(client.get(server.url("/nope")))),
            (
                "POST /greeting (405)",
                with(client.post(server.url("/greeting"))),
            ),
            (
                "GET info",
                with(client.get(server.url("/playground/api/info"))),
            ),
            (
                "POST reset",
                with(client.post(server.url("/playground/api/reset"))),
            ),
            (
                "preflight plant",
                with(client.request(
                    reqwest::Method::OPTIONS,
                    server.url("/playground/api/plant"),
                ))
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "content-type"),
            ),
            (
                "preflight greeting",
                with(client.request(reqwest::Method::OPTIONS, server.url("/greeting")))
                    .header("Access-Control-Request-Method", "GET")
                    .header("Access-Control-Request-Headers", "authorization"),
            ),
        ]
    };

    for (what, request) in requests(PAGE) {
        let response = request.send().await.unwrap();
        assert!(response.status().as_u16() < 500, "{what}");
        let h = response.headers();
        assert_eq!(
            h.get("access-control-allow-origin")
                .map(|v| v.to_str().unwrap()),
            Some(PAGE),
            "{what}"
        );
        assert_eq!(h["access-control-allow-credentials"], "true", "{what}");
        let vary: Vec<_> = h
            .get_all("vary")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        assert!(
            vary.iter().any(|v| v.contains("Origin")),
            "{what}: {vary:?}"
        );
    }
    // The side channel, too (read its headers only).
    let events = plain_client()
        .get(server.url("/playground/api/events"))
        .header("Origin", PAGE)
        .send()
        .await
        .unwrap();
    assert_eq!(events.headers()["access-control-allow-origin"], PAGE);
    drop(events);

    for origin in [
        "http://LOCALHOST:8080",
        "HTTP://localhost:8080",
        "http://localhost:8080/",
        "https://localhost:8080",
        "http://localhost",
        "http://localhost:80800",
        "http://localhost:8080.evil.example",
        "http://evil.example",
        "http://localhost:8080, http://evil.example",
        "null",
        "*",
        "",
    ] {
        for (what, request) in requests(origin) {
            let response = request.send().await.unwrap();
            assert!(response.status().as_u16() < 500, "{origin} {what}");
            assert_eq!(
                cors_headers(&response),
                Vec::<String>::new(),
                "{origin:?} {what}"
            );
        }
        let events = plain_client()
            .get(server.url("/playground/api/events"))
            .header("Origin", origin)
            .send()
            .await
            .unwrap();
        assert_eq!(
            cors_headers(&events),
            Vec::<String>::new(),
            "{origin:?} events"
        );
    }
}
