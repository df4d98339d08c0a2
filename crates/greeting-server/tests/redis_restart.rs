//! The side channel shared through Redis survives a restarted `redis-server`: each greeting
//! server subscribes again, and a page on one server sees the other's exchanges once more.
//! Starts a throwaway `redis-server` (a counted skip when it is not installed).

mod common;

use common::*;
use session_store::test_redis::TestRedis;
use std::time::{Duration, Instant};

async fn tagged_greeting(server: &Server, tag: &str) -> u16 {
    plain_client()
        .get(server.url("/greeting"))
        .basic_auth("cobra", Some("hiss"))
        .header("X-Playground-Exchange", tag)
        .send()
        .await
        .map_or(0, |r| r.status().as_u16())
}

/// Whether an exchange tagged with `prefix` arrives on `stream` within `within`.
async fn sees(stream: &mut EventStream, prefix: &str, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let Some((name, data)) = stream.next(left).await else {
            return false;
        };
        if name != "exchange" {
            continue;
        }
        let report: greeting_core::ExchangeReport = serde_json::from_str(&data).unwrap();
        if report.exchange_id.is_some_and(|id| id.starts_with(prefix)) {
            return true;
        }
    }
    false
}

#[tokio::test]
async fn a_restarted_redis_resumes_the_shared_side_channel() {
    let mut redis = match TestRedis::start() {
        Ok(r) => r,
        Err(reason) => return test_support::skip(reason),
    };
    let url = redis.url();
    let flags = ["--sessions", "server", "--session-store", &url];
    let (a, b) = (Server::start(&flags), Server::start(&flags));
    let mut at_a =
        EventStream::open(&reqwest::Client::new(), &a.url("/playground/api/events")).await;

    assert_eq!(tagged_greeting(&b, "before").await, 200);
    assert!(
        sees(&mut at_a, "before", Duration::from_secs(10)).await,
        "B's exchange reaches A's page through Redis"
    );

    redis
        .restart()
        .expect("redis-server starts again on its port");
    // Until both servers are back on Redis a greeting may fail (503) or go unrelayed; each
    // try is a new greeting, for at most 20 s.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut tries = 0;
    loop {
        tries += 1;
        let status = tagged_greeting(&b, &format!("after-{tries}")).await;
        if sees(&mut at_a, "after-", Duration::from_millis(500)).await {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "after the restart, none of B's {tries} greetings reached A's page (last status {status}); B's log:\n{}",
            b.stderr()
        );
    }
    assert!(
        a.stderr().contains("back on Redis"),
        "A says its side channel is back: {}",
        a.stderr()
    );
}
