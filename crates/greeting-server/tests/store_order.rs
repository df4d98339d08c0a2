//! A server-side session keeps the order Flask-Session stored its keys in: msgspec writes a
//! dict in insertion order, and the greeting server, continuing such a session in a shared
//! Redis, writes it back in that order with only the visit changed, byte for byte what
//! msgspec writes for the continued dict. Needs a throwaway `redis-server` and Python with
//! msgspec (Flask-Session's serializer); a counted skip without them.

mod common;

use common::*;
use session_store::test_redis::TestRedis;
use session_store::{RedisStore, SessionId};
use std::process::Command;
use std::time::Duration;

/// msgspec's bytes for a dict literal, in the literal's (insertion) order.
fn msgspec_bytes(python: &str, dict: &str) -> Vec<u8> {
    let out = Command::new(python)
        .args([
            "-c",
            &format!("import msgspec, sys; sys.stdout.write(msgspec.msgpack.encode({dict}).hex())"),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hex = String::from_utf8(out.stdout).unwrap();
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

#[tokio::test]
async fn a_continued_session_keeps_flask_sessions_key_order() {
    let python = match test_support::python_with("msgspec") {
        Ok(python) => python,
        Err(reason) => return test_support::skip(reason),
    };
    let redis = match TestRedis::start() {
        Ok(r) => r,
        Err(reason) => return test_support::skip(reason),
    };
    // As a Flask app that set `visit` before `username`, and `theme` last, has it stored.
    let before = msgspec_bytes(
        &python,
        r#"{"_permanent": True, "visit": 2, "username": "cobra", "theme": "dark"}"#,
    );
    let store = RedisStore::connect(&redis.url(), Duration::from_secs(3600))
        .await
        .unwrap();
    let id = SessionId::random().unwrap();
    let key = RedisStore::key(&id);
    let mut redis_connection = store.connection();
    let () = redis::cmd("SET")
        .arg(&key)
        .arg(&before)
        .query_async(&mut redis_connection)
        .await
        .unwrap();

    let server = Server::start(&["--sessions", "server", "--session-store", &redis.url()]);
    let response = greet_as_cobra_with(&plain_client(), server.url("/greeting"), &id).await;
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["message"], "Welcome back, cobra! This is visit #3.");

    let after: Vec<u8> = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut redis_connection)
        .await
        .unwrap();
    let flask_after = msgspec_bytes(
        &python,
        r#"{"_permanent": True, "visit": 3, "username": "cobra", "theme": "dark"}"#,
    );
    let sorted = msgspec_bytes(
        &python,
        r#"{"_permanent": True, "theme": "dark", "username": "cobra", "visit": 3}"#,
    );
    assert_ne!(
        flask_after, sorted,
        "the test's order is not the sorted one"
    );
    assert_eq!(after, flask_after, "stored in Flask-Session's order");
}
