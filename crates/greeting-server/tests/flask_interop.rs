//! Interop with Flask: cookies made by the real Flask (the codec's committed vectors, always),
//! a live Flask app sharing the key (when Python has Flask), and the chapter's own
//! `requests.Session` snippet run against this server (when Python has requests).

mod common;

use common::*;
use serde_json::Value;
use std::process::Command;
use std::time::Duration;

/// The keys of the committed vectors that can be given on a command line (UTF-8, no NUL).
fn vector_keys(all: &Value) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for v in all["accepted"].as_array().unwrap() {
        for k in v["keys_hex"].as_array().unwrap() {
            let bytes: Vec<u8> = (0..k.as_str().unwrap().len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&k.as_str().unwrap()[i..i + 2], 16).unwrap())
                .collect();
            if let Ok(text) = String::from_utf8(bytes) {
                if !text.contains('\0') && !text.is_empty() && !keys.contains(&text) {
                    keys.push(text);
                }
            }
        }
    }
    keys
}

#[tokio::test]
async fn this_server_continues_sessions_from_flasks_committed_cookies() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../flask-cookie/tests/vectors/flask_vectors.json"
    );
    let all: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let keys = vector_keys(&all);
    assert!(keys.contains(&KEY.to_string()), "{keys:?}");
    let now = unix_now();
    let mut cases = Vec::new();
    let mut users: Vec<String> = Vec::new();
    for v in all["accepted"].as_array().unwrap() {
        let value = &v["value"];
        let (Some(username), Some(visit)) = (value["username"].as_str(), value["visit"].as_u64())
        else {
            continue;
        };
        let ts = v["timestamp"].as_u64().unwrap();
        let key_ok = v["keys_hex"].as_array().unwrap().iter().all(|k| {
            let k = k.as_str().unwrap();
            let bytes: Vec<u8> = (0..k.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&k[i..i + 2], 16).unwrap())
                .collect();
            String::from_utf8(bytes)
                .map(|t| keys.contains(&t))
                .unwrap_or(false)
        });
        if ts > now || !key_ok {
            continue;
        }
        if !users.iter().any(|u| u == username) {
            users.push(username.to_string());
        }
        cases.push((
            v["name"].as_str().unwrap().to_string(),
            username.to_string(),
            visit,
            v["cookie"].as_str().unwrap().to_string(),
            value.clone(),
        ));
    }
    assert!(cases.len() >= 40, "only {} usable vectors", cases.len());

    // The vectors are from 2021: a max age of 100 years keeps them fresh.
    let mut args: Vec<String> = vec![
        "--secret-key".into(),
        KEY.into(),
        "--max-age".into(),
        "3155760000".into(),
    ];
    for key in keys.iter().filter(|k| k.as_str() != KEY) {
        args.extend(["--fallback-key".into(), key.clone()]);
    }
    for user in &users {
        args.extend(["--user".into(), format!("{user}:pw")]);
    }
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = Server::start(&arg_refs);
    let client = plain_client();
    for (name, username, visit, cookie, value) in cases {
        let response = client
            .get(server.url("/greeting"))
            .basic_auth(&username, Some("pw"))
            .header("Cookie", format!("session={cookie}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{name}");
        let new_cookie = set_cookie(&response).unwrap().0;
        let json: Value = response.json().await.unwrap();
        assert_eq!(
            json["message"],
            format!("Welcome back, {username}! This is visit #{}.", visit + 1),
            "{name}"
        );
        let mut expected = value.clone();
        expected["visit"] = Value::from(visit + 1);
        let verified =
            flask_cookie::verify(&new_cookie, &[KEY.as_bytes()], unix_now(), 60).unwrap();
        assert_eq!(verified.decoded.value, expected, "{name}");
    }
}

#[tokio::test]
async fn the_notes_check_vectors_continue() {
    let server = Server::start(&["--secret-key", KEY, "--max-age", "3155760000"]);
    for (cookie, next) in [
        ("eyJ1c2VybmFtZSI6ImNvYnJhIiwidmlzaXQiOjF9.YZaTHQ.-wlmE2_6fkTd4BI464T2kXjX8eE", 2),
        ("eyJ1c2VybmFtZSI6ImNvYnJhIiwidmlzaXQiOjJ9.YZaTHQ.T0Q_E2UqDzye7bXltKjGyT7hxRg", 3),
        (".eJyrVsrLL0lVslLKyCwuViCJUNJRKi1OLcpLzAXpT85PKkoECpVlFmeWKFkZ1gIAp20fNg.YZaTHQ.myDVbKeBIXWUJds1ecjtWCiEfw4", 2),
    ] {
        let response = greet_as_cobra_with(&plain_client(), server.url("/greeting"), cookie).await;
        let json: Value = response.json().await.unwrap();
        assert_eq!(json["message"], format!("Welcome back, cobra! This is visit #{next}."));
    }
    // With Flask's default max age (31 days) the 2021 cookies have expired: visit 1, silently.
    let server = Server::start(&["--secret-key", KEY]);
    let response = plain_client()
        .get(server.url("/greeting"))
        .basic_auth("cobra", Some("hiss"))
        .header(
            "Cookie",
            "session=eyJ1c2VybmFtZSI6ImNvYnJhIiwidmlzaXQiOjJ9.YZaTHQ.T0Q_E2UqDzye7bXltKjGyT7hxRg",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), WELCOME);
}

