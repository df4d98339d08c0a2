//! The side channel shared through Redis pub/sub, when sessions live in Redis
//! (`--sessions server --session-store redis://...`): several greeting servers behind one
//! address share their sessions, so a page subscribed to one of them should see the exchanges
//! the others handled. Each server publishes its reports on one Redis channel and hands the
//! reports the others published to its own pages; who sees what ([`crate::pages`]) applies to
//! them as to its own (a page's token travels with the report, so a page sees its own requests
//! whichever server answered them).

use crate::guard::Reach;
use crate::sessions::SessionsError;
use crate::side_channel::{Published, SideChannel};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use session_store::{RedisStore, SessionId};
use std::net::IpAddr;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// The Redis channel the reports travel on.
pub const REDIS_CHANNEL: &str = "greeting-server:exchanges";

/// One report on the Redis channel.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    /// Which server made it (random per start), so that none shows its own twice.
    server: String,
    /// The client's address as that server saw it (for the visibility rule).
    ip: IpAddr,
    /// The request's page token, if any.
    token: Option<String>,
    /// The request came from that server's own machine.
    this_machine: bool,
    /// The `ExchangeReport` as JSON, in full and masked ([`crate::pages::masked`]).
    report: String,
    masked: String,
}

/// Subscribes to the Redis channel and starts relaying both ways; fails when Redis refuses
/// the subscription. The relays run until the server stops. When Redis goes away, each
/// server's pages see its own exchanges only (the server says so on stderr) until Redis is
/// back: the subscription is made again, and the relay resumes.
pub async fn share(channel: &SideChannel, store: &RedisStore) -> Result<(), SessionsError> {
    // A random name for this server, for telling its own reports from the others'.
    let server = SessionId::random()
        .map_err(SessionsError::NoRandomness)?
        .to_string();
    let mut messages: Messages = Box::pin(store.subscribe(REDIS_CHANNEL).await?);

    let mut reports = channel.subscribe();
    let publisher = store.clone();
    let me = server.clone();
    tokio::spawn(async move {
        loop {
            let published = match reports.recv().await {
                Ok(published) => published,
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => break,
            };
            let envelope = Envelope {
                server: me.clone(),
                ip: published.ip,
                token: published.token.clone(),
                this_machine: published.reach == Reach::ThisMachine,
                report: published.full.to_string(),
                masked: published.masked.to_string(),
            };
            let Ok(text) = serde_json::to_string(&envelope) else {
                continue;
            };
            if let Err(e) = publisher.publish(REDIS_CHANNEL, &text).await {
                tracing::warn!("the shared side channel could not publish a report: {e}");
            }
        }
    });

    let channel = channel.clone();
    let subscriber = store.clone();
    tokio::spawn(async move {
        loop {
            relay_until_lost(&channel, &server, &mut messages).await;
            tracing::warn!(
                "the shared side channel lost Redis: this server's pages see only its own exchanges until it is back"
            );
            messages = resubscribe(&subscriber).await;
            tracing::info!("the shared side channel is back on Redis");
        }
    });
    Ok(())
}

/// The other servers' reports as they arrive on the Redis channel.
type Messages = std::pin::Pin<Box<dyn futures_util::Stream<Item = String> + Send>>;

/// How long one attempt to subscribe again may take, and the longest wait between attempts.
const RESUBSCRIBE_LIMIT: Duration = Duration::from_secs(2);

/// Subscribes again, trying until Redis takes it (waits doubling from 50 ms to
/// [`RESUBSCRIBE_LIMIT`]).
async fn resubscribe(store: &RedisStore) -> Messages {
    let mut wait = Duration::from_millis(50);
    loop {
        tokio::time::sleep(wait).await;
        if let Ok(Ok(messages)) =
            tokio::time::timeout(RESUBSCRIBE_LIMIT, store.subscribe(REDIS_CHANNEL)).await
        {
            return Box::pin(messages);
        }
        wait = (wait * 2).min(RESUBSCRIBE_LIMIT);
    }
}

/// Hands the other servers' reports to this server's pages until the subscription ends.
async fn relay_until_lost(channel: &SideChannel, server: &str, messages: &mut Messages) {
    while let Some(text) = messages.next().await {
        match serde_json::from_str::<Envelope>(&text) {
            Ok(envelope) if envelope.server != server => channel.publish(Published {
                ip: envelope.ip,
                token: envelope.token,
                reach: if envelope.this_machine {
                    Reach::ThisMachine
                } else {
                    Reach::Beyond
                },
                full: envelope.report.into(),
                masked: envelope.masked.into(),
            }),
            Ok(_) => {}
            Err(e) => tracing::warn!("not a report on {REDIS_CHANNEL}: {e}"),
        }
    }
}
