//! Safe to teach a class (issue 17), on the real binary: DNS rebinding (a foreign `Host`) is
//! refused on every route, a tunnel's name is served without the key, two pages behind one
//! address see only their own exchanges (and the learner's script masked), the side channel
//! refuses a foreign `Origin`, and the instructor view sees everything masked.
//!
//! Learners are loopback source addresses (127.0.0.3, 127.0.0.4, ...), as in who_sees_what.rs.
//! The load case (100 pages, 50 clients) is tests/classroom_load.rs.

mod common;

use base64::Engine;
use common::*;
use serde_json::Value;
use std::time::Duration;

const PW: &str = "pw-classroom-5521";

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// `GET path` on a fresh connection with exactly these header lines (raw bytes).
fn raw(method: &str, path: &str, headers: &[&[u8]]) -> Vec<u8> {
    let mut r = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n").into_bytes();
    for h in headers {
        r.extend_from_slice(h);
        r.extend_from_slice(b"\r\n");
    }
    if method == "POST" {
        r.extend_from_slice(b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
    } else {
        r.extend_from_slice(b"\r\n");
    }
    r
}

/// Every route the server has, with what a page would send.
fn routes() -> Vec<(&'static str, &'static str, Vec<Vec<u8>>)> {
    let auth = format!("Authorization: {}", basic("cobra", PW)).into_bytes();
    vec![
        ("GET", "/", vec![]),
        ("GET", "/index.html", vec![]),
        ("GET", "/some/page/route", vec![]),
        ("GET", "/greeting", vec![auth.clone()]),
        ("HEAD", "/greeting", vec![auth.clone()]),
        ("GET", "/user", vec![auth]),
        ("GET", "/playground/api/info", vec![]),
        ("GET", "/playground/api/events", vec![]),
        ("POST", "/playground/api/reset", vec![]),
        ("POST", "/playground/api/plant", vec![]),
        ("GET", "/playground/api/nope", vec![]),
        ("POST", "/greeting", vec![]),
        (
            "OPTIONS",
            "/greeting",
            vec![
                b"Origin: http://evil.example:5000".to_vec(),
                b"Access-Control-Request-Method: GET".to_vec(),
            ],
        ),
        ("GET", "/nope", vec![]),
    ]
}

fn static_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("classroom-static-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>page</title>").unwrap();
    dir
}

