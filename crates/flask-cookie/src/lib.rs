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
//! Every cookie costs a server a signature and a verification, so the keys are derived once: a
//! [`Keyring`] holds them as keyed HMAC states (the free functions keep one per thread for the
//! last keys seen, [`with_keyring`]), and [`Keyring::open`] reads a cookie as Flask's
//! `open_session` does, without the decoded view [`verify`] builds for showing a cookie;
//! likewise [`decode_session`] is [`decode`] without that view (the session alone, no key).
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
//! Checked against cookies made by the real Flask (see `tests/vectors/`). Where it parts from
//! Flask, on purpose:
//! - base64 is read strictly: a last character with unused bits set (Python ignores them, so
//!   Flask accepts a signature whose last character was changed that way) is malformed.
//! - a correctly signed cookie whose payload is not a session (not base64, not JSON, not an
//!   object, a timestamp past the year 9999) makes Flask fail with a 500; here it is a rejection.
//! - malformed cookies are reported as malformed even when their signature is also wrong
//!   (Flask checks the signature first); either way Flask starts a new, empty session.
//! - a session whose JSON is longer than 4096 bytes (more than a browser keeps in a cookie) is
//!   compressed with miniz_oxide, not zlib: its cookie holds the same JSON as Flask's but may
//!   differ in bytes, and within a few bytes of the threshold the decision to compress may
//!   differ; both forms are valid to Flask. Shorter ones get zlib's own decision and bytes
//!   (`compress_decision.rs`), so their cookies are Flask's byte for byte, compressed or not.
//! - integers beyond 64 bits, and `NaN`/`Infinity`, which Python's json accepts, are not read.
#![forbid(unsafe_code)]

mod b64;
mod compress_decision;
mod error;
mod fast_json;
mod keyring;
mod mac;
mod pyjson;
mod tagged;
mod time;

use std::borrow::Cow;

use base64::Engine as _;
use serde::Serialize;

pub use error::{MalformedCookie, Part, Rejection, SignError};
pub use keyring::{with_keyring, Keyring};
pub use pyjson::{python_float_repr, write_python_json, write_python_json_indented};
pub use tagged::{Tagged, TAG_KEYS};
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
/// would write it (Python's `json.dumps(..., separators=(",", ":"), sort_keys=True,
/// ensure_ascii=True)`). Tagged values must already be in Flask's tagged form (see
/// [`Tagged::to_tagged_json`]).
pub fn serialize_session(session: &serde_json::Value) -> Result<String, SignError> {
    if !session.is_object() {
        return Err(SignError::NotAnObject {
            found: json_kind(session).to_owned(),
        });
    }
    // Room for a session like the playground's without growing.
    let mut out = String::with_capacity(128);
    write_python_json(session, &mut out);
    Ok(out)
}

/// Sign a session (a JSON object; tagged values already in Flask's tagged form) -> cookie value
/// `PAYLOAD.TIMESTAMP.SIGNATURE`, as Flask's `SecureCookieSessionInterface` would at
/// `timestamp` (Unix seconds).
///
/// The payload is compressed when zlib makes it shorter by more than one byte, as itsdangerous
/// does, with zlib's own bytes (`compress_decision.rs`): when zlib can be proven to find nothing
/// to match (no 3-byte sequence repeats, most small sessions), without compressing at all;
/// otherwise with a transcription of zlib's level-6 deflate. Only JSON longer than 4096 bytes
/// goes to miniz_oxide, and may then differ from Flask's cookie byte for byte while holding the
/// same JSON.
///
/// Keys are derived once per thread for the same secret ([`with_keyring`]); a caller that keeps
/// its keys can keep a [`Keyring`] instead.
pub fn sign(
    session: &serde_json::Value,
    secret_key: &[u8],
    timestamp: u64,
) -> Result<String, SignError> {
    if secret_key.is_empty() {
        return Err(SignError::NoSecretKey);
    }
    with_keyring(&[secret_key], |keyring| keyring.sign(session, timestamp))
}

