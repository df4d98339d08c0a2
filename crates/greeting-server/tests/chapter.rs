//! The chapter's exchange against the real binary, and every bad input's documented answer.

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

fn header_names(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .keys()
        .map(|k| k.as_str().to_string())
        .collect()
}

#[tokio::test]
async fn the_chapters_three_requests_with_a_session() {
    let server = Server::start(&["--secret-key", KEY]);
    let client = session_client();
    let expected = [
        ("Welcome, cobra!", 35, VISIT1_PAYLOAD),
        ("Welcome back, cobra! This is visit #2.", 58, VISIT2_PAYLOAD),
        ("Welcome back, cobra! This is visit #3.", 58, VISIT3_PAYLOAD),
    ];
    for (message, length, payload) in expected {
        let response = greet(&client, &server).await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            header_names(&response),
            [
                "content-type",
                "content-length",
                "vary",
                "set-cookie",
                "server",
                "date"
            ]
        );
        let h = response.headers();
        assert_eq!(h["content-type"], "application/json");
        assert_eq!(h["content-length"], length.to_string().as_str());
        assert_eq!(h["vary"], "Cookie");
        assert_eq!(h["server"], "greeting-server/0.1.0");
        assert!(h["date"].to_str().unwrap().ends_with(" GMT"));
        assert!(h.get("www-authenticate").is_none());
        let (value, attributes) = set_cookie(&response).unwrap();
        assert_eq!(attributes, "HttpOnly; Path=/");
        let parts: Vec<&str> = value.split('.').collect();
        assert_eq!(parts.len(), 3, "{value}");
        assert_eq!(parts[0], payload);
        assert_eq!(parts[2].len(), 27);
        flask_cookie::verify(&value, &[KEY.as_bytes()], unix_now(), MAX_AGE).unwrap();
        let body = response.text().await.unwrap();
        assert_eq!(body.len(), length);
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json, serde_json::json!({ "message": message }));
    }
}

/// The exact bytes on the wire: title-case names in the chapter's order.
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
    assert_eq!(
        names,
        [
            "Content-Type",
            "Content-Length",
            "Vary",
            "Set-Cookie",
            "Server",
            "Date"
        ],
        "{raw}"
    );
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

#[tokio::test]
async fn without_a_cookie_store_every_request_is_visit_one() {
    let server = Server::start(&["--secret-key", KEY]);
    let client = plain_client();
    for _ in 0..3 {
        let response = greet(&client, &server).await;
        assert_eq!(
            set_cookie(&response).unwrap().0.split('.').next().unwrap(),
            VISIT1_PAYLOAD
        );
        assert_eq!(response.text().await.unwrap(), WELCOME);
    }
}

#[tokio::test]
async fn wrong_or_missing_credentials_get_401_and_an_empty_object() {
    let server = Server::start(&["--secret-key", KEY]);
    let client = plain_client();
    let long = format!("Basic {}", "QUFB".repeat(2000));
    let cases: Vec<Option<String>> = vec![
        None,
        Some("Basic Y29icmE6bWVvdw==".into()), // cobra:meow, the course's wrong password
        Some("Basic bm9ib2R5Omhpc3M=".into()), // nobody:hiss
        Some("Bearer Y29icmE6aGlzcw==".into()),
        Some("Y29icmE6aGlzcw==".into()),
        Some("Basic".into()),
        Some("Basic %%%%".into()),
        Some("Basic Y29icmFoaXNz".into()), // cobrahiss: no colon
        Some("Basic Omhpc3M=".into()),     // :hiss: empty user
        Some("Basic /y9icmE6aGlzcw==".into()),
        Some(long),
    ];
    for path in ["/greeting", "/user"] {
        for authorization in &cases {
            let mut request = client
                .get(server.url(path))
                .header("Cookie", format!("session={VISIT1_PAYLOAD}.x.y"));
            if let Some(a) = authorization {
                request = request.header("Authorization", a);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 401, "{path} {authorization:?}");
            assert!(response.headers().get("www-authenticate").is_none());
            assert!(response.headers().get("set-cookie").is_none());
            assert_eq!(
                header_names(&response),
                ["content-type", "content-length", "server", "date"]
            );
            assert_eq!(response.text().await.unwrap(), "{}\n");
        }
    }
    // Nothing of the credentials reaches the log.
    let log = server.stderr();
    assert!(
        !log.contains("meow") && !log.contains("hiss") && !log.contains(KEY),
        "{log}"
    );
}

