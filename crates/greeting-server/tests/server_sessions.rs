//! `--sessions server`, through the binary: a bad store at start; two greeting servers sharing
//! one Redis continue each other's sessions (and share the side channel); a Flask app with
//! Flask-Session on the same Redis and this server continue each other's sessions. The memory
//! store's exchange and logging out in both modes are tested in-process in tests/routes.rs. The
//! Redis tests start a throwaway `redis-server` (a counted skip when it is not installed); the
//! Flask-Session one needs the Python peers (a counted skip without them).

mod common;

use common::*;
use serde_json::Value;
use session_store::test_redis::TestRedis;

async fn greet(client: &reqwest::Client, base: &str) -> (u16, String, Option<(String, String)>) {
    let response = client
        .get(format!("{base}/greeting"))
        .basic_auth("cobra", Some("hiss"))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let cookie = set_cookie(&response);
    let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    let message = body["message"].as_str().unwrap_or("").to_string();
    (status, message, cookie)
}

fn visit_message(visit: u64) -> String {
    if visit == 1 {
        "Welcome, cobra!".into()
    } else {
        format!("Welcome back, cobra! This is visit #{visit}.")
    }
}

async fn logout(client: &reqwest::Client, base: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut request = client.post(format!("{base}/logout"));
    if let Some(cookie) = cookie {
        request = request.header("Cookie", format!("session={cookie}"));
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn a_bad_store_is_a_clear_error_at_start() {
    for (flags, says) in [
        (
            &["--sessions", "server", "--session-store", "mongodb://x"][..],
            "redis://HOST:PORT",
        ),
        (&["--session-store", "memory"][..], "--sessions server"),
        (&["--sessions", "database"][..], "cookie"),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_greeting-server"))
            .args(["--port", "0"])
            .args(flags)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{flags:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{flags:?}: {stderr}");
    }
}

#[tokio::test]
async fn two_servers_sharing_one_redis_continue_each_others_sessions() {
    let redis = match TestRedis::start() {
        Ok(r) => r,
        Err(reason) => return test_support::skip(reason),
    };
    let url = redis.url();
    let flags = [
        "--secret-key",
        KEY,
        "--sessions",
        "server",
        "--session-store",
        &url,
    ];
    let (a, b) = (Server::start(&flags), Server::start(&flags));
    // One jar: cookies are not isolated by port, so 127.0.0.1's cookie goes to both.
    let client = session_client();
    for (visit, server) in (1..).zip([&a, &b, &a, &b]) {
        let (status, message, _) = greet(&client, &server.base).await;
        assert_eq!((status, message), (200, visit_message(visit)));
    }
    // Logged out at one, the session is gone at the other too.
    let (_, _, cookie) = greet(&client, &a.base).await;
    let id = cookie.unwrap().0;
    assert_eq!(
        logout(&plain_client(), &b.base, Some(&id)).await.status(),
        200
    );
    let replayed = greet_as_cobra_with(&plain_client(), a.url("/greeting"), id).await;
    let body: Value = replayed.json().await.unwrap();
    assert_eq!(body["message"], "Welcome, cobra!");
}

#[tokio::test]
async fn redis_gone_is_a_503_not_a_hang() {
    let redis = match TestRedis::start() {
        Ok(r) => r,
        Err(reason) => return test_support::skip(reason),
    };
    let url = redis.url();
    let server = Server::start(&["--sessions", "server", "--session-store", &url]);
    drop(redis);
    let started = std::time::Instant::now();
    let response = plain_client()
        .get(server.url("/greeting"))
        .basic_auth("cobra", Some("hiss"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert!(started.elapsed() < std::time::Duration::from_secs(12));
    let body: Value = response.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("store"),
        "{body}"
    );
}

#[tokio::test]
async fn flask_session_and_this_server_continue_each_others_sessions() {
    let python = match python_with("flask, flask_session, msgspec, redis") {
        Ok(python) => python,
        Err(reason) => return test_support::skip(reason),
    };
    let redis = match TestRedis::start() {
        Ok(r) => r,
        Err(reason) => return test_support::skip(reason),
    };
    let url = redis.url();
    let flask = start_flask_peer(
        &python,
        "flask_session_greeting.py",
        &[
            ("GREETING_SECRET_KEY", "flask-side-key"),
            ("GREETING_REDIS_URL", &url),
        ],
    )
    .unwrap_or_else(|e| panic!("Python has Flask-Session, but the peer failed: {e}"));
    // Another secret key on purpose: Flask-Session's ids are not signed, so only the store
    // is shared.
    let server = Server::start(&["--sessions", "server", "--session-store", &url]);
    let client = session_client();
    let mut ids = Vec::new();
    for (visit, (who, base)) in (1..).zip([
        ("flask", &flask.base),
        ("rust", &server.base),
        ("flask", &flask.base),
        ("rust", &server.base),
    ]) {
        let (status, message, cookie) = greet(&client, base).await;
        assert_eq!((status, message), (200, visit_message(visit)), "{who}");
        let (id, attributes) = cookie.unwrap();
        // The same cookie from both: the id, then `Expires=...; HttpOnly; Path=/`.
        assert!(attributes.starts_with("Expires="), "{who}: {attributes}");
        assert!(
            attributes.ends_with(" GMT; HttpOnly; Path=/"),
            "{who}: {attributes}"
        );
        ids.push(id);
    }
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");

    // Starting at this server, Flask-Session continues.
    let client = session_client();
    for (visit, (who, base)) in (1..).zip([("rust", &server.base), ("flask", &flask.base)]) {
        let (status, message, _) = greet(&client, base).await;
        assert_eq!((status, message), (200, visit_message(visit)), "{who}");
    }
}

/// Reads `stream` until the report tagged `id`, returning the tags seen on the way.
async fn tags_until(stream: &mut EventStream, id: &str) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        let (name, data) = stream
            .next(std::time::Duration::from_secs(10))
            .await
            .unwrap_or_else(|| panic!("no report {id} within 10 s (saw {seen:?})"));
        if name != "exchange" {
            continue;
        }
        let report: greeting_core::ExchangeReport = serde_json::from_str(&data).unwrap();
        let tag = report.exchange_id.unwrap_or_default();
        if tag == id {
            return seen;
        }
        seen.push(tag);
    }
}

async fn tagged_greeting(server: &Server, tag: &str) {
    let response = plain_client()
        .get(server.url("/greeting"))
        .basic_auth("cobra", Some("hiss"))
        .header("X-Playground-Exchange", tag)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn two_servers_sharing_one_redis_share_the_side_channel() {
    let redis = match TestRedis::start() {
        Ok(r) => r,
        Err(reason) => return test_support::skip(reason),
    };
    let url = redis.url();
    let flags = ["--sessions", "server", "--session-store", &url];
    let (a, b) = (Server::start(&flags), Server::start(&flags));
    let subscriber = reqwest::Client::new();
    let mut at_a = EventStream::open(&subscriber, &a.url("/playground/api/events")).await;
    let mut at_b = EventStream::open(&subscriber, &b.url("/playground/api/events")).await;

    // An exchange B handled shows up in A's stream, and in B's own.
    tagged_greeting(&b, "handled-by-b").await;
    assert!(tags_until(&mut at_a, "handled-by-b").await.is_empty());
    assert!(tags_until(&mut at_b, "handled-by-b").await.is_empty());
    // One handled by A: each stream has it once (A does not get its own back from Redis).
    tagged_greeting(&a, "handled-by-a").await;
    tagged_greeting(&b, "marker").await;
    assert_eq!(tags_until(&mut at_a, "marker").await, ["handled-by-a"]);
    // B gets A's exchange over Redis and its own marker directly: either may come first.
    let before_a = tags_until(&mut at_b, "handled-by-a").await;
    assert!(
        before_a.is_empty() || before_a == ["marker"],
        "B saw {before_a:?} before A's exchange"
    );
    if before_a.is_empty() {
        assert!(tags_until(&mut at_b, "marker").await.is_empty());
    }
}