/// [`sign`] with an HMAC state already keyed with the derived key.
fn sign_with(
    mac: &mac::Key,
    session: &serde_json::Value,
    timestamp: u64,
) -> Result<String, SignError> {
    let json = serialize_session(session)?;
    let json = json.as_bytes();
    // base64 of the payload (4 characters for 3 bytes), '.', at most 11 characters of timestamp,
    // '.', 27 of signature: the cookie is built in place, as bytes, without growing.
    let mut cookie = Vec::with_capacity(json.len().div_ceil(3) * 4 + 1 + 1 + 11 + 1 + 27);
    // itsdangerous: `if len(compressed) < (len(json) - 1)`.
    let flask_compresses = |compressed_len: usize| compressed_len + 1 < json.len();
    match compress_decision::flask_payload(json) {
        Some(compress_decision::FlaskPayload::Compressed(zlib)) => {
            cookie.push(b'.');
            push_b64(&zlib, &mut cookie);
        }
        Some(compress_decision::FlaskPayload::Plain) => push_b64(json, &mut cookie),
        None => {
            let compressed = zlib_compress(json);
            if flask_compresses(compressed.len()) {
                cookie.push(b'.');
                push_b64(&compressed, &mut cookie);
            } else {
                push_b64(json, &mut cookie);
            }
        }
    }
    cookie.push(b'.');
    push_b64(timestamp_bytes(&timestamp.to_be_bytes()), &mut cookie);
    let signature = mac.sign(&cookie);
    cookie.push(b'.');
    push_b64(&signature, &mut cookie);
    // Only base64url characters and dots were written.
    Ok(String::from_utf8(cookie)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// Append the unpadded base64url of `bytes` to `out`.
fn push_b64(bytes: &[u8], out: &mut Vec<u8>) {
    b64::encode_into(bytes, out);
}

/// The big-endian bytes of a timestamp without their leading zeros (`[]` for 0).
fn timestamp_bytes(be: &[u8; 8]) -> &[u8] {
    let skip = be.iter().take_while(|b| **b == 0).count();
    be.get(skip..).unwrap_or_default()
}

/// Take a cookie value apart without a key: the three segments, the JSON, the resolved tags, the
/// timestamp and the signature bytes. Says nothing about whether the signature is right.
///
/// Never panics; refuses values longer than [`MAX_COOKIE_LEN`] and payloads that inflate past
/// [`MAX_JSON_LEN`]. Stricter than Python's base64 in one corner: a last base64 character with
/// unused bits set (which Python ignores) is malformed, so that a changed character is never
/// silently accepted.
pub fn decode(cookie: &str) -> Result<DecodedCookie, MalformedCookie> {
    let mut buf = [0u8; STACK_JSON];
    parse(cookie, &mut buf)?.into_decoded()
}

/// The session in a cookie value, without a key: what flask-unsign's `--decode` does with a
/// Flask cookie (base64, zlib when compressed, tagged JSON), and what a caller of [`decode`]
/// that wants only the session would keep of it.
///
/// Accepts and refuses exactly the cookies [`decode`] does, with the same reasons (the three
/// segments are all checked, though only the payload is read), and returns the session as
/// [`DecodedCookie::value`] holds it: Flask's tags checked but not resolved. Says nothing about
/// whether the signature is right: only [`verify`] or [`Keyring::open`] can tell that.
///
/// ```
/// let cookie = "eyJ1c2VybmFtZSI6ImNvYnJhIiwidmlzaXQiOjF9.YZaTHQ.-wlmE2_6fkTd4BI464T2kXjX8eE";
/// let session = flask_cookie::decode_session(cookie).unwrap();
/// assert_eq!(session["username"], "cobra");
/// assert_eq!(serde_json::Value::Object(session), flask_cookie::decode(cookie).unwrap().value);
/// ```
pub fn decode_session(
    cookie: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, MalformedCookie> {
    let mut buf = [0u8; STACK_JSON];
    Ok(parse(cookie, &mut buf)?.session)
}

/// Payloads whose JSON fits in this many bytes (a usual session takes a few dozen) are decoded
/// into a buffer on the stack; longer and compressed ones, onto the heap.
const STACK_JSON: usize = 256;

/// A cookie value cut at its last two dots (a compressed payload itself starts with a dot).
struct Segments<'a> {
    /// `PAYLOAD.TIMESTAMP`: what the signature signs, as it is in the cookie.
    signed: &'a str,
    payload: &'a str,
    timestamp: &'a str,
    signature: &'a str,
}

fn split(cookie: &str) -> Result<Segments<'_>, MalformedCookie> {
    if cookie.is_empty() {
        return Err(MalformedCookie::Empty);
    }
    if cookie.len() > MAX_COOKIE_LEN {
        return Err(MalformedCookie::Oversized {
            len: cookie.len(),
            max: MAX_COOKIE_LEN,
        });
    }
    let missing_dots = || MalformedCookie::MissingDots {
        dots: cookie.bytes().filter(|b| *b == b'.').count(),
    };
    // A good signature is 27 characters, none of them a dot: look for its dot there first.
    let (signed, signature) = match cut_at(cookie, cookie.len().wrapping_sub(28)) {
        Some((signed, signature)) if !has_dot(signature) => (signed, signature),
        _ => cut_at_last_dot(cookie).ok_or_else(missing_dots)?,
    };
    let (payload, timestamp) = cut_at_last_dot(signed).ok_or_else(missing_dots)?;
    Ok(Segments {
        signed,
        payload,
        timestamp,
        signature,
    })
}

/// `s.rsplit_once('.')`, by a plain backwards scan: the two last dots of a cookie are within a
/// few dozen bytes of its end, where a general-purpose memrchr costs more than it saves.
fn cut_at_last_dot(s: &str) -> Option<(&str, &str)> {
    cut_at(s, s.bytes().rposition(|b| b == b'.')?)
}

/// Whether `s` has a dot, looking at every byte (no early exit, so the compiler compares many
/// bytes at a time: cheaper than a search on a 27-character signature).
fn has_dot(s: &str) -> bool {
    s.bytes().fold(false, |dot, b| dot | (b == b'.'))
}

/// `s` cut around the dot at `at`, when there is one there.
fn cut_at(s: &str, at: usize) -> Option<(&str, &str)> {
    if *s.as_bytes().get(at)? != b'.' {
        return None;
    }
    Some((s.get(..at)?, s.get(at + 1..)?))
}

/// A well-formed cookie, every check but the key's done: what [`decode`], [`decode_session`],
/// [`verify`] and [`Keyring::open`] share, so that they accept and refuse the very same cookies,
/// with the same reasons.
struct Parsed<'a, 'b> {
    segments: Segments<'a>,
    signature: [u8; 20],
    timestamp: u64,
    compressed: bool,
    /// The JSON text: in the caller's buffer when it fits there, else on the heap.
    json: Cow<'b, str>,
    session: serde_json::Map<String, serde_json::Value>,
    /// The resolved tags, when checking them needed resolving them (the JSON has a one-key
    /// object under one of Flask's tag keys); otherwise resolving cannot fail and is left to
    /// whoever wants it.
    tagged: Option<Tagged>,
}

/// Take `cookie` apart and read its session; the JSON goes into `buf` when it fits.
fn parse<'a, 'b>(
    cookie: &'a str,
    buf: &'b mut [u8; STACK_JSON],
) -> Result<Parsed<'a, 'b>, MalformedCookie> {
    let segments = split(cookie)?;
    let Segments {
        payload: payload_segment,
        timestamp: timestamp_segment,
        signature: signature_segment,
        ..
    } = segments;
    if signature_segment.is_empty() {
        return Err(MalformedCookie::EmptyPart {
            part: Part::Signature,
        });
    }
    let mut signature = [0u8; 20];
    if b64::decode_into(signature_segment.as_bytes(), &mut signature).is_none() {
        // Not 27 good characters: say what is wrong with them.
        let bytes = b64url_decode(Part::Signature, signature_segment)?;
        return Err(MalformedCookie::SignatureLength {
            segment: excerpt(signature_segment),
            bytes: bytes.len(),
        });
    }

    let timestamp = decode_timestamp(timestamp_segment)?;

    let (compressed, data_segment) = match payload_segment.strip_prefix('.') {
        Some(rest) => (true, rest),
        None => (false, payload_segment),
    };
    if data_segment.is_empty() {
        return Err(MalformedCookie::EmptyPart {
            part: Part::Payload,
        });
    }
    let json = if compressed {
        let bytes = b64url_decode(Part::Payload, data_segment)?;
        let bytes = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(&bytes, MAX_JSON_LEN)
            .map_err(|e| match e.status {
            miniz_oxide::inflate::TINFLStatus::HasMoreOutput => {
                MalformedCookie::DecompressedTooLarge { max: MAX_JSON_LEN }
            }
            status => MalformedCookie::BadZlib {
                reason: zlib_reason(status),
            },
        })?;
        Cow::Owned(String::from_utf8(bytes).map_err(|e| not_utf8(e.utf8_error()))?)
    } else {
        match b64_into(data_segment, buf) {
            Some(bytes) => Cow::Borrowed(std::str::from_utf8(bytes).map_err(not_utf8)?),
            None => {
                let bytes = b64url_decode(Part::Payload, data_segment)?;
                Cow::Owned(String::from_utf8(bytes).map_err(|e| not_utf8(e.utf8_error()))?)
            }
        }
    };
    // Plain compact JSON (what Flask writes) is read directly; anything else, and every error,
    // is serde_json's.
    let (session, maybe_tagged) = match fast_json::parse_session(&json) {
        Some(fast) => (fast.map, fast.maybe_tagged),
        None => match serde_json::from_str(&json) {
            Ok(serde_json::Value::Object(session)) => (session, true),
            Ok(other) => {
                return Err(MalformedCookie::NotAnObject {
                    found: json_kind(&other).to_owned(),
                })
            }
            Err(e) => {
                return Err(MalformedCookie::NotJson {
                    json: excerpt(&json),
                    reason: e.to_string(),
                })
            }
        },
    };
    let tagged = if maybe_tagged && tagged::has_tags(&session) {
        Some(Tagged::from_object(&session)?)
    } else {
        None
    };
    Ok(Parsed {
        segments,
        signature,
        timestamp,
        compressed,
        json,
        session,
        tagged,
    })
}

/// Decode `segment` into the front of `buf`, when it fits there and is good base64url.
fn b64_into<'b>(segment: &str, buf: &'b mut [u8]) -> Option<&'b [u8]> {
    let out = buf.get_mut(..b64::decoded_len(segment.len())?)?;
    b64::decode_into(segment.as_bytes(), out)?;
    Some(out)
}

