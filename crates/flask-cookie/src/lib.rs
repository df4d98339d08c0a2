//! placeholder docs
#![forbid(unsafe_code)]

mod error;
mod pyjson;
mod tagged;
mod time;

use serde::Serialize;

pub use error::{MalformedCookie, Part, Rejection, SignError};
pub use pyjson::{python_float_repr, write_python_json};
pub use tagged::Tagged;
pub use time::{format_age, format_utc};

/// Flask's salt for the session signer (`SecureCookieSessionInterface.salt`).
pub const SESSION_SALT: &[u8] = b"cookie-session";
/// Flask's default `PERMANENT_SESSION_LIFETIME`: 31 days, in seconds.
pub const DEFAULT_MAX_AGE_SECS: u64 = 31 * 24 * 60 * 60;
/// Longest cookie value [`decode`] and [`verify`] look at (browsers keep about 4096 bytes).
pub const MAX_COOKIE_LEN: usize = 64 * 1024;
/// Largest JSON text a compressed payload may inflate to.
pub const MAX_JSON_LEN: usize = 1024 * 1024;
/// How many characters of a segment an error message quotes.
pub const EXCERPT_CHARS: usize = 40;

/// A cookie value taken apart, without checking the signature.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecodedCookie {
    /// `PAYLOAD`, as in the cookie (with its leading `.` when compressed).
    pub payload_segment: String,
    /// `TIMESTAMP`, as in the cookie.
    pub timestamp_segment: String,
    /// `SIGNATURE`, as in the cookie.
    pub signature_segment: String,
    /// Whether the payload was zlib-compressed (it starts with `.`).
    pub compressed: bool,
    /// The JSON text of the session.
    pub json: String,
    /// The JSON as it is, Flask's tags not resolved.
    pub value: serde_json::Value,
    /// The session with Flask's tags resolved (tuples, bytes, Markup, UUIDs, datetimes).
    pub tagged: Tagged,
    /// When it was signed, Unix seconds.
    pub timestamp: u64,
    /// The 20 signature bytes.
    pub signature: Vec<u8>,
}

/// A cookie whose signature matched one of the keys and whose age is within the max age.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifiedCookie {
    /// What the cookie holds.
    pub decoded: DecodedCookie,
    /// Which key matched: 0 = `SECRET_KEY`, 1.. = `SECRET_KEY_FALLBACKS`.
    pub key_index: usize,
}

/// Flask's compact, key-sorted, ASCII-escaped JSON of a session, as `TaggedJSONSerializer.dumps`
/// would write it.
pub fn serialize_session(session: &serde_json::Value) -> Result<String, SignError> {
    let _ = session;
    todo!()
}

/// Sign a session (a JSON object; tagged values already in Flask's tagged form) -> cookie value
/// `PAYLOAD.TIMESTAMP.SIGNATURE`.
pub fn sign(
    session: &serde_json::Value,
    secret_key: &[u8],
    timestamp: u64,
) -> Result<String, SignError> {
    let _ = (session, secret_key, timestamp);
    todo!()
}

/// Decode without a key.
pub fn decode(cookie: &str) -> Result<DecodedCookie, MalformedCookie> {
    let _ = cookie;
    todo!()
}

/// Verify against one or more keys (first = `SECRET_KEY`, rest = `SECRET_KEY_FALLBACKS`),
/// constant-time compare, max age.
pub fn verify(
    cookie: &str,
    keys: &[&[u8]],
    now: u64,
    max_age_secs: u64,
) -> Result<VerifiedCookie, Rejection> {
    let _ = (cookie, keys, now, max_age_secs);
    todo!()
}

/// The signing key Flask derives from a secret key: `HMAC-SHA1(secret_key, "cookie-session")`.
pub fn derive_key(secret_key: &[u8]) -> [u8; 20] {
    let _ = secret_key;
    todo!()
}

/// The signature bytes of `PAYLOAD.TIMESTAMP` (everything before the last dot) under a secret key.
pub fn signature_for(signed_part: &str, secret_key: &[u8]) -> [u8; 20] {
    let _ = (signed_part, secret_key);
    todo!()
}

/// The `TIMESTAMP` segment for Unix seconds: big-endian bytes, leading zeros stripped, base64url.
pub fn encode_timestamp(unix_secs: u64) -> String {
    let _ = unix_secs;
    todo!()
}

/// Unix seconds from a `TIMESTAMP` segment.
pub fn decode_timestamp(segment: &str) -> Result<u64, MalformedCookie> {
    let _ = segment;
    todo!()
}
