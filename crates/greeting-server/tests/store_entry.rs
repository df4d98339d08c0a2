//! Issue 19, the page side of server mode: each exchange's side-channel report carries the
//! store's entry for its session after the request (its key, its session, how long it lives
//! on; no session after log out), the key masked for pages that see another client's
//! exchanges masked; `/playground/api/info` names the session mode. Through the binary.

mod common;

use common::*;
use greeting_core::{ExchangeReport, StoreEntry};
use serde_json::Value;
use std::time::Duration;

const MONTH_SECS: u64 = 31 * 24 * 3600;

async fn tagged(request: reqwest::RequestBuilder, tag: &str) -> u16 {
    request
        .header("X-Playground-Exchange", tag)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn report(stream: &mut EventStream, tag: &str) -> ExchangeReport {
    stream.reports_until(tag).await.pop().unwrap()
}

/// `session_mode` of the server's `/playground/api/info`.
async fn session_mode(server: &Server) -> String {
    let info: Value = get_json(&plain_client(), &server.url("/playground/api/info")).await;
    info["session_mode"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn session_of(entry: &StoreEntry) -> Option<Value> {
    entry
        .value
        .as_deref()
        .map(|v| serde_json::from_str(v).unwrap())
}

#[tokio::test]
async fn reports_carry_the_store_entry_in_server_mode_and_none_in_cookie_mode() {
    let server = Server::start(&["--secret-key", KEY, "--sessions", "server"]);
    assert_eq!(session_mode(&server).await, "server");

    let mut events = EventStream::open(
        &reqwest::Client::new(),
        &server.url("/playground/api/events"),
    )
    .await;
    let client = session_client();
    let greet = || {
        client
            .get(server.url("/greeting"))
            .basic_auth("cobra", Some("hiss"))
    };
    assert_eq!(tagged(greet(), "first").await, 200);
    let first = report(&mut events, "first").await;
    let id = first.cookie_out.clone().unwrap();
    let entry = first
        .store_entry
        .clone()
        .expect("an entry after the first greeting");
    assert_eq!(entry.key.as_deref(), Some(format!("session:{id}").as_str()));
    assert_eq!(
        session_of(&entry),
        Some(serde_json::json!({"_permanent": true, "username": "cobra", "visit": 1}))
    );
    assert_eq!(entry.ttl_secs, Some(MONTH_SECS));

    assert_eq!(tagged(greet(), "second").await, 200);
    let second = report(&mut events, "second").await;
    let entry = second.store_entry.unwrap();
    assert_eq!(session_of(&entry).unwrap()["visit"], 2);

    let logout = client.post(server.url("/logout"));
    assert_eq!(tagged(logout, "logout").await, 200);
    let out = report(&mut events, "logout").await;
    assert_eq!(
        out.store_entry,
        Some(StoreEntry {
            key: Some(format!("session:{id}")),
            value: None,
            ttl_secs: None
        }),
        "log out deleted the entry"
    );

    // The old id replayed: no entry under it any more, a new session under a new id.
    let replay = plain_client()
        .get(server.url("/greeting"))
        .basic_auth("cobra", Some("hiss"))
        .header("Cookie", format!("session={id}"));
    assert_eq!(tagged(replay, "replay").await, 200);
    let replayed = report(&mut events, "replay").await;
    let entry = replayed.store_entry.unwrap();
    assert_ne!(entry.key.as_deref(), Some(format!("session:{id}").as_str()));
    assert_eq!(session_of(&entry).unwrap()["visit"], 1);

    // Cookie mode: the session is the cookie, no store entry anywhere.
    let server = Server::start(&["--secret-key", KEY]);
    assert_eq!(session_mode(&server).await, "cookie");
    let mut events = EventStream::open(
        &reqwest::Client::new(),
        &server.url("/playground/api/events"),
    )
    .await;
    let greet = client
        .get(server.url("/greeting"))
        .basic_auth("cobra", Some("hiss"));
    assert_eq!(tagged(greet, "cookie-mode").await, 200);
    let r = report(&mut events, "cookie-mode").await;
    assert_eq!(r.store_entry, None);
    let logout = client.post(server.url("/logout"));
    assert_eq!(tagged(logout, "cookie-logout").await, 200);
    assert_eq!(report(&mut events, "cookie-logout").await.store_entry, None);
}

#[tokio::test]
async fn another_clients_report_shows_the_entry_without_its_key() {
    // --classroom: this machine's other programs are shown to a page masked.
    let server = Server::start(&["--secret-key", KEY, "--sessions", "server", "--classroom"]);
    let mut events = EventStream::open(
        &reqwest::Client::new(),
        &server.url("/playground/api/events"),
    )
    .await;
    let (name, _) = events.next(Duration::from_secs(10)).await.unwrap();
    assert_eq!(name, "hello");
    let script = plain_client();
    let greet = script
        .get(server.url("/greeting"))
        .basic_auth("cobra", Some("hiss"));
    assert_eq!(tagged(greet, "script").await, 200);
    let r = report(&mut events, "script").await;
    let entry = r.store_entry.expect("the entry's session is shown");
    assert_eq!(entry.key, None, "the id is as good as the cookie");
    assert_eq!(session_of(&entry).unwrap()["username"], "cobra");
    assert_eq!(r.cookie_out, None);
}