fn not_utf8(e: std::str::Utf8Error) -> MalformedCookie {
    MalformedCookie::NotUtf8 {
        reason: e.to_string(),
    }
}

impl Parsed<'_, '_> {
    /// Which key signed it, compared in constant time (as itsdangerous'
    /// `hmac.compare_digest`), then whether its age is within `max_age_secs` at `now`.
    fn check(&self, macs: &[mac::Key], now: u64, max_age_secs: u64) -> Result<usize, Rejection> {
        let key_index = macs
            .iter()
            .position(|mac| mac.verify(self.segments.signed.as_bytes(), &self.signature))
            .ok_or(Rejection::BadSignature)?;
        if now >= self.timestamp {
            let age_secs = now - self.timestamp;
            if age_secs > max_age_secs {
                return Err(Rejection::Expired {
                    age_secs,
                    max_age_secs,
                });
            }
        } else {
            return Err(Rejection::FromTheFuture {
                ahead_by_secs: self.timestamp - now,
            });
        }
        Ok(key_index)
    }

    fn into_decoded(self) -> Result<DecodedCookie, MalformedCookie> {
        let tagged = match self.tagged {
            Some(tagged) => tagged,
            None => Tagged::from_object(&self.session)?,
        };
        Ok(DecodedCookie {
            payload_segment: self.segments.payload.to_owned(),
            timestamp_segment: self.segments.timestamp.to_owned(),
            signature_segment: self.segments.signature.to_owned(),
            compressed: self.compressed,
            json: self.json.into_owned(),
            value: serde_json::Value::Object(self.session),
            tagged,
            timestamp: self.timestamp,
            signature: self.signature.to_vec(),
        })
    }
}

