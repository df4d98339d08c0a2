//! Reading a cookie without a key: what anyone who holds a session cookie can see in it.

use serde::Serialize;

use crate::parse::{parse, Parsed, STACK_JSON};
use crate::{MalformedCookie, Tagged};

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

/// Take a cookie value apart without a key: the three segments, the JSON, the resolved tags, the
/// timestamp and the signature bytes. Says nothing about whether the signature is right.
///
/// Never panics; refuses values longer than [`crate::MAX_COOKIE_LEN`] and payloads that inflate
/// past [`crate::MAX_JSON_LEN`]. Stricter than Python's base64 in one corner: a last base64
/// character with unused bits set (which Python ignores) is malformed, so that a changed
/// character is never silently accepted.
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
/// whether the signature is right: only [`crate::verify`] or [`crate::Keyring::open`] can tell
/// that.
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

impl Parsed<'_, '_> {
    /// The learner's view of the cookie, its tags resolved.
    pub(crate) fn into_decoded(self) -> Result<DecodedCookie, MalformedCookie> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{sign, signature_for, verify, Keyring, Part, Rejection, MAX_COOKIE_LEN};
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;

    const DEMO: &[u8] = b"playground-demo-secret";
    const TS: u64 = 1_637_258_013;

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
    fn a_compressed_payload_keeps_its_dot() {
        let flask = ".eJyrVsrLL0lVslLKyCwuViCJUNJRKi1OLcpLzAXpT85PKkoECpVlFmeWKFkZ1gIAp20fNg.YZaTHQ.myDVbKeBIXWUJds1ecjtWCiEfw4";
        let d = decode(flask).unwrap();
        assert!(d.compressed);
        assert!(d.payload_segment.starts_with(".eJy"));
        assert_eq!(d.timestamp_segment, "YZaTHQ");
        assert_eq!(d.signature_segment, "myDVbKeBIXWUJds1ecjtWCiEfw4");
        assert_eq!(d.value["username"], "cobra");
    }

    #[test]
    fn payloads_on_either_side_of_the_stack_buffer() {
        // Plain payloads whose JSON is around STACK_JSON bytes long (Flask would compress these,
        // but a plain payload is as valid).
        for len in STACK_JSON - 3..STACK_JSON + 3 {
            let json = format!(r#"{{"n":"{}"}}"#, "a".repeat(len - 8));
            assert_eq!(json.len(), len);
            let signed = format!("{}.YZaTHQ", URL_SAFE_NO_PAD.encode(&json));
            let cookie = format!(
                "{signed}.{}",
                URL_SAFE_NO_PAD.encode(signature_for(&signed, DEMO))
            );
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
        // And a sign-made cookie reads back whole.
        let cookie = sign(&serde_json::json!({"visit": 1}), DEMO, TS).unwrap();
        assert_eq!(decode(&cookie).unwrap().json, r#"{"visit":1}"#);
    }
}
