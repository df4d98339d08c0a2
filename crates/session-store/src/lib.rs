//! Server-side sessions as Flask-Session 0.8 keeps them, for the greeting server's
//! `--sessions server` mode.
//!
//! The browser's `session` cookie holds only a random id ([`SessionId`], 43 URL-safe characters
//! like Flask-Session's `secrets.token_urlsafe(32)`); the session itself lives in a store on the
//! server ([`SessionStore`]):
//!
//! * [`MemoryStore`]: in the server's memory, nothing to install, gone when the server stops;
//! * [`RedisStore`]: in Redis, under the key `session:` + id, the value MessagePack of the
//!   session map with Flask's `_permanent` flag beside its own keys ([`codec`]), the TTL the
//!   session lifetime, renewed on every save. These are Flask-Session's Redis backend's bytes, so
//!   a Flask app using Flask-Session and a greeting server sharing one Redis continue each
//!   other's sessions.
//!
//! [`AnyStore`] picks one at run time from a [`StoreSpec`] (`memory` or `redis://HOST:PORT`).

#![forbid(unsafe_code)]

pub mod codec;
pub mod error;
pub mod id;
pub mod memory;
pub mod redis_store;
pub mod store;
#[cfg(feature = "test-redis")]
pub mod test_redis;

pub use codec::{decode_session, decode_stored, encode_session, encode_stored, PERMANENT_KEY};
pub use error::{StoreError, StoreSpecError};
pub use id::{InvalidSessionId, SessionId, SESSION_ID_LEN};
pub use memory::MemoryStore;
pub use redis_store::{RedisStore, KEY_PREFIX};
pub use store::{AnyStore, SessionData, SessionStore, StoreSpec, Stored};
