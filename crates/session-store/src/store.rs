//! The store interface, and the choice of store at run time.

use crate::error::{StoreError, StoreSpecError};
use crate::id::SessionId;
use crate::memory::MemoryStore;
use crate::redis_store::RedisStore;
use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

/// A session's keys and values, as Flask's session dict holds them (with `_permanent`).
pub type SessionData = serde_json::Map<String, serde_json::Value>;

/// A session as stored: its keys and values, and the order its keys were stored in.
/// Flask-Session writes its dict in insertion order, while [`SessionData`] (serde_json's map)
/// iterates sorted, so the order travels beside it: a session saved again keeps the order it
/// was loaded with, as the Python dict would.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Stored {
    pub session: SessionData,
    /// The keys in stored order. Keys of `session` not named here come after them, sorted (a
    /// key new to a Python dict goes last too); names no longer in `session` are skipped.
    pub key_order: Vec<String>,
}

impl Stored {
    /// A session with no stored order: its keys sorted. For a session the greeting server
    /// starts, that is Flask-Session's insertion order too (`_permanent`, `username`, `visit`).
    pub fn sorted(session: SessionData) -> Stored {
        Stored {
            session,
            key_order: Vec::new(),
        }
    }

    /// The keys in the order they are stored.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        let named = self
            .key_order
            .iter()
            .filter(|k| self.session.contains_key(k.as_str()));
        let rest = self.session.keys().filter(|k| !self.key_order.contains(k));
        named.chain(rest)
    }
}

impl serde::Serialize for Stored {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.keys().map(|k| (k, &self.session[k.as_str()])))
    }
}

impl<'de> serde::Deserialize<'de> for Stored {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Stored, D::Error> {
        struct InOrder;
        impl<'de> serde::de::Visitor<'de> for InOrder {
            type Value = Stored;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map of a session's keys and values")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Stored, A::Error> {
                let mut stored = Stored::default();
                while let Some((key, value)) = map.next_entry::<String, serde_json::Value>()? {
                    if stored.session.insert(key.clone(), value).is_none() {
                        stored.key_order.push(key);
                    }
                }
                Ok(stored)
            }
        }
        deserializer.deserialize_map(InOrder)
    }
}

/// Where sessions live on the server. Every store is built with the session lifetime: an entry
/// lives that long after its last save (Flask's `PERMANENT_SESSION_LIFETIME`), then is gone.
pub trait SessionStore: Send + Sync {
    /// The session saved under `id` with its keys' stored order, or `None` when there is none
    /// (never saved, deleted, or expired).
    fn load_stored(
        &self,
        id: &SessionId,
    ) -> impl Future<Output = Result<Option<Stored>, StoreError>> + Send;

    /// Saves the session under `id` with its keys in `stored`'s order, replacing what was
    /// there, and renews its lifetime.
    fn save_stored(
        &self,
        id: &SessionId,
        stored: &Stored,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// [`SessionStore::load_stored`] without the order.
    fn load(
        &self,
        id: &SessionId,
    ) -> impl Future<Output = Result<Option<SessionData>, StoreError>> + Send {
        async move { Ok(self.load_stored(id).await?.map(|s| s.session)) }
    }

    /// [`SessionStore::save_stored`] with the keys sorted.
    fn save(
        &self,
        id: &SessionId,
        session: &SessionData,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        let stored = Stored::sorted(session.clone());
        async move { self.save_stored(id, &stored).await }
    }

    /// Forgets the session under `id` (log out). Deleting an unknown id is not an error.
    fn delete(&self, id: &SessionId) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// How long a saved session lives.
    fn lifetime(&self) -> Duration;
}

/// Which store to use, as `--session-store` names it: `memory` or `redis://HOST:PORT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreSpec {
    Memory,
    /// The Redis URL, checked to be `redis://HOST:PORT` (an optional `/DB` number allowed).
    Redis(String),
}

impl FromStr for StoreSpec {
    type Err = StoreSpecError;