/// Verify against one or more keys (first = `SECRET_KEY`, rest = `SECRET_KEY_FALLBACKS`),
/// constant-time compare, max age, as Flask's `open_session` does at time `now` (Unix seconds).
///
/// Order of the checks: no key, malformed, signature, then age (`age > max_age` is expired,
/// `age < 0` is from the future; an age of exactly `max_age` is still good). Flask checks the
/// signature before it looks at the payload, so for a cookie that is both tampered with and
/// malformed Flask says "bad signature" where this says "malformed"; both mean a new session.
///
/// Keys are derived once per thread for the same keys ([`with_keyring`]); a caller that keeps
/// its keys can keep a [`Keyring`] instead.
pub fn verify(
    cookie: &str,
    keys: &[&[u8]],
    now: u64,
    max_age_secs: u64,
) -> Result<VerifiedCookie, Rejection> {
    match keys.first() {
        Some(first) if !first.is_empty() => {}
        _ => return Err(Rejection::NoSecretKey),
    }
    with_keyring(keys, |keyring| keyring.verify(cookie, now, max_age_secs))
}

/// [`verify`] with HMAC states already keyed with the derived keys.
fn verify_with(
    macs: &[mac::Key],
    cookie: &str,
    now: u64,
    max_age_secs: u64,
) -> Result<VerifiedCookie, Rejection> {
    let mut buf = [0u8; STACK_JSON];
    let parsed = parse(cookie, &mut buf)?;
    let key_index = parsed.check(macs, now, max_age_secs)?;
    Ok(VerifiedCookie {
        decoded: parsed.into_decoded()?,
        key_index,
    })
}

