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
/// the subscription. The relays run until the server stops (or Redis goes away: then each
/// server's page sees its own exchanges only, and the server says so once on stderr).
pub async fn share(channel: &SideChannel, store: &RedisStore) -> Result<(), SessionsError> {
    // A random name for this server, for telling its own reports from the others'.
    let server = SessionId::random()
        .map_err(SessionsError::NoRandomness)?
        .to_string();
    let mut messages = Box::pin(store.subscribe(REDIS_CHANNEL).await?);

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
    tokio::spawn(async move {
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
        tracing::warn!(
            "the shared side channel lost Redis: this server's page now sees its own exchanges only"
        );
    });
    Ok(())
}
