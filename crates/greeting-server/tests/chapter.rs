//! What only the real binary shows of the chapter's exchange: the bytes on the wire (title-case
//! names), odd and oversized requests, the log, restarts, the key from flags and environment,
//! Ctrl-C, bad command lines. The routes' answers are tested in-process in tests/routes.rs.

mod common;

use common::*;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MAX_AGE: u64 = flask_cookie::DEFAULT_MAX_AGE_SECS;

async fn greet(client: &reqwest::Client, server: &Server) -> reqwest::Response {
    client
        .get(server.url("/greeting"))
        .basic_auth("cobra", Some("hiss"))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn header_names_on_the_wire_are_the_chapters() {
    let server = Server::start(&["--secret-key", KEY]);
    let raw = raw_request(
        &server,
        "GET /greeting HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic Y29icmE6aGlzcw==\r\n\r\n",
    )
    .await;
    let head = raw.split("\r\n\r\n").next().unwrap();
    let names: Vec<&str> = head
        .lines()
        .skip(1)
        .map(|l| l.split(':').next().unwrap())
        .collect();
    assert_eq!(names, REPORTED_GREETING_HEADERS, "{raw}");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"));
    assert!(raw.ends_with(WELCOME), "{raw}");
    assert!(head.contains(&format!("Set-Cookie: session={VISIT1_PAYLOAD}.")));
}

/// Sends raw bytes and reads one response (head + Content-Length body).
async fn raw_request(server: &Server, request: &str) -> String {
    raw_bytes(server, request.as_bytes()).await
}

async fn raw_bytes(server: &Server, request: &[u8]) -> String {
    let io = async {
        let mut stream = tokio::net::TcpStream::connect(&server.addr).await.unwrap();
        stream.write_all(request).await.unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = stream.read(&mut chunk).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf).to_string();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| {
                        l.strip_prefix("Content-Length: ")
                            .or_else(|| l.strip_prefix("content-length: "))
                    })
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                if body.len() >= length {
                    break;
                }
            }
        }
        String::from_utf8_lossy(&buf).to_string()
    };
    tokio::time::timeout(Duration::from_secs(15), io)
        .await
        .expect("raw request timed out")
}

/// The answers are tests/routes.rs's; here, what the process writes to its log: one line per
/// exchange, and never a credential, a cookie or the key.
#[tokio::test]
async fn the_log_has_a_line_per_exchange_and_no_secret() {
    let server = Server::start(&["--secret-key", KEY]);
    let client = plain_client();
    let mut exchanges = 0;
    for path in ["/greeting", "/user"] {
        for (user, password, status) in [
            ("cobra", "meow", 401), // the course's wrong password
            ("nobody", "hiss", 401),
            ("cobra", "hiss", 200),
        ] {
            let response = client
                .get(server.url(path))
                .basic_auth(user, Some(password))
                .header("Cookie", format!("session={VISIT1_PAYLOAD}.x.y"))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), status, "{path} {user}:{password}");
            exchanges += 1;
        }
    }
    let cookie = set_cookie(&greet(&client, &server).await).unwrap().0;
    let again = greet_as_cobra_with(&client, server.url("/greeting"), &cookie).await;
    assert_eq!(again.status(), 200);
    let not_allowed = client.post(server.url("/greeting")).send().await.unwrap();
    assert_eq!(not_allowed.status(), 405);
    exchanges += 3;

    let mut log = server.stderr();
    let started = std::time::Instant::now();
    while log.lines().filter(|l| l.contains("exchange")).count() < exchanges
        && started.elapsed() < Duration::from_secs(5)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
        log = server.stderr();
    }
    assert_eq!(
        log.lines().filter(|l| l.contains("exchange")).count(),
        exchanges,
        "{log}"
    );
    for secret in ["hiss", "meow", "Y29icmE6", KEY, &cookie] {
        assert!(!log.contains(secret), "the log holds {secret}:\n{log}");
    }
}