/// What a server needs of a trusted session cookie, and no more: [`Keyring::open`].
#[derive(Debug, Clone, PartialEq)]
pub struct OpenedSession {
    /// The session, Flask's tags not resolved (as [`DecodedCookie::value`]).
    pub session: serde_json::Map<String, serde_json::Value>,
    /// Which key matched: 0 = `SECRET_KEY`, 1.. = `SECRET_KEY_FALLBACKS`.
    pub key_index: usize,
    /// When it was signed, Unix seconds.
    pub timestamp: u64,
}

/// [`Keyring::open`] with HMAC states already keyed with the derived keys.
fn open_with(
    macs: &[mac::Key],
    cookie: &str,
    now: u64,
    max_age_secs: u64,
) -> Result<OpenedSession, Rejection> {
    let mut buf = [0u8; STACK_JSON];
    let parsed = parse(cookie, &mut buf)?;
    let key_index = parsed.check(macs, now, max_age_secs)?;
    Ok(OpenedSession {
        session: parsed.session,
        key_index,
        timestamp: parsed.timestamp,
    })
}

/// The signing key Flask derives from a secret key: `HMAC-SHA1(secret_key, "cookie-session")`
/// (itsdangerous' `key_derivation="hmac"` with Flask's salt).
pub fn derive_key(secret_key: &[u8]) -> [u8; 20] {
    mac::Key::new(secret_key).sign(SESSION_SALT)
}

/// The signature bytes of `PAYLOAD.TIMESTAMP` (everything before the last dot) under a secret
/// key: `HMAC-SHA1(derive_key(secret_key), signed_part)`.
pub fn signature_for(signed_part: &str, secret_key: &[u8]) -> [u8; 20] {
    with_keyring(&[secret_key], |keyring| keyring.signature_for(signed_part))
        .unwrap_or_else(|| mac::Key::new(&derive_key(secret_key)).sign(signed_part.as_bytes()))
}

/// The `TIMESTAMP` segment for Unix seconds: big-endian bytes, leading zeros stripped,
/// base64url without padding. `1637258013` -> `"YZaTHQ"`; `0` -> `""`.
pub fn encode_timestamp(unix_secs: u64) -> String {
    let mut out = String::with_capacity(11);
    push_timestamp(unix_secs, &mut out);
    out
}

/// [`encode_timestamp`] appended to `out`.
fn push_timestamp(unix_secs: u64, out: &mut String) {
    B64URL.encode_string(timestamp_bytes(&unix_secs.to_be_bytes()), out);
}

/// Unix seconds from a `TIMESTAMP` segment (empty means 0, as itsdangerous reads it).
pub fn decode_timestamp(segment: &str) -> Result<u64, MalformedCookie> {
    if let Some(unix_secs) = b64::decode_u64(segment.as_bytes()) {
        return Ok(unix_secs);
    }
    // Not valid, or longer than 8 bytes: the error path below says why.
    let bytes = b64url_decode(Part::Timestamp, segment)?;
    if bytes.len() > 8 {
        return Err(MalformedCookie::TimestampTooLarge {
            segment: excerpt(segment),
            bytes: bytes.len(),
        });
    }
    Ok(bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
}

const B64URL: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn b64url_decode(part: Part, segment: &str) -> Result<Vec<u8>, MalformedCookie> {
    let bad = |reason: String| MalformedCookie::BadBase64 {
        part,
        segment: excerpt(segment),
        reason,
    };
    if let Some(bytes) = b64::decode_vec(segment.as_bytes()) {
        return Ok(bytes);
    }
    if let Some((pos, c)) = segment
        .chars()
        .enumerate()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        let hint = match c {
            '=' => " (cookies leave the '=' padding out)",
            '+' | '/' => " (that is standard base64; cookies use '-' and '_' instead)",
            _ => "",
        };
        return Err(bad(format!(
            "{c:?} at position {} is not one of A-Z a-z 0-9 - _{hint}",
            pos + 1
        )));
    }
    B64URL.decode(segment).map_err(|e| {
        bad(match e {
            base64::DecodeError::InvalidLength(len) => format!(
                "{len} characters cannot be base64 (a length of 4n+1 never is): a character is missing or was added"
            ),
            base64::DecodeError::InvalidLastSymbol(pos, _) => format!(
                "the last character (position {}) has bits set that base64 leaves zero: was it changed?",
                pos + 1
            ),
            other => other.to_string(),
        })
    })
}

