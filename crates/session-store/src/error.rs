//! What can go wrong with a store.

use std::fmt;

/// A store could not load, save or delete a session.
#[derive(Debug)]
pub enum StoreError {
    /// Redis refused or could not be reached.
    Redis(redis::RedisError),
    /// The stored value is not a session this server can read (another app's data under a
    /// `session:` key, or values such as bytes that JSON cannot hold).
    Unreadable(rmp_serde::decode::Error),
    /// The session could not be written as MessagePack.
    Unwritable(rmp_serde::encode::Error),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Redis(e) => write!(f, "Redis: {e}"),
            StoreError::Unreadable(e) => write!(f, "the stored session cannot be read: {e}"),
            StoreError::Unwritable(e) => write!(f, "the session cannot be stored: {e}"),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Redis(e) => Some(e),
            StoreError::Unreadable(e) => Some(e),
            StoreError::Unwritable(e) => Some(e),
        }
    }
}

impl From<redis::RedisError> for StoreError {
    fn from(e: redis::RedisError) -> Self {
        StoreError::Redis(e)
    }
}

/// A `--session-store` value that names no store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSpecError {
    pub given: String,
    pub reason: &'static str,
}

impl fmt::Display for StoreSpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a session store ({}); use `memory` or `redis://HOST:PORT`",
            self.given, self.reason
        )
    }
}

impl std::error::Error for StoreSpecError {}
