//! Sessions in the server's memory: the default store, nothing to install, gone when the server
//! stops, private to one server process.

use crate::error::StoreError;
use crate::id::SessionId;
use crate::store::{SessionStore, Stored};
use std::time::Duration;

/// The most sessions kept at once. Past it the cache evicts the entries it judges least likely
/// to be used again, so a flood of new sessions (a benchmark sending no cookie) cannot grow the
/// server without bound.
pub const MAX_SESSIONS: u64 = 100_000;

/// An in-memory store with a TTL renewed on every save (a `moka` cache).
#[derive(Clone)]
pub struct MemoryStore {
    sessions: moka::sync::Cache<SessionId, Stored>,
    lifetime: Duration,
}

impl MemoryStore {
    pub fn new(lifetime: Duration) -> MemoryStore {
        MemoryStore::with_capacity(lifetime, MAX_SESSIONS)
    }

    /// How many sessions are held (moka's count, which may lag behind the last writes).
    pub fn entry_count(&self) -> u64 {
        self.sessions.run_pending_tasks();
        self.sessions.entry_count()
    }

    pub fn with_capacity(lifetime: Duration, max_sessions: u64) -> MemoryStore {
        MemoryStore {
            sessions: moka::sync::Cache::builder()
                .max_capacity(max_sessions)
                .time_to_live(lifetime)
                .build(),
            lifetime,
        }
    }
}

impl SessionStore for MemoryStore {
    async fn load_stored(&self, id: &SessionId) -> Result<Option<Stored>, StoreError> {
        Ok(self.sessions.get(id))
    }

    async fn save_stored(&self, id: &SessionId, stored: &Stored) -> Result<(), StoreError> {
        self.sessions.insert(id.clone(), stored.clone());
        Ok(())
    }

    async fn delete(&self, id: &SessionId) -> Result<(), StoreError> {
        self.sessions.invalidate(id);
        Ok(())
    }

    fn lifetime(&self) -> Duration {
        self.lifetime
    }
}