/// For payloads longer than the zlib transcription takes (4096 bytes, more than a cookie can
/// be): zlib at level 6 (Python's `zlib.compress` default), keeping the shorter of a dynamic-Huffman
/// and a fixed-Huffman stream, as zlib itself picks per block. miniz_oxide alone (dynamic blocks
/// for all but tiny inputs) is often several bytes longer than zlib on short sessions, which
/// would flip itsdangerous' "compress only if shorter by more than one byte" decision; with
/// the shorter of the two, the decision matched Python's zlib 1.2.13 on 4497 of 4501 sample
/// sessions (the rest were within 3 bytes of the threshold).
fn zlib_compress(input: &[u8]) -> Vec<u8> {
    use miniz_oxide::deflate::core::CompressionStrategy;
    let dynamic = deflate_zlib(input, CompressionStrategy::Default as i32);
    let fixed = deflate_zlib(input, CompressionStrategy::Fixed as i32);
    match (dynamic, fixed) {
        (Some(d), Some(f)) if f.len() < d.len() => f,
        (Some(d), _) => d,
        (None, Some(f)) => f,
        (None, None) => miniz_oxide::deflate::compress_to_vec_zlib(input, 6),
    }
}

fn deflate_zlib(input: &[u8], strategy: i32) -> Option<Vec<u8>> {
    use miniz_oxide::deflate::core::{create_comp_flags_from_zip_params, CompressorOxide};
    use std::cell::RefCell;
    thread_local! {
        // A compressor holds over 300 KB of tables. Allocating two per signed cookie made the
        // allocator hand memory back to the kernel and take it again on every request (the
        // server's main cost under load, BENCHMARKS.md); one of each kind per thread, reset
        // before each use, keeps signing allocation-light. (Index 0: default, 1: fixed.)
        static COMPRESSORS: RefCell<[Option<Box<CompressorOxide>>; 2]> = const { RefCell::new([None, None]) };
    }
    let slot =
        usize::from(strategy != miniz_oxide::deflate::core::CompressionStrategy::Default as i32);
    COMPRESSORS.with(|cell| {
        let mut compressors = cell.try_borrow_mut().ok()?;
        let compressor = compressors.get_mut(slot)?.get_or_insert_with(|| {
            Box::new(CompressorOxide::new(create_comp_flags_from_zip_params(
                6, 1, strategy,
            )))
        });
        compressor.reset();
        run_deflate(compressor, input)
    })
}

fn run_deflate(
    compressor: &mut miniz_oxide::deflate::core::CompressorOxide,
    mut input: &[u8],
) -> Option<Vec<u8>> {
    use miniz_oxide::deflate::core::{compress, TDEFLFlush, TDEFLStatus};
    let mut output = vec![0u8; input.len() + input.len() / 4 + 64];
    let mut used = 0;
    loop {
        let (status, consumed, written) = compress(
            compressor,
            input,
            output.get_mut(used..)?,
            TDEFLFlush::Finish,
        );
        used += written;
        match status {
            TDEFLStatus::Done => {
                output.truncate(used);
                return Some(output);
            }
            TDEFLStatus::Okay => {
                input = input.get(consumed..)?;
                output.resize(output.len() * 2, 0);
            }
            _ => return None,
        }
    }
}