fn server(extra: &[&str]) -> Server {
    let dir = static_dir();
    let user = format!("cobra:{PW}");
    let mut args = vec![
        "--secret-key",
        KEY,
        "--user",
        &user,
        "--static",
        dir.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    Server::start(&args)
}

fn json_body(reply: &RawReply) -> Value {
    serde_json::from_slice(&reply.body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", reply.body_text()))
}

#[tokio::test]
async fn a_foreign_host_is_refused_on_every_route_and_never_gets_the_key() {
    let server = server(&[]);
    let port = server.port();
    let foreign = format!("Host: evil.example:{port}").into_bytes();
    for (method, path, headers) in routes() {
        let mut lines: Vec<&[u8]> = vec![&foreign];
        lines.extend(headers.iter().map(Vec::as_slice));
        let reply = raw_exchange(
            &server.addr,
            &raw(method, path, &lines),
            Duration::from_secs(10),
        )
        .await;
        assert_eq!(reply.status, Some(421), "{method} {path}: {}", reply.head);
        assert!(!reply.body_text().contains(KEY) && !reply.head.contains(KEY));
        assert!(
            !reply.head.to_ascii_lowercase().contains("access-control-"),
            "{method} {path}: {}",
            reply.head
        );
        if method != "HEAD" {
            let body = json_body(&reply);
            assert_eq!(body["error"], "Misdirected Request", "{body}");
            assert_eq!(
                body["hint"],
                "start greeting-server with --allow-host evil.example"
            );
            assert!(body["message"].as_str().unwrap().contains("evil.example"));
        }
    }
    // Hostile Host values: refused with a clear answer, never a 5xx, never the key.
    let long = format!("Host: {}.example", "a".repeat(5000));
    let hostile: Vec<Vec<u8>> = vec![
        b"Host: ".to_vec(),
        long.into_bytes(),
        "Host: b\u{fc}cher.example".as_bytes().to_vec(),
        b"Host: \xff\xfe".to_vec(),
        format!("Host: cobra:{PW}@localhost:{port}").into_bytes(),
        format!("Host: cobra@127.0.0.1:{port}").into_bytes(),
        b"Host: ::1".to_vec(),
        b"Host: [::1".to_vec(),
        b"Host: [fe80::1%25lo]".to_vec(),
        b"Host: [::2]:5000".to_vec(),
        b"Host: localhost:99999".to_vec(),
        b"Host: localhost.evil.example".to_vec(),
        b"Host: 127.0.0.1.nip.io".to_vec(),
        b"Host: 0.0.0.0".to_vec(),
    ];
    for host in &hostile {
        let reply = raw_exchange(
            &server.addr,
            &raw("GET", "/playground/api/info", &[host]),
            Duration::from_secs(10),
        )
        .await;
        let shown = String::from_utf8_lossy(host)
            .chars()
            .take(80)
            .collect::<String>();
        assert!(
            matches!(reply.status, Some(400) | Some(421)),
            "{shown}: {}",
            reply.head
        );
        assert!(!reply.body_text().contains(KEY), "{shown}");
        if reply.status == Some(421) {
            let body = json_body(&reply);
            assert!(
                body["hint"].as_str().unwrap().contains("--allow-host"),
                "{body}"
            );
        }
    }
    // No Host at all on HTTP/1.1, and two of them.
    for lines in [
        vec![],
        vec![b"Host: localhost".as_slice(), b"Host: evil.example"],
    ] {
        let reply = raw_exchange(
            &server.addr,
            &raw("GET", "/playground/api/info", &lines),
            Duration::from_secs(10),
        )
        .await;
        assert!(
            matches!(reply.status, Some(400) | Some(421)),
            "{}",
            reply.head
        );
        assert!(!reply.body_text().contains(KEY));
    }
    // The names this machine answers to still get the page, the greeting and the key.
    for host in [
        format!("Host: localhost:{port}"),
        format!("Host: 127.0.0.1:{port}"),
        format!("Host: [::1]:{port}"),
        "Host: LOCALHOST".to_string(),
    ] {
        let reply = raw_exchange(
            &server.addr,
            &raw("GET", "/playground/api/info", &[host.as_bytes()]),
            Duration::from_secs(10),
        )
        .await;
        assert_eq!(reply.status, Some(200), "{host}");
        assert_eq!(json_body(&reply)["secret_key"], KEY, "{host}");
        let page = raw_exchange(
            &server.addr,
            &raw("GET", "/", &[host.as_bytes()]),
            Duration::from_secs(10),
        )
        .await;
        assert_eq!(page.status, Some(200), "{host}");
    }
    std::thread::sleep(Duration::from_millis(200));
    let log = server.stderr();
    assert!(
        log.contains("evil.example") && log.contains("refused"),
        "the log names the refused host: {log:.2000}"
    );
    assert!(!log.contains(KEY) && !log.contains(PW));
}

#[tokio::test]
async fn a_tunnel_name_is_served_without_the_key() {
    let server = server(&[
        "--allow-host",
        "class.example",
        "--allow-host",
        ".tunnel.example",
    ]);
    let get = |host: &str, extra: Option<&str>| {
        let mut lines = vec![format!("Host: {host}").into_bytes()];
        lines.extend(extra.map(|e| e.as_bytes().to_vec()));
        let addr = server.addr.clone();
        async move {
            let lines: Vec<&[u8]> = lines.iter().map(Vec::as_slice).collect();
            raw_exchange(
                &addr,
                &raw("GET", "/playground/api/info", &lines),
                Duration::from_secs(10),
            )
            .await
        }
    };
    for host in [
        "class.example",
        "class.example:443",
        "abc.tunnel.example",
        "tunnel.example",
    ] {
        let reply = get(host, None).await;
        assert_eq!(reply.status, Some(200), "{host}: {}", reply.head);
        let info = json_body(&reply);
        assert_eq!(info["secret_key"], Value::Null, "{host}: {info}");
        assert_eq!(info["teaching"], false, "{host}");
    }
    // A port forward that rewrites Host to localhost still says whom it forwards.
    for forwarded in [
        "X-Forwarded-For: 203.0.113.7",
        "X-Forwarded-Host: class.example",
        "Forwarded: for=203.0.113.7",
    ] {
        let info = json_body(&get("localhost", Some(forwarded)).await);
        assert_eq!(info["secret_key"], Value::Null, "{forwarded}");
    }
    // trunk serve's proxy names the page's own localhost: still this machine.
    let info = json_body(&get("127.0.0.1", Some("X-Forwarded-Host: localhost:8080")).await);
    assert_eq!(info["secret_key"], KEY);
    // The chapter's request works under the tunnel's name.
    let auth = format!("Authorization: {}", basic("cobra", PW));
    let reply = raw_exchange(
        &server.addr,
        &raw(
            "GET",
            "/greeting",
            &[b"Host: class.example", auth.as_bytes()],
        ),
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(reply.status, Some(200));
    assert_eq!(json_body(&reply)["message"], "Welcome, cobra!");
    for refused in [
        "evil.example",
        "class.example.evil.example",
        "xtunnel.example",
    ] {
        assert_eq!(get(refused, None).await.status, Some(421), "{refused}");
    }
}

/// A learner's page: subscribed from `ip`, with the token from its `hello` event.
struct Page {
    events: EventStream,
    token: String,
    client: reqwest::Client,
}

async fn open_page(server: &Server, ip: [u8; 4], query: &str) -> Page {
    let mut events = EventStream::open(
        &client_from(ip),
        &server.url(&format!("/playground/api/events{query}")),
    )
    .await;
    let (name, hello) = events.next(Duration::from_secs(10)).await.unwrap();
    assert_eq!(name, "hello");
    let hello: Value = serde_json::from_str(&hello).unwrap();
    let token = hello["token"]
        .as_str()
        .expect("a token in hello")
        .to_string();
    assert_eq!(token.len(), 32, "{hello}");
    Page {
        events,
        token,
        client: client_from(ip),
    }
}

impl Page {
    /// `GET /greeting` as this page sends it: its token and an exchange id.
    async fn greet(&self, server: &Server, id: &str) {
        let response = self
            .client
            .get(server.url("/greeting"))
            .header("Authorization", basic("cobra", PW))
            .header("X-Playground-Page", &self.token)
            .header("X-Playground-Exchange", id)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }

    /// The exchange ids this page receives until `last`, with each report.
    async fn seen_until(&mut self, last: &str) -> Vec<greeting_core::ExchangeReport> {
        self.events.reports_until(last).await
    }
}

/// A script (the learner's Python): no token, a cookie jar, its own exchange ids.
async fn script_greets(from: [u8; 4], server: &Server, id: &str) -> String {
    let client = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(from))
        .build()
        .unwrap();
    let response = client
        .get(server.url("/greeting"))
        .header("Authorization", basic("cobra", PW))
        .header("Cookie", "session=not.a.cookie")
        .header("X-Playground-Exchange", id)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    set_cookie(&response).unwrap().0
}

#[tokio::test]
async fn behind_one_address_each_page_sees_its_own_and_the_script_masked() {
    let server = server(&["--bind", "127.0.0.2", "--classroom"]);
    let mut a = open_page(&server, [127, 0, 0, 3], "").await;
    let mut b = open_page(&server, [127, 0, 0, 3], "").await;
    let mut elsewhere = open_page(&server, [127, 0, 0, 4], "").await;
    assert_ne!(a.token, b.token);

    a.greet(&server, "a-1").await;
    b.greet(&server, "b-1").await;
    a.greet(&server, "a-2").await;
    let script_cookie = script_greets([127, 0, 0, 3], &server, "script").await;
    script_greets([127, 0, 0, 4], &server, "other-script").await;
    // The end markers: each page's own last request.
    a.greet(&server, "a-end").await;
    b.greet(&server, "b-end").await;
    elsewhere.greet(&server, "e-end").await;

    let ids = |reports: &[greeting_core::ExchangeReport]| -> Vec<String> {
        reports
            .iter()
            .filter_map(|r| r.exchange_id.clone())
            .collect()
    };
    let seen_a = a.seen_until("a-end").await;
    assert_eq!(ids(&seen_a), ["a-1", "a-2", "script", "a-end"]);
    let seen_b = b.seen_until("b-end").await;
    assert_eq!(ids(&seen_b), ["b-1", "script", "b-end"]);
    let seen_e = elsewhere.seen_until("e-end").await;
    assert_eq!(ids(&seen_e), ["other-script", "e-end"]);

    let password = base64::engine::general_purpose::STANDARD.encode(format!("cobra:{PW}"));
    for (seen, token) in [(&seen_a, &a.token), (&seen_b, &b.token)] {
        for report in seen {
            let json = serde_json::to_string(report).unwrap();
            let authorization = report
                .request_headers
                .iter()
                .find(|h| h.name == "Authorization")
                .map(|h| h.value.clone());
            if report.exchange_id.as_deref() == Some("script") {
                // Another client: masked, its cookies hidden, and said so.
                assert_eq!(authorization.as_deref(), Some("Basic <cobra:***>"));
                assert!(
                    !json.contains(&password) && !json.contains(&script_cookie),
                    "{json}"
                );
                assert_eq!(report.cookie_out, None);
                assert!(report.notes.iter().any(|n| n.contains("hidden")), "{json}");
            } else {
                // The page's own exchange, in full: it sent these credentials itself.
                assert_eq!(authorization, Some(basic("cobra", PW)));
                assert!(report.cookie_out.is_some());
                assert!(json.contains(token.as_str()));
            }
        }
    }
    // Neither page's token reached the other.
    assert!(!serde_json::to_string(&seen_a).unwrap().contains(&b.token));
    assert!(!serde_json::to_string(&seen_b).unwrap().contains(&a.token));
}

#[tokio::test]
async fn on_the_learners_own_machine_the_script_is_shown_in_full() {
    let server = server(&[]);
    let mut page = open_page(&server, [127, 0, 0, 1], "").await;
    let cookie = script_greets([127, 0, 0, 1], &server, "script").await;
    page.greet(&server, "end").await;
    let seen = page.seen_until("end").await;
    assert_eq!(seen[0].exchange_id.as_deref(), Some("script"));
    assert_eq!(seen[0].cookie_out.as_deref(), Some(cookie.as_str()));
    assert!(seen[0]
        .request_headers
        .iter()
        .any(|h| h.name == "Authorization" && h.value == basic("cobra", PW)));
}

#[tokio::test]
async fn the_side_channel_and_the_api_refuse_a_foreign_origin() {
    let server = server(&["--allow-origin", "http://localhost:8080"]);
    let port = server.port();
    let events = |origin: String| {
        let url = server.url("/playground/api/events");
        async move {
            plain_client()
                .get(url)
                .header("Origin", origin)
                .send()
                .await
                .unwrap()
        }
    };
    for origin in [
        "http://evil.example".to_string(),
        format!("http://evil.example:{port}"),
        format!("http://localhost:{}", port.wrapping_add(1)),
        "null".into(),
        String::new(),
        "http://localhost:8080.evil.example".into(),
        format!("http://cobra@localhost:{port}"),
    ] {
        let response = events(origin.clone()).await;
        assert_eq!(response.status(), 403, "{origin:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body["hint"], "start greeting-server with --allow-origin ORIGIN",
            "{body}"
        );
        let reset = plain_client()
            .post(server.url("/playground/api/reset"))
            .header("Origin", &origin)
            .send()
            .await
            .unwrap();
        assert_eq!(reset.status(), 403, "{origin:?}");
    }
    // Its own origin, and the allowed one, subscribe.
    for origin in [
        format!("http://127.0.0.1:{port}"),
        "http://localhost:8080".into(),
    ] {
        let response = events(origin.clone()).await;
        assert_eq!(response.status(), 200, "{origin}");
        assert_eq!(response.headers()["content-type"], "text/event-stream");
    }
    // The preflight of a page on the allowed origin lists the page-token header.
    let preflight = plain_client()
        .request(reqwest::Method::OPTIONS, server.url("/greeting"))
        .header("Origin", "http://localhost:8080")
        .header("Access-Control-Request-Method", "GET")
        .header(
            "Access-Control-Request-Headers",
            "authorization,x-playground-page",
        )
        .send()
        .await
        .unwrap();
    let allowed = preflight.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(allowed.contains("x-playground-page"), "{allowed}");
}

#[tokio::test]
async fn the_instructor_sees_every_exchange_masked() {
    let server = server(&[
        "--bind",
        "127.0.0.2",
        "--classroom",
        "--instructor-token",
        "teach-42",
    ]);
    for wrong in [
        "?instructor=teach-4",
        "?instructor=",
        "?instructor=teach-42x",
    ] {
        let response = client_from([127, 0, 0, 9])
            .get(server.url(&format!("/playground/api/events{wrong}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{wrong}");
    }
    let mut teacher = open_page(&server, [127, 0, 0, 9], "?instructor=teach-42").await;
    let learner = open_page(&server, [127, 0, 0, 3], "").await;
    learner.greet(&server, "learner").await;
    script_greets([127, 0, 0, 4], &server, "script").await;
    teacher.greet(&server, "teacher").await;
    let seen = teacher.seen_until("teacher").await;
    let ids: Vec<_> = seen
        .iter()
        .filter_map(|r| r.exchange_id.as_deref())
        .collect();
    assert_eq!(ids, ["learner", "script", "teacher"]);
    for report in &seen[..2] {
        let json = serde_json::to_string(report).unwrap();
        assert!(!json.contains(&learner.token), "{json}");
        assert!(report
            .request_headers
            .iter()
            .any(|h| h.name == "Authorization" && h.value == "Basic <cobra:***>"));
    }
    // Without --instructor-token there is no instructor view.
    let plain = server_without_instructor().await;
    let response = client_from([127, 0, 0, 9])
        .get(plain.url("/playground/api/events?instructor=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

async fn server_without_instructor() -> Server {
    server(&["--classroom"])
}