#[tokio::test]
async fn www_authenticate_is_opt_in() {
    let server = Server::start(&["--www-authenticate"]);
    let response = plain_client()
        .get(server.url("/greeting"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers()["www-authenticate"],
        "Basic realm=\"greeting\""
    );
    let response = plain_client()
        .get(server.url("/user"))
        .basic_auth("cobra", Some("meow"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["www-authenticate"],
        "Basic realm=\"greeting\""
    );
}

#[tokio::test]
async fn the_user_endpoint() {
    let server = Server::start(&[]);
    let client = plain_client();
    let response = client
        .get(server.url("/user"))
        .basic_auth("cobra", Some("hiss"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        json,
        serde_json::json!({"email": "jar.fowler@example.com", "id": 1, "name": "Jar Fowler", "user": "cobra"})
    );
    for (user, password) in [
        ("nagini", "crawl"),
        ("viper", "bite"),
        ("anaconda", "slither"),
    ] {
        let response = client
            .get(server.url("/user"))
            .basic_auth(user, Some(password))
            .send()
            .await
            .unwrap();
        let json: serde_json::Value = response.json().await.unwrap();
        assert_eq!(json["user"], user);
        assert_eq!(json.as_object().unwrap().len(), 4);
    }
}

#[tokio::test]
async fn custom_users_replace_the_defaults() {
    let server = Server::start(&["--user", "python:pip", "--user", "zoë:ü:x"]);
    let client = plain_client();
    let ok = client
        .get(server.url("/greeting"))
        .basic_auth("python", Some("pip"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        ok.text().await.unwrap(),
        "{\n  \"message\": \"Welcome, python!\"\n}\n"
    );
    let ok = client
        .get(server.url("/greeting"))
        .basic_auth("zoë", Some("ü:x"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        ok.text().await.unwrap(),
        "{\n  \"message\": \"Welcome, zo\\u00eb!\"\n}\n"
    );
    let gone = greet(&client, &server).await;
    assert_eq!(gone.status(), 401);
}

#[tokio::test]
async fn cookies_that_fail_verification_silently_start_over() {
    let server = Server::start(&["--secret-key", KEY]);
    let client = plain_client();
    let now = unix_now();
    let session = serde_json::json!({"username": "cobra", "visit": 5});
    let good = flask_cookie::sign(&session, KEY.as_bytes(), now).unwrap();
    let (payload, rest) = good.split_once('.').unwrap();
    let bad_cookies = vec![
        // The payload of visit 2 with visit 5's timestamp and signature: tampered.
        format!("{VISIT2_PAYLOAD}.{rest}"),
        flask_cookie::sign(&session, b"another-key", now).unwrap(),
        flask_cookie::sign(&session, KEY.as_bytes(), now - MAX_AGE - 60).unwrap(),
        flask_cookie::sign(&session, KEY.as_bytes(), now + 3600).unwrap(),
        format!("{payload}.{}", rest.replace('.', "..")),
        "garbage".into(),
        "\"quoted.value.here\"".into(),
        "x".repeat(4000),
    ];
    for cookie in &bad_cookies {
        let response = greet_as_cobra_with(&client, server.url("/greeting"), cookie).await;
        assert_eq!(response.status(), 200, "{cookie}");
        assert_eq!(
            set_cookie(&response).unwrap().0.split('.').next().unwrap(),
            VISIT1_PAYLOAD
        );
        assert_eq!(response.text().await.unwrap(), WELCOME, "{cookie}");
    }
    // The good one continues, and several session cookies use the first.
    let response = client
        .get(server.url("/greeting"))
        .basic_auth("cobra", Some("hiss"))
        .header(
            "Cookie",
            format!("theme=dark; session={good}; session=garbage"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.text().await.unwrap(),
        "{\n  \"message\": \"Welcome back, cobra! This is visit #6.\"\n}\n"
    );
}

#[tokio::test]
async fn another_users_session_starts_over() {
    let server = Server::start(&["--secret-key", KEY]);
    let client = session_client();
    greet(&client, &server).await;
    let response = client
        .get(server.url("/greeting"))
        .basic_auth("viper", Some("bite"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.text().await.unwrap(),
        "{\n  \"message\": \"Welcome, viper!\"\n}\n"
    );
    let response = greet(&client, &server).await;
    assert_eq!(response.text().await.unwrap(), WELCOME);
}

#[tokio::test]
async fn other_methods_and_unknown_paths() {
    let server = Server::start(&[]);
    let client = plain_client();
    for (method, path, allow) in [
        ("POST", "/greeting", "GET, HEAD, OPTIONS"),
        ("DELETE", "/greeting", "GET, HEAD, OPTIONS"),
        ("PUT", "/user", "GET, HEAD, OPTIONS"),
        ("GET", "/playground/api/reset", "POST, OPTIONS"),
        ("GET", "/playground/api/plant", "POST, OPTIONS"),
        ("POST", "/playground/api/info", "GET, HEAD, OPTIONS"),
    ] {
        let response = client
            .request(method.parse().unwrap(), server.url(path))
            .basic_auth("cobra", Some("hiss"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "{method} {path}");
        assert_eq!(response.headers()["allow"], allow);
        assert_eq!(response.headers()["content-type"], "application/json");
        let json: serde_json::Value = response.json().await.unwrap();
        assert_eq!(json["error"], "Method Not Allowed");
    }
    let response = client
        .request(reqwest::Method::OPTIONS, server.url("/greeting"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(response.headers()["allow"], "GET, HEAD, OPTIONS");

    for path in [
        "/",
        "/nope",
        "/greeting/",
        "/playground/api",
        "/playground/api/nope",
        "/%FF",
        "/greeting?x=1/../",
    ] {
        let response = client.get(server.url(path)).send().await.unwrap();
        let status = response.status();
        if path.starts_with("/greeting?") {
            assert_eq!(status, 401, "{path}");
            continue;
        }
        assert_eq!(status, 404, "{path}");
        assert_eq!(response.headers()["content-type"], "application/json");
        let json: serde_json::Value = response.json().await.unwrap();
        assert_eq!(json["error"], "Not Found");
    }
    let response = client
        .head(server.url("/greeting"))
        .basic_auth("cobra", Some("hiss"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-length"], "35");
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