fn zlib_reason(status: miniz_oxide::inflate::TINFLStatus) -> String {
    use miniz_oxide::inflate::TINFLStatus as S;
    match status {
        S::FailedCannotMakeProgress => "the compressed data ends too early".to_owned(),
        S::BadParam => "bad parameters".to_owned(),
        S::Adler32Mismatch => "the checksum (Adler-32) does not match the data".to_owned(),
        S::Failed => "the data is not a valid zlib stream".to_owned(),
        other => format!("{other:?}"),
    }
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// At most [`EXCERPT_CHARS`] characters of `s`, with "…" when cut.
fn excerpt(s: &str) -> String {
    match s.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const DEMO: &[u8] = b"playground-demo-secret";
    const TS: u64 = 1_637_258_013;

    #[test]
    fn timestamps() {
        assert_eq!(encode_timestamp(TS), "YZaTHQ");
        assert_eq!(decode_timestamp("YZaTHQ"), Ok(TS));
        assert_eq!(encode_timestamp(0), "");
        assert_eq!(decode_timestamp(""), Ok(0));
        assert_eq!(encode_timestamp(255), "_w");
        assert_eq!(encode_timestamp(256), "AQA");
        assert_eq!(encode_timestamp(u64::MAX), "__________8");
        for t in [1, 255, 256, 65_535, 1 << 32, TS, u64::MAX - 1, u64::MAX] {
            assert_eq!(decode_timestamp(&encode_timestamp(t)), Ok(t));
        }
        // Leading zero bytes are not written, but read fine.
        assert_eq!(decode_timestamp("AGGWkx0"), Ok(TS));
        assert!(matches!(
            decode_timestamp("AAAAAAAAAAAA"),
            Err(MalformedCookie::TimestampTooLarge { bytes: 9, .. })
        ));
        let err = decode_timestamp("YZa!").unwrap_err().to_string();
        assert!(
            err.starts_with("the timestamp part 'YZa!' is not base64url: "),
            "{err}"
        );
        // "YZaTHR" has unused bits set in its last character.
        assert!(decode_timestamp("YZaTHR").is_err());
    }

    #[test]
    fn the_notes_check_vectors() {
        let v1 = json!({"username": "cobra", "visit": 1});
        assert_eq!(
            sign(&v1, DEMO, TS).unwrap(),
            "eyJ1c2VybmFtZSI6ImNvYnJhIiwidmlzaXQiOjF9.YZaTHQ.-wlmE2_6fkTd4BI464T2kXjX8eE"
        );
        let v2 = json!({"username": "cobra", "visit": 2});
        assert_eq!(
            sign(&v2, DEMO, TS).unwrap(),
            "eyJ1c2VybmFtZSI6ImNvYnJhIiwidmlzaXQiOjJ9.YZaTHQ.T0Q_E2UqDzye7bXltKjGyT7hxRg"
        );
        let flask = ".eJyrVsrLL0lVslLKyCwuViCJUNJRKi1OLcpLzAXpT85PKkoECpVlFmeWKFkZ1gIAp20fNg.YZaTHQ.myDVbKeBIXWUJds1ecjtWCiEfw4";
        let v3 = json!({"note": "hiss ".repeat(10), "username": "cobra", "visit": 1});
        let ok = verify(flask, &[DEMO], TS, DEFAULT_MAX_AGE_SECS).unwrap();
        assert!(ok.decoded.compressed);
        assert_eq!(ok.decoded.value, v3);
        // zlib's own stream: the very cookie Flask made.
        assert_eq!(sign(&v3, DEMO, TS).unwrap(), flask);
    }

    #[test]
    fn rejections_and_messages() {
        let c = sign(&json!({"visit": 1}), DEMO, TS).unwrap();
        assert!(verify(&c, &[DEMO], TS + DEFAULT_MAX_AGE_SECS, DEFAULT_MAX_AGE_SECS).is_ok());
        let e = verify(
            &c,
            &[DEMO],
            TS + DEFAULT_MAX_AGE_SECS + 3 * 86_400,
            DEFAULT_MAX_AGE_SECS,
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "expired 3 days ago (max age 31 days)");
        assert_eq!(e.kind(), "expired");
        let e = verify(&c, &[DEMO], TS - 300, DEFAULT_MAX_AGE_SECS).unwrap_err();
        assert_eq!(e, Rejection::FromTheFuture { ahead_by_secs: 300 });
        let e = verify(&c, &[b"other"], TS, DEFAULT_MAX_AGE_SECS).unwrap_err();
        assert_eq!(
            e.to_string(),
            "signature does not match: the cookie was changed or signed with another secret key"
        );
        let ok = verify(&c, &[b"new", b"older", DEMO], TS, DEFAULT_MAX_AGE_SECS).unwrap();
        assert_eq!(ok.key_index, 2);
        assert_eq!(verify(&c, &[], TS, 1), Err(Rejection::NoSecretKey));
        assert_eq!(verify(&c, &[b""], TS, 1), Err(Rejection::NoSecretKey));
        assert_eq!(sign(&json!({}), b"", TS), Err(SignError::NoSecretKey));
        assert!(matches!(
            sign(&json!([1]), DEMO, TS),
            Err(SignError::NotAnObject { .. })
        ));
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["kind"], "bad_signature");
    }

    #[test]
    fn malformed_shapes() {
        let sig = "-wlmE2_6fkTd4BI464T2kXjX8eE";
        let cases: Vec<(String, &str)> = vec![
            (String::new(), "empty"),
            ("abc".into(), "missing_dots"),
            ("abc.def".into(), "missing_dots"),
            ("e30.YZaTHQ.".into(), "empty_part"),
            (format!(".YZaTHQ.{sig}"), "empty_part"),
            (format!("..YZaTHQ.{sig}"), "empty_part"),
            (format!("e30.YZaTHQ.{}", &sig[..24]), "signature_length"),
            (format!("e3=.YZaTHQ.{sig}"), "bad_base64"),
            (format!("e30.YZa!.{sig}"), "bad_base64"),
            (format!(".e30.YZaTHQ.{sig}"), "bad_zlib"),
            (format!("bm90IGpzb24.YZaTHQ.{sig}"), "not_json"),
            (format!("WzFd.YZaTHQ.{sig}"), "not_an_object"),
            (format!("_w.YZaTHQ.{sig}"), "not_utf8"),
            (format!("eyIgdCI6MX0.YZaTHQ.{sig}"), "bad_tag"),
            ("a".repeat(MAX_COOKIE_LEN + 1), "oversized"),
        ];
        for (cookie, want) in cases {
            let err = decode(&cookie).unwrap_err();
            let got = serde_json::to_value(&err).unwrap()["problem"].clone();
            assert_eq!(got, want, "{cookie:.60}: {err}");
            assert_eq!(decode_session(&cookie), Err(err), "{cookie:.60}");
            assert!(matches!(
                verify(&cookie, &[DEMO], TS, 10),
                Err(Rejection::Malformed(_))
            ));
        }
    }

    #[test]
    fn cuts_at_the_last_two_dots() {
        let sig = "-wlmE2_6fkTd4BI464T2kXjX8eE";
        let cookies = [
            format!("e30.YZaTHQ.{sig}"),
            format!(".e30.YZaTHQ.{sig}"),
            format!("e30.YZaTHQ.{}.{}", &sig[..10], &sig[11..]),
            format!("e30.YZaTHQ..{}", &sig[1..]),
            format!("e30.YZaTHQ.{sig}."),
            format!("e30.YZaTHQ.x{sig}"),
            format!("e30{sig}.{sig}"),
            format!(".{sig}"),
            "a.b.c".to_owned(),
            "..".to_owned(),
        ];
        for cookie in &cookies {
            let mut parts = cookie.rsplitn(3, '.');
            let (signature, timestamp, payload) = (parts.next(), parts.next(), parts.next());
            let got = split(cookie)
                .ok()
                .map(|s| (s.payload, s.timestamp, s.signature));
            let want = payload.map(|p| (p, timestamp.unwrap_or(""), signature.unwrap_or("")));
            assert_eq!(got, want, "{cookie}");
            if let Ok(s) = split(cookie) {
                assert_eq!(s.signed.len() + 1 + s.signature.len(), cookie.len());
            }
        }
    }

    #[test]
    fn payloads_on_either_side_of_the_stack_buffer() {
        // Plain payloads whose JSON is around STACK_JSON bytes long (Flask would compress these,
        // but a plain payload is as valid).
        for len in STACK_JSON - 3..STACK_JSON + 3 {
            let json = format!(r#"{{"n":"{}"}}"#, "a".repeat(len - 8));
            assert_eq!(json.len(), len);
            let signed = format!("{}.YZaTHQ", B64URL.encode(&json));
            let cookie = format!("{signed}.{}", B64URL.encode(signature_for(&signed, DEMO)));
            let session = serde_json::from_str::<serde_json::Value>(&json).unwrap();
            let d = decode(&cookie).unwrap();
            assert!(!d.compressed);
            assert_eq!((&d.json, &d.value), (&json, &session));
            assert_eq!(
                decode_session(&cookie).map(serde_json::Value::Object),
                Ok(session.clone())
            );
            let opened = Keyring::new(&[DEMO]).open(&cookie, TS, 60).unwrap();
            assert_eq!(serde_json::Value::Object(opened.session), session);
            assert!(verify(&cookie, &[DEMO], TS, 60).is_ok());
        }
        // A bad character past the stack buffer's reach still gets its reason.
        let long = format!("{}!.YZaTHQ.-wlmE2_6fkTd4BI464T2kXjX8eE", "e".repeat(400));
        assert!(matches!(
            decode_session(&long),
            Err(MalformedCookie::BadBase64 {
                part: Part::Payload,
                ..
            })
        ));
    }

    #[test]
    fn zip_bomb_is_refused() {
        let big = format!("{{\"a\":\"{}\"}}", "x".repeat(MAX_JSON_LEN + 10));
        let z = miniz_oxide::deflate::compress_to_vec_zlib(big.as_bytes(), 9);
        let cookie = format!(".{}.YZaTHQ.-wlmE2_6fkTd4BI464T2kXjX8eE", B64URL.encode(z));
        assert!(cookie.len() < MAX_COOKIE_LEN);
        assert_eq!(
            decode(&cookie),
            Err(MalformedCookie::DecompressedTooLarge { max: MAX_JSON_LEN })
        );
    }

    #[test]
    fn excerpts_cut_on_char_boundaries() {
        let s = "é".repeat(100);
        let e = excerpt(&s);
        assert_eq!(e.chars().count(), EXCERPT_CHARS + 1);
        assert!(e.ends_with('…'));
    }
}
