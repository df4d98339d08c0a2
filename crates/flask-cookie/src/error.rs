//! Why a cookie was refused, or could not be made.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// The four parts a learner can point at when a cookie is malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// `PAYLOAD`: the session as base64url JSON, or `.` + base64url zlib JSON.
    Payload,
    /// `TIMESTAMP`: Unix seconds, big-endian bytes, base64url.
    Timestamp,
    /// `SIGNATURE`: base64url HMAC-SHA1, 27 characters.
    Signature,
    /// The cookie value as a whole.
    Whole,
}

impl Part {
    /// `"payload"`, `"timestamp"`, `"signature"` or `"whole"`.
    pub fn name(self) -> &'static str {
        match self {
            Part::Payload => "payload",
            Part::Timestamp => "timestamp",
            Part::Signature => "signature",
            Part::Whole => "whole",
        }
    }
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A cookie value that is not a well-formed Flask session cookie, whatever the key.
///
/// Segments quoted in these errors are shortened to [`crate::EXCERPT_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum MalformedCookie {
    /// Nothing at all.
    #[error("the cookie is empty: a Flask session cookie looks like PAYLOAD.TIMESTAMP.SIGNATURE")]
    Empty,
    /// Longer than [`crate::MAX_COOKIE_LEN`].
    #[error(
        "the cookie is {len} bytes long; at most {max} are accepted (browsers keep about 4096)"
    )]
    Oversized { len: usize, max: usize },
    /// Fewer than two dots: the three parts cannot be told apart.
    #[error("a session cookie has three parts, PAYLOAD.TIMESTAMP.SIGNATURE, separated by dots, but this one has {dots} dot(s)")]
    MissingDots { dots: usize },
    /// One of the parts is empty (an empty timestamp is allowed: it means 0).
    #[error("the {part} part is empty")]
    EmptyPart { part: Part },
    /// A part is not unpadded base64url (`A-Z a-z 0-9 - _`).
    #[error("the {part} part '{segment}' is not base64url: {reason}")]
    BadBase64 {
        part: Part,
        segment: String,
        reason: String,
    },
    /// The payload starts with `.` (compressed) but does not inflate as zlib.
    #[error("the payload starts with '.', so it should be zlib-compressed JSON, but it does not inflate: {reason}")]
    BadZlib { reason: String },
    /// The payload inflates to more than [`crate::MAX_JSON_LEN`] bytes.
    #[error("the payload inflates to more than {max} bytes; refusing to go on (a zip bomb?)")]
    DecompressedTooLarge { max: usize },
    /// The decoded payload is not UTF-8 text.
    #[error("the payload decodes to bytes that are not UTF-8 text: {reason}")]
    NotUtf8 { reason: String },
    /// The decoded payload is text but not JSON.
    #[error("the payload decodes to '{json}', which is not JSON: {reason}")]
    NotJson { json: String, reason: String },
    /// The payload is JSON, but not an object (a session is always an object).
    #[error(
        "the payload is JSON but {found}, not an object: a Flask session is always a JSON object"
    )]
    NotAnObject { found: String },
    /// The timestamp is longer than 8 bytes (it would not fit in a u64).
    #[error(
        "the timestamp part '{segment}' decodes to {bytes} bytes; a Unix time in seconds fits in 8"
    )]
    TimestampTooLarge { segment: String, bytes: usize },
    /// The signature is not the 20 bytes of an HMAC-SHA1.
    #[error("the signature part '{segment}' decodes to {bytes} bytes; an HMAC-SHA1 signature is 20 bytes (27 base64url characters)")]
    SignatureLength { segment: String, bytes: usize },
    /// A one-key object whose key is one of Flask's tags (`" t"`, `" b"`, ...) holds a value
    /// that tag cannot hold.
    #[error("the tagged value {tag:?} ({kind}) is invalid: {reason}")]
    BadTag {
        tag: String,
        kind: String,
        reason: String,
    },
}

/// Why [`crate::verify`] refused a cookie. Flask answers all of them the same way: it starts a
/// new, empty session, silently, with status 200.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// Not a well-formed cookie at all.
    #[error("malformed cookie: {0}")]
    Malformed(MalformedCookie),
    /// No key (or the first) produced this signature.
    #[error("signature does not match: the cookie was changed or signed with another secret key")]
    BadSignature,
    /// Older than the max age (Flask: `PERMANENT_SESSION_LIFETIME`, 31 days).
    #[error("expired {} ago (max age {})", crate::format_age(age_secs.saturating_sub(*max_age_secs)), crate::format_age(*max_age_secs))]
    Expired { age_secs: u64, max_age_secs: u64 },
    /// Signed with a timestamp after `now` (itsdangerous: "Signature age < 0").
    #[error("the timestamp is {} in the future: the signer's clock is ahead of ours, or the timestamp was forged", crate::format_age(*ahead_by_secs))]
    FromTheFuture { ahead_by_secs: u64 },
    /// No secret key was given (Flask: "The session is unavailable because no secret key was set").
    #[error("no secret key is set, so no session cookie can be trusted")]
    NoSecretKey,
}

impl Rejection {
    /// A stable name for the kind: `"malformed"`, `"bad_signature"`, `"expired"`,
    /// `"from_the_future"`, `"no_secret_key"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Rejection::Malformed(_) => "malformed",
            Rejection::BadSignature => "bad_signature",
            Rejection::Expired { .. } => "expired",
            Rejection::FromTheFuture { .. } => "from_the_future",
            Rejection::NoSecretKey => "no_secret_key",
        }
    }
}

impl From<MalformedCookie> for Rejection {
    fn from(m: MalformedCookie) -> Self {
        Rejection::Malformed(m)
    }
}

/// Serialized as `{"kind": ..., "message": ..., <fields>}`, e.g.
/// `{"kind":"expired","message":"expired 3 days ago (max age 31 days)","age_secs":...,"max_age_secs":...}`.
impl Serialize for Rejection {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("kind", self.kind())?;
        map.serialize_entry("message", &self.to_string())?;
        match self {
            Rejection::Malformed(m) => map.serialize_entry("malformed", m)?,
            Rejection::Expired {
                age_secs,
                max_age_secs,
            } => {
                map.serialize_entry("age_secs", age_secs)?;
                map.serialize_entry("max_age_secs", max_age_secs)?;
            }
            Rejection::FromTheFuture { ahead_by_secs } => {
                map.serialize_entry("ahead_by_secs", ahead_by_secs)?;
            }
            Rejection::BadSignature | Rejection::NoSecretKey => {}
        }
        map.end()
    }
}

/// Why [`crate::sign`] could not make a cookie.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum SignError {
    /// A session is a JSON object; this was something else.
    #[error("a session must be a JSON object, not {found}")]
    NotAnObject { found: String },
    /// Flask refuses to sign without a secret key.
    #[error("no secret key is set: Flask refuses to sign a session without one")]
    NoSecretKey,
}

/// How many characters of a segment an error message quotes.
pub const EXCERPT_CHARS: usize = 40;

/// At most [`EXCERPT_CHARS`] characters of `s`, with "…" when cut.
pub(crate) fn excerpt(s: &str) -> String {
    match s.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_owned(),
    }
}

/// What a JSON value is, as an error message says it: "a string", "an array", ...
pub(crate) fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_cut_on_char_boundaries() {
        let s = "é".repeat(100);
        let e = excerpt(&s);
        assert_eq!(e.chars().count(), EXCERPT_CHARS + 1);
        assert!(e.ends_with('…'));
        assert_eq!(excerpt("short"), "short");
    }
}
