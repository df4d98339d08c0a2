//! Making a cookie: the session's JSON as Flask writes it, compressed when Flask would, the
//! timestamp, and the signature over both.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::error::json_kind;
use crate::keyring::{sign_bytes, HmacSha1};
use crate::{compress, with_keyring, write_python_json, SignError};

/// Flask's compact, key-sorted, ASCII-escaped JSON of a session, as `TaggedJSONSerializer.dumps`
/// would write it (Python's `json.dumps(..., separators=(",", ":"), sort_keys=True,
/// ensure_ascii=True)`). Tagged values must already be in Flask's tagged form (see
/// [`crate::Tagged::to_tagged_json`]).
pub fn serialize_session(session: &serde_json::Value) -> Result<String, SignError> {
    if !session.is_object() {
        return Err(SignError::NotAnObject {
            found: json_kind(session).to_owned(),
        });
    }
    let mut out = String::new();
    write_python_json(session, &mut out);
    Ok(out)
}

/// Sign a session (a JSON object; tagged values already in Flask's tagged form) -> cookie value
/// `PAYLOAD.TIMESTAMP.SIGNATURE`, as Flask's `SecureCookieSessionInterface` would at
/// `timestamp` (Unix seconds).
///
/// The payload is compressed when zlib makes it shorter by more than one byte, as itsdangerous
/// does, with zlib's own bytes, so the cookie is Flask's byte for byte, compressed or not.
///
/// Keys are derived once per thread for the same secret ([`with_keyring`]); a caller that keeps
/// its keys can keep a [`crate::Keyring`] instead.
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

/// [`sign`] with an HMAC already keyed with the derived key.
pub(crate) fn sign_with(
    mac: &HmacSha1,
    session: &serde_json::Value,
    timestamp: u64,
) -> Result<String, SignError> {
    let json = serialize_session(session)?;
    let json = json.as_bytes();
    let mut cookie = String::new();
    match compress::flask_compressed(json) {
        Some(zlib) => {
            cookie.push('.');
            URL_SAFE_NO_PAD.encode_string(zlib, &mut cookie);
        }
        None => URL_SAFE_NO_PAD.encode_string(json, &mut cookie),
    }
    cookie.push('.');
    push_timestamp(timestamp, &mut cookie);
    let signature = sign_bytes(mac, cookie.as_bytes());
    cookie.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut cookie);
    Ok(cookie)
}

/// The `TIMESTAMP` segment for Unix seconds: big-endian bytes, leading zeros stripped,
/// base64url without padding. `1637258013` -> `"YZaTHQ"`; `0` -> `""`.
pub fn encode_timestamp(unix_secs: u64) -> String {
    let mut out = String::new();
    push_timestamp(unix_secs, &mut out);
    out
}

/// [`encode_timestamp`] appended to `out`.
fn push_timestamp(unix_secs: u64, out: &mut String) {
    let be = unix_secs.to_be_bytes();
    let skip = be.iter().take_while(|b| **b == 0).count();
    URL_SAFE_NO_PAD.encode_string(&be[skip..], out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{decode_timestamp, verify, DEFAULT_MAX_AGE_SECS};
    use serde_json::json;

    const DEMO: &[u8] = b"playground-demo-secret";
    const TS: u64 = 1_637_258_013;

    #[test]
    fn timestamps() {
        assert_eq!(encode_timestamp(TS), "YZaTHQ");
        assert_eq!(encode_timestamp(0), "");
        assert_eq!(encode_timestamp(255), "_w");
        assert_eq!(encode_timestamp(256), "AQA");
        assert_eq!(encode_timestamp(u64::MAX), "__________8");
        for t in [0, 1, 255, 256, 65_535, 1 << 32, TS, u64::MAX - 1, u64::MAX] {
            assert_eq!(decode_timestamp(&encode_timestamp(t)), Ok(t));
        }
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
    fn compressed_only_when_shorter_by_more_than_one_byte() {
        for n in 0..40 {
            let session = json!({"note": "ab".repeat(n)});
            let json = serialize_session(&session).unwrap();
            let zlib = crate::deflate::zlib_compress(json.as_bytes());
            let cookie = sign(&session, DEMO, TS).unwrap();
            assert_eq!(
                cookie.starts_with('.'),
                zlib.len() + 1 < json.len(),
                "{json}"
            );
        }
    }
}
