//! Flask's session cookie, in Rust: sign, verify and decode `PAYLOAD.TIMESTAMP.SIGNATURE`
//! exactly as Flask's `SecureCookieSessionInterface` (itsdangerous' `URLSafeTimedSerializer`
//! with Flask's `TaggedJSONSerializer`) does, so that the playground's Rust server and page can
//! make and read the very cookies a Flask server would, and show a learner what is inside.
//!
//! - **PAYLOAD**: the session as compact, key-sorted, ASCII-escaped JSON ([`serialize_session`]),
//!   base64url without padding; or `.` + base64url of the zlib-compressed JSON when that is
//!   shorter by more than one byte.
//! - **TIMESTAMP**: Unix seconds as big-endian bytes, leading zeros stripped, base64url
//!   ([`encode_timestamp`]).
//! - **SIGNATURE**: base64url of `HMAC-SHA1(key, PAYLOAD.TIMESTAMP)` where
//!   `key = HMAC-SHA1(SECRET_KEY, "cookie-session")` ([`derive_key`]).
//!
//! The crate has no clock and no randomness: the time is always passed in as Unix seconds, so
//! it builds for `wasm32-unknown-unknown` as well as natively. Nothing in it panics on any input.
//!
//! A server that keeps its keys keeps a [`Keyring`] (the keys derived once, as keyed HMACs);
//! [`Keyring::open`] reads a cookie as Flask's `open_session` does, without the decoded view
//! [`verify`] builds for showing a cookie; likewise [`decode_session`] is [`decode`] without that
//! view (the session alone, no key). The free functions keep a keyring per thread for the last
//! keys seen ([`with_keyring`]).
//!
//! ```
//! use flask_cookie::{decode, format_utc, sign, verify, Rejection, DEFAULT_MAX_AGE_SECS};
//! use serde_json::json;
//!
//! let secret: &[u8] = b"playground-demo-secret";
//! let signed_at = 1_637_258_013; // 2021-11-18 17:53:33 UTC
//! let cookie = sign(&json!({"username": "cobra", "visit": 1}), secret, signed_at).unwrap();
//! assert_eq!(cookie, "eyJ1c2VybmFtZSI6ImNvYnJhIiwidmlzaXQiOjF9.YZaTHQ.-wlmE2_6fkTd4BI464T2kXjX8eE");
//!
//! // Anyone can read a session cookie: it is signed, not encrypted.
//! let d = decode(&cookie).unwrap();
//! assert_eq!(d.json, r#"{"username":"cobra","visit":1}"#);
//! assert_eq!(format_utc(d.timestamp), "2021-11-18 17:53:33 UTC");
//!
//! // Only the secret key (or one of SECRET_KEY_FALLBACKS) makes it trusted, for 31 days.
//! let ok = verify(&cookie, &[secret], signed_at + 60, DEFAULT_MAX_AGE_SECS).unwrap();
//! assert_eq!(ok.decoded.value["visit"], 1);
//! let forged = cookie.replace("OjF9", "OjJ9"); // "visit":2
//! assert_eq!(verify(&forged, &[secret], signed_at, DEFAULT_MAX_AGE_SECS), Err(Rejection::BadSignature));
//! let late = verify(&cookie, &[secret], signed_at + 34 * 86_400, DEFAULT_MAX_AGE_SECS).unwrap_err();
//! assert_eq!(late.to_string(), "expired 3 days ago (max age 31 days)");
//! ```
//!
//! Checked against cookies made by the real Flask (see `tests/vectors/`): the cookies it signs are
//! Flask's byte for byte, compressed ones included (zlib's level-6 deflate is transcribed for
//! that, and tested against Python's zlib). Where it parts from Flask, on purpose:
//! - base64 is read strictly: a last character with unused bits set (Python ignores them, so
//!   Flask accepts a signature whose last character was changed that way) is malformed.
//! - a correctly signed cookie whose payload is not a session (not base64, not JSON, not an
//!   object, a timestamp past the year 9999) makes Flask fail with a 500; here it is a rejection.
//! - malformed cookies are reported as malformed even when their signature is also wrong
//!   (Flask checks the signature first); either way Flask starts a new, empty session.
//! - integers beyond 64 bits, and `NaN`/`Infinity`, which Python's json accepts, are not read.
#![forbid(unsafe_code)]

mod compress;
mod decode;
mod deflate;
mod error;
mod keyring;
mod parse;
mod pyjson;
mod sign;
mod tagged;
#[cfg(test)]
mod testing;
mod time;
mod verify;

pub use decode::{decode, decode_session, DecodedCookie};
pub use error::{MalformedCookie, Part, Rejection, SignError, EXCERPT_CHARS};
pub use keyring::{derive_key, signature_for, with_keyring, Keyring, SESSION_SALT};
pub use parse::{decode_timestamp, MAX_COOKIE_LEN, MAX_JSON_LEN};
pub use pyjson::{python_float_repr, write_python_json, write_python_json_indented};
pub use sign::{encode_timestamp, serialize_session, sign};
pub use tagged::{Tagged, TAG_KEYS};
pub use time::{format_age, format_utc};
pub use verify::{verify, OpenedSession, VerifiedCookie, DEFAULT_MAX_AGE_SECS};