#[tokio::test]
async fn oversized_and_odd_requests_get_4xx_never_5xx() {
    let server = Server::start(&[]);
    let huge = "a".repeat(20_000);
    let mut many_headers = String::from("GET /greeting HTTP/1.1\r\nHost: localhost\r\n");
    for i in 0..100 {
        many_headers.push_str(&format!("X-H{i}: v\r\n"));
    }
    many_headers.push_str("\r\n");
    let requests: Vec<Vec<u8>> = vec![
        format!("GET /greeting HTTP/1.1\r\nHost: localhost\r\nCookie: session={huge}\r\n\r\n").into_bytes(),
        format!("GET /greeting HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic {huge}\r\n\r\n").into_bytes(),
        many_headers.into_bytes(),
        b"GET /greeting HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic \xff\xfe\r\nCookie: session=\xff.\xfe.\x80\r\n\r\n".to_vec(),
        b"GET /greeting HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic Y29icmE6aGlzcw==\r\nCookie: session=\"a\\\r\n\r\n".to_vec(),
        b"GET /greeting HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic Y29icmE6aGlzcw==\r\nAuthorization: Basic Y29icmE6bWVvdw==\r\n\r\n".to_vec(),
        b"BREW /greeting HTTP/1.1\r\nHost: localhost\r\n\r\n".to_vec(),
        b"GET /../../etc/passwd HTTP/1.1\r\nHost: localhost\r\n\r\n".to_vec(),
        b"garbage\r\n\r\n".to_vec(),
        b"POST /playground/api/plant HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{\"coo".to_vec(),
    ];
    for request in &requests {
        let raw = raw_bytes(&server, request).await;
        let status: u16 = raw
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        assert!(
            (200..500).contains(&status),
            "{} -> {}",
            String::from_utf8_lossy(&request[..request.len().min(80)]),
            &raw[..raw.len().min(200)]
        );
    }
    // Still serving.
    let response = greet(&plain_client(), &server).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_restart_with_the_same_key_continues_the_session_and_a_random_key_does_not() {
    let client = plain_client();
    let cookie = {
        let server = Server::start(&["--secret-key", KEY]);
        set_cookie(&greet(&client, &server).await).unwrap().0
    };
    let again = Server::start(&["--secret-key", KEY]);
    let response = greet_as_cobra_with(&client, again.url("/greeting"), &cookie).await;
    assert!(response.text().await.unwrap().contains("visit #2"));

    let random = Server::start(&[]);
    assert!(
        random.stderr().contains("random") || {
            std::thread::sleep(Duration::from_millis(300));
            random.stderr().contains("random")
        }
    );
    let response = greet_as_cobra_with(&client, random.url("/greeting"), cookie).await;
    assert_eq!(response.text().await.unwrap(), WELCOME);
}

#[tokio::test]
async fn the_secret_key_can_come_from_the_environment() {
    let server = Server::start_with_env(&[], &[("GREETING_SECRET_KEY", KEY)]);
    let response = greet(&plain_client(), &server).await;
    let cookie = set_cookie(&response).unwrap().0;
    flask_cookie::verify(&cookie, &[KEY.as_bytes()], unix_now(), MAX_AGE).unwrap();
}

#[tokio::test]
async fn fallback_keys_verify_old_cookies() {
    let old = flask_cookie::sign(
        &serde_json::json!({"username": "cobra", "visit": 9}),
        b"old-key",
        unix_now(),
    )
    .unwrap();
    let server = Server::start(&["--secret-key", KEY, "--fallback-key", "old-key"]);
    let response = greet_as_cobra_with(&plain_client(), server.url("/greeting"), old).await;
    let new = set_cookie(&response).unwrap().0;
    assert!(response.text().await.unwrap().contains("visit #10"));
    flask_cookie::verify(&new, &[KEY.as_bytes()], unix_now(), MAX_AGE).unwrap();
}

#[tokio::test]
async fn ctrl_c_shuts_down_cleanly() {
    let mut server = Server::start(&[]);
    assert_eq!(greet(&plain_client(), &server).await.status(), 200);
    // An open side-channel stream must not hold the shutdown up.
    let events = plain_client()
        .get(server.url("/playground/api/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    let status = std::process::Command::new("kill")
        .args(["-INT", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = server
        .wait_exit(Duration::from_secs(10))
        .expect("the server did not stop within 10 s");
    assert!(exit.success(), "{exit:?}\n{}", server.stderr());
    assert!(server.stderr().contains("shutting down"));
}

#[tokio::test]
async fn bad_command_lines_fail_with_a_message() {
    for args in [
        vec!["--user", "nocolon"],
        vec!["--allow-origin", "*"],
        vec!["--static", "/no/such/dir"],
        vec!["--secret-key", ""],
        vec!["--read-timeout", "0"],
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_greeting-server"))
            .args(["--port", "0"])
            .args(&args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
}
