//! Sessions in Redis, in Flask-Session 0.8's layout, so that several greeting servers (and
//! Flask apps using Flask-Session) behind one address share them.

use crate::codec::{decode_stored, encode_stored};
use crate::error::StoreError;
use crate::id::SessionId;
use crate::store::{SessionStore, Stored};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::AsyncTypedCommands;
use std::time::Duration;

/// Flask-Session's default `SESSION_KEY_PREFIX`: a session lives under `session:` + id.
pub const KEY_PREFIX: &str = "session:";

/// How long one attempt to reach Redis may take, and how long one command may wait for its
/// answer: a greeting fails with a clear error instead of hanging when Redis goes away.
const REDIS_TIMEOUT: Duration = Duration::from_secs(2);

/// A Redis store: one multiplexed connection, reconnected when it breaks.
#[derive(Clone)]
pub struct RedisStore {
    client: redis::Client,
    connection: ConnectionManager,
    lifetime: Duration,
}

impl RedisStore {
    /// Connects to `url` (`redis://HOST:PORT`); fails when Redis does not answer.
    pub async fn connect(url: &str, lifetime: Duration) -> Result<RedisStore, StoreError> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(REDIS_TIMEOUT))
            .set_response_timeout(Some(REDIS_TIMEOUT))
            .set_number_of_retries(2);
        let connection = ConnectionManager::new_with_config(client.clone(), config).await?;
        Ok(RedisStore {
            client,
            connection,
            lifetime,
        })
    }

    /// The Redis key of a session.
    pub fn key(id: &SessionId) -> String {
        [KEY_PREFIX, id.as_str()].concat()
    }

    /// A clone of the store's connection, for other commands on the same Redis.
    pub fn connection(&self) -> ConnectionManager {
        self.connection.clone()
    }

    /// `PUBLISH channel message`: for what the servers sharing this Redis tell each other (the
    /// side channel's reports).
    pub async fn publish(&self, channel: &str, message: &str) -> Result<(), StoreError> {
        let _receivers: i64 = redis::cmd("PUBLISH")
            .arg(channel)
            .arg(message)
            .query_async(&mut self.connection.clone())
            .await?;
        Ok(())
    }

    /// Subscribes to `channel` on a connection of its own: the messages published there from
    /// now on, as text (messages that are not UTF-8 are skipped). The stream ends when the
    /// connection does.
    pub async fn subscribe(
        &self,
        channel: &str,
    ) -> Result<impl futures_util::Stream<Item = String> + Send + 'static, StoreError> {
        use futures_util::StreamExt;
        let mut pubsub = self.client.get_async_pubsub().await?;
        pubsub.subscribe(channel).await?;
        Ok(pubsub
            .into_on_message()
            .filter_map(|message| std::future::ready(message.get_payload::<String>().ok())))
    }

    /// The TTL Redis gives the session's key, in whole seconds (`None` when there is no such
    /// key or it has no TTL): what the page shows beside the store entry.
    pub async fn ttl_secs(&self, id: &SessionId) -> Result<Option<u64>, StoreError> {
        let ttl: i64 = redis::cmd("TTL")
            .arg(Self::key(id))
            .query_async(&mut self.connection.clone())
            .await?;
        Ok(u64::try_from(ttl).ok())
    }
}

impl SessionStore for RedisStore {
    async fn load_stored(&self, id: &SessionId) -> Result<Option<Stored>, StoreError> {
        let stored: Option<Vec<u8>> = redis::cmd("GET")
            .arg(Self::key(id))
            .query_async(&mut self.connection.clone())
            .await?;
        match stored {
            None => Ok(None),
            Some(bytes) => decode_stored(&bytes)
                .map(Some)
                .map_err(StoreError::Unreadable),
        }
    }

    async fn save_stored(&self, id: &SessionId, stored: &Stored) -> Result<(), StoreError> {
        let bytes = encode_stored(stored).map_err(StoreError::Unwritable)?;
        // Flask-Session: `client.set(name=prefix + id, value=..., ex=total_seconds(lifetime))`.
        let ttl = self.lifetime.as_secs().max(1);
        self.connection
            .clone()
            .set_ex(Self::key(id), bytes, ttl)
            .await?;
        Ok(())
    }

    async fn delete(&self, id: &SessionId) -> Result<(), StoreError> {
        self.connection.clone().del(Self::key(id)).await?;
        Ok(())
    }

    fn lifetime(&self) -> Duration {
        self.lifetime
    }
}