    fn from_str(given: &str) -> Result<Self, Self::Err> {
        let error = |reason| StoreSpecError {
            given: given.to_string(),
            reason,
        };
        if given == "memory" {
            return Ok(StoreSpec::Memory);
        }
        let Some(rest) = given.strip_prefix("redis://") else {
            return Err(error("neither `memory` nor a redis:// URL"));
        };
        let (authority, db) = rest.split_once('/').unwrap_or((rest, ""));
        if !db.is_empty() && db.parse::<u16>().is_err() {
            return Err(error("the part after the port must be a database number"));
        }
        let Some((host, port)) = authority.rsplit_once(':') else {
            return Err(error("no :PORT"));
        };
        if host.is_empty() || host.contains('@') {
            return Err(error(
                "no host, or credentials, which this server does not take",
            ));
        }
        if port.parse::<u16>().map_or(true, |p| p == 0) {
            return Err(error("the port is not a number from 1 to 65535"));
        }
        // The redis crate's own parser has the last word (an IPv6 host in brackets, say).
        redis::Client::open(given).map_err(|_| error("not a URL the Redis client reads"))?;
        Ok(StoreSpec::Redis(given.to_string()))
    }
}

/// One of the stores, picked at run time.
#[derive(Clone)]
pub enum AnyStore {
    Memory(MemoryStore),
    Redis(RedisStore),
}

impl AnyStore {
    /// Builds the store named by `spec`; for Redis, connects (and fails if Redis is not there).
    pub async fn open(spec: &StoreSpec, lifetime: Duration) -> Result<AnyStore, StoreError> {
        Ok(match spec {
            StoreSpec::Memory => AnyStore::Memory(MemoryStore::new(lifetime)),
            StoreSpec::Redis(url) => AnyStore::Redis(RedisStore::connect(url, lifetime).await?),
        })
    }

    /// The Redis store, when this is one (its client also carries the shared side channel).
    pub fn as_redis(&self) -> Option<&RedisStore> {
        match self {
            AnyStore::Redis(r) => Some(r),
            AnyStore::Memory(_) => None,
        }
    }
}

impl SessionStore for AnyStore {
    async fn load_stored(&self, id: &SessionId) -> Result<Option<Stored>, StoreError> {
        match self {
            AnyStore::Memory(s) => s.load_stored(id).await,
            AnyStore::Redis(s) => s.load_stored(id).await,
        }
    }

    async fn save_stored(&self, id: &SessionId, stored: &Stored) -> Result<(), StoreError> {
        match self {
            AnyStore::Memory(s) => s.save_stored(id, stored).await,
            AnyStore::Redis(s) => s.save_stored(id, stored).await,
        }
    }

    async fn delete(&self, id: &SessionId) -> Result<(), StoreError> {
        match self {
            AnyStore::Memory(s) => s.delete(id).await,
            AnyStore::Redis(s) => s.delete(id).await,
        }
    }

    fn lifetime(&self) -> Duration {
        match self {
            AnyStore::Memory(s) => s.lifetime(),
            AnyStore::Redis(s) => s.lifetime(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_specs() {
        assert_eq!("memory".parse(), Ok(StoreSpec::Memory));
        assert_eq!(
            "redis://127.0.0.1:6379".parse(),
            Ok(StoreSpec::Redis("redis://127.0.0.1:6379".into()))
        );
        assert_eq!(
            "redis://localhost:6380/2".parse(),
            Ok(StoreSpec::Redis("redis://localhost:6380/2".into()))
        );
        for bad in [
            "",
            "Memory",
            "redis",
            "redis://",
            "redis://localhost",
            "redis://:6379",
            "redis://localhost:0",
            "redis://localhost:99999",
            "redis://localhost:port",
            "redis://user:pw@localhost:6379",
            "redis://localhost:6379/x",
            "http://localhost:6379",
        ] {
            let e = bad.parse::<StoreSpec>().unwrap_err();
            assert_eq!(e.given, bad);
            assert!(e.to_string().contains("redis://HOST:PORT"), "{e}");
        }
    }
}