#[tokio::test]
async fn a_live_flask_app_with_the_same_key_continues_our_sessions_and_we_continue_its() {
    let python = match python_with("flask") {
        Ok(python) => python,
        Err(reason) => return test_support::skip(reason),
    };
    let flask = match start_flask_peer(
        &python,
        "flask_greeting.py",
        &[("GREETING_SECRET_KEY", KEY)],
    ) {
        Ok(flask) => flask,
        Err(reason) => panic!("Python has Flask, but the peer failed: {reason}"),
    };
    let server = Server::start(&["--secret-key", KEY]);

    // One cookie jar for both: cookies are not isolated by port, so the browser (or a
    // requests.Session) sends the session cookie of 127.0.0.1 to both servers.
    let client = session_client();
    let turns = [
        ("rust", &server.base),
        ("flask", &flask.base),
        ("rust", &server.base),
        ("flask", &flask.base),
    ];
    for (expected_visit, (who, base)) in (1..).zip(turns) {
        let response = client
            .get(format!("{base}/greeting"))
            .basic_auth("cobra", Some("hiss"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{who}");
        let cookie = set_cookie(&response).map(|c| c.0).unwrap_or_default();
        let length = response.headers()["content-length"]
            .to_str()
            .unwrap()
            .to_string();
        let body = response.text().await.unwrap();
        let expected = if expected_visit == 1 {
            "Welcome, cobra!".to_string()
        } else {
            format!("Welcome back, cobra! This is visit #{expected_visit}.")
        };
        let json: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["message"], expected, "{who}: {body}");
        // Both format the body the same way (the chapter's 35 and 58).
        assert_eq!(
            length,
            if expected_visit == 1 { "35" } else { "58" },
            "{who}"
        );
        flask_cookie::verify(&cookie, &[KEY.as_bytes()], unix_now(), 60)
            .unwrap_or_else(|e| panic!("{who}: {e}"));
    }

    // Byte for byte the same bodies, including the four-key /user record and the 401.
    let plain = plain_client();
    for (user, password) in [("cobra", "hiss"), ("cobra", "meow")] {
        let ours = plain
            .get(server.url("/user"))
            .basic_auth(user, Some(password))
            .send()
            .await
            .unwrap();
        let theirs = plain
            .get(format!("{}/user", flask.base))
            .basic_auth(user, Some(password))
            .send()
            .await
            .unwrap();
        assert_eq!(ours.status(), theirs.status());
        // Flask before 2.2 ends the lines of a several-key object with ", " (trailing space).
        let theirs = theirs.text().await.unwrap().replace(", \n", ",\n");
        assert_eq!(ours.text().await.unwrap(), theirs);
    }
    let ours = plain.get(server.url("/greeting")).send().await.unwrap();
    let theirs = plain
        .get(format!("{}/greeting", flask.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (ours.status().as_u16(), theirs.status().as_u16()),
        (401, 401)
    );
    assert_eq!(ours.text().await.unwrap(), theirs.text().await.unwrap());

    // A cookie Flask signs with another key is refused by both, silently.
    let other = start_flask_peer(
        &python,
        "flask_greeting.py",
        &[("GREETING_SECRET_KEY", "another-key")],
    )
    .unwrap();
    let response = plain
        .get(format!("{}/greeting", other.base))
        .basic_auth("cobra", Some("hiss"))
        .send()
        .await
        .unwrap();
    let foreign = set_cookie(&response).unwrap().0;
    let response = greet_as_cobra_with(&plain, server.url("/greeting"), foreign).await;
    assert_eq!(response.text().await.unwrap(), WELCOME);
}

/// The chapter's snippet, verbatim apart from the address.
const CHAPTER_SNIPPET: &str = r#"
import requests

with requests.Session() as session:
    username = "cobra"
    password = "hiss"
    session.auth = (username, password)
    first_response = session.get("http://localhost:5000/greeting")
    second_response = session.get("http://localhost:5000/greeting")
    third_response = session.get("http://localhost:5000/greeting")

print(first_response.json())
print(second_response.json())
print(third_response.json())
print(list(first_response.headers.keys()))
print(second_response.headers["Content-Length"], repr(second_response.request.headers["Authorization"]))
"#;

#[tokio::test]
async fn the_chapters_python_snippet_prints_the_chapters_lines() {
    let python = match python_with("requests") {
        Ok(python) => python,
        Err(reason) => return test_support::skip(reason),
    };
    // In both session modes: the session in the signed cookie, or in the server's store.
    for mode in ["cookie", "server"] {
        let server = Server::start(&["--secret-key", KEY, "--sessions", mode]);
        let script = CHAPTER_SNIPPET.replace("http://localhost:5000", &server.base);
        let python = python.clone();
        let (ok, stdout, stderr) = tokio::task::spawn_blocking(move || {
            run_with_timeout(
                Command::new(python)
                    .args(["-c", &script])
                    .env("NO_PROXY", "*")
                    .env_remove("HTTP_PROXY"),
                Duration::from_secs(60),
            )
        })
        .await
        .unwrap();
        assert!(ok, "{mode}: {stderr}");
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(
            lines,
            [
                "{'message': 'Welcome, cobra!'}",
                "{'message': 'Welcome back, cobra! This is visit #2.'}",
                "{'message': 'Welcome back, cobra! This is visit #3.'}",
                "['Content-Type', 'Content-Length', 'Vary', 'Set-Cookie', 'Server', 'Date']",
                "58 'Basic Y29icmE6aGlzcw=='",
            ],
            "{mode}: {stderr}"
        );
    }
}
